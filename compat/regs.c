#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <linux/audit.h>
#include <linux/ptrace.h>
#include "compat/regs.h"

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

static int from_info(pid_t tid, struct jt_syscall *sc)
{
	struct ptrace_syscall_info info;
	long n;

	memset(&info, 0, sizeof(info));
	n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(info), &info);
	if (n < 0)
		return -errno;
	if (info.op != PTRACE_SYSCALL_INFO_SECCOMP && info.op != PTRACE_SYSCALL_INFO_ENTRY)
		return -EINVAL;
	sc->arch = info.arch;
	sc->nr = (long)info.entry.nr;
	for (int i = 0; i < 6; i++)
		sc->args[i] = info.entry.args[i];
#if defined(__x86_64__)
	if (info.arch == AUDIT_ARCH_I386) {
		/* the compat entry reads the low halves only; so do we */
		sc->nr = (long)(uint32_t)sc->nr;
		for (int i = 0; i < 6; i++)
			sc->args[i] = (uint32_t)sc->args[i];
	}
#endif
	sc->ip = info.instruction_pointer;
	return 0;
}

static int result_from_info(pid_t tid, long *ret)
{
	struct ptrace_syscall_info info;

	memset(&info, 0, sizeof(info));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(info), &info) < 0)
		return -errno;
	if (info.op != PTRACE_SYSCALL_INFO_EXIT)
		return -EINVAL;
	*ret = (long)info.exit.rval;
	return 0;
}

#if defined(__x86_64__)

int jt_regs_result(pid_t tid, int use_info, long *ret)
{
	struct user_regs_struct r;

	if (use_info)
		return result_from_info(tid, ret);
	if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
		return -errno;
	*ret = (long)r.rax;
	return 0;
}

uint32_t jt_regs_foreign_arch(void)
{
	return AUDIT_ARCH_I386;
}

int jt_regs_syscall(pid_t tid, int use_info, int foreign, struct jt_syscall *sc)
{
	struct user_regs_struct r;

	if (use_info)
		return from_info(tid, sc);
	if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
		return -errno;
	sc->nr = (long)r.orig_rax;
	sc->ip = r.rip;
	if (foreign && !(r.orig_rax & 0x40000000)) {
		/* int 0x80 or a 32-bit program: the i386 argument registers
		 * (an x32 number, which no i386 call has, keeps x86_64's) */
		uint64_t a[6] = { r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp };

		sc->arch = AUDIT_ARCH_I386;
		sc->nr = (long)(uint32_t)r.orig_rax;
		for (int i = 0; i < 6; i++)
			sc->args[i] = (uint32_t)a[i];
	} else {
		uint64_t a[6] = { r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9 };

		sc->arch = AUDIT_ARCH_X86_64;
		memcpy(sc->args, a, sizeof(a));
	}
	return 0;
}

_Static_assert(sizeof(struct user_regs_struct) <= sizeof(struct jt_regs_saved),
	       "jt_regs_saved too small");

int jt_regs_save(pid_t tid, struct jt_regs_saved *s)
{
	return ptrace(PTRACE_GETREGS, tid, 0, s->raw) < 0 ? -errno : 0;
}

int jt_regs_set_call(pid_t tid, const struct jt_regs_saved *s, uint32_t arch, long nr,
		     const uint64_t args[6])
{
	struct user_regs_struct r;

	memcpy(&r, s->raw, sizeof(r));
	r.orig_rax = (unsigned long long)nr;
	if (arch == AUDIT_ARCH_I386) {
		/* the same registers int 0x80 and the 32-bit vDSO entry read */
		r.rbx = (uint32_t)args[0], r.rcx = (uint32_t)args[1], r.rdx = (uint32_t)args[2];
		r.rsi = (uint32_t)args[3], r.rdi = (uint32_t)args[4], r.rbp = (uint32_t)args[5];
	} else if (arch == AUDIT_ARCH_X86_64) {
		r.rdi = args[0], r.rsi = args[1], r.rdx = args[2];
		r.r10 = args[3], r.r8 = args[4], r.r9 = args[5];
	} else {
		return -ENOSYS;
	}
	return ptrace(PTRACE_SETREGS, tid, 0, &r) < 0 ? -errno : 0;
}

int jt_regs_restore(pid_t tid, const struct jt_regs_saved *s, long ret)
{
	struct user_regs_struct r;

	memcpy(&r, s->raw, sizeof(r));
	r.rax = (unsigned long long)ret;
	return ptrace(PTRACE_SETREGS, tid, 0, &r) < 0 ? -errno : 0;
}

uint64_t jt_regs_sp(const struct jt_regs_saved *s)
{
	struct user_regs_struct r;

	memcpy(&r, s->raw, sizeof(r));
	return r.rsp;
}

int jt_regs_restart(pid_t tid, const struct jt_regs_saved *s, long nr)
{
	struct user_regs_struct r;

	/* "syscall" and "int 0x80" are both two bytes long */
	memcpy(&r, s->raw, sizeof(r));
	r.orig_rax = (unsigned long long)-1;
	r.rax = (unsigned long long)nr;
	r.rip -= 2;
	return ptrace(PTRACE_SETREGS, tid, 0, &r) < 0 ? -errno : 0;
}

int jt_regs_skip(pid_t tid)
{
	if (ptrace(PTRACE_POKEUSER, tid, offsetof(struct user_regs_struct, orig_rax), (void *)-1L) < 0)
		return -errno;
	return 0;
}

int jt_regs_set_return(pid_t tid, long ret)
{
	if (ptrace(PTRACE_POKEUSER, tid, offsetof(struct user_regs_struct, rax), (void *)ret) < 0)
		return -errno;
	return 0;
}

#elif defined(__aarch64__)

#ifndef NT_ARM_SYSTEM_CALL
#define NT_ARM_SYSTEM_CALL 0x404
#endif

uint32_t jt_regs_foreign_arch(void)
{
	return 0;	/* no 32-bit ABI is handled: the filter refuses AArch32 */
}

static int getregs(pid_t tid, struct user_regs_struct *r)
{
	struct iovec io = { r, sizeof(*r) };

	return ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &io) < 0 ? -errno : 0;
}

int jt_regs_syscall(pid_t tid, int use_info, int foreign, struct jt_syscall *sc)
{
	struct user_regs_struct r;
	int nr, e;
	struct iovec io = { &nr, sizeof(nr) };

	if (use_info)
		return from_info(tid, sc);
	if (foreign)
		return -ENOSYS;
	if ((e = getregs(tid, &r)) < 0)
		return e;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &io) < 0)
		return -errno;
	sc->arch = AUDIT_ARCH_AARCH64;
	sc->nr = nr;
	sc->ip = r.pc;
	for (int i = 0; i < 6; i++)
		sc->args[i] = r.regs[i];
	return 0;
}

int jt_regs_result(pid_t tid, int use_info, long *ret)
{
	struct user_regs_struct r;
	int e;

	if (use_info)
		return result_from_info(tid, ret);
	if ((e = getregs(tid, &r)) < 0)
		return e;
	*ret = (long)r.regs[0];
	return 0;
}

_Static_assert(sizeof(struct user_regs_struct) <= sizeof(struct jt_regs_saved),
	       "jt_regs_saved too small");

int jt_regs_save(pid_t tid, struct jt_regs_saved *s)
{
	return getregs(tid, (struct user_regs_struct *)s->raw);
}

int jt_regs_set_call(pid_t tid, const struct jt_regs_saved *s, uint32_t arch, long nr,
		     const uint64_t args[6])
{
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	int n = (int)nr;
	struct iovec nio = { &n, sizeof(n) };

	if (arch != AUDIT_ARCH_AARCH64)
		return -ENOSYS;
	memcpy(&r, s->raw, sizeof(r));
	for (int i = 0; i < 6; i++)
		r.regs[i] = args[i];
	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &io) < 0 ||
	    ptrace(PTRACE_SETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &nio) < 0)
		return -errno;
	return 0;
}

int jt_regs_restore(pid_t tid, const struct jt_regs_saved *s, long ret)
{
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };

	memcpy(&r, s->raw, sizeof(r));
	r.regs[0] = (unsigned long long)ret;
	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &io) < 0 ? -errno : 0;
}

uint64_t jt_regs_sp(const struct jt_regs_saved *s)
{
	struct user_regs_struct r;

	memcpy(&r, s->raw, sizeof(r));
	return r.sp;
}

int jt_regs_restart(pid_t tid, const struct jt_regs_saved *s, long nr)
{
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	int skip = -1;
	struct iovec nio = { &skip, sizeof(skip) };

	(void)nr;	/* x8 still holds it; x0 is the first argument again */
	memcpy(&r, s->raw, sizeof(r));
	r.pc -= 4;
	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &io) < 0 ||
	    ptrace(PTRACE_SETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &nio) < 0)
		return -errno;
	return 0;
}

int jt_regs_skip(pid_t tid)
{
	int nr = -1;
	struct iovec io = { &nr, sizeof(nr) };

	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &io) < 0 ? -errno : 0;
}

int jt_regs_set_return(pid_t tid, long ret)
{
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	int e = getregs(tid, &r);

	if (e < 0)
		return e;
	r.regs[0] = (unsigned long long)ret;
	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &io) < 0 ? -errno : 0;
}

#else
#error "jailtrace: no register access for this architecture (compat/regs.c)"
#endif
