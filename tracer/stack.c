/*
 * Stacks in the log (reports/backtrace.c unwinds them): of the thread
 * whose call is denied, of a thread when a limit ends the run, and of a
 * thread a fatal signal is about to kill. Only those: an allowed call
 * never takes one, so the path of allowed calls is unchanged, and
 * --no-backtrace turns them all off.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include "reports/backtrace.h"
#include "tracer/internal.h"

#define FATAL_MAX 8		/* stacks waiting for their thread's exit record */
/* for a running thread to stop: it stops as soon as it runs, but a busy
 * host may keep it waiting for a CPU for tens of ms (once, at a limit) */
#define INTERRUPT_WAIT_US 250000

struct jt_stacks {
	struct jt_bt *bt;
	struct jt_stack now;	/* of the record being written */
	struct {
		pid_t tid;	/* 0: free */
		int sig;
		struct jt_stack *stack;
	} fatal[FATAL_MAX];
};

static struct jt_stacks *stacks(struct jt_run *run)
{
	struct jt_stacks *s = run->stacks;

	if (run->cfg->no_backtrace || (run->log.fd < 0 && !run->log.syslog))
		return NULL;
	if (s)
		return s->bt ? s : NULL;
	/* made at the first stack: most runs never need one */
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->bt = jt_bt_new();
	run->stacks = s;
	return s->bt ? s : NULL;
}

void jt_stacks_free(struct jt_run *run)
{
	struct jt_stacks *s = run->stacks;

	if (!s)
		return;
	for (int i = 0; i < FATAL_MAX; i++)
		free(s->fatal[i].stack);
	jt_bt_free(s->bt);
	free(s);
	run->stacks = NULL;
}

static void take(struct jt_run *run, struct jt_stacks *s, pid_t tid, struct jt_stack *out)
{
	/* /proc/TID/mem and the program's files, as its user: a file call may be half done */
	int as = jt_view_as_jail();

	jt_bt_take(s->bt, tid, jt_kernel_has(&run->kernel, JT_FEAT_VM_READV), out);
	jt_view_as_back(as);
}

int jt_stacks_on(struct jt_run *run)
{
	return stacks(run) != NULL;
}

const struct jt_stack *jt_stack_of(struct jt_run *run, pid_t tid)
{
	struct jt_stacks *s = stacks(run);

	if (!s)
		return NULL;
	take(run, s, tid, &s->now);
	return &s->now;
}

static const struct jt_stack *no_stack(struct jt_stacks *s, const char *why)
{
	s->now.n = 0;
	s->now.nobj = 0;
	snprintf(s->now.error, sizeof(s->now.error), "%s", why);
	return &s->now;
}

/* The thread a limit's record shows: the program's first process, else any process. */
static pid_t running_thread(const struct jt_run *run)
{
	const struct jt_task *t = jt_ptable_find(&run->tasks, run->child);

	if (t && !(t->flags & JT_TASK_KILLED))
		return t->tid;
	jt_ptable_each(&run->tasks, p)
		if (p->tid == p->tgid && !(p->flags & JT_TASK_KILLED))
			return p->tid;
	return 0;
}

/*
 * A limit found by the clock or the relay: every tracee may be running.
 * PTRACE_INTERRUPT stops one thread; its stop is only peeked at (WNOWAIT),
 * so the loop still collects it, and the run is killed right after.
 */
static const struct jt_stack *interrupted(struct jt_run *run, struct jt_stacks *s)
{
	pid_t tid = running_thread(run);
	uint64_t end = jt_now_us() + INTERRUPT_WAIT_US;
	int wall = __WALL;

	if (!tid || ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return no_stack(s, "not-stopped");
	for (;;) {
		siginfo_t si;
		struct timespec pause = { 0, 200 * 1000 };

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)tid, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | wall) < 0) {
			if (errno == EINVAL && wall) {
				wall = 0;	/* before 4.7; a process leader needs no __WALL */
				continue;
			}
			if (errno != EINTR)
				break;
		} else if (si.si_pid == tid) {
			if (si.si_code != CLD_TRAPPED && si.si_code != CLD_STOPPED)
				break;	/* it ended first */
			take(run, s, tid, &s->now);
			return &s->now;
		}
		if (jt_now_us() > end)
			break;
		nanosleep(&pause, NULL);
	}
	return no_stack(s, "not-stopped");
}

void jt_limit_event(struct jt_run *run, const char *limit, uint64_t value, uint64_t observed,
		    pid_t stopped)
{
	struct jt_stacks *s = stacks(run);
	const struct jt_stack *st = NULL;

	if (s)
		st = stopped ? (take(run, s, stopped, &s->now), &s->now) : interrupted(run, s);
	jt_log_limit_stack(&run->log, limit, value, observed, st);
}

/* Will delivering @sig to @tid kill it? Its disposition from /proc, and for
 * a fault the kernel raised, the rule that a blocked or ignored one kills. */
static int kills(pid_t tid, int sig)
{
	unsigned long long bit = 1ULL << (sig - 1);
	struct jt_sigstate s;
	siginfo_t si;
	int fault;

	if (jt_task_sigstate(tid, &s) < 0)
		return 0;
	memset(&si, 0, sizeof(si));
	fault = ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0 && si.si_code > 0;
	if (fault && ((s.blk | s.ign) & bit))
		return 1;
	return !((s.cgt | s.ign) & bit);
}

void jt_stack_signal(struct jt_run *run, struct jt_task *t, int sig)
{
	struct jt_stacks *s;
	int free_slot = -1;

	if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE && sig != SIGABRT &&
	    sig != SIGSYS)
		return;
	if (!(s = stacks(run)) || !kills(t->tid, sig))
		return;
	for (int i = 0; i < FATAL_MAX; i++) {
		pid_t held = s->fatal[i].tid;

		if (held == t->tid || !held || !jt_ptable_find(&run->tasks, held)) {
			free_slot = i;
			if (held == t->tid)
				break;
		}
	}
	if (free_slot < 0)
		return;	/* more threads dying at once than kept: their records have no stack */
	if (!s->fatal[free_slot].stack &&
	    !(s->fatal[free_slot].stack = malloc(sizeof(*s->fatal[free_slot].stack))))
		return;
	take(run, s, t->tid, s->fatal[free_slot].stack);
	s->fatal[free_slot].tid = t->tid;
	s->fatal[free_slot].sig = sig;
}

void jt_stack_exit(struct jt_run *run, pid_t tgid, pid_t tid, int status)
{
	struct jt_stacks *s = run->stacks;
	const struct jt_stack *st = NULL;

	for (int i = 0; s && i < FATAL_MAX; i++) {
		if (s->fatal[i].tid != tid)
			continue;
		if (WIFSIGNALED(status) && WTERMSIG(status) == s->fatal[i].sig)
			st = s->fatal[i].stack;
		s->fatal[i].tid = 0;
	}
	jt_log_exit_stack(&run->log, tgid, tid, status, st);
}
