/*
 * What the running kernel offers, probed once at start. Any feature can be
 * treated as absent (JAILTRACE_DISABLE=name,name or --disable), so the
 * fallbacks an old host takes are tested on a new one.
 */
#ifndef JT_COMPAT_PROBE_H
#define JT_COMPAT_PROBE_H

enum jt_feature {
	JT_FEAT_SECCOMP = 1u << 0,	 /* seccomp filters with SECCOMP_RET_TRACE (3.5) */
	JT_FEAT_EXITKILL = 1u << 1,	 /* PTRACE_O_EXITKILL (3.8) */
	JT_FEAT_VM_READV = 1u << 2,	 /* process_vm_readv (3.2) */
	JT_FEAT_SKIP_AT_SECCOMP = 1u << 3, /* skip and set the return at the seccomp stop (4.8) */
	JT_FEAT_SYSCALL_INFO = 1u << 4,	 /* PTRACE_GET_SYSCALL_INFO (5.3) */
	JT_FEAT_OPENAT2 = 1u << 5,	 /* openat2 with RESOLVE_* (5.6) */
	JT_FEAT_PIDFD_GETFD = 1u << 6,	 /* pidfd_getfd (5.6) */
	JT_FEAT_CLOSE_RANGE = 1u << 7,	 /* close_range (5.9) */
	JT_FEAT_USER_NOTIF = 1u << 8,	 /* seccomp user notification, ADDFD with SEND (5.14) */
	JT_FEAT_LANDLOCK = 1u << 9,	 /* Landlock (5.13) */
	JT_FEAT_COUNT = 10
};

struct jt_kernel {
	char release[65];
	int major, minor;
	unsigned have;		/* what the kernel offers */
	unsigned disabled;	/* what we were told to pretend is absent */
	int yama_ptrace_scope;	/* -1 when there is no Yama */
	int pretend_no_i386;	/* "i386" in the list: as a kernel that runs no i386 code */
};

/** Probe the running kernel. @return 0 or -errno. */
int jt_kernel_probe(struct jt_kernel *k);

/** Pretend the comma-separated features are absent (and "i386": the i386
 * ABI, for doctor). @return 0 or -EINVAL. */
int jt_kernel_disable(struct jt_kernel *k, const char *names);

static inline int jt_kernel_has(const struct jt_kernel *k, unsigned feat)
{
	return (k->have & ~k->disabled & feat) != 0;
}

const char *jt_feature_name(unsigned feat);

/**
 * Does this kernel run i386 code? Some x86_64 kernels run none
 * (CONFIG_IA32_EMULATION off, or ia32_emulation=0): a 32-bit program then
 * fails with ENOEXEC and int 0x80 from 64-bit code raises SIGSEGV. Each is
 * tried in a child: @programs runs a static 32-bit program built in memory,
 * @int80 makes getpid through int 0x80. Each is 1 yes, 0 no, or -errno when
 * it could not be tried (-ENOSYS: the machine has no i386 ABI at all).
 * A run does not need the answer; `jailtrace doctor` shows it.
 */
void jt_probe_i386(int *programs, int *int80);

#endif
