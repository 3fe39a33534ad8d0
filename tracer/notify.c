/*
 * The user-notification transport (Linux 5.14+), beside ptrace.
 *
 * The calls jt_seccomp_notified names (the path calls that open, stat,
 * check access and read links) go to a seccomp user-notification listener
 * instead of a ptrace stop: the filter answers SECCOMP_RET_USER_NOTIF, the
 * calling thread sleeps in the kernel, and the tracer receives (ABI,
 * number, arguments) as the kernel read them, nothing the program can
 * rewrite. The tracer decides and performs the call as at a stop
 * (syscall.c, fs.c), writes the record, and answers: a value, an error, or
 * the descriptor it opened, installed in the caller and given as the
 * result in one step (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND).
 * The kernel resolves no path the program wrote, and never runs the call
 * itself (no SECCOMP_USER_NOTIF_FLAG_CONTINUE). One notification costs
 * two context switches and no ptrace call, where a stop that hands over a
 * descriptor costs two stops and about eighteen tracer calls.
 *
 * Everything else stays on ptrace: the process tree's events, execs,
 * signals and group-stops, every other ABI, and the calls whose handlers
 * need a stop (registers, a rewritten call).
 *
 * - The listener is made by the program's first process when it installs
 *   the filter (spawn.c), and taken by the tracer with pidfd_getfd at that
 *   process's first stop, its execve, before the exec closes it.
 * - If jailtrace dies, the listener closes with it: a call waiting for an
 *   answer fails with ENOSYS (and PTRACE_O_EXITKILL kills the program).
 *   None runs undecided.
 * - A thread a signal interrupts while it waits gives up its notification
 *   and issues the call again after the handler. The tracer checks that the
 *   notification still waits (SECCOMP_IOCTL_NOTIF_ID_VALID) after reading
 *   the program's memory and before it records or answers; an answer to one
 *   that has gone is dropped. Side effects of a call performed meanwhile
 *   are those a second try repeats (an open that creates without O_EXCL, a
 *   truncation); O_EXCL opens stay on ptrace.
 * - A denial's stack needs the thread's registers, which only a stop gives:
 *   the tracer answers nothing, interrupts the thread (PTRACE_INTERRUPT
 *   ends the wait and stops it, its registers as at the call), takes the
 *   stack there, and keeps it for the same call, which the kernel issues
 *   again when the thread goes on. Denials of paths the host lacks too
 *   take no stack, as on ptrace.
 * - A FIFO's open that would block is kept and tried again every
 *   millisecond (on ptrace the program issues it again), as fifo.c says;
 *   a signal that would end the wait natively ends it (signal_ends_wait).
 * - The tracer waits for both in one place: SIGCHLD is blocked while the
 *   run lasts and read from a signalfd beside the listener in one poll
 *   (loop.c), so neither a stop nor a notification can keep the other
 *   waiting. So are the tick and the signals that stop a run (SIGALRM,
 *   SIGINT, SIGTERM, SIGHUP): no handler runs in the tracer's thread, so
 *   no signal can end an ioctl's wait (an ADDFD cut short drops the
 *   descriptor), and the poll sets no signal mask, at no cost per call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <linux/seccomp.h>
#include "filters/seccomp.h"
#include "reports/backtrace.h"
#include "tracer/fifo.h"
#include "tracer/fs.h"
#include "tracer/internal.h"

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

extern volatile int jt_spawn_listener[2];	/* spawn.c: number, killable */

/* A denial answered before its stack was taken: recorded at the stop the
 * thread makes before it runs on (5.19+, killable waits). */
struct jt_notif_record {
	struct jt_syscall sc;
	struct jt_request rq;
	struct jt_fs_result res;
};

static struct seccomp_notif *notif;	/* a received notification, run->notif_size bytes */
static struct seccomp_notif_resp *resp;
static size_t resp_size;
static struct jt_fs_result nres;

/* The signals read from run->notif_sig_fd while notifications last. */
static void notify_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGALRM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

int jt_notify_begin(struct jt_run *run)
{
	sigset_t set;

	notify_sigset(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	run->notif_sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (run->notif_sig_fd < 0) {
		int e = errno;

		sigprocmask(SIG_UNBLOCK, &set, NULL);
		return -e;
	}
	return 0;
}

/* Is jailtrace itself under a seccomp filter? A listener above it would
 * make the program's refused (EBUSY): the run takes ptrace then. */
static int tracer_filtered(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	int mode = 0;

	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode != 0;
}

int jt_notify_possible(const struct jt_kernel *k)
{
	return jt_kernel_has(k, JT_FEAT_SECCOMP) && jt_kernel_has(k, JT_FEAT_USER_NOTIF) &&
	       jt_kernel_has(k, JT_FEAT_PIDFD_GETFD) && jt_kernel_has(k, JT_FEAT_EXITKILL) &&
	       !tracer_filtered();
}

int jt_notify_wanted(const struct jt_run *run)
{
	return run->use_view && !run->cfg->audit_full && jt_notify_possible(&run->kernel);
}

int jt_notify_take(struct jt_run *run, struct jt_task *t)
{
	struct seccomp_notif_sizes sizes = { 0 };
	int l[2] = { -1, 0 }, n, pidfd, fd;

	if (jt_mem_read(run, t->tid, (uint64_t)(uintptr_t)jt_spawn_listener, l, sizeof(l)) !=
	    (ssize_t)sizeof(l) || l[0] < 0)
		return -EPROTO;
	n = l[0];
	run->notif_killable = l[1] == 1;
	pidfd = (int)syscall(SYS_pidfd_open, t->tid, 0);
	if (pidfd < 0)
		return -errno;
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
	close(pidfd);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
		close(fd);
		return -errno;
	}
	run->notif_size = sizes.seccomp_notif > sizeof(*notif) ? sizes.seccomp_notif : sizeof(*notif);
	resp_size = sizes.seccomp_notif_resp > sizeof(*resp) ? sizes.seccomp_notif_resp : sizeof(*resp);
	free(notif);
	free(resp);
	notif = calloc(1, run->notif_size);
	resp = calloc(1, resp_size);
	if (!notif || !resp) {
		close(fd);
		return -ENOMEM;
	}
	/* 6.6+: the woken thread runs on the tracer's CPU at once (they share one) */
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	run->notif_fd = fd;
	return 0;
}

static void answer(struct jt_run *run, __u64 id, long ret)
{
	memset(resp, 0, resp_size);
	resp->id = id;
	resp->val = ret >= 0 ? ret : 0;
	resp->error = ret < 0 ? (int)ret : 0;
	/* ENOENT: the thread was interrupted or killed since; nothing to answer */
	ioctl(run->notif_fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

/* The result of a performed call: a descriptor installed and returned at once, or a value. */
static void send_result(struct jt_run *run, __u64 id, struct jt_fs_result *res)
{
	long ret = res->ret;

	if (res->inject_fd >= 0) {
		struct seccomp_notif_addfd a = {
			.id = id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (__u32)res->inject_fd,
			.newfd_flags = res->cloexec ? O_CLOEXEC : 0,
		};
		long r;
		int e;

		/* No handled signal can end the ioctl's wait (they are read from
		 * notif_sig_fd): the kernel would drop the descriptor and still let the
		 * call return 0, with nothing at 0. (A stop signal restarts it.) */
		r = ioctl(run->notif_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
		e = errno;

		close(res->inject_fd);
		res->inject_fd = -1;
		/* ENOENT, ESRCH: a signal interrupted the thread; its call comes again */
		if (r >= 0 || e == ENOENT || e == ESRCH)
			return;
		if (e == EINVAL) {
			jt_stop_run(run, JT_STOP_ERROR, "the kernel refused SECCOMP_ADDFD_FLAG_SEND "
				    "(run with --disable user_notif)");
			ret = -ENOSYS;
		} else {
			ret = -e;	/* EMFILE: the program's descriptor limit, as natively */
		}
	}
	answer(run, id, ret);
}

/* A stack for @t's call @sc, kept for when it comes again (or why there is none). */
static void hold(struct jt_task *t, const struct jt_syscall *sc, const struct jt_stack *st,
		 const char *why)
{
	free(t->held_stack);
	t->held_stack = calloc(1, sizeof(*t->held_stack));
	if (!t->held_stack)
		return;
	if (st)
		*t->held_stack = *st;
	else
		snprintf(t->held_stack->error, sizeof(t->held_stack->error), "%s", why);
	t->held_nr = sc->nr;
	memcpy(t->held_args, sc->args, sizeof(t->held_args));
}

static void keep(struct jt_run *run, struct jt_task *t, const struct seccomp_notif *n)
{
	if (t->notif_kept == n)
		return;
	/* a new one is tried again soon; those still waiting ever less often */
	run->notif_retry_us = 1000;
	run->notif_retry_at = jt_now_us() + run->notif_retry_us;
	if (!t->notif_kept) {
		t->notif_kept = malloc(run->notif_size);
		if (!t->notif_kept) {
			answer(run, n->id, -ENOMEM);
			return;
		}
		run->notif_waiting++;
	}
	memcpy(t->notif_kept, n, run->notif_size);
}

static void unkeep(struct jt_run *run, struct jt_task *t)
{
	if (!t->notif_kept)
		return;
	free(t->notif_kept);
	t->notif_kept = NULL;
	run->notif_waiting--;
}

/* Decide, perform, record and answer one notification (@n may be @t's kept one). */
static void handle(struct jt_run *run, const struct seccomp_notif *n)
{
	struct jt_task *t = jt_ptable_find(&run->tasks, (pid_t)n->pid);
	struct jt_syscall sc = { .arch = n->data.arch, .nr = n->data.nr };
	struct jt_request rq;
	struct jt_fs_result *res = &nres;
	__u64 id = n->id;
	int r;

	if (!t || run->killing) {
		answer(run, id, -EPERM);
		if (!t && !run->killing)
			jt_stop_run(run, JT_STOP_ERROR, "a notified call of thread %d, unknown to the tracer",
				    (int)n->pid);
		return;
	}
	for (int i = 0; i < 6; i++)
		sc.args[i] = n->data.args[i];
	if (t->notif_kept && t->notif_kept != n)
		unkeep(run, t);	/* a kept one was given up: this is its thread's next call */
	r = jt_notified_perform(run, t, &sc, &rq, res);
	if (r == JT_NOTIF_AGAIN) {
		keep(run, t, n);
		return;
	}
	if (t->notif_kept == n)
		unkeep(run, t);	/* n is gone with it; id was kept */
	if (r < 0) {
		answer(run, id, -ENOSYS);
		jt_stop_run(run, JT_STOP_ERROR, "cannot handle a notified syscall %ld of %d: %s",
			    sc.nr, t->tid, strerror(-r));
		return;
	}
	/* the program's memory was read for a thread still waiting for this
	 * answer; if it waits no more (a signal interrupted it, before 5.19, or
	 * it was killed), what was done is recorded all the same, not answered */
	if (ioctl(run->notif_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0) {
		hold(t, &sc, NULL, "interrupted");
		jt_notified_record(run, t, &sc, &rq, res);
		if (res->inject_fd >= 0)
			close(res->inject_fd);
		return;
	}
	r = jt_notified_record(run, t, &sc, &rq, res);
	if (r == JT_NOTIF_STACK) {
		/* a denial, which answers with an errno alone */
		if (res->inject_fd >= 0)
			close(res->inject_fd);
		res->inject_fd = -1;
		if (run->notif_killable) {
			/* answered now; the interrupt stops it on its way back, before
			 * it runs on, and the record is written there (its stack taken) */
			struct jt_notif_record *p = malloc(sizeof(*p));

			if (p && ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) == 0) {
				p->sc = sc;
				p->rq = rq;
				memcpy(&p->res, res, sizeof(*res));
				free(t->notif_record);
				t->notif_record = p;
				t->flags |= JT_TASK_STACK_WANTED;
				send_result(run, id, res);
				return;
			}
			free(p);
		} else if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) == 0) {
			/* no answer: the interrupt ends its wait, the call comes again,
			 * and the stack taken at the stop is kept for it */
			t->flags |= JT_TASK_STACK_WANTED;
			t->held_nr = sc.nr;
			memcpy(t->held_args, sc.args, sizeof(t->held_args));
			return;
		}
		hold(t, &sc, NULL, "not-stopped");
		jt_notified_record(run, t, &sc, &rq, res);
	}
	send_result(run, id, res);
}

/*
 * Kept notifications (FIFO opens) tried again, unless their thread gave them
 * up: after 1 ms, then ever less often (up to 64 ms) while none goes on, so
 * that opens waiting long for a writer cost the tracer next to nothing.
 */
/*
 * Would a signal end @tid's wait natively? A blocking open the kernel
 * performs returns -ERESTARTSYS when a signal comes, and the kernel then
 * does what the signal's disposition says: a default action that kills
 * kills, a handler runs and the call is issued again (SA_RESTART) or
 * fails with EINTR, an ignored signal restarts it. A kept call waits in the
 * kernel's killable wait, which no such signal ends: so `kill` (SIGTERM) of
 * a `cat fifo` did nothing, and a SIGALRM handler's exception never came.
 * Answering -ERESTARTSYS hands the kernel that decision, where the thread
 * itself will take the signal on its way back: one directed at it, or one
 * of its process when it is the only thread or the leader (the kernel
 * offers a process's signal to its leader first, and a leader that does
 * not take it has one pending already). Else another thread may take it,
 * and the thread would see -ERESTARTSYS as an error: it waits on, as before.
 */
static int signal_ends_wait(pid_t tid, pid_t tgid)
{
	struct jt_sigstate s;

	if (jt_task_sigstate(tid, &s) < 0)
		return 0;
	return ((s.pnd | (s.threads == 1 || tid == tgid ? s.shd : 0)) & ~s.blk) != 0;
}

#define JT_ERESTARTSYS 512	/* the kernel's own, never seen by a program */

static void retry_kept(struct jt_run *run)
{
	int before = run->notif_waiting;

	jt_ptable_each(&run->tasks, t) {
		__u64 id;

		if (!t->notif_kept)
			continue;
		id = ((struct seccomp_notif *)t->notif_kept)->id;
		if (ioctl(run->notif_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0) {
			unkeep(run, t);
			jt_fifo_forget(t);
			continue;
		}
		handle(run, t->notif_kept);
		if (t->notif_kept && signal_ends_wait(t->tid, t->tgid)) {
			/* still waiting, and a signal would end the wait: the read end
			 * stays (fifo.c), for what a writer wrote meanwhile and for the
			 * call issued again */
			answer(run, id, -JT_ERESTARTSYS);
			unkeep(run, t);
		}
	}
	if (run->notif_waiting < before)
		run->notif_retry_us = 1000;
	else if (run->notif_retry_us < 64000)
		run->notif_retry_us *= 2;
	run->notif_retry_at = jt_now_us() + run->notif_retry_us;
}

void jt_notify_wait(struct jt_run *run)
{
	struct pollfd p[2] = { { run->notif_fd, POLLIN, 0 }, { run->notif_sig_fd, POLLIN, 0 } };
	struct timespec pause = { 0, 0 };
	uint64_t now = run->notif_waiting ? jt_now_us() : 0;
	int n;

	if (run->notif_waiting && now < run->notif_retry_at)
		pause.tv_nsec = (long)(run->notif_retry_at - now) * 1000;
	n = ppoll(p, 2, run->notif_waiting ? &pause : NULL, NULL);
	if (run->notif_waiting && jt_now_us() >= run->notif_retry_at)
		retry_kept(run);
	if (n <= 0)
		return;	/* the retry's time */
	if (p[1].revents & POLLIN) {
		struct signalfd_siginfo si[8];
		ssize_t got;

		while ((got = read(run->notif_sig_fd, si, sizeof(si))) > 0)
			for (size_t i = 0; i < (size_t)got / sizeof(*si); i++)
				jt_signal_came((int)si[i].ssi_signo);
	}
	if (p[0].revents & POLLIN) {
		memset(notif, 0, run->notif_size);
		/* ENOENT: the thread was interrupted or killed before it was read */
		if (ioctl(run->notif_fd, SECCOMP_IOCTL_NOTIF_RECV, notif) == 0)
			handle(run, notif);
	} else if (p[0].revents & (POLLHUP | POLLNVAL)) {
		/* no thread is left under the filter: ptrace alone from here.
		 * (POLLERR is not that: the kernel says so when a signal broke
		 * its wait for the listener's lock; the next ppoll asks again) */
		jt_notify_done(run);
	}
}

int jt_notify_interrupted(struct jt_run *run, struct jt_task *t)
{
	struct jt_syscall sc = { .nr = t->held_nr };
	struct jt_notif_record *p = t->notif_record;

	if (!(t->flags & JT_TASK_STACK_WANTED))
		return 0;
	t->flags &= ~JT_TASK_STACK_WANTED;
	memcpy(sc.args, t->held_args, sizeof(sc.args));
	if (p) {
		/* answered already, stopped before it runs on: recorded now */
		t->notif_record = NULL;
		hold(t, &p->sc, jt_stack_of(run, t->tid), "not-stopped");
		jt_notified_record(run, t, &p->sc, &p->rq, &p->res);
		free(p);
	} else {
		hold(t, &sc, jt_stack_of(run, t->tid), "not-stopped");
	}
	jt_resume(t, 0);
	return 1;
}

void jt_notify_gone(struct jt_run *run, struct jt_task *t)
{
	struct jt_notif_record *p = t->notif_record;

	/* a denial answered whose stop never came: its record without a stack */
	if (!p)
		return;
	t->notif_record = NULL;
	hold(t, &p->sc, NULL, "not-stopped");
	jt_notified_record(run, t, &p->sc, &p->rq, &p->res);
	free(p);
}

void jt_notify_done(struct jt_run *run)
{
	if (run->notif_fd >= 0)
		close(run->notif_fd);
	run->notif_fd = -1;
	if (run->notif_sig_fd >= 0) {
		sigset_t set;

		/* ptrace alone from here: its waitpid is woken by the handlers
		 * (a signal that came meanwhile runs its handler now) */
		close(run->notif_sig_fd);
		notify_sigset(&set);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	run->notif_sig_fd = -1;
	free(notif);
	free(resp);
	notif = NULL;
	resp = NULL;
}
