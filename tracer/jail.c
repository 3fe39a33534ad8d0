/*
 * The jail, on the host side: one writable host directory per user (or a
 * fresh one per run, removed at the end); inside, its tmp/, home/, work/
 * and shm/ appear as /tmp, /home/sandbox, /work and /dev/shm. The view's
 * skeleton is in skeleton.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/random.h>
#include "tracer/fs.h"
#include "tracer/internal.h"

const char *jt_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && t[0] == '/' ? t : "/tmp";
}

/*
 * Directories the removal could not empty, by device and inode: it does not
 * go down into them again (what is left there cannot be removed by us).
 */
struct rm_stuck {
	struct { dev_t dev; ino_t ino; } *v;
	size_t n, cap;
};

static int rm_is_stuck(const struct rm_stuck *s, const struct stat *st)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
			return 1;
	return 0;
}

static void rm_mark_stuck(struct rm_stuck *s, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || rm_is_stuck(s, &st))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		void *v = realloc(s->v, cap * sizeof(*s->v));

		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].dev = st.st_dev;
	s->v[s->n].ino = st.st_ino;
	s->n++;
}

/* A directory entry, opened to go down into it, made searchable first if its
 * mode (the program chose it) keeps us out. */
static int rm_open_dir(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == EACCES && fchmodat(at, name, 0700, 0) == 0)
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/*
 * One pass over directory @fd: every entry that is not a directory is
 * unlinked, an empty directory removed. @return a descriptor of the first
 * directory that is not empty (to go down into), or -1 when none is left
 * that we could enter.
 */
static int rm_pass(int fd, dev_t dev, const struct rm_stuck *stuck)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0), sub = -1;
	struct dirent *e;
	DIR *d;

	if (dup_fd < 0)
		return -1;
	if (!(d = fdopendir(dup_fd))) {
		close(dup_fd);
		return -1;
	}
	while (sub < 0 && (e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;	/* gone, or another file system mounted here */
		if (!S_ISDIR(st.st_mode)) {
			unlinkat(fd, e->d_name, 0);
			continue;
		}
		if (unlinkat(fd, e->d_name, AT_REMOVEDIR) == 0 || rm_is_stuck(stuck, &st))
			continue;
		sub = rm_open_dir(fd, e->d_name);
	}
	closedir(d);
	return sub;
}

/*
 * Remove @name in directory @at and all below it, by descriptors and with a
 * fixed number of them: a tree the program made may be deeper than
 * PATH_MAX (made cheaply by renames), hold directories it made unreadable,
 * very long names, or links, which are removed and never followed. It goes
 * down one directory at a time, and back up by "..": no path and no stack
 * of names, so depth costs nothing. A directory it comes back from is
 * removed by the next pass over its parent; one it could not empty is not
 * entered again. It stays on the file system it started on.
 */
static void remove_at(int at, const char *name, dev_t dev)
{
	struct rm_stuck stuck = { 0 };
	struct stat st;
	long depth = 0;
	int fd;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(at, name, 0);
		return;
	}
	fd = rm_open_dir(at, name);
	while (fd >= 0) {
		int next;

		/* removing entries takes write and search permission on it */
		fchmod(fd, 0700);
		next = rm_pass(fd, dev, &stuck);
		if (next >= 0) {
			close(fd);
			fd = next;
			depth++;
			continue;
		}
		/* nothing left we can enter: what stays here, stays */
		rm_mark_stuck(&stuck, fd);
		if (depth == 0)
			break;
		next = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		depth--;
	}
	if (fd >= 0)
		close(fd);
	free(stuck.v);
	unlinkat(at, name, AT_REMOVEDIR);
}

/* Remove a tree jailtrace made, never following a link out of it. */
void jt_remove_tree(const char *path)
{
	struct stat st;

	if (path[0] && lstat(path, &st) == 0)
		remove_at(AT_FDCWD, path, st.st_dev);
}

/*
 * What runs killed by SIGKILL left: their views and fresh jails carry the
 * pid of their jailtrace; when that process is gone and they are ours,
 * they go now.
 */
void jt_remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		int pid;

		if ((sscanf(e->d_name, "jailtrace-view-%d-", &pid) != 1 &&
		     sscanf(e->d_name, "jailtrace-jail-%d-", &pid) != 1) || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		/* ours: as root, a fresh jail is the sandbox user's (run.c) */
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    (st.st_uid != geteuid() && !(geteuid() == 0 && st.st_uid == JT_SANDBOX_UID_DEFAULT)))
			continue;
		jt_remove_tree(path);
	}
	if (d)
		closedir(d);
}

/* "XXXXXX" of @name replaced by random letters and digits, as mkdtemp does. */
static int random_name(char *name)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char *x = name + strlen(name) - 6;
	unsigned char b[6];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	for (int i = 0; i < 6; i++)
		x[i] = set[b[i] % (sizeof(set) - 1)];
	return 0;
}

/*
 * A fresh jail: in TMPDIR/jailtrace-UID, the user's own directory (0711:
 * as root with --user the tracer reaches the jail as that user), so that
 * looking for what killed runs left reads only it, not all of TMPDIR. There
 * the jail itself is made with its first directory (jt_mount_fd): a run
 * that touches none makes nothing on the disk. In TMPDIR itself when that
 * directory is not ours alone, made now (others may make names there).
 */
static int fresh_jail(struct jt_run *run)
{
	char dir[PATH_MAX - 64];
	struct stat st;
	int ours;

	if (snprintf(dir, sizeof(dir), "%s/jailtrace-%u", jt_tmpdir(), (unsigned)geteuid()) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0711) < 0 && errno != EEXIST)
		return -errno;
	ours = lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022);
	/* as root with --user the tracer works as that user, who may not write
	 * dir; as the sandbox user it makes the jail as root (view.c) */
	run->jail_lazy = ours && (!run->switch_user || run->two_ids);
	if (!ours)
		snprintf(dir, sizeof(dir), "%s", jt_tmpdir());
	else if ((st.st_mode & 0777) != 0711)
		chmod(dir, 0711);	/* made under a umask that took the search bits */
	/* what runs killed by SIGKILL left */
	jt_remove_stale(dir);
	snprintf(run->jail, sizeof(run->jail), "%s/jailtrace-jail-%d-XXXXXX", dir, (int)getpid());
	if (run->jail_lazy)
		return random_name(run->jail);
	return mkdtemp(run->jail) ? 0 : -errno;
}

/* Grants jailtrace adds itself: the jail's directories. */
int jt_grant_add(struct jt_policy *p, const char *host, const char *inside, int rw)
{
	struct jt_grant *g = realloc(p->grants, (p->n_grants + 1) * sizeof(*g));

	if (!g)
		return -ENOMEM;
	p->grants = g;
	g[p->n_grants] = (struct jt_grant){ strdup(host), strdup(inside), rw, -1, 0 };
	if (!g[p->n_grants].host || !g[p->n_grants].inside)
		return -ENOMEM;
	p->n_grants++;
	return 0;
}

/* mkdir -p: parents 0755 (users' jails sit side by side), the last 0700. */
static int mkdir_p(const char *path)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, path, n + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The data directory: /var/lib/jailtrace for root, else the XDG one. */
static int data_dir(char *out, size_t len)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		return snprintf(out, len, "/var/lib/jailtrace") < (int)len ? 0 : -ENAMETOOLONG;
	if (x && x[0] == '/')
		return snprintf(out, len, "%s/jailtrace", x) < (int)len ? 0 : -ENAMETOOLONG;
	if (home && home[0] == '/')
		return snprintf(out, len, "%s/.local/share/jailtrace", home) < (int)len ? 0 : -ENAMETOOLONG;
	return -ENOENT;
}

/* One run per jail at a time: a lock held while the run lasts; or, with
 * --share-jail, any number of runs that share it (a shared lock). */
static int lock_jail(struct jt_run *run, char *err, size_t errlen)
{
	int share = run->cfg->share_jail;

	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/.lock", run->jail);
	run->jail_lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (run->jail_lock < 0) {
		snprintf(err, errlen, "cannot lock the jail %s: %s", run->jail, strerror(errno));
		return -errno;
	}
	if (flock(run->jail_lock, (share ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		int e = errno;

		snprintf(err, errlen, "the jail %s is in use by another run%s", run->jail,
			 e != EWOULDBLOCK ? "" : share ? " that does not share it (--share-jail)" :
			 "; runs of one user do not share a jail at once (unless each has --share-jail)");
		close(run->jail_lock);
		run->jail_lock = -1;
		return -EBUSY;
	}
	return 0;
}

int jt_jail_prepare(struct jt_run *run, struct jt_policy *p, char *err, size_t errlen)
{
	static const char *const subdirs[] = { "tmp", "home", "work", "shm" };
	const char *const *inside = jt_jail_dirs;	/* "/tmp", SANDBOX_HOME, "/work", "/dev/shm" */
	_Static_assert(sizeof(subdirs) / sizeof(*subdirs) == JT_JAIL_DIRS, "one inside path per subdir");
	char path[PATH_MAX + 32];
	int r = 0;

	run->jail_lock = -1;
	if (!run->jail[0] && run->cfg->user && !run->cfg->ephemeral) {
		char dir[PATH_MAX];

		if (data_dir(dir, sizeof(dir)) < 0) {
			snprintf(err, errlen, "no data directory for --user: set XDG_DATA_HOME or HOME, or use --jail");
			return -ENOENT;
		}
		if (snprintf(run->jail, sizeof(run->jail), "%s/jails/%s", dir, run->cfg->user) >=
		    (int)sizeof(run->jail))
			return -ENAMETOOLONG;
		if ((r = mkdir_p(run->jail)) < 0) {
			snprintf(err, errlen, "cannot make %s: %s", run->jail, strerror(-r));
			return r;
		}
	}
	if (!run->jail[0] && run->cfg->share_jail) {
		snprintf(err, errlen, "--share-jail shares a kept jail (--user or --jail), not a fresh one");
		return -EINVAL;
	}
	if (!run->jail[0]) {
		if ((r = fresh_jail(run)) < 0) {
			snprintf(err, errlen, "cannot make a jail in %s: %s", jt_tmpdir(), strerror(-r));
			run->jail[0] = '\0';
			return r;
		}
		run->jail_ephemeral = 1;
	} else if (run->cfg->ephemeral) {
		/* --jail DIR --ephemeral: DIR is made by this run, and removed at its end */
		if (mkdir(run->jail, 0700) < 0) {
			int e = errno;

			snprintf(err, errlen, "cannot make the jail %s: %s%s", run->jail, strerror(e),
				 e == EEXIST ? " (--ephemeral makes the jail fresh)" : "");
			run->jail[0] = '\0';	/* not this run's to remove */
			return -e;
		}
		run->jail_remove = 1;
	} else if (mkdir(run->jail, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make the jail %s: %s", run->jail, strerror(errno));
		return -errno;
	}
	/* a fresh jail is this run's alone (mkdtemp made it 0700): no lock */
	if (!run->jail_ephemeral && (r = lock_jail(run, err, errlen)) < 0)
		return r;
	if ((!run->jail_ephemeral && chmod(run->jail, 0700) < 0) ||
	    (run->switch_user && !run->jail_lazy && chown(run->jail, run->run_uid, run->run_gid) < 0)) {
		snprintf(err, errlen, "cannot give the jail %s to its user: %s", run->jail, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(*subdirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", run->jail, subdirs[i]);
		/* a fresh jail's directories are made when first used: on a disk, each
		 * made and removed costs about as much as a native /bin/true */
		if (run->jail_ephemeral) {
			if ((r = jt_view_add_lazy(&run->view, path, inside[i])) < 0)
				return r;
			continue;
		}
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot make %s: %s", path, strerror(errno));
			return -errno;
		}
		if (run->switch_user && chown(path, run->run_uid, run->run_gid) < 0) {
			snprintf(err, errlen, "cannot give %s to its user: %s", path, strerror(errno));
			return -errno;
		}
		if ((r = jt_grant_add(p, path, inside[i], 1)) < 0)
			return r;
	}
	return 0;
}

void jt_jail_remove(struct jt_run *run)
{
	if (run->jail_lock >= 0)
		close(run->jail_lock);
	run->jail_lock = -1;
	if (run->jail_ephemeral || run->jail_remove)
		jt_remove_tree(run->jail);
}
