/*
 * The syscall tables against libseccomp, whose resolver they were
 * generated from and whose filters they must agree with.
 */
#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <seccomp.h>

#include "compat/syscalls.h"
#include "tests/unit/harness.h"

/* Defined in compat/syscalls.c on every host, so every table is tested. */
extern const struct jt_abi jt_abi_x86_64, jt_abi_i386, jt_abi_x32,
	jt_abi_aarch64;

/* gen-syscalls asks about the same range. */
#define NR_SCAN 65536

static void check_against_libseccomp(const struct jt_abi *abi)
{
	unsigned known = 0, entries = 0, munged = 0;
	long last = -1;

	/* Every number libseccomp knows is in the table and maps back. */
	for (long i = 0; i < NR_SCAN; i++) {
		long nr = abi->nr_base + i;
		char *name = seccomp_syscall_resolve_num_arch(abi->scmp_arch, nr);
		int sys;

		if (!name)
			continue;
		known++;
		last = i;
		sys = jt_sys_by_name(name);
		JT_CHECK(sys >= 0, 0, "%s: %s missing from sysnames.h",
			 abi->name, name);
		JT_CHECK(jt_abi_sys(abi, nr) == sys, 0, "%s: %#lx is %s, table says %s",
			 abi->name, nr, name, jt_sys_name(jt_abi_sys(abi, nr)));
		JT_CHECK(jt_abi_nr(abi, sys) == nr, 0, "%s: %s is %#lx, table says %ld",
			 abi->name, name, nr, jt_abi_nr(abi, sys));
		free(name);
	}
	EXPECT_TRUE(known > 0);
	EXPECT_EQ(abi->nr_count, last + 1);

	/* Every table entry is the name libseccomp gives that number. */
	for (unsigned i = 0; i < abi->nr_count; i++) {
		char *name;

		if (abi->sys[i] < 0) {
			EXPECT_EQ(abi->sys[i], -1);
			continue;
		}
		entries++;
		name = seccomp_syscall_resolve_num_arch(abi->scmp_arch,
							abi->nr_base + i);
		JT_CHECK(name && !strcmp(name, jt_sys_name(abi->sys[i])), 0,
			 "%s: [%u] = %s, libseccomp says %s", abi->name, i,
			 jt_sys_name(abi->sys[i]), name ? name : "nothing");
		free(name);
	}
	EXPECT_EQ(entries, known);

	/* Every name libseccomp numbers in this ABI has that number here. */
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		int nr = seccomp_syscall_resolve_name_arch(abi->scmp_arch,
							   jt_sysinfo[sys].name);
		long have = jt_abi_nr(abi, sys);

		/*
		 * libseccomp 2.5 answers the names of the i386 socket and
		 * SysV IPC calls with the numbers of its socketcall/ipc
		 * pseudo-syscalls (-101 and down), though the calls have
		 * numbers of their own; resolve_num knows those, and the
		 * first loop checked them.
		 */
		if (nr < 0 && nr > -10000 && abi->scmp_arch == SCMP_ARCH_X86 &&
		    have >= 0) {
			munged++;
			continue;
		}
		JT_CHECK(have == (nr < 0 ? -ENOSYS : nr), 0,
			 "%s: %s is %ld here, libseccomp says %d", abi->name,
			 jt_sysinfo[sys].name, have, nr);
	}
	if (abi->scmp_arch == SCMP_ARCH_X86)
		EXPECT_TRUE(munged > 0);
	else
		EXPECT_EQ(munged, 0);
}

TEST(x86_64_table_matches_libseccomp_both_ways)
{
	check_against_libseccomp(&jt_abi_x86_64);
}

TEST(i386_table_matches_libseccomp_both_ways)
{
	check_against_libseccomp(&jt_abi_i386);
}

TEST(x32_table_matches_libseccomp_both_ways)
{
	check_against_libseccomp(&jt_abi_x32);
}

TEST(aarch64_table_matches_libseccomp_both_ways)
{
	check_against_libseccomp(&jt_abi_aarch64);
}

TEST(every_name_is_in_some_abi)
{
	const struct jt_abi *all[] = { &jt_abi_x86_64, &jt_abi_i386,
				       &jt_abi_x32, &jt_abi_aarch64 };

	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		int found = 0;

		for (unsigned a = 0; a < sizeof(all) / sizeof(all[0]); a++)
			found |= jt_abi_nr(all[a], sys) >= 0;
		JT_CHECK(found, 0, "%s is in no ABI", jt_sysinfo[sys].name);
	}
}

TEST(sysnames_are_sorted_unique_and_found_by_name)
{
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		if (sys > 0)
			JT_CHECK(strcmp(jt_sysinfo[sys - 1].name,
					jt_sysinfo[sys].name) < 0, 0,
				 "%s before %s", jt_sysinfo[sys - 1].name,
				 jt_sysinfo[sys].name);
		EXPECT_EQ(jt_sys_by_name(jt_sysinfo[sys].name), sys);
		EXPECT_STREQ(jt_sys_name(sys), jt_sysinfo[sys].name);
	}
	EXPECT_EQ(jt_sys_by_name("kill"), JT_SYS_kill);
	EXPECT_EQ(jt_sys_by_name("_llseek"), JT_SYS__llseek);
	EXPECT_EQ(jt_sys_by_name("nosuchcall"), -ENOENT);
	EXPECT_EQ(jt_sys_by_name(""), -ENOENT);
	EXPECT_EQ(jt_sys_by_name("KILL"), -ENOENT);
	EXPECT_EQ(jt_sys_by_name(NULL), -ENOENT);
	EXPECT_STREQ(jt_sys_name(-1), "?");
	EXPECT_STREQ(jt_sys_name(JT_SYS_COUNT), "?");
}

TEST(nargs_at_most_6_and_kinds_fill_exactly_nargs)
{
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		const struct jt_sysinfo *s = &jt_sysinfo[sys];

		JT_CHECK(s->nargs <= 6, 0, "%s has %d arguments", s->name,
			 s->nargs);
		for (int i = 0; i < 6; i++)
			JT_CHECK((s->arg[i] != JT_ARG_NONE) == (i < s->nargs), 0,
				 "%s: argument %d is kind %d, nargs %d",
				 s->name, i, s->arg[i], s->nargs);
	}
}

TEST(sockaddr_argument_is_followed_by_its_length)
{
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		const struct jt_sysinfo *s = &jt_sysinfo[sys];

		for (int i = 0; i < s->nargs; i++)
			if (s->arg[i] == JT_ARG_SOCKADDR)
				JT_CHECK(i + 1 < s->nargs &&
					 s->arg[i + 1] == JT_ARG_UINT, 0,
					 "%s: sockaddr %d has no length",
					 s->name, i);
	}
}

static void expect_kinds(const char *name, int nargs, const unsigned char *kinds)
{
	int sys = jt_sys_by_name(name);

	ASSERT_TRUE(sys >= 0);
	JT_CHECK(jt_sysinfo[sys].nargs == nargs, 0, "%s has %d arguments, expected %d",
		 name, jt_sysinfo[sys].nargs, nargs);
	for (int i = 0; i < nargs; i++)
		JT_CHECK(jt_sysinfo[sys].arg[i] == kinds[i], 0,
			 "%s: argument %d is kind %d, expected %d", name, i,
			 jt_sysinfo[sys].arg[i], kinds[i]);
}

#define EXPECT_KINDS(name, nargs, ...) \
	expect_kinds(#name, nargs, (const unsigned char[]){ __VA_ARGS__ })

TEST(important_syscalls_decode_with_exact_kinds)
{
	EXPECT_KINDS(open, 3, JT_ARG_PATH, JT_ARG_OFLAGS, JT_ARG_MODE);
	EXPECT_KINDS(openat, 4, JT_ARG_DIRFD, JT_ARG_PATH, JT_ARG_OFLAGS, JT_ARG_MODE);
	EXPECT_KINDS(openat2, 4, JT_ARG_DIRFD, JT_ARG_PATH, JT_ARG_PTR, JT_ARG_SIZE);
	EXPECT_KINDS(creat, 2, JT_ARG_PATH, JT_ARG_MODE);
	EXPECT_KINDS(execve, 3, JT_ARG_PATH, JT_ARG_ARGV, JT_ARG_ARGV);
	EXPECT_KINDS(execveat, 5, JT_ARG_DIRFD, JT_ARG_PATH, JT_ARG_ARGV,
		     JT_ARG_ARGV, JT_ARG_HEX);
	EXPECT_KINDS(newfstatat, 4, JT_ARG_DIRFD, JT_ARG_PATH, JT_ARG_PTR, JT_ARG_HEX);
	EXPECT_KINDS(statx, 5, JT_ARG_DIRFD, JT_ARG_PATH, JT_ARG_HEX, JT_ARG_HEX,
		     JT_ARG_PTR);
	EXPECT_KINDS(readlinkat, 4, JT_ARG_DIRFD, JT_ARG_PATH, JT_ARG_BUFOUT, JT_ARG_SIZE);
	EXPECT_KINDS(renameat2, 5, JT_ARG_DIRFD, JT_ARG_PATH, JT_ARG_DIRFD,
		     JT_ARG_PATH, JT_ARG_HEX);
	EXPECT_KINDS(symlinkat, 3, JT_ARG_PATH, JT_ARG_DIRFD, JT_ARG_PATH);
	EXPECT_KINDS(mknodat, 4, JT_ARG_DIRFD, JT_ARG_PATH, JT_ARG_MODE, JT_ARG_HEX);
	EXPECT_KINDS(kill, 2, JT_ARG_PID, JT_ARG_SIG);
	EXPECT_KINDS(tkill, 2, JT_ARG_PID, JT_ARG_SIG);
	EXPECT_KINDS(tgkill, 3, JT_ARG_PID, JT_ARG_PID, JT_ARG_SIG);
	EXPECT_KINDS(rt_sigqueueinfo, 3, JT_ARG_PID, JT_ARG_SIG, JT_ARG_PTR);
	EXPECT_KINDS(rt_tgsigqueueinfo, 4, JT_ARG_PID, JT_ARG_PID, JT_ARG_SIG,
		     JT_ARG_PTR);
	EXPECT_KINDS(pidfd_send_signal, 4, JT_ARG_FD, JT_ARG_SIG, JT_ARG_PTR,
		     JT_ARG_HEX);
	EXPECT_KINDS(prlimit64, 4, JT_ARG_PID, JT_ARG_INT, JT_ARG_PTR, JT_ARG_PTR);
	EXPECT_KINDS(process_vm_readv, 6, JT_ARG_PID, JT_ARG_PTR, JT_ARG_UINT,
		     JT_ARG_PTR, JT_ARG_UINT, JT_ARG_HEX);
	EXPECT_KINDS(clone, 5, JT_ARG_CLONEFLAGS, JT_ARG_PTR, JT_ARG_PTR,
		     JT_ARG_PTR, JT_ARG_PTR);
	EXPECT_KINDS(socket, 3, JT_ARG_AF, JT_ARG_SOCKTYPE, JT_ARG_INT);
	EXPECT_KINDS(mmap, 6, JT_ARG_PTR, JT_ARG_SIZE, JT_ARG_PROT, JT_ARG_MMAPFLAGS, JT_ARG_FD, JT_ARG_HEX);
	EXPECT_KINDS(connect, 3, JT_ARG_FD, JT_ARG_SOCKADDR, JT_ARG_UINT);
	EXPECT_KINDS(bind, 3, JT_ARG_FD, JT_ARG_SOCKADDR, JT_ARG_UINT);
	EXPECT_KINDS(sendto, 6, JT_ARG_FD, JT_ARG_BUFIN, JT_ARG_SIZE, JT_ARG_HEX,
		     JT_ARG_SOCKADDR, JT_ARG_UINT);
	EXPECT_KINDS(ioctl, 3, JT_ARG_FD, JT_ARG_IOCTL, JT_ARG_HEX);
	EXPECT_KINDS(fcntl, 3, JT_ARG_FD, JT_ARG_INT, JT_ARG_HEX);
	EXPECT_KINDS(getpid, 0, 0);
}

TEST(jt_abi_sys_rejects_out_of_range_and_missing_numbers)
{
	const struct jt_abi *all[] = { &jt_abi_x86_64, &jt_abi_i386,
				       &jt_abi_x32, &jt_abi_aarch64 };

	for (unsigned a = 0; a < sizeof(all) / sizeof(all[0]); a++) {
		const struct jt_abi *abi = all[a];

		EXPECT_EQ(jt_abi_sys(abi, abi->nr_base - 1), -ENOSYS);
		EXPECT_EQ(jt_abi_sys(abi, abi->nr_base + abi->nr_count), -ENOSYS);
		EXPECT_EQ(jt_abi_sys(abi, -1), -ENOSYS);
		EXPECT_EQ(jt_abi_sys(abi, LONG_MIN), -ENOSYS);
		EXPECT_EQ(jt_abi_sys(abi, LONG_MAX), -ENOSYS);
		EXPECT_EQ(jt_abi_nr(abi, -1), -ENOSYS);
		EXPECT_EQ(jt_abi_nr(abi, JT_SYS_COUNT), -ENOSYS);
	}
	/* An x32 number is not an x86_64 one, though both are AUDIT_ARCH_X86_64. */
	EXPECT_EQ(jt_abi_sys(&jt_abi_x86_64, 0x40000000), -ENOSYS);
	EXPECT_EQ(jt_abi_sys(&jt_abi_x86_64, 0x40000000 + 62), -ENOSYS);
	/* ...nor is an x32 call without its bit. */
	EXPECT_EQ(jt_abi_sys(&jt_abi_x32, 0), -ENOSYS);
	/* x32 has no 64-bit rt_sigaction (13), only its own (512). */
	EXPECT_EQ(jt_abi_sys(&jt_abi_x32, 0x40000000 + 13), -ENOSYS);
	EXPECT_EQ(jt_abi_sys(&jt_abi_x32, 0x40000000 + 512), JT_SYS_rt_sigaction);
	/* aarch64 has only the *at calls. */
	EXPECT_EQ(jt_abi_nr(&jt_abi_aarch64, JT_SYS_open), -ENOSYS);
	EXPECT_EQ(jt_abi_nr(&jt_abi_x86_64, JT_SYS_socketcall), -ENOSYS);
}

TEST(spot_check_kill_and_read_numbers)
{
	EXPECT_EQ(jt_abi_nr(&jt_abi_x86_64, JT_SYS_kill), 62);
	EXPECT_EQ(jt_abi_sys(&jt_abi_x86_64, 62), JT_SYS_kill);
	EXPECT_EQ(jt_abi_nr(&jt_abi_i386, JT_SYS_kill), 37);
	EXPECT_EQ(jt_abi_sys(&jt_abi_i386, 37), JT_SYS_kill);
	EXPECT_EQ(jt_abi_nr(&jt_abi_aarch64, JT_SYS_kill), 129);
	EXPECT_EQ(jt_abi_sys(&jt_abi_aarch64, 129), JT_SYS_kill);
	EXPECT_EQ(jt_abi_nr(&jt_abi_x32, JT_SYS_read), 0x40000000);
	EXPECT_EQ(jt_abi_sys(&jt_abi_x32, 0x40000000), JT_SYS_read);
	EXPECT_EQ(jt_abi_nr(&jt_abi_x32, JT_SYS_kill), 0x40000000 + 62);
	EXPECT_EQ(jt_abi_nr(&jt_abi_i386, JT_SYS_socket), 359);
	EXPECT_EQ(jt_abi_nr(&jt_abi_aarch64, JT_SYS_openat), 56);
}

TEST(abis_describe_their_arch)
{
	EXPECT_EQ(jt_abi_x86_64.audit_arch, AUDIT_ARCH_X86_64);
	EXPECT_EQ(jt_abi_x86_64.scmp_arch, SCMP_ARCH_X86_64);
	EXPECT_EQ(jt_abi_x86_64.nr_base, 0);
	EXPECT_EQ(jt_abi_i386.audit_arch, AUDIT_ARCH_I386);
	EXPECT_EQ(jt_abi_i386.scmp_arch, SCMP_ARCH_X86);
	EXPECT_EQ(jt_abi_x32.audit_arch, AUDIT_ARCH_X86_64);
	EXPECT_EQ(jt_abi_x32.scmp_arch, SCMP_ARCH_X32);
	EXPECT_EQ(jt_abi_x32.nr_base, 0x40000000);
	EXPECT_EQ(jt_abi_aarch64.audit_arch, AUDIT_ARCH_AARCH64);
	EXPECT_EQ(jt_abi_aarch64.scmp_arch, SCMP_ARCH_AARCH64);
	EXPECT_STREQ(jt_abi_x86_64.name, "x86_64");
	EXPECT_STREQ(jt_abi_i386.name, "i386");
	EXPECT_STREQ(jt_abi_x32.name, "x32");
	EXPECT_STREQ(jt_abi_aarch64.name, "aarch64");
}

TEST(native_abi_comes_first_and_lookups_find_only_built_abis)
{
	ASSERT_TRUE(jt_abis[0] != NULL);
	EXPECT_TRUE(jt_abi_native() == jt_abis[0]);
	EXPECT_EQ(jt_abi_native()->scmp_arch, seccomp_arch_native());
	for (const struct jt_abi *const *a = jt_abis; *a; a++)
		EXPECT_TRUE(jt_abi_by_name((*a)->name) == *a);
#if defined(__x86_64__)
	EXPECT_TRUE(jt_abis[0] == &jt_abi_x86_64);
	EXPECT_TRUE(jt_abis[1] == &jt_abi_i386);
	EXPECT_TRUE(jt_abis[2] == &jt_abi_x32);
	EXPECT_TRUE(jt_abis[3] == NULL);
	/* x32 shares the audit arch; the caller tells it by the nr bit. */
	EXPECT_TRUE(jt_abi_by_audit_arch(AUDIT_ARCH_X86_64) == &jt_abi_x86_64);
	EXPECT_TRUE(jt_abi_by_audit_arch(AUDIT_ARCH_I386) == &jt_abi_i386);
	EXPECT_TRUE(jt_abi_by_audit_arch(AUDIT_ARCH_AARCH64) == NULL);
	EXPECT_TRUE(jt_abi_by_name("aarch64") == NULL);
#elif defined(__aarch64__)
	EXPECT_TRUE(jt_abis[0] == &jt_abi_aarch64);
	EXPECT_TRUE(jt_abis[1] == NULL);
	EXPECT_TRUE(jt_abi_by_audit_arch(AUDIT_ARCH_AARCH64) == &jt_abi_aarch64);
	EXPECT_TRUE(jt_abi_by_audit_arch(AUDIT_ARCH_X86_64) == NULL);
	EXPECT_TRUE(jt_abi_by_name("x86_64") == NULL);
#endif
	EXPECT_TRUE(jt_abi_by_audit_arch(0) == NULL);
	EXPECT_TRUE(jt_abi_by_name("x86") == NULL);
	EXPECT_TRUE(jt_abi_by_name(NULL) == NULL);
}
