/*
 * Files under /proc/PID of the sandbox that would describe the host, and
 * are answered for the sandbox instead (docs/design.md, "/proc"):
 *
 * - net/...: the host's sockets, unix socket paths and interfaces (there
 *   is no network namespace). Each table is shown with its header lines
 *   only: the sandbox's own sockets are the host's too, and no others are
 *   its business;
 * - mountinfo, mounts, mountstats: the host's mount table. The view's
 *   grants are shown instead, as mounts of type "jailtrace";
 * - maps, smaps, numa_maps: host paths of mapped files (the jail's host
 *   directory above all). Each path is read back into the view; one the
 *   view does not hold is left out.
 *
 * The answer is made at the open, into a memfd (or an unlinked temporary
 * file on kernels before 3.17) that the program receives read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "tracer/internal.h"
#include "tracer/path.h"

#define ANSWER_MAX (16u << 20)	/* the most a synthesized file holds */

struct buf {
	char *p;
	size_t len, cap;
	int full;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->full || b->len + n > ANSWER_MAX) {
		b->full = 1;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->full = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A path as the kernel writes it in mount tables: space, tab, newline, backslash in octal. */
static void put_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		char e[8];

		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\') {
			snprintf(e, sizeof(e), "\\%03o", (unsigned char)*s);
			puts_(b, e);
		} else {
			put(b, s, 1);
		}
	}
}

/* ------------------------------------------------------------ what is it */

enum kind { NONE, NET, MOUNTINFO, MOUNTS, MOUNTSTATS, MAPS };

/* Skip "/proc/PID" and "/task/TID" of @inside; NULL unless it has them. */
static const char *below_pid(const char *inside)
{
	const char *s = inside;

	if (strncmp(s, "/proc/", 6))
		return NULL;
	s += 6;
	if (*s < '1' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s != '/')
		return NULL;
	if (!strncmp(s, "/task/", 6) && s[6] >= '1' && s[6] <= '9') {
		const char *t = s + 6;

		while (*t >= '0' && *t <= '9')
			t++;
		if (*t == '/')
			s = t;
	}
	return s + 1;
}

static enum kind kind_of(const char *rest)
{
	if (!strncmp(rest, "net/", 4))
		return NET;
	if (!strcmp(rest, "mountinfo"))
		return MOUNTINFO;
	if (!strcmp(rest, "mounts"))
		return MOUNTS;
	if (!strcmp(rest, "mountstats"))
		return MOUNTSTATS;
	if (!strcmp(rest, "maps") || !strcmp(rest, "smaps") || !strcmp(rest, "numa_maps"))
		return MAPS;
	return NONE;
}

int jt_procfs_net_dir(const char *inside)
{
	const char *rest = below_pid(inside);

	return rest && !strcmp(rest, "net");
}

/* ------------------------------------------------------------ net */

/* How many lines of each table are its header; any other file is empty. */
static int header_lines(const char *name)
{
	static const char *const one[] = {
		"tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6", "unix",
		"packet", "netlink", "icmp", "icmp6", "arp", "route", "rt_cache", "igmp",
		"ip_mr_vif", "ip_mr_cache", "ip6_mr_vif", "ip6_mr_cache", "ptype", "protocols",
	};

	if (!strcmp(name, "dev") || !strcmp(name, "wireless"))
		return 2;
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (!strcmp(name, one[i]))
			return 1;
	return 0;
}

static int answer_net(int host, const char *name, struct buf *b)
{
	int lines = header_lines(name);
	FILE *f;
	char *line = NULL;
	size_t cap = 0;

	if (!lines)
		return 0;
	f = fdopen(dup(host), "re");
	if (!f)
		return -errno;
	while (lines-- > 0 && getline(&line, &cap, f) > 0)
		puts_(b, line);
	free(line);
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------ mounts */

/* The view's mounts to show: its root, /proc and each directory grant. */
static int shown(const struct jt_mount *m)
{
	return (m->flags & JT_MNT_DIR) && !(m->flags & JT_MNT_LINK);
}

static void mount_opts(const struct jt_run *run, const struct jt_mount *m, char *o, size_t len)
{
	/* a writable grant is noexec unless `exec jail`: as jailtrace treats it */
	snprintf(o, len, "%s,nosuid,nodev%s", m && (m->flags & JT_MNT_RW) ? "rw" : "ro",
		 m && (m->flags & JT_MNT_RW) && !run->policy->exec_jail ? ",noexec" : "");
}

static void answer_mounts(const struct jt_run *run, enum kind k, struct buf *b)
{
	const struct jt_view *v = &run->view;
	char line[256], o[64];
	int id = 2;

	/* the root first, then /proc, then the grants in the view's order */
	mount_opts(run, jt_view_mount(v, "/", 1), o, sizeof(o));
	if (k == MOUNTINFO) {
		snprintf(line, sizeof(line), "1 0 0:1 / / %s - jailtrace jailtrace %s\n", o, o);
		puts_(b, line);
		puts_(b, "2 1 0:2 / /proc rw,nosuid,nodev,noexec - proc proc rw\n");
	} else if (k == MOUNTS) {
		snprintf(line, sizeof(line), "jailtrace / jailtrace %s 0 0\n", o);
		puts_(b, line);
		puts_(b, "proc /proc proc rw,nosuid,nodev,noexec 0 0\n");
	} else {
		puts_(b, "device jailtrace mounted on / with fstype jailtrace\n");
		puts_(b, "device proc mounted on /proc with fstype proc\n");
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct jt_mount *m = &v->m[i];

		if (!shown(m) || !strcmp(m->inside, "/") || !strcmp(m->inside, "/proc"))
			continue;
		mount_opts(run, m, o, sizeof(o));
		if (k == MOUNTINFO) {
			id++;
			snprintf(line, sizeof(line), "%d 1 0:%d / ", id, id);
			puts_(b, line);
			put_escaped(b, m->inside);
			snprintf(line, sizeof(line), " %s - jailtrace jailtrace %s\n", o, o);
			puts_(b, line);
		} else if (k == MOUNTS) {
			puts_(b, "jailtrace ");
			put_escaped(b, m->inside);
			snprintf(line, sizeof(line), " jailtrace %s 0 0\n", o);
			puts_(b, line);
		} else {
			puts_(b, "device jailtrace mounted on ");
			put_escaped(b, m->inside);
			puts_(b, " with fstype jailtrace\n");
		}
	}
}

/* ------------------------------------------------------------ maps */

/* @host (maybe " (deleted)") as the view names it; 0, or -1 when it does not. */
static int inside_name(const struct jt_run *run, const char *host, char *out, size_t len)
{
	static const char deleted[] = " (deleted)";
	size_t n = strlen(host), dl = sizeof(deleted) - 1, sl = strlen(run->skeleton);
	char path[PATH_MAX];
	int del = n > dl && !strcmp(host + n - dl, deleted);

	if (n >= sizeof(path))
		return -1;
	memcpy(path, host, n + 1);
	if (del)
		path[n - dl] = '\0';
	if (jt_view_inside_of(&run->view, path, out, len) < 0) {
		if (!sl || strncmp(path, run->skeleton, sl) || (path[sl] && path[sl] != '/'))
			return -1;
		snprintf(out, len, "%s", path[sl] ? path + sl : "/");
	}
	if (del) {
		size_t o = strlen(out);

		if (o + dl < len)
			memcpy(out + o, deleted, dl + 1);
	}
	return 0;
}

/* One line of maps or smaps ("lo-hi perms off dev ino   PATH") or numa_maps ("... file=PATH ..."). */
static void map_line(const struct jt_run *run, char *line, struct buf *b)
{
	char inside[PATH_MAX], *path = NULL, *end;
	int k = 0;

	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "%*x-%*x %*s %*x %*x:%*x %*u %n", &k) == 0 && k && line[k] == '/')
		path = line + k;
	else if ((path = strstr(line, " file=/")))
		path += 6;
	if (!path) {
		puts_(b, line);
		puts_(b, "\n");
		return;
	}
	/* numa_maps: the path runs to the next field; maps: to the end */
	end = k ? path + strlen(path) : path + strcspn(path, " ");
	put(b, line, (size_t)(path - line));
	{
		char save = *end;

		*end = '\0';
		if (inside_name(run, path, inside, sizeof(inside)) == 0)
			puts_(b, inside);
		*end = save;
	}
	puts_(b, end);
	puts_(b, "\n");
}

static int answer_maps(const struct jt_run *run, int host, struct buf *b)
{
	FILE *f = fdopen(dup(host), "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return -errno;
	while (!b->full && getline(&line, &cap, f) > 0)
		map_line(run, line, b);
	free(line);
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------ the answer */

/* A read-only descriptor of a new file holding @b. */
static int answer_fd(const struct buf *b)
{
	char p[64];
	int fd = -1, ro;

#ifdef SYS_memfd_create
	fd = (int)syscall(SYS_memfd_create, "jailtrace-proc", 1u /* MFD_CLOEXEC */);
#endif
	if (fd < 0)
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0400);
	if (fd < 0) {
		char tmp[] = "/tmp/jailtrace-proc-XXXXXX";

		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmp);
	}
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < b->len;) {
		ssize_t w = write(fd, b->p + off, b->len - off);

		if (w <= 0) {
			close(fd);
			return -EIO;
		}
		off += (size_t)w;
	}
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ro = open(p, O_RDONLY | O_CLOEXEC);
	close(fd);
	return ro < 0 ? -errno : ro;
}

int jt_procfs_open(const struct jt_run *run, const struct jt_walk *w, int flags, int *fd)
{
	const char *rest;
	enum kind k;
	struct buf b = { 0 };
	int host = -1, r = 0;

	if (!w->mount || !(w->mount->flags & JT_MNT_PROC) || !w->exists || w->is_dir ||
	    w->dirfd < 0 || !(rest = below_pid(w->inside)) || (k = kind_of(rest)) == NONE)
		return 0;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_PATH)) {
		if (flags & O_PATH)
			return 0;	/* a handle to the host file reads nothing */
		*fd = -EACCES;
		return 1;
	}
	if (k == NET || k == MAPS) {
		host = openat(w->dirfd, w->name, O_RDONLY | O_CLOEXEC);
		if (host < 0) {
			*fd = -errno;
			return 1;
		}
	}
	if (k == NET)
		r = answer_net(host, w->name, &b);
	else if (k == MAPS)
		r = answer_maps(run, host, &b);
	else
		answer_mounts(run, k, &b);
	if (host >= 0)
		close(host);
	*fd = r < 0 ? r : answer_fd(&b);
	free(b.p);
	return 1;
}
