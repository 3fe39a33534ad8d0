/*
 * Which syscalls carry a built-in check, and on which argument. Policy
 * says whether a syscall is allowed at all; these checks then hold for
 * every policy, because without them an allowed call would reach outside
 * the sandbox (signal a host process, escape tracing, ...).
 */
#include <sched.h>
#include <linux/seccomp.h>
#include "filters/decide.h"

/* Flags that would make a child untraced or give it new namespaces. */
#define CLONE_FORBIDDEN (CLONE_UNTRACED | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | \
			 CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

#define C(sys, k, a) [JT_SYS_##sys] = { .kind = (k), .arg = (a) }

static const struct jt_check checks[JT_SYS_COUNT] = {
	/* signals: only to processes inside */
	C(kill, JT_CHECK_KILL, 0),
	C(tkill, JT_CHECK_TID, 0),
	C(tgkill, JT_CHECK_TID, 1),
	C(rt_sigqueueinfo, JT_CHECK_PID, 0),
	C(rt_tgsigqueueinfo, JT_CHECK_TID, 1),
	C(pidfd_open, JT_CHECK_PID, 0),
	/* other calls aimed at a process */
	C(prlimit64, JT_CHECK_PID, 0),
	C(process_vm_readv, JT_CHECK_PID, 0),
	C(process_vm_writev, JT_CHECK_PID, 0),
	C(sched_setaffinity, JT_CHECK_PID, 0),
	C(sched_setparam, JT_CHECK_PID, 0),
	C(sched_setscheduler, JT_CHECK_PID, 0),
	C(sched_setattr, JT_CHECK_PID, 0),
	C(migrate_pages, JT_CHECK_PID, 0),
	C(move_pages, JT_CHECK_PID, 0),
	C(setpriority, JT_CHECK_PRIO, 0),
	C(ioprio_set, JT_CHECK_PRIO, 0),
	C(setpgid, JT_CHECK_SETPGID, 0),
	C(fcntl, JT_CHECK_FCNTL, 1),
	/* process creation: stay traced, no namespaces */
	[JT_SYS_clone] = { .kind = JT_CHECK_CLONE, .arg = 0, .mask = CLONE_FORBIDDEN },
	C(fork, JT_CHECK_FORK, 0),
	C(vfork, JT_CHECK_FORK, 0),
	/* a filter with a listener would outrank SECCOMP_RET_TRACE */
	[JT_SYS_seccomp] = { .kind = JT_CHECK_FLAGS, .arg = 1,
			     .mask = SECCOMP_FILTER_FLAG_NEW_LISTENER },
	C(socket, JT_CHECK_SOCKET, 0),
	C(ioctl, JT_CHECK_IOCTL, 1),
	C(execve, JT_CHECK_EXEC, 0),
	C(execveat, JT_CHECK_EXEC, 1),
};

const struct jt_check *jt_check_of(int sys)
{
	static const struct jt_check none;

	if (sys < 0 || sys >= JT_SYS_COUNT)
		return &none;
	return &checks[sys];
}
