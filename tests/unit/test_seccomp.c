/*
 * The compiled filter, loaded in a child with no tracer: calls it allows
 * run, calls it denies fail with their errno, and calls that would stop in
 * the tracer fail with ENOSYS (the kernel's answer to SECCOMP_RET_TRACE
 * when nothing traces the process).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <stdint.h>
#include <linux/seccomp.h>
#include "compat/probe.h"
#include "filters/seccomp.h"
#include "tests/unit/harness.h"

static void load_default_flags(unsigned flags)
{
	struct jt_policy p;
	struct sock_fprog prog;
	char err[256];

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_default(&p, err, sizeof(err)), 0);
	ASSERT_EQ(jt_seccomp_build(&p, flags, -1, &prog), 0);
	jt_policy_free(&p);
	ASSERT_TRUE(prog.len > 0);
	ASSERT_EQ(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ASSERT_EQ(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), 0);
}

static void load_default(void)
{
	load_default_flags(0);
}

/* LeakSanitizer checks at exit through ptrace, which the filter denies:
 * a filtered test ends with _exit. */
#define END_FILTERED() _exit(jt_test_failed)

static long call(long nr, long a, long b, long c)
{
	long r = syscall(nr, a, b, c, 0, 0, 0);

	return r < 0 ? -errno : r;
}

TEST(allowed_calls_run_in_the_kernel)
{
	load_default();
	EXPECT_EQ(call(SYS_getppid, 0, 0, 0), getppid());
	EXPECT_TRUE(call(SYS_write, 1, (long)"", 0) == 0);
	END_FILTERED();
}

TEST(denied_calls_fail_in_the_kernel_with_their_errno)
{
	load_default();
	EXPECT_EQ(call(SYS_ptrace, 0, 0, 0), -EPERM);
	EXPECT_EQ(call(SYS_unshare, CLONE_NEWUSER, 0, 0), -EPERM);
	EXPECT_EQ(call(SYS_clone3, 0, 0, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_io_uring_setup, 1, 0, 0), -ENOSYS);
	END_FILTERED();
}

TEST(checked_calls_stop_unless_the_fast_path_allows_them)
{
	int sv[2];

	load_default();
	/* stops: no tracer here, so ENOSYS */
	EXPECT_EQ(call(SYS_kill, getpid(), 0, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_socket, AF_INET, SOCK_DGRAM, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_socket, AF_INET, SOCK_RAW, IPPROTO_ICMP), -ENOSYS);
	EXPECT_EQ(call(SYS_connect, 0, 0, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_listen, 0, 0, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_ioctl, 0, TIOCSTI, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_syslog, 10, 0, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_prlimit64, 1, 0, 0), -ENOSYS);
	/* fast path: in the kernel */
	EXPECT_TRUE(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	/* a TCP socket is made in the kernel: its connect is what is decided */
	EXPECT_TRUE(call(SYS_socket, AF_INET, SOCK_STREAM, 0) >= 0);
	EXPECT_TRUE(call(SYS_sendto, sv[0], (long)"x", 1) == 1);
	EXPECT_TRUE(call(SYS_prlimit64, 0, RLIMIT_NOFILE, 0) == 0);
	EXPECT_TRUE(call(SYS_ioctl, 0, FIONREAD, 0) != -ENOSYS);
	EXPECT_TRUE(call(SYS_fcntl, 0, F_GETFD, 0) >= 0);
	END_FILTERED();
}

static long int80(long nr, long a, long b)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b) : "memory");
	return ret;
}

/* Some x86_64 kernels run no i386 code: natively, int 0x80 then raises
 * SIGSEGV. Asked in a child, before any filter (the probe of compat/). */
static void needs_int80(void)
{
	int programs, int80;

	jt_probe_i386(&programs, &int80);
	if (getenv("TEST_PRETEND_NO_I386") || int80 == 0)
		SKIP("this kernel runs no i386 calls (natively int 0x80 from 64-bit code fails)");
	ASSERT_EQ(int80, 1);
}

TEST(i386_calls_are_decided_by_the_same_policy)
{
	uint32_t *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	needs_int80();
	ASSERT_TRUE(args != MAP_FAILED);
	load_default();
	/* i386 getpid (20) runs in the kernel, as x86_64's does */
	EXPECT_EQ(int80(20, 0, 0), getpid());
	/* i386 kill (37) and ptrace (26): a stop, and a denial in the kernel */
	EXPECT_EQ(int80(37, getpid(), 0), -ENOSYS);
	EXPECT_EQ(int80(26, 0, 0), -EPERM);
	/* socketcall(SYS_SOCKET, raw): libseccomp would have allowed every
	 * socketcall(SYS_SOCKET) for the AF_UNIX rule; it stops instead */
	args[0] = AF_INET, args[1] = SOCK_RAW, args[2] = IPPROTO_ICMP;
	EXPECT_EQ(int80(102, 1, (long)(uintptr_t)args), -ENOSYS);
	args[0] = AF_UNIX, args[1] = SOCK_STREAM, args[2] = 0;
	EXPECT_EQ(int80(102, 1, (long)(uintptr_t)args), -ENOSYS);
	END_FILTERED();
}

TEST(with_foreign_stops_every_i386_call_stops_and_native_ones_still_run)
{
	needs_int80();
	load_default_flags(JT_SECCOMP_FOREIGN_STOPS);
	EXPECT_EQ(call(SYS_getpid, 0, 0, 0), getpid());
	/* i386 getpid (20) and ptrace (26): both stop, for the tracer to decide */
	EXPECT_EQ(int80(20, 0, 0), -ENOSYS);
	EXPECT_EQ(int80(26, 0, 0), -ENOSYS);
	END_FILTERED();
}

TEST(a_refused_i386_abi_and_x32_stop)
{
	struct jt_policy p;
	struct sock_fprog prog;
	char err[256];

	needs_int80();
	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_default(&p, err, sizeof(err)), 0);
	ASSERT_EQ(jt_policy_add_rule(&p, "test", "abi i386 deny", err, sizeof(err)), 0);
	ASSERT_EQ(jt_seccomp_build(&p, 0, -1, &prog), 0);
	jt_policy_free(&p);
	ASSERT_EQ(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ASSERT_EQ(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), 0);
	EXPECT_EQ(int80(20, 0, 0), -ENOSYS);
	/* x32 getpid (0x40000000 + 39) */
	EXPECT_EQ(call(0x40000000 + 39, 0, 0, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_getpid, 0, 0, 0), getpid());
	END_FILTERED();
}

/* Where the program's own filters are refused (no PTRACE_GET_SYSCALL_INFO):
 * seccomp() and prctl(PR_SET_SECCOMP) stop, whatever the upper half of the
 * option (the kernel reads an int); every other prctl runs in the kernel. */
TEST(with_own_stops_a_filter_of_the_programs_stops_in_both_abis)
{
	char name[32];

	load_default_flags(JT_SECCOMP_OWN_STOPS);
	EXPECT_EQ(call(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_prctl, 0x100000000L | PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0), -ENOSYS);
	EXPECT_EQ(call(SYS_prctl, PR_GET_NAME, (long)name, 0), 0);
	EXPECT_EQ(call(SYS_prctl, PR_GET_SECCOMP, 0, 0), 2);
	EXPECT_TRUE(call(SYS_prctl, PR_SET_SECCOMP ^ 0x40, 0, 0) != -ENOSYS);	/* the kernel answers */
	/* i386 prctl (172) and seccomp (354) */
	EXPECT_EQ(int80(172, PR_SET_SECCOMP, SECCOMP_MODE_FILTER), -ENOSYS);
	EXPECT_EQ(int80(354, SECCOMP_SET_MODE_FILTER, 0), -ENOSYS);
	EXPECT_EQ(int80(172, PR_GET_SECCOMP, 0), 2);
	END_FILTERED();
}

TEST(without_own_stops_a_filter_of_the_programs_is_the_kernels_to_take)
{
	load_default();
	/* no program: EFAULT from the kernel, not a stop */
	EXPECT_EQ(call(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, 0), -EFAULT);
	EXPECT_EQ(call(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0), -EFAULT);
	END_FILTERED();
}
