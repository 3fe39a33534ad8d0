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
#include <sys/wait.h>
#include <string.h>
#include <stdint.h>
#include <linux/seccomp.h>
#include "compat/probe.h"
#include "filters/seccomp.h"
#include "tracer/internal.h"
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

/*
 * With JT_SECCOMP_NOTIFY the path calls a notification can carry go to the
 * listener (here the test process, through pidfd_getfd), and those it
 * cannot (O_EXCL and O_PATH opens) still stop: ENOSYS with no tracer.
 */
TEST(notify_sends_path_calls_to_the_listener_and_excl_or_path_opens_still_stop)
{
	struct jt_kernel k;
	int up[2], go[2], st, n = -1, pidfd, l;
	pid_t pid;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	ASSERT_EQ(jt_kernel_probe(&k), 0);
	if (!jt_kernel_has(&k, JT_FEAT_USER_NOTIF) || !jt_kernel_has(&k, JT_FEAT_PIDFD_GETFD))
		SKIP("no seccomp user notification with ADDFD_FLAG_SEND (5.14) or no pidfd_getfd");
	if (!jt_notify_possible(&k))
		SKIP("this process runs under a seccomp filter (a listener above would refuse one), "
		     "as jailtrace then does not use notifications either");
	ASSERT_EQ(pipe(up), 0);
	ASSERT_EQ(pipe(go), 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		struct jt_policy p;
		struct sock_fprog prog;
		char err[256], b;
		long fd;

		jt_policy_init(&p);
		if (jt_policy_default(&p, err, sizeof(err)) < 0 ||
		    jt_seccomp_build(&p, JT_SECCOMP_NOTIFY, -1, &prog) < 0 ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(10);
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		n = (int)fd;
		if (fd < 0 || write(up[1], &n, sizeof(n)) != sizeof(n) || read(go[0], &b, 1) != 1)
			_exit(11);
		if (call(SYS_openat, AT_FDCWD, (long)"/notified", O_RDONLY) != 42)
			_exit(12);
		if (call(SYS_openat, AT_FDCWD, (long)"/x", O_CREAT | O_EXCL | O_WRONLY) != -ENOSYS)
			_exit(13);
		if (call(SYS_openat, AT_FDCWD, (long)"/", O_PATH) != -ENOSYS)
			_exit(14);
		if (call(SYS_getppid, 0, 0, 0) <= 0)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(read(up[0], &n, sizeof(n)), (long)sizeof(n));
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	ASSERT_TRUE(pidfd >= 0);
	l = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
	ASSERT_TRUE(l >= 0);
	ASSERT_EQ(write(go[1], "g", 1), 1);
	memset(&req, 0, sizeof(req));
	ASSERT_EQ(ioctl(l, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
	EXPECT_EQ(req.data.nr, SYS_openat);
	EXPECT_EQ(req.pid, pid);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.val = 42;
	ASSERT_EQ(ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	close(l);
	close(pidfd);
}
