/*
 * The process table: every thread of the sandbox, keyed by thread id.
 * Open addressing; it grows with the sandbox, and the procs limit ends
 * the run long before it could grow without bound.
 */
#ifndef JT_TRACER_PROC_H
#define JT_TRACER_PROC_H

#include <stddef.h>
#include <sys/types.h>
#include "compat/regs.h"

enum {
	JT_TASK_STARTED = 1 << 0,	/* its first stop has been seen */
	JT_TASK_RET_PENDING = 1 << 1,	/* set the return value at the syscall-exit stop */
	JT_TASK_IN_GROUP_STOP = 1 << 2,
	JT_TASK_KILLED = 1 << 3,	/* SIGKILL sent at the end of the run */
	JT_TASK_DEFERRED = 1 << 4,	/* waits at its seccomp stop for the handover channel */
	JT_TASK_EXEC_CHECK = 1 << 5,	/* an exec is under way: check what runs */
	JT_TASK_EXECED = 1 << 6,	/* the exec event came: keep the new registers */
	JT_TASK_WAIT_PARENT = 1 << 7,	/* stopped until its parent's fork event gives it a cwd */
	JT_TASK_ANNOUNCED = 1 << 8,	/* its parent's fork event (or jailtrace's spawn) was seen */
	JT_TASK_EXEC_MAPS = 1 << 9,	/* with EXEC_CHECK: a file the program wrote, check every mapping */
	JT_TASK_STACK_WANTED = 1 << 10,	/* interrupted in a notification: take its stack (notify.c) */
	JT_TASK_LEADER_GONE = 1 << 12,	/* a leader that has exited while threads of its group
					 * go on: no memory map or descriptors of its own left */
	JT_TASK_THREAD_PIDFD = 1 << 13,	/* its pidfd is of the thread itself (PIDFD_THREAD) */
	JT_TASK_OWN_FILES = 1 << 11,	/* a thread with a descriptor table not its leader's (clone
					 * without CLONE_FILES): its descriptors are not the leader's */
};

/* What threads sharing a file-system context (CLONE_FS) share: the cwd. */
struct jt_fsinfo {
	int refs;
	char *cwd;		/* inside path */
};

struct jt_pending;
struct jt_stack;
struct jt_notif_record;
struct jt_inject;
struct jt_fetch;
struct jt_fetched;

struct jt_task {
	pid_t tid;		/* 0: a free slot */
	pid_t tgid;
	unsigned flags;
	int stops_to_exit;	/* syscall stops before the exit stop (JT_TASK_RET_PENDING) */
	long ret;		/* the return value to set */
	struct jt_pending *pending;	/* full audit: the call in progress */
	struct jt_inject *inject;	/* a descriptor handover in flight */
	struct jt_fsinfo *fs;	/* the view: cwd (NULL without a view) */
	dev_t exec_dev;		/* JT_TASK_EXEC_CHECK: the file that must run */
	ino_t exec_ino;
	/* JT_TASK_EXEC_MAPS: the files (as /proc/PID/maps names them) that may be
	 * mapped at the exec event: the program and the loader its check found */
	struct jt_exec_map { unsigned long long dev, ino; } exec_maps[2];
	int n_exec_maps;
	int exec_hold;		/* 1 + the tracer's descriptor of the checked file, kept
				 * until the exec event: its inode cannot be reused meanwhile */
	struct jt_regs_saved *exec_regs;	/* to restore if the exec fails */
	struct jt_regs_saved *restart_regs;	/* JT_TASK_RET_PENDING: issue the call again */
	long restart_nr;
	int wait_ticks;		/* JT_TASK_WAIT_PARENT: ticks it has waited */
	struct jt_fifo_wait *fifo;	/* fifo.c: a read end kept while an open waits */
	unsigned long stop_data;	/* the filter's data at its last seccomp stop */
	/* without pidfd_getfd (inject.c): descriptors fetched over the handover pair */
	struct jt_fetch *fetch;		/* a fetch in flight */
	struct jt_fetched *fetched;	/* copies for the call issued again after it */
	int fetch_want;			/* 1 + the descriptor a handler asked for, or 0 */
	/* an exec whose host path the program's user cannot walk: the checked
	 * file is given to it (inject.c) and the call issued again by it (fs.c) */
	int give_want;			/* 1 + the tracer's descriptor to give, or 0 */
	int given;			/* 1 + the number it got, -errno, or 0: none */
	int given_sys;			/* ... for this call (JT_SYS_*) */
	uint64_t given_args[3];		/* ... with these arguments */
	/* notify.c: a denied call's stack, taken at a stop it was interrupted
	 * into, for the same call when it comes again */
	struct jt_stack *held_stack;
	long held_nr;
	uint64_t held_args[6];
	void *notif_kept;		/* a notification to try again (struct seccomp_notif) */
	struct jt_notif_record *notif_record;	/* a denial answered, recorded at its stop */
	int pidfd;			/* 1 + a pidfd of its process (fs.c), or 0 */
};

/* What fetches (inject.c) brought for the call issued again: (number, copy or -errno). */
struct jt_fetched {
	long nr;			/* the call they were fetched for */
	uint64_t args[6];
	size_t n, cap;
	struct { int fd, copy; } e[];
};

/* Close the fetched copies of @t's descriptors, if any. */
void jt_fetched_clear(struct jt_task *t);

struct jt_fsinfo *jt_fsinfo_new(const char *cwd);
struct jt_fsinfo *jt_fsinfo_copy(const struct jt_fsinfo *fs);
void jt_fsinfo_put(struct jt_fsinfo *fs);
/* Close the descriptor an exec check holds (exec_hold). */
void jt_task_exec_release(struct jt_task *t);

struct jt_ptable {
	struct jt_task *slot;
	size_t cap;		/* a power of two */
	size_t count;
	size_t peak;
};

int jt_ptable_init(struct jt_ptable *t);
void jt_ptable_free(struct jt_ptable *t);
struct jt_task *jt_ptable_find(const struct jt_ptable *t, pid_t tid);
/** Add @tid (or return it when already there). NULL when out of memory. */
struct jt_task *jt_ptable_add(struct jt_ptable *t, pid_t tid, pid_t tgid);
void jt_ptable_del(struct jt_ptable *t, pid_t tid);
/** Is @pid a thread or a thread group of the sandbox? */
int jt_ptable_has_pid(const struct jt_ptable *t, pid_t pid);

#define jt_ptable_each(t, p) \
	for (struct jt_task *p = (t)->slot; p < (t)->slot + (t)->cap; p++) if (p->tid)

/*
 * The groups of the tree, one task each: does @p stand for its thread
 * group (its leader, or the first task of a group whose leader is no longer
 * in the table)? And a live task of @p's group to read its memory map from
 * (/proc/TID/stat's rss, smaps_rollup, maps): the leader, or once it has
 * exited (JT_TASK_LEADER_GONE) one of its threads; 0 when none is left.
 */
int jt_group_first(const struct jt_ptable *tab, const struct jt_task *p);
pid_t jt_group_live(const struct jt_ptable *tab, const struct jt_task *p);
/*
 * Descriptor tables, each once: the live task whose /proc/TID/fd shows the
 * table @p stands for: @p itself when it has a table of its own
 * (JT_TASK_OWN_FILES), else, for the first of a group, its leader, or once
 * it has exited a thread that shares its table. 0: @p stands for none.
 */
pid_t jt_group_table(const struct jt_ptable *tab, const struct jt_task *p);

/* A thread's signal state, as /proc/TID/status shows it (masks of signal
 * numbers, bit sig-1): pending for the thread and for its process, blocked,
 * ignored, caught; and its process's thread count. */
struct jt_sigstate {
	unsigned long long pnd, shd, blk, ign, cgt;
	long threads;
};
/** 0, or -1 when the thread is gone (or /proc unreadable). */
int jt_task_sigstate(pid_t tid, struct jt_sigstate *s);

/* Resume a stopped task, through the syscall-exit stop when it has one
 * pending (or every call stops: jt_resume_every_stop, set by the loop). */
int jt_resume(struct jt_task *t, int sig);
void jt_resume_every_stop(int on);

#endif
