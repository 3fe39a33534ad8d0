/*
 * Compile a policy into a seccomp program. The program is only a fast
 * path: anything it does not allow or deny by itself reaches the tracer,
 * which applies the same decision (filters/decide.c) with full facts. So a
 * rule here may be narrower than the decision, never wider.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <seccomp.h>
#include <sched.h>
#include <linux/seccomp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include "filters/decide.h"
#include "filters/seccomp.h"
#include "filters/net.h"

#define LO32 0xffffffffULL
#define IOPRIO_WHO_PROCESS 1

/* fcntl commands that name no process: decided in the kernel. */
static const int fcntl_plain[] = {
	F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW,
	F_GETOWN, F_SETSIG, F_GETSIG, F_GETOWN_EX, F_OFD_GETLK, F_OFD_SETLK,
	F_OFD_SETLKW, F_SETLEASE, F_GETLEASE, F_NOTIFY, F_DUPFD_CLOEXEC,
	F_SETPIPE_SZ, F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS,
};

/* ... except, under a view, those that lock, lease or watch a file: the
 * tracer keeps them off the host's files (tracer/fs.c) */
static int fcntl_stops_in_view(int cmd)
{
	return cmd == F_SETLK || cmd == F_SETLKW || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW ||
	       cmd == F_SETLEASE || cmd == F_NOTIFY;
}

/*
 * The foreign (i386) filter is built with exact rules: libseccomp would
 * otherwise turn a rule with arguments on an i386 socket call into a rule
 * on socketcall(SYS_...) without them, whose arguments sit in memory where
 * no filter can see them, and so allow every socket() in the kernel. Exact,
 * it refuses such a rule (EINVAL), and that call then stops in the tracer,
 * which reads socketcall's arguments once and decides the call they carry.
 */
static int exact_rules;

static int add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned n,
	       const struct scmp_arg_cmp *cmp)
{
	int r;

	if (!exact_rules)
		return seccomp_rule_add_array(ctx, action, nr, n, cmp);
	r = seccomp_rule_add_exact_array(ctx, action, nr, n, cmp);
	return r == -EINVAL && n > 0 ? 0 : r;	/* not expressible: it stops */
}

static int eq32(scmp_filter_ctx ctx, int nr, unsigned arg, uint32_t v)
{
	struct scmp_arg_cmp c = { arg, SCMP_CMP_MASKED_EQ, LO32, v };

	return add(ctx, SCMP_ACT_ALLOW, nr, 1, &c);
}

static int clone_rule(const struct jt_policy *p, scmp_filter_ctx ctx, int nr,
		      const struct jt_check *c)
{
	uint64_t mask = c->mask | CLONE_THREAD, want;

	if (p->may_fork && p->may_thread)
		mask = c->mask, want = 0;
	else if (p->may_thread)
		want = CLONE_THREAD;
	else if (p->may_fork)
		want = 0;
	else
		return 0;
	struct scmp_arg_cmp cmp = { c->arg, SCMP_CMP_MASKED_EQ, mask, want };

	return add(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
}

/*
 * socketpair under a view: the stream types in the kernel; a datagram pair
 * (SOCK_DGRAM, and SOCK_RAW, which the kernel turns into SOCK_DGRAM) stops,
 * to be decided and recorded.
 */
static int stream_pairs(scmp_filter_ctx ctx, int nr)
{
	struct scmp_arg_cmp cmp = { 1, SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM };
	int r = add(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);

	cmp.datum_b = SOCK_SEQPACKET;
	return r ? r : add(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
}

/* socket(): what check_socket() allows, in the kernel; the rest stops. */
static int socket_rules(const struct jt_policy *p, scmp_filter_ctx ctx, int nr, int view)
{
	static const struct { int family, type, proto, udp; } ok[] = {
		{ AF_UNIX, SOCK_STREAM, -1, 0 }, { AF_UNIX, SOCK_SEQPACKET, -1, 0 },
		{ AF_INET, SOCK_STREAM, 0, 0 }, { AF_INET, SOCK_STREAM, IPPROTO_TCP, 0 },
		{ AF_INET6, SOCK_STREAM, 0, 0 }, { AF_INET6, SOCK_STREAM, IPPROTO_TCP, 0 },
		{ AF_INET, SOCK_DGRAM, 0, 1 }, { AF_INET, SOCK_DGRAM, IPPROTO_UDP, 1 },
		{ AF_INET6, SOCK_DGRAM, 0, 1 }, { AF_INET6, SOCK_DGRAM, IPPROTO_UDP, 1 },
	};
	int r = 0;

	if (!view)
		r = eq32(ctx, nr, 0, AF_UNIX);
	for (size_t i = 0; r == 0 && i < sizeof(ok) / sizeof(*ok); i++) {
		struct scmp_arg_cmp cmp[3] = {
			{ 0, SCMP_CMP_MASKED_EQ, LO32, (uint64_t)ok[i].family },
			{ 1, SCMP_CMP_MASKED_EQ, 0xf, (uint64_t)ok[i].type },
			{ 2, SCMP_CMP_MASKED_EQ, LO32, (uint64_t)(uint32_t)ok[i].proto },
		};

		if ((ok[i].udp && !jt_net_may_udp(p)) || (!view && ok[i].family == AF_UNIX))
			continue;
		r = add(ctx, SCMP_ACT_ALLOW, nr, ok[i].proto < 0 ? 2 : 3, cmp);
	}
	return r;
}

/*
 * The network calls stop where an address may matter: always for connect,
 * bind and listen; sendto with an address or TCP fast open; sendmsg and
 * sendmmsg (the address is in memory) when datagram sockets may exist:
 * with a UDP grant, and under a view, where unix datagram sockets (any
 * number of them: socket, socketpair, SOCK_RAW) have their addresses
 * resolved in the view. Without a view, unix paths are the host's anyway.
 */
static int net_rule(const struct jt_policy *p, scmp_filter_ctx ctx, int nr, const struct jt_check *c,
		    int view)
{
	struct scmp_arg_cmp cmp[2] = {
		{ (unsigned)(c->arg == 4 ? 3 : c->arg), SCMP_CMP_MASKED_EQ, MSG_FASTOPEN, 0 },
		{ 4, SCMP_CMP_EQ, 0, 0 },
	};

	if (c->arg == 4)	/* sendto(fd, buf, len, flags, addr, addrlen) */
		return add(ctx, SCMP_ACT_ALLOW, nr, 2, cmp);
	if (c->arg == 2 || c->arg == 3)	/* sendmsg flags, sendmmsg flags */
		return jt_net_may_udp(p) || view ? 0 : add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
	return 0;
}

/* The in-kernel part of an allowed syscall that has a check. */
static int checked_rule(const struct jt_policy *p, scmp_filter_ctx ctx, int nr,
			const struct jt_check *c, int reserved_fd)
{
	int r = 0;
	int view = p->n_grants > 0;

	switch (c->kind) {
	case JT_CHECK_PID:
		return eq32(ctx, nr, c->arg, 0);
	case JT_CHECK_PRIO: {
		int who = nr == seccomp_syscall_resolve_name("ioprio_set") ? IOPRIO_WHO_PROCESS
									    : PRIO_PROCESS;
		struct scmp_arg_cmp cmp[2] = {
			{ 0, SCMP_CMP_MASKED_EQ, LO32, (uint32_t)who },
			{ 1, SCMP_CMP_MASKED_EQ, LO32, 0 },
		};
		return add(ctx, SCMP_ACT_ALLOW, nr, 2, cmp);
	}
	case JT_CHECK_SETPGID:
		return eq32(ctx, nr, 1, 0);
	case JT_CHECK_FCNTL:
		for (size_t i = 0; r == 0 && i < sizeof(fcntl_plain) / sizeof(*fcntl_plain); i++)
			if (!view || !fcntl_stops_in_view(fcntl_plain[i]))
				r = eq32(ctx, nr, c->arg, (uint32_t)fcntl_plain[i]);
		return r;
	case JT_CHECK_FLAGS: {
		struct scmp_arg_cmp cmp = { c->arg, SCMP_CMP_MASKED_EQ, c->mask, 0 };

		return add(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
	}
	case JT_CHECK_CLONE:
		return clone_rule(p, ctx, nr, c);
	case JT_CHECK_FORK:
		return p->may_fork ? add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL) : 0;
	case JT_CHECK_SOCKET:
		return socket_rules(p, ctx, nr, view);
	case JT_CHECK_SOCKETPAIR:
		if (!view)
			return add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
		return stream_pairs(ctx, nr);
	case JT_CHECK_NET:
		return net_rule(p, ctx, nr, c, view);
	case JT_CHECK_PATH:
	case JT_CHECK_VIEW_DENY:
		return view ? 0 : add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
	case JT_CHECK_RESERVED_FD: {
		struct scmp_arg_cmp cmp = { c->arg, SCMP_CMP_NE, (uint64_t)reserved_fd, 0 };

		return reserved_fd < 0 ? add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL)
				       : add(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
	}
	case JT_CHECK_CLOSE_RANGE: {
		struct scmp_arg_cmp cmp = { 1, SCMP_CMP_LT, (uint64_t)reserved_fd, 0 };

		return reserved_fd < 0 ? add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL)
				       : add(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
	}
	case JT_CHECK_EPOLL_ADD:
		/* only an added watch counts: changes and removals run in the kernel */
		if (!view)
			return add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
		r = eq32(ctx, nr, c->arg, EPOLL_CTL_MOD);
		return r ? r : eq32(ctx, nr, c->arg, EPOLL_CTL_DEL);
	case JT_CHECK_MAP_EXEC: {
		/* no PROT_EXEC, or (mmap) anonymous memory: the kernel's alone */
		struct scmp_arg_cmp noexec = { c->arg, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0 };
		struct scmp_arg_cmp anon = { 3, SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS };
		int is_mmap = nr == seccomp_syscall_resolve_name("mmap") ||
			      nr == seccomp_syscall_resolve_name("mmap2");

		if (!view)	/* no view, no writable grant */
			return add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
		r = add(ctx, SCMP_ACT_ALLOW, nr, 1, &noexec);
		return r == 0 && is_mmap ? add(ctx, SCMP_ACT_ALLOW, nr, 1, &anon) : r;
	}
	case JT_CHECK_PERSONALITY: {
		struct scmp_arg_cmp no_rie = { 0, SCMP_CMP_MASKED_EQ, READ_IMPLIES_EXEC, 0 };

		if (!view)
			return add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
		r = add(ctx, SCMP_ACT_ALLOW, nr, 1, &no_rie);
		return r ?: eq32(ctx, nr, 0, 0xffffffffu);
	}
	case JT_CHECK_IOCTL:
		for (size_t i = 0; r == 0 && i < p->n_ioctls; i++)
			r = eq32(ctx, nr, c->arg, p->ioctls[i].code);
		return r;
	default:
		return 0;	/* always stops */
	}
}

/*
 * prctl for every option but PR_SET_SECCOMP, which stops. The kernel reads
 * the option as an int, so only its low 32 bits are compared; libseccomp
 * has no "masked not equal": each rule allows the options that differ from
 * PR_SET_SECCOMP in one bit, and together they allow all that differ.
 */
static int prctl_but_seccomp(scmp_filter_ctx ctx, int nr)
{
	int r = 0;

	for (int b = 0; r == 0 && b < 32; b++) {
		uint64_t bit = 1ULL << b;
		struct scmp_arg_cmp c = { 0, SCMP_CMP_MASKED_EQ, bit, ~(uint64_t)PR_SET_SECCOMP & bit };

		r = add(ctx, SCMP_ACT_ALLOW, nr, 1, &c);
	}
	return r;
}

static int add_rules(const struct jt_policy *p, scmp_filter_ctx ctx, const struct jt_abi *abi,
		     int reserved_fd, unsigned flags)
{
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		/* libseccomp takes native numbers (negative pseudo-numbers for
		 * calls only other ABIs have) and translates them per ABI */
		int nr = seccomp_syscall_resolve_name(jt_sysinfo[sys].name);
		const struct jt_check *c = jt_check_of(sys);
		int r = 0;

		if (nr == __NR_SCMP_ERROR || jt_abi_nr(abi, sys) < 0)
			continue;	/* not in this ABI */
		if (abi == jt_abi_native() && nr < 0)
			continue;
		if (c->kind == JT_CHECK_SOCKETCALL)
			continue;	/* always decoded by the tracer */
		if (c->kind == JT_CHECK_MAP_EXEC && sys == JT_SYS_mmap && abi->id == JT_ABI_I386 &&
		    p->action[sys] == JT_ALLOW && p->n_grants)
			continue;	/* i386's old mmap: its arguments are in memory, always read */
		if (p->action[sys] == JT_DENY)
			r = add(ctx, SCMP_ACT_ERRNO((uint32_t)p->err[sys]), nr, 0, NULL);
		else if ((flags & JT_SECCOMP_OWN_STOPS) && sys == JT_SYS_seccomp)
			continue;	/* allowed: stops, for the tracer to refuse a filter */
		else if ((flags & JT_SECCOMP_OWN_STOPS) && sys == JT_SYS_prctl &&
			 p->action[sys] == JT_ALLOW)
			r = prctl_but_seccomp(ctx, nr);
		else if (p->action[sys] == JT_ALLOW && c->kind == JT_CHECK_NONE)
			r = add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
		else if (p->action[sys] == JT_ALLOW)
			r = checked_rule(p, ctx, nr, c, reserved_fd);
		if (r < 0)
			return r;
	}
	return 0;
}

int jt_seccomp_notified(int sys)
{
	switch (sys) {
	case JT_SYS_open: case JT_SYS_openat: case JT_SYS_creat:
	case JT_SYS_stat: case JT_SYS_lstat: case JT_SYS_newfstatat: case JT_SYS_statx:
	case JT_SYS_access: case JT_SYS_faccessat: case JT_SYS_faccessat2:
	case JT_SYS_readlink: case JT_SYS_readlinkat:
		return 1;
	}
	return 0;
}

/*
 * The calls a user notification carries (native ABI, allowed, under a
 * view): SECCOMP_RET_USER_NOTIF outranks SECCOMP_RET_TRACE and ALLOW, so no
 * filter the program adds can turn one back into a stop or let it run.
 */
static int notify_rules(const struct jt_policy *p, scmp_filter_ctx ctx)
{
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		int nr = seccomp_syscall_resolve_name(jt_sysinfo[sys].name), r;
		const struct jt_check *c = jt_check_of(sys);

		if (!jt_seccomp_notified(sys) || nr < 0 || p->action[sys] != JT_ALLOW ||
		    c->kind != JT_CHECK_PATH)
			continue;
		if (sys == JT_SYS_open || sys == JT_SYS_openat) {
			struct scmp_arg_cmp no_excl = { sys == JT_SYS_open ? 1 : 2, SCMP_CMP_MASKED_EQ,
							O_EXCL | O_PATH, 0 };

			r = add(ctx, SCMP_ACT_NOTIFY, nr, 1, &no_excl);
		} else {
			r = add(ctx, SCMP_ACT_NOTIFY, nr, 0, NULL);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fds[2], r;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	/* a program is at most 4096 instructions: 32 KiB fits a pipe */
	r = seccomp_export_bpf(ctx, fds[1]);
	close(fds[1]);
	while (r == 0) {
		if (len == cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fds[0], buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	if (r == 0 && (len == 0 || len % sizeof(struct sock_filter) || len / 8 > 4096))
		r = -E2BIG;
	if (r < 0) {
		free(buf);
		return r;
	}
	prog->len = (unsigned short)(len / sizeof(struct sock_filter));
	prog->filter = (struct sock_filter *)buf;
	return 0;
}

/* The program of one ABI; its default (a stop) carries @trace. */
static int build_abi(const struct jt_policy *p, unsigned flags, int reserved_fd,
		     const struct jt_abi *abi, uint32_t trace, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRACE(trace));
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	if (abi != jt_abi_native()) {
		r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (r == 0)
			r = seccomp_arch_add(ctx, abi->scmp_arch);
	}
	/* An ABI we do not list still stops, so the tracer refuses it by name. */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRACE(JT_TRACE_BADARCH));
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* a binary tree of syscall numbers: fewer BPF instructions per call */
	if (r == 0)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	exact_rules = abi != jt_abi_native();
	if (r == 0 && !(flags & JT_SECCOMP_STOP_ALL))
		r = add_rules(p, ctx, abi, reserved_fd, flags);
	exact_rules = 0;
	if (r == 0 && (flags & JT_SECCOMP_NOTIFY) && !(flags & JT_SECCOMP_STOP_ALL) &&
	    abi == jt_abi_native() && p->n_grants > 0)
		r = notify_rules(p, ctx);
	if (r == 0)
		r = export(ctx, prog);
	seccomp_release(ctx);
	return r;
}

/*
 * Two programs, one per ABI, each complete (every path ends in a return,
 * every jump stays inside it), joined by a dispatch on the arch:
 *
 *	ld  [arch]
 *	jeq FOREIGN_ARCH, 0, 1	; the foreign ABI: to the ja, else over it
 *	ja  +len(native)
 *	<native program>
 *	<foreign program>
 *
 * libseccomp cannot give one filter two default actions, and the foreign
 * ABI's stops must say which ABI they come from (JT_TRACE_FOREIGN).
 */
static int join(struct sock_fprog *native, struct sock_fprog *foreign, uint32_t arch,
		struct sock_fprog *prog)
{
	size_t len = 3 + (size_t)native->len + foreign->len;
	struct sock_filter *f;

	if (len > BPF_MAXINSNS)
		return -E2BIG;
	if (!(f = malloc(len * sizeof(*f))))
		return -ENOMEM;
	f[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					    offsetof(struct seccomp_data, arch));
	f[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 1);
	f[2] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, native->len);
	memcpy(f + 3, native->filter, native->len * sizeof(*f));
	memcpy(f + 3 + native->len, foreign->filter, foreign->len * sizeof(*f));
	prog->len = (unsigned short)len;
	prog->filter = f;
	return 0;
}

int jt_seccomp_build(const struct jt_policy *p, unsigned flags, int reserved_fd,
		     struct sock_fprog *prog)
{
	const struct jt_abi *foreign = jt_abis_foreign();
	struct sock_fprog native = { 0 }, second = { 0 };
	int r;

	r = build_abi(p, flags, reserved_fd, jt_abi_native(), JT_TRACE_DECIDE, &native);
	if (r < 0 || !foreign || p->abi_refused[foreign->id]) {
		/* a refused ABI goes to JT_TRACE_BADARCH: the tracer refuses it, logged */
		*prog = native;
		return r;
	}
	if (flags & JT_SECCOMP_FOREIGN_STOPS)
		flags |= JT_SECCOMP_STOP_ALL;
	r = build_abi(p, flags, reserved_fd, foreign, JT_TRACE_FOREIGN, &second);
	if (r == 0)
		r = join(&native, &second, foreign->audit_arch, prog);
	free(native.filter);
	free(second.filter);
	return r;
}
