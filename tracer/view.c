#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include "tracer/view.h"

/*
 * The identity the tracer works as: the tracer's one thread does every file
 * operation of the run, and its file-system uid is its own (setfsuid is
 * per thread), so this is the state of that thread.
 */
static struct {
	int known, on, jail;	/* jail: 1 working as the jail's user, 0 as the host's */
	uid_t uid[2];
	gid_t gid[2];
	int at;			/* O_PATH descriptor of the jail, its directories made in it */
	size_t at_len;		/* strlen of the jail's host path */
	char path[PATH_MAX];	/* ... that path */
} ids = { .at = -1 };

void jt_view_free(struct jt_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (v->m[i].fd >= 0)
			close(v->m[i].fd);
		free(v->m[i].inside);
		free(v->m[i].host);
		free(v->m[i].link);
	}
	free(v->m);
	v->m = NULL;
	v->n = 0;
}

const struct jt_mount *jt_view_mount(const struct jt_view *v, const char *inside, size_t len)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->m[i].len == len && memcmp(v->m[i].inside, inside, len) == 0)
			return &v->m[i];
	return NULL;
}

int jt_view_is_ancestor(const struct jt_view *v, const char *inside, size_t len)
{
	/* "/" is the ancestor of everything; "/a" of "/a/..." */
	if (len == 1 && inside[0] == '/')
		return v->n > 0;
	for (size_t i = 0; i < v->n; i++)
		if (v->m[i].len > len && memcmp(v->m[i].inside, inside, len) == 0 &&
		    v->m[i].inside[len] == '/')
			return 1;
	return 0;
}

int jt_view_inside_of(const struct jt_view *v, const char *host, char *out, size_t outlen)
{
	const struct jt_mount *best = NULL;
	size_t best_len = 0, hl;

	for (size_t i = 0; i < v->n; i++) {
		size_t n = strlen(v->m[i].host);

		if (v->m[i].flags & JT_MNT_LINK)
			continue;
		if (strncmp(host, v->m[i].host, n) != 0)
			continue;
		if (host[n] != '\0' && host[n] != '/' && !(n == 1 && host[0] == '/'))
			continue;
		if (!(v->m[i].flags & JT_MNT_DIR) && host[n] != '\0')
			continue;
		if (!best || n > best_len)
			best = &v->m[i], best_len = n;
	}
	if (!best)
		return -ENOENT;
	if (best_len == 1)
		best_len = 0;	/* a grant of "/" itself */
	hl = strlen(host + best_len);
	if (best->len + hl + 1 > outlen)
		return -ENAMETOOLONG;
	if (best->len == 1 && hl > 0) {
		memcpy(out, host + best_len, hl + 1);
		return (int)hl;
	}
	memcpy(out, best->inside, best->len);
	memcpy(out + best->len, host + best_len, hl + 1);
	return (int)(best->len + hl);
}

/* The mount at @inside, emptied for reuse, or a new one. */
static struct jt_mount *slot(struct jt_view *v, const char *inside)
{
	struct jt_mount *m = (struct jt_mount *)jt_view_mount(v, inside, strlen(inside));

	if (!m) {
		m = realloc(v->m, (v->n + 1) * sizeof(*m));
		if (!m)
			return NULL;
		v->m = m;
		m = &v->m[v->n++];
		memset(m, 0, sizeof(*m));
		m->fd = -1;
	}
	if (m->fd >= 0)
		close(m->fd);
	free(m->inside);
	free(m->host);
	free(m->link);
	m->fd = -1;
	m->inside = m->host = m->link = NULL;
	return m;
}

int jt_view_add_lazy(struct jt_view *v, const char *host, const char *inside)
{
	struct jt_mount *m = slot(v, inside);

	if (!m)
		return -ENOMEM;
	m->inside = strdup(inside);
	m->host = strdup(host);
	m->len = m->inside ? strlen(m->inside) : 0;
	m->flags = JT_MNT_RW | JT_MNT_DIR | JT_MNT_LAZY;
	m->rule = -1;
	return m->inside && m->host ? 0 : -ENOMEM;
}


static void ids_set(int jail)
{
	setfsgid(ids.gid[jail]);
	setfsuid(ids.uid[jail]);
	ids.jail = jail;
}

void jt_view_ids(int on, uid_t host_uid, gid_t host_gid, uid_t jail_uid, gid_t jail_gid)
{
	ids.uid[0] = host_uid, ids.gid[0] = host_gid;
	ids.uid[1] = jail_uid, ids.gid[1] = jail_gid;
	ids.known = 1;
	if (on || ids.on)
		ids_set(0);
	ids.on = on;
}

void jt_view_ids_done(void)
{
	if (ids.at >= 0)
		close(ids.at);
	ids.at = -1;
	ids.at_len = 0;
	ids.path[0] = '\0';
	ids.known = ids.on = ids.jail = 0;
}

void jt_view_as(const struct jt_mount *m)
{
	int jail;

	if (!ids.on || !m)
		return;
	/* /proc/PID of the sandbox is its user's too */
	jail = (m->flags & (JT_MNT_JAIL | JT_MNT_PROC)) != 0;
	if (jail != ids.jail)
		ids_set(jail);
}

int jt_view_apart(const struct jt_mount *a, const struct jt_mount *b)
{
	if (!ids.on || !a || !b || ids.uid[0] == ids.uid[1])
		return 0;
	return ((a->flags & (JT_MNT_JAIL | JT_MNT_PROC)) != 0) != ((b->flags & (JT_MNT_JAIL | JT_MNT_PROC)) != 0);
}

int jt_view_as_jail(void)
{
	int was = ids.jail;

	if (ids.on && !ids.jail)
		ids_set(1);
	return was;
}

void jt_view_as_back(int was)
{
	if (ids.on && ids.jail != was)
		ids_set(was);
}

int jt_view_jail_dir(const char *path)
{
	if (ids.at < 0 || strcmp(path, ids.path)) {
		/* a fresh jail not made yet holds nothing */
		errno = ids.known && !strcmp(path, ids.path) ? ENOENT : EACCES;
		return -1;
	}
	return openat(ids.at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void jt_view_mark_jail(struct jt_view *v, const char *jail)
{
	size_t l = strlen(jail);

	/* the jail's directories are made in it by descriptor: its user may
	 * not be able to walk the host path to it (a TMPDIR of mode 0700) */
	if (ids.at >= 0)
		close(ids.at);
	ids.at = l ? open(jail, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	ids.at_len = l;
	snprintf(ids.path, sizeof(ids.path), "%s", jail);

	for (size_t i = 0; l && i < v->n; i++)
		if (v->m[i].host && !strncmp(v->m[i].host, jail, l) &&
		    (v->m[i].host[l] == '/' || !v->m[i].host[l]))
			v->m[i].flags |= JT_MNT_JAIL;
}

/*
 * The fresh jail, made at its first use in the user's own directory: as the
 * host's identity, which owns that directory, and given to the jail's user
 * (CAP_CHOWN, effective for that call alone).
 */
static int make_jail(const char *path)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int was = ids.jail, r = 0, made;

	if (ids.on)
		ids_set(0);
	made = mkdir(path, 0700) == 0;
	if (!made && errno != EEXIST)
		r = -1;
	if (made && ids.known && ids.on) {
		if (syscall(SYS_capget, &h, d) < 0)
			r = -1;
		d[0].effective |= d[0].permitted & (1u << CAP_CHOWN);
		if (r == 0 && syscall(SYS_capset, &h, d) < 0)
			r = -1;
		if (r == 0 && chown(path, ids.uid[1], ids.gid[1]) < 0)
			r = -1;
		d[0].effective &= ~(1u << CAP_CHOWN);
		syscall(SYS_capset, &h, d);
	} else if (made && ids.known && chown(path, ids.uid[1], ids.gid[1]) < 0) {
		r = -1;	/* before the run (a --keep checked): every capability is there */
	}
	if (r == 0 && ids.known && strlen(path) == ids.at_len && ids.at < 0)
		ids.at = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ids.on)
		ids_set(was);
	return r;
}

int jt_mount_fd(const struct jt_mount *m)
{
	/* the view is read-only to walks but for this one descriptor, kept once made */
	struct jt_mount *lazy = (struct jt_mount *)m;

	if (m->fd >= 0 || !(m->flags & JT_MNT_LAZY))
		return m->fd;
	jt_view_as(m);
	const char *leaf = m->host + ids.at_len;
	int in_jail = ids.known && ids.at_len && strlen(m->host) > ids.at_len &&
		      !strncmp(m->host, ids.path, ids.at_len) && *leaf == '/' && !strchr(leaf + 1, '/');

	/* the fresh jail itself, made with its first directory (by the host's
	 * identity, which may walk to it: its user may not, below a 0700 TMPDIR) */
	if (in_jail && ids.at < 0 && make_jail(ids.path) < 0)
		return -1;
	int at = in_jail ? ids.at : -1;
	int r = at >= 0 ? mkdirat(at, leaf + 1, 0700) : mkdir(m->host, 0700);

	if (r < 0 && errno == ENOENT && at < 0) {
		/* the fresh jail itself, made with its first directory */
		char parent[PATH_MAX];
		char *slash;

		snprintf(parent, sizeof(parent), "%s", m->host);
		slash = strrchr(parent, '/');
		if (!slash || slash == parent)
			return -1;
		*slash = '\0';
		if (make_jail(parent) < 0)
			return -1;
		at = ids.at;
		r = at >= 0 ? mkdirat(at, leaf + 1, 0700) : mkdir(m->host, 0700);
	}
	if (r < 0 && errno != EEXIST)
		return -1;
	/* made before the run (a --keep checked), with every capability: given */
	if (r == 0 && ids.known && (m->flags & JT_MNT_JAIL) && !ids.on)
		fchownat(at >= 0 ? at : AT_FDCWD, at >= 0 ? leaf + 1 : m->host, ids.uid[1], ids.gid[1],
			 AT_SYMLINK_NOFOLLOW);
	lazy->fd = at >= 0 ? openat(at, leaf + 1, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			   : open(m->host, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return m->fd;
}

static int add(struct jt_view *v, const struct jt_grant *g, int skip_missing, char *err,
	       size_t errlen)
{
	struct jt_mount *m;
	struct stat st;
	char link[4096];
	ssize_t ln = -1;
	/* a host path that is a symbolic link (/lib -> usr/lib) is shown as the
	 * same link: what it points to must be granted too */
	int fd = open(g->host, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (skip_missing && e == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s for the view: %s", g->host, strerror(e));
		return -e;
	}
	if (S_ISLNK(st.st_mode)) {
		ln = readlinkat(fd, "", link, sizeof(link) - 1);
		if (ln < 0 || (size_t)ln >= sizeof(link) - 1) {
			close(fd);
			snprintf(err, errlen, "cannot read the link %s", g->host);
			return -EINVAL;
		}
		link[ln] = '\0';
	}
	if (!(m = slot(v, g->inside))) {
		close(fd);
		return -ENOMEM;
	}
	if (ln >= 0) {
		close(fd);
		fd = -1;
		if (!(m->link = strdup(link)))
			return -ENOMEM;
	}
	m->inside = strdup(g->inside);
	m->host = strdup(g->host);
	m->len = m->inside ? strlen(m->inside) : 0;
	m->fd = fd;
	m->flags = (g->writable ? JT_MNT_RW : 0) | (S_ISDIR(st.st_mode) ? JT_MNT_DIR : 0) |
		   (ln >= 0 ? JT_MNT_LINK : 0);
	m->rule = g->rule;
	return m->inside && m->host ? 0 : -ENOMEM;
}

int jt_view_build(struct jt_view *v, const struct jt_policy *p, int skip_missing,
		  char *err, size_t errlen)
{
	v->m = NULL;
	v->n = 0;
	return jt_view_add(v, p, skip_missing, err, errlen);
}

int jt_view_add(struct jt_view *v, const struct jt_policy *p, int skip_missing,
		char *err, size_t errlen)
{
	for (size_t i = 0; i < p->n_grants; i++) {
		/* the built-in grants name what not every host has */
		int skip = 1;	/* a granted path the host lacks is left out */
		int r = add(v, &p->grants[i], skip, err, errlen);

		if (r < 0) {
			jt_view_free(v);
			return r;
		}
	}
	return 0;
}
