/*
 * The walk: a stack of directories from the view's root down to where the
 * path has reached, each a descriptor the tracer holds (or a synthetic
 * directory of the view), and a queue of components still to do. A
 * symbolic link replaces its component by the link's text; ".." pops the
 * stack, so it goes to the parent of where a link led, as in the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include "tracer/path.h"

struct level {
	int fd;			/* -1: synthetic */
	int owned;		/* close it when popped */
	size_t len;		/* length of the inside path at this level */
	const struct jt_mount *mount;
};

struct walk {
	const struct jt_view *v;
	const struct jt_walk_ctx *ctx;
	struct level *lv;
	size_t depth, cap;
	char *inside;		/* inside path of the top level */
	size_t len, inside_cap;
	char *todo;		/* components still to resolve, '/'-separated */
	size_t pos;
	int links;
};

static void pop(struct walk *k)
{
	struct level *l = &k->lv[k->depth - 1];

	if (l->owned)
		close(l->fd);
	k->depth--;
	k->len = k->depth ? k->lv[k->depth - 1].len : 1;
	k->inside[k->len] = '\0';
}

static int push(struct walk *k, int fd, int owned, const char *name, const struct jt_mount *m)
{
	size_t n = strlen(name), need = k->len + 1 + n + 1;

	if (need > JT_WALK_MAX_PATH) {
		if (owned)
			close(fd);
		return -ENAMETOOLONG;
	}
	if (k->depth == k->cap) {
		struct level *nl = realloc(k->lv, (k->cap = k->cap ? 2 * k->cap : 16) * sizeof(*nl));

		if (!nl) {
			if (owned)
				close(fd);
			return -ENOMEM;
		}
		k->lv = nl;
	}
	if (need > k->inside_cap) {
		char *ni = realloc(k->inside, k->inside_cap = need * 2);

		if (!ni) {
			if (owned)
				close(fd);
			return -ENOMEM;
		}
		k->inside = ni;
	}
	if (k->depth > 0) {	/* the root level is "/" itself */
		if (k->len > 1)
			k->inside[k->len++] = '/';
		memcpy(k->inside + k->len, name, n);
		k->len += n;
		k->inside[k->len] = '\0';
	}
	k->lv[k->depth++] = (struct level){ fd, owned, k->len, m };
	return 0;
}

/* Back to the view's root, for a path or a link target that is absolute. */
static int to_root(struct walk *k)
{
	const struct jt_mount *m;

	while (k->depth)
		pop(k);
	k->len = 1;
	strcpy(k->inside, "/");
	m = jt_view_mount(k->v, "/", 1);
	return push(k, m && (m->flags & JT_MNT_DIR) ? m->fd : -1, 0, "", m);
}

/* The components still to do become @text + "/" + the rest. */
static int prepend(struct walk *k, const char *text)
{
	size_t tl = strlen(text), rest = strlen(k->todo + k->pos);
	char *n = malloc(tl + 1 + rest + 1);

	if (!n)
		return -ENOMEM;
	memcpy(n, text, tl);
	n[tl] = '/';
	memcpy(n + tl + 1, k->todo + k->pos, rest + 1);
	free(k->todo);
	k->todo = n;
	k->pos = 0;
	return 0;
}

/*
 * "." and ".." are looked up in the directory the walk is at: as in the
 * kernel (may_lookup), that needs its search permission, as whom the walk
 * works. A synthetic directory of the view has it. @return 0 or -EACCES.
 */
static int searchable(const struct walk *k)
{
	int fd = k->depth ? k->lv[k->depth - 1].fd : -1;

	return fd >= 0 && faccessat(fd, ".", X_OK, AT_EACCESS) < 0 && errno == EACCES ? -EACCES : 0;
}

/* Does @path end in "." ("d/.", ".", "d/./"): a last name the walk does not step to? */
static int ends_in_dot(const char *path)
{
	size_t n = strlen(path);

	while (n > 0 && path[n - 1] == '/')
		n--;
	return n > 0 && path[n - 1] == '.' && (n == 1 || path[n - 2] == '/');
}

/* The next component into @name; 0 at the end. Empty and "." are skipped
 * (a "." once the directory it names is found searchable). */
static int next(struct walk *k, char *name)
{
	for (;;) {
		const char *s = k->todo + k->pos, *e;
		size_t n;

		while (*s == '/')
			s++;
		if (!*s) {
			k->pos = (size_t)(s - k->todo);
			return 0;
		}
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		k->pos = (size_t)(e - k->todo);
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		if (n == 1 && s[0] == '.') {
			int r = searchable(k);

			if (r < 0)
				return r;
			continue;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		return 1;
	}
}

static int is_last(const struct walk *k)
{
	const char *s = k->todo + k->pos;

	/* trailing "/" and "." components do not make a component last-but-one */
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			return 1;
		if (s[0] == '.' && (s[1] == '/' || !s[1])) {
			s++;
			continue;
		}
		return 0;
	}
}

/* A slash after the last name ("dir/") asks for a directory. */
static int wants_dir(const char *path)
{
	size_t n = strlen(path);

	while (n > 0 && path[n - 1] == '.' && (n == 1 || path[n - 2] == '/'))
		n--;
	return n > 0 && path[n - 1] == '/';
}

static int finish(struct walk *k, struct jt_walk *w, int dirfd, const char *name,
		  const struct jt_mount *m, int fd, int exists, int is_link, int is_dir)
{
	size_t n = strlen(name);

	w->name = strdup(name);
	w->inside = malloc(k->len + 1 + n + 1);
	if (!w->name || !w->inside)
		return -ENOMEM;
	memcpy(w->inside, k->inside, k->len + 1);
	if (n) {
		size_t at = k->len > 1 ? k->len : 0;

		w->inside[at] = '/';
		memcpy(w->inside + at + 1, name, n + 1);
	}
	w->mount = m;
	jt_view_as(m);	/* what is done with the result, as its grant's identity */
	if (dirfd >= 3 && k->depth && k->lv[k->depth - 1].fd == dirfd && k->lv[k->depth - 1].owned) {
		/* the walk's own top directory, about to be closed: taken, not copied */
		k->lv[k->depth - 1].owned = 0;
		w->dirfd = dirfd;
	} else if (m && dirfd >= 0 && dirfd == m->fd) {
		/* the grant's root: its descriptor lasts the run, no copy needed */
		w->dirfd = dirfd;
		w->dirfd_borrowed = 1;
	} else {
		w->dirfd = dirfd >= 0 ? fcntl(dirfd, F_DUPFD_CLOEXEC, 3) : -1;
		if (dirfd >= 0 && w->dirfd < 0)
			return -errno;
	}
	w->fd = fd;
	w->exists = exists;
	w->is_link = is_link;
	w->is_dir = is_dir;
	return 0;
}

/* /proc/PID of the sandbox: the host's directory, read-only, links read back inside. */
static const struct jt_mount proc_mount = {
	.inside = "/proc", .len = 5, .host = "/proc", .fd = -1,
	.flags = JT_MNT_DIR | JT_MNT_PROC, .rule = -1,
};

static int is_number(const char *s)
{
	if (!*s || *s == '0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int jt_proc_link_text(const char *name, pid_t tgid, pid_t tid, char *out, size_t len)
{
	/* /proc/net and /proc/mounts are the host's links to self/net, self/mounts */
	if (!strcmp(name, "self"))
		snprintf(out, len, "%d", (int)tgid);
	else if (!strcmp(name, "thread-self"))
		snprintf(out, len, "%d/task/%d", (int)tgid, (int)tid);
	else if (!strcmp(name, "net") || !strcmp(name, "mounts"))
		snprintf(out, len, "self/%s", name);
	else
		return -ENOENT;
	return 0;
}

/*
 * A name under "/proc": "self" and "thread-self" are links to the caller's
 * entries, a number is a process of the sandbox or nothing. @return 2 when
 * not handled here, else as step().
 */
static int proc_name(struct walk *k, const char *name, int last, unsigned flags, struct jt_walk *w)
{
	char text[64], host[NAME_MAX + 16];
	int fd;

	if (!k->ctx || strcmp(k->inside, "/proc"))
		return 2;
	if (jt_proc_link_text(name, k->ctx->tgid, k->ctx->tid, text, sizeof(text)) == 0) {
		if (last && (flags & JT_WALK_NOFOLLOW))
			return finish(k, w, -1, name, &proc_mount, -1, 1, 1, 0) ?: 0;
		if (++k->links > JT_WALK_MAX_LINKS)
			return -ELOOP;
		return prepend(k, text) ?: 1;
	}
	if (!is_number(name))
		return 2;
	if (!k->ctx->inside(k->ctx->arg, (pid_t)atoi(name))) {
		w->denied = 1;
		return -ENOENT;
	}
	snprintf(host, sizeof(host), "/proc/%s", name);
	fd = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	if (last) {
		/* the answer is the directory itself */
		int r = finish(k, w, -1, name, &proc_mount, -1, 1, 0, 1);

		w->fd_owned = fd;
		w->fd = fd;
		return r ?: 0;
	}
	return push(k, fd, 1, name, &proc_mount) ?: 1;
}

/* The slaves of the sandbox's ptys and its terminal: devices, read and written. */
static const struct jt_mount pts_mount = {
	.inside = "/dev/pts", .len = 8, .host = "/dev/pts", .fd = -1,
	.flags = JT_MNT_RW | JT_MNT_JAIL, .rule = -1,	/* the sandbox's terminals: its user's */
};

/* A pty number: digits, no sign, no leading zero but "0" itself. */
static int pty_number(const char *s, unsigned *n)
{
	unsigned long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (unsigned)(*s - '0')) > 0xfffff)
			return 0;
	}
	*n = (unsigned)v;
	return 1;
}

/*
 * "/dev/pts/N" is the slave of one of the sandbox's ptys, or nothing (the
 * host's terminals are not in the view); "/dev/tty" is the caller's
 * controlling terminal when that is one of them, else ENXIO as for a
 * process without one. Both are entries held by the tracer (ptys.c),
 * never looked up by name. @return 2 when not handled here, else as step().
 */
static int pts_name(struct walk *k, const char *name, int last, struct jt_walk *w)
{
	unsigned n;
	int fd, r;

	if (!k->ctx || !k->ctx->pty)
		return 2;
	if (!strcmp(k->inside, "/dev") && !strcmp(name, "tty")) {
		if ((fd = k->ctx->ctty(k->ctx->arg, k->ctx->tid)) < 0)
			return -ENXIO;
	} else if (!strcmp(k->inside, "/dev/pts") && pty_number(name, &n)) {
		if ((fd = k->ctx->pty(k->ctx->arg, n)) < 0) {
			w->denied = 1;
			return -ENOENT;
		}
	} else {
		return 2;
	}
	if (!last) {
		close(fd);
		return -ENOTDIR;
	}
	r = finish(k, w, -1, name, &pts_mount, fd, 1, 0, 0);
	w->fd_owned = fd;
	return r ?: 0;
}

int jt_proc_link_inside(const struct jt_view *v, const struct jt_walk_ctx *ctx,
			const char *dir, const char *name, const char *text, char *out, size_t len)
{
	size_t sl = ctx && ctx->skeleton ? strlen(ctx->skeleton) : 0;
	unsigned n;
	int fd;

	if (!strcmp(name, "root")) {
		snprintf(out, len, "/");
		return 0;
	}
	if (!strcmp(name, "cwd") && ctx && ctx->cwd_of) {
		/* the cwd the tracer keeps: the kernel's is not the program's */
		const char *c = ctx->cwd_of(ctx->arg, (pid_t)atoi(dir + 6));

		if (c) {
			snprintf(out, len, "%s", c);
			return 0;
		}
	}
	if (text[0] != '/') {
		snprintf(out, len, "%s", text);
		return 0;
	}
	if (jt_view_inside_of(v, text, out, len) >= 0)
		return 0;
	if (!strncmp(text, "/proc/", 6) && ctx && ctx->inside && ctx->inside(ctx->arg, (pid_t)atoi(text + 6))) {
		snprintf(out, len, "%s", text);	/* a process of the sandbox: the same path inside */
		return 0;
	}
	if (!strncmp(text, "/dev/pts/", 9) && ctx && ctx->pty && pty_number(text + 9, &n) &&
	    (fd = ctx->pty(ctx->arg, n)) >= 0) {
		/* a slave of the sandbox's: the same path inside (ttyname) */
		close(fd);
		snprintf(out, len, "%s", text);
		return 0;
	}
	if (sl && !strncmp(text, ctx->skeleton, sl) && (!text[sl] || text[sl] == '/')) {
		snprintf(out, len, "%s", text[sl] ? text + sl : "/");
		return 0;
	}
	return -ENOENT;
}

/*
 * A memfd's link text looks like a path ("/memfd:NAME (deleted)") but names
 * no file of the host: it is the object itself, like a pipe. Only a file
 * no directory holds (no link left) counts.
 */
int jt_proc_is_memfd(int dirfd, const char *name, const char *text)
{
	size_t n = strlen(text);
	struct stat st;

	return !strncmp(text, "/memfd:", 7) && n > 17 && !strcmp(text + n - 10, " (deleted)") &&
	       fstatat(dirfd, name, &st, 0) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0;
}

/*
 * A link under /proc/PID (exe, cwd, root, fd/N): the kernel's text is a
 * host path; it is read back into the view. What is not a path (a pipe, a
 * socket) is the object itself, as the last component only.
 */
static int proc_link(struct walk *k, int linkfd, const char *name, int last, struct jt_walk *w)
{
	char text[PATH_MAX], inside[PATH_MAX];
	ssize_t n = readlinkat(linkfd, "", text, sizeof(text) - 1);
	struct level *top = &k->lv[k->depth - 1];
	int fd;

	if (n < 0)
		return -errno;
	text[n] = '\0';
	if (text[0] != '/' || jt_proc_is_memfd(top->fd, name, text)) {
		if (!last)
			return -ENOTDIR;
		fd = openat(top->fd, name, O_PATH | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		{
			int r = finish(k, w, -1, name, &proc_mount, -1, 1, 0, 0);

			w->fd_owned = fd;
			w->fd = fd;
			return r ?: 0;
		}
	}
	if (jt_proc_link_inside(k->v, k->ctx, k->inside, name, text, inside, sizeof(inside)) < 0) {
		w->denied = 1;
		return -ENOENT;
	}
	if (++k->links > JT_WALK_MAX_LINKS)
		return -ELOOP;
	if (to_root(k) < 0)
		return -ENOMEM;
	return prepend(k, inside) ?: 1;
}

/*
 * A directory below /proc/PID/net (dev_snmp6/, stat/, netfilter/...): its
 * entries name the host's interfaces and tables; the sandbox has none.
 */
static int proc_net_hidden(const struct walk *k, const struct level *top, mode_t mode)
{
	return S_ISDIR(mode) && top->mount && (top->mount->flags & JT_MNT_PROC) &&
	       jt_procfs_net_dir(k->inside);
}

/*
 * Names known to be absent from a jail directory on the way to a grant
 * (/tmp/x when x/y is granted): looking there is the jail user's to do, two
 * identity switches there and back, about 8 us on every call whose path
 * passes by. A name is remembered with the directory's change time
 * (ctime: every entry made, removed or renamed in it sets it, and no call
 * can set it back), and trusted while that has not moved: one fstat, no
 * switch. Only when that time is well in the past, as the clock the kernel
 * stamps with is coarse: a change in the same tick could leave it as it was.
 * And only a time with digits below the millisecond: a file system that
 * keeps whole seconds (ext4 of 128-byte inodes, ext3) or two (FAT) stamps
 * a change a second later with the same time, so there a time says nothing.
 */
#define ABSENT_MAX 16
#define ABSENT_SETTLED_NS 200000000LL
static struct absent {
	dev_t dev;
	ino_t ino;
	struct timespec ctim;
	char name[64];
} absent[ABSENT_MAX];
static unsigned absent_next;

static int absent_slot(const struct stat *st, const char *name)
{
	for (int i = 0; i < ABSENT_MAX; i++)
		if (absent[i].dev == st->st_dev && absent[i].ino == st->st_ino && absent[i].name[0] &&
		    !strcmp(absent[i].name, name))
			return i;
	return -1;
}

/* Is @name known absent from directory @dirfd (its stat in *@st)? */
static int absent_known(int dirfd, const char *name, struct stat *st)
{
	int i;

	if (fstat(dirfd, st) < 0) {
		st->st_ino = 0;
		return 0;
	}
	i = absent_slot(st, name);
	return i >= 0 && absent[i].ctim.tv_sec == st->st_ctim.tv_sec &&
	       absent[i].ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* @name was not found in the directory whose stat, taken before looking, is *@st. */
static void absent_note(const struct stat *st, const char *name)
{
	struct timespec now;
	int i;

	if (!st->st_ino || strlen(name) >= sizeof(absent[0].name) ||
	    st->st_ctim.tv_nsec % 1000000 == 0 || clock_gettime(CLOCK_REALTIME, &now) < 0 ||
	    (now.tv_sec - st->st_ctim.tv_sec) * 1000000000LL + (now.tv_nsec - st->st_ctim.tv_nsec) <
		    ABSENT_SETTLED_NS)
		return;
	if ((i = absent_slot(st, name)) < 0)
		i = (int)(absent_next++ % ABSENT_MAX);
	absent[i].dev = st->st_dev;
	absent[i].ino = st->st_ino;
	absent[i].ctim = st->st_ctim;
	snprintf(absent[i].name, sizeof(absent[i].name), "%s", name);
}

/* One name below the top level. @return 1 to go on, 0 when done, -errno. */
static int step(struct walk *k, const char *name, unsigned flags, int want_dir,
		struct jt_walk *w)
{
	struct level *top = &k->lv[k->depth - 1];
	int last = is_last(k);
	size_t at = k->len > 1 ? k->len : 0, n = strlen(name);
	char *cand = malloc(at + 1 + n + 1);
	const struct jt_mount *m;
	struct stat st;
	int fd, r, anc;

	if (!cand)
		return -ENOMEM;
	memcpy(cand, k->inside, at);
	cand[at] = '/';
	memcpy(cand + at + 1, name, n + 1);
	m = jt_view_mount(k->v, cand, at + 1 + n);
	anc = !m && jt_view_is_ancestor(k->v, cand, at + 1 + n);
	if (anc && top->fd >= 0 && top->mount && (top->mount->flags & JT_MNT_JAIL) &&
	    absent_known(top->fd, name, &st)) {
		/* on the way to a grant, where the jail has nothing of that name */
		free(cand);
		if (last)
			return finish(k, w, -1, name, NULL, -1, 1, 0, 1) ?: 0;
		return push(k, -1, 0, name, NULL) ?: 1;
	}
	jt_view_as(top->mount);	/* looked up as the grant's identity */
	r = proc_name(k, name, last, flags, w);
	if (r == 2)
		r = pts_name(k, name, last, w);
	if (r != 2) {
		free(cand);
		return r;
	}
	if (anc) {
		/* a directory on the way to a grant below; a real one, if there is one, wins */
		/* (st: the directory as absent_known saw it above, before this look) */
		int jail = top->fd >= 0 && top->mount && (top->mount->flags & JT_MNT_JAIL);

		fd = top->fd < 0 ? -1 : openat(top->fd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && jail)
			absent_note(&st, name);
		free(cand);
		if (fd >= 0) {
			if (last) {
				close(fd);
				return finish(k, w, top->fd, name, top->mount, -1, 1, 0, 1) ?: 0;
			}
			return push(k, fd, 1, name, top->mount) ?: 1;
		}
		if (last)
			return finish(k, w, -1, name, NULL, -1, 1, 0, 1) ?: 0;
		return push(k, -1, 0, name, NULL) ?: 1;
	}
	free(cand);

	if (m && (m->flags & JT_MNT_LINK)) {
		if (last && (flags & JT_WALK_NOFOLLOW))
			return finish(k, w, -1, name, m, -1, 1, 1, 0) ?: 0;
		if (++k->links > JT_WALK_MAX_LINKS)
			return -ELOOP;
		if (m->link[0] == '/' && (r = to_root(k)) < 0)
			return r;
		return prepend(k, m->link) ?: 1;
	}
	if (m && !(m->flags & JT_MNT_DIR)) {
		/* a single granted file: nothing below it */
		if (!last)
			return -ENOTDIR;
		return finish(k, w, -1, name, m, m->fd, 1, 0, 0) ?: 0;
	}
	if (m) {
		int mfd = jt_mount_fd(m);

		if (mfd < 0 && (m->flags & JT_MNT_LAZY))
			return -errno;
		if (last)
			return finish(k, w, -1, name, m, mfd, 1, 0, 1) ?: 0;
		return push(k, mfd, 0, name, m) ?: 1;
	}
	if (top->fd < 0) {
		/* not in the view; a synthetic directory takes no new entries */
		if (last && (flags & JT_WALK_CREATE))
			return finish(k, w, -1, name, NULL, -1, 0, 0, 0) ?: 0;
		w->denied = 1;
		return -ENOENT;
	}

	if (last) {
		/* the last name needs no descriptor of its own unless it is a link:
		 * one fstatat, not openat, fstat and close */
		r = fstatat(top->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
		if (r == -ENOENT && (flags & JT_WALK_CREATE))
			return finish(k, w, top->fd, name, top->mount, -1, 0, 0, 0) ?: 0;
		if (r == -ENOENT)
			return r;
		if (r == 0 && !S_ISLNK(st.st_mode)) {
			if (proc_net_hidden(k, top, st.st_mode)) {
				w->denied = 1;
				return -ENOENT;
			}
			if (want_dir && !S_ISDIR(st.st_mode))
				return -ENOTDIR;
			w->mode = st.st_mode;
			w->st = st;
			return finish(k, w, top->fd, name, top->mount, -1, 1, 0, S_ISDIR(st.st_mode)) ?: 0;
		}
		/* a link, or another failure: as below, which says it as the walk always has */
	}
	fd = openat(top->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && last && (flags & JT_WALK_CREATE))
			return finish(k, w, top->fd, name, top->mount, -1, 0, 0, 0) ?: 0;
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t tl;

		if (last && (flags & JT_WALK_NOFOLLOW) && !want_dir) {
			close(fd);
			return finish(k, w, top->fd, name, top->mount, -1, 1, 1, 0) ?: 0;
		}
		if (top->mount && (top->mount->flags & JT_MNT_PROC)) {
			r = proc_link(k, fd, name, last, w);
			close(fd);
			return r;
		}
		tl = readlinkat(fd, "", target, sizeof(target) - 1);
		close(fd);
		if (tl < 0)
			return -errno;
		target[tl] = '\0';
		if (++k->links > JT_WALK_MAX_LINKS)
			return -ELOOP;
		if (tl == 0)
			return -ENOENT;
		/* a link target is read inside the view: "/" is the view's root */
		if (target[0] == '/' && (r = to_root(k)) < 0)
			return r;
		return prepend(k, target) ?: 1;
	}
	if (last) {
		close(fd);
		if (proc_net_hidden(k, top, st.st_mode)) {
			w->denied = 1;
			return -ENOENT;
		}
		if (want_dir && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		w->mode = st.st_mode;
		w->st = st;
		return finish(k, w, top->fd, name, top->mount, -1, 1, 0, S_ISDIR(st.st_mode)) ?: 0;
	}
	if (!S_ISDIR(st.st_mode) || proc_net_hidden(k, top, st.st_mode)) {
		close(fd);
		if (S_ISDIR(st.st_mode))
			w->denied = 1;
		return S_ISDIR(st.st_mode) ? -ENOENT : -ENOTDIR;
	}
	return push(k, fd, 1, name, top->mount) ?: 1;
}

/* ---------------------------------------------------------------- fast path */

/*
 * The directories before the last name, resolved by the kernel in one call
 * from the mount's descriptor, where no symbolic link may be followed and
 * nothing may lead out of it: what the walk's steps (O_PATH|O_NOFOLLOW,
 * each a directory, no link) would reach, without one openat and fstat
 * per directory. -1 when it cannot (any failure: the walk then finds the
 * precise answer itself).
 */
static int open_beneath(int dirfd, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
#ifdef SYS_openat2
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
#else
	(void)dirfd, (void)rel, (void)how;
	return -1;
#endif
}

/*
 * Where the fast path applies: the components are plain names (no ".",
 * "..", none too long), and every directory before the last lies inside one
 * granted directory below its root, no grant or synthetic directory on the
 * way after it, and not /proc. Sets *@m to that grant, @parent to the
 * parent's inside path, @rel to its part below the grant (both @cap
 * bytes) and *@last to the offset of the last name in the walk's todo.
 * @return 1 if it applies, 0 if not.
 */
static int fast_plan(const struct walk *k, const struct jt_mount **m, char *parent,
		     char *rel, size_t cap, size_t *last)
{
	const char *todo = k->todo, *s = todo;
	size_t pl = 0, rl = 0, names = 0;

	*m = k->lv[0].mount;
	for (;;) {
		const struct jt_mount *g;
		const char *e;
		size_t n;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (n > NAME_MAX || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		*last = (size_t)(s - todo);
		names++;
		s = e;
		while (*s == '/')
			s++;
		if (!*s)
			break;	/* that was the last name: the step does it */
		/* a directory on the way: where is it in the view? */
		if (pl + 1 + n + 1 > cap || rl + 1 + n + 1 > cap)
			return 0;
		parent[pl++] = '/';
		memcpy(parent + pl, todo + *last, n);
		pl += n;
		parent[pl] = '\0';
		if (names == 1 && !strcmp(parent, "/proc"))
			return 0;	/* /proc/PID and its links are the walk's */
		g = jt_view_mount(k->v, parent, pl);
		if (g) {
			if ((g->flags & (JT_MNT_LINK | JT_MNT_PROC)) || !(g->flags & JT_MNT_DIR))
				return 0;
			*m = g;
			rl = 0;
			continue;
		}
		/* a synthetic directory, or a real one with grants below: the walk's */
		if (!*m || jt_view_is_ancestor(k->v, parent, pl))
			return 0;
		if (rl)
			rel[rl++] = '/';
		memcpy(rel + rl, todo + *last, n);
		rl += n;
	}
	rel[rl] = '\0';
	return names >= 2 && *m && ((*m)->flags & JT_MNT_DIR) && (*m)->fd >= 0;
}

/*
 * The whole walk in two calls when it can: the parent directory by
 * open_beneath, then the last name by the walk's own step. A last name
 * that is a link to follow starts the walk over (its ".." would need the
 * directories skipped). @return 0 or -errno as jt_walk_ctx, 2 when the
 * walk must do it.
 */
static int fast_walk(struct walk *k, unsigned flags, int want_dir, struct jt_walk *w)
{
	const struct jt_mount *m;
	char parent[PATH_MAX], rel[PATH_MAX], name[NAME_MAX + 1];
	size_t last = 0;
	int fd, r;

	if (!k->ctx || !k->ctx->beneath || k->depth != 1 ||
	    !fast_plan(k, &m, parent, rel, sizeof(rel), &last))
		return 2;
	if (rel[0]) {
		/* as the grant's identity, as the walk's steps would: the jail's
		 * directories may be its user's alone (0700) */
		jt_view_as(m);
		fd = open_beneath(m->fd, rel);
		if (fd < 0)
			return 2;
	} else {
		fd = m->fd;	/* the parent is the grant's root, as the walk has it */
	}
	/* the parent as one level above the root: its inside path, its grant */
	r = push(k, fd, rel[0] != 0, parent + 1, m);
	if (r < 0)
		return r;
	k->pos = last;
	r = next(k, name);
	if (r <= 0)
		return r < 0 ? r : 2;
	r = step(k, name, flags, want_dir, w);
	return r == 1 ? 2 : r;
}

void jt_walk_done(struct jt_walk *w)
{
	if (w->dirfd >= 0 && !w->dirfd_borrowed)
		close(w->dirfd);
	if (w->fd_owned > 0)
		close(w->fd_owned);
	free(w->name);
	free(w->inside);
	memset(w, 0, sizeof(*w));
	w->dirfd = w->fd = -1;
}

/* The walk at the view's root, every name of @base + @path still to do. */
static int start(struct walk *k, const char *base, const char *path)
{
	while (k->depth)
		pop(k);
	free(k->todo);
	k->pos = 0;
	k->links = 0;
	if (path[0] == '/') {
		k->todo = strdup(path);
	} else {
		/* the base is itself an inside path: walk it too, links and all */
		size_t n = strlen(base) + 1 + strlen(path) + 1;

		if ((k->todo = malloc(n)))
			snprintf(k->todo, n, "%s/%s", base, path);
	}
	if (!k->todo)
		return -ENOMEM;
	return to_root(k);
}

int jt_walk(const struct jt_view *v, const char *base, const char *path, unsigned flags,
	    struct jt_walk *w)
{
	return jt_walk_ctx(v, NULL, base, path, flags, w);
}

int jt_walk_ctx(const struct jt_view *v, const struct jt_walk_ctx *ctx, const char *base,
		const char *path, unsigned flags, struct jt_walk *w)
{
	struct walk k = { .v = v, .ctx = ctx };
	char name[NAME_MAX + 1];
	int r, want_dir = wants_dir(path);

	memset(w, 0, sizeof(*w));
	w->dirfd = w->fd = -1;
	if (!*path)
		return -ENOENT;
	k.inside_cap = 256;
	k.inside = malloc(k.inside_cap);
	if (!k.inside) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = start(&k, base, path)) < 0)
		goto out;
	r = fast_walk(&k, flags, want_dir, w);
	if (r != 2)
		goto out;
	/* the walk from the start, one name at a time */
	if ((r = start(&k, base, path)) < 0)
		goto out;
	for (;;) {
		r = next(&k, name);
		if (r <= 0)
			break;
		if (!strcmp(name, "..")) {
			if ((r = searchable(&k)) < 0)
				break;
			if (k.depth > 1)
				pop(&k);
			if (!is_last(&k))
				continue;
			r = 0;
			break;
		}
		r = step(&k, name, flags, want_dir, w);
		if (r <= 0)
			goto out;
	}
	if (r < 0)
		goto out;
	/* the path ended at a directory on the stack ("/", "a/..", a mount root) */
	{
		struct level *top = &k.lv[k.depth - 1];
		const struct jt_mount *m = top->mount;
		int is_root = m && top->fd == m->fd && !top->owned;

		if (top->fd < 0 || is_root) {
			r = finish(&k, w, -1, "", top->fd < 0 ? NULL : m, top->fd, 1, 0, 1);
		} else {
			/* a real directory: answer with its parent and its name */
			size_t n = top->len;
			const char *slash = memrchr(k.inside, '/', n);
			char last[NAME_MAX + 1];
			size_t ln = slash ? n - (size_t)(slash - k.inside) - 1 : 0;

			memcpy(last, slash + 1, ln);
			last[ln] = '\0';
			pop(&k);
			r = finish(&k, w, k.lv[k.depth - 1].fd, last, k.lv[k.depth - 1].mount,
				   -1, 1, 0, 1);
		}
	}
out:
	if (r == 0 && ends_in_dot(path) && w->is_dir) {
		/* its "." was looked up in it: the search permission is its own */
		int fd = w->fd >= 0 ? w->fd : w->dirfd;
		const char *n = w->fd >= 0 || !w->name[0] ? "." : w->name;

		if (fd >= 0 && faccessat(fd, n, X_OK, AT_EACCESS) < 0 && errno == EACCES)
			r = -EACCES;
	}
	while (k.depth)
		pop(&k);
	free(k.lv);
	free(k.inside);
	free(k.todo);
	if (r < 0) {
		int denied = w->denied;

		jt_walk_done(w);
		w->denied = denied;
	}
	return r < 0 ? r : 0;
}
