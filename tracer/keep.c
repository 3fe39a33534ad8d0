/*
 * --keep INSIDE[:HOST]: after the run, copy what the program left at an
 * inside path out of its jail. The copy walks the view like any path of
 * the run and then descriptors only. Only regular files and directories
 * are copied: a link the program made could point anywhere on the host,
 * and a later tool following it there would act for the program.
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
#include "tracer/filtercache.h"
#include "tracer/internal.h"
#include "tracer/path.h"

#define KEEP_DEPTH 64

/*
 * One copy: a file with several links is copied once and linked again
 * (by its first copy's path under the destination), holes stay holes, and
 * the bytes written stay within @budget (what the jail held, at most
 * --disk): the copy never puts more on the host than the run was allowed.
 */
struct keep {
	int top;			/* the directory the copy is made in */
	char rel[PATH_MAX];		/* the path being copied, relative to top */
	struct { dev_t dev; ino_t ino; char *rel; } *links;
	size_t n_links;
	uint64_t budget;		/* bytes the copy may still write; 0: no bound */
	int bounded;
	unsigned skipped;		/* links, fifos, sockets, devices left out */
	char skipped_first[256];	/* the first of them */
};

/* The first copy of inode @st, when it has one already. */
static const char *copied_as(const struct keep *k, const struct stat *st)
{
	for (size_t i = 0; i < k->n_links; i++)
		if (k->links[i].dev == st->st_dev && k->links[i].ino == st->st_ino)
			return k->links[i].rel;
	return NULL;
}

static void remember(struct keep *k, const struct stat *st)
{
	void *v = realloc(k->links, (k->n_links + 1) * sizeof(*k->links));
	char *rel = strdup(k->rel);

	if (!v || !rel) {
		free(rel);
		if (v)
			k->links = v;
		return;	/* copied again if met again: still within the budget */
	}
	k->links = v;
	k->links[k->n_links].dev = st->st_dev;
	k->links[k->n_links].ino = st->st_ino;
	k->links[k->n_links++].rel = rel;
}

/* Bytes [@off, @end) of @src at the same place in @dst. */
static int copy_range(struct keep *k, int src, int dst, off_t off, off_t end)
{
	char buf[65536];

	while (off < end) {
		size_t want = end - off < (off_t)sizeof(buf) ? (size_t)(end - off) : sizeof(buf);
		ssize_t n;

		if (k->bounded && (uint64_t)want > k->budget)
			return -EFBIG;
		n = pread(src, buf, want, off);
		if (n <= 0)
			return n < 0 ? -errno : 0;	/* shrunk meanwhile: the rest is a hole */
		if (pwrite(dst, buf, (size_t)n, off) != n)
			return -EIO;
		off += n;
		k->budget -= k->bounded ? (uint64_t)n : 0;
	}
	return 0;
}

/* The data of @src (by SEEK_DATA and SEEK_HOLE, so holes stay holes), then its size. */
static int copy_file(struct keep *k, int src, int dstdir, const char *name, const struct stat *st)
{
	int dst = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			 st->st_mode & 0777);
	off_t off = 0, end;
	int r = 0;

	if (dst < 0)
		return -errno;
	while (r == 0 && off < st->st_size) {
		off = lseek(src, off, SEEK_DATA);
		if (off < 0) {
			/* ENXIO: only a hole is left; else a file system without SEEK_DATA */
			if (errno != ENXIO)
				r = copy_range(k, src, dst, 0, st->st_size);
			break;
		}
		end = lseek(src, off, SEEK_HOLE);
		if (end < 0 || end > st->st_size)
			end = st->st_size;
		r = copy_range(k, src, dst, off, end);
		off = end;
	}
	if (r == 0 && ftruncate(dst, st->st_size) < 0)
		r = -errno;
	close(dst);
	return r;
}

/* The file @sname in @srcdir, read-only; "" is @srcdir itself (a granted file). */
static int open_src(int srcdir, const char *sname)
{
	char p[64];

	if (sname[0])
		return openat(srcdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", srcdir);
	return open(p, O_RDONLY | O_CLOEXEC);
}

static int copy_at(struct keep *k, int srcdir, const char *sname, int dstdir, const char *dname,
		   int depth)
{
	size_t rlen = strlen(k->rel);
	struct stat st;
	int fd, r = 0;

	if (depth > KEEP_DEPTH)
		return -ELOOP;
	if (fstatat(srcdir, sname, &st, AT_SYMLINK_NOFOLLOW | (sname[0] ? 0 : AT_EMPTY_PATH)) < 0)
		return -errno;
	if (snprintf(k->rel + rlen, sizeof(k->rel) - rlen, "%s%s", rlen ? "/" : "", dname) >=
	    (int)(sizeof(k->rel) - rlen))
		return -ENAMETOOLONG;
	if (S_ISREG(st.st_mode)) {
		const char *first = st.st_nlink > 1 ? copied_as(k, &st) : NULL;

		if (first) {
			r = linkat(k->top, first, dstdir, dname, 0) < 0 ? -errno : 0;
		} else if ((fd = open_src(srcdir, sname)) < 0) {
			r = -errno;
		} else {
			r = copy_file(k, fd, dstdir, dname, &st);
			close(fd);
			if (r == 0 && st.st_nlink > 1)
				remember(k, &st);
		}
		k->rel[rlen] = '\0';
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		/* links, fifos, sockets: nothing to keep, but the user is told */
		if (k->skipped++ == 0) {
			snprintf(k->skipped_first, sizeof(k->skipped_first), "%s", dname);
			/* the program's name, for a terminal: its ESC, CR, LF as '?' */
			for (char *c = k->skipped_first; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
		}
		k->rel[rlen] = '\0';
		return 0;
	}
	if (mkdirat(dstdir, dname, 0700) < 0) {
		k->rel[rlen] = '\0';
		return -errno;
	}
	{
		/* "": the walk ended on a mount root (/tmp), which is @srcdir itself */
		int sfd = openat(srcdir, sname[0] ? sname : ".",
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int dfd = openat(dstdir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = sfd >= 0 ? fdopendir(sfd) : NULL;
		struct dirent *e;

		if (!d || dfd < 0) {
			r = -errno;
			if (sfd >= 0 && !d)
				close(sfd);
		}
		while (d && dfd >= 0 && r == 0 && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			r = copy_at(k, dirfd(d), e->d_name, dfd, e->d_name, depth + 1);
		}
		if (d)
			closedir(d);
		if (dfd >= 0)
			close(dfd);
		if (r == 0)
			fchmodat(dstdir, dname, st.st_mode & 0777, 0);
	}
	k->rel[rlen] = '\0';
	return r;
}

/*
 * Where --keep INSIDE[:HOST] copies to: HOST, or INSIDE's name in the
 * current directory ("jail" for a whole jail directory). @name: the last
 * component of INSIDE as the view resolved it, or NULL: from the text.
 */
static void keep_dest(const char *spec, const char *name, char *host, size_t len)
{
	const char *colon = strchr(spec, ':'), *end, *base;

	if (colon) {
		snprintf(host, len, "%s", colon + 1);
		return;
	}
	if (!name) {
		size_t n;

		end = spec + strlen(spec);
		while (end > spec + 1 && end[-1] == '/')
			end--;
		for (base = end; base > spec && base[-1] != '/'; base--)
			;
		n = (size_t)(end - base);
		if (n == 0 || (n == 1 && base[0] == '.') || (n == 2 && !strncmp(base, "..", 2)))
			snprintf(host, len, "./jail");
		else
			snprintf(host, len, "./%.*s", (int)n, base);
		return;
	}
	snprintf(host, len, "./%s", name[0] ? name : "jail");
}

/* The directory HOST is copied into, opened; and HOST's own name in it. */
static int open_dest_dir(char *host, const char **leaf)
{
	char *slash = strrchr(host, '/');
	int fd;

	if (!slash) {
		*leaf = host;
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	*slash = '\0';
	fd = open(host[0] ? host : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*slash = '/';
	*leaf = slash + 1;
	return fd;
}

int jt_keep_check(struct jt_run *run, const char *spec, int *dirp, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':'), *leaf;
	char inside[PATH_MAX], host[PATH_MAX];
	struct jt_walk w;
	struct stat st;
	int dir, named;

	snprintf(inside, sizeof(inside), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	/* as jt_keep will name it: its parent may not be there yet */
	named = jt_walk(&run->view, run->cwd_inside, inside, JT_WALK_NOFOLLOW | JT_WALK_CREATE, &w) == 0;
	keep_dest(spec, named ? w.name : NULL, host, sizeof(host));
	if (named)
		jt_walk_done(&w);
	if (jt_way_through_program_link(run, host, 0, inside, sizeof(inside))) {
		snprintf(err, errlen, "--keep %s: the way to %s passes through the link %s, in a writable "
			 "grant (a program could have made it): copy elsewhere", spec, host, inside);
		return -ELOOP;
	}
	if ((dir = open_dest_dir(host, &leaf)) < 0) {
		int e = errno;

		snprintf(err, errlen, "--keep %s: cannot copy into the directory of %s: %s", spec, host,
			 strerror(e));
		return -e;
	}
	if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		close(dir);
		snprintf(err, errlen, "--keep %s: host path %s exists; jailtrace does not overwrite it", spec, host);
		return -EEXIST;
	}
	/* copied into at the end, as it is now: the program may have made a
	 * directory on HOST's way a link by then, if a writable grant holds it */
	*dirp = dir;
	return 0;
}

int jt_keep(struct jt_run *run, const char *spec, int dir, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':'), *leaf;
	char inside[PATH_MAX], host[PATH_MAX];
	struct jt_walk w;
	int r, hostdir, src;
	unsigned skipped;

	err[0] = '\0';
	snprintf(inside, sizeof(inside), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	r = jt_walk(&run->view, run->cwd_inside, inside, JT_WALK_NOFOLLOW, &w);
	if (r < 0 || !w.mount || !(w.mount->flags & JT_MNT_RW)) {
		if (r == 0)
			jt_walk_done(&w);
		snprintf(err, errlen, "--keep %s: not in the jail%s", inside, r < 0 ? " (no such path)" : "");
		return r < 0 ? r : -EINVAL;
	}
	keep_dest(spec, w.name, host, sizeof(host));
	if (dir >= 0) {
		leaf = strrchr(host, '/') ? strrchr(host, '/') + 1 : host;
		hostdir = fcntl(dir, F_DUPFD_CLOEXEC, 3);
	} else {
		hostdir = open_dest_dir(host, &leaf);
	}
	if (hostdir < 0) {
		r = -errno;
		jt_walk_done(&w);
		snprintf(err, errlen, "--keep %s: cannot open where to copy it: %s", spec, strerror(-r));
		return r;
	}
	src = w.dirfd >= 0 ? w.dirfd : w.fd;
	{
		/* no more than the jail holds now, nor than --disk */
		uint64_t maxb = run->limit[JT_LIMIT_DISK];
		struct keep k = { .top = hostdir, .bounded = 1 };

		if (jt_disk_usage(run->jail, 0, &run->disk) < 0)
			run->disk.bytes = 0;
		k.budget = maxb && maxb < run->disk.bytes ? maxb : run->disk.bytes;

		r = copy_at(&k, src, w.dirfd >= 0 ? w.name : "", hostdir, leaf, 0);
		for (size_t i = 0; i < k.n_links; i++)
			free(k.links[i].rel);
		free(k.links);
		skipped = k.skipped;
		if (r == 0 && skipped)
			snprintf(err, errlen, "--keep %s: skipped %u symbolic link%s or special file%s (%s%s): "
				 "only regular files and directories are copied", spec, skipped,
				 skipped == 1 ? "" : "s", skipped == 1 ? "" : "s", k.skipped_first,
				 skipped > 1 ? ", ..." : "");
	}
	if (r == -EFBIG)
		snprintf(err, errlen, "--keep %s: the copy would be larger than the jail held "
			 "(%llu bytes)", spec, (unsigned long long)run->disk.bytes);
	else if (r < 0)
		snprintf(err, errlen, "--keep %s: %s", spec, strerror(-r));
	close(hostdir);
	jt_walk_done(&w);
	return r < 0 ? r : (int)skipped;
}
