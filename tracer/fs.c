/*
 * Path syscalls under the view: the tracer resolves the path (path.c),
 * decides (filters/decide.c jt_decide_path), and performs the operation
 * itself on its own descriptors, with the program's credentials; the
 * program's call is then skipped and given the result, or (for a new
 * descriptor) turned into the receiving end of a handover (inject.c). The
 * kernel never resolves a path the program wrote.
 *
 * Every operation on the last component is one that does not follow a
 * link: *at calls on the parent with AT_SYMLINK_NOFOLLOW/O_NOFOLLOW, or
 * calls through /proc/self/fd/N of an O_PATH descriptor the tracer opened
 * with O_NOFOLLOW and checked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <linux/stat.h>
#include "compat/layout.h"
#include "compat/regs.h"
#include "filters/decide.h"
#include "tracer/fifo.h"
#include "tracer/fs.h"
#include "tracer/internal.h"
#include "tracer/net.h"
#include "tracer/op.h"
#include "tracer/path.h"


/* ---------------------------------------------------------------- helpers */

/* A result that involves no decision of the view: a bad pointer, a long path. */
static int result(struct jt_op *op, long r)
{
	op->v = (struct jt_verdict){ .allow = 1, .rule = -1, .builtin = "view" };
	op->ret = r;
	return 0;
}

/* A refusal by a check of the tracer's own, named @builtin in the record. */
static int refuse(struct jt_op *op, int err, const char *builtin)
{
	op->v = (struct jt_verdict){ .allow = 0, .err = err, .rule = -1, .builtin = builtin };
	op->ret = -err;
	return 0;
}

/* Allowed by the policy's rule; the kernel runs the call as the program made it. */
static int to_kernel(struct jt_op *op)
{
	op->v = (struct jt_verdict){ .allow = 1, .rule = op->run->policy->rule[op->rq->sys] };
	op->to_kernel = 1;
	return 0;
}

/* The run's inotify instances and watches as /proc shows them now. @return 1. */
static int inotify_recount(struct jt_run *run)
{
	jt_anon_count(run, "anon_inode:inotify", "inotify wd:", &run->inotify_instances,
		      &run->inotify_watches);
	return 1;
}

static int read_path(struct jt_op *op, int which, uint64_t addr)
{
	int cut;
	ssize_t n = jt_mem_string(op->run, op->t->tid, addr, op->path[which],
				  sizeof(op->path[which]), &cut);

	if (n < 0)
		return (int)n;
	if (cut)	/* too long, or unterminated before memory ends */
		return (size_t)n + 1 < sizeof(op->path[which]) ? -EFAULT : -ENAMETOOLONG;
	/* the copy decided on is the one the record shows: kept before a
	 * handler trims it (do_open drops trailing slashes in place) */
	memcpy(op->res->read_str[which], op->path[which], (size_t)n + 1);
	op->res->read_addr[which] = addr;
	op->res->read_len[which] = (size_t)n;
	return 0;
}

static int sandbox_pid(void *arg, pid_t pid)
{
	return jt_ptable_has_pid(&((struct jt_run *)arg)->tasks, pid);
}

static const char *cwd_of(void *arg, pid_t pid)
{
	struct jt_task *t = jt_ptable_find(&((struct jt_run *)arg)->tasks, pid);

	return t && t->fs ? t->fs->cwd : NULL;
}

static int pty_of(void *arg, unsigned index)
{
	return jt_pty_slave(arg, index);
}

static int ctty_of(void *arg, pid_t tid)
{
	return jt_pty_ctty(arg, tid);
}

static const struct jt_walk_ctx *ctx_of(struct jt_op *op)
{
	static struct jt_walk_ctx c;

	c = (struct jt_walk_ctx){ op->t->tgid, op->t->tid, sandbox_pid, op->run,
				  op->run->skeleton, cwd_of,
				  jt_kernel_has(&op->run->kernel, JT_FEAT_OPENAT2), pty_of, ctty_of };
	return &c;
}

/*
 * The host path of a directory descriptor too deep for readlink (the kernel
 * answers ENAMETOOLONG past a page): named one level at a time, upwards,
 * by the entry of each parent that has its inode, until an ancestor is short
 * enough to read. What it names is only a starting point: the walk that
 * follows checks every step in the view. @return its length or -errno.
 */
static int long_host_path(const char *link, char *out, size_t len)
{
	int cur = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC), levels = 0;
	size_t pos = len - 1;	/* the path is built from the end of @out */
	char self[64];
	ssize_t n;

	if (cur < 0)
		return -EBADF;
	out[pos] = '\0';
	for (;;) {
		struct stat st, pst;
		struct dirent *e;
		DIR *d;
		int parent, rd, found = 0;

		snprintf(self, sizeof(self), "/proc/self/fd/%d", cur);
		n = readlink(self, out, pos);
		if (n > 0 && (size_t)n < pos && out[0] == '/') {
			/* an ancestor readlink can show: the rest follows it */
			memmove(out + n, out + pos, len - pos);
			close(cur);
			return (int)(n + (ssize_t)(len - pos) - 1);
		}
		if (++levels > 4096 || fstat(cur, &st) < 0 ||
		    (parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			break;
		close(cur);
		cur = parent;
		snprintf(self, sizeof(self), "/proc/self/fd/%d", parent);
		if ((rd = open(self, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !(d = fdopendir(rd))) {
			if (rd >= 0)
				close(rd);
			break;
		}
		while ((e = readdir(d))) {
			size_t nl = strlen(e->d_name);

			if (e->d_ino != st.st_ino || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (fstatat(parent, e->d_name, &pst, AT_SYMLINK_NOFOLLOW) < 0 ||
			    pst.st_dev != st.st_dev || pst.st_ino != st.st_ino || nl + 2 > pos)
				continue;
			pos -= nl;
			memcpy(out + pos, e->d_name, nl);
			out[--pos] = '/';
			found = 1;
			break;
		}
		closedir(d);
		if (!found)
			break;
	}
	close(cur);
	return -ENAMETOOLONG;
}

static int pidfd_copy(struct jt_run *run, struct jt_task *t, int fd);

/*
 * Where the text of the program's descriptor @fd is read (its /proc link),
 * into @link: through the tracer's own copy where it can have one (*@copy,
 * for the caller to close, else -1), since the sandbox's /proc/TID/fd is
 * its user's and becoming that user and back is two identity switches each
 * way, about 2 us each here (prepare_creds); else as that user.
 * @return 0, or -EBADF: no such descriptor.
 */
static int fd_link_path(struct jt_run *run, struct jt_task *t, int fd, char *link, size_t len,
			int *copy)
{
	*copy = pidfd_copy(run, t, fd);
	if (*copy == -EBADF)
		return -EBADF;
	if (*copy >= 0) {
		snprintf(link, len, "/proc/self/fd/%d", *copy);
		return 0;
	}
	*copy = -1;
	jt_view_as_jail();	/* the sandbox's /proc/TID/fd is its user's */
	snprintf(link, len, "/proc/%d/fd/%d", t->tid, fd);
	return 0;
}

ssize_t jt_fs_fd_link(struct jt_run *run, struct jt_task *t, int fd, char *out, size_t len)
{
	char link[64];
	ssize_t n;
	int copy;

	if (fd_link_path(run, t, fd, link, sizeof(link), &copy) < 0)
		return -EBADF;
	n = readlink(link, out, len - 1);
	n = n < 0 ? (errno == ENOENT ? -EBADF : -errno) : n;
	if (n >= 0)
		out[n] = '\0';
	if (copy >= 0)
		close(copy);
	return n;
}

/* The inside directory a relative path starts from: the cwd, or a descriptor
 * (@dir: that must be a directory; else the inside path of its file). */
static int base_of(struct jt_op *op, int dirfd, char *out, size_t len, int dir)
{
	static char deep[JT_WALK_MAX_PATH];
	char link[64], host[PATH_MAX], *h = host;
	ssize_t n;
	int r, copy;

	if (dirfd == AT_FDCWD) {
		snprintf(out, len, "%s", op->t->fs ? op->t->fs->cwd : "/");
		return 0;
	}
	if (fd_link_path(op->run, op->t, dirfd, link, sizeof(link), &copy) < 0)
		return -EBADF;
	n = readlink(link, host, sizeof(host) - 1);
	if (n < 0 && errno == ENAMETOOLONG) {
		/* a directory of a deep tree, reached step by step (a jail's
		 * directories may be its user's alone) */
		jt_view_as_jail();
		n = long_host_path(link, deep, sizeof(deep));
		h = deep;
	} else if (n < 0) {
		n = -EBADF;
	} else {
		host[n] = '\0';
	}
	if (n >= 0 && h[0] != '/') {
		n = -ENOTDIR;	/* a pipe, a socket, ... */
	} else if (n >= 0) {
		/* a file is no place to start from (@dir), even for "." or "..";
		 * a directory removed since it was opened: natively, nothing can be
		 * made or found in it; its link's text (" (deleted)") names another
		 * place. (A memfd or a removed file is no directory at all) */
		struct stat st;
		int deleted;

		n = (ssize_t)strlen(h);
		deleted = n > 10 && !strcmp(h + n - 10, " (deleted)");
		if ((dir || deleted) && (copy >= 0 ? fstat(copy, &st) : stat(link, &st)) == 0)
			n = !S_ISDIR(st.st_mode) ? -ENOTDIR : deleted && st.st_nlink == 0 ? -ENOENT : n;
	}
	if (copy >= 0)
		close(copy);
	if (n < 0)
		return (int)n;
	r = jt_view_inside_of(&op->run->view, h, out, len);
	if (r == -ENOENT && jt_skeleton_inside(op->run, h, out, len) == 0)
		return 0;
	return r < 0 ? (r == -ENAMETOOLONG ? r : -ENOENT) : 0;
}

/*
 * What holds a walk's answer when no policy line does (facts.part), so the
 * log names it: /proc of the run, the jail, jailtrace's own files, or a
 * directory that only leads to grants (then named by one of them:
 * jt_view_dir_facts; replay and learn judge it by that grant).
 */
static const char *part_of(struct jt_op *op, int which)
{
	const struct jt_mount *m = op->w[which].mount;
	struct jt_path_facts f;

	if (m && (m->flags & JT_MNT_PROC))
		return "proc-of-run";
	if (m && m->rule < 0 && !strcmp(m->inside, "/dev/pts"))
		return "pty";	/* the sandbox's own (ptys.c) */
	if (m)
		return m->rule >= 0 ? NULL : (m->flags & JT_MNT_RW) ? "jail" : "own-file";
	if (!op->w[which].inside || !jt_view_dir_facts(op->run->policy, op->w[which].inside, &f))
		return "view-dir";
	op->facts.rule = f.rule;
	return f.part;
}

static int fd_copy(struct jt_op *op, int fd);
static void fd_holder(struct jt_op *op, int copy);
static int only_dot(const char *p);
static int removed_dir(struct jt_op *op, int fd);

/*
 * "." of a directory removed since it was opened: natively the directory
 * itself, which no path names any more. The walk's answer is the tracer's
 * copy of the descriptor, decided by the grant that held it (fd_holder).
 */
static int removed_dot(struct jt_op *op, int dirfd)
{
	struct jt_walk *w = &op->w[0];
	int copy = fd_copy(op, dirfd);

	if (copy < 0)
		return copy;
	fd_holder(op, copy);
	w->fd = w->fd_owned = copy;
	w->name = strdup("");
	w->inside = strdup(op->path[0]);
	w->exists = w->is_dir = 1;
	return w->name && w->inside ? 0 : -ENOMEM;
}

/* Is @p's first name "." or ".."? */
static int dot_first(const char *p)
{
	return p[0] == '.' && (!p[1] || p[1] == '/' || (p[1] == '.' && (!p[2] || p[2] == '/')));
}

int jt_guarded(const struct jt_run *run, const struct stat *st)
{
	for (unsigned i = 0; i < run->n_guard; i++)
		if (run->guard[i].ino == st->st_ino && run->guard[i].dev == st->st_dev)
			return 1;
	return 0;
}

/*
 * A walk that ends at jailtrace's own log or result directory, or a
 * directory holding one, in a writable grant: a part of the view that is
 * read-only. Its content stays the tracer's to write, and no rename moves
 * it from where the operator will look.
 */
static void guard_walk(struct jt_op *op, const struct jt_walk *w)
{
	struct stat st;

	if (!op->run->n_guard || !op->facts.writable || !w->exists)
		return;
	if (w->fd >= 0 ? fstat(w->fd, &st) < 0
		       : w->mode ? (st = w->st, 0)
		       : w->dirfd < 0 || fstatat(w->dirfd, w->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (jt_guarded(op->run, &st)) {
		op->facts.writable = 0;
		op->facts.rule = -1;
		op->facts.part = JT_PART_OUTPUT;
	}
}

static int walk(struct jt_op *op, int which, int dirfd, unsigned flags)
{
	static char base[JT_WALK_MAX_PATH];	/* inside paths of deep trees are long */
	const char *b = base;
	int r;

	if (op->path[which][0] != '/' && dirfd == AT_FDCWD && op->t->fs) {
		/* the cwd as it is: a deep tree reached one chdir at a time makes it
		 * longer than PATH_MAX, and a copy cut short would name another place */
		b = op->t->fs->cwd;
	} else if (!op->path[which][0]) {
		return -ENOENT;	/* as the kernel, before it looks at the descriptor */
	} else if (op->path[which][0] != '/') {
		/* only a path that starts at the descriptor itself ("." or "..")
		 * needs it to be a directory: any other finds ENOTDIR on its own
		 * first step, and the look would cost every relative call */
		r = base_of(op, dirfd, base, sizeof(base), dot_first(op->path[which]));
		if (r == -ENOENT && which == 0 && only_dot(op->path[0]) && removed_dir(op, dirfd))
			return removed_dot(op, dirfd);
		if (r < 0)
			return r;
	} else {
		strcpy(base, "/");
	}
	r = jt_walk_ctx(&op->run->view, ctx_of(op), b, op->path[which], flags, &op->w[which]);
	op->facts.in_view = r == 0 || !op->w[which].denied;
	if (r == 0) {
		const struct jt_mount *m = op->w[which].mount;

		op->facts.writable = m && (m->flags & JT_MNT_RW);
		op->facts.rule = m ? m->rule : -1;
		op->facts.part = part_of(op, which);
		/* /proc/self/fd/N of what has no path (a pipe, a socket, a memfd): the
		 * program's own, to reopen as it likes, and to run only as what it wrote */
		if (op->w[which].mount && (op->w[which].mount->flags & JT_MNT_PROC) &&
		    op->w[which].fd >= 0 && !op->w[which].is_dir)
			op->facts.writable = 1;
		guard_walk(op, &op->w[which]);
	}
	return r;
}

/* Decide; on denial the result is the denial's errno. @return 1 if allowed. */
static int decide(struct jt_op *op, enum jt_path_access a)
{
	jt_decide_path(op->run->policy, a, &op->facts, &op->v);
	if (!op->v.allow)
		op->ret = -op->v.err;
	return op->v.allow;
}

/* A walk that failed: not in the view is a denial, anything else a result. */
static int walk_failed(struct jt_op *op, int which, int r)
{
	if (op->w[which].denied) {
		op->facts.in_view = 0;
		decide(op, JT_PATH_LOOKUP);
	} else {
		result(op, r);
	}
	return 0;
}

/* An O_PATH descriptor of the walk's object, that is not a link (unless @links). */
static int object(struct jt_op *op, int which, int links)
{
	struct jt_walk *w = &op->w[which];
	struct stat st;
	int fd;

	if (w->fd >= 0)
		return fcntl(w->fd, F_DUPFD_CLOEXEC, 3);
	if (w->dirfd < 0 && w->is_link && w->mount && (w->mount->flags & JT_MNT_PROC)) {
		/* /proc/self and its kind (path.c): the host's own link of the name,
		 * which lstat as natively (its text is read by readlink below) */
		char host[64];

		snprintf(host, sizeof(host), "/proc/%s", strrchr(w->inside, '/') + 1);
		fd = open(host, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (w->dirfd < 0)
		return !strcmp(w->inside, "/proc") ? jt_proc_listing_open(op->run)
						   : jt_skeleton_open(op->run, w->inside);
	fd = openat(w->dirfd, w->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!links && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		/* swapped for a link since the walk: act as if it were one */
		close(fd);
		return -ELOOP;
	}
	return fd;
}

static void proc_fd(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static long errno_or(long r)
{
	return r < 0 ? -errno : r;
}

/* The program's umask (Linux 4.7+ shows it), for what the tracer creates. */
static mode_t umask_of(pid_t tid)
{
	return (mode_t)jt_proc_status(tid, "Umask:", 8, 022) & 0777;
}

/* The helpers above, for the performers of exec.c. */
int jt_op_result(struct jt_op *op, long r) { return result(op, r); }
int jt_op_read_path(struct jt_op *op, int which, uint64_t addr) { return read_path(op, which, addr); }
int jt_op_walk(struct jt_op *op, int which, int dirfd, unsigned flags) { return walk(op, which, dirfd, flags); }
int jt_op_decide(struct jt_op *op, enum jt_path_access a) { return decide(op, a); }
int jt_op_walk_failed(struct jt_op *op, int which, int r) { return walk_failed(op, which, r); }
int jt_op_object(struct jt_op *op, int which, int links) { return object(op, which, links); }
const struct jt_walk_ctx *jt_op_ctx(struct jt_op *op) { return ctx_of(op); }
void jt_op_proc_fd(char *buf, size_t len, int fd) { proc_fd(buf, len, fd); }

/* ---------------------------------------------------------------- handlers */

/* An open that would wait for a FIFO's other end (O_RDWR and O_NONBLOCK never do). */
static int fifo_would_block(const struct jt_op *op, int flags)
{
	int acc = flags & O_ACCMODE;

	return !(flags & (O_NONBLOCK | O_PATH)) && (acc == O_RDONLY || acc == O_WRONLY) &&
	       op->res != NULL;
}

/*
 * Could the name the walk found be a fifo by now? In a read-only grant the
 * program cannot swap it, so the walk's own stat says; in a writable one a
 * fresh look is needed.
 */
static int may_be_fifo(const struct jt_walk *w)
{
	if (!w->mode || (w->mount && (w->mount->flags & JT_MNT_RW)))
		return 1;
	return S_ISFIFO(w->mode);
}

/*
 * Writable areas are nosuid, and more: no mode the tracer applies there
 * carries set-user-ID, nor set-group-ID but on a directory (where it only
 * passes the group on). A program that is uid 0 owns what it makes, and a
 * set-user-ID-root file left in a jail another user can reach, or in a
 * writable grant, would be a way up for anyone on the host.
 */
static mode_t no_setid(mode_t mode, int dir)
{
	return mode & ~(mode_t)(S_ISUID | (dir ? 0 : S_ISGID));
}

/* no_setid() for a chmod of the object open on @fd. */
static mode_t no_setid_of(int fd, mode_t mode)
{
	struct stat st;

	return no_setid(mode, fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));
}

/*
 * A granted single file reopened: when it is a pty master (the host's
 * /dev/ptmx made a new pty), its slave becomes the sandbox's before the
 * program has the master (ptys.c). @return 0 or -errno.
 */
static int pty_master_opened(struct jt_op *op, int fd)
{
	if (op->w[0].fd < 0 || !op->w[0].mount ||
	    (op->w[0].mount->flags & JT_MNT_DIR) || !jt_pty_is_master(fd))
		return 0;
	return jt_pty_track(op->run, fd);
}

/*
 * A name about to be made at walk @which: in the jail, EDQUOT once it is
 * full (--disk, --inodes: disk.c), as a file system over its quota says.
 * Grants of host directories (--rw) are the user's, not bounded here.
 * @return 0 or -EDQUOT.
 */
static int jail_full(struct jt_op *op, int which)
{
	const struct jt_mount *m = op->w[which].mount;
	const char *jail = op->run->jail;
	size_t l = strlen(jail);

	if (!m || !l || strncmp(m->host, jail, l) || (m->host[l] && m->host[l] != '/'))
		return 0;
	return jt_disk_may_make(op->run);
}

/*
 * The soft RLIMIT_FSIZE of task @tid, from /proc/TID/limits (readable
 * without the capability prlimit needs for another user's process), or
 * RLIM_INFINITY.
 */
static rlim_t fsize_of(pid_t tid)
{
	char path[64], buf[4096], *s;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/limits", tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return RLIM_INFINITY;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return RLIM_INFINITY;
	buf[n] = '\0';
	if (!(s = strstr(buf, "\nMax file size")))
		return RLIM_INFINITY;
	s += strlen("\nMax file size");
	while (*s == ' ')
		s++;
	return *s >= '0' && *s <= '9' ? (rlim_t)strtoull(s, NULL, 10) : RLIM_INFINITY;
}

/*
 * The last name of a path whose entry is made, removed or renamed, sorted
 * as the kernel sorts it (fs/namei.c's LAST_NORM, LAST_DOT, LAST_DOTDOT,
 * LAST_ROOT): 0 for a name, '.' for ".", 'D' for "..", '/' for the root.
 * These calls act on the last name itself, never on where a link or a
 * trailing slash would lead: a name's trailing slashes are cut from
 * op->path[which] (so the walk does not follow a link "link/" names) and
 * *slash says there were some; "x/." is "." for them, not x.
 */
static int last_name(struct jt_op *op, int which, int *slash)
{
	char *p = op->path[which];
	size_t n = strlen(p), end = n, start;

	*slash = 0;
	while (end > 0 && p[end - 1] == '/')
		end--;
	if (!end)
		return n ? '/' : 0;	/* "/", "//": the root; "": the walk's ENOENT */
	start = end;
	while (start > 0 && p[start - 1] != '/')
		start--;
	if (end - start == 1 && p[start] == '.')
		return '.';
	if (end - start == 2 && p[start] == '.' && p[start + 1] == '.')
		return 'D';
	*slash = end < n;
	p[end] = '\0';
	return 0;
}

/*
 * A last name that is not a name (".", "..", "/"), on this side or the
 * other's: the directories before it must be there (the walk of the whole
 * path says what it lacks), then the call's own answer @err.
 * @return as a performer.
 */
static int not_a_name(struct jt_op *op, int which, int dirfd, int err)
{
	int r = walk(op, which, dirfd, JT_WALK_NOFOLLOW | JT_WALK_CREATE);

	return r < 0 ? walk_failed(op, which, r) : result(op, err);
}

/*
 * Does this kernel refuse O_CREAT | O_DIRECTORY (EINVAL, Linux 6.4+)? Asked
 * once, of "/", which neither answer changes (before 6.4: EISDIR).
 */
static int creat_dir_refused(void)
{
	static int refused = -1;

	if (refused < 0) {
		int fd = open("/", O_CREAT | O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0);

		refused = fd < 0 && errno == EINVAL;
		if (fd >= 0)
			close(fd);
	}
	return refused;
}

int jt_fs_open(struct jt_op *op, int dirfd, uint64_t path, int flags, mode_t mode)
{
	int acc = flags & O_ACCMODE, r, fd, creating;
	unsigned wf = 0;
	enum jt_path_access a;

	/* O_TMPFILE is its own bit with O_DIRECTORY (libc's __O_TMPFILE holds
	 * both), without O_CREAT, to write */
	if ((flags & (O_TMPFILE & ~O_DIRECTORY)) &&
	    ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || acc == O_RDONLY))
		return result(op, -EINVAL);
	if ((flags & O_CREAT) && (flags & O_DIRECTORY) && !(flags & O_PATH) && creat_dir_refused())
		return result(op, -EINVAL);
	if ((r = read_path(op, 0, path)) < 0)
		return result(op, r);
	if ((flags & O_NOFOLLOW) || ((flags & O_CREAT) && (flags & O_EXCL)))
		wf |= JT_WALK_NOFOLLOW;
	if (flags & O_CREAT)
		wf |= JT_WALK_CREATE;
	if ((flags & O_CREAT) && op->path[0][0] && op->path[0][strlen(op->path[0]) - 1] == '/') {
		/* O_CREAT on "name/": once the directories before it are found, the
		 * kernel answers EISDIR, whether name exists or not */
		size_t n = strlen(op->path[0]);

		while (n > 1 && op->path[0][n - 1] == '/')
			op->path[0][--n] = '\0';
		if ((r = walk(op, 0, dirfd, wf)) < 0)
			return walk_failed(op, 0, r);
		return result(op, -EISDIR);
	}
	if ((r = walk(op, 0, dirfd, wf)) < 0)
		return walk_failed(op, 0, r);
	creating = !op->w[0].exists;
	/* O_CREAT of a directory there: the kernel's EISDIR (the open below
	 * drops O_CREAT for what is there) */
	if (!creating && (flags & O_CREAT) && !(flags & (O_PATH | O_EXCL)) && op->w[0].is_dir)
		return result(op, -EISDIR);
	if ((flags & __O_TMPFILE) == __O_TMPFILE || creating)
		a = JT_PATH_CREATE;
	else if (acc != O_RDONLY || (flags & O_TRUNC))
		a = JT_PATH_WRITE;
	else if (flags & O_PATH)
		a = JT_PATH_LOOKUP;
	else
		a = JT_PATH_READ;
	if (!decide(op, a))
		return 0;
	if (a == JT_PATH_CREATE && (r = jail_full(op, 0)) < 0)
		return op->ret = r, 0;
	op->cloexec = (flags & O_CLOEXEC) != 0;
	/* /proc/PID files that would describe the host: procfs.c */
	if (jt_procfs_open(op->run, &op->w[0], flags, &fd)) {
		if (fd < 0)
			return op->ret = fd, 0;
		op->inject_fd = fd;
		return 0;
	}
	if (op->w[0].dirfd < 0 || op->w[0].fd >= 0 || !op->w[0].name[0]) {
		char p[64];
		int obj = object(op, 0, 0);

		if (obj < 0)
			return op->ret = obj, 0;
		/* a mount root, a granted file, or a synthetic directory: reopen it
		 * (never as the tracer's controlling terminal) */
		proc_fd(p, sizeof(p), obj);
		/* a new pty's slave is its opener's: the program's user's, as
		 * natively. The host's ptys are one pool (kernel.pty.max): a run
		 * holds a few of them, as ENOSPC says when the pool is empty */
		if (jt_pty_is_master(obj)) {
			if (jt_pty_count(op->run) >= jt_pty_cap()) {
				close(obj);
				return refuse(op, ENOSPC, "pty-count");
			}
			jt_view_as_jail();
		}
		fd = open(p, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY);
		close(obj);
		if (fd >= 0 && (r = pty_master_opened(op, fd)) < 0) {
			close(fd);
			return op->ret = r, 0;
		}
	} else {
		mode_t old = 0;

		/* decided as an open of what is there: if it vanished since, it is not
		 * created (in a read-only grant that would be a write) */
		if (!creating && (flags & O_CREAT) && (flags & O_EXCL))
			return op->ret = -EEXIST, 0;
		if (!creating)	/* (O_TMPFILE | O_EXCL: never linkable, keep it) */
			flags &= ~(O_CREAT | ((flags & (O_TMPFILE & ~O_DIRECTORY)) ? 0 : O_EXCL));
		if (!creating && fifo_would_block(op, flags) && may_be_fifo(&op->w[0])) {
			/* the tracer must not wait for the other end: fifo.c */
			struct stat st;

			if (fstatat(op->w[0].dirfd, op->w[0].name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISFIFO(st.st_mode)) {
				fd = jt_fifo_open(op->t, op->w[0].dirfd, op->w[0].name, flags, &st);
				if (fd == -EWOULDBLOCK)
					return op->res->restart = 1, 0;
				if (fd < 0)
					return op->ret = fd, 0;
				op->inject_fd = fd;
				return 0;
			}
		}
		/* __O_TMPFILE includes O_DIRECTORY: test all its bits, or every
		 * directory open would read /proc/TID/status for nothing */
		int makes = (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE;

		if (makes)
			old = umask(umask_of(op->t->tid));
		fd = openat(op->w[0].dirfd, op->w[0].name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, no_setid(mode, 0));
		if (makes)
			umask(old);
	}
	if (fd < 0)
		return op->ret = -errno, 0;
	op->inject_fd = fd;
	return 0;
}

/*
 * memfd_create, made by the tracer and handed over as an open's descriptor
 * is: the tracer keeps a copy, so that the memfd's pages still count toward
 * --memory when the program holds it only by a mapping of part of it
 * (disk.c). Its name is checked as the kernel checks it (249 bytes).
 */
int jt_fs_memfd(struct jt_op *op, uint64_t name, unsigned flags)
{
	char nm[256];
	int cut, fd, r;
	ssize_t n = jt_mem_string(op->run, op->t->tid, name, nm, sizeof(nm), &cut);

	if (n < 0)
		return result(op, n);
	if (cut || n > 249)
		return result(op, -EINVAL);
	snprintf(op->path[0], sizeof(op->path[0]), "memfd:%s", nm);
	jt_view_as_jail();	/* the program's own, as a file it made */
	fd = (int)syscall(SYS_memfd_create, nm, (flags & ~(unsigned)MFD_CLOEXEC) | MFD_CLOEXEC);
	if (fd < 0)
		return result(op, -errno);
	if ((r = jt_memfd_keep(op->run, fd)) < 0) {
		close(fd);
		return result(op, r);
	}
	result(op, 0);
	op->cloexec = (flags & MFD_CLOEXEC) != 0;
	op->inject_fd = fd;
	return 0;
}

/*
 * The stat of @name under @dirfd (AT_EMPTY_PATH for @dirfd itself), written
 * to the program at @buf: a struct statx, or struct stat in the layout of
 * the program's ABI (compat/layout.c). @return 0 or -errno.
 */
static int stat_out(struct jt_op *op, int dirfd, const char *name, int at, int statx_mask,
		    uint64_t buf)
{
	unsigned char out[JT_LAYOUT_MAX];
	struct statx stx;
	struct stat st;
	int r;

	if (statx_mask >= 0) {
		r = (int)errno_or(syscall(SYS_statx, dirfd, name, at, statx_mask, &stx));
		return r ?: jt_mem_write(op->run, op->t->tid, buf, &stx, sizeof(stx));
	}
	r = (int)errno_or(fstatat(dirfd, name, &st, at));
	if (r == 0)
		r = jt_layout_stat(op->rq->abi, op->rq->sys, &st, out);
	return r > 0 ? jt_mem_write(op->run, op->t->tid, buf, out, (size_t)r) : r;
}

/* The program's descriptor @fd, stat'ed as fstatat(fd, "", AT_EMPTY_PATH) does. */
/* @fd stat'ed through the thread's /proc/TID/fd link, which leads to the
 * very file (the program's user's, as /proc is); no copy is needed */
static int stat_fd_link(struct jt_op *op, int fd, uint64_t buf, int statx_mask, int flags)
{
	char p[64];
	int as = jt_view_as_jail();

	result(op, 0);
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", op->t->tid, fd);
	op->ret = fd < 0 ? -EBADF : stat_out(op, AT_FDCWD, p, flags & AT_STATX_SYNC_TYPE, statx_mask, buf);
	jt_view_as_back(as);
	if (op->ret == -ENOENT)
		op->ret = -EBADF;
	return 0;
}

static int stat_fd(struct jt_op *op, int fd, uint64_t buf, int statx_mask, int flags)
{
	int copy;

	/* a thread's table of its own: pidfd_getfd would fetch the leader's */
	if (op->t->flags & JT_TASK_OWN_FILES)
		return stat_fd_link(op, fd, buf, statx_mask, flags);
	copy = fd_copy(op, fd);
	if (copy < 0 && op->t->fetch_want) {
		/* a copy only a stop could fetch (a socket of a group whose leader
		 * has exited: pidfd_getfd reads the leader's table): its link */
		op->t->fetch_want = 0;
		return stat_fd_link(op, fd, buf, statx_mask, flags);
	}
	result(op, 0);
	if (copy < 0)
		return op->ret = copy, 0;
	op->ret = stat_out(op, copy, "", AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE), statx_mask, buf);
	close(copy);
	return 0;
}

/* Is @p "." (or "./.", "./"): the directory it starts from, itself? */
static int only_dot(const char *p)
{
	if (*p == '/' || !*p)
		return 0;
	for (; *p; p++)
		if (*p != '/' && (p[0] != '.' || (p[1] && p[1] != '/')))
			return 0;
	return 1;
}

/* Is the program's descriptor @fd a directory removed since it was opened? */
static int removed_dir(struct jt_op *op, int fd)
{
	struct stat st;
	char link[64];
	int copy, r;

	if (fd_link_path(op->run, op->t, fd, link, sizeof(link), &copy) < 0)
		return 0;
	r = stat(link, &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink == 0;
	if (copy >= 0)
		close(copy);
	return r;
}

/* stat, lstat, newfstatat, statx (and i386's stat64...): the tracer's stat, copied
 * out in the layout of the program's ABI (compat/layout.c). */
int jt_fs_stat(struct jt_op *op, int dirfd, uint64_t path, int flags, uint64_t buf, int statx_mask)
{
	int r, obj;

	if (path || !(flags & AT_EMPTY_PATH)) {
		if ((r = read_path(op, 0, path)) < 0)
			return result(op, r);
	}
	if (!op->path[0][0] && (flags & AT_EMPTY_PATH)) {
		/* fstat (glibc's is this call): on the tracer's copy of the
		 * descriptor. Let through, the kernel would read the path again,
		 * and another thread may have written a host path there since */
		if (dirfd != AT_FDCWD) {
			op->res->unrecorded = 1;
			return stat_fd(op, dirfd, buf, statx_mask, flags);
		}
		snprintf(op->path[0], sizeof(op->path[0]), ".");
	}
	if (dirfd != AT_FDCWD && only_dot(op->path[0]) && removed_dir(op, dirfd))
		/* "." of a directory removed since: natively the directory itself,
		 * nlink 0, as its descriptor's fstat (the walk finds no path to it) */
		return stat_fd(op, dirfd, buf, statx_mask, flags);
	if ((r = walk(op, 0, dirfd, (flags & AT_SYMLINK_NOFOLLOW) ? JT_WALK_NOFOLLOW : 0)) < 0)
		return walk_failed(op, 0, r);
	if (!decide(op, JT_PATH_LOOKUP))
		return 0;
	if (op->w[0].dirfd >= 0 && op->w[0].fd < 0 && op->w[0].name[0] && op->w[0].mode &&
	    statx_mask < 0) {
		/* the walk's own look at the last name, an instant ago, as the same
		 * identity: what a second fstatat would find (nothing ran between) */
		unsigned char out[JT_LAYOUT_MAX];

		r = jt_layout_stat(op->rq->abi, op->rq->sys, &op->w[0].st, out);
		op->ret = r > 0 ? jt_mem_write(op->run, op->t->tid, buf, out, (size_t)r) : r;
		return 0;
	}
	if (op->w[0].dirfd >= 0 && op->w[0].fd < 0 && op->w[0].name[0]) {
		op->ret = stat_out(op, op->w[0].dirfd, op->w[0].name, AT_SYMLINK_NOFOLLOW, statx_mask, buf);
		return 0;
	}
	obj = object(op, 0, 1);
	if (obj < 0)
		return op->ret = obj, 0;
	op->ret = stat_out(op, obj, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, statx_mask, buf);
	close(obj);
	return 0;
}

int jt_fs_access(struct jt_op *op, int dirfd, uint64_t path, int mode, int flags)
{
	char p[64];
	int r, obj;

	if ((r = read_path(op, 0, path)) < 0)
		return result(op, r);
	if (!op->path[0][0] && (flags & AT_EMPTY_PATH)) {
		/* faccessat2(fd, "", AT_EMPTY_PATH): the descriptor's own file, by
		 * the inside path it was opened at (the cwd's for AT_FDCWD) */
		if (dirfd == AT_FDCWD)
			snprintf(op->path[0], sizeof(op->path[0]), ".");
		else if ((r = base_of(op, dirfd, op->path[0], sizeof(op->path[0]), 0)) < 0)
			return result(op, r);
		else
			dirfd = AT_FDCWD;
	}
	if ((r = walk(op, 0, dirfd, (flags & AT_SYMLINK_NOFOLLOW) ? JT_WALK_NOFOLLOW : 0)) < 0)
		return walk_failed(op, 0, r);
	if (!decide(op, JT_PATH_LOOKUP))
		return 0;
	if ((mode & W_OK) && !op->facts.writable)
		return op->ret = -EROFS, 0;
	obj = object(op, 0, 1);
	if (obj < 0)
		return op->ret = obj, 0;
	if (mode & X_OK) {
		/* as on a noexec mount, X_OK of a regular file the program may not
		 * run (one it wrote, without `exec jail`) is EACCES whatever its
		 * mode: bash, `which` and shutil.which then say what an exec would */
		struct jt_verdict xv;
		struct stat st;

		jt_decide_path(op->run->policy, JT_PATH_EXEC, &op->facts, &xv);
		if (!xv.allow && fstat(obj, &st) == 0 && S_ISREG(st.st_mode)) {
			close(obj);
			return op->ret = -xv.err, 0;
		}
	}
	proc_fd(p, sizeof(p), obj);
	/* the program's real and effective ids are one (spawn.c); the tracer's
	 * real uid is jailtrace's: the check is as whom the tracer works there */
	op->ret = errno_or(faccessat(AT_FDCWD, p, mode, AT_EACCESS));
	close(obj);
	return 0;
}

int jt_fs_readlink(struct jt_op *op, int dirfd, uint64_t path, uint64_t buf, size_t size)
{
	char target[PATH_MAX];
	ssize_t n;
	int r;

	if ((r = read_path(op, 0, path)) < 0)
		return result(op, r);
	if (!op->path[0][0] && dirfd != AT_FDCWD) {
		/* readlinkat(fd, ""): the link an O_PATH descriptor holds; else
		 * ENOENT, as the kernel. (A link of /proc, whose text names the
		 * host, is not read so: ENOENT too) */
		struct statfs sf;
		struct stat st;
		int copy = fd_copy(op, dirfd);

		if (copy < 0)
			return result(op, copy);
		result(op, 0);
		errno = ENOENT;
		n = fstat(copy, &st) == 0 && S_ISLNK(st.st_mode) && fstatfs(copy, &sf) == 0 &&
		    sf.f_type != PROC_SUPER_MAGIC ? readlinkat(copy, "", target, sizeof(target) - 1) : -1;
		r = errno;
		close(copy);
		if (n < 0)
			return op->ret = -r, 0;
	} else if ((r = walk(op, 0, dirfd, JT_WALK_NOFOLLOW)) < 0) {
		return walk_failed(op, 0, r);
	} else if (!decide(op, JT_PATH_LOOKUP)) {
		return 0;
	} else if (op->w[0].mount && (op->w[0].mount->flags & JT_MNT_LINK) && op->w[0].dirfd < 0) {
		n = (ssize_t)strlen(op->w[0].mount->link);
		memcpy(target, op->w[0].mount->link, (size_t)n);
	} else if (op->w[0].dirfd < 0 && op->w[0].is_link && op->w[0].mount &&
		   (op->w[0].mount->flags & JT_MNT_PROC)) {
		/* /proc/self, thread-self, net, mounts: the caller's (path.c) */
		if (jt_proc_link_text(strrchr(op->w[0].inside, '/') + 1, op->t->tgid, op->t->tid,
				      target, sizeof(target)) < 0)
			return op->ret = -EINVAL, 0;
		n = (ssize_t)strlen(target);
	} else if (op->w[0].dirfd < 0) {
		return op->ret = -EINVAL, 0;
	} else {
		n = readlinkat(op->w[0].dirfd, op->w[0].name, target, sizeof(target) - 1);
		if (n < 0)
			return op->ret = -errno, 0;
		if (op->w[0].mount && (op->w[0].mount->flags & JT_MNT_PROC)) {
			/* the kernel's text names host paths: say what the view calls them */
			char inside[PATH_MAX], dir[PATH_MAX];
			const char *slash = strrchr(op->w[0].inside, '/');

			target[n] = '\0';
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - op->w[0].inside), op->w[0].inside);
			if (jt_proc_is_memfd(op->w[0].dirfd, op->w[0].name, target))
				snprintf(inside, sizeof(inside), "%s", target);	/* names nothing of the host */
			else if (jt_proc_link_inside(&op->run->view, ctx_of(op), dir, op->w[0].name,
						     target, inside, sizeof(inside)) < 0)
				snprintf(inside, sizeof(inside), "/");
			n = (ssize_t)strlen(inside);
			memcpy(target, inside, (size_t)n);
		}
	}
	if ((ssize_t)size <= 0)
		return op->ret = -EINVAL, 0;
	if ((size_t)n > size)
		n = (ssize_t)size;
	r = jt_mem_write(op->run, op->t->tid, buf, target, (size_t)n);
	op->ret = r < 0 ? r : n;
	return 0;
}

int jt_fs_getcwd(struct jt_op *op, uint64_t buf, size_t size)
{
	const char *cwd = op->t->fs ? op->t->fs->cwd : "/";
	size_t n = strlen(cwd) + 1;

	result(op, 0);
	if (size < n)
		return op->ret = -ERANGE, 0;
	op->ret = jt_mem_write(op->run, op->t->tid, buf, cwd, n) ?: (long)n;
	return 0;
}

static int set_cwd(struct jt_op *op, const char *inside)
{
	char *c = strdup(inside);

	if (!c)
		return -ENOMEM;
	if (op->t->fs) {
		free(op->t->fs->cwd);
		op->t->fs->cwd = c;
	} else {
		free(c);
	}
	return 0;
}

int jt_fs_chdir(struct jt_op *op, uint64_t path)
{
	char p[64];
	int r, obj;

	if ((r = read_path(op, 0, path)) < 0)
		return result(op, r);
	if ((r = walk(op, 0, AT_FDCWD, 0)) < 0)
		return walk_failed(op, 0, r);
	if (!decide(op, JT_PATH_LOOKUP))
		return 0;
	if (!op->w[0].is_dir)
		return op->ret = -ENOTDIR, 0;
	obj = object(op, 0, 0);
	if (obj < 0)
		return op->ret = obj, 0;
	proc_fd(p, sizeof(p), obj);
	r = (int)errno_or(faccessat(AT_FDCWD, p, X_OK, AT_EACCESS));
	close(obj);
	op->ret = r < 0 ? r : set_cwd(op, op->w[0].inside);
	return 0;
}

int jt_fs_fchdir(struct jt_op *op, int fd)
{
	static char inside[JT_WALK_MAX_PATH];
	struct stat st;
	char link[64];
	int r = base_of(op, fd, inside, sizeof(inside), 0);

	result(op, 0);
	if (r < 0)
		return op->ret = r == -ENOENT ? -EACCES : r, 0;
	jt_view_as_jail();
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", op->t->tid, fd);
	if (stat(link, &st) < 0 || !S_ISDIR(st.st_mode))
		return op->ret = -ENOTDIR, 0;
	op->ret = set_cwd(op, inside);
	return 0;
}

/* mkdir, mknod, symlink: a new entry, created by the tracer with the program's umask. */
int jt_fs_create(struct jt_op *op, int dirfd, uint64_t path, int kind, mode_t mode, uint64_t target)
{
	mode_t old;
	int r, form, slash;

	if (kind == 's' && (r = read_path(op, 1, target)) < 0)
		return result(op, r);
	if ((r = read_path(op, 0, path)) < 0)
		return result(op, r);
	if ((form = last_name(op, 0, &slash)))
		return not_a_name(op, 0, dirfd, -EEXIST);
	if ((r = walk(op, 0, dirfd, JT_WALK_CREATE | JT_WALK_NOFOLLOW)) < 0)
		return walk_failed(op, 0, r);
	if (!decide(op, JT_PATH_CREATE)) {
		/* a name that exists is EEXIST before any write check, a
		 * read-only mount's too: the answer of a lookup, not a refusal
		 * (try: mkdir(p) except FileExistsError) */
		if (op->w[0].exists && op->v.err == EROFS)
			return result(op, -EEXIST);
		return 0;
	}
	if (op->w[0].exists)
		return op->ret = -EEXIST, 0;
	if (slash && kind != 'd')
		return op->ret = -ENOENT, 0;	/* only a directory is made as "name/" */
	if (op->w[0].dirfd < 0)
		return op->ret = -EROFS, 0;
	if ((r = jail_full(op, 0)) < 0)
		return op->ret = r, 0;
	old = umask(umask_of(op->t->tid));
	if (kind == 'd')
		r = (int)errno_or(mkdirat(op->w[0].dirfd, op->w[0].name, no_setid(mode, 1)));
	else if (kind == 's')
		r = (int)errno_or(symlinkat(op->path[1], op->w[0].dirfd, op->w[0].name));
	else if (S_ISREG(mode) || S_ISFIFO(mode) || (mode & S_IFMT) == 0)
		r = (int)errno_or(mknodat(op->w[0].dirfd, op->w[0].name, no_setid(mode, 0), 0));
	else
		r = -EPERM;	/* no devices or sockets by path */
	umask(old);
	op->ret = r;
	return 0;
}

int jt_fs_unlink(struct jt_op *op, int dirfd, uint64_t path, int flags)
{
	int r, form, slash;

	if ((r = read_path(op, 0, path)) < 0)
		return result(op, r);
	if ((form = last_name(op, 0, &slash)))
		return not_a_name(op, 0, dirfd, !(flags & AT_REMOVEDIR) ? -EISDIR :
				  form == '.' ? -EINVAL : form == 'D' ? -ENOTEMPTY : -EBUSY);
	if ((r = walk(op, 0, dirfd, JT_WALK_NOFOLLOW)) < 0)
		return walk_failed(op, 0, r);
	if (!decide(op, JT_PATH_CREATE))
		return 0;
	if (op->w[0].dirfd < 0 || !op->w[0].name[0])
		return op->ret = -EBUSY, 0;	/* a mount point */
	if (slash && !(flags & AT_REMOVEDIR))	/* "name/": a directory, which unlink does not remove */
		return op->ret = op->w[0].is_dir && !op->w[0].is_link ? -EISDIR : -ENOTDIR, 0;
	op->ret = errno_or(unlinkat(op->w[0].dirfd, op->w[0].name, flags & AT_REMOVEDIR));
	return 0;
}

int jt_fs_rename(struct jt_op *op, int olddir, uint64_t oldpath, int newdir, uint64_t newpath,
		     unsigned flags)
{
	int r, form[2], slash[2], dir;

	if ((r = read_path(op, 0, oldpath)) < 0 || (r = read_path(op, 1, newpath)) < 0)
		return result(op, r);
	form[0] = last_name(op, 0, &slash[0]);
	form[1] = last_name(op, 1, &slash[1]);
	if (form[0] || form[1]) {
		/* ".", ".." or "/" on either side: busy, once both directories are found */
		if ((r = walk(op, 0, olddir, JT_WALK_NOFOLLOW | JT_WALK_CREATE)) < 0)
			return walk_failed(op, 0, r);
		return not_a_name(op, 1, newdir, form[0] || !(flags & RENAME_NOREPLACE) ? -EBUSY : -EEXIST);
	}
	if ((r = walk(op, 0, olddir, JT_WALK_NOFOLLOW)) < 0)
		return walk_failed(op, 0, r);
	if (!decide(op, JT_PATH_CREATE))
		return 0;
	if ((r = walk(op, 1, newdir, JT_WALK_NOFOLLOW | JT_WALK_CREATE)) < 0)
		return walk_failed(op, 1, r);
	if (!decide(op, JT_PATH_CREATE))
		return 0;
	if (op->w[0].dirfd < 0 || op->w[1].dirfd < 0 || !op->w[0].name[0] || !op->w[1].name[0])
		return op->ret = -EBUSY, 0;
	/* between the jail and a grant of a root run (two owners, which no one
	 * identity can both write): two file systems, as /tmp is its own on most
	 * hosts; mv, shutil.move, Java's Files.move then copy and remove */
	if (jt_view_apart(op->w[0].mount, op->w[1].mount))
		return op->ret = -EXDEV, 0;
	/* "name/" names a directory: a file or a link (not followed) is not one */
	dir = op->w[0].is_dir && !op->w[0].is_link;
	if (!dir && (slash[0] || (!(flags & RENAME_EXCHANGE) && slash[1])))
		return op->ret = -ENOTDIR, 0;
	if ((flags & RENAME_EXCHANGE) && slash[1] && op->w[1].exists &&
	    !(op->w[1].is_dir && !op->w[1].is_link))
		return op->ret = -ENOTDIR, 0;
	op->ret = errno_or(syscall(SYS_renameat2, op->w[0].dirfd, op->w[0].name,
				   op->w[1].dirfd, op->w[1].name, flags));
	return 0;
}

/*
 * "/proc/self/fd/N" (or thread-self, or the caller's own pid): descriptor N
 * of the caller, whose link linkat(AT_SYMLINK_FOLLOW) follows to its file,
 * named or not (open(2)'s way to make an O_TMPFILE visible). Else -1.
 */
static int own_fd_path(const struct jt_op *op, const char *p)
{
	const char *s = p + 6;
	char *end;
	long n;

	if (strncmp(p, "/proc/", 6))
		return -1;
	if (!strncmp(s, "self/", 5)) {
		s += 5;
	} else if (!strncmp(s, "thread-self/", 12)) {
		s += 12;
	} else {
		n = strtol(s, &end, 10);
		if (end == s || *end != '/' || (n != op->t->tgid && n != op->t->tid))
			return -1;
		s = end + 1;
	}
	if (strncmp(s, "fd/", 3) || s[3] < '0' || s[3] > '9')
		return -1;
	n = strtol(s + 3, &end, 10);
	return *end || n > INT_MAX ? -1 : (int)n;
}

int jt_fs_link(struct jt_op *op, int olddir, uint64_t oldpath, int newdir, uint64_t newpath,
		   int flags)
{
	int r, obj, form, slash, own = -1;
	char p[64];

	if ((r = read_path(op, 0, oldpath)) < 0 || (r = read_path(op, 1, newpath)) < 0)
		return result(op, r);
	if (!op->path[0][0] && (flags & AT_EMPTY_PATH) && olddir != AT_FDCWD)
		own = olddir;
	else if (flags & AT_SYMLINK_FOLLOW)
		own = own_fd_path(op, op->path[0]);
	if (own >= 0) {
		/* linkat(fd, "", ..., AT_EMPTY_PATH), or of "/proc/self/fd/N" followed:
		 * the descriptor's own file (an O_TMPFILE one made visible), decided
		 * by the grant holding it */
		if ((obj = fd_copy(op, own)) < 0)
			return result(op, obj);
		fd_holder(op, obj);
	} else {
		if ((r = walk(op, 0, olddir, (flags & AT_SYMLINK_FOLLOW) ? 0 : JT_WALK_NOFOLLOW)) < 0)
			return walk_failed(op, 0, r);
		/* /proc is a file system of its own: a link from it (link("/proc/self/fd/N"),
		 * the link itself) never crosses into another, as the kernel says first */
		if (op->w[0].mount && (op->w[0].mount->flags & JT_MNT_PROC))
			return result(op, -EXDEV);
		obj = -1;
	}
	if (!decide(op, JT_PATH_LINK_SOURCE))
		goto out;
	if ((form = last_name(op, 1, &slash))) {
		r = not_a_name(op, 1, newdir, -EEXIST);
		goto out;
	}
	if ((r = walk(op, 1, newdir, JT_WALK_NOFOLLOW | JT_WALK_CREATE)) < 0) {
		r = walk_failed(op, 1, r);
		goto out;
	}
	r = 0;
	if (!decide(op, JT_PATH_CREATE))
		goto out;
	if (op->w[1].exists)
		op->ret = -EEXIST;
	else if (slash)
		op->ret = -ENOENT;	/* a new link is no directory */
	else if ((r = jail_full(op, 1)) < 0)
		op->ret = r;
	else if (own < 0 && jt_view_apart(op->w[0].mount, op->w[1].mount))
		op->ret = -EXDEV;	/* as rename's */
	else if (obj < 0 && (obj = object(op, 0, 1)) < 0)
		op->ret = obj;
	else if (op->w[1].dirfd < 0)
		op->ret = -EROFS;
	else {
		/* link the very inode checked, through its descriptor */
		proc_fd(p, sizeof(p), obj);
		op->ret = errno_or(linkat(AT_FDCWD, p, op->w[1].dirfd, op->w[1].name, AT_SYMLINK_FOLLOW));
	}
	r = 0;
out:
	if (obj >= 0)
		close(obj);
	return r;
}

/* utimensat's two times, in the layout of the program's ABI. @return 0 or -EFAULT. */
static int read_times(struct jt_op *op, uint64_t addr, struct timespec ts[2])
{
	unsigned char raw[2 * sizeof(struct timespec)];
	size_t n = jt_layout_timespec2_size(op->rq->abi, op->rq->sys);

	if (jt_mem_read(op->run, op->t->tid, addr, raw, n) != (ssize_t)n)
		return -EFAULT;
	jt_layout_timespec2(op->rq->abi, op->rq->sys, raw, ts);
	return 0;
}

/*
 * utimensat and its time64 form, checked in the kernel's order: the times
 * are read (EFAULT), two UTIME_OMIT do nothing without a look at the path,
 * then the flags (a NULL path with a descriptor takes none: futimens) and
 * a NULL path with AT_FDCWD (EFAULT).
 */
int jt_fs_utimensat(struct jt_op *op)
{
	struct timespec ts[2];
	int fd = (int)A(0);

	if (A(2)) {
		if (read_times(op, A(2), ts) < 0)
			return result(op, -EFAULT);
		if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
			return result(op, 0);
	}
	if ((A(3) & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) || (!A(1) && fd != AT_FDCWD && A(3)))
		return result(op, -EINVAL);
	if (!A(1))
		return fd == AT_FDCWD ? result(op, -EFAULT) : jt_fs_fdmeta(op, fd, 'u');
	return jt_fs_meta(op, fd, A(1), (A(3) & AT_SYMLINK_NOFOLLOW) != 0, 'u');
}

/* chmod, chown, truncate, utimes, statfs: on the object's own descriptor. */
/* AT_EMPTY_PATH in the flags of fchownat, fchmodat2, utimensat: "" is the descriptor's file */
static int empty_path_asked(const struct jt_op *op)
{
	switch (op->rq->sys) {
	case JT_SYS_fchownat:
		return (A(4) & AT_EMPTY_PATH) != 0;
	case JT_SYS_fchmodat2:
	case JT_SYS_utimensat:
	case JT_SYS_utimensat_time64:
		return (A(3) & AT_EMPTY_PATH) != 0;
	default:
		return 0;
	}
}

int jt_fs_meta(struct jt_op *op, int dirfd, uint64_t path, int nofollow, char what)
{
	char p[64];
	int r, obj;

	if ((r = read_path(op, 0, path)) < 0)
		return result(op, r);
	if (!op->path[0][0] && empty_path_asked(op)) {
		/* the descriptor's own file (the cwd for AT_FDCWD), as its f* call */
		if (dirfd != AT_FDCWD)
			return jt_fs_fdmeta(op, dirfd, what);
		snprintf(op->path[0], sizeof(op->path[0]), ".");
	}
	if ((r = walk(op, 0, dirfd, nofollow ? JT_WALK_NOFOLLOW : 0)) < 0)
		return walk_failed(op, 0, r);
	if (!decide(op, what == 'f' ? JT_PATH_LOOKUP : JT_PATH_WRITE))
		return 0;
	if ((obj = object(op, 0, nofollow)) < 0)
		return op->ret = obj, 0;
	proc_fd(p, sizeof(p), obj);
	switch (what) {
	case 'm': {
		struct stat st;

		/* fchmodat2(AT_SYMLINK_NOFOLLOW) of a link: what the kernel answers */
		if (nofollow && fstat(obj, &st) == 0 && S_ISLNK(st.st_mode))
			op->ret = -EOPNOTSUPP;
		else
			op->ret = errno_or(chmod(p, no_setid_of(obj, (mode_t)A(op->rq->sys == JT_SYS_chmod ? 1 : 2))));
		break;
	}
	case 'o': {
		int u = op->rq->sys == JT_SYS_fchownat ? 2 : 1;

		op->ret = errno_or(fchownat(obj, "", (uid_t)A(u), (gid_t)A(u + 1),
					    AT_EMPTY_PATH));
		break;
	}
	case 't': {
		/* i386's truncate takes a signed 32-bit length, truncate64 one in two halves */
		off_t len = op->rq->sys == JT_SYS_truncate64 ? (off_t)(A(1) | A(2) << 32)
			  : op->rq->abi->reg_size == 4 ? (off_t)(int32_t)A(1) : (off_t)A(1);

		/* the tracer's own limit is not the program's: a length past the
		 * program's RLIMIT_FSIZE fails as the kernel fails it there */
		if (len > 0 && (rlim_t)len > fsize_of(op->t->tid)) {
			syscall(SYS_tgkill, op->t->tgid, op->t->tid, SIGXFSZ);
			op->ret = -EFBIG;
			break;
		}
		op->ret = errno_or(truncate(p, len));
		break;
	}
	case 'u': {
		struct timespec ts[2];
		uint64_t times = A(op->rq->sys == JT_SYS_utime || op->rq->sys == JT_SYS_utimes ? 1 : 2);

		if (times && read_times(op, times, ts) < 0) {
			op->ret = -EFAULT;
			break;
		}
		op->ret = errno_or(utimensat(AT_FDCWD, p, times ? ts : NULL, 0));
		break;
	}
	case 'f': {
		struct statfs sf;
		unsigned char out[JT_LAYOUT_MAX];
		int s64 = op->rq->sys == JT_SYS_statfs64;	/* (path, size, buf) */

		op->ret = errno_or(fstatfs(obj, &sf));
		if (op->ret == 0)
			op->ret = jt_layout_statfs(op->rq->abi, op->rq->sys, A(1), &sf, out);
		if (op->ret > 0)
			op->ret = jt_mem_write(op->run, op->t->tid, A(s64 ? 2 : 1), out, (size_t)op->ret);
		break;
	}
	}
	close(obj);
	return 0;
}

/* An attribute name as the kernel takes it: 1-255 bytes, else ERANGE. */
static int xattr_name(struct jt_op *op, uint64_t addr, char name[XATTR_NAME_MAX + 1])
{
	int cut;
	ssize_t n = jt_mem_string(op->run, op->t->tid, addr, name, XATTR_NAME_MAX + 1, &cut);

	if (n < 0)
		return (int)n;
	return cut || n == 0 ? -ERANGE : 0;
}

/* A value to set, copied once: over 64 KiB is E2BIG, as in the kernel. */
static int xattr_value_in(struct jt_op *op, uint64_t addr, size_t len, char *value)
{
	if (len > XATTR_SIZE_MAX)
		return -E2BIG;
	if (len && jt_mem_read(op->run, op->t->tid, addr, value, len) != (ssize_t)len)
		return -EFAULT;
	return 0;
}

/*
 * fchmod, fchown, fsetxattr, fremovexattr, futimens: on a descriptor the
 * program holds, which may be a read-only file it merely opened. The tracer
 * takes its own copy of that descriptor (so another thread's dup2 cannot
 * swap it afterwards), checks where its file lies, and does the call on it.
 */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL	/* Linux 6.9: a pidfd of the thread itself */
#endif

/*
 * The very open file description of @t's descriptor @fd, by pidfd_getfd.
 * A pidfd of a process reads its leader's table: not a thread's own (clone
 * without CLONE_FILES), nor any once the leader has exited. So a thread
 * gets a pidfd of its own where the kernel has them (6.9); else a thread
 * of its own table gets none, and EBADF of a leader's pidfd says nothing
 * of a thread's. @return the copy, -EBADF, or -ENOSYS: not to be had so.
 */
static int pidfd_copy(struct jt_run *run, struct jt_task *t, int fd)
{
#ifdef SYS_pidfd_getfd
	int pidfd, copy;

	if (!jt_kernel_has(&run->kernel, JT_FEAT_PIDFD_GETFD))
		return -ENOSYS;
	/* kept with the task: glibc's fstat comes here, often */
	if ((pidfd = t->pidfd - 1) < 0) {
		if (t->tid != t->tgid && (pidfd = (int)syscall(SYS_pidfd_open, t->tid, PIDFD_THREAD)) >= 0)
			t->flags |= JT_TASK_THREAD_PIDFD;
		else if (!(t->flags & JT_TASK_OWN_FILES))
			pidfd = (int)syscall(SYS_pidfd_open, t->tgid, 0);
		if (pidfd < 0)
			return -ENOSYS;
		t->pidfd = pidfd + 1;
	}
	copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (copy >= 0)
		return copy;
	if (errno == EBADF && (t->tid == t->tgid || (t->flags & JT_TASK_THREAD_PIDFD)))
		return -EBADF;
#else
	(void)run, (void)t, (void)fd;
#endif
	return -ENOSYS;
}

int jt_fs_fd_copy(struct jt_run *run, struct jt_task *t, int fd)
{
	char p[64];
	int copy, as, gone;

	if ((copy = pidfd_copy(run, t, fd)) != -ENOSYS)
		return copy;
	/* fetched for this call at its earlier stop */
	if ((copy = jt_fetched_take(t, fd)) != -ENOENT)
		return copy;
	as = jt_view_as_jail();	/* the sandbox's /proc/TID/fd is its user's */
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", t->tid, fd);
	copy = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (copy < 0 && errno == EISDIR)
		copy = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gone = copy < 0 && faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW | AT_EACCESS) < 0;
	jt_view_as_back(as);
	if (copy >= 0)
		return copy;
	/* a socket cannot be reopened: there, but out of the tracer's reach... */
	if (gone)
		return -EBADF;
	/* ... unless it is fetched over the handover pair (the first asked wins) */
	if (run->use_view && fd != run->chan_fd && !t->fetch_want)
		t->fetch_want = fd + 1;
	return -EACCES;
}

/*
 * A copy that is the program's very open file description, to pass on in
 * SCM_RIGHTS: a reopen through /proc would be another description (a
 * pipe's write end reopened as a read end, an offset or O_APPEND not
 * shared). pidfd_getfd, else fetched over the handover pair (each fetch
 * issues the call again: inject.c); without a view, where there is no
 * pair, the reopen is all there is.
 */
int jt_fs_fd_same(struct jt_run *run, struct jt_task *t, int fd)
{
	int copy;

	if ((copy = pidfd_copy(run, t, fd)) != -ENOSYS || !run->use_view)
		return copy != -ENOSYS ? copy : jt_fs_fd_copy(run, t, fd);
	if ((copy = jt_fetched_take(t, fd)) != -ENOENT)
		return copy;
	if (fd == run->chan_fd)
		return -EBADF;
	if (!t->fetch_want)
		t->fetch_want = fd + 1;
	return -EACCES;
}

static int fd_copy(struct jt_op *op, int fd)
{
	return jt_fs_fd_copy(op->run, op->t, fd);
}

int jt_op_fd_copy(struct jt_op *op, int fd)
{
	return fd_copy(op, fd);
}

/*
 * The facts of the tracer's copy @copy of a program's descriptor, for a
 * decision on its file: the longest grant holding it says whether it may
 * change, and as whom; op->path[0] is its inside path.
 */
static void fd_holder(struct jt_op *op, int copy)
{
	char host[PATH_MAX], inside[PATH_MAX], p[64];
	ssize_t n;

	proc_fd(p, sizeof(p), copy);
	n = readlink(p, host, sizeof(host) - 1);
	host[n > 0 ? n : 0] = '\0';
	op->facts.in_view = 1;
	op->facts.writable = 0;
	op->facts.rule = -1;
	if (host[0] == '/') {
		const struct jt_mount *holder = NULL;

		for (size_t i = 0, best = 0; i < op->run->view.n; i++) {
			const struct jt_mount *m = &op->run->view.m[i];
			size_t l = strlen(m->host);

			if ((m->flags & JT_MNT_LINK) || strncmp(host, m->host, l) ||
			    (host[l] && host[l] != '/') || l < best)
				continue;
			best = l;
			holder = m;
			op->facts.writable = (m->flags & JT_MNT_RW) != 0;
			op->facts.rule = m->rule;
		}
		/* none: a memfd or a socket, the program's own */
		holder ? jt_view_as(holder) : jt_view_as_jail();
		snprintf(op->path[0], sizeof(op->path[0]), "%s",
			 jt_view_inside_of(&op->run->view, host, inside, sizeof(inside)) >= 0 ? inside : host);
	} else {
		/* a pipe or a socket: nothing of the host to protect */
		op->facts.writable = 1;
	}
	if (op->facts.writable && op->run->n_guard) {
		struct stat st;

		if (fstat(copy, &st) == 0 && jt_guarded(op->run, &st)) {
			op->facts.writable = 0;
			op->facts.rule = -1;
			op->facts.part = JT_PART_OUTPUT;
		}
	}
}

int jt_fs_fdmeta(struct jt_op *op, int fd, char what)
{
	char p[64];
	int copy = fd_copy(op, fd), r, at;

	if (copy < 0)
		return result(op, copy);
	fd_holder(op, copy);
	if (!decide(op, JT_PATH_WRITE)) {
		close(copy);
		return 0;
	}
	/* fchmod, fchown, utimensat(fd, NULL): on the descriptor, as the kernel
	 * does (an O_PATH one is EBADF); fchmodat2, fchownat, utimensat with
	 * AT_EMPTY_PATH and "" (jt_fs_meta): on its file, as the kernel does,
	 * with their values one argument on */
	at = op->rq->sys == JT_SYS_fchmodat2 || op->rq->sys == JT_SYS_fchownat ||
	     ((op->rq->sys == JT_SYS_utimensat || op->rq->sys == JT_SYS_utimensat_time64) && A(1));
	proc_fd(p, sizeof(p), copy);
	switch (what) {
	case 'm':
		r = (int)errno_or(at ? chmod(p, no_setid_of(copy, (mode_t)A(2)))
				     : fchmod(copy, no_setid_of(copy, (mode_t)A(1))));
		break;
	case 'o':
		r = (int)errno_or(at ? fchownat(copy, "", (uid_t)A(2), (gid_t)A(3), AT_EMPTY_PATH)
				     : fchown(copy, (uid_t)A(1), (gid_t)A(2)));
		break;
	case 'u': {
		struct timespec ts[2];

		if (A(2) && read_times(op, A(2), ts) < 0)
			r = -EFAULT;
		else if (at)
			r = (int)errno_or(utimensat(copy, "", A(2) ? ts : NULL, AT_EMPTY_PATH));
		else
			r = (int)errno_or(futimens(copy, A(2) ? ts : NULL));
		break;
	}
	case 'x': {
		static char value[XATTR_SIZE_MAX];
		char name[XATTR_NAME_MAX + 1];
		size_t vlen = (size_t)A(3);

		if ((r = xattr_name(op, A(1), name)) == 0 &&
		    (r = xattr_value_in(op, A(2), vlen, value)) == 0)
			r = (int)errno_or(fsetxattr(copy, name, value, vlen, (int)A(4)));
		break;
	}
	default: {	/* 'r': fremovexattr */
		char name[XATTR_NAME_MAX + 1];

		if ((r = xattr_name(op, A(1), name)) == 0)
			r = (int)errno_or(fremovexattr(copy, name));
		break;
	}
	}
	close(copy);
	op->ret = r;
	return 0;
}

/*
 * The path the tracer hands a call that acts on the walk's object: its own
 * O_PATH descriptor, through /proc/self/fd/N, which the kernel follows to
 * the very inode checked. A link itself (the l* xattr calls, IN_DONT_FOLLOW)
 * cannot be named so (that would be the /proc link): it is named by its
 * entry in the checked directory, not followed, so a swap of that entry
 * only changes which entry of the same directory is reached.
 * @return 1 when @p names the link itself, 0 otherwise.
 */
static int object_path(struct jt_op *op, int obj, int nofollow, char *p, size_t len)
{
	struct stat st;

	if (nofollow && op->w[0].dirfd >= 0 && op->w[0].name[0] && fstat(obj, &st) == 0 &&
	    S_ISLNK(st.st_mode)) {
		snprintf(p, len, "/proc/self/fd/%d/%s", op->w[0].dirfd, op->w[0].name);
		return 1;
	}
	proc_fd(p, len, obj);
	return 0;
}

/*
 * getxattr, setxattr, listxattr, removexattr and their l* forms: resolved
 * in the view, performed by the tracer on the checked object. Reading is a
 * lookup; setting and removing change the file, so only a writable grant
 * allows them (EROFS elsewhere, as a read-only mount answers).
 */
int jt_fs_xattr(struct jt_op *op, uint64_t path, int nofollow, char what)
{
	static char buf[XATTR_SIZE_MAX > XATTR_LIST_MAX ? XATTR_SIZE_MAX : XATTR_LIST_MAX];
	char p[PATH_MAX], name[XATTR_NAME_MAX + 1];
	size_t size = (size_t)A(what == 'l' ? 2 : 3), cap;
	int r, obj, link;

	if ((r = read_path(op, 0, path)) < 0)
		return result(op, r);
	if ((r = walk(op, 0, AT_FDCWD, nofollow ? JT_WALK_NOFOLLOW : 0)) < 0)
		return walk_failed(op, 0, r);
	if (!decide(op, what == 'g' || what == 'l' ? JT_PATH_LOOKUP : JT_PATH_WRITE))
		return 0;
	if (what != 'l' && (r = xattr_name(op, A(1), name)) < 0)
		return op->ret = r, 0;
	if (what == 's' && (r = xattr_value_in(op, A(2), size, buf)) < 0)
		return op->ret = r, 0;
	if ((obj = object(op, 0, nofollow)) < 0)
		return op->ret = obj, 0;
	link = object_path(op, obj, nofollow, p, sizeof(p));
	cap = size < sizeof(buf) ? size : sizeof(buf);
	switch (what) {
	case 'g':
		op->ret = errno_or(link ? lgetxattr(p, name, cap ? buf : NULL, cap)
					: getxattr(p, name, cap ? buf : NULL, cap));
		break;
	case 'l':
		op->ret = errno_or(link ? llistxattr(p, cap ? buf : NULL, cap)
					: listxattr(p, cap ? buf : NULL, cap));
		break;
	case 's':
		op->ret = errno_or(link ? lsetxattr(p, name, buf, size, (int)A(4))
					: setxattr(p, name, buf, size, (int)A(4)));
		break;
	default:	/* 'r' */
		op->ret = errno_or(link ? lremovexattr(p, name) : removexattr(p, name));
		break;
	}
	close(obj);
	if ((what == 'g' || what == 'l') && op->ret > 0 && cap) {
		r = jt_mem_write(op->run, op->t->tid, A(what == 'l' ? 1 : 2), buf, (size_t)op->ret);
		if (r < 0)
			op->ret = r;
	}
	return 0;
}

/*
 * inotify_add_watch: the watch is added by the tracer, on its own copy of
 * the program's inotify descriptor (pidfd_getfd, Linux 5.6+, or fetched
 * over the handover pair before: an inotify instance cannot be reopened
 * through /proc), to the checked object. Events then name entries of a
 * directory the program may list anyway.
 */
int jt_fs_inotify(struct jt_op *op, int fd, uint64_t path, uint32_t mask)
{
	char p[PATH_MAX];
	int r, obj, copy, nofollow = (mask & IN_DONT_FOLLOW) != 0;

	if ((r = read_path(op, 0, path)) < 0)
		return result(op, r);
	if ((r = walk(op, 0, AT_FDCWD, nofollow ? JT_WALK_NOFOLLOW : 0)) < 0)
		return walk_failed(op, 0, r);
	if (!decide(op, JT_PATH_LOOKUP))
		return 0;
	/* what host processes do in a read-only grant is theirs to keep */
	if (!op->facts.writable)
		return refuse(op, EACCES, "watch-read-only");
	if (op->run->inotify_watches >= jt_inotify_watch_cap() && inotify_recount(op->run) &&
	    op->run->inotify_watches >= jt_inotify_watch_cap())
		return refuse(op, ENOSPC, "inotify-watches");
	if ((copy = fd_copy(op, fd)) < 0)
		return op->ret = copy, 0;
	if ((obj = object(op, 0, nofollow)) < 0) {
		close(copy);
		return op->ret = obj, 0;
	}
	if (!object_path(op, obj, nofollow, p, sizeof(p)))
		mask &= ~(uint32_t)IN_DONT_FOLLOW;	/* follow /proc/self/fd/N to the object */
	op->ret = errno_or(inotify_add_watch(copy, p, mask));
	if (op->ret >= 0)
		op->run->inotify_watches++;	/* or a watch changed: the recount knows */
	close(obj);
	close(copy);
	return 0;
}

/*
 * inotify_init, inotify_init1: instances count against the user's
 * fs.inotify.max_user_instances, shared with every process of that uid on
 * the host (root's: systemd's and udev's). The run may hold a few: each
 * allowed one is counted, and at the cap they are counted again in /proc,
 * where closed ones are gone. The kernel then makes it.
 */
int jt_fs_inotify_init(struct jt_op *op)
{
	struct jt_run *run = op->run;

	if (run->inotify_instances >= jt_inotify_instance_cap() && inotify_recount(run) &&
	    run->inotify_instances >= jt_inotify_instance_cap())
		return refuse(op, EMFILE, "inotify-instances");
	run->inotify_instances++;
	return to_kernel(op);
}

/*
 * epoll_ctl(EPOLL_CTL_ADD) (the filter leaves only these to the tracer):
 * each watch counts against the user's fs.epoll.max_user_watches, and an
 * event loop of the host (root's: systemd's) fails to add one past it.
 * The same rule as inotify's: counted as allowed, counted again at the cap.
 */
int jt_fs_epoll_add(struct jt_op *op)
{
	struct jt_run *run = op->run;

	if (run->epoll_watches >= jt_epoll_watch_cap()) {
		unsigned n;

		jt_anon_count(run, "anon_inode:[eventpoll]", "tfd:", &n, &run->epoll_watches);
		if (run->epoll_watches >= jt_epoll_watch_cap())
			return refuse(op, ENOSPC, "epoll-watches");
	}
	run->epoll_watches++;
	return to_kernel(op);
}

/* ---------------------------------------------- locks, leases and dnotify */

#define I386_F_SETLK64 13	/* fcntl64 only: struct flock64 */
#define I386_F_SETLKW64 14

int jt_fs_lock_cmd(const struct jt_request *rq)
{
	switch ((int)rq->args[1]) {
	case F_SETLK: case F_SETLKW: case F_OFD_SETLK: case F_OFD_SETLKW:
	case F_SETLEASE: case F_NOTIFY:
		return 1;
	case I386_F_SETLK64: case I386_F_SETLKW64:
		return rq->sys == JT_SYS_fcntl64;
	}
	return 0;
}

/* Answered without the kernel: no lock of the host's file is taken or dropped. */
static int not_taken(struct jt_op *op)
{
	op->v = (struct jt_verdict){ .allow = 1, .rule = -1, .builtin = "lock-not-taken" };
	op->ret = 0;
	return 0;
}

/* The inside path of the program's descriptor, for the record. */
static void fd_inside(struct jt_op *op, int fd)
{
	char p[64], host[PATH_MAX], inside[PATH_MAX];
	ssize_t n;

	jt_view_as_jail();
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", op->t->tid, fd);
	n = readlink(p, host, sizeof(host) - 1);
	if (n <= 0)
		return;
	host[n] = '\0';
	snprintf(op->path[0], sizeof(op->path[0]), "%s",
		 jt_view_inside_of(&op->run->view, host, inside, sizeof(inside)) >= 0 ? inside : host);
}

/*
 * A lock of @type (F_RDLCK, F_WRLCK) on a host file: a shared one is not
 * taken and succeeds. Inside the sandbox nothing can conflict with it (an
 * exclusive one is refused), so two sandboxed processes see what they
 * would see natively; the only one it would exclude is a host writer,
 * which it must not. An exclusive one is refused as a host answers that
 * cannot give it: EBADF on a descriptor not open for writing (what fcntl
 * answers, and flock over NFS), ENOLCK on one that is.
 */
static int host_lock(struct jt_op *op, int fd, int type)
{
	int flags = jt_fd_flags(op->t->tid, fd);

	if (flags < 0)
		return result(op, flags);
	fd_inside(op, fd);
	if (flags & O_PATH)
		return result(op, -EBADF);
	if (type == F_UNLCK)
		return not_taken(op);
	if (type == F_RDLCK)
		return (flags & O_ACCMODE) == O_WRONLY ? result(op, -EBADF) : not_taken(op);
	return refuse(op, (flags & O_ACCMODE) == O_RDONLY ? EBADF : ENOLCK, "lock-host-file");
}

/* Does @fd name a host file? 1 yes (handled: see op), 0 no (the kernel runs it). */
static int host_file(struct jt_op *op, int fd)
{
	int rule, r = jt_fd_host_file(op->run, op->t->tid, fd, &rule);

	if (r < 0)
		result(op, r);
	else if (r == 0)
		to_kernel(op);
	return r != 0;
}

/*
 * flock on a host file (outside every writable grant): a host process's
 * `flock -w` or lockf must not wait for the sandbox. See host_lock().
 */
int jt_fs_flock(struct jt_op *op, int fd, int how)
{
	if (!host_file(op, fd))
		return 0;
	switch (how & ~LOCK_NB) {
	case LOCK_SH: return host_lock(op, fd, F_RDLCK);
	case LOCK_EX: return host_lock(op, fd, F_WRLCK);
	case LOCK_UN: return host_lock(op, fd, F_UNLCK);
	}
	return result(op, -EINVAL);
}

/*
 * fcntl's locks, leases and dnotify on a host file. A lease (of either
 * kind) would make a host open or truncate of the file wait up to
 * lease-break-time, and report it: refused EACCES, as to a process that
 * does not own the file. dnotify reports what host processes do in a
 * directory: refused EINVAL, as a kernel without it answers. The kernel
 * runs them on the jail's files.
 */
int jt_fs_fcntl(struct jt_op *op, int fd, int cmd, uint64_t arg)
{
	short type;

	if (!host_file(op, fd))
		return 0;
	switch (cmd) {
	case F_SETLEASE:
		fd_inside(op, fd);
		if ((int)arg == F_UNLCK)
			return not_taken(op);
		if ((int)arg != F_RDLCK && (int)arg != F_WRLCK)
			return result(op, -EINVAL);
		return refuse(op, EACCES, "lease-host-file");
	case F_NOTIFY:
		fd_inside(op, fd);
		if ((uint32_t)arg == 0)
			return not_taken(op);
		return refuse(op, EINVAL, "dnotify-host-file");
	}
	/* a record lock: l_type is the first field of every layout (flock, flock64) */
	if (jt_mem_read(op->run, op->t->tid, arg, &type, sizeof(type)) != sizeof(type))
		return result(op, -EFAULT);
	if (type != F_RDLCK && type != F_WRLCK && type != F_UNLCK)
		return result(op, -EINVAL);
	return host_lock(op, fd, type);
}

/*
 * connect and bind: the address is read once; a unix path is resolved in the
 * view, and the tracer connects or binds the program's own socket (its copy
 * of the descriptor) to the checked inode through /proc/self/fd, so the
 * kernel resolves nothing the program wrote. Abstract names are the whole
 * host's: refused. Other families go to the kernel as read (socket() only
 * makes unix sockets without network rules).
 */
#include <sys/socket.h>
#include <sys/un.h>

/*
 * The kernel keeps the path a socket was bound with, which is the tracer's
 * "/proc/self/fd/N/NAME"; getsockname and getpeername give the inside path
 * back through this table (latest bind of a string wins).
 */
#define BOUND_MAX 256
static struct bound {
	char stored[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char inside[sizeof(((struct sockaddr_un *)0)->sun_path)];
} bound[BOUND_MAX];
static unsigned n_bound;

static void remember_bind(const char *stored, const char *inside)
{
	unsigned i;

	for (i = 0; i < n_bound && i < BOUND_MAX && strcmp(bound[i].stored, stored); i++)
		;
	if (i == BOUND_MAX)
		i = n_bound++ % BOUND_MAX;
	else if (i == n_bound)
		n_bound++;
	snprintf(bound[i].stored, sizeof(bound[i].stored), "%s", stored);
	snprintf(bound[i].inside, sizeof(bound[i].inside), "%.*s", (int)sizeof(bound[i].inside) - 1, inside);
}

int jt_fs_sockname(struct jt_op *op, int fd, uint64_t addr, uint64_t lenp, int peer)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa), want;
	int copy = fd_copy(op, fd), r;

	result(op, 0);
	if (copy < 0)
		return result(op, copy == -EBADF ? -EBADF : -ENOTSOCK);
	memset(&sa, 0, sizeof(sa));
	r = peer ? getpeername(copy, (struct sockaddr *)&sa, &len) : getsockname(copy, (struct sockaddr *)&sa, &len);
	close(copy);
	if (r < 0)
		return result(op, -errno);
	if (sa.sun_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path) &&
	    !strncmp(sa.sun_path, "/proc/self/fd/", 14)) {
		for (unsigned i = 0; i < n_bound && i < BOUND_MAX; i++)
			if (!strcmp(bound[i].stored, sa.sun_path)) {
				snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", bound[i].inside);
				len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa.sun_path) + 1);
				break;
			}
	}
	if (jt_mem_read(op->run, op->t->tid, lenp, &want, sizeof(want)) != sizeof(want))
		return result(op, -EFAULT);
	if ((r = jt_mem_write(op->run, op->t->tid, addr, &sa, want < len ? want : len)) < 0 ||
	    (r = jt_mem_write(op->run, op->t->tid, lenp, &len, sizeof(len))) < 0)
		return result(op, r);
	return result(op, 0);
}

static int socket_grant(const struct jt_policy *p, int rule)
{
	for (size_t i = 0; rule >= 0 && i < p->n_grants; i++)
		if (p->grants[i].rule == rule && p->grants[i].socket)
			return 1;
	return 0;
}

/* The abstract namespace is the host's (X11, D-Bus, systemd...): refused. */
static int abstract(struct jt_op *op)
{
	op->facts.in_view = 1;
	op->v = (struct jt_verdict){ .allow = 0, .err = EACCES, .rule = -1, .builtin = "abstract-unix" };
	op->ret = -EACCES;
	return 0;
}

/*
 * The socket the walk found, for a connect or a datagram sent to it: an
 * O_PATH descriptor, whose /proc/self/fd/N the kernel is given instead of
 * the program's path. @return it, or -1 with the answer in @op.
 */
static int peer_socket(struct jt_op *op)
{
	struct stat st;
	int obj = object(op, 0, 0);

	/* a host socket in a read-only grant is a service of the host
	 * (docker.sock, a database, /dev/log): reached only through `net unix` */
	if (obj >= 0 && !op->facts.writable && !socket_grant(op->run->policy, op->facts.rule)) {
		close(obj);
		op->v = (struct jt_verdict){ .allow = 0, .err = ECONNREFUSED, .rule = -1,
					     .builtin = "unix-socket-not-granted" };
		op->ret = -ECONNREFUSED;
		return -1;
	}
	if (obj < 0 || fstat(obj, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		if (obj >= 0)
			close(obj);
		result(op, obj < 0 ? obj : -ECONNREFUSED);
		return -1;
	}
	return obj;
}

int jt_fs_unix_sock(struct jt_op *op, int fd, const struct sockaddr_un *sap, socklen_t len,
		    int is_bind)
{
	struct sockaddr_un sa;
	struct sockaddr_un to = { .sun_family = AF_UNIX };
	socklen_t plen;
	int copy, r, fl, obj = -1;

	if (len < sizeof(sa_family_t) || len > sizeof(sa))
		return result(op, -EINVAL);
	memset(&sa, 0, sizeof(sa));
	memcpy(&sa, sap, len);
	plen = len - (socklen_t)offsetof(struct sockaddr_un, sun_path);
	if (plen > 0 && sa.sun_path[0] == '\0')
		return abstract(op);
	copy = fd_copy(op, fd);
	if (copy < 0)
		return result(op, copy == -EBADF ? -EBADF : -EACCES);
	if (plen == 0) {
		/* autobind: an abstract name the kernel picks */
		op->ret = errno_or(bind(copy, (struct sockaddr *)&sa, len));
		close(copy);
		return result(op, op->ret);
	}
	memcpy(op->path[0], sa.sun_path, strnlen(sa.sun_path, plen));
	op->path[0][strnlen(sa.sun_path, plen)] = '\0';
	r = walk(op, 0, AT_FDCWD, is_bind ? (JT_WALK_CREATE | JT_WALK_NOFOLLOW) : 0);
	if (r < 0) {
		close(copy);
		return walk_failed(op, 0, r);
	}
	if (!decide(op, is_bind ? JT_PATH_CREATE : JT_PATH_LOOKUP)) {
		close(copy);
		return 0;
	}
	if (is_bind) {
		if (op->w[0].exists || op->w[0].dirfd < 0) {
			close(copy);
			return result(op, op->w[0].exists ? -EADDRINUSE : -EROFS);
		}
		if ((r = jail_full(op, 0)) < 0) {
			close(copy);
			return result(op, r);
		}
		if (snprintf(to.sun_path, sizeof(to.sun_path), "/proc/self/fd/%d/%s", op->w[0].dirfd,
			     op->w[0].name) >= (int)sizeof(to.sun_path)) {
			close(copy);
			return result(op, -ENAMETOOLONG);
		}
	} else if ((obj = peer_socket(op)) < 0) {
		close(copy);
		return 0;
	} else {
		snprintf(to.sun_path, sizeof(to.sun_path), "/proc/self/fd/%d", obj);
	}
	if (is_bind) {
		mode_t old = umask(umask_of(op->t->tid));

		op->ret = errno_or(bind(copy, (struct sockaddr *)&to, sizeof(to)));
		umask(old);
		if (op->ret == 0)
			remember_bind(to.sun_path, op->path[0]);	/* named back as it was bound */
	} else {
		/* never block the tracer: a full backlog answers EAGAIN */
		fl = fcntl(copy, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK))
			fcntl(copy, F_SETFL, fl | O_NONBLOCK);
		op->ret = errno_or(connect(copy, (struct sockaddr *)&to, sizeof(to)));
		if (fl >= 0 && !(fl & O_NONBLOCK))
			fcntl(copy, F_SETFL, fl);
		if (op->ret == -EINPROGRESS && !(fl & O_NONBLOCK))
			op->ret = -EAGAIN;
		close(obj);
	}
	close(copy);
	return 0;
}

/*
 * The address of a datagram (sendto, sendmsg, sendmmsg on a unix datagram
 * socket, SOCK_RAW's too) under the view: resolved, decided and refused as
 * connect's is, so a datagram reaches what a connect could, and no socket of
 * the host outside the view (/dev/log, journald's, an abstract name).
 */
int jt_fs_unix_dest(struct jt_run *run, struct jt_task *t, const void *addr, socklen_t len,
		    struct sockaddr_un *to, struct jt_fs_result *res)
{
	struct jt_op *op = calloc(1, sizeof(*op));
	struct sockaddr_un sa;
	socklen_t plen = len - (socklen_t)offsetof(struct sockaddr_un, sun_path);
	int obj = -1, r;

	if (!op) {
		res->ret = -ENOMEM;
		return -1;
	}
	op->run = run;
	op->t = t;
	op->res = res;
	op->inject_fd = -1;
	op->w[0].dirfd = op->w[0].fd = op->w[1].dirfd = op->w[1].fd = -1;
	op->facts.rule = -1;
	res->path[0] = '\0';
	memset(&sa, 0, sizeof(sa));
	memcpy(&sa, addr, len < sizeof(sa) ? len : sizeof(sa));
	if (len <= offsetof(struct sockaddr_un, sun_path) || len > sizeof(sa)) {
		result(op, -EINVAL);	/* as the kernel answers an unnamed or long address */
	} else if (sa.sun_path[0] == '\0') {
		abstract(op);
	} else {
		memcpy(op->path[0], sa.sun_path, strnlen(sa.sun_path, plen));
		op->path[0][strnlen(sa.sun_path, plen)] = '\0';
		r = walk(op, 0, AT_FDCWD, 0);
		if (r < 0)
			walk_failed(op, 0, r);
		else if (decide(op, JT_PATH_LOOKUP))
			obj = peer_socket(op);
	}
	if (obj >= 0) {
		memset(to, 0, sizeof(*to));
		to->sun_family = AF_UNIX;
		snprintf(to->sun_path, sizeof(to->sun_path), "/proc/self/fd/%d", obj);
	}
	res->verdict = op->v;
	res->ret = obj >= 0 ? 0 : op->ret;
	if (op->path[0][0])
		snprintf(res->path, sizeof(res->path), "%s", op->w[0].inside ? op->w[0].inside : op->path[0]);
	jt_walk_done(&op->w[0]);
	free(op);
	return obj;
}

