/*
 * The i386 ABI beside x86_64: every call of every handled ABI that names a
 * path or an address is checked (none reaches the kernel unresolved under
 * a view), socketcall's table, and the i386 layouts the tracer writes,
 * byte by byte against the kernel's (arch/x86/include/uapi/asm/stat.h,
 * struct compat_statfs64, old_timespec32, compat_msghdr).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include "compat/layout.h"
#include "filters/decide.h"
#include "filters/policy.h"
#include "filters/seccomp.h"
#include "tracer/calls.h"
#include "tests/unit/harness.h"

static const struct jt_abi *const handled[] = { &jt_abi_x86_64, &jt_abi_i386 };

static int has_kind(int sys, int kind)
{
	for (int i = 0; i < jt_sysinfo[sys].nargs; i++)
		if (jt_sysinfo[sys].arg[i] == kind)
			return 1;
	return 0;
}

TEST(every_path_call_the_default_policy_allows_is_resolved_by_the_tracer_in_every_abi)
{
	struct jt_policy p;
	char err[256];

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_default(&p, err, sizeof(err)), 0);
	for (size_t a = 0; a < sizeof(handled) / sizeof(handled[0]); a++)
		for (unsigned i = 0; i < handled[a]->nr_count; i++) {
			int sys = handled[a]->sys[i];
			const struct jt_check *c;

			if (sys < 0 || p.action[sys] != JT_ALLOW || !has_kind(sys, JT_ARG_PATH))
				continue;
			c = jt_check_of(sys);
			JT_CHECK(c->kind == JT_CHECK_PATH || c->kind == JT_CHECK_VIEW_DENY ||
				 (c->kind == JT_CHECK_EXEC && jt_call_of(sys)), 0,
				 "%s: %s takes a path but has no path check (kind %d)",
				 handled[a]->name, jt_sys_name(sys), c->kind);
		}
	jt_policy_free(&p);
}

TEST(every_path_check_is_performed_by_the_tracer)
{
	/* under a view a JT_CHECK_PATH call the tracer does not perform would be
	 * allowed by jt_decide and resolved by the kernel on the host */
	for (int sys = 0; sys < JT_SYS_COUNT; sys++)
		if (jt_check_of(sys)->kind == JT_CHECK_PATH)
			JT_CHECK(jt_call_of(sys) != NULL, 0,
				 "%s has a path check but no row of tracer/calls.c performs it",
				 jt_sys_name(sys));
}

/*
 * The table against the checks and the filter: what a notification carries
 * is what the filter sends to the listener, and only calls whose answer is
 * a value or a descriptor (no exec, nothing the kernel must run); a row that
 * may hand back a descriptor is one whose check resolves a path or makes a
 * file; the network rows are the calls with a network check.
 */
TEST(the_call_table_agrees_with_the_checks_and_the_filter)
{
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		const struct jt_call *c = jt_call_of(sys);
		const struct jt_check *k = jt_check_of(sys);
		unsigned f = c ? c->flags : 0;

		JT_CHECK(!!(f & JT_CALL_NOTIFY) == !!jt_seccomp_notified(sys), 0,
			 "%s: the table and jt_seccomp_notified disagree", jt_sys_name(sys));
		if (f & JT_CALL_NOTIFY)
			JT_CHECK(k->kind == JT_CHECK_PATH && !c->which, 0,
				 "%s is notified but is not a plain path call", jt_sys_name(sys));
		if (f & JT_CALL_NET)
			JT_CHECK(k->kind == JT_CHECK_NET, 0, "%s is a network row without a network check",
				 jt_sys_name(sys));
		if (k->kind == JT_CHECK_NET)
			JT_CHECK(c != NULL, 0, "%s has a network check but no row performs it",
				 jt_sys_name(sys));
		if (f & JT_CALL_FD)
			JT_CHECK(k->kind == JT_CHECK_PATH || k->kind == JT_CHECK_EXEC ||
				 sys == JT_SYS_memfd_create, 0,
				 "%s hands back a descriptor but has check %d", jt_sys_name(sys), k->kind);
	}
}

TEST(every_address_call_is_decided_where_the_address_is_read)
{
	for (size_t a = 0; a < sizeof(handled) / sizeof(handled[0]); a++)
		for (unsigned i = 0; i < handled[a]->nr_count; i++) {
			int sys = handled[a]->sys[i];
			int k;

			if (sys < 0 || !has_kind(sys, JT_ARG_SOCKADDR))
				continue;
			k = jt_check_of(sys)->kind;
			JT_CHECK(k == JT_CHECK_NET || k == JT_CHECK_PATH, 0, "%s: %s takes an address, check %d",
				 handled[a]->name, jt_sys_name(sys), k);
			JT_CHECK(jt_call_of(sys) != NULL, 0, "%s: nobody reads %s's address",
				 handled[a]->name, jt_sys_name(sys));
		}
}

TEST(calls_that_name_a_process_are_checked_under_their_i386_names_too)
{
	EXPECT_EQ(jt_check_of(JT_SYS_fcntl64)->kind, JT_CHECK_FCNTL);
	EXPECT_EQ(jt_check_of(JT_SYS_fcntl64)->arg, 1);
	EXPECT_EQ(jt_check_of(JT_SYS_socketcall)->kind, JT_CHECK_SOCKETCALL);
	EXPECT_EQ(jt_check_of(JT_SYS_chown32)->kind, JT_CHECK_PATH);
	EXPECT_EQ(jt_check_of(JT_SYS_fchown32)->kind, JT_CHECK_PATH);
	EXPECT_EQ(jt_check_of(JT_SYS_fchmodat2)->kind, JT_CHECK_PATH);
}

TEST(socketcall_numbers_are_the_kernels_and_each_has_a_direct_i386_call)
{
	/* <linux/net.h> */
	static const struct { unsigned call; int sys, nargs; } want[] = {
		{ 1, JT_SYS_socket, 3 }, { 2, JT_SYS_bind, 3 }, { 3, JT_SYS_connect, 3 },
		{ 4, JT_SYS_listen, 2 }, { 5, JT_SYS_accept4, 3 }, { 6, JT_SYS_getsockname, 3 },
		{ 7, JT_SYS_getpeername, 3 }, { 8, JT_SYS_socketpair, 4 }, { 9, JT_SYS_sendto, 4 },
		{ 10, JT_SYS_recvfrom, 4 }, { 11, JT_SYS_sendto, 6 }, { 12, JT_SYS_recvfrom, 6 },
		{ 13, JT_SYS_shutdown, 2 }, { 14, JT_SYS_setsockopt, 5 }, { 15, JT_SYS_getsockopt, 5 },
		{ 16, JT_SYS_sendmsg, 3 }, { 17, JT_SYS_recvmsg, 3 }, { 18, JT_SYS_accept4, 4 },
		{ 19, JT_SYS_recvmmsg, 5 }, { 20, JT_SYS_sendmmsg, 4 },
	};

	EXPECT_TRUE(jt_socketcall_of(0) == NULL);
	EXPECT_TRUE(jt_socketcall_of(21) == NULL);
	EXPECT_TRUE(jt_socketcall_of(0xffffffffUL) == NULL);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct jt_socketcall *c = jt_socketcall_of(want[i].call);

		ASSERT_TRUE(c != NULL);
		EXPECT_EQ(c->sys, want[i].sys);
		EXPECT_EQ(c->nargs, want[i].nargs);
		/* an allowed call with a check runs as the direct call (Linux 4.3+) */
		JT_CHECK(jt_abi_nr(&jt_abi_i386, c->sys) >= 337, 0, "%s has no direct i386 number",
			 jt_sys_name(c->sys));
	}
	EXPECT_EQ(jt_abi_nr(&jt_abi_i386, JT_SYS_socketcall), 102);
}

TEST(abis_say_how_wide_their_registers_and_pointers_are)
{
	EXPECT_EQ(jt_abi_x86_64.reg_size, 8);
	EXPECT_EQ(jt_abi_x86_64.ptr_size, 8);
	EXPECT_EQ(jt_abi_i386.reg_size, 4);
	EXPECT_EQ(jt_abi_i386.ptr_size, 4);
	EXPECT_EQ(jt_abi_x32.ptr_size, 4);
	EXPECT_TRUE(jt_abi_handled(&jt_abi_i386));
	EXPECT_TRUE(!jt_abi_handled(&jt_abi_x32));
	EXPECT_TRUE(jt_abis_foreign() == &jt_abi_i386);
	EXPECT_TRUE(jt_abi_any_by_name("aarch64") == &jt_abi_aarch64);
}

static uint64_t le(const unsigned char *b, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

TEST(i386_stat64_is_96_packed_bytes_at_the_kernels_offsets)
{
	struct stat st;
	unsigned char out[JT_LAYOUT_MAX];

	memset(&st, 0, sizeof(st));
	st.st_dev = 0x801;
	st.st_ino = 0x123456789aULL;
	st.st_mode = 0100644;
	st.st_nlink = 3;
	st.st_uid = 1000;
	st.st_gid = 100;
	st.st_rdev = 0x502;
	st.st_size = 0x100000001LL;
	st.st_blksize = 4096;
	st.st_blocks = 16;
	st.st_atim = (struct timespec){ 1700000000, 11 };
	st.st_mtim = (struct timespec){ 1700000001, 22 };
	st.st_ctim = (struct timespec){ 1700000002, 33 };
	ASSERT_EQ(jt_layout_stat(&jt_abi_i386, JT_SYS_stat64, &st, out), 96);
	EXPECT_EQ(le(out + 0, 8), 0x801);	/* st_dev */
	EXPECT_EQ(le(out + 12, 4), 0x3456789a);	/* __st_ino, cut */
	EXPECT_EQ(le(out + 16, 4), 0100644);	/* st_mode */
	EXPECT_EQ(le(out + 20, 4), 3);		/* st_nlink */
	EXPECT_EQ(le(out + 24, 4), 1000);	/* st_uid */
	EXPECT_EQ(le(out + 28, 4), 100);	/* st_gid */
	EXPECT_EQ(le(out + 32, 8), 0x502);	/* st_rdev */
	EXPECT_EQ(le(out + 44, 8), 0x100000001LL);	/* st_size */
	EXPECT_EQ(le(out + 52, 4), 4096);	/* st_blksize */
	EXPECT_EQ(le(out + 56, 8), 16);		/* st_blocks */
	EXPECT_EQ(le(out + 64, 4), 1700000000);	/* st_atime */
	EXPECT_EQ(le(out + 68, 4), 11);
	EXPECT_EQ(le(out + 72, 4), 1700000001);	/* st_mtime */
	EXPECT_EQ(le(out + 76, 4), 22);
	EXPECT_EQ(le(out + 80, 4), 1700000002);	/* st_ctime */
	EXPECT_EQ(le(out + 84, 4), 33);
	EXPECT_EQ(le(out + 88, 8), 0x123456789aULL);	/* st_ino */
	EXPECT_EQ(jt_layout_stat(&jt_abi_i386, JT_SYS_fstatat64, &st, out), 96);
	EXPECT_EQ(jt_layout_stat(&jt_abi_i386, JT_SYS_lstat64, &st, out), 96);
	/* the old 32-bit struct stat is not translated: refused */
	EXPECT_EQ(jt_layout_stat(&jt_abi_i386, JT_SYS_stat, &st, out), -ENOSYS);
	EXPECT_EQ(jt_layout_stat(&jt_abi_i386, JT_SYS_lstat, &st, out), -ENOSYS);
	/* the native one is the host's */
	ASSERT_EQ(jt_layout_stat(jt_abi_native(), JT_SYS_stat, &st, out), (int)sizeof(st));
	EXPECT_TRUE(!memcmp(out, &st, sizeof(st)));
}

TEST(i386_statfs64_is_84_bytes_and_its_size_argument_is_checked)
{
	struct statfs sf;
	unsigned char out[JT_LAYOUT_MAX];

	memset(&sf, 0, sizeof(sf));
	sf.f_type = 0xef53;
	sf.f_bsize = 4096;
	sf.f_blocks = 0x200000000ULL;
	sf.f_bfree = 5;
	sf.f_bavail = 6;
	sf.f_files = 7;
	sf.f_ffree = 8;
	sf.f_namelen = 255;
	sf.f_frsize = 4096;
	sf.f_flags = 0x20;
	ASSERT_EQ(jt_layout_statfs(&jt_abi_i386, JT_SYS_statfs64, 84, &sf, out), 84);
	EXPECT_EQ(le(out + 0, 4), 0xef53);
	EXPECT_EQ(le(out + 4, 4), 4096);
	EXPECT_EQ(le(out + 8, 8), 0x200000000ULL);
	EXPECT_EQ(le(out + 16, 8), 5);
	EXPECT_EQ(le(out + 24, 8), 6);
	EXPECT_EQ(le(out + 32, 8), 7);
	EXPECT_EQ(le(out + 40, 8), 8);
	EXPECT_EQ(le(out + 56, 4), 255);
	EXPECT_EQ(le(out + 60, 4), 4096);
	EXPECT_EQ(le(out + 64, 4), 0x20);
	EXPECT_EQ(jt_layout_statfs(&jt_abi_i386, JT_SYS_statfs64, 88, &sf, out), -EINVAL);
	EXPECT_EQ(jt_layout_statfs(&jt_abi_i386, JT_SYS_statfs, 64, &sf, out), -ENOSYS);
	sf.f_bsize = 1L << 32;
	EXPECT_EQ(jt_layout_statfs(&jt_abi_i386, JT_SYS_statfs64, 84, &sf, out), -EOVERFLOW);
}

TEST(i386_utimensat_reads_32bit_times_and_time64_reads_64bit_ones)
{
	int32_t t32[4] = { -1, 999, 1100000002, (1 << 30) - 2 /* UTIME_OMIT */ };
	struct timespec t64[2] = { { 5, 6 }, { 7, 8 } }, ts[2];

	EXPECT_EQ(jt_layout_timespec2_size(&jt_abi_i386, JT_SYS_utimensat), 16);
	jt_layout_timespec2(&jt_abi_i386, JT_SYS_utimensat, t32, ts);
	EXPECT_EQ(ts[0].tv_sec, -1);	/* sign-extended, as get_old_timespec32() */
	EXPECT_EQ(ts[0].tv_nsec, 999);
	EXPECT_EQ(ts[1].tv_sec, 1100000002);
	EXPECT_EQ(ts[1].tv_nsec, (1 << 30) - 2);
	EXPECT_EQ(jt_layout_timespec2_size(&jt_abi_i386, JT_SYS_utimensat_time64), sizeof(t64));
	jt_layout_timespec2(&jt_abi_i386, JT_SYS_utimensat_time64, t64, ts);
	EXPECT_EQ(ts[1].tv_sec, 7);
	EXPECT_EQ(ts[1].tv_nsec, 8);
}

TEST(i386_handover_msghdr_is_the_compat_layout)
{
	struct jt_layout_msg l;
	unsigned char msg[64], iov[32], cmsg[16];
	uint64_t controllen, len;
	int flags, level, type;

	jt_layout_msg(&jt_abi_i386, &l);
	EXPECT_EQ(l.msg_size, 28);
	EXPECT_EQ(l.iov_size, 8);
	EXPECT_EQ(l.control_len, 16);
	EXPECT_EQ(l.cmsg_len, 16);
	EXPECT_EQ(l.cmsg_data, 12);
	jt_layout_msg_put(&jt_abi_i386, msg, iov, 0x1000, 0x2000, 1, 0x3000, 16);
	EXPECT_EQ(le(msg + 8, 4), 0x1000);	/* msg_iov */
	EXPECT_EQ(le(msg + 12, 4), 1);		/* msg_iovlen */
	EXPECT_EQ(le(msg + 16, 4), 0x3000);	/* msg_control */
	EXPECT_EQ(le(msg + 20, 4), 16);		/* msg_controllen */
	EXPECT_EQ(le(iov, 4), 0x2000);
	EXPECT_EQ(le(iov + 4, 4), 1);
	msg[24] = MSG_CTRUNC;
	jt_layout_msg_get(&jt_abi_i386, msg, &controllen, &flags);
	EXPECT_EQ(controllen, 16);
	EXPECT_EQ(flags, MSG_CTRUNC);
	memset(cmsg, 0, sizeof(cmsg));
	cmsg[0] = 16, cmsg[4] = SOL_SOCKET, cmsg[8] = SCM_RIGHTS;
	jt_layout_cmsg_get(&jt_abi_i386, cmsg, &len, &level, &type);
	EXPECT_EQ(len, 16);
	EXPECT_EQ(level, SOL_SOCKET);
	EXPECT_EQ(type, SCM_RIGHTS);
	jt_layout_msg(jt_abi_native(), &l);
	EXPECT_EQ(l.msg_size, sizeof(struct msghdr));
	EXPECT_EQ(l.cmsg_len, CMSG_LEN(sizeof(int)));
}

TEST(pointers_are_written_at_the_abis_width)
{
	unsigned char b[8] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };

	jt_layout_ptr_put(&jt_abi_i386, b, 0x12345678);
	EXPECT_EQ(le(b, 4), 0x12345678);
	EXPECT_EQ(b[4], 0xaa);
	EXPECT_EQ(jt_layout_ptr_get(&jt_abi_i386, b), 0x12345678);
	jt_layout_ptr_put(&jt_abi_x86_64, b, 0x1122334455667788ULL);
	EXPECT_EQ(jt_layout_ptr_get(&jt_abi_x86_64, b), 0x1122334455667788ULL);
}

TEST(a_policy_refuses_the_i386_abi_by_its_own_line)
{
	struct jt_policy p;
	struct jt_request rq = { .abi = &jt_abi_i386, .sys = JT_SYS_getpid };
	struct jt_verdict v;
	char err[256], buf[64];

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_parse(&p, "t.policy", "allow getpid\nabi i386 deny\n", err, sizeof(err)), 0);
	jt_decide(&p, &rq, &v);
	EXPECT_TRUE(!v.allow);
	EXPECT_EQ(v.err, ENOSYS);
	EXPECT_STREQ(jt_verdict_rule(&p, &v, buf, sizeof(buf)), "t.policy:2");
	rq.abi = &jt_abi_x86_64;
	jt_decide(&p, &rq, &v);
	EXPECT_TRUE(v.allow);
	jt_policy_free(&p);

	jt_policy_init(&p);
	EXPECT_EQ(jt_policy_parse(&p, "t.policy", "abi x86_64 deny\n", err, sizeof(err)), -EINVAL);
	EXPECT_STREQ(err, "t.policy:1: the native ABI (x86_64) cannot be refused");
	jt_policy_free(&p);
	jt_policy_init(&p);
	EXPECT_EQ(jt_policy_parse(&p, "t.policy", "abi x32 allow\n", err, sizeof(err)), -EINVAL);
	jt_policy_free(&p);
	jt_policy_init(&p);
	EXPECT_EQ(jt_policy_parse(&p, "t.policy", "abi i368 deny\n", err, sizeof(err)), -EINVAL);
	EXPECT_STREQ(err, "t.policy:1: unknown ABI \"i368\"");
	jt_policy_free(&p);
}

TEST(x32_is_never_decided)
{
	struct jt_policy p;
	struct jt_request rq = { .abi = NULL, .sys = JT_SYS_getpid };
	struct jt_verdict v;
	char err[256], buf[64];

	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_parse(&p, "t.policy", "allow getpid\n", err, sizeof(err)), 0);
	jt_decide(&p, &rq, &v);
	EXPECT_TRUE(!v.allow);
	EXPECT_STREQ(jt_verdict_rule(&p, &v, buf, sizeof(buf)), "builtin:abi-not-handled");
	jt_policy_free(&p);
}
