/*
 * The ptrace event loop. One thread waits for every stop of every tracee
 * and answers it; the run ends when the program's first process is gone,
 * and the loop ends only when nothing of the sandbox is left (waitpid says
 * ECHILD: jailtrace is a subreaper, so orphans come back to it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <linux/ptrace.h>
#include <sys/syscall.h>
#include <linux/kcmp.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include "compat/names.h"
#include "compat/regs.h"
#include "tracer/cpu.h"
#include "tracer/fs.h"
#include "tracer/internal.h"
#include "tracer/egress.h"
#include "tracer/proxy.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

void jt_kill_all(struct jt_run *run)
{
	run->killing = 1;
	jt_ptable_each(&run->tasks, p) {
		if (!(p->flags & JT_TASK_KILLED)) {
			kill(p->tid, SIGKILL);
			p->flags |= JT_TASK_KILLED;
		}
	}
}

static pid_t read_tgid(pid_t tid)
{
	return (pid_t)jt_proc_status(tid, "Tgid:", 10, tid);
}

/* A task we have not met: a new child whose first stop came before its parent's event.
 * @stopped: a thread in a stop now, whose stack a procs limit record shows. */
static struct jt_task *meet(struct jt_run *run, pid_t tid, pid_t tgid, pid_t stopped)
{
	struct jt_task *t = jt_ptable_add(&run->tasks, tid, tgid);
	uint64_t max = run->limit[JT_LIMIT_PROCS];

	if (!t) {
		/* cannot track it: it must not run */
		kill(tid, SIGKILL);
		jt_stop_run(run, JT_STOP_ERROR, "out of memory for the process table");
		return NULL;
	}
	if (max && run->tasks.count > max && run->stop == JT_STOP_NONE) {
		jt_limit_event(run, "procs", max, run->tasks.count, stopped);
		char text[48];

		jt_limit_text(JT_LIMIT_PROCS, max, text, sizeof(text));
		jt_stop_run(run, JT_STOP_PROCS, "%s reached (live processes and threads)", text);
	}
	if (run->killing) {
		kill(tid, SIGKILL);
		t->flags |= JT_TASK_KILLED;
	}
	jt_cpu_new_task(run, tid);
	return t;
}

/*
 * A child whose first stop came before its parent's event: its cwd is its
 * parent's, which has not run since the fork (the event stops it first), so
 * a chdir the child makes now is kept, not overwritten by the event's copy.
 */
static void early_fs(struct jt_run *run, struct jt_task *t)
{
	struct jt_task *p = NULL;
	long ppid;

	if (t->tgid != t->tid)
		p = jt_ptable_find(&run->tasks, t->tgid);
	if (!p && (ppid = jt_proc_status(t->tid, "PPid:", 10, 0)) > 0)
		p = jt_ptable_find(&run->tasks, (pid_t)ppid);
	if (!p || !p->fs)
		return;
	if (syscall(SYS_kcmp, p->tid, t->tid, KCMP_FS, 0, 0) == 0) {
		t->fs = p->fs;
		t->fs->refs++;
	} else {
		t->fs = jt_fsinfo_copy(p->fs);
	}
}

/*
 * Is TID still one of ours? A child whose parent's event came only after
 * orphans_tick let it go may have ended and been reaped already: its
 * number may by now be another process's, which the table must not take
 * in (the end of the run kills every task in it).
 */
static int still_traced(pid_t tid)
{
	siginfo_t si;

	return waitid(P_PID, (id_t)tid, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) == 0;
}

static void on_new_task(struct jt_run *run, struct jt_task *parent, int event)
{
	unsigned long msg = 0;
	pid_t child, tgid, ptid;
	const char *kind;
	struct jt_task *c;

	if (ptrace(PTRACE_GETEVENTMSG, parent->tid, 0, &msg) < 0)
		return;
	child = (pid_t)msg;
	if (event == PTRACE_EVENT_CLONE) {
		tgid = read_tgid(child);
		kind = tgid == parent->tgid ? "thread" : "clone";
	} else {
		tgid = child;
		kind = event == PTRACE_EVENT_VFORK ? "vfork" : "fork";
		/* the kernel reports clone(CLONE_VM|SIGCHLD) as a fork; its memory is shared */
		if (event == PTRACE_EVENT_FORK &&
		    syscall(SYS_kcmp, parent->tid, child, KCMP_VM, 0, 0) == 0)
			kind = "clone";
	}
	ptid = parent->tid;
	c = jt_ptable_find(&run->tasks, child);
	if (!c && still_traced(child))
		c = meet(run, child, tgid, ptid);
	/* meet() may have grown the table: the parent's entry moved */
	parent = jt_ptable_find(&run->tasks, ptid);
	if (c)
		c->flags |= JT_TASK_ANNOUNCED;
	if (c && parent) {
		c->tgid = tgid;
		/* a thread made without CLONE_FILES: descriptor N is its own, not
		 * the leader's that pidfd_getfd would fetch (fs.c, jt_fs_fd_copy) */
		if (event == PTRACE_EVENT_CLONE && tgid != child &&
		    syscall(SYS_kcmp, tgid, child, KCMP_FILES, 0, 0) != 0)
			c->flags |= JT_TASK_OWN_FILES;
		if (parent->fs && !c->fs) {
			/* threads (CLONE_FS) share a cwd; other children get a copy */
			if (event == PTRACE_EVENT_CLONE &&
			    syscall(SYS_kcmp, parent->tid, child, KCMP_FS, 0, 0) == 0) {
				c->fs = parent->fs;
				c->fs->refs++;
			} else {
				c->fs = jt_fsinfo_copy(parent->fs);
			}
		}
		if (c->flags & JT_TASK_WAIT_PARENT) {
			c->flags &= ~JT_TASK_WAIT_PARENT;
			jt_resume(c, 0);
		}
	}
	jt_log_spawn(&run->log, child, tgid, parent ? parent->tgid : ptid, kind);
}

static void on_exec(struct jt_run *run, struct jt_task *t)
{
	unsigned long former = 0;
	char path[64], exe[4096], cmd[8192];
	ssize_t n, m = 0;
	int fd;

	/* a non-leader thread that execs takes over the leader's id */
	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &former) == 0 && (pid_t)former != t->tid) {
		struct jt_task *old = jt_ptable_find(&run->tasks, (pid_t)former);

		if (old) {
			/* what the exec'ing thread was waiting for moves to the leader's id */
			t->flags = (t->flags & ~JT_TASK_EXEC_CHECK) | (old->flags & JT_TASK_EXEC_CHECK);
			t->flags = (t->flags & ~JT_TASK_EXEC_MAPS) | (old->flags & JT_TASK_EXEC_MAPS);
			t->exec_dev = old->exec_dev;
			t->exec_ino = old->exec_ino;
			memcpy(t->exec_maps, old->exec_maps, sizeof(t->exec_maps));
			t->n_exec_maps = old->n_exec_maps;
			jt_task_exec_release(t);
			t->exec_hold = old->exec_hold;
			old->exec_hold = 0;
			free(t->exec_regs);
			t->exec_regs = old->exec_regs;
			old->exec_regs = NULL;
			jt_audit_gone(run, old);
			/* a handover or fetch it had in flight ends with it */
			jt_inject_gone(run, old);
		}
		jt_ptable_del(&run->tasks, (pid_t)former);
	}
	t = jt_ptable_find(&run->tasks, t->tid);
	if (t) {
		t->tgid = t->tid;
		t->flags &= ~JT_TASK_OWN_FILES;	/* the leader now, of a table of its own */
		if (t->pidfd > 0 && (t->flags & JT_TASK_THREAD_PIDFD)) {
			close(t->pidfd - 1);	/* of the id it had: gone with the exec */
			t->pidfd = 0;
		}
		t->flags &= ~JT_TASK_THREAD_PIDFD;
	}
	if (t && (t->flags & JT_TASK_EXEC_CHECK)) {
		struct stat st;
		char why[160];
		int maps = t->flags & JT_TASK_EXEC_MAPS, ok;

		/* before the new program's first instruction: is it what the view allowed? */
		snprintf(path, sizeof(path), "/proc/%d/exe", t->tid);
		t->flags &= ~(JT_TASK_EXEC_CHECK | JT_TASK_EXEC_MAPS);
		t->flags |= JT_TASK_EXECED;
		if (stat(path, &st) < 0 || st.st_dev != t->exec_dev || st.st_ino != t->exec_ino) {
			kill(t->tid, SIGKILL);
			t->flags |= JT_TASK_KILLED;
			jt_stop_run(run, JT_STOP_ERROR, "process %d ran a file other than the one "
				    "its exec was allowed for: killed", t->tid);
		} else if (maps && (ok = jt_exec_maps_ok(t, why, sizeof(why))) != 1) {
			/* a file it wrote may have changed since the check (its loader, say) */
			kill(t->tid, SIGKILL);
			t->flags |= JT_TASK_KILLED;
			jt_stop_run(run, JT_STOP_ERROR, "process %d ran a file it wrote with %s: killed",
				    t->tid, ok < 0 ? "mappings jailtrace could not read" : why);
		}
		jt_task_exec_release(t);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", t ? t->tid : 0);
	n = t ? readlink(path, exe, sizeof(exe) - 1) : -1;
	exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", t ? t->tid : 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		m = read(fd, cmd, sizeof(cmd));
		close(fd);
	}
	if (t)
		jt_log_exec(&run->log, t->tid, exe, cmd, m > 0 ? (size_t)m : 0);
}

/* Is this syscall stop an entry? PTRACE_GET_SYSCALL_INFO says (the run
 * requires it in this mode: registers alone cannot tell int 0x80 apart). */
static int syscall_entry(struct jt_task *t)
{
	struct ptrace_syscall_info info;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(info), &info) < 0)
		return 0;
	return info.op == PTRACE_SYSCALL_INFO_ENTRY;
}

static int is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* No seccomp filter (or told to act as if): every call stops, entry and exit. */
static int every_stop;

/*
 * A syscall stop (PTRACE_SYSCALL): the exit of a call whose return value
 * must be set here (kernels before 4.8), or whose full-audit record waits
 * for its result.
 */
static void on_syscall_stop(struct jt_run *run, struct jt_task *t)
{
	if (t->fetch) {
		/* a descriptor fetched (inject.c): the call is rewound, issued again */
		jt_fetch_exit(run, t);
		jt_resume(t, 0);
		return;
	}
	if (t->flags & JT_TASK_RET_PENDING) {
		if (--t->stops_to_exit > 0) {
			jt_resume(t, 0);
			return;
		}
		if (t->restart_regs) {
			/* a call that would have blocked: rewound, the program issues it again */
			jt_regs_restart(t->tid, t->restart_regs, t->restart_nr);
			free(t->restart_regs);
			t->restart_regs = NULL;
		} else {
			jt_regs_set_return(t->tid, t->ret);
		}
		t->flags &= ~JT_TASK_RET_PENDING;
	}
	if (t->inject)
		jt_inject_exit(run, t);
	if (t->exec_regs) {
		/* an exec that failed: the program's registers as they were, with its error */
		long ret;

		if (!(t->flags & JT_TASK_EXECED) &&
		    jt_regs_result(t->tid, jt_kernel_has(&run->kernel, JT_FEAT_SYSCALL_INFO), &ret) == 0)
			jt_regs_restore(t->tid, t->exec_regs, ret);
		free(t->exec_regs);
		t->exec_regs = NULL;
		t->flags &= ~(JT_TASK_EXECED | JT_TASK_EXEC_CHECK | JT_TASK_EXEC_MAPS);
		jt_task_exec_release(t);
	}
	jt_audit_exit(run, t);
	jt_resume(t, 0);
}

static void on_stop(struct jt_run *run, struct jt_task *t, int status)
{
	int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
	unsigned long msg = 0;
	int r;

	switch (event) {
	case PTRACE_EVENT_SECCOMP:
		if (every_stop) {
			/* not asked for (run.c): the call was decided at its entry stop */
			jt_resume(t, 0);
			return;
		}
		/* the filter's data only tells the ABI when registers are read;
		 * PTRACE_GET_SYSCALL_INFO says it itself: one ptrace call less a stop */
		if (!jt_kernel_has(&run->kernel, JT_FEAT_SYSCALL_INFO))
			ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg);
		/* the first process's first stop, its execve: the listener it
		 * made is taken before the exec closes it (notify.c); without
		 * it the call stays stopped until the run's end kills it */
		if (run->notif_want && run->notif_fd < 0 && t->tid == run->child &&
		    !run->first_exec_done && (r = jt_notify_take(run, t)) < 0) {
			jt_stop_run(run, JT_STOP_ERROR, "cannot take the seccomp listener of the program: %s",
				    strerror(-r));
			return;
		}
		r = jt_syscall_stop(run, t, msg);
		if (r < 0 && r != -ESRCH) {
			/* a call we cannot read or refuse must not run */
			kill(t->tid, SIGKILL);
			jt_stop_run(run, JT_STOP_ERROR, "cannot handle a syscall of %d: %s",
				    t->tid, strerror(-r));
		}
		return;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
	{
		pid_t tid = t->tid;

		on_new_task(run, t, event);
		t = jt_ptable_find(&run->tasks, tid);
		if (t)
			jt_resume(t, 0);
		return;
	}
	case PTRACE_EVENT_EXEC:
		on_exec(run, t);
		t = jt_ptable_find(&run->tasks, t->tid);
		if (t)
			jt_resume(t, 0);
		return;
	case PTRACE_EVENT_STOP:
		/* interrupted in a notification for a denial's stack (notify.c) */
		if (sig == SIGTRAP && jt_notify_interrupted(run, t))
			return;
		/* a new task can stop before its parent's fork event is seen: it
		 * waits there for it, or its first relative path could be resolved
		 * from "/", and it could end before its parent's event says what
		 * it is (a thread or a process) */
		if (!(t->flags & (JT_TASK_STARTED | JT_TASK_ANNOUNCED))) {
			t->flags |= JT_TASK_STARTED | JT_TASK_WAIT_PARENT;
			t->wait_ticks = 0;
			return;
		}
		t->flags |= JT_TASK_STARTED;
		if (is_stop_signal(sig))
			ptrace(PTRACE_LISTEN, t->tid, 0, 0);	/* group-stop: stay stopped */
		else
			jt_resume(t, 0);
		return;
	case 0:
		if (sig == (SIGTRAP | 0x80)) {
			if (every_stop && syscall_entry(t)) {
				/* without a filter, the entry stop is where a call is decided */
				r = jt_syscall_stop(run, t, 0);
				if (r < 0 && r != -ESRCH) {
					kill(t->tid, SIGKILL);
					jt_stop_run(run, JT_STOP_ERROR, "cannot handle a syscall of %d: %s",
						    t->tid, strerror(-r));
				}
				return;
			}
			on_syscall_stop(run, t);
			return;
		}
		if (sig == SIGXCPU && !jt_grace_cut(run, "cpu")) {
			char text[48];

			jt_limit_text(JT_LIMIT_CPU_MS, run->limit[JT_LIMIT_CPU_MS], text, sizeof(text));
			jt_limit_event(run, "cpu", run->limit[JT_LIMIT_CPU_MS], run->cpu_ms, t->tid);
			jt_stop_run(run, JT_STOP_CPU, "%s reached (CPU time of a process)", text);
		}
		/* a signal on its way: deliver it (with its stack kept first, if it kills);
		 * a call issued again after its handler fetches its descriptors anew */
		jt_fetched_clear(t);
		jt_stack_signal(run, t, sig);
		jt_resume(t, sig);
		return;
	default:
		jt_resume(t, 0);
		return;
	}
}

static void on_gone(struct jt_run *run, pid_t pid, int status)
{
	struct jt_task *t = jt_ptable_find(&run->tasks, pid);

	if (t) {
		jt_audit_gone(run, t);
		jt_inject_gone(run, t);
		jt_notify_gone(run, t);
		jt_stack_exit(run, t->tgid, pid, status);
		jt_ptable_del(&run->tasks, pid);
	}
	if (pid == run->child && !run->child_done) {
		run->child_done = 1;
		run->child_status = status;
	}
}

/*
 * A new task waits at its first stop for its parent's fork event (which
 * gives it its cwd). If that never comes (the parent was killed between
 * the fork and its report), after a second it starts from the run's cwd.
 */
static void orphans_tick(struct jt_run *run)
{
	jt_ptable_each(&run->tasks, p) {
		if (!(p->flags & JT_TASK_WAIT_PARENT) || ++p->wait_ticks < 20)
			continue;
		p->flags &= ~JT_TASK_WAIT_PARENT;
		if (p->tid != p->tgid && syscall(SYS_kcmp, p->tgid, p->tid, KCMP_FILES, 0, 0) != 0)
			p->flags |= JT_TASK_OWN_FILES;
		if (run->use_view && !p->fs)
			p->fs = jt_fsinfo_new(run->cwd_inside);
		if (run->use_view && !p->fs) {
			kill(p->tid, SIGKILL);	/* no cwd, no path calls */
			continue;
		}
		jt_resume(p, 0);
	}
}

/*
 * Told to stop (SIGINT, SIGTERM, SIGHUP) or out of wall time, the program
 * is asked first, as `timeout -k` and `docker stop` ask: the signal goes
 * to the processes of its process group, as a terminal's ^C would send
 * it (SIGTERM for the time limit), and the run's end waits --grace for
 * the first process to end. Then, or at once when the first process has
 * ended or a second signal comes, everything left is killed (the design
 * rule: nothing outlives the run). Other limits kill at once: a program
 * over its memory or output has no time to spend.
 */
static int grace_signal(const struct jt_run *run)
{
	if (run->stop == JT_STOP_SIGNAL)
		return run->stop_signal;
	return run->stop == JT_STOP_TIMEOUT ? SIGTERM : 0;
}

static int in_grace(struct jt_run *run)
{
	int sig = grace_signal(run);
	uint64_t now;
	char note[96];

	if (!sig || run->child_done || !run->cfg->grace_ms) {
		if (run->grace_end_us && run->child_done)
			jt_stop_note(run, "it ended within the grace period");
		return 0;
	}
	now = jt_now_us();
	if (!run->grace_end_us) {
		pid_t group = run->child;

		run->grace_end_us = now + run->cfg->grace_ms * 1000;
		run->grace_signals = jt_signal_count;
		jt_ptable_each(&run->tasks, p) {
			/* its group, as a terminal would signal it, and the first
			 * process even if it moved to another group */
			if (p->tid == p->tgid && (p->tid == group || getpgid(p->tid) == group))
				kill(p->tid, sig);
		}
		snprintf(note, sizeof(note), "%s sent to the program", jt_signal_name(sig));
		jt_stop_note(run, note);
		return 1;
	}
	if (run->grace_end_us == 1)
		return 0;	/* cut short by a limit (jt_grace_cut) */
	if (jt_signal_count > run->grace_signals) {
		jt_stop_note(run, "killed at a second signal");
		return 0;
	}
	if (now < run->grace_end_us)
		return 1;
	if (run->cfg->grace_ms % 1000)
		snprintf(note, sizeof(note), "killed after the grace period of %llums",
			 (unsigned long long)run->cfg->grace_ms);
	else
		snprintf(note, sizeof(note), "killed after the grace period of %llus",
			 (unsigned long long)run->cfg->grace_ms / 1000);
	jt_stop_note(run, note);
	return 0;
}

static void check_flags(struct jt_run *run)
{
	if (jt_tick_due) {
		jt_tick_due = 0;
		jt_limits_tick(run);
		jt_cpu_tick(run);
		orphans_tick(run);
	}
	jt_log_limit_check(run, 0);
	if (jt_output_exceeded && run->stop == JT_STOP_NONE) {
		char text[48];

		jt_limit_text(JT_LIMIT_OUTPUT, run->limit[JT_LIMIT_OUTPUT], text, sizeof(text));
		jt_limit_event(run, "output", run->limit[JT_LIMIT_OUTPUT],
			       run->limit[JT_LIMIT_OUTPUT] + 1, 0);
		jt_stop_run(run, JT_STOP_OUTPUT, "%s reached (stdout and stderr)", text);
	}
	if (jt_got_signal && run->stop == JT_STOP_NONE) {
		run->stop_signal = jt_got_signal;
		jt_stop_run(run, JT_STOP_SIGNAL, "jailtrace got %s", jt_signal_name(jt_got_signal));
	}
	if ((run->stop != JT_STOP_NONE || run->child_done) && !run->killing && !in_grace(run)) {
		run->end_us = jt_now_us();
		jt_kill_all(run);
	}
	/* nothing traced is left: the watchdog sweeps for stragglers and ends,
	 * and its exit lets waitpid say ECHILD */
	if (run->killing && run->tasks.count == 0 && run->watchdog)
		jt_watchdog_release(run);
}


/* Stops that waited for the handover pair, handled again now that it is
 * free: here, between events, never from inside the handover's code. */
static void deferred_stops(struct jt_run *run)
{
	struct jt_task *t;

	while ((t = jt_inject_next(run)))
		if (jt_syscall_stop(run, t, t->stop_data) < 0)
			kill(t->tid, SIGKILL);
}

int jt_loop(struct jt_run *run)
{
	every_stop = !jt_kernel_has(&run->kernel, JT_FEAT_SECCOMP);
	jt_resume_every_stop(every_stop);
	jt_child_due = 1;
	for (;;) {
		int status;
		pid_t pid;
		struct jt_task *t;

		if (run->n_deferred)
			deferred_stops(run);
		check_flags(run);
		jt_proxy_drain(run);
		jt_egress_drain(run);
		if (run->log.pending) {
			pid = waitpid(-1, &status, __WALL | WNOHANG);
			if (pid == 0) {
				jt_log_flush(&run->log);
				continue;
			}
		} else if (run->notif_sig_fd >= 0) {
			/* stops and notifications: one poll wakes on either
			 * (notify.c). SIGCHLD stays blocked, read from a signalfd:
			 * one that comes after the waitpid that found nothing is
			 * there at the next poll (the listener joins at the
			 * first exec) */
			if (!jt_child_due) {
				jt_notify_wait(run);
				continue;
			}
			pid = waitpid(-1, &status, __WALL | WNOHANG);
			if (pid == 0) {
				jt_child_due = 0;
				continue;
			}
		} else {
			pid = waitpid(-1, &status, __WALL);
		}
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				break;
			return -errno;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (!jt_watchdog_gone(run, pid, status))
				on_gone(run, pid, status);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		t = jt_ptable_find(&run->tasks, pid);
		if (!t && (t = meet(run, pid, read_tgid(pid), pid)) && run->use_view)
			early_fs(run, t);
		if (!t)
			continue;
		if (run->killing) {
			if (!(t->flags & JT_TASK_KILLED)) {
				kill(pid, SIGKILL);
				t->flags |= JT_TASK_KILLED;
			}
			continue;	/* SIGKILL ends any stop */
		}
		on_stop(run, t, status);
	}
	if (!run->end_us)
		run->end_us = jt_now_us();
	return 0;
}
