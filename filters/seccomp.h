/*
 * The seccomp program: the policy compiled into what the kernel decides
 * alone (allow, or fail with an errno) and what stops in the tracer
 * (SECCOMP_RET_TRACE). Built with libseccomp.
 */
#ifndef JT_FILTERS_SECCOMP_H
#define JT_FILTERS_SECCOMP_H

#include <stddef.h>
#include <linux/filter.h>
#include "filters/policy.h"

/* SECCOMP_RET_TRACE data: why the call stopped. */
#define JT_TRACE_DECIDE 0	/* a call the tracer decides */
#define JT_TRACE_BADARCH 1	/* an ABI the filter does not list */
#define JT_TRACE_FOREIGN 2	/* a call the tracer decides, made through the second
				 * ABI of this architecture (i386 on x86_64): registers
				 * alone cannot say so for `int 0x80` from 64-bit code */

/* jt_seccomp_build flags */
#define JT_SECCOMP_STOP_ALL 1	/* every call stops (full audit): no rule decides in the kernel */
#define JT_SECCOMP_FOREIGN_STOPS 2	/* every call of the second ABI stops: a program half as
					 * long, for a run that starts a native program */
#define JT_SECCOMP_OWN_STOPS 4	/* seccomp() and prctl(PR_SET_SECCOMP) stop, even where the
				 * policy allows them: the tracer refuses the program's
				 * own filters (tracer/syscall.c) */
#define JT_SECCOMP_NOTIFY 8	/* the native ABI's calls of jt_seccomp_notified go to a
				 * user-notification listener (SECCOMP_RET_USER_NOTIF),
				 * not to a ptrace stop (tracer/notify.c) */

/**
 * Is @sys a call a user notification carries under a view (with
 * JT_SECCOMP_NOTIFY), when the policy allows it? Those whose handlers answer
 * with a value or a new descriptor only: the path calls that open, stat,
 * check access and read links. open and openat with O_EXCL still stop
 * (a signal that restarts one after its creation would make it fail), and
 * with O_PATH (SECCOMP_IOCTL_NOTIF_ADDFD cannot pass such a descriptor).
 */
int jt_seccomp_notified(int sys);

/**
 * Compile @p into a classic BPF program: for the native ABI and, unless
 * @p refuses it, the second ABI of this architecture (i386 on x86_64),
 * whose calls stop with JT_TRACE_FOREIGN; any other ABI stops with
 * JT_TRACE_BADARCH. @reserved_fd is
 * the handover descriptor under a view (-1: none); calls that would close
 * or replace it stop.
 * @return 0 and a malloc'd program in @prog (free prog->filter), or -errno.
 */
/**
 * What jt_seccomp_build(@p, @flags, @reserved_fd) depends on, as a SHA-256
 * (filters/seccomp_key.c): the key of the cache of compiled programs. A
 * change to what the build reads must be mirrored there.
 * @return 0, or -1 when it cannot be told (no cache then).
 */
int jt_seccomp_key(const struct jt_policy *p, unsigned flags, int reserved_fd, unsigned char key[32]);

int jt_seccomp_build(const struct jt_policy *p, unsigned flags, int reserved_fd,
		     struct sock_fprog *prog);

#endif
