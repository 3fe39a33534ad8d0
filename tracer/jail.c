/*
 * The jail and the view's skeleton, on the host side.
 *
 * The jail is one writable host directory per user (or a fresh one per
 * run, removed at the end); inside, its tmp/, home/ and work/ appear as
 * /tmp, /home/sandbox and /work. The skeleton is a private host directory
 * of real, empty directories standing for the view's synthetic ones ("/",
 * "/home", ...), so that opening and listing them works; it also holds the
 * passwd and group files the sandbox is shown.
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
#include "tracer/fs.h"
#include "tracer/internal.h"

#define SANDBOX_USER "sandbox"
#define SANDBOX_HOME "/home/" SANDBOX_USER

static const char *tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && t[0] == '/' ? t : "/tmp";
}

/*
 * Remove @name in directory @at and all below it, by descriptors: a tree the
 * program made may be deeper than PATH_MAX, hold directories it made
 * unreadable, or links, which are removed and never followed. It stays on
 * the file system it started on.
 */
static void remove_at(int at, const char *name, dev_t dev, int depth)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(at, name, 0);
		return;
	}
	if (depth > 4096)
		return;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(at, name, 0700, 0) == 0)
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		unlinkat(at, name, AT_REMOVEDIR);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			remove_at(dirfd(d), e->d_name, dev, depth + 1);
	closedir(d);
	unlinkat(at, name, AT_REMOVEDIR);
}

/* Remove a tree jailtrace made, never following a link out of it. */
static void remove_tree(const char *path)
{
	struct stat st;

	if (path[0] && lstat(path, &st) == 0)
		remove_at(AT_FDCWD, path, st.st_dev, 0);
}

/*
 * What runs killed by SIGKILL left: their views and fresh jails carry the
 * pid of their jailtrace; when that process is gone and they are ours,
 * they go now.
 */
static void remove_stale(const char *dir)
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
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		remove_tree(path);
	}
	if (d)
		closedir(d);
}

static int mkdirs(const char *root, const char *inside)
{
	char p[PATH_MAX];
	size_t rl = strlen(root);

	if (rl + strlen(inside) + 1 >= sizeof(p))
		return -ENAMETOOLONG;
	strcpy(p, root);
	strcat(p, inside);
	for (char *s = p + rl + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	size_t n = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* Grants jailtrace adds itself: the jail, passwd and group. */
static int add_grant(struct jt_policy *p, const char *host, const char *inside, int rw)
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

/*
 * /etc/hosts: localhost, and each host name a `net connect` rule names with
 * the addresses jailtrace resolved for it, so the program needs no DNS.
 */
static int write_hosts(struct jt_run *run, struct jt_policy *p)
{
	const struct jt_policy *np = run->policy;
	char path[PATH_MAX + 32], *text;
	size_t cap = 256 + np->n_net * 320, len;
	int r;

	if (!(text = malloc(cap)))
		return -ENOMEM;
	len = (size_t)snprintf(text, cap, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	for (size_t i = 0; i < np->n_net; i++) {
		char a[80], *colon;

		if (!np->net[i].name || np->net[i].kind != JT_NET_CONNECT)
			continue;
		jt_net_format(&np->net[i].addr, 0, a, sizeof(a));
		colon = strrchr(a, ':');	/* "1.2.3.4:0", "[::1]:0" */
		*colon = '\0';
		if (colon[-1] == ']')
			colon[-1] = '\0';
		len += (size_t)snprintf(text + len, cap - len, "%s\t%.255s\n", a[0] == '[' ? a + 1 : a,
					np->net[i].name);
	}
	snprintf(path, sizeof(path), "%s/etc/hosts", run->skeleton);
	r = write_file(path, text);
	free(text);
	return r < 0 ? r : add_grant(p, path, "/etc/hosts", 0);
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

/* One run per jail at a time: a lock held while the run lasts. */
static int lock_jail(struct jt_run *run, char *err, size_t errlen)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/.lock", run->jail);
	run->jail_lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (run->jail_lock < 0) {
		snprintf(err, errlen, "cannot lock the jail %s: %s", run->jail, strerror(errno));
		return -errno;
	}
	if (flock(run->jail_lock, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		snprintf(err, errlen, "the jail %s is in use by another run%s", run->jail,
			 e == EWOULDBLOCK ? "; runs of one user do not share a jail at once" : "");
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
	char path[PATH_MAX + 32], text[512];
	int r = 0;

	/* the skeleton first (in memory when the host has /dev/shm: it is small and
	 * made anew each run); passwd and group live there */
	remove_stale("/dev/shm");
	remove_stale(tmpdir());
	snprintf(run->skeleton, sizeof(run->skeleton), "/dev/shm/jailtrace-view-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(run->skeleton))
		snprintf(run->skeleton, sizeof(run->skeleton), "%s/jailtrace-view-%d-XXXXXX", tmpdir(),
			 (int)getpid());
	if (run->skeleton[0] != '/' || (strncmp(run->skeleton, "/dev/shm/", 9) && !mkdtemp(run->skeleton))) {
		snprintf(err, errlen, "cannot make the view's directory in %s: %s", tmpdir(), strerror(errno));
		run->skeleton[0] = '\0';
		return -errno;
	}
	/* the tracer works in it with the program's identity */
	chmod(run->skeleton, 0755);
	/* at their own place in the skeleton, so "/" lists no stray entries */
	snprintf(path, sizeof(path), "%s/etc", run->skeleton);
	if (mkdir(path, 0755) < 0) {
		snprintf(err, errlen, "cannot make %s: %s", path, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/etc/passwd", run->skeleton);
	snprintf(text, sizeof(text), "root:x:0:0:root:/root:/usr/sbin/nologin\n"
		 "%s:x:%u:%u:sandbox:" SANDBOX_HOME ":/bin/sh\n"
		 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		 run->cfg->user ? run->cfg->user : SANDBOX_USER,
		 (unsigned)(run->switch_user ? run->run_uid : getuid()),
		 (unsigned)(run->switch_user ? run->run_gid : getgid()));
	if ((r = write_file(path, text)) == 0)
		r = add_grant(p, path, "/etc/passwd", 0);
	snprintf(path, sizeof(path), "%s/etc/group", run->skeleton);
	snprintf(text, sizeof(text), "root:x:0:\n%s:x:%u:\nnogroup:x:65534:\n",
		 run->cfg->user ? run->cfg->user : SANDBOX_USER,
		 (unsigned)(run->switch_user ? run->run_gid : getgid()));
	if (r == 0 && (r = write_file(path, text)) == 0)
		r = add_grant(p, path, "/etc/group", 0);
	if (r < 0) {
		snprintf(err, errlen, "cannot write the sandbox's passwd and group: %s", strerror(-r));
		return r;
	}
	if ((r = write_hosts(run, p)) < 0) {
		snprintf(err, errlen, "cannot write the sandbox's /etc/hosts: %s", strerror(-r));
		return r;
	}

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
	if (!run->jail[0]) {
		snprintf(run->jail, sizeof(run->jail), "%s/jailtrace-jail-%d-XXXXXX", tmpdir(), (int)getpid());
		if (!mkdtemp(run->jail)) {
			snprintf(err, errlen, "cannot make a jail in %s: %s", tmpdir(), strerror(errno));
			run->jail[0] = '\0';
			return -errno;
		}
		run->jail_ephemeral = 1;
		if (run->switch_user && chown(run->jail, run->run_uid, run->run_gid) < 0) {
			snprintf(err, errlen, "cannot give the jail %s to its user: %s", run->jail, strerror(errno));
			return -errno;
		}
	} else if (mkdir(run->jail, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make the jail %s: %s", run->jail, strerror(errno));
		return -errno;
	}
	if ((r = lock_jail(run, err, errlen)) < 0)
		return r;
	if (chmod(run->jail, 0700) < 0 ||
	    (run->switch_user && chown(run->jail, run->run_uid, run->run_gid) < 0)) {
		snprintf(err, errlen, "cannot give the jail %s to its user: %s", run->jail, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(*subdirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", run->jail, subdirs[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot make %s: %s", path, strerror(errno));
			return -errno;
		}
		if (run->switch_user && chown(path, run->run_uid, run->run_gid) < 0) {
			snprintf(err, errlen, "cannot give %s to its user: %s", path, strerror(errno));
			return -errno;
		}
		if ((r = add_grant(p, path, inside[i], 1)) < 0)
			return r;
	}
	return 0;
}

/* The entry for mount @m at host path @p: a link, a directory or an empty file. */
static int skeleton_entry(const struct jt_mount *m, const char *p)
{
	if (m->flags & JT_MNT_LINK)
		return symlink(m->link, p);
	if (m->flags & JT_MNT_DIR)
		return mkdir(p, 0755);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);

	return fd < 0 ? -1 : close(fd);
}

/* Real directories for the synthetic ones, and an entry for each mount. */
int jt_skeleton_build(struct jt_run *run)
{
	char p[PATH_MAX];

	for (size_t i = 0; i < run->view.n; i++) {
		const struct jt_mount *m = &run->view.m[i];
		int r;

		if (snprintf(p, sizeof(p), "%s%s", run->skeleton, m->inside) >= (int)sizeof(p))
			return -ENAMETOOLONG;
		/* most parents are there already: made only when the entry needs them */
		r = skeleton_entry(m, p);
		if (r < 0 && errno == ENOENT) {
			if ((r = mkdirs(run->skeleton, m->inside)) < 0)
				return r;
			r = skeleton_entry(m, p);
		}
		if (r < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static int longer_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
	int c = strcmp(*(char *const *)a, *(char *const *)b);

	return la != lb ? (la < lb ? 1 : -1) : c;
}

/*
 * Remove exactly what jt_skeleton_build and jt_jail_prepare made: the
 * program cannot write the skeleton, so it holds nothing else. Each entry
 * and each directory on the way to one, deepest first, with no directory
 * read. @return 0 when the skeleton is gone, -1 when something was left.
 */
static int skeleton_unmake(struct jt_run *run)
{
	size_t n = 0, cap = 0;
	char **paths, p[PATH_MAX];
	int r = -1;

	for (size_t i = 0; i < run->view.n; i++)
		for (const char *s = run->view.m[i].inside; *s; s++)
			cap += *s == '/';
	if (!(paths = calloc(cap + 1, sizeof(*paths))))
		return -1;
	for (size_t i = 0; i < run->view.n; i++) {
		const char *in = run->view.m[i].inside;

		/* "/a/b/c" gives "/a", "/a/b", "/a/b/c": one per '/' */
		for (const char *s = in + 1; n < cap; s++) {
			if (*s && *s != '/')
				continue;
			if (!(paths[n] = strndup(in, (size_t)(s - in))))
				goto out;
			n++;
			if (!*s)
				break;
		}
	}
	qsort(paths, n, sizeof(*paths), longer_first);
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(paths[i], paths[i - 1]))
			continue;
		if (snprintf(p, sizeof(p), "%s%s", run->skeleton, paths[i]) >= (int)sizeof(p))
			continue;
		if (unlink(p) < 0 && errno == EISDIR)
			rmdir(p);
	}
	r = rmdir(run->skeleton) == 0 ? 0 : -1;
out:
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return r;
}

int jt_skeleton_open(struct jt_run *run, const char *inside)
{
	char p[PATH_MAX];
	int fd;

	if (snprintf(p, sizeof(p), "%s%s", run->skeleton, inside) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	fd = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int jt_skeleton_inside(struct jt_run *run, const char *host, char *out, size_t len)
{
	size_t n = strlen(run->skeleton);

	if (!n || strncmp(host, run->skeleton, n) || (host[n] && host[n] != '/'))
		return -ENOENT;
	snprintf(out, len, "%s", host[n] ? host + n : "/");
	return 0;
}

void jt_skeleton_remove(struct jt_run *run)
{
	if (run->jail_lock >= 0)
		close(run->jail_lock);
	run->jail_lock = -1;
	if (run->skeleton[0] && skeleton_unmake(run) < 0)
		remove_tree(run->skeleton);
	if (run->jail_ephemeral)
		remove_tree(run->jail);
}
