/*
 * What the jail holds on the host (--disk, --inodes): without root there is
 * no quota per directory, so the tracer walks the jail and adds up what
 * each inode allocates (st_blocks: a sparse file counts what it holds, not
 * its size; blocks allocated past the end by fallocate KEEP_SIZE count),
 * each inode once however many links it has. The walk runs in the tracer's
 * loop, where every call that renames, links or makes a name waits for it,
 * so the program cannot move its files about under the walk.
 *
 * The walk goes down one directory at a time and back up by "..", with a
 * stack of read positions, not of descriptors or names: depth (a chain
 * made by renames is cheap) costs 16 bytes a level. A directory the
 * program made unreadable or unsearchable is opened by giving it u+rwx for
 * the moment of the open (its ctime changes). The walk stops as soon as
 * the bytes pass --disk; the names it reads are bounded by --inodes, as
 * every name is made by a decided call that jt_disk_may_make refuses once
 * the jail is full.
 */
#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include "tracer/internal.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* Inodes with more than one link, seen once each: an open-addressed set. */
struct seen {
	struct { dev_t dev; ino_t ino; } *v;
	size_t n, cap;		/* cap a power of two, 0 before the first */
};

static size_t seen_hash(dev_t dev, ino_t ino, size_t cap)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;

	return (size_t)(h ^ h >> 29) & (cap - 1);
}

/* @return 1 when the inode was in the set already, 0 when added (or no memory: counted again) */
static int seen_add(struct seen *s, dev_t dev, ino_t ino)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct seen g = { 0, 0, s->cap ? 2 * s->cap : 1024 };

		if (!(g.v = calloc(g.cap, sizeof(*g.v))))
			return 0;
		for (size_t j = 0; j < s->cap; j++)
			if (s->v[j].ino) {
				for (i = seen_hash(s->v[j].dev, s->v[j].ino, g.cap); g.v[i].ino;
				     i = (i + 1) & (g.cap - 1))
					;
				g.v[i] = s->v[j];
			}
		g.n = s->n;
		free(s->v);
		*s = g;
	}
	for (i = seen_hash(dev, ino, s->cap); s->v[i].ino; i = (i + 1) & (s->cap - 1))
		if (s->v[i].ino == ino && s->v[i].dev == dev)
			return 1;
	s->v[i].dev = dev;
	s->v[i].ino = ino ? ino : 1;	/* 0 marks a free slot */
	s->n++;
	return 0;
}

/* One level of the walk: the directory, and where its reading stopped. */
struct level {
	dev_t dev;
	ino_t ino;
	long pos;
};

/* Open directory @name in @at for reading, even when its mode keeps its owner out. */
static int open_dir(int at, const char *name, const struct stat *st)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 || errno != EACCES || (st->st_mode & 0700) == 0700)
		return fd;
	if (fchmodat(at, name, (st->st_mode & 07777) | 0700, 0) < 0)
		return -1;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fchmodat(at, name, st->st_mode & 07777, 0);
	return fd;
}

struct walk {
	struct level *lv;
	size_t depth, cap;
	struct seen seen;
	struct jt_disk_usage *u;
	uint64_t max_bytes;
};

static void count(struct walk *w, const struct stat *st)
{
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1 && seen_add(&w->seen, st->st_dev, st->st_ino))
		return;
	w->u->bytes += (uint64_t)st->st_blocks * 512;
	w->u->inodes++;
}

static int over(const struct walk *w)
{
	return w->max_bytes && w->u->bytes > w->max_bytes;
}

static int push(struct walk *w, const struct stat *st)
{
	if (w->depth == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct level *lv = realloc(w->lv, cap * sizeof(*lv));

		if (!lv)
			return -ENOMEM;
		w->lv = lv;
		w->cap = cap;
	}
	w->lv[w->depth++] = (struct level){ st->st_dev, st->st_ino, 0 };
	return 0;
}

/*
 * Read directory @fd (the top level) from where it stopped. @return a
 * descriptor of a subdirectory to go down into (its level pushed), -1 when
 * the directory is done, or -2 to stop the walk.
 */
static int read_level(struct walk *w, int fd)
{
	struct level *top = &w->lv[w->depth - 1];
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0), sub = -1;
	struct dirent *e;
	DIR *d;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		w->u->complete = 0;
		return -1;
	}
	if (top->pos)
		seekdir(d, top->pos);
	while (sub == -1 && (e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != top->dev)
			continue;
		count(w, &st);
		if (over(w)) {
			sub = -2;
			break;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		top->pos = telldir(d);
		sub = open_dir(fd, e->d_name, &st);
		if (sub < 0) {
			w->u->complete = 0;
			sub = -1;
			continue;
		}
		if (push(w, &st) < 0) {
			close(sub);
			sub = -2;
		}
	}
	closedir(d);
	return sub;
}

int jt_disk_usage(const char *root, uint64_t max_bytes, struct jt_disk_usage *u)
{
	struct walk w = { .u = u, .max_bytes = max_bytes };
	struct statfs sf;
	struct stat st;
	int fd;

	memset(u, 0, sizeof(*u));
	u->complete = 1;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		fd = jt_view_jail_dir(root);	/* as the jail's user, below a 0700 TMPDIR */
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;	/* a lazy jail not made yet holds nothing */
	if (fstat(fd, &st) < 0 || push(&w, &st) < 0) {
		close(fd);
		return -errno;
	}
	u->tmpfs = fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC;
	u->dev = st.st_dev;
	count(&w, &st);
	while (fd >= 0) {
		int next = read_level(&w, fd);

		if (next >= 0) {
			close(fd);
			fd = next;
			continue;
		}
		if (next == -2 || w.depth == 1)
			break;
		/* back up: the parent must be the directory we came down from */
		w.depth--;
		next = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_ino != w.lv[w.depth - 1].ino ||
		    st.st_dev != w.lv[w.depth - 1].dev) {
			u->complete = 0;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	free(w.lv);
	free(w.seen.v);
	return 0;
}

/*
 * The periodic check of the jail, from the limits tick. The walk costs time
 * in the tracer, while the program's decided calls wait: it is done again
 * only after DISK_SPACING times as long as it took (at most every tick), so
 * that a jail of many files costs the run a few percent, not a tenth.
 * @return 1 when the run was ended by a limit.
 */
#define DISK_SPACING 25

int jt_disk_tick(struct jt_run *run, int final)
{
	uint64_t maxb = run->limit[JT_LIMIT_DISK], now = jt_now_us(), took;
	struct jt_disk_usage u;

	if (!run->jail[0] || (!final && now < run->disk_next_us))
		return 0;
	jt_view_as_jail();
	if (jt_disk_usage(run->jail, maxb, &u) < 0)
		return 0;
	took = jt_now_us() - now;
	run->disk_next_us = now + (DISK_SPACING * took > JT_TICK_MS * 1000 ? DISK_SPACING * took : 0);
	run->disk = u;
	run->disk_inodes_made = 0;
	/* files the program unlinked and holds open: found by the look at descriptors */
	u.bytes += run->held_unlinked;
	if (u.bytes > run->disk_peak)
		run->disk_peak = u.bytes;
	if (maxb && u.bytes > maxb) {
		jt_limit_event(run, "disk", maxb, u.bytes, 0);
		jt_stop_run(run, JT_STOP_DISK, "disk limit of %llu bytes in the jail",
			    (unsigned long long)maxb);
		return 1;
	}
	/* --inodes is not a reason to end the run: every name is made by a
	 * decided call, which fails with EDQUOT (jt_disk_may_make) */
	return 0;
}

/*
 * A decided call about to make a name in the jail (open O_CREAT, mkdir,
 * mknod, symlink, link): as on a full file system, EDQUOT once the files
 * counted at the last walk and made since reach --inodes, or the bytes
 * counted reach --disk. @return 0 or -EDQUOT.
 */
int jt_disk_may_make(struct jt_run *run)
{
	uint64_t maxb = run->limit[JT_LIMIT_DISK], maxi = run->limit[JT_LIMIT_INODES];

	if ((maxi && run->disk.inodes + run->disk_inodes_made >= maxi) ||
	    (maxb && run->disk.bytes + run->held_unlinked >= maxb))
		return -EDQUOT;
	run->disk_inodes_made++;
	return 0;
}

/* ------------------------------------------------ memory no process maps */

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef SECRETMEM_MAGIC
#define SECRETMEM_MAGIC 0x5345434d
#endif

/*
 * Which devices are in memory, by statfs once per device: 1 tmpfs (and the
 * memfd mount), whose files count the blocks they hold; 2 hugetlbfs and
 * memfd_secret, which keep no block count: their files count their size.
 */
struct memdevs {
	struct { dev_t dev; int mem; } v[32];
	size_t n;
};

static int in_memory(struct memdevs *m, const char *path, dev_t dev)
{
	struct statfs sf;
	int mem = 0;

	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].dev == dev)
			return m->v[i].mem;
	if (statfs(path, &sf) == 0)
		mem = sf.f_type == TMPFS_MAGIC ? 1 :
		      sf.f_type == HUGETLBFS_MAGIC || sf.f_type == SECRETMEM_MAGIC ? 2 : 0;
	if (m->n < sizeof(m->v) / sizeof(*m->v))
		m->v[m->n++].dev = dev, m->v[m->n - 1].mem = mem;
	return mem;
}

/*
 * Bytes waiting in the pipe at descriptor @fd of process @pidfd, asked on
 * the tracer's copy of the descriptor. Before 5.6 (no pidfd_getfd) an
 * anonymous pipe is opened again through @path, for the moment of the
 * ioctl; a named FIFO is not (an open of its read end would complete a
 * writer's open waiting for a reader), and is not counted there.
 */
static uint64_t pipe_bytes(int pidfd, int fd, const char *path)
{
	char link[32];
	int copy = -1, avail = 0;
	ssize_t n;

#ifdef SYS_pidfd_getfd
	if (pidfd >= 0)
		copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
#endif
	if (pidfd < 0 && (n = readlink(path, link, sizeof(link) - 1)) > 5 && !memcmp(link, "pipe:", 5))
		copy = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (copy < 0)
		return 0;
	if (ioctl(copy, FIONREAD, &avail) < 0 || avail < 0)
		avail = 0;
	close(copy);
	return (uint64_t)avail;
}

/*
 * The descriptors of process @tgid: memfd, tmpfs and hugetlbfs files it
 * holds, by the blocks they allocate, and bytes waiting in its pipes; each
 * file and pipe once in the whole tree (@seen). A file of the jail's file
 * system with a name is counted by the walk of the jail, not here; one
 * without (unlinked while open, O_TMPFILE) is added to *@unlinked: the
 * walk cannot see it, and it holds its blocks as long as it is open.
 */
static uint64_t held_by(struct jt_run *run, pid_t tgid, int leader, struct seen *seen, struct memdevs *m,
			uint64_t *unlinked)
{
	char path[64];
	uint64_t total = 0;
	struct dirent *e;
	int pidfd = -1;
	DIR *d;

	jt_view_as_jail();	/* the sandbox's /proc/TID/fd is its user's */
	snprintf(path, sizeof(path), "/proc/%d/fd", tgid);
	if (!(d = opendir(path)))
		return 0;
#ifdef SYS_pidfd_open
	/* pidfd_getfd reads a leader's table: not a thread's own */
	if (leader && jt_kernel_has(&run->kernel, JT_FEAT_PIDFD_GETFD))
		pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
#endif
	while ((e = readdir(d))) {
		struct stat st;
		int fd, mem = 0;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", tgid, fd);
		if (stat(path, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)))
			continue;
		if (S_ISREG(st.st_mode) && run->disk.dev && st.st_dev == run->disk.dev) {
			if (st.st_nlink == 0 && !seen_add(seen, st.st_dev, st.st_ino))
				*unlinked += (uint64_t)st.st_blocks * 512;
			continue;
		}
		if (S_ISREG(st.st_mode) && !(mem = in_memory(m, path, st.st_dev)))
			continue;
		if (seen_add(seen, st.st_dev, st.st_ino))
			continue;
		if (S_ISFIFO(st.st_mode))
			total += pipe_bytes(pidfd, fd, path);
		else
			total += mem == 1 ? (uint64_t)st.st_blocks * 512 : (uint64_t)st.st_size;
	}
	if (pidfd >= 0)
		close(pidfd);
	closedir(d);
	return total;
}

/* Live memfds of a run: more make memfd_create fail with EMFILE. */
#define MEMFDS_MAX 256

int jt_memfd_keep(struct jt_run *run, int fd)
{
	struct jt_kept_memfd *v;
	struct stat st;
	int copy;

	if (run->n_memfds >= MEMFDS_MAX)
		return -EMFILE;
	if (fstat(fd, &st) < 0 || (copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -errno;
	if (!(v = realloc(run->memfds, (run->n_memfds + 1) * sizeof(*v)))) {
		close(copy);
		return -ENOMEM;
	}
	run->memfds = v;
	v[run->n_memfds++] = (struct jt_kept_memfd){ copy, st.st_dev, st.st_ino, 0 };
	return 0;
}

void jt_memfds_free(struct jt_run *run)
{
	for (size_t i = 0; i < run->n_memfds; i++)
		close(run->memfds[i].fd);
	free(run->memfds);
	run->memfds = NULL;
	run->n_memfds = 0;
}

/*
 * The inodes of the shared file mappings of process @tgid, from
 * /proc/PID/maps ("start-end perms offset major:minor inode path"), into
 * @mapped.
 */
static void mapped_by(pid_t tgid, struct seen *mapped)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", tgid);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long ino;
		char perms[8];

		if (sscanf(line, "%*x-%*x %7s %*x %x:%x %llu", perms, &maj, &min, &ino) == 4 &&
		    ino && perms[3] == 's')
			seen_add(mapped, makedev(maj, min), (ino_t)ino);
		/* a line longer than the buffer: skip the rest of it */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
			;
	}
	fclose(f);
}

static int seen_has(const struct seen *s, dev_t dev, ino_t ino)
{
	if (!s->cap)
		return 0;
	for (size_t i = seen_hash(dev, ino, s->cap); s->v[i].ino; i = (i + 1) & (s->cap - 1))
		if (s->v[i].ino == ino && s->v[i].dev == dev)
			return 1;
	return 0;
}

/*
 * The memfds the tracer made for the tree and still keeps: one that no
 * descriptor of the tree holds (those were counted) but a mapping does is
 * counted by the blocks it holds; one that neither holds, two looks in a
 * row, is let go (a descriptor still on its way to the program, or being
 * passed over a socket, is missed by one look). @return the bytes.
 */
static uint64_t kept_memfds(struct jt_run *run, const struct seen *held)
{
	struct seen mapped = { 0 };
	uint64_t total = 0;
	size_t j = 0;

	if (!run->n_memfds)
		return 0;
	jt_ptable_each(&run->tasks, p) {
		pid_t live;

		if (jt_group_first(&run->tasks, p) && (live = jt_group_live(&run->tasks, p)) > 0)
			mapped_by(live, &mapped);
	}
	for (size_t i = 0; i < run->n_memfds; i++) {
		struct jt_kept_memfd *k = &run->memfds[i];
		struct stat st;

		if (seen_has(held, k->dev, k->ino)) {
			k->unseen = 0;
		} else if (seen_has(&mapped, k->dev, k->ino)) {
			k->unseen = 0;
			if (fstat(k->fd, &st) == 0)
				total += (uint64_t)st.st_blocks * 512;
		} else if (++k->unseen >= 2) {
			close(k->fd);
			continue;
		}
		run->memfds[j++] = *k;
	}
	run->n_memfds = j;
	free(mapped.v);
	return total;
}

/*
 * Memory the tree holds that no process's resident size shows: memfd and
 * tmpfs pages written with write() and never mapped, pipe buffers, and the
 * jail's files when the jail is in memory (its unlinked open files too,
 * which also count toward --disk: jt_disk_tick). Looked at again only
 * after ten times as long as the last look took. @return the bytes.
 */
uint64_t jt_held_memory(struct jt_run *run)
{
	struct memdevs m = { .n = 0 };
	struct seen seen = { 0 };
	uint64_t now = jt_now_us(), took, total = 0, unlinked = 0;

	if (now >= run->held_next_us) {
		jt_ptable_each(&run->tasks, p) {
			pid_t live;

			/* every descriptor table once: a group's (its leader's, or once
			 * it has exited a thread's that shares it), and each thread's
			 * own (clone without CLONE_FILES) */
			if ((live = jt_group_table(&run->tasks, p)) > 0)
				total += held_by(run, live, live == p->tgid && !(p->flags & JT_TASK_OWN_FILES),
						 &seen, &m, &unlinked);
		}
		total += kept_memfds(run, &seen);
		free(seen.v);
		took = jt_now_us() - now;
		run->held_next_us = now + (10 * took > JT_TICK_MS * 1000 ? 10 * took : 0);
		run->held_bytes = total;
		run->held_unlinked = unlinked;
	}
	return run->held_bytes + (run->disk.tmpfs ? run->disk.bytes + run->held_unlinked : 0);
}
