/*
 * Files in a sandbox's jail, by their inside paths: /tmp, /home/sandbox,
 * /work and /dev/shm are the jail's tmp, home, work and shm.
 *
 * The program in the sandbox owns the jail and may have planted links
 * there, so a path is walked one component at a time, each opened
 * relative to the directory before it with O_NOFOLLOW: no link is
 * followed (one in the way is refused), and a rename under the walk
 * cannot lead it out, as no name is looked up again from the top. ".."
 * and "." are refused before the walk. (openat2's RESOLVE_BENEATH would
 * do the same on Linux 5.6 and later; the walk works on every kernel
 * jailtrace runs on, and refuses a link inside the jail on all of them
 * alike.) A file read must be a regular file, opened O_NONBLOCK so a
 * planted FIFO cannot hold the server; a file written is written to a new
 * name and renamed over the old one, never written through it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "serve/serve.h"

static const struct {
	const char *inside, *sub;
} roots[] = {
	{ "/tmp", "tmp" }, { "/home/sandbox", "home" }, { "/work", "work" }, { "/dev/shm", "shm" },
};

/*
 * @path's parent directory in @b's jail, opened (making the missing ones
 * when @create, owned as the jail is), and its last component in @leaf
 * ("" when @path is one of the roots: then the root is returned). -1 with
 * @status and @err on refusal.
 */
static int walk(struct box *b, const char *path, int create, char *leaf, struct stat *root_st,
		unsigned *status, char *err, size_t errlen)
{
	char rel[PATH_MAX], sub[PATH_MAX + 16], *s, *next;
	const char *rest = NULL;
	size_t i;
	int fd;

	*status = 400;
	leaf[0] = '\0';
	if (path[0] != '/') {
		snprintf(err, errlen, "\"%s\": want an absolute path inside the sandbox", path);
		return -1;
	}
	for (i = 0; i < sizeof(roots) / sizeof(*roots); i++) {
		size_t n = strlen(roots[i].inside);

		if (!strncmp(path, roots[i].inside, n) && (path[n] == '\0' || path[n] == '/')) {
			rest = path + n;
			break;
		}
	}
	if (!rest) {
		*status = 403;
		snprintf(err, errlen, "\"%s\" is not in the jail (/tmp, /home/sandbox, /work, /dev/shm)", path);
		return -1;
	}
	if (*rest == '/')
		rest++;
	if (strlen(rest) >= sizeof(rel)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	strcpy(rel, rest);
	/* a trailing slash names the same file */
	if (rel[0] && rel[strlen(rel) - 1] == '/')
		rel[strlen(rel) - 1] = '\0';
	for (s = rel; *s; s = next) {
		char *slash = strchr(s, '/');
		size_t n = slash ? (size_t)(slash - s) : strlen(s);

		next = slash ? slash + 1 : s + n;
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
			*status = 403;
			snprintf(err, errlen, "\"%s\": empty, . and .. components are refused", path);
			return -1;
		}
		if (n > NAME_MAX) {
			snprintf(err, errlen, "\"%s\": a name longer than %d bytes", path, NAME_MAX);
			return -1;
		}
	}
	snprintf(sub, sizeof(sub), "%s/%s", box_jail(b), roots[i].sub);
	fd = open(sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, root_st) < 0) {
		*status = 500;
		snprintf(err, errlen, "the jail's %s: %s", roots[i].inside, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (s = rel; *s; s = next) {
		char *slash = strchr(s, '/');
		int nfd;

		if (!slash) {
			size_t n = strlen(s);	/* at most NAME_MAX: checked above */

			memcpy(leaf, s, n < NAME_MAX ? n : NAME_MAX);
			leaf[n < NAME_MAX ? n : NAME_MAX] = '\0';
			break;
		}
		*slash = '\0';
		next = slash + 1;
		nfd = openat(fd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if ((mkdirat(fd, s, 0755) < 0 && errno != EEXIST) ||
			    fchownat(fd, s, root_st->st_uid, root_st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
				*status = 500;
				snprintf(err, errlen, "\"%s\": cannot make %s: %s", path, s, strerror(errno));
				close(fd);
				return -1;
			}
			nfd = openat(fd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			int e = errno;

			close(fd);
			*status = e == ENOENT ? 404 : e == ELOOP || e == ENOTDIR ? 403 : 500;
			snprintf(err, errlen, "\"%s\": %s %s", path, s,
				 e == ELOOP ? "is a link (links are not followed)" :
				 e == ENOTDIR ? "is not a directory" : strerror(e));
			return -1;
		}
		close(fd);
		fd = nfd;
	}
	return fd;
}

struct upload {
	int dir, fd;
	char leaf[NAME_MAX + 1];
	char tmp[64];
	char path[PATH_MAX];
	size_t n;
};

struct upload *files_upload_begin(struct box *b, const char *path, unsigned *status, char *err,
				  size_t errlen)
{
	struct upload *u = calloc(1, sizeof(*u));
	unsigned char r[8];
	struct stat root, st;

	if (!u) {
		*status = 500;
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->fd = -1;
	if ((u->dir = walk(b, path, 1, u->leaf, &root, status, err, errlen)) < 0) {
		free(u);
		return NULL;
	}
	if (!u->leaf[0] || (fstatat(u->dir, u->leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))) {
		*status = 409;
		snprintf(err, errlen, "\"%s\" is a directory", path);
		close(u->dir);
		free(u);
		return NULL;
	}
	snprintf(u->path, sizeof(u->path), "%s", path);
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		abort();
	snprintf(u->tmp, sizeof(u->tmp), ".jailtrace-upload-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
		 r[3], r[4], r[5], r[6], r[7]);
	u->fd = openat(u->dir, u->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (u->fd < 0 || fchown(u->fd, root.st_uid, root.st_gid) < 0) {
		*status = 500;
		snprintf(err, errlen, "\"%s\": %s", path, strerror(errno));
		files_upload_abort(u);
		return NULL;
	}
	return u;
}

int files_upload_write(struct upload *u, const char *data, size_t len)
{
	if (u->n + len > srv.max_file)
		return -EFBIG;
	while (len) {
		ssize_t w = write(u->fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		data += w;
		len -= (size_t)w;
		u->n += (size_t)w;
	}
	return 0;
}

void files_upload_abort(struct upload *u)
{
	if (u->fd >= 0) {
		close(u->fd);
		unlinkat(u->dir, u->tmp, 0);
	}
	close(u->dir);
	free(u);
}

enum MHD_Result files_upload_end(struct MHD_Connection *c, struct upload *u)
{
	char buf[PATH_MAX * 2];
	struct jt_json j;
	int e;

	e = close(u->fd) < 0 ? errno : 0;
	u->fd = -1;
	if (!e && renameat(u->dir, u->tmp, u->dir, u->leaf) < 0)
		e = errno;
	if (e) {
		unlinkat(u->dir, u->tmp, 0);
		close(u->dir);
		free(u);
		return srv_error(c, e == EISDIR ? 409 : 500, "path", "%s", strerror(e));
	}
	jt_json_init(&j, buf, sizeof(buf));
	jt_json_object(&j);
	jt_json_key(&j, "path");
	jt_json_str(&j, u->path);
	jt_json_key(&j, "size");
	jt_json_uint(&j, u->n);
	jt_json_finish(&j);
	close(u->dir);
	free(u);
	return srv_reply(c, 201, NULL, buf, j.len);
}

static enum MHD_Result listing(struct MHD_Connection *c, int fd, const char *path)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	struct jbuf out;
	size_t cap = 64 * 1024;
	enum MHD_Result r;

	if (!d) {
		close(fd);
		return srv_error(c, 500, NULL, "%s", strerror(errno));
	}
	for (;;) {
		jbuf_init(&out, cap);
		rewinddir(d);
		jt_json_object(&out.j);
		jt_json_key(&out.j, "path");
		jt_json_str(&out.j, path);
		jt_json_key(&out.j, "entries");
		jt_json_array(&out.j);
		while ((e = readdir(d))) {
			struct stat st;

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
			    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			jt_json_object(&out.j);
			jt_json_key(&out.j, "name");
			jt_json_str(&out.j, e->d_name);
			jt_json_key(&out.j, "type");
			jt_json_str(&out.j, S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir" :
					   S_ISLNK(st.st_mode) ? "link" : "other");
			jt_json_key(&out.j, "size");
			jt_json_uint(&out.j, (unsigned long long)st.st_size);
			jt_json_key(&out.j, "mtime");
			jt_json_int(&out.j, (long long)st.st_mtime);
			jt_json_end(&out.j);
		}
		jt_json_end(&out.j);
		if (jt_json_finish(&out.j) == 0 || cap >= 64 << 20)
			break;
		jbuf_free(&out);
		cap *= 4;
	}
	closedir(d);
	r = srv_reply(c, 200, NULL, out.buf, out.j.len);
	jbuf_free(&out);
	return r;
}

enum MHD_Result files_get(struct MHD_Connection *c, struct box *b, const char *path)
{
	char leaf[NAME_MAX + 1], err[PATH_MAX + 128];
	unsigned status;
	struct stat root, st;
	struct MHD_Response *resp;
	enum MHD_Result r;
	int dir = walk(b, path, 0, leaf, &root, &status, err, sizeof(err)), fd;

	if (dir < 0)
		return srv_error(c, status, "path", "%s", err);
	if (!leaf[0])
		fd = dir;
	else {
		fd = openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;

			close(dir);
			if (e == ENOENT)
				return srv_error(c, 404, "path", "\"%s\": no such file", path);
			return srv_error(c, e == ELOOP ? 403 : 500, "path", "\"%s\": %s", path,
					 e == ELOOP ? "is a link (links are not followed)" : strerror(e));
		}
		close(dir);
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return srv_error(c, 500, "path", "%s", strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return listing(c, fd, path);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return srv_error(c, 403, "path", "\"%s\" is not a regular file", path);
	}
	fcntl(fd, F_SETFL, 0);
	resp = jt_mhd.response_from_fd((size_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	jt_mhd.add_response_header(resp, "Content-Type", "application/octet-stream");
	r = jt_mhd.queue_response(c, 200, resp);
	srv_log_reply(200);
	jt_mhd.destroy_response(resp);
	return r;
}

enum MHD_Result files_delete(struct MHD_Connection *c, struct box *b, const char *path)
{
	char leaf[NAME_MAX + 1], err[PATH_MAX + 128];
	unsigned status;
	struct stat root;
	int dir = walk(b, path, 0, leaf, &root, &status, err, sizeof(err)), e = 0;

	if (dir < 0)
		return srv_error(c, status, "path", "%s", err);
	if (!leaf[0]) {
		close(dir);
		return srv_error(c, 403, "path", "\"%s\" is a root of the jail", path);
	}
	if (unlinkat(dir, leaf, 0) < 0) {
		e = errno;
		if ((e == EISDIR || e == EPERM) && unlinkat(dir, leaf, AT_REMOVEDIR) == 0)
			e = 0;
		else if (e == EISDIR || e == EPERM)
			e = errno;
	}
	close(dir);
	if (e == ENOENT)
		return srv_error(c, 404, "path", "\"%s\": no such file", path);
	if (e == ENOTEMPTY || e == EEXIST)
		return srv_error(c, 409, "path", "\"%s\" is a directory that is not empty", path);
	if (e)
		return srv_error(c, 500, "path", "\"%s\": %s", path, strerror(e));
	srv_log("removed %s in %s", path, box_jail(b));
	return srv_reply(c, 204, NULL, "", 0);
}
