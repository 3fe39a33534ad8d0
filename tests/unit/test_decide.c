/* The decision, table-driven: request in, verdict out. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/seccomp.h>
#include "filters/decide.h"
#include "tests/unit/harness.h"

struct row {
	const char *what;
	int sys;
	uint64_t a0, a1;
	enum jt_target target;
	int allow, err;
	const char *rule;	/* prefix of the rule the log will show */
};

static const struct row rows[] = {
	{ "kill of a process outside", JT_SYS_kill, 1, SIGKILL, JT_TARGET_OUTSIDE, 0, EPERM, "builtin:target-outside" },
	{ "kill of a process inside", JT_SYS_kill, 100, SIGTERM, JT_TARGET_SANDBOX, 1, 0, "default:" },
	{ "kill of itself", JT_SYS_kill, 100, 0, JT_TARGET_SELF, 1, 0, "default:" },
	{ "tgkill outside", JT_SYS_tgkill, 1, 1, JT_TARGET_OUTSIDE, 0, EPERM, "builtin:target-outside" },
	{ "prlimit64 outside", JT_SYS_prlimit64, 1, 0, JT_TARGET_OUTSIDE, 0, EPERM, "builtin:target-outside" },
	{ "unlisted syscall", JT_SYS_syslog, 10, 0, 0, 0, ENOSYS, "default-deny" },
	{ "ptrace is denied in the kernel", JT_SYS_ptrace, 16, 1, 0, 0, EPERM, "default:" },
	{ "clone3 looks absent", JT_SYS_clone3, 0, 0, 0, 0, ENOSYS, "default:" },
	{ "clone untraced", JT_SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, EPERM, "builtin:clone-flags" },
	{ "clone new user ns", JT_SYS_clone, CLONE_NEWUSER, 0, 0, 0, EPERM, "builtin:clone-flags" },
	{ "clone a thread", JT_SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0, 1, 0, "default:" },
	{ "seccomp with a listener", JT_SYS_seccomp, 1, SECCOMP_FILTER_FLAG_NEW_LISTENER, 0, 0, EPERM, "builtin:forbidden-flags" },
	{ "seccomp without a listener", JT_SYS_seccomp, 1, 0, 0, 1, 0, "default:" },
	{ "tcp socket: its connect is decided", JT_SYS_socket, AF_INET6, SOCK_STREAM, 0, 1, 0, "default:" },
	{ "udp socket without a udp grant", JT_SYS_socket, AF_INET, SOCK_DGRAM, 0, 0, EACCES, "builtin:network-udp" },
	{ "raw socket", JT_SYS_socket, AF_INET, SOCK_RAW, 0, 0, EPERM, "builtin:network-raw" },
	{ "netlink socket", JT_SYS_socket, AF_NETLINK, SOCK_RAW, 0, 0, EAFNOSUPPORT, "builtin:network-family" },
	{ "unix socket", JT_SYS_socket, AF_UNIX, SOCK_STREAM, 0, 1, 0, "default:" },
	{ "ioctl TIOCSTI", JT_SYS_ioctl, 0, TIOCSTI, 0, 0, ENOTTY, "builtin:ioctl-not-allowed" },
	{ "ioctl TCGETS", JT_SYS_ioctl, 0, TCGETS, 0, 1, 0, "default:" },
	{ "ioctl TIOCSPGRP in jailtrace's session", JT_SYS_ioctl, 0, TIOCSPGRP, JT_TARGET_OUTSIDE, 0, ENOTTY, "builtin:ioctl-not-allowed" },
	{ "ioctl TIOCSPGRP in a session of the sandbox's", JT_SYS_ioctl, 0, TIOCSPGRP, JT_TARGET_SANDBOX, 1, 0, "default:" },
	{ "ioctl code with high bits set is the code", JT_SYS_ioctl, 0, 0xffffffff00000000ULL | TCGETS, 0, 1, 0, "default:" },
	{ "setpriority for a user", JT_SYS_setpriority, 2, 0, JT_TARGET_OUTSIDE, 0, EPERM, "builtin:target-outside" },
	{ "fcntl F_SETOWN outside", JT_SYS_fcntl, 3, 8 /* F_SETOWN */, JT_TARGET_OUTSIDE, 0, EPERM, "builtin:target-outside" },
	{ "fcntl F_SETOWN_EX", JT_SYS_fcntl, 3, 15, 0, 0, EPERM, "builtin:fcntl-setown-ex" },
	{ "read needs no decision", JT_SYS_read, 0, 0, 0, 1, 0, "default:" },
};

TEST(decision_table)
{
	struct jt_policy p;
	char err[256], rule[64];

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_default(&p, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct jt_request rq = { .abi = jt_abi_native(), .sys = r->sys,
					 .args = { r->a0, r->a1 }, .target = r->target };
		struct jt_verdict v;
		const char *got;

		jt_decide(&p, &rq, &v);
		got = jt_verdict_rule(&p, &v, rule, sizeof(rule));
		if (v.allow != r->allow || (!v.allow && v.err != r->err) ||
		    strncmp(got, r->rule, strlen(r->rule))) {
			fprintf(stderr, "  %s: allow=%d err=%d rule=%s\n", r->what, v.allow, v.err, got);
			jt_test_failed = 1;
		}
	}
	jt_policy_free(&p);
}

/* Under a view every unix type the kernel makes is allowed, and a datagram
 * one (SOCK_RAW is one: the kernel turns it into SOCK_DGRAM) is on the
 * record: its sends are decided address by address (tracer/net.c). */
TEST(unix_datagram_sockets_are_allowed_and_recorded_under_a_view)
{
	static const struct { int sys, type, quiet; } c[] = {
		{ JT_SYS_socket, SOCK_DGRAM, 0 }, { JT_SYS_socket, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0 },
		{ JT_SYS_socket, SOCK_SEQPACKET, 0 },
		{ JT_SYS_socketpair, SOCK_RAW, 0 }, { JT_SYS_socketpair, SOCK_DGRAM | SOCK_CLOEXEC, 0 },
		{ JT_SYS_socketpair, SOCK_STREAM, 1 }, { JT_SYS_socketpair, SOCK_SEQPACKET, 1 },
	};
	struct jt_policy p;
	char err[256];

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_default(&p, err, sizeof(err)), 0);
	ASSERT_EQ(jt_policy_grant(&p, "/usr", 0, "test"), 0);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct jt_request rq = { .abi = jt_abi_native(), .sys = c[i].sys,
					 .args = { AF_UNIX, (uint64_t)c[i].type } };
		struct jt_verdict v;

		jt_decide(&p, &rq, &v);
		EXPECT_EQ(v.allow, 1);
		EXPECT_EQ(v.quiet, c[i].quiet);
	}
	jt_policy_free(&p);
}

TEST(unhandled_abi_is_refused)
{
	struct jt_policy p;
	struct jt_request rq = { .abi = NULL, .sys = JT_SYS_read };
	struct jt_verdict v;
	char err[256];

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_default(&p, err, sizeof(err)), 0);
	jt_decide(&p, &rq, &v);
	EXPECT_EQ(v.allow, 0);
	EXPECT_EQ(v.err, ENOSYS);
	EXPECT_STREQ(v.builtin, "abi-not-handled");
	jt_policy_free(&p);
}

TEST(process_rules_deny_fork_and_later_exec_but_not_the_first)
{
	struct jt_policy p;
	struct jt_verdict v;
	char err[256];
	struct jt_request fork_rq = { .abi = jt_abi_native(), .sys = JT_SYS_fork };
	struct jt_request exec1 = { .abi = jt_abi_native(), .sys = JT_SYS_execve, .first_exec = 1 };
	struct jt_request exec2 = { .abi = jt_abi_native(), .sys = JT_SYS_execve };

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_parse(&p, "t", "include default\nprocess fork deny\nprocess exec deny\n",
				  err, sizeof(err)), 0);
	jt_decide(&p, &fork_rq, &v);
	EXPECT_EQ(v.allow, 0);
	EXPECT_EQ(v.err, EAGAIN);
	jt_decide(&p, &exec1, &v);
	EXPECT_EQ(v.allow, 1);
	jt_decide(&p, &exec2, &v);
	EXPECT_EQ(v.allow, 0);
	EXPECT_EQ(v.err, EACCES);
	jt_policy_free(&p);
}

TEST(signal_self_only_refuses_siblings)
{
	struct jt_policy p;
	struct jt_verdict v;
	char err[256];
	struct jt_request rq = { .abi = jt_abi_native(), .sys = JT_SYS_kill,
				 .args = { 5, SIGTERM }, .target = JT_TARGET_SANDBOX };

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_parse(&p, "t", "include default\nprocess signal self\n", err, sizeof(err)), 0);
	jt_decide(&p, &rq, &v);
	EXPECT_EQ(v.allow, 0);
	rq.target = JT_TARGET_SELF;
	jt_decide(&p, &rq, &v);
	EXPECT_EQ(v.allow, 1);
	jt_policy_free(&p);
}

TEST(exec_of_a_written_file_needs_exec_jail_and_names_its_line)
{
	struct jt_policy p;
	struct jt_verdict v;
	char err[256];
	struct jt_path_facts ro = { .in_view = 1, .writable = 0, .rule = 3 };
	struct jt_path_facts rw = { .in_view = 1, .writable = 1, .rule = -1 };

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_parse(&p, "t", "include default\n", err, sizeof(err)), 0);
	jt_decide_path(&p, JT_PATH_EXEC, &ro, &v);
	EXPECT_EQ(v.allow, 1);
	jt_decide_path(&p, JT_PATH_EXEC, &rw, &v);
	EXPECT_EQ(v.allow, 0);
	EXPECT_EQ(v.err, EACCES);
	EXPECT_STREQ(v.builtin, "exec-from-writable");
	jt_policy_free(&p);

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_parse(&p, "t", "include default\nexec jail\n", err, sizeof(err)), 0);
	jt_decide_path(&p, JT_PATH_EXEC, &rw, &v);
	EXPECT_EQ(v.allow, 1);
	EXPECT_EQ(v.rule, p.exec_rule);
	jt_decide_path(&p, JT_PATH_EXEC, &ro, &v);
	EXPECT_EQ(v.allow, 1);
	EXPECT_EQ(v.rule, 3);
	jt_policy_free(&p);
}
