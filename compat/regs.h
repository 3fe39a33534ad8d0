/*
 * Register access at a syscall stop, per architecture. The rest of
 * jailtrace sees a syscall as (arch, number, six arguments) and asks for it
 * to be skipped with a return value; how that maps to registers is here.
 */
#ifndef JT_COMPAT_REGS_H
#define JT_COMPAT_REGS_H

#include <stdint.h>
#include <sys/types.h>

struct jt_syscall {
	uint32_t arch;		/* AUDIT_ARCH_* */
	long nr;
	uint64_t args[6];
	uint64_t ip;
};

/**
 * Read the syscall a thread stopped in at a seccomp stop.
 * @use_info: use PTRACE_GET_SYSCALL_INFO (5.3+); else read registers,
 * taking the ABI from @foreign (the filter's SECCOMP_RET_TRACE data said
 * the call came through the other ABI of this architecture).
 * Arguments of a 32-bit ABI are cut to 32 bits, as the kernel reads them:
 * `int 0x80` from 64-bit code may leave anything in the upper halves.
 * @return 0 or -errno (-ESRCH: the thread is gone).
 */
int jt_regs_syscall(pid_t tid, int use_info, int foreign, struct jt_syscall *sc);

/** Make the syscall at this stop not run. @return 0 or -errno. */
int jt_regs_skip(pid_t tid);

/** Set the return value the thread will see. @return 0 or -errno. */
int jt_regs_set_return(pid_t tid, long ret);

/**
 * The return value at a syscall-exit stop.
 * @return 0 and *ret, or -errno.
 */
int jt_regs_result(pid_t tid, int use_info, long *ret);

/* All registers of a stopped thread, to rewrite a call and restore it. */
struct jt_regs_saved {
	unsigned char raw[512];
};

/** Save the registers of a thread at a syscall stop. @return 0 or -errno. */
int jt_regs_save(pid_t tid, struct jt_regs_saved *s);

/**
 * Turn the call at this seccomp stop into call @nr of ABI @arch
 * (AUDIT_ARCH_*: the ABI the stopped call came through, whose argument
 * registers the kernel will read) with @args, the rest of the registers
 * as saved. @return 0 or -errno (-ENOSYS: an ABI this build cannot set).
 */
int jt_regs_set_call(pid_t tid, const struct jt_regs_saved *s, uint32_t arch, long nr,
		     const uint64_t args[6]);

/** At the syscall-exit stop: every register as saved, and @ret as the result. */
int jt_regs_restore(pid_t tid, const struct jt_regs_saved *s, long ret);

/**
 * At a seccomp stop: skip the call and make the thread issue it again, with
 * the registers as saved (the program waits by retrying: the tracer's
 * non-blocking attempt would have blocked). @return 0 or -errno.
 */
int jt_regs_restart(pid_t tid, const struct jt_regs_saved *s, long nr);

/** The stack pointer in saved registers. */
uint64_t jt_regs_sp(const struct jt_regs_saved *s);

/** AUDIT_ARCH_* of the second ABI reachable on this architecture, or 0. */
uint32_t jt_regs_foreign_arch(void);

#endif
