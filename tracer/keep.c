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
#include "tracer/internal.h"
#include "tracer/path.h"

#define KEEP_DEPTH 64

/* Copy [@from, @to) of @src to the same offsets of @dst. */
static int copy_range(int src, int dst, off_t from, off_t to)
{
	char buf[65536];

	while (from < to) {
		size_t want = to - from < (off_t)sizeof(buf) ? (size_t)(to - from) : sizeof(buf);
		ssize_t n = pread(src, buf, want, from);

		if (n <= 0)
			return n < 0 ? -EIO : 0;	/* shorter now: the copy ends there */
		if (pwrite(dst, buf, (size_t)n, from) != n)
			return -EIO;
		from += n;
	}
	return 0;
}

/*
 * A file is copied with its holes (SEEK_DATA/SEEK_HOLE): a sparse file
 * the program made (a size of 1G in no blocks) takes on the host what it
 * took in the jail, not its apparent size in zeros, so what --keep writes
 * is bounded by what the run wrote.
 */
static int copy_file(int src, int dstdir, const char *name, mode_t mode)
{
	int dst = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	struct stat st;
	off_t data = 0, hole;
	int r = 0;

	if (dst < 0)
		return -errno;
	if (fstat(src, &st) < 0) {
		close(dst);
		return -errno;
	}
	while (r == 0 && data < st.st_size) {
		data = lseek(src, data, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break;	/* only a hole is left */
		hole = data < 0 ? st.st_size : lseek(src, data, SEEK_HOLE);
		if (data < 0)
			data = 0;	/* no SEEK_DATA here: all of it is data */
		if (hole < 0 || hole > st.st_size)
			hole = st.st_size;
		r = copy_range(src, dst, data, hole);
		data = hole;
	}
	if (r == 0 && ftruncate(dst, st.st_size) < 0)
		r = -errno;
	close(dst);
	return r < 0 ? -EIO : 0;
}

/* What a copy left out (links, fifos, sockets, devices): the count and the first. */
struct skipped {
	unsigned n;
	char first[256];
};

static int copy_at(int srcdir, const char *sname, int dstdir, const char *dname, int depth,
		   struct skipped *sk)
{
	struct stat st;
	int fd, r = 0;

	if (depth > KEEP_DEPTH)
		return -ELOOP;
	if (fstatat(srcdir, sname, &st, AT_SYMLINK_NOFOLLOW | (sname[0] ? 0 : AT_EMPTY_PATH)) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		fd = openat(srcdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (sname[0] ? 0 : 0));
		if (fd < 0)
			return -errno;
		r = copy_file(fd, dstdir, dname, st.st_mode);
		close(fd);
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		/* links, fifos, sockets: nothing to keep, but the user is told */
		if (sk->n++ == 0)
			snprintf(sk->first, sizeof(sk->first), "%s", dname);
		return 0;
	}
	if (mkdirat(dstdir, dname, 0700) < 0)
		return -errno;
	{
		int sfd = openat(srcdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
			r = copy_at(dirfd(d), e->d_name, dfd, e->d_name, depth + 1, sk);
		}
		if (d)
			closedir(d);
		if (dfd >= 0)
			close(dfd);
		if (r == 0)
			fchmodat(dstdir, dname, st.st_mode & 0777, 0);
	}
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

int jt_keep_check(struct jt_run *run, const char *spec, char *err, size_t errlen)
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
	close(dir);
	return 0;
}

int jt_keep(struct jt_run *run, const char *spec, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':'), *leaf;
	char inside[PATH_MAX], host[PATH_MAX];
	struct skipped sk = { 0 };
	struct jt_walk w;
	int r, hostdir, src;

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
	if ((hostdir = open_dest_dir(host, &leaf)) < 0) {
		r = -errno;
		jt_walk_done(&w);
		snprintf(err, errlen, "--keep %s: cannot open where to copy it: %s", spec, strerror(-r));
		return r;
	}
	src = w.dirfd >= 0 ? w.dirfd : w.fd;
	r = copy_at(src, w.dirfd >= 0 ? w.name : "", hostdir, leaf, 0, &sk);
	if (r < 0)
		snprintf(err, errlen, "--keep %s: %s", spec, strerror(-r));
	else if (sk.n)
		snprintf(err, errlen, "--keep %s: skipped %u symbolic link%s or special file%s (%s%s): "
			 "only regular files and directories are copied", spec, sk.n,
			 sk.n == 1 ? "" : "s", sk.n == 1 ? "" : "s", sk.first, sk.n > 1 ? ", ..." : "");
	close(hostdir);
	jt_walk_done(&w);
	return r < 0 ? r : (int)sk.n;
}
