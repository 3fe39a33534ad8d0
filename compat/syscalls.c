/*
 * Syscall identities and the per-ABI number tables (see syscalls.h).
 * The tables are generated data; everything here is lookups over them.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <seccomp.h>

#include "syscalls.h"

const struct jt_sysinfo jt_sysinfo[JT_SYS_COUNT] = {
#define SYS(name, nargs, ...) [JT_SYS_##name] = { #name, nargs, { __VA_ARGS__ } },
#include "sysnames.h"
#undef SYS
};

_Static_assert(JT_SYS_COUNT <= SHRT_MAX, "enum jt_sys must fit a short");

/*
 * Each table starts with a [0 ... last] = -1 range that its entries then
 * override; gcc warns about exactly that unless told not to.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const short sys_x86_64[] = {
#include "x86_64/syscalls.h"
};
static const short sys_i386[] = {
#include "i386/syscalls.h"
};
static const short sys_x32[] = {
#include "x32/syscalls.h"
};
static const short sys_aarch64[] = {
#include "aarch64/syscalls.h"
};
#pragma GCC diagnostic pop

#define ABI(n, i, reg, ptr, audit, scmp, base, table) {	\
	.name = n, .id = i, .reg_size = reg, .ptr_size = ptr,	\
	.audit_arch = audit, .scmp_arch = scmp,			\
	.nr_base = base,					\
	.nr_count = sizeof(table) / sizeof(table[0]),		\
	.sys = table,						\
}

/*
 * Every table is built on every host, so that each can be tested against
 * libseccomp anywhere; jt_abis says which ones this build traces.
 * x32 shares AUDIT_ARCH_X86_64 with x86_64: only the 0x40000000 bit of
 * the syscall number tells them apart.
 */
const struct jt_abi jt_abi_x86_64 =
	ABI("x86_64", JT_ABI_X86_64, 8, 8, AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64, 0, sys_x86_64);
const struct jt_abi jt_abi_i386 =
	ABI("i386", JT_ABI_I386, 4, 4, AUDIT_ARCH_I386, SCMP_ARCH_X86, 0, sys_i386);
const struct jt_abi jt_abi_x32 =
	ABI("x32", JT_ABI_X32, 8, 4, AUDIT_ARCH_X86_64, SCMP_ARCH_X32, 0x40000000L, sys_x32);
const struct jt_abi jt_abi_aarch64 =
	ABI("aarch64", JT_ABI_AARCH64, 8, 8, AUDIT_ARCH_AARCH64, SCMP_ARCH_AARCH64, 0, sys_aarch64);

const struct jt_abi *const jt_abis[] = {
#if defined(__x86_64__)
	&jt_abi_x86_64,
	&jt_abi_i386,
	&jt_abi_x32,
#elif defined(__aarch64__)
	&jt_abi_aarch64,
#else
#error "jailtrace supports x86_64 and aarch64 hosts"
#endif
	NULL
};

const struct jt_abi *jt_abi_native(void)
{
	return jt_abis[0];
}

int jt_abi_handled(const struct jt_abi *abi)
{
#if defined(__x86_64__)
	return abi == &jt_abi_x86_64 || abi == &jt_abi_i386;
#else
	return abi && abi == jt_abi_native();
#endif
}

const struct jt_abi *jt_abis_foreign(void)
{
#if defined(__x86_64__)
	return &jt_abi_i386;
#else
	return NULL;
#endif
}

const struct jt_abi *jt_abi_any_by_name(const char *name)
{
	static const struct jt_abi *const all[] = {
		&jt_abi_x86_64, &jt_abi_i386, &jt_abi_x32, &jt_abi_aarch64,
	};

	for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

const struct jt_socketcall *jt_socketcall_of(unsigned long call)
{
	static const struct jt_socketcall calls[] = {
		[1] = { JT_SYS_socket, 3 },	[2] = { JT_SYS_bind, 3 },
		[3] = { JT_SYS_connect, 3 },	[4] = { JT_SYS_listen, 2 },
		[5] = { JT_SYS_accept4, 3 },	[6] = { JT_SYS_getsockname, 3 },
		[7] = { JT_SYS_getpeername, 3 },	[8] = { JT_SYS_socketpair, 4 },
		[9] = { JT_SYS_sendto, 4 },	[10] = { JT_SYS_recvfrom, 4 },
		[11] = { JT_SYS_sendto, 6 },	[12] = { JT_SYS_recvfrom, 6 },
		[13] = { JT_SYS_shutdown, 2 },	[14] = { JT_SYS_setsockopt, 5 },
		[15] = { JT_SYS_getsockopt, 5 },	[16] = { JT_SYS_sendmsg, 3 },
		[17] = { JT_SYS_recvmsg, 3 },	[18] = { JT_SYS_accept4, 4 },
		[19] = { JT_SYS_recvmmsg, 5 },	[20] = { JT_SYS_sendmmsg, 4 },
	};

	if (call < 1 || call >= sizeof(calls) / sizeof(calls[0]))
		return NULL;
	return &calls[call];
}

/* For AUDIT_ARCH_X86_64 this is x86_64, never x32: see above. */
const struct jt_abi *jt_abi_by_audit_arch(uint32_t audit_arch)
{
	for (const struct jt_abi *const *a = jt_abis; *a; a++)
		if ((*a)->audit_arch == audit_arch)
			return *a;
	return NULL;
}

const struct jt_abi *jt_abi_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (const struct jt_abi *const *a = jt_abis; *a; a++)
		if (!strcmp((*a)->name, name))
			return *a;
	return NULL;
}

int jt_abi_sys(const struct jt_abi *abi, long nr)
{
	/* Checked before subtracting, so no nr can overflow. */
	if (nr < abi->nr_base ||
	    (unsigned long)(nr - abi->nr_base) >= abi->nr_count)
		return -ENOSYS;
	return abi->sys[nr - abi->nr_base] < 0 ? -ENOSYS
					       : abi->sys[nr - abi->nr_base];
}

/*
 * A scan of a few hundred shorts; this runs when filters are built, not
 * per syscall, so it is not worth a lazily built reverse map and its
 * locking.
 */
long jt_abi_nr(const struct jt_abi *abi, int sys)
{
	if (sys < 0 || sys >= JT_SYS_COUNT)
		return -ENOSYS;
	for (unsigned i = 0; i < abi->nr_count; i++)
		if (abi->sys[i] == sys)
			return abi->nr_base + i;
	return -ENOSYS;
}

/*
 * Names to numbers through a hash table made at the first lookup: every
 * run parses the built-in policy's 500 syscall names, and a binary search
 * spent nine string compares on each.
 */
#define NAME_SLOTS 2048	/* a power of two, over three times JT_SYS_COUNT */
_Static_assert(JT_SYS_COUNT * 3 < NAME_SLOTS, "the name table stays sparse");
static short name_slot[NAME_SLOTS];	/* enum jt_sys + 1; 0: empty */
static pthread_once_t name_once = PTHREAD_ONCE_INIT;

static unsigned name_hash(const char *s)
{
	unsigned h = 2166136261u;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h & (NAME_SLOTS - 1);
}

static void name_table(void)
{
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		unsigned i = name_hash(jt_sysinfo[sys].name);

		while (name_slot[i])
			i = (i + 1) & (NAME_SLOTS - 1);
		name_slot[i] = (short)(sys + 1);
	}
}

int jt_sys_by_name(const char *name)
{
	if (!name)
		return -ENOENT;
	pthread_once(&name_once, name_table);
	for (unsigned i = name_hash(name); name_slot[i]; i = (i + 1) & (NAME_SLOTS - 1))
		if (!strcmp(jt_sysinfo[name_slot[i] - 1].name, name))
			return name_slot[i] - 1;
	return -ENOENT;
}
