/*
 * What the sandbox shares with the host's own processes without changing
 * a file: locks and leases on the host's files, and the per-user kernel
 * counters of inotify. fs.c decides the calls; this file finds the facts:
 * whether a program's descriptor names a file the host can reach (outside
 * every writable grant), and how many inotify instances and watches, and
 * epoll watches, the sandbox holds now.
 *
 * The facts are read from /proc at the moment of the call, not from a
 * table of descriptors: descriptors are dup'ed, inherited and passed over
 * unix sockets, and /proc/TID/fd/N names what N is now.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "tracer/fs.h"
#include "tracer/internal.h"

int jt_fd_host_file(const struct jt_run *run, pid_t tid, int fd, int *rule)
{
	char p[64], host[PATH_MAX];
	struct stat st;
	size_t best = 0;
	int prot = 1;
	ssize_t n;

	*rule = -1;
	jt_view_as_jail();	/* the sandbox's /proc/TID/fd is its user's */
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", tid, fd);
	n = readlink(p, host, sizeof(host) - 1);
	if (n < 0)
		return errno == ENOENT ? -EBADF : 1;	/* unreadable: protect it */
	host[n] = '\0';
	/* a pipe, a socket, an anonymous inode: nothing of the host's */
	if (host[0] != '/')
		return 0;
	/* unlinked (a memfd, a removed jail file): no host process can open it by name */
	if (stat(p, &st) == 0 && st.st_nlink == 0)
		return 0;
	for (size_t i = 0; i < run->view.n; i++) {
		const struct jt_mount *m = &run->view.m[i];
		size_t l = strlen(m->host);

		if ((m->flags & JT_MNT_LINK) || strncmp(host, m->host, l) ||
		    (host[l] && host[l] != '/' && l > 1) || l < best)
			continue;
		best = l;
		prot = !(m->flags & JT_MNT_RW);
		*rule = m->rule;
	}
	return prot;
}

int jt_fd_flags(pid_t tid, int fd)
{
	char p[64], line[128];
	int flags = -EBADF;
	FILE *f;

	jt_view_as_jail();
	snprintf(p, sizeof(p), "/proc/%d/fdinfo/%d", tid, fd);
	if (!(f = fopen(p, "re")))
		return -EBADF;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags:", 6)) {
			flags = (int)strtol(line + 6, NULL, 8);
			break;
		}
	fclose(f);
	return flags;
}

/* ------------------------------------------------------------- inotify */

/* Well below the host's own: a quarter of its per-user maximum, at most @cap. */
static unsigned quarter_of(const char *sysctl, unsigned cap)
{
	char buf[32];
	unsigned long v;
	ssize_t n;
	int fd = open(sysctl, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return cap;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return cap;
	buf[n] = '\0';
	v = strtoul(buf, NULL, 10) / 4;
	return v < 1 ? 1 : v < cap ? (unsigned)v : cap;
}

unsigned jt_inotify_instance_cap(void)
{
	static unsigned cap;

	if (!cap)
		cap = quarter_of("/proc/sys/fs/inotify/max_user_instances", JT_INOTIFY_INSTANCES);
	return cap;
}

/* ptys: kernel.pty.max is the machine's (4096): ssh, tmux and terminals take from it */
unsigned jt_pty_cap(void)
{
	static unsigned cap;

	if (!cap)
		cap = quarter_of("/proc/sys/kernel/pty/max", JT_PTYS);
	return cap;
}

unsigned jt_inotify_watch_cap(void)
{
	static unsigned cap;

	if (!cap)
		cap = quarter_of("/proc/sys/fs/inotify/max_user_watches", JT_INOTIFY_WATCHES);
	return cap;
}

unsigned jt_epoll_watch_cap(void)
{
	static unsigned cap;

	if (!cap)
		cap = quarter_of("/proc/sys/fs/epoll/max_user_watches", JT_EPOLL_WATCHES);
	return cap;
}

/* Watches of one instance: the lines of its fdinfo that start with @tag. */
static unsigned long watches_of(pid_t pid, int fd, const char *tag)
{
	char p[64], line[512];
	unsigned long n = 0;
	int bol = 1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/fdinfo/%d", pid, fd);
	if (!(f = fopen(p, "re")))	/* as the sandbox's user: jt_anon_count */
		return 0;
	/* a line may be longer than the buffer (a long handle): count line starts only */
	while (fgets(line, sizeof(line), f)) {
		if (bol && !strncmp(line, tag, strlen(tag)))
			n++;
		bol = strchr(line, '\n') != NULL;
	}
	fclose(f);
	return n;
}

/* Do (@pa, @fa) and (@pb, @fb) name one open file? Unknown counts as no. */
static int same_file(pid_t pa, int fa, pid_t pb, int fb)
{
#ifdef SYS_kcmp
	return syscall(SYS_kcmp, pa, pb, 0 /* KCMP_FILE */, fa, fb) == 0;
#else
	(void)pa, (void)fa, (void)pb, (void)fb;
	return 0;
#endif
}

#define SEEN_MAX 4096

void jt_anon_count(const struct jt_run *run, const char *kind, const char *tag,
		   unsigned *instances, unsigned long *watches)
{
	static struct { pid_t pid; int fd; } seen[SEEN_MAX];
	unsigned n = 0;
	/* the sandbox's /proc/TID/fd is its user's; a file call may be half done */
	int as = jt_view_as_jail();

	*instances = 0;
	*watches = 0;
	jt_ptable_each(&run->tasks, t) {
		char dir[64], p[64], link[64];
		struct dirent *e;
		pid_t tid = jt_group_table(&run->tasks, t);	/* each descriptor table once */
		DIR *d;

		if (tid <= 0)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%d/fd", tid);
		if (!(d = opendir(dir)))
			continue;
		while ((e = readdir(d))) {
			int fd = atoi(e->d_name), dup = 0;
			ssize_t l;

			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			snprintf(p, sizeof(p), "/proc/%d/fd/%d", tid, fd);
			l = readlink(p, link, sizeof(link) - 1);
			if (l < 0)
				continue;
			link[l] = '\0';
			if (strcmp(link, kind))
				continue;
			/* an inherited or dup'ed descriptor of an instance counted already */
			for (unsigned i = 0; i < n && !dup; i++)
				dup = same_file(seen[i].pid, seen[i].fd, tid, fd);
			if (dup)
				continue;
			if (n < SEEN_MAX)
				seen[n].pid = tid, seen[n].fd = fd, n++;
			(*instances)++;
			*watches += watches_of(tid, fd, tag);
		}
		closedir(d);
	}
	jt_view_as_back(as);
}
