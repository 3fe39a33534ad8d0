/*
 * One seccomp stop: read the call, look up the facts its check needs,
 * decide (filters/decide.c), write the decision record, then apply it.
 * The record is on disk before the tracee runs again.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include "compat/regs.h"
#include "filters/decide.h"
#include "filters/seccomp.h"
#include "reports/backtrace.h"
#include "tracer/calls.h"
#include "tracer/denials.h"
#include "tracer/fs.h"
#include "tracer/cpu.h"
#include "tracer/internal.h"
#include "tracer/net.h"
#include <stdlib.h>
#include <sys/syscall.h>

#define X32_BIT 0x40000000L
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2

/* Scratch for strings read out of the tracee, for the log. */
struct strings {
	char arg[6][JT_LOG_STR_MAX];
	char argv[JT_LOG_ARGV_MAX][256];
	struct jt_log_str argv_str[JT_LOG_ARGV_MAX];
};

static struct strings scratch;

static const struct jt_abi *abi_of(const struct jt_syscall *sc)
{
	const struct jt_abi *abi = jt_abi_by_audit_arch(sc->arch);

	if (abi && sc->arch == AUDIT_ARCH_X86_64 && (sc->nr & X32_BIT))
		return &jt_abi_x32;
	return abi;
}

/* Is any process of the sandbox in process group @pgrp? */
static int group_inside(const struct jt_run *run, pid_t pgrp)
{
	if (pgrp <= 0 || pgrp == run->jailtrace_pgrp)
		return 0;
	jt_ptable_each(&run->tasks, p)
		if (p->tid == p->tgid && getpgid(p->tid) == pgrp)
			return 1;
	return 0;
}

/*
 * A pid the run does not hold: a child of the run that exited and waits to
 * be reaped (the tracer has let it go, its parent has not) is the run's, and
 * so is one whose parent died first and which now waits for the run's
 * reaper (jailtrace, or the watchdog: subreapers, whose only children are
 * the sandbox's); a pid no process has is gone (ESRCH, as natively); the
 * rest is outside.
 */
static enum jt_target outside_or_gone(const struct jt_run *run, pid_t pid)
{
	char buf[512], *s = jt_proc_stat(pid, buf, sizeof(buf));
	char state = 0;
	int ppid = 0;

	if (!s)
		return errno == ENOENT && kill(pid, 0) < 0 && errno == ESRCH ? JT_TARGET_GONE
									    : JT_TARGET_OUTSIDE;
	if (sscanf(s, " %c %d", &state, &ppid) == 2 && state == 'Z' &&
	    (jt_ptable_has_pid(&run->tasks, ppid) || (ppid > 0 && (ppid == run->spawn_parent ||
								  ppid == run->tracer_pid))))
		return JT_TARGET_SANDBOX;
	return JT_TARGET_OUTSIDE;
}

static enum jt_target process(const struct jt_run *run, const struct jt_task *caller, pid_t pid)
{
	const struct jt_task *t;

	if (pid == 0 || pid == caller->tgid)
		return JT_TARGET_SELF;
	t = jt_ptable_find(&run->tasks, pid);
	if (t)
		return t->tgid == caller->tgid ? JT_TARGET_SELF : JT_TARGET_SANDBOX;
	if (jt_ptable_has_pid(&run->tasks, pid))
		return JT_TARGET_SANDBOX;
	return outside_or_gone(run, pid);
}

static enum jt_target group(const struct jt_run *run, pid_t pgrp)
{
	return group_inside(run, pgrp) ? JT_TARGET_SANDBOX : JT_TARGET_OUTSIDE;
}

/* kill(2)'s pid: >0 a process, 0 the caller's group, -1 everything, <-1 a group. */
static enum jt_target kill_target(const struct jt_run *run, const struct jt_task *t, int pid)
{
	if (pid > 0)
		return process(run, t, pid);
	if (pid == 0)
		return JT_TARGET_SANDBOX;	/* its own group, made by jailtrace or inside */
	if (pid == -1)
		return JT_TARGET_OUTSIDE;
	return group(run, -pid);
}

static enum jt_target prio_target(const struct jt_run *run, const struct jt_task *t,
				  const struct jt_request *rq)
{
	int which = (int)rq->args[0], who = (int)rq->args[1];
	int io = rq->sys == JT_SYS_ioprio_set;

	if (which == (io ? IOPRIO_WHO_PROCESS : PRIO_PROCESS))
		return process(run, t, who);
	if (which == (io ? IOPRIO_WHO_PGRP : PRIO_PGRP))
		return who == 0 ? JT_TARGET_SANDBOX : group(run, who);
	if (which == (io ? 3 : PRIO_USER))
		return JT_TARGET_OUTSIDE;	/* every process of a user */
	return JT_TARGET_NONE;
}

static enum jt_target setpgid_target(const struct jt_run *run, const struct jt_task *t,
				     const struct jt_request *rq)
{
	int pid = (int)rq->args[0], pgid = (int)rq->args[1];

	if (pid == 0)
		pid = t->tgid;
	if (pgid == 0 || pgid == pid)
		return JT_TARGET_SANDBOX;	/* a new group of its own */
	return group(run, pgid);
}

/* Fill in the facts the syscall's check needs. @return 1 if it has a target. */
/* Is @fd an open descriptor of @tid? (A fact for errno fidelity only.) */
static int fd_open(pid_t tid, int fd)
{
	char p[64];
	struct stat st;
	int as, r;

	if (fd < 0)
		return 0;
	as = jt_view_as_jail();	/* the sandbox's /proc/TID/fd is its user's */
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", tid, fd);
	r = lstat(p, &st) == 0;
	jt_view_as_back(as);
	return r;
}

static int facts(struct jt_run *run, struct jt_task *t, struct jt_request *rq)
{
	const struct jt_check *c = jt_check_of(rq->sys);
	int arg = (int)rq->args[c->arg];

	switch (c->kind) {
	case JT_CHECK_KILL:
		rq->target = kill_target(run, t, arg);
		return 1;
	case JT_CHECK_PID:
	case JT_CHECK_SETAFFINITY:
		rq->target = arg >= 0 ? process(run, t, arg) : JT_TARGET_NONE;
		return 1;
	case JT_CHECK_TID:
		rq->target = arg > 0 ? process(run, t, arg) : JT_TARGET_NONE;
		if (arg > 0 && rq->target == JT_TARGET_SELF && arg != t->tid &&
		    !jt_ptable_find(&run->tasks, arg))
			rq->target = JT_TARGET_OUTSIDE;
		return 1;
	case JT_CHECK_PRIO:
		rq->target = prio_target(run, t, rq);
		return 1;
	case JT_CHECK_SETPGID:
		rq->target = setpgid_target(run, t, rq);
		return 1;
	case JT_CHECK_FCNTL:
		if (arg != F_SETOWN)
			return 0;
		arg = (int)rq->args[2];
		rq->target = arg > 0 ? process(run, t, arg)
			   : arg < 0 ? group(run, -arg) : JT_TARGET_NONE;
		return 1;
	case JT_CHECK_EXEC:
		rq->first_exec = !run->first_exec_done && t->tid == run->child;
		return 0;
	case JT_CHECK_IOCTL:
		if ((uint32_t)rq->args[1] != TIOCSPGRP)
			return 0;
		/* a session other than jailtrace's was made inside (setsid, or the
		 * pty's, tty.c): nothing outside can be in it */
		rq->target = getsid(t->tid) != getsid(0) && getsid(t->tid) > 0 ? JT_TARGET_SANDBOX
									 : JT_TARGET_OUTSIDE;
		return 1;
	case JT_CHECK_MAP_EXEC:
		rq->map_written = jt_map_exec_written(run, t, rq);
		return 0;
	default:
		return 0;
	}
}

/*
 * A path argument the fs handler already read at @addr, for the record:
 * the copy it decided on, cut to what the record keeps. @return 1 if found.
 */
static int path_read_before(const struct jt_fs_result *res, uint64_t addr, struct jt_log_str *s)
{
	for (int k = 0; res && k < 2; k++) {
		if (!res->read_addr[k] || res->read_addr[k] != addr)
			continue;
		s->s = res->read_str[k];
		s->len = res->read_len[k];
		/* as jt_mem_string into JT_LOG_STR_MAX bytes would have cut it:
		 * it reads JT_LOG_STR_MAX - 1 bytes and needs the NUL among them */
		if (s->len >= JT_LOG_STR_MAX - 1) {
			s->full_len = s->len;
			s->len = JT_LOG_STR_MAX - 1;
			s->cut = 1;
		}
		return 1;
	}
	return 0;
}

/* How many entries the argv at @addr has (up to a bound), to say beside a cut one. */
static size_t argv_count(const struct jt_run *run, pid_t tid, uint64_t addr, int ptr_size)
{
	unsigned char raw[4096];
	size_t count = 0, max = JT_LOG_MEASURE / (size_t)ptr_size;

	while (count < max) {
		size_t chunk = sizeof(raw) - (size_t)((addr + count * (size_t)ptr_size) % sizeof(raw));
		ssize_t got = jt_mem_read(run, tid, addr + count * (size_t)ptr_size, raw, chunk);

		if (got < ptr_size)
			return count;
		for (ssize_t k = 0; k + ptr_size <= got; k += ptr_size, count++) {
			uint64_t p = 0;

			memcpy(&p, raw + k, (size_t)ptr_size);
			if (!p)
				return count;
		}
	}
	return count;
}

/* A string the record cuts says its length in the program. */
static void measure_cut(const struct jt_run *run, pid_t tid, uint64_t addr, struct jt_log_str *s)
{
	if (s->cut && s->s)
		s->full_len = jt_mem_strlen(run, tid, addr, s->len, JT_LOG_MEASURE);
}

/* Read the path and string arguments, and argv, for the record; @res
 * (or NULL) holds the paths an fs handler read already. */
static void read_strings(const struct jt_run *run, const struct jt_task *t,
			 const struct jt_request *rq, struct jt_log_call *lc,
			 const struct jt_fs_result *res)
{
	const struct jt_sysinfo *si = &jt_sysinfo[rq->sys];
	uint64_t ptrs[JT_LOG_ARGV_MAX + 1];
	int ptr_size = rq->abi ? rq->abi->ptr_size : 8;

	for (int i = 0; i < si->nargs; i++) {
		struct jt_log_str *s = &lc->str[i];
		ssize_t n;

		if (si->arg[i] == JT_ARG_PATH && path_read_before(res, rq->args[i], s))
			continue;
		if (si->arg[i] == JT_ARG_PATH || si->arg[i] == JT_ARG_STR) {
			n = jt_mem_string(run, t->tid, rq->args[i], scratch.arg[i],
					  sizeof(scratch.arg[i]), &s->cut);
			if (n < 0) {
				s->err = (int)n;
			} else {
				s->s = scratch.arg[i];
				s->len = (size_t)n;
				measure_cut(run, t->tid, rq->args[i], s);
			}
		} else if (si->arg[i] == JT_ARG_ARGV && !lc->argv) {
			unsigned char raw[sizeof(ptrs)];
			ssize_t got = jt_mem_read(run, t->tid, rq->args[i], raw,
						  (size_t)ptr_size * (JT_LOG_ARGV_MAX + 1));
			int k;

			/* a short read is fine: the array may end near a page end */
			if (got < 0)
				got = 0;
			for (k = 0; k < JT_LOG_ARGV_MAX && (k + 1) * ptr_size <= got; k++) {
				uint64_t p = 0;

				memcpy(&p, raw + k * ptr_size, (size_t)ptr_size);
				if (!p)
					break;
				struct jt_log_str *a = &scratch.argv_str[k];

				memset(a, 0, sizeof(*a));
				n = jt_mem_string(run, t->tid, p, scratch.argv[k],
						  sizeof(scratch.argv[k]), &a->cut);
				if (n < 0) {
					a->err = (int)n;
				} else {
					a->s = scratch.argv[k];
					a->len = (size_t)n;
					measure_cut(run, t->tid, p, a);
				}
			}
			lc->argv = scratch.argv_str;
			lc->argc = k;
			lc->argv_cut = k == JT_LOG_ARGV_MAX;
			if (lc->argv_cut)
				lc->argv_total = argv_count(run, t->tid, rq->args[i], ptr_size);
		}
	}
}

/* Make the call fail with @err; on kernels before 4.8 the return value
 * can only be set at the syscall-exit stop. */
static int answer(struct jt_run *run, struct jt_task *t, long ret)
{
	int r = jt_regs_skip(t->tid);

	if (r < 0)
		return r;
	/* without a filter this is the entry stop already: the exit comes next */
	if (!jt_kernel_has(&run->kernel, JT_FEAT_SECCOMP)) {
		t->flags |= JT_TASK_RET_PENDING;
		t->ret = ret;
		t->stops_to_exit = 1;
		return 0;
	}
	if (jt_kernel_has(&run->kernel, JT_FEAT_SKIP_AT_SECCOMP))
		return jt_regs_set_return(t->tid, ret);
	t->flags |= JT_TASK_RET_PENDING;
	t->ret = ret;
	/* a real pre-4.8 kernel still has the syscall-entry stop to come */
	t->stops_to_exit = (run->kernel.have & JT_FEAT_SKIP_AT_SECCOMP) ? 1 : 2;
	return 0;
}

static void audit_entry(struct jt_run *run, struct jt_task *t, const struct jt_request *rq,
			const struct jt_abi *abi, const struct jt_syscall *sc,
			const struct jt_verdict *v, char *rulebuf, const char *path, const char *addr)
{
	struct jt_log_call lc = {
		.path = path, .addr = addr,
		.pid = t->tgid, .tid = t->tid, .abi = abi, .audit_arch = sc->arch,
		.nr = sc->nr, .sys = rq->sys, .target = rq->target, .verdict = v,
		.first_exec = rq->first_exec,
		.rule = jt_verdict_rule(run->policy, v, rulebuf, 64),
	};

	memcpy(lc.args, rq->args, sizeof(lc.args));
	lc.has_target = rq->target != JT_TARGET_NONE;
	if (jt_audit_entry(run, t, &lc) < 0)
		jt_stop_run(run, JT_STOP_ERROR, "out of memory for the audit record");
}

static struct jt_fs_result fsres;

/*
 * Let the kernel run call @nr of the stopped call's ABI with @args instead.
 * The program expects every register but the result back as it was (i386
 * code keeps values in ebx, esi, edi and ebp across a call; compilers
 * assume a syscall's input registers survive it), so they are restored at
 * the exit stop, with the result, as after a failed exec (loop.c).
 * @return 0 or -errno.
 */
static int rewrite(struct jt_task *t, const struct jt_syscall *sc, long nr, const uint64_t args[6])
{
	struct jt_regs_saved *regs = malloc(sizeof(*regs));
	int r;

	if (!regs)
		return -ENOMEM;
	r = jt_regs_save(t->tid, regs);
	if (r == 0)
		r = jt_regs_set_call(t->tid, regs, sc->arch, nr, args);
	if (r < 0) {
		free(regs);
		return r;
	}
	free(t->exec_regs);
	t->exec_regs = regs;
	return 0;
}

/*
 * The record of a call the tracer performed, on either transport, written
 * before the program sees the result. A denial that hides something the
 * host has takes the stack of the thread (@held: one taken before, at a
 * stop the notification was interrupted into; NULL: the thread is at a
 * ptrace stop now). @return 0, or -errno: no record, the call must fail
 * (and the run ends: jt_log_failed).
 */
static int record(struct jt_run *run, struct jt_task *t, const struct jt_syscall *sc,
		  const struct jt_request *rq, const struct jt_abi *abi, struct jt_fs_result *res,
		  char rulebuf[64], const struct jt_stack *held)
{
	struct jt_log_call lc;
	int r;

	memset(&lc, 0, sizeof(lc));
	lc.pid = t->tgid;
	lc.tid = t->tid;
	lc.abi = abi;
	lc.audit_arch = sc->arch;
	lc.nr = sc->nr;
	lc.sys = rq->sys;
	memcpy(lc.args, rq->args, sizeof(lc.args));
	lc.first_exec = rq->first_exec;
	lc.verdict = &res->verdict;
	lc.rule = jt_verdict_rule(run->policy, &res->verdict, rulebuf, 64);
	lc.path = res->path[0] ? res->path : NULL;
	lc.addr = res->addr[0] ? res->addr : NULL;
	if (run->log.fd >= 0 || (run->log.syslog && !res->verdict.allow))
		read_strings(run, t, rq, &lc, res);
	/* counted first: the count knows whether a path outside the view hides
	 * something the host has. Looking up what the host lacks too is how
	 * loaders and runtimes probe for optional files; it fails natively the
	 * same way, and its stack (60-200 us) is not worth the price */
	if (!res->verdict.allow) {
		run->denials++;
		if (jt_denial_note(run, t, rq, &res->verdict, res->path, res->addr))
			lc.stack = held ? held : jt_stack_of(run, t->tid);
		else
			lc.as_natively = 1;	/* not sent to syslog either */
	}
	r = jt_log_call(&run->log, &lc);
	if (r < 0)
		jt_log_failed(run, r, t->tid);
	return r;
}

/* A call that decided nothing and named no path (fs.c says which): the
 * log holds decisions, and the kernel's own fstat has no record either */
static int unrecorded(const struct jt_run *run, const struct jt_fs_result *res)
{
	return res->unrecorded && res->verdict.allow && !run->cfg->audit_full;
}

/*
 * A path call under the view: performed by the tracer (fs.c). Its record is
 * written before the program sees the result; an exec goes on to the
 * kernel with the checked host path, a new descriptor is handed over.
 */
static int fs_stop(struct jt_run *run, struct jt_task *t, const struct jt_syscall *sc,
		   struct jt_request *rq, const struct jt_abi *abi)
{
	struct jt_fs_result *res = &fsres;
	char rulebuf[64];
	int r, is_exec = rq->sys == JT_SYS_execve || rq->sys == JT_SYS_execveat;

	if ((jt_call_of(rq->sys)->flags & JT_CALL_FD) && (r = jt_inject_busy(run, t)) != 0)
		return r < 0 ? r : 0;	/* it waits at its stop for the channel */
	if (is_exec && !run->first_exec_done && t->tid == run->child) {
		rq->first_exec = 1;
		run->first_exec_done = 1;
	}
	for (int round = 0;; round++) {
		int fd;

		/* read_str, last, is only read where read_addr says it was written */
		memset(res, 0, offsetof(struct jt_fs_result, read_str));
		res->inject_fd = -1;
		t->fetch_want = 0;
		r = jt_call(run, t, rq, res);
		if (r >= 0 && t->give_want) {
			/* an exec's file, given to the program to run by its number
			 * (fs.c); its answer is dropped, the call issued again */
			fd = t->give_want - 1;
			t->give_want = 0;
			if (res->inject_fd >= 0)
				close(res->inject_fd);
			r = jt_give_start(run, t, rq->abi, sc->nr, rq->sys, rq->args, fd);
			if (r == 0)
				return jt_resume(t, 0);
			t->given = r;	/* the handler answers this */
			t->given_sys = rq->sys;
			memcpy(t->given_args, rq->args, sizeof(t->given_args));
			continue;
		}
		if (r < 0 || !t->fetch_want)
			break;
		/* no pidfd_getfd: the handler needs a descriptor /proc cannot reopen.
		 * Its answer is dropped; the descriptor is fetched and the call
		 * issued again (inject.c), or, where that cannot be, it is out of reach */
		fd = t->fetch_want - 1;
		t->fetch_want = 0;
		if (res->inject_fd >= 0)
			close(res->inject_fd);
		r = round < 256 ? jt_fetch_start(run, t, rq->abi, sc->nr, sc->args, fd) : -EACCES;
		if (r == 0)
			return jt_resume(t, 0);
		if (r > 0)
			return 0;	/* it waits at its stop for the channel */
		jt_fetch_fail(t, sc->nr, sc->args, fd, r == -EBADF ? -EBADF : -EACCES);
	}
	/* what was fetched served this call only */
	jt_fetched_clear(t);
	if (r < 0)
		return r;
	/* a call issued again is recorded when it is done, not at every try */
	r = res->restart || unrecorded(run, res) ? 0 : record(run, t, sc, rq, abi, res, rulebuf, NULL);
	if (r < 0) {
		if (res->inject_fd >= 0)
			close(res->inject_fd);
		return answer(run, t, -EPERM) ?: jt_resume(t, 0);
	}
	if (res->to_kernel && res->exec_path) {
		uint64_t envp = rq->args[rq->sys == JT_SYS_execve ? 2 : 3];
		uint64_t a[6] = { res->exec_path, res->exec_argv, envp };
		uint64_t at[6] = { (uint64_t)res->exec_fd, res->exec_path, res->exec_argv, envp,
				   AT_EMPTY_PATH };

		t->exec_regs = malloc(sizeof(*t->exec_regs));
		if (!t->exec_regs)
			r = answer(run, t, -ENOMEM);
		else if (res->exec_fd >= 0) {
			/* the file given to it, run by its number: no host path walked */
			*t->exec_regs = res->regs;
			r = jt_regs_set_call(t->tid, &res->regs, sc->arch,
					     jt_abi_nr(rq->abi, JT_SYS_execveat), at);
		} else {
			*t->exec_regs = res->regs;
			r = jt_regs_set_call(t->tid, &res->regs, sc->arch,
					     jt_abi_nr(rq->abi, JT_SYS_execve), a);
		}
	} else if (res->to_kernel) {
		r = 0;
	} else if (res->rewrite_nr) {
		/* the kernel runs a call that reads nothing the program can rewrite
		 * (named by its native number: the ABI's own is the same call's) */
		long nr = jt_abi_nr(rq->abi, jt_abi_sys(jt_abi_native(), res->rewrite_nr));

		r = nr < 0 ? answer(run, t, -ENOSYS) : rewrite(t, sc, nr, res->rewrite_args);
	} else if (res->restart) {
		/* it would block: the program issues it again, rewound at this stop
		 * (4.8+) or at the syscall-exit stop before */
		r = jt_regs_save(t->tid, &res->regs);
		if (r == 0 && jt_kernel_has(&run->kernel, JT_FEAT_SECCOMP) &&
		    jt_kernel_has(&run->kernel, JT_FEAT_SKIP_AT_SECCOMP))
			r = jt_regs_restart(t->tid, &res->regs, sc->nr);
		else if (r == 0 && !(t->restart_regs = malloc(sizeof(*t->restart_regs))))
			r = answer(run, t, -ENOMEM);
		else if (r == 0) {
			*t->restart_regs = res->regs;
			t->restart_nr = sc->nr;
			r = answer(run, t, -EAGAIN);
		}
	} else if (res->inject_fd >= 0) {
		r = jt_inject_fd(run, t, rq->abi, res->inject_fd, res->cloexec);
		if (r < 0)
			r = answer(run, t, r);
	} else {
		r = answer(run, t, res->ret);
	}
	if (r < 0)
		return r;
	if (run->cfg->audit_full)
		audit_entry(run, t, rq, abi, sc, &res->verdict, rulebuf, res->path[0] ? res->path : NULL,
			    res->addr[0] ? res->addr : NULL);
	return jt_resume(t, 0);
}


/*
 * A new descriptor reaches the program through a recvmsg whose msghdr the
 * tracer writes below the stack pointer (inject.c). An i386 call can only
 * address the low 4 GiB, and `int 0x80` from 64-bit code runs on a stack
 * above them: such an open is refused before anything is done, rather than
 * performed and then not handed over. @return 1 if so.
 */
static int no_handover(struct jt_task *t, const struct jt_request *rq)
{
	struct jt_regs_saved regs;
	uint64_t sp;

	if (rq->abi->ptr_size == 8 || !(jt_call_of(rq->sys)->flags & JT_CALL_FD))
		return 0;
	if (jt_regs_save(t->tid, &regs) < 0)
		return 1;
	sp = jt_regs_sp(&regs);
	return sp > 0xffffffffULL || sp < 4096;
}

/* Does the tracer perform @rq itself (calls.c) rather than decide it? */
static int performed(const struct jt_run *run, const struct jt_request *rq)
{
	return jt_call_performs(run, rq);
}

/*
 * i386 socketcall(call, args): its arguments are in memory another thread
 * can rewrite, so they are read once, here, and the request becomes the
 * call they carry (socket, connect, ...), decided and performed from this
 * copy as the same call of the native ABI is. @return 1, or -errno for
 * the call's result (a bad call number, a bad pointer).
 */
static int demux(struct jt_run *run, struct jt_task *t, struct jt_request *rq)
{
	const struct jt_socketcall *c = jt_socketcall_of(rq->args[0]);
	uint32_t w[6] = { 0 };
	size_t n;

	if (!c)
		return -EINVAL;
	n = c->nargs * sizeof(w[0]);
	if (jt_mem_read(run, t->tid, rq->args[1], w, n) != (ssize_t)n)
		return -EFAULT;
	rq->sys = c->sys;
	for (int i = 0; i < 6; i++)
		rq->args[i] = w[i];
	return 1;
}

/*
 * An allowed socketcall with a check was decided on arguments the kernel
 * would read again from memory: it runs as the direct call (Linux 4.3+),
 * from registers. @return 0 or -errno.
 */
static int run_demuxed(struct jt_run *run, struct jt_task *t, const struct jt_syscall *sc,
		       const struct jt_request *rq)
{
	long nr = jt_abi_nr(rq->abi, rq->sys);

	return nr < 0 ? answer(run, t, -ENOSYS) : rewrite(t, sc, nr, rq->args);
}

/* sched_getaffinity of a process of the run: it is told the run's CPUs (cpu.c). */
static int own_affinity(const struct jt_run *run, const struct jt_task *t, const struct jt_request *rq)
{
	if (run->pin_cpu < 0 || !rq->abi || run->policy->action[rq->sys] != JT_ALLOW ||
	    run->policy->abi_refused[rq->abi->id])
		return 0;
	return (pid_t)rq->args[0] == 0 || process(run, t, (pid_t)rq->args[0]) != JT_TARGET_OUTSIDE;
}

/*
 * A seccomp filter the program would add, where it may not
 * (jt_own_filters_refused): seccomp(SECCOMP_SET_MODE_FILTER or _STRICT) and
 * prctl(PR_SET_SECCOMP, any mode). Their seccomp stops come from the
 * tracer's filter (filters/seccomp.c, JT_SECCOMP_OWN_STOPS), since none of
 * the program's can exist yet. @return 1 if @rq is one.
 */
static int own_filter(const struct jt_run *run, const struct jt_request *rq)
{
	if (!jt_own_filters_refused(&run->kernel))
		return 0;
	if (rq->sys == JT_SYS_seccomp)
		return (uint32_t)rq->args[0] == SECCOMP_SET_MODE_FILTER ||
		       (uint32_t)rq->args[0] == SECCOMP_SET_MODE_STRICT;
	return rq->sys == JT_SYS_prctl && (int)rq->args[0] == PR_SET_SECCOMP;
}

/* The request of call @sc, as the kernel tells it; @return its ABI (NULL: none known). */
static const struct jt_abi *request_of(const struct jt_run *run, const struct jt_syscall *sc,
				       struct jt_request *rq)
{
	const struct jt_abi *abi = abi_of(sc);

	memset(rq, 0, sizeof(*rq));
	rq->audit_arch = sc->arch;
	rq->nr = sc->nr;
	memcpy(rq->args, sc->args, sizeof(rq->args));
	rq->sys = abi ? jt_abi_sys(abi, sc->nr) : -1;
	if (rq->sys < 0)
		rq->sys = -1;
	rq->abi = jt_abi_handled(abi) ? abi : NULL;
	rq->reserved_fd = run->use_view ? run->chan_fd : -1;
	return abi;
}

int jt_notified_perform(struct jt_run *run, struct jt_task *t, const struct jt_syscall *sc,
			struct jt_request *rq, struct jt_fs_result *res)
{
	int r;

	request_of(run, sc, rq);
	/* only what the filter sends (filters/seccomp.c), decided here as at a stop */
	if (rq->abi != jt_abi_native() || !performed(run, rq) ||
	    !(jt_call_of(rq->sys)->flags & JT_CALL_NOTIFY))
		return -EPROTO;
	memset(res, 0, offsetof(struct jt_fs_result, read_str));
	res->inject_fd = -1;
	t->fetch_want = t->give_want = 0;
	r = jt_call(run, t, rq, res);
	if (r >= 0 && (t->fetch_want || t->give_want || res->to_kernel || res->rewrite_nr)) {
		/* no handler of these calls asks for a stop's means */
		t->fetch_want = t->give_want = 0;
		if (res->inject_fd >= 0)
			close(res->inject_fd);
		res->inject_fd = -1;
		r = -EPROTO;
	}
	jt_fetched_clear(t);
	return r < 0 ? r : res->restart ? JT_NOTIF_AGAIN : 0;
}

int jt_notified_record(struct jt_run *run, struct jt_task *t, const struct jt_syscall *sc,
		       const struct jt_request *rq, struct jt_fs_result *res)
{
	const struct jt_stack *held = NULL;
	char rulebuf[64];
	int r;

	if (!res->verdict.allow && jt_stacks_on(run)) {
		if (t->held_stack && t->held_nr == (long)sc->nr &&
		    !memcmp(t->held_args, sc->args, sizeof(t->held_args)))
			held = t->held_stack;
		else if (jt_denial_hides(run, t, rq, &res->verdict, res->path, res->addr))
			return JT_NOTIF_STACK;	/* its stack first, at a stop (notify.c) */
	}
	r = unrecorded(run, res) ? 0 : record(run, t, sc, rq, abi_of(sc), res, rulebuf, held);
	free(t->held_stack);
	t->held_stack = NULL;
	if (r < 0) {
		if (res->inject_fd >= 0)
			close(res->inject_fd);
		res->inject_fd = -1;
		res->ret = -EPERM;
	}
	return 0;
}

int jt_syscall_stop(struct jt_run *run, struct jt_task *t, unsigned long data)
{
	struct jt_syscall sc;
	struct jt_request rq;
	struct jt_verdict v;
	struct jt_log_call lc;
	const struct jt_abi *abi;
	char rulebuf[64];
	int r, muxed = 0;
	const char *refused = NULL;

	/* the re-check (4.8+) of the sendmsg a fetch made of the call: it runs */
	if (t->fetch)
		return jt_resume(t, 0);
	t->stop_data = data;
	/* the filter's data, not the instruction, says a call came through i386 */
	r = jt_regs_syscall(t->tid, jt_kernel_has(&run->kernel, JT_FEAT_SYSCALL_INFO),
			    data == JT_TRACE_BADARCH || data == JT_TRACE_FOREIGN, &sc);
	if (r < 0)
		return r;
	/* copies fetched serve the very call they were fetched for, issued again */
	jt_fetched_check(t, sc.nr, sc.args);
	memset(&lc, 0, sizeof(lc));
	abi = request_of(run, &sc, &rq);
	/* without a filter, jailtrace's own set-up before the first exec stops too:
	 * it is not the program's, so it is neither decided nor recorded */
	if (!jt_kernel_has(&run->kernel, JT_FEAT_SECCOMP) && !run->first_exec_done &&
	    t->tid == run->child && rq.sys != JT_SYS_execve)
		return jt_resume(t, 0);
	if (rq.sys == JT_SYS_socketcall && rq.abi && !run->policy->abi_refused[rq.abi->id])
		muxed = demux(run, t, &rq);
	if (rq.sys == JT_SYS_sched_getaffinity && own_affinity(run, t, &rq))
		return answer(run, t, jt_cpu_getaffinity(run, t, (size_t)rq.args[1], rq.args[2])) ?:
		       jt_resume(t, 0);
	if (muxed >= 0 && rq.abi != jt_abi_native() && performed(run, &rq))
		refused = !(jt_call_of(rq.sys)->flags & JT_CALL_I386) ? "abi-layout-not-handled"
			: run->use_view && no_handover(t, &rq) ? "no-handover-below-4g" : NULL;
	if (muxed >= 0 && !refused && performed(run, &rq))
		return fs_stop(run, t, &sc, &rq, abi);
	if (rq.abi && rq.sys >= 0)
		lc.has_target = facts(run, t, &rq);
	if (muxed < 0)
		/* what the kernel answers: a bad call number or argument pointer */
		v = (struct jt_verdict){ .err = -muxed, .rule = -1, .builtin = "socketcall-arguments" };
	else if (refused)
		v = (struct jt_verdict){ .err = ENOSYS, .rule = -1, .builtin = refused };
	else
		jt_decide(run->policy, &rq, &v);
	/* what a kernel without seccomp filters answers: programs that can run
	 * without their filter go on (those that cannot, stop) */
	if (v.allow && own_filter(run, &rq))
		v = (struct jt_verdict){ .err = EINVAL, .rule = -1, .builtin = "own-seccomp-filter" };
	if (!v.allow && v.builtin && !strcmp(v.builtin, "ioctl-not-allowed") &&
	    !fd_open(t->tid, (int)rq.args[0]))
		v.err = EBADF;	/* the kernel looks at the descriptor before the request */
	if (rq.sys >= 0 && jt_sysinfo[rq.sys].name && rq.first_exec)
		run->first_exec_done = 1;

	if (!v.quiet) {
		lc.pid = t->tgid;
		lc.tid = t->tid;
		lc.abi = abi;
		lc.audit_arch = sc.arch;
		lc.nr = sc.nr;
		lc.sys = rq.sys;
		memcpy(lc.args, rq.args, sizeof(lc.args));
		lc.target = rq.target;
		lc.first_exec = rq.first_exec;
		lc.verdict = &v;
		lc.rule = jt_verdict_rule(run->policy, &v, rulebuf, sizeof(rulebuf));
		if (rq.sys >= 0 && (run->log.fd >= 0 || (run->log.syslog && !v.allow)))
			read_strings(run, t, &rq, &lc, NULL);
		/* only a denial takes a stack: allowed calls stay as fast as they were */
		if (!v.allow)
			lc.stack = jt_stack_of(run, t->tid);
		r = jt_log_call(&run->log, &lc);
		if (r < 0) {
			/* no record, no action: end the run rather than act unlogged */
			jt_log_failed(run, r, t->tid);
			v.allow = 0;
			v.err = EPERM;
		}
	}
	/* a program that places itself on CPUs: the run no longer shares one */
	if (v.allow && rq.sys == JT_SYS_sched_setaffinity)
		jt_cpu_spread(run, "program");
	if (!v.allow) {
		run->denials++;
		jt_denial_note(run, t, &rq, &v, NULL, NULL);
		r = answer(run, t, -v.err);
		if (r < 0)
			return r;
	} else if (muxed > 0 && jt_check_of(rq.sys)->kind != JT_CHECK_NONE) {
		r = run_demuxed(run, t, &sc, &rq);
		if (r < 0)
			return r;
	}
	if (run->cfg->audit_full)
		audit_entry(run, t, &rq, abi, &sc, &v, rulebuf, NULL, NULL);
	return jt_resume(t, 0);
}
