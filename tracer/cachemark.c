/*
 * The caches' mark (filtercache.h says what it is for): a run whose program
 * can write the compiled programs or the kept skeletons marks them
 * untrusted, out of its program's reach, before the program starts; no run
 * uses them while a mark is locked; the last marking run to end, or the
 * first run after one that died, empties them and removes the mark.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <nettle/sha2.h>
#include "tracer/filtercache.h"
#include "tracer/fs.h"
#include "tracer/internal.h"

/* The directory of cache @c (JT_CACHE_FILTERS, JT_CACHE_SKELETONS). @return 0 or -errno: none kept. */
static int dir_of(int c, char *out, size_t len)
{
	return c == JT_CACHE_FILTERS ? jt_filtercache_dir(out, len) : jt_skeleton_base(out, len);
}

/*
 * The @i-th place of cache @c's mark under its @k-th name: the cache's
 * directory as it is named (k 0; a program that could write it could also
 * put a link on the way to it later, so a mark is found by that name), or as
 * the kernel finds it now (k 1; another spelling of the same directory).
 * jailtrace-taint-UID-HASH, HASH of that name, in @path; its directory in
 * @pdir. @return 0, 1: none such here, -1: past the last place.
 */
static int taint_place(int i, int c, int k, char *path, size_t len, char *pdir, size_t dlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *d = i == 0 ? "/dev/shm" : i == 1 ? xdg : i == 2 ? jt_tmpdir() : NULL;
	char cache[PATH_MAX], real[PATH_MAX];
	unsigned char sum[32];
	struct sha256_ctx h;
	const char *name = cache;

	if (i > 2)
		return -1;
	if (!d || d[0] != '/' || dir_of(c, cache, sizeof(cache)) < 0)
		return 1;
	if (k == 1) {
		if (!realpath(cache, real) || !strcmp(real, cache))
			return 1;	/* no other name */
		name = real;
	}
	sha256_init(&h);
	sha256_update(&h, strlen(name), (const uint8_t *)name);
	sha256_digest(&h, sizeof(sum), sum);
	if (snprintf(pdir, dlen, "%s", d) >= (int)dlen ||
	    snprintf(path, len, "%s/jailtrace-taint-%u-%02x%02x%02x%02x%02x%02x%02x%02x", d, (unsigned)geteuid(),
		     sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6], sum[7]) >= (int)len)
		return 1;
	return 0;
}

/* Is @fd a mark of ours at @path (a regular file of ours, that very name)? */
static int our_mark(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && S_ISREG(a.st_mode) && a.st_uid == geteuid() && a.st_nlink == 1 &&
	       lstat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Empty cache @c. @return 1 when all is gone (no skeleton a run holds is left). */
static int wipe(int c)
{
	struct jt_cache_entry *all;
	char dir[PATH_MAX - 80], p[PATH_MAX];
	long n;

	if (c == JT_CACHE_SKELETONS)
		return jt_skeleton_wipe() == 0;
	if (jt_filtercache_dir(dir, sizeof(dir)) == 0 &&
	    (n = jt_cache_by_age(dir, ".bpf", ".", jt_filtercache_unlink_stale, &all)) >= 0) {
		for (long i = 0; i < n; i++) {
			snprintf(p, sizeof(p), "%s/%s.bpf", dir, all[i].name);
			unlink(p);	/* a link or a FIFO planted there too: removed, never opened */
		}
		free(all);
	}
	return 1;
}

/* Can this run's program write cache @c (a writable grant or its jail holds it)? */
static int reaches(const struct jt_run *run, int c)
{
	char dir[PATH_MAX - 80], parent[PATH_MAX - 80], *slash;

	if (dir_of(c, dir, sizeof(dir)) < 0 || jt_cache_dir_safe(run, dir))
		return 0;
	/* made now, as the runs that use it would: its mark is named by what it is */
	snprintf(parent, sizeof(parent), "%s", dir);
	if ((slash = strrchr(parent, '/')) && slash != parent) {
		*slash = '\0';
		mkdir(parent, 0755);
	}
	mkdir(dir, 0700);
	return 1;
}

static int mark(struct jt_run *run, int c, int k)
{
	char path[PATH_MAX], pdir[PATH_MAX];

	char cache[PATH_MAX], real[PATH_MAX];

	if (k == 1 && (dir_of(c, cache, sizeof(cache)) < 0 || !realpath(cache, real) || !strcmp(real, cache)))
		return 0;	/* one name only: nothing more to mark */
	for (int i = 0, r; (r = taint_place(i, c, k, path, sizeof(path), pdir, sizeof(pdir))) >= 0; i++) {
		if (r || !jt_cache_dir_safe(run, pdir))
			continue;	/* its program could remove the mark there */
		for (int tries = 0; tries < 3; tries++) {
			int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);

			if (fd < 0)
				break;
			/* the mark the last run is removing is another file by now */
			if (flock(fd, LOCK_SH) == 0 && our_mark(fd, path)) {
				run->taint_fd[2 * c + k] = fd;
				snprintf(run->taint_path[2 * c + k], sizeof(run->taint_path[0]), "%s", path);
				return 0;
			}
			close(fd);
		}
	}
	return -EPERM;
}

int jt_cache_taint(struct jt_run *run)
{
	int r = 0;

	for (int m = 0; m < 2 * JT_CACHES; m++)
		run->taint_fd[m] = -1;
	for (int c = 0; c < JT_CACHES && r == 0; c++)
		if (reaches(run, c) && (r = mark(run, c, 0)) == 0)
			r = mark(run, c, 1);
	return r;
}

void jt_cache_untaint(struct jt_run *run)
{
	for (int m = 0; m < 2 * JT_CACHES; m++) {
		int fd = run->taint_fd[m];

		if (fd < 0)
			continue;
		/* the last marking run: its program and every other such are gone */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && our_mark(fd, run->taint_path[m]) && wipe(m / 2))
			unlink(run->taint_path[m]);
		close(fd);
		run->taint_fd[m] = -1;
	}
}

int jt_cache_trusted(int c)
{
	char path[PATH_MAX], pdir[PATH_MAX];

	for (int k = 0; k < 2; k++)
		for (int i = 0, r; (r = taint_place(i, c, k, path, sizeof(path), pdir, sizeof(pdir))) >= 0; i++) {
			int fd, gone;

			if (r || (fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
				continue;
			if (!our_mark(fd, path)) {
				close(fd);
				continue;	/* not ours: no run of ours made it */
			}
			if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
				close(fd);
				return 0;	/* a marking run goes on */
			}
			/* its runs died before they emptied the cache: done here */
			gone = wipe(c);
			if (gone)
				unlink(path);
			close(fd);
			if (!gone)
				return 0;
		}
	return 1;
}
