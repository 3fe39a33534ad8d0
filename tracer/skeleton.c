/*
 * The view's skeleton: a host directory of real, empty directories
 * standing for the view's synthetic ones ("/", "/home", ...), so that
 * opening and listing them works, with an entry for each mount (a link, a
 * directory or an empty file) and the passwd, group and hosts files the
 * program is shown.
 *
 * It is the same for every run whose view has the same mounts and the same
 * files, and making and removing it was a tenth of a run's start-up. So it
 * is kept in memory (/dev/shm/jailtrace-skel-UID/KEY, KEY the SHA-256 of
 * everything it holds) and shared: made once under a temporary name and
 * renamed into place, so a skeleton under its key is whole; never written
 * again. A run holds a shared lock on KEY.lock while it lasts; a new
 * skeleton beyond the SKEL_KEEP most recently used removes the least
 * recently used ones no run holds. The program cannot write it (no grant
 * reaches it, and a run whose writable grants or jail hold the directory
 * does not use it); the user's other processes can, as they can the filter
 * cache, and the user's runs trust it no more than them. Where the cache
 * cannot be used (no /dev/shm, a directory not ours alone, a writable
 * grant above it, JAILTRACE_VIEW_CACHE=0), the run makes a private
 * skeleton and removes it at the end. JAILTRACE_VIEW_CACHE=DIR keeps them
 * in DIR instead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <nettle/sha2.h>
#include "tracer/filtercache.h"
#include "tracer/fs.h"
#include "tracer/internal.h"

#define SANDBOX_USER "sandbox"
#define SANDBOX_HOME "/home/" SANDBOX_USER
#define SKEL_BASE "/dev/shm/jailtrace-skel"
#define SKEL_KEEP 32		/* skeletons kept per user */

/* What goes into the skeleton's etc/ besides the mounts' entries. */
struct etc_files {
	char passwd[512];
	char group[512];
	char *hosts;
};

static const char *const etc_names[] = { "passwd", "group", "hosts" };

static const char *etc_text(const struct etc_files *f, int i)
{
	return i == 0 ? f->passwd : i == 1 ? f->group : f->hosts;
}

/*
 * /etc/hosts: localhost, and each host name a `net connect` rule names with
 * the addresses jailtrace resolved for it, so the program needs no DNS.
 */
static char *hosts_text(const struct jt_policy *np)
{
	size_t cap = 256 + np->n_net * 320, len;
	char *text = malloc(cap);

	if (!text)
		return NULL;
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
	return text;
}

static int etc_files_make(struct jt_run *run, struct etc_files *f)
{
	const char *user = run->cfg->user ? run->cfg->user : SANDBOX_USER;
	unsigned uid = (unsigned)(run->switch_user ? run->run_uid : getuid());
	unsigned gid = (unsigned)(run->switch_user ? run->run_gid : getgid());

	snprintf(f->passwd, sizeof(f->passwd), "root:x:0:0:root:/root:/usr/sbin/nologin\n"
		 "%s:x:%u:%u:sandbox:" SANDBOX_HOME ":/bin/sh\n"
		 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", user, uid, gid);
	snprintf(f->group, sizeof(f->group), "root:x:0:\n%s:x:%u:\nnogroup:x:65534:\n", user, gid);
	f->hosts = hosts_text(run->policy);
	return f->hosts ? 0 : -ENOMEM;
}

/*
 * The times of the host link a link mount stands for (a link's own times
 * can be set, its owner not without privilege): `ls -l /lib` and
 * `find -newer` see the host's, not the skeleton's making. Zero when the
 * link is gone.
 */
static void link_times(const struct jt_mount *m, struct timespec t[2])
{
	struct stat st;

	memset(t, 0, 2 * sizeof(*t));
	if (m->host && lstat(m->host, &st) == 0 && S_ISLNK(st.st_mode))
		t[0] = st.st_atim, t[1] = st.st_mtim;
}

/* The key: every byte the skeleton is made of, and nothing else. */
static void skeleton_key(const struct jt_run *run, const struct etc_files *f, char hex[65])
{
	struct sha256_ctx c;
	unsigned char d[SHA256_DIGEST_SIZE];

	sha256_init(&c);
	sha256_update(&c, sizeof("jailtrace-skeleton-2"), (const uint8_t *)"jailtrace-skeleton-2");
	for (int i = 0; i < 3; i++)
		sha256_update(&c, strlen(etc_text(f, i)) + 1, (const uint8_t *)etc_text(f, i));
	for (size_t i = 0; i < run->view.n; i++) {
		const struct jt_mount *m = &run->view.m[i];
		char kind = m->flags & JT_MNT_LINK ? 'l' : m->flags & JT_MNT_DIR ? 'd' : 'f';

		sha256_update(&c, 1, (const uint8_t *)&kind);
		sha256_update(&c, m->len + 1, (const uint8_t *)m->inside);
		if (m->link) {
			struct timespec t[2];

			sha256_update(&c, strlen(m->link) + 1, (const uint8_t *)m->link);
			link_times(m, t);
			sha256_update(&c, sizeof(t), (const uint8_t *)t);
		}
	}
	sha256_digest(&c, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++) {
		hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
	}
	hex[2 * sizeof(d)] = '\0';
}

static int mkdirs(const char *root, const char *inside)
{
	char p[PATH_MAX];
	size_t rl = strlen(root);

	if (snprintf(p, sizeof(p), "%s%s", root, inside) >= (int)sizeof(p))
		return -ENAMETOOLONG;
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

/* The entry for mount @m at host path @p: a link, a directory or an empty file. */
static int skeleton_entry(const struct jt_mount *m, const char *p)
{
	if (m->flags & JT_MNT_LINK) {
		struct timespec t[2];

		if (symlink(m->link, p) < 0)
			return -1;
		link_times(m, t);
		if (t[1].tv_sec)
			utimensat(AT_FDCWD, p, t, AT_SYMLINK_NOFOLLOW);	/* best effort: only times */
		return 0;
	}
	if (m->flags & JT_MNT_DIR)
		return mkdir(p, 0755);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);

	return fd < 0 ? -1 : close(fd);
}

/* Fill the empty directory @dir: etc/ and its files first, then an entry per mount. */
static int skeleton_fill(const struct jt_run *run, const char *dir, const struct etc_files *f)
{
	char p[PATH_MAX];
	int r;

	/* the tracer works in it with the program's identity */
	if (chmod(dir, 0755) < 0)
		return -errno;
	/* etc/ at its own place, so "/" lists no stray entries */
	if (snprintf(p, sizeof(p), "%s/etc", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	if (mkdir(p, 0755) < 0)
		return -errno;
	for (int i = 0; i < 3; i++) {
		if (snprintf(p, sizeof(p), "%s/etc/%s", dir, etc_names[i]) >= (int)sizeof(p))
			return -ENAMETOOLONG;
		if ((r = write_file(p, etc_text(f, i))) < 0)
			return r;
	}
	for (size_t i = 0; i < run->view.n; i++) {
		const struct jt_mount *m = &run->view.m[i];

		if (snprintf(p, sizeof(p), "%s%s", dir, m->inside) >= (int)sizeof(p))
			return -ENAMETOOLONG;
		/* most parents are there already: made only when the entry needs them */
		r = skeleton_entry(m, p);
		if (r < 0 && errno == ENOENT) {
			if ((r = mkdirs(dir, m->inside)) < 0)
				return r;
			r = skeleton_entry(m, p);
		}
		if (r < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

/* A directory that is ours alone: ours, not a link, nobody else may write it. */
static int ours_alone(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	       !(st.st_mode & 022);
}

/*
 * A shared lock on @key's lock file, the one its name still leads to (a
 * run that removed the skeleton meanwhile unlinked the file it locked).
 */
static int lock_key(const char *base, const char *key)
{
	char p[PATH_MAX];
	struct stat a, b;

	snprintf(p, sizeof(p), "%s/%s.lock", base, key);
	for (int tries = 0; tries < 3; tries++) {
		int fd = open(p, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_SH) == 0 && fstat(fd, &a) == 0 && lstat(p, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			futimens(fd, NULL);	/* the time of last use, for pruning */
			return fd;
		}
		close(fd);
	}
	return -EAGAIN;
}

/* Remove skeleton @name unless a run holds it. @return 1 removed. */
static int remove_unused(const char *base, const char *name)
{
	char p[PATH_MAX];
	int fd, gone = 0;

	snprintf(p, sizeof(p), "%s/%s.lock", base, name);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		snprintf(p, sizeof(p), "%s/%s", base, name);
		jt_remove_tree(p);
		snprintf(p, sizeof(p), "%s/%s.lock", base, name);
		gone = unlink(p) == 0;
	}
	close(fd);
	return gone;
}

static void remove_stale(const char *path)
{
	jt_remove_tree(path);
}

/* Keep the SKEL_KEEP most recently used skeletons (and @mine), and no half-made leftovers. */
static void prune(const char *base, const char *mine)
{
	struct jt_cache_entry *all;
	long n = jt_cache_by_age(base, ".lock", ".tmp-", remove_stale, &all);

	for (long i = 0, excess = n - SKEL_KEEP; excess > 0 && i < n; i++)
		if (strcmp(all[i].name, mine) && remove_unused(base, all[i].name))
			excess--;
	free(all);
}

int jt_skeleton_base(char *base, size_t len)
{
	const char *own = getenv("JAILTRACE_VIEW_CACHE");
	int r;

	if (own && !strcmp(own, "0"))
		return -EPERM;
	if (own && own[0] == '/')
		r = snprintf(base, len, "%s", own);
	else
		r = snprintf(base, len, SKEL_BASE "-%u", (unsigned)geteuid());
	return r >= (int)len ? -ENAMETOOLONG : 0;
}

int jt_skeleton_wipe(void)
{
	struct jt_cache_entry *all;
	char base[PATH_MAX - 80];
	long n;
	int left = 0;

	if (jt_skeleton_base(base, sizeof(base)) < 0 ||
	    (n = jt_cache_by_age(base, ".lock", ".tmp-", remove_stale, &all)) < 0)
		return 0;
	for (long i = 0; i < n; i++)
		left += !remove_unused(base, all[i].name);
	free(all);
	return left;
}

/* The shared skeleton for @key, made if missing. @return 0, or -errno: make a private one. */
static int skeleton_shared(struct jt_run *run, const struct etc_files *f)
{
	char base[PATH_MAX - 80], key[65], tmp[PATH_MAX];
	int made = 0, r;

	if ((r = jt_skeleton_base(base, sizeof(base))) < 0)
		return r;
	/* a run whose program could write the skeletons is going, or has
	 * left them unchecked (cachemark.c: run.c asked before the view) */
	if (!run->skeletons_trusted)
		return -EPERM;
	if (mkdir(base, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (!ours_alone(base) || !jt_cache_dir_safe(run, base))
		return -EPERM;
	skeleton_key(run, f, key);
	if ((run->skeleton_lock = lock_key(base, key)) < 0)
		return run->skeleton_lock;
	snprintf(run->skeleton, sizeof(run->skeleton), "%s/%s", base, key);
	if (!ours_alone(run->skeleton)) {
		snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", base);
		if (!mkdtemp(tmp))
			return -errno;
		r = skeleton_fill(run, tmp, f);
		/* another run may have made the same one meanwhile: theirs is as good */
		if (r == 0 && rename(tmp, run->skeleton) < 0 && errno != EEXIST && errno != ENOTEMPTY)
			r = -errno;
		jt_remove_tree(tmp);
		if (r < 0)
			return r;
		made = 1;
	}
	if (!ours_alone(run->skeleton))
		return -EPERM;
	run->skeleton_kept = 1;
	if (made)
		prune(base, key);
	return 0;
}

/* A skeleton for this run only, removed at its end. */
static int skeleton_private(struct jt_run *run, const struct etc_files *f)
{
	jt_remove_stale("/dev/shm");
	jt_remove_stale(jt_tmpdir());
	snprintf(run->skeleton, sizeof(run->skeleton), "/dev/shm/jailtrace-view-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(run->skeleton)) {
		snprintf(run->skeleton, sizeof(run->skeleton), "%s/jailtrace-view-%d-XXXXXX", jt_tmpdir(),
			 (int)getpid());
		if (!mkdtemp(run->skeleton)) {
			run->skeleton[0] = '\0';
			return -errno;
		}
	}
	return skeleton_fill(run, run->skeleton, f);
}

int jt_skeleton_build(struct jt_run *run, struct jt_policy *etc, char *err, size_t errlen)
{
	struct etc_files f;
	char p[PATH_MAX];
	int r;

	run->skeleton_lock = -1;
	if ((r = etc_files_make(run, &f)) < 0)
		return r;
	if (skeleton_shared(run, &f) < 0) {
		if (run->skeleton_lock >= 0)
			close(run->skeleton_lock);
		run->skeleton_lock = -1;
		run->skeleton_kept = 0;
		if ((r = skeleton_private(run, &f)) < 0)
			snprintf(err, errlen, "cannot make the view's skeleton %s: %s",
				 run->skeleton[0] ? run->skeleton : jt_tmpdir(), strerror(-r));
	}
	free(f.hosts);
	for (int i = 0; r == 0 && i < 3; i++) {
		char inside[16];

		if (snprintf(p, sizeof(p), "%s/etc/%s", run->skeleton, etc_names[i]) >= (int)sizeof(p))
			return -ENAMETOOLONG;
		snprintf(inside, sizeof(inside), "/etc/%s", etc_names[i]);
		r = jt_grant_add(etc, p, inside, 0);
	}
	return r;
}

static int longer_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
	int c = strcmp(*(char *const *)a, *(char *const *)b);

	return la != lb ? (la < lb ? 1 : -1) : c;
}

/*
 * Remove exactly what skeleton_fill made: the program cannot write the
 * skeleton, so it holds nothing else. Each entry and each directory on the
 * way to one, deepest first, with no directory read. @return 0 when the
 * skeleton is gone, -1 when something was left.
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

void jt_skeleton_remove(struct jt_run *run)
{
	if (run->skeleton_lock >= 0)
		close(run->skeleton_lock);
	run->skeleton_lock = -1;
	if (run->proc_ls[0]) {
		jt_remove_tree(run->proc_ls);
		run->proc_ls[0] = '\0';
	}
	if (run->skeleton[0] && !run->skeleton_kept && skeleton_unmake(run) < 0)
		jt_remove_tree(run->skeleton);
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
	size_t n = strlen(run->proc_ls);

	if (n && !strncmp(host, run->proc_ls, n) && (!host[n] || host[n] == '/')) {
		snprintf(out, len, "/proc%s", host + n);
		return 0;
	}
	n = strlen(run->skeleton);

	if (!n || strncmp(host, run->skeleton, n) || (host[n] && host[n] != '/'))
		return -ENOENT;
	snprintf(out, len, "%s", host[n] ? host + n : "/");
	return 0;
}

/*
 * What /proc lists. The skeleton's /proc holds only what the policy grants
 * there, the same for every run, so a program that lists it (ps, pgrep,
 * psutil, top) found no process at all: procps failed outright ("fatal
 * library error"). Natively a process lists at least its own (as under
 * hidepid=2). So /proc opened as itself is a directory of this run's own,
 * beside the skeleton: a copy of the skeleton's entries, self,
 * thread-self, mounts and net, and a directory for each thread group of
 * the sandbox, brought up to date at each open (a listing is of the moment
 * natively too). Its names are all it is for: every path under /proc is
 * still walked by the view (path.c), which shows the same processes and
 * no other. Named like a private skeleton, so what a run killed by SIGKILL
 * leaves is removed by the next (jt_remove_stale).
 */
static int proc_ls_make(struct jt_run *run)
{
	static const char *const links[][2] = {
		{ "self", "1" }, { "thread-self", "1/task/1" }, { "mounts", "self/mounts" }, { "net", "self/net" },
	};
	char dir[PATH_MAX], p[PATH_MAX], target[PATH_MAX];
	struct dirent *e;
	struct stat st;
	char *slash;
	DIR *d;
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s", run->skeleton);
	if (!(slash = strrchr(dir, '/')) || slash == dir)
		return -ENOENT;
	*slash = '\0';
	jt_remove_stale(dir);
	if (snprintf(run->proc_ls, sizeof(run->proc_ls), "%s/jailtrace-view-%d-XXXXXX", dir, (int)getpid()) >=
		    (int)sizeof(run->proc_ls) || !mkdtemp(run->proc_ls)) {
		run->proc_ls[0] = '\0';
		return -errno;
	}
	/* readable by all, as the skeleton is: the tracer opens it as the jail's user too */
	if ((fd = open(run->proc_ls, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fchmod(fd, 0755) < 0)
		return -errno;
	d = NULL;
	if (snprintf(p, sizeof(p), "%s/proc", run->skeleton) >= (int)sizeof(p))
		r = -ENAMETOOLONG;
	else if (!(d = opendir(p)))
		r = -errno;
	while (r == 0 && (e = readdir(d))) {
		ssize_t n;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode))
			r = mkdirat(fd, e->d_name, 0555) < 0 ? -errno : 0;
		else if (S_ISLNK(st.st_mode))
			r = (n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1)) < 0 ? -errno
			    : (target[n] = '\0', symlinkat(target, fd, e->d_name) < 0) ? -errno : 0;
		else
			r = mknodat(fd, e->d_name, S_IFREG | 0444, 0) < 0 ? -errno : 0;
	}
	if (d)
		closedir(d);
	for (size_t i = 0; r == 0 && i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][1], fd, links[i][0]) < 0 && errno != EEXIST)
			r = -errno;
	close(fd);
	return r;
}

static int proc_listing_open(struct jt_run *run);

int jt_proc_listing_open(struct jt_run *run)
{
	/* made and kept up to date as jailtrace's own user, who owns the
	 * skeleton's directory (the tracer may be working as the jail's user or
	 * as --user NAME just now): its effective ids, which it may always take */
	uid_t u = (uid_t)setfsuid(geteuid());
	gid_t g = (gid_t)setfsgid(getegid());
	int r = proc_listing_open(run);

	setfsuid(u);
	setfsgid(g);
	return r;
}

static int proc_listing_open(struct jt_run *run)
{
	struct dirent *e;
	DIR *d;
	int fd, r = 0;

	if (!run->proc_ls[0] && (r = proc_ls_make(run)) < 0) {
		if (run->proc_ls[0])
			jt_remove_tree(run->proc_ls);
		run->proc_ls[0] = '\0';
		return jt_skeleton_open(run, "/proc");	/* as before: no process listed */
	}
	if ((fd = open(run->proc_ls, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	/* the groups that are gone */
	if ((d = fdopendir(dup(fd)))) {
		while ((e = readdir(d))) {
			char *end;
			long pid = strtol(e->d_name, &end, 10);

			if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && !*end) {
				struct jt_task *t = jt_ptable_find(&run->tasks, (pid_t)pid);
				int live = t && t->tgid == (pid_t)pid;

				jt_ptable_each(&run->tasks, q)
					live = live || q->tgid == (pid_t)pid;
				if (!live)
					unlinkat(fd, e->d_name, AT_REMOVEDIR);
			}
		}
		closedir(d);
	}
	/* and those there are now */
	jt_ptable_each(&run->tasks, q) {
		char name[16];

		if (!jt_group_first(&run->tasks, q))
			continue;
		snprintf(name, sizeof(name), "%d", (int)q->tgid);
		if (mkdirat(fd, name, 0555) < 0 && errno != EEXIST)
			r = -errno;
	}
	close(fd);
	if (r < 0)
		return r;
	fd = open(run->proc_ls, O_PATH | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
