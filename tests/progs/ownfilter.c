/*
 * ownfilter: a program that installs a seccomp filter of its own, to spoof
 * what a tracer reads at its stops (a filter's SECCOMP_RET_TRACE data is
 * the newest filter's when two return TRACE), then opens host paths.
 *
 * usage: ownfilter HOW WHAT SECRET OUT
 *        ownfilter HOW WHAT --exec PROGRAM [ARGS...]
 *   HOW   seccomp  seccomp(SECCOMP_SET_MODE_FILTER)
 *         prctl    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)
 *         tsync    seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC)
 *         listener seccomp(..., SECCOMP_FILTER_FLAG_NEW_LISTENER)
 *         strict   prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT): prints the
 *                  line below, writes "strict: alive" and _exits 0
 *         none     installs nothing (the native control of the reads)
 *   WHAT  what the filter returns (other calls are allowed):
 *         i386     TRACE|2 (jailtrace's i386 marker) for x86_64 open/openat/creat
 *         badarch  TRACE|1 (its unlisted-ABI marker) for the same
 *         other    TRACE|257 (data naming another call) for the same
 *         all      TRACE|2 for every x86_64 call but write and exit_group
 *                  (stops a tracer did not ask for)
 *         native   TRACE|0 for every i386 call; the opens are then made with
 *                  `int $0x80` from 64-bit code (i386 open 5 read as x86_64 fstat)
 *         x32      TRACE|2 for every x32 call; the opens are then made as
 *                  x32 calls (openat with __X32_SYSCALL_BIT)
 *         trap     TRAP for the same (outranks TRACE): a SIGSYS handler
 *                  counts them; prints "sigsys: N" last
 *         notif    USER_NOTIF for x86_64 openat: a thread of this program
 *                  answers SECCOMP_USER_NOTIF_FLAG_CONTINUE (needs HOW listener)
 *         errno    ERRNO(E2BIG) for getppid only: an ordinary filter; then
 *                  prints "getppid: E2BIG" or "getppid: RET"
 * Prints "filter: installed" or "filter: refused ERRNO-NAME"; with --exec
 * then execs PROGRAM (which keeps the filter), else prints
 * "read: TEXT" (the first line of SECRET) or "read: -ERRNO", and
 * "write: 0" when OUT was created and written, else "write: -ERRNO".
 * Exits 0 (2 on bad usage).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define LD(off) ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define RET(v) ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v)))
#define JEQ(v, t, f) ((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v), (t), (f)))

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

#define X32_BIT 0x40000000L

static int listener = -1;
static volatile sig_atomic_t sigsys;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	sigsys++;
}

static long i386_call3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* Returns @action for x86_64 open, openat and creat; allows the rest. */
static int opens_filter(struct sock_filter *f, unsigned action)
{
	int n = 0;

	f[n++] = LD(offsetof(struct seccomp_data, arch));
	f[n++] = JEQ(AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = RET(SECCOMP_RET_ALLOW);
	f[n++] = LD(offsetof(struct seccomp_data, nr));
	f[n++] = JEQ(SYS_openat, 3, 0);
	f[n++] = JEQ(SYS_open, 2, 0);
	f[n++] = JEQ(SYS_creat, 1, 0);
	f[n++] = RET(SECCOMP_RET_ALLOW);
	f[n++] = RET(action);
	return n;
}

static int build(const char *what, struct sock_filter *f)
{
	int n = 0;

	if (!strcmp(what, "i386"))
		return opens_filter(f, SECCOMP_RET_TRACE | 2);
	if (!strcmp(what, "badarch"))
		return opens_filter(f, SECCOMP_RET_TRACE | 1);
	if (!strcmp(what, "other"))
		return opens_filter(f, SECCOMP_RET_TRACE | 257);
	if (!strcmp(what, "trap"))
		return opens_filter(f, SECCOMP_RET_TRAP);
	if (!strcmp(what, "notif"))
		return opens_filter(f, SECCOMP_RET_USER_NOTIF);
	f[n++] = LD(offsetof(struct seccomp_data, arch));
	if (!strcmp(what, "all")) {
		/* but write and exit, so that natively it still says what it did */
		f[n++] = JEQ(AUDIT_ARCH_X86_64, 1, 0);
		f[n++] = RET(SECCOMP_RET_ALLOW);
		f[n++] = LD(offsetof(struct seccomp_data, nr));
		f[n++] = JEQ(SYS_write, 2, 0);
		f[n++] = JEQ(SYS_exit_group, 1, 0);
		f[n++] = RET(SECCOMP_RET_TRACE | 2);
		f[n++] = RET(SECCOMP_RET_ALLOW);
	} else if (!strcmp(what, "x32")) {
		f[n++] = JEQ(AUDIT_ARCH_X86_64, 1, 0);
		f[n++] = RET(SECCOMP_RET_ALLOW);
		f[n++] = LD(offsetof(struct seccomp_data, nr));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 0, 1);
		f[n++] = RET(SECCOMP_RET_TRACE | 2);
		f[n++] = RET(SECCOMP_RET_ALLOW);
	} else if (!strcmp(what, "native")) {
		f[n++] = JEQ(AUDIT_ARCH_I386, 0, 1);
		f[n++] = RET(SECCOMP_RET_TRACE | 0);
		f[n++] = RET(SECCOMP_RET_ALLOW);
	} else if (!strcmp(what, "errno")) {
		f[n++] = JEQ(AUDIT_ARCH_X86_64, 1, 0);
		f[n++] = RET(SECCOMP_RET_ALLOW);
		f[n++] = LD(offsetof(struct seccomp_data, nr));
		f[n++] = JEQ(SYS_getppid, 0, 1);
		f[n++] = RET(SECCOMP_RET_ERRNO | E2BIG);
		f[n++] = RET(SECCOMP_RET_ALLOW);
	} else {
		return -1;
	}
	return n;
}

static long install(const char *how, struct sock_fprog *prog)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (!strcmp(how, "prctl"))
		return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) < 0 ? -errno : 0;
	if (!strcmp(how, "tsync"))
		return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
			       prog) < 0 ? -errno : 0;
	if (!strcmp(how, "listener")) {
		listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
		return listener < 0 ? -errno : 0;
	}
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0 ? -errno : 0;
}

/* The supervisor: lets every notified call run as it is. */
static void *answer_continue(void *arg)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	(void)arg;
	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
			return NULL;
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

static void do_strict(void)
{
	static const char alive[] = "strict: alive\n";

	fflush(stdout);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0) {
		printf("filter: refused %s\n", strerrorname_np(errno));
		exit(0);
	}
	/* only read, write, _exit and sigreturn from here on */
	syscall(SYS_write, 1, "filter: installed\n", 18);
	syscall(SYS_write, 1, alive, sizeof(alive) - 1);
	syscall(SYS_exit, 0);
}

/* open(2) through `int $0x80` with the path copied below 4 GiB. */
static long open_int80(const char *path, int flags, int mode)
{
	static char *low;

	if (!low)
		low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return -ENOMEM;
	snprintf(low, 4096, "%s", path);
	return i386_call3(5, (long)low, flags, mode);
}

/* @abi: 0 x86_64, 1 i386 (int 0x80), 2 x32 */
static long do_open(int abi, const char *path, int flags)
{
	long fd;

	if (abi == 1)
		return open_int80(path, flags, 0644);
	fd = syscall((abi == 2 ? X32_BIT : 0) | SYS_openat, AT_FDCWD, path, flags, 0644);
	return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
	struct sock_filter f[32];
	struct sock_fprog prog;
	int n, abi;
	long fd, r;
	char buf[256];
	pthread_t th;

	if (argc < 5 || (argc > 5 && strcmp(argv[3], "--exec"))) {
		fprintf(stderr, "usage: ownfilter seccomp|prctl|tsync|listener|strict|none "
				"i386|badarch|other|all|native|x32|trap|notif|errno SECRET OUT | --exec PROGRAM [ARGS...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "strict"))
		do_strict();
	if ((n = build(argv[2], f)) < 0) {
		fprintf(stderr, "ownfilter: unknown %s\n", argv[2]);
		return 2;
	}
	abi = !strcmp(argv[2], "native") ? 1 : !strcmp(argv[2], "x32") ? 2 : 0;
	if (!strcmp(argv[2], "trap")) {
		struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

		sigaction(SIGSYS, &sa, NULL);
	}
	prog = (struct sock_fprog){ (unsigned short)n, f };
	if (strcmp(argv[1], "none")) {
		r = install(argv[1], &prog);
		if (r < 0)
			printf("filter: refused %s\n", strerrorname_np((int)-r));
		else
			printf("filter: installed\n");
		if (r == 0 && listener >= 0)
			pthread_create(&th, NULL, answer_continue, NULL);
	}
	if (!strcmp(argv[3], "--exec")) {
		execv(argv[4], argv + 4);
		printf("exec: %s\n", strerrorname_np(errno));
		return 0;
	}
	if (!strcmp(argv[2], "errno")) {
		r = syscall(SYS_getppid);
		if (r < 0)
			printf("getppid: %s\n", strerrorname_np(errno));
		else
			printf("getppid: %ld\n", r);
	}
	fd = do_open(abi, argv[3], O_RDONLY);
	if (fd >= 0) {
		ssize_t got = read((int)fd, buf, sizeof(buf) - 1);

		buf[got > 0 ? got : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		printf("read: %s\n", buf);
		close((int)fd);
	} else {
		printf("read: %ld\n", fd);
	}
	fd = do_open(abi, argv[4], O_WRONLY | O_CREAT | O_TRUNC);
	if (fd >= 0) {
		r = write((int)fd, "PWNED\n", 6) == 6 ? 0 : -errno;
		close((int)fd);
		printf("write: %ld\n", r);
	} else {
		printf("write: %ld\n", fd);
	}
	if (!strcmp(argv[2], "trap"))
		printf("sigsys: %d\n", (int)sigsys);
	return 0;
}
