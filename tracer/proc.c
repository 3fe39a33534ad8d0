#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include "tracer/fifo.h"
#include "tracer/proc.h"

static size_t hash(pid_t tid, size_t cap)
{
	return ((uint32_t)tid * 2654435761u) & (cap - 1);
}

int jt_ptable_init(struct jt_ptable *t)
{
	t->cap = 64;
	t->count = t->peak = 0;
	t->slot = calloc(t->cap, sizeof(*t->slot));
	return t->slot ? 0 : -ENOMEM;
}

struct jt_fsinfo *jt_fsinfo_new(const char *cwd)
{
	struct jt_fsinfo *fs = calloc(1, sizeof(*fs));

	if (!fs || !(fs->cwd = strdup(cwd))) {
		free(fs);
		return NULL;
	}
	fs->refs = 1;
	return fs;
}

struct jt_fsinfo *jt_fsinfo_copy(const struct jt_fsinfo *fs)
{
	return fs ? jt_fsinfo_new(fs->cwd) : NULL;
}

void jt_fsinfo_put(struct jt_fsinfo *fs)
{
	if (fs && --fs->refs == 0) {
		free(fs->cwd);
		free(fs);
	}
}

void jt_fetched_clear(struct jt_task *t)
{
	struct jt_fetched *f = t->fetched;

	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		if (f->e[i].copy >= 0)
			close(f->e[i].copy);
	free(f);
	t->fetched = NULL;
}

static void task_free(struct jt_task *t)
{
	free(t->pending);
	free(t->inject);
	free(t->fetch);
	jt_fetched_clear(t);
	free(t->exec_regs);
	free(t->restart_regs);
	free(t->held_stack);
	free(t->notif_kept);
	free(t->notif_record);
	if (t->pidfd > 0)
		close(t->pidfd - 1);
	jt_fifo_forget(t);
	jt_fsinfo_put(t->fs);
	jt_task_exec_release(t);
}

void jt_task_exec_release(struct jt_task *t)
{
	if (t->exec_hold > 0)
		close(t->exec_hold - 1);
	t->exec_hold = 0;
}

/* The table owns what its tasks hold. */
void jt_ptable_free(struct jt_ptable *t)
{
	for (size_t i = 0; t->slot && i < t->cap; i++)
		if (t->slot[i].tid)
			task_free(&t->slot[i]);
	free(t->slot);
	t->slot = NULL;
	t->cap = t->count = 0;
}

struct jt_task *jt_ptable_find(const struct jt_ptable *t, pid_t tid)
{
	for (size_t i = hash(tid, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (t->slot[i].tid == tid)
			return &t->slot[i];
		if (t->slot[i].tid == 0)
			return NULL;
	}
}

static int grow(struct jt_ptable *t)
{
	struct jt_ptable n = { .cap = t->cap * 2 };

	n.slot = calloc(n.cap, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slot[i].tid)
			continue;
		size_t j = hash(t->slot[i].tid, n.cap);

		while (n.slot[j].tid)
			j = (j + 1) & (n.cap - 1);
		n.slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = n.slot;
	t->cap = n.cap;
	return 0;
}

struct jt_task *jt_ptable_add(struct jt_ptable *t, pid_t tid, pid_t tgid)
{
	struct jt_task *p = jt_ptable_find(t, tid);
	size_t i;

	if (p)
		return p;
	if ((t->count + 1) * 2 > t->cap && grow(t) < 0)
		return NULL;
	for (i = hash(tid, t->cap); t->slot[i].tid; i = (i + 1) & (t->cap - 1))
		;
	t->slot[i] = (struct jt_task){ .tid = tid, .tgid = tgid };
	if (++t->count > t->peak)
		t->peak = t->count;
	return &t->slot[i];
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
void jt_ptable_del(struct jt_ptable *t, pid_t tid)
{
	struct jt_task *p = jt_ptable_find(t, tid);
	size_t i, j, mask = t->cap - 1;

	if (!p)
		return;
	i = (size_t)(p - t->slot);
	task_free(&t->slot[i]);
	t->slot[i] = (struct jt_task){ 0 };
	t->count--;
	for (j = (i + 1) & mask; t->slot[j].tid; j = (j + 1) & mask) {
		size_t home = hash(t->slot[j].tid, t->cap);

		/* move j back to i when i lies on j's probe path */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slot[i] = t->slot[j];
			t->slot[j].tid = 0;
			i = j;
		}
	}
}

int jt_ptable_has_pid(const struct jt_ptable *t, pid_t pid)
{
	if (pid <= 0)
		return 0;
	if (jt_ptable_find(t, pid))
		return 1;
	/* a thread group whose leader thread has already gone */
	jt_ptable_each(t, p)
		if (p->tgid == pid)
			return 1;
	return 0;
}

/* No seccomp filter (or told to act as if): every call stops, entry and exit. */
static int every_stop;

void jt_resume_every_stop(int on)
{
	every_stop = on;
}

int jt_resume(struct jt_task *t, int sig)
{
	int req = every_stop || (t->flags & JT_TASK_RET_PENDING) || t->pending || t->inject ||
		  t->fetch || t->exec_regs ? PTRACE_SYSCALL : PTRACE_CONT;

	return ptrace(req, t->tid, 0, (void *)(long)sig) < 0 ? -errno : 0;
}

int jt_group_first(const struct jt_ptable *tab, const struct jt_task *p)
{
	if (p->tid == p->tgid)
		return 1;
	if (jt_ptable_find((struct jt_ptable *)tab, p->tgid))
		return 0;
	jt_ptable_each(tab, q)
		if (q->tgid == p->tgid)
			return q == p;
	return 0;
}

pid_t jt_group_live(const struct jt_ptable *tab, const struct jt_task *p)
{
	const struct jt_task *l = jt_ptable_find((struct jt_ptable *)tab, p->tgid);

	if (l && !(l->flags & JT_TASK_LEADER_GONE))
		return l->tid;
	jt_ptable_each(tab, q)
		if (q->tgid == p->tgid && q->tid != q->tgid)
			return q->tid;
	return 0;
}

pid_t jt_group_table(const struct jt_ptable *tab, const struct jt_task *p)
{
	const struct jt_task *l;

	if (p->flags & JT_TASK_OWN_FILES)
		return p->tid;
	if (!jt_group_first(tab, p))
		return 0;
	l = jt_ptable_find((struct jt_ptable *)tab, p->tgid);
	if (l && !(l->flags & JT_TASK_LEADER_GONE))
		return l->tid;
	jt_ptable_each(tab, q)
		if (q->tgid == p->tgid && q->tid != q->tgid && !(q->flags & JT_TASK_OWN_FILES))
			return q->tid;
	return 0;
}

int jt_task_sigstate(pid_t tid, struct jt_sigstate *s)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "SigPnd:", offsetof(struct jt_sigstate, pnd) },
		{ "ShdPnd:", offsetof(struct jt_sigstate, shd) },
		{ "SigBlk:", offsetof(struct jt_sigstate, blk) },
		{ "SigIgn:", offsetof(struct jt_sigstate, ign) },
		{ "SigCgt:", offsetof(struct jt_sigstate, cgt) },
	};
	char path[64], buf[4096], *l;
	ssize_t n;
	int fd;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, "Threads:", 8)) {
			s->threads = strtol(l + 8, NULL, 10);
			continue;
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(l, keys[i].key, 7))
				*(unsigned long long *)((char *)s + keys[i].off) = strtoull(l + 7, NULL, 16);
	}
	return 0;
}
