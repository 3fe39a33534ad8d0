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

static int copy_file(int src, int dstdir, const char *name, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int dst = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);

	if (dst < 0)
		return -errno;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(dst, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(dst);
	return n < 0 ? -EIO : 0;
}

static int copy_at(int srcdir, const char *sname, int dstdir, const char *dname, int depth)
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
	if (!S_ISDIR(st.st_mode))
		return 0;	/* links, fifos, sockets: nothing to keep */
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
			r = copy_at(dirfd(d), e->d_name, dfd, e->d_name, depth + 1);
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

int jt_keep(struct jt_run *run, const char *spec, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	char inside[PATH_MAX], host[PATH_MAX], *slash;
	struct jt_walk w;
	int r, hostdir, src;

	snprintf(inside, sizeof(inside), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	r = jt_walk(&run->view, run->cwd_inside, inside, JT_WALK_NOFOLLOW, &w);
	if (r < 0 || !w.mount || !(w.mount->flags & JT_MNT_RW)) {
		if (r == 0)
			jt_walk_done(&w);
		snprintf(err, errlen, "--keep %s: not in the jail%s", inside, r < 0 ? " (no such path)" : "");
		return r < 0 ? r : -EINVAL;
	}
	if (colon)
		snprintf(host, sizeof(host), "%s", colon + 1);
	else
		snprintf(host, sizeof(host), "./%s", w.name[0] ? w.name : "jail");
	slash = strrchr(host, '/');
	if (slash) {
		*slash = '\0';
		hostdir = open(host[0] ? host : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
	} else {
		hostdir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (hostdir < 0) {
		jt_walk_done(&w);
		snprintf(err, errlen, "--keep %s: cannot open where to copy it: %s", spec, strerror(errno));
		return -errno;
	}
	src = w.dirfd >= 0 ? w.dirfd : w.fd;
	r = copy_at(src, w.dirfd >= 0 ? w.name : "", hostdir, slash ? slash + 1 : host, 0);
	if (r < 0)
		snprintf(err, errlen, "--keep %s: %s", spec, strerror(-r));
	close(hostdir);
	jt_walk_done(&w);
	return r;
}
