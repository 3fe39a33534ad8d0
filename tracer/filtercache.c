/*
 * Compiled seccomp programs, kept between runs. libseccomp takes several
 * milliseconds to build the two-ABI program, most of a run's start-up;
 * the same policy gives the same program, so it is built once per key
 * (filters/seccomp.c says what the program depends on) and read back after.
 *
 * The cache is the user's own: a directory 0700 that it owns
 * ($JAILTRACE_CACHE_DIR; root: /var/cache/jailtrace; else
 * $XDG_CACHE_HOME/jailtrace or ~/.cache/jailtrace). A directory that anyone else could write, or a file
 * that is not a plausible program, is not used: the program is built.
 * Nothing in the sandbox can reach it (it is not in any view). A program
 * read back has its time of use set; a new one beyond JT_FILTER_KEEP
 * removes the least recently used.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/filter.h>
#include <nettle/sha2.h>
#include "filters/seccomp.h"
#include "tracer/filtercache.h"
#include "tracer/internal.h"

#define PROG_MAX 4096	/* instructions: the kernel's limit */


int jt_filtercache_dir(char *out, size_t len)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	const char *own = getenv("JAILTRACE_CACHE_DIR");

	if (own && own[0] == '/')
		return snprintf(out, len, "%s", own) < (int)len ? 0 : -ENAMETOOLONG;
	if (geteuid() == 0)
		return snprintf(out, len, "/var/cache/jailtrace") < (int)len ? 0 : -ENAMETOOLONG;
	if (x && x[0] == '/')
		return snprintf(out, len, "%s/jailtrace", x) < (int)len ? 0 : -ENAMETOOLONG;
	if (home && home[0] == '/')
		return snprintf(out, len, "%s/.cache/jailtrace", home) < (int)len ? 0 : -ENAMETOOLONG;
	return -ENOENT;
}

/* The directory, made if missing; only if it is ours alone. @return an fd or -errno. */
static int open_dir(int create)
{
	char dir[4096];
	struct stat st;
	int fd;

	if (jt_filtercache_dir(dir, sizeof(dir)) < 0)
		return -ENOENT;
	if (create) {
		char *slash = strrchr(dir, '/');

		/* the parent (~/.cache) as a user would have it; ours 0700 */
		if (slash && slash != dir) {
			*slash = '\0';
			mkdir(dir, 0755);
			*slash = '/';
		}
		mkdir(dir, 0700);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

#define TMP_AGE 60	/* seconds after which a half-made entry is a leftover */

static int older_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct jt_cache_entry *)a)->used;
	const struct timespec *y = &((const struct jt_cache_entry *)b)->used;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec;
}

static int is_key(const char *name, const char *suffix)
{
	for (int i = 0; i < 64; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return !strcmp(name + 64, suffix);
}

long jt_cache_by_age(const char *base, const char *suffix, const char *tmp_prefix,
		     void (*stale)(const char *path), struct jt_cache_entry **out)
{
	struct jt_cache_entry *all = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d = opendir(base);
	char p[PATH_MAX];
	struct stat st;

	*out = NULL;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (snprintf(p, sizeof(p), "%s/%s", base, e->d_name) >= (int)sizeof(p))
			continue;
		if (!strncmp(e->d_name, tmp_prefix, strlen(tmp_prefix))) {
			if (lstat(p, &st) == 0 && st.st_mtime + TMP_AGE < time(NULL))
				stale(p);
			continue;
		}
		if (!is_key(e->d_name, suffix) || lstat(p, &st) < 0)
			continue;
		if (n == cap) {
			struct jt_cache_entry *m = realloc(all, (cap = cap ? 2 * cap : 64) * sizeof(*all));

			if (!m)
				break;
			all = m;
		}
		memcpy(all[n].name, e->d_name, 64);
		all[n].name[64] = '\0';
		all[n++].used = st.st_mtim;
	}
	closedir(d);
	if (n > 1)
		qsort(all, n, sizeof(*all), older_first);
	*out = all;
	return (long)n;
}

/* A temporary file of a writer that died: ".PID.KEY.bpf", nothing else. */
void jt_filtercache_unlink_stale(const char *path)
{
	const char *n = strrchr(path, '/'), *dot;

	n = n ? n + 1 : path;
	if (n[0] != '.' || !(dot = strchr(n + 1, '.')) || dot == n + 1 || strlen(dot + 1) != 64 + 4)
		return;
	for (const char *c = n + 1; c < dot; c++)
		if (*c < '0' || *c > '9')
			return;
	if (is_key(dot + 1, ".bpf"))
		unlink(path);
}

/* Keep the JT_FILTER_KEEP most recently used programs (@mine among them). */
static void prune(const char *mine)
{
	struct jt_cache_entry *all;
	char dir[PATH_MAX - 80], p[PATH_MAX];
	long n;

	if (jt_filtercache_dir(dir, sizeof(dir)) < 0 || (n = jt_cache_by_age(dir, ".bpf", ".", jt_filtercache_unlink_stale, &all)) < 0)
		return;	/* (unlink_stale removes only names of our temporary files) */
	for (long i = 0, excess = n - JT_FILTER_KEEP; excess > 0 && i < n; i++) {
		if (!strncmp(all[i].name, mine, 64))
			continue;
		snprintf(p, sizeof(p), "%s/%s.bpf", dir, all[i].name);
		if (unlink(p) == 0)
			excess--;
	}
	free(all);
}

/* Is @dir at or below @top? */
static int below(const char *dir, const char *top)
{
	size_t n = strlen(top);

	while (n > 1 && top[n - 1] == '/')
		n--;
	return !strncmp(dir, top, n) && (dir[n] == '/' || dir[n] == '\0' || n == 1);
}

int jt_cache_dir_safe(const struct jt_run *run, const char *dir)
{
	const struct jt_policy *p = run->policy;
	char at[4096], real[4096];

	/* the directory as the kernel finds it (it may be reached through links) */
	snprintf(at, sizeof(at), "%s", realpath(dir, real) ? real : dir);
	for (size_t i = 0; i < p->n_grants; i++) {
		const char *host = p->grants[i].host;

		if (p->grants[i].writable && (below(at, host) || (realpath(host, real) && below(at, real))))
			return 0;
	}
	if (run->jail[0] && (below(at, run->jail) || (realpath(run->jail, real) && below(at, real))))
		return 0;
	return 1;
}

int jt_way_through_program_link(const struct jt_run *run, const char *path, int leaf,
				char *link, size_t len)
{
	char at[PATH_MAX], next[PATH_MAX], real[PATH_MAX];
	const char *p = path, *end;
	struct stat st;

	if (path[0] == '/')
		snprintf(at, sizeof(at), "/");
	else if (!getcwd(at, sizeof(at)))
		return 0;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		if (!*end && !leaf)
			break;	/* the last name: opened without following */
		{
			size_t a = strlen(at), n = (size_t)(end - p), sep = strcmp(at, "/") != 0;

			if (a + sep + n >= sizeof(next))
				return 0;	/* too long to open either */
			memcpy(next, at, a);
			next[a] = '/';
			memcpy(next + a + sep, p, n);
			next[a + sep + n] = '\0';
		}
		if (lstat(next, &st) < 0)
			return 0;	/* not there: the open fails, or makes only the last name */
		if (S_ISLNK(st.st_mode)) {
			if (!jt_cache_dir_safe(run, at)) {
				snprintf(link, len, "%s", next);
				return 1;
			}
			if (!realpath(next, real))
				return 0;
			snprintf(next, sizeof(next), "%s", real);
		}
		snprintf(at, sizeof(at), "%s", next);
		p = end;
	}
	return 0;
}

int jt_filtercache_safe(const struct jt_run *run)
{
	char dir[4096];

	return jt_filtercache_dir(dir, sizeof(dir)) == 0 && jt_cache_dir_safe(run, dir);
}

static void name_of(const unsigned char key[32], char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", key[i]);
	memcpy(out + 64, ".bpf", 5);
}

static void sum(const void *p, size_t len, unsigned char out[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, len, p);
	sha256_digest(&c, 32, out);
}

int jt_filtercache_get(const unsigned char key[32], struct sock_fprog *prog)
{
	char name[70];
	unsigned char *buf, check[32];
	struct stat st;
	size_t len;
	int dir = open_dir(0), fd;
	ssize_t n;

	if (dir < 0)
		return dir;
	name_of(key, name);
	/* non-blocking: a FIFO planted under the name must not hold the run */
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		return -errno;
	/* one name only: no hard link elsewhere could have changed it */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1 ||
	    st.st_size <= 32 ||
	    (st.st_size - 32) % sizeof(struct sock_filter) ||
	    st.st_size - 32 > PROG_MAX * (off_t)sizeof(struct sock_filter) ||
	    !(buf = malloc((size_t)st.st_size))) {
		close(fd);
		return -EINVAL;
	}
	n = read(fd, buf, (size_t)st.st_size);
	futimens(fd, NULL);	/* the time of last use, for pruning */
	close(fd);
	len = (size_t)st.st_size - 32;
	if (n == st.st_size)
		sum(buf, len, check);
	if (n != st.st_size || memcmp(check, buf + len, 32)) {
		free(buf);
		return -EIO;
	}
	prog->len = (unsigned short)(len / sizeof(struct sock_filter));
	prog->filter = (struct sock_filter *)buf;
	return 0;
}

void jt_filtercache_put(const unsigned char key[32], const struct sock_fprog *prog)
{
	char name[70], tmp[96];
	unsigned char check[32];
	size_t len = prog->len * sizeof(struct sock_filter);
	int dir = open_dir(1), fd, ok;

	if (dir < 0)
		return;
	name_of(key, name);
	snprintf(tmp, sizeof(tmp), ".%d.%s", (int)getpid(), name);
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		sum(prog->filter, len, check);
		ok = write(fd, prog->filter, len) == (ssize_t)len && write(fd, check, 32) == 32 &&
		     fsync(fd) == 0;
		ok &= close(fd) == 0;
		/* whole or not at all: a reader sees no file or this one */
		if (!ok || renameat(dir, tmp, dir, name) < 0)
			unlinkat(dir, tmp, 0);
		else
			prune(name);
	}
	close(dir);
}
