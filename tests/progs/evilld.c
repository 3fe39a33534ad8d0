/*
 * A program loader that is not one, for the `exec jail` tests: run as the
 * ELF interpreter of a program (or as a program), it appends "evil" to the
 * file named by the program's last argument and exits 0. Built static and
 * without libc (GNUmakefile), so the kernel can start it as a loader.
 */
#include <fcntl.h>
#include <sys/syscall.h>

static long sys4(long n, long a, long b, long c, long d)
{
#if defined(__x86_64__)
	long r;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return r;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c, x3 __asm__("x3") = d;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
#else
#error "evilld: no system-call stub for this architecture"
#endif
}

/* A writable segment last: older kernels zero the rest of the page after an
 * interpreter's last segment (padzero) and fail the exec, SIGSEGV, when
 * that segment is read-only, as .rodata would be: seen natively on Debian's
 * 5.10 and 6.1 (tools/kernels-suite.sh), not on 6.18. */
long __attribute__((used)) evil_rw[2] = { 1, 2 };

void __attribute__((used)) evil(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);

	if (argc > 1) {
		long fd = sys4(SYS_openat, AT_FDCWD, (long)argv[argc - 1],
			       O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0)
			sys4(SYS_write, fd, (long)"evil\n", 5, 0);
	}
	for (;;)
		sys4(SYS_exit_group, 0, 0, 0, 0);
}

#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall evil\n\thlt\n");
#else
__asm__(".globl _start\n_start:\n\tmov x0, sp\n\tbl evil\n");
#endif
