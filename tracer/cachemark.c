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
#include "tracer/filtercache.h"
#include "tracer/fs.h"
#include "tracer/internal.h"

/* The @i-th place of the mark (its directory in @dir). @return 0, 1: none such, -1: past the last. */
static int taint_place(int i, char *path, size_t len, char *dir, size_t dlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *d = i == 0 ? "/dev/shm" : i == 1 ? xdg : i == 2 ? jt_tmpdir() : NULL;

	if (i > 2)
		return -1;
	if (!d || d[0] != '/' ||
	    snprintf(dir, dlen, "%s", d) >= (int)dlen ||
	    snprintf(path, len, "%s/jailtrace-taint-%u", d, (unsigned)geteuid()) >= (int)len)
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

/* Empty both caches. @return 1 when all is gone (no skeleton is held). */
static int wipe(void)
{
	struct jt_cache_entry *all;
	char dir[PATH_MAX - 80], p[PATH_MAX];
	long n;

	if (jt_filtercache_dir(dir, sizeof(dir)) == 0 && (n = jt_cache_by_age(dir, ".bpf", ".", jt_filtercache_unlink_stale, &all)) >= 0) {
		for (long i = 0; i < n; i++) {
			snprintf(p, sizeof(p), "%s/%s.bpf", dir, all[i].name);
			unlink(p);	/* a link or a FIFO planted there too: removed, never opened */
		}
		free(all);
	}
	return jt_skeleton_wipe() == 0;
}

int jt_cache_taint(struct jt_run *run)
{
	char skel[PATH_MAX - 80], path[PATH_MAX], dir[PATH_MAX];

	run->taint_fd = -1;
	if (jt_filtercache_safe(run) &&
	    (jt_skeleton_base(skel, sizeof(skel)) < 0 || jt_cache_dir_safe(run, skel)))
		return 0;	/* its program reaches neither cache */
	for (int i = 0, r; (r = taint_place(i, path, sizeof(path), dir, sizeof(dir))) >= 0; i++) {
		int fd;

		if (r || !jt_cache_dir_safe(run, dir))
			continue;	/* its program could remove the mark there */
		for (int tries = 0; tries < 3; tries++) {
			fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
			if (fd < 0)
				break;
			/* the mark the last run is removing is another file by now */
			if (flock(fd, LOCK_SH) == 0 && our_mark(fd, path)) {
				run->taint_fd = fd;
				snprintf(run->taint_path, sizeof(run->taint_path), "%s", path);
				return 0;
			}
			close(fd);
		}
	}
	return -EPERM;
}

void jt_cache_untaint(struct jt_run *run)
{
	if (run->taint_fd < 0)
		return;
	/* the last marking run: its program and every other such are gone */
	if (flock(run->taint_fd, LOCK_EX | LOCK_NB) == 0 && our_mark(run->taint_fd, run->taint_path) && wipe())
		unlink(run->taint_path);
	close(run->taint_fd);
	run->taint_fd = -1;
}

int jt_cache_trusted(void)
{
	char path[PATH_MAX], dir[PATH_MAX];

	for (int i = 0, r; (r = taint_place(i, path, sizeof(path), dir, sizeof(dir))) >= 0; i++) {
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
		/* its runs died before they emptied the caches: done here */
		gone = wipe();
		if (gone)
			unlink(path);
		close(fd);
		if (!gone)
			return 0;
	}
	return 1;
}
