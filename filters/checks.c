/*
 * Which syscalls carry a built-in check, and on which argument. Policy
 * says whether a syscall is allowed at all; these checks then hold for
 * every policy, because without them an allowed call would reach outside
 * the sandbox (signal a host process, escape tracing, ...).
 */
#include <errno.h>
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
	C(sched_setaffinity, JT_CHECK_SETAFFINITY, 0),
	C(sched_setparam, JT_CHECK_PID, 0),
	C(sched_setscheduler, JT_CHECK_PID, 0),
	C(sched_setattr, JT_CHECK_PID, 0),
	C(migrate_pages, JT_CHECK_PID, 0),
	C(move_pages, JT_CHECK_PID, 0),
	C(setpriority, JT_CHECK_PRIO, 0),
	C(ioprio_set, JT_CHECK_PRIO, 0),
	C(setpgid, JT_CHECK_SETPGID, 0),
	C(fcntl, JT_CHECK_FCNTL, 1), C(fcntl64, JT_CHECK_FCNTL, 1),
	/* process creation: stay traced, no namespaces */
	[JT_SYS_clone] = { .kind = JT_CHECK_CLONE, .arg = 0, .mask = CLONE_FORBIDDEN },
	C(fork, JT_CHECK_FORK, 0),
	C(vfork, JT_CHECK_FORK, 0),
	/* a filter with a listener would outrank SECCOMP_RET_TRACE */
	[JT_SYS_seccomp] = { .kind = JT_CHECK_FLAGS, .arg = 1,
			     .mask = SECCOMP_FILTER_FLAG_NEW_LISTENER },
	C(socket, JT_CHECK_SOCKET, 0),
	C(socketpair, JT_CHECK_SOCKETPAIR, 0),
	/* the program may share the tracer's CPU for a while: it is told all of them */
	C(sched_getaffinity, JT_CHECK_AFFINITY, 0),
	/* the network: addresses decided and calls performed by the tracer */
	C(listen, JT_CHECK_NET, 0), C(sendto, JT_CHECK_NET, 4),
	C(sendmsg, JT_CHECK_NET, 2), C(sendmmsg, JT_CHECK_NET, 3),
	C(ioctl, JT_CHECK_IOCTL, 1),
	/* "like a noexec mount": no executable mapping of a file the program
	 * wrote (the loader run by hand, dlopen of a written library) */
	C(mmap, JT_CHECK_MAP_EXEC, 2), C(mmap2, JT_CHECK_MAP_EXEC, 2),
	C(mprotect, JT_CHECK_MAP_EXEC, 2), C(pkey_mprotect, JT_CHECK_MAP_EXEC, 2),
	/* READ_IMPLIES_EXEC would make a PROT_READ mapping (which does not
	 * stop) of such a file executable */
	C(personality, JT_CHECK_PERSONALITY, 0),
	C(execve, JT_CHECK_EXEC, 0),
	C(execveat, JT_CHECK_EXEC, 1),
	/* paths: performed by the tracer under a view (tracer/fs.c) */
	C(open, JT_CHECK_PATH, 0), C(openat, JT_CHECK_PATH, 1), C(creat, JT_CHECK_PATH, 0),
	C(stat, JT_CHECK_PATH, 0), C(lstat, JT_CHECK_PATH, 0), C(newfstatat, JT_CHECK_PATH, 1),
	C(statx, JT_CHECK_PATH, 1), C(access, JT_CHECK_PATH, 0), C(faccessat, JT_CHECK_PATH, 1),
	C(faccessat2, JT_CHECK_PATH, 1), C(readlink, JT_CHECK_PATH, 0),
	C(readlinkat, JT_CHECK_PATH, 1), C(getcwd, JT_CHECK_PATH, 0), C(chdir, JT_CHECK_PATH, 0),
	C(fchdir, JT_CHECK_PATH, 0), C(mkdir, JT_CHECK_PATH, 0), C(mkdirat, JT_CHECK_PATH, 1),
	C(mknod, JT_CHECK_PATH, 0), C(mknodat, JT_CHECK_PATH, 1), C(symlink, JT_CHECK_PATH, 1),
	C(symlinkat, JT_CHECK_PATH, 2), C(unlink, JT_CHECK_PATH, 0), C(unlinkat, JT_CHECK_PATH, 1),
	C(rmdir, JT_CHECK_PATH, 0), C(rename, JT_CHECK_PATH, 0), C(renameat, JT_CHECK_PATH, 1),
	C(renameat2, JT_CHECK_PATH, 1), C(link, JT_CHECK_PATH, 0), C(linkat, JT_CHECK_PATH, 1),
	C(chmod, JT_CHECK_PATH, 0), C(fchmodat, JT_CHECK_PATH, 1), C(chown, JT_CHECK_PATH, 0),
	C(lchown, JT_CHECK_PATH, 0), C(fchownat, JT_CHECK_PATH, 1), C(truncate, JT_CHECK_PATH, 0),
	C(utime, JT_CHECK_PATH, 0), C(utimes, JT_CHECK_PATH, 0), C(utimensat, JT_CHECK_PATH, 1),
	C(statfs, JT_CHECK_PATH, 0), C(fchmodat2, JT_CHECK_PATH, 1),
	/* made by the tracer, which keeps a copy to count its pages (tracer/disk.c) */
	C(memfd_create, JT_CHECK_PATH, 0),
	/* the same, as the i386 ABI names them (32-bit ids, 64-bit sizes and times) */
	C(stat64, JT_CHECK_PATH, 0), C(lstat64, JT_CHECK_PATH, 0), C(fstatat64, JT_CHECK_PATH, 1),
	C(statfs64, JT_CHECK_PATH, 0), C(truncate64, JT_CHECK_PATH, 0),
	C(chown32, JT_CHECK_PATH, 0), C(lchown32, JT_CHECK_PATH, 0), C(fchown32, JT_CHECK_PATH, 0),
	C(utimensat_time64, JT_CHECK_PATH, 1),
	/* i386's pre-1996 stat layout: no libc uses it; refused under a view */
	[JT_SYS_oldstat] = { .kind = JT_CHECK_VIEW_DENY, .err = ENOSYS },
	[JT_SYS_oldlstat] = { .kind = JT_CHECK_VIEW_DENY, .err = ENOSYS },
	/* i386 socket calls through one entry, their arguments in memory */
	C(socketcall, JT_CHECK_SOCKETCALL, 0),
	/* metadata through a descriptor: a read-only file's owner could change it */
	C(fchmod, JT_CHECK_PATH, 0), C(fchown, JT_CHECK_PATH, 0),
	C(fsetxattr, JT_CHECK_PATH, 0), C(fremovexattr, JT_CHECK_PATH, 0),
	/* path calls the view does not perform yet: refused under a view */
	[JT_SYS_openat2] = { .kind = JT_CHECK_VIEW_DENY, .err = ENOSYS },
	[JT_SYS_futimesat] = { .kind = JT_CHECK_VIEW_DENY, .err = ENOSYS },
	/* extended attributes and inotify watches by path */
	C(getxattr, JT_CHECK_PATH, 0), C(lgetxattr, JT_CHECK_PATH, 0),
	C(setxattr, JT_CHECK_PATH, 0), C(lsetxattr, JT_CHECK_PATH, 0),
	C(listxattr, JT_CHECK_PATH, 0), C(llistxattr, JT_CHECK_PATH, 0),
	C(removexattr, JT_CHECK_PATH, 0), C(lremovexattr, JT_CHECK_PATH, 0),
	C(inotify_add_watch, JT_CHECK_PATH, 1),
	/* what is shared with the host's processes: inotify instances (a
	 * per-user count) and locks on its files, decided by the tracer under
	 * a view; fcntl's locks, leases and dnotify stop there too (seccomp.c) */
	C(inotify_init, JT_CHECK_PATH, 0), C(inotify_init1, JT_CHECK_PATH, 0),
	C(flock, JT_CHECK_PATH, 0), C(epoll_ctl, JT_CHECK_EPOLL_ADD, 1),
	/* unix socket paths are resolved in the view (abstract names are
	 * refused), inet addresses decided by the tracer (tracer/net.c) */
	C(connect, JT_CHECK_NET, 1), C(bind, JT_CHECK_NET, 1),
	C(getsockname, JT_CHECK_PATH, 0), C(getpeername, JT_CHECK_PATH, 0),
	/* the handover descriptor stays where it is */
	C(close, JT_CHECK_RESERVED_FD, 0), C(dup2, JT_CHECK_RESERVED_FD, 1),
	C(dup3, JT_CHECK_RESERVED_FD, 1), C(close_range, JT_CHECK_CLOSE_RANGE, 0),
};

const struct jt_check *jt_check_of(int sys)
{
	static const struct jt_check none;

	if (sys < 0 || sys >= JT_SYS_COUNT)
		return &none;
	return &checks[sys];
}
