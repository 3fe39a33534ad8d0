/*
 * The decision function. Policy first (is the syscall allowed at all?),
 * then the built-in check of the syscall, on the facts in the request.
 * Every denial leaves this file through deny(), which names its rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sched.h>
#include <netinet/in.h>
#include "filters/decide.h"
#include "filters/net.h"

#ifndef F_SETOWN_EX
#define F_SETOWN_EX 15
#endif

static int deny(struct jt_verdict *v, int err, int rule, const char *builtin)
{
	v->allow = 0;
	v->err = err;
	v->rule = rule;
	v->builtin = builtin;
	return 0;
}

static int allow(struct jt_verdict *v, int rule)
{
	v->allow = 1;
	v->err = 0;
	v->rule = rule;
	v->builtin = NULL;
	return 0;
}

static int check_target(const struct jt_policy *p, const struct jt_request *rq,
			struct jt_verdict *v, int rule)
{
	if (rq->target == JT_TARGET_OUTSIDE)
		return deny(v, EPERM, rule, "target-outside");
	if (rq->target == JT_TARGET_GONE)
		return deny(v, ESRCH, rule, "no-such-process");
	if (p->signal_self_only && rq->target == JT_TARGET_SANDBOX &&
	    (rq->sys == JT_SYS_kill || rq->sys == JT_SYS_tkill || rq->sys == JT_SYS_tgkill ||
	     rq->sys == JT_SYS_rt_sigqueueinfo || rq->sys == JT_SYS_rt_tgsigqueueinfo))
		return deny(v, EPERM, p->process_rule[3], NULL);
	return allow(v, rule);
}

static int check_clone(const struct jt_policy *p, const struct jt_request *rq,
		       const struct jt_check *c, struct jt_verdict *v, int rule)
{
	uint64_t flags = rq->args[c->arg];

	if (flags & c->mask)
		return deny(v, EPERM, rule, "clone-flags");
	if ((flags & CLONE_THREAD) && !p->may_thread)
		return deny(v, EAGAIN, p->process_rule[1], NULL);
	if (!(flags & CLONE_THREAD) && !p->may_fork)
		return deny(v, EAGAIN, p->process_rule[0], NULL);
	return allow(v, rule);
}

static int check_fcntl(const struct jt_request *rq, struct jt_verdict *v, int rule)
{
	long cmd = (int)rq->args[1];

	if (cmd == F_SETOWN_EX)
		return deny(v, EPERM, rule, "fcntl-setown-ex");
	if (cmd == F_SETOWN && rq->target == JT_TARGET_OUTSIDE)
		return deny(v, EPERM, rule, "target-outside");
	return allow(v, rule);
}

/*
 * Sockets: unix ones (not datagrams under a view: they could address any
 * socket of the host), TCP always (its connect is decided), UDP and ping
 * only with a UDP grant, since every datagram may carry an address. The
 * rest (raw, packet, netlink, ...) is what a host without them answers.
 */
static int check_socket(const struct jt_policy *p, const struct jt_request *rq,
			struct jt_verdict *v, int rule)
{
	int family = (int)rq->args[0], type = (int)rq->args[1] & 0xf, proto = (int)rq->args[2];

	if (family == AF_UNIX) {
		if (p->n_grants && type == SOCK_DGRAM)
			return deny(v, EACCES, rule, "unix-datagram");
		return allow(v, rule);
	}
	if (family != AF_INET && family != AF_INET6)
		return deny(v, EAFNOSUPPORT, rule, "network-family");
	if (type == SOCK_STREAM)
		return proto == 0 || proto == IPPROTO_TCP ? allow(v, rule)
							  : deny(v, EPROTONOSUPPORT, rule, "network-protocol");
	if (type == SOCK_RAW)
		return deny(v, EPERM, rule, "network-raw");
	if (type != SOCK_DGRAM)
		return deny(v, ESOCKTNOSUPPORT, rule, "network-protocol");
	if (proto != 0 && proto != IPPROTO_UDP && proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6)
		return deny(v, EPROTONOSUPPORT, rule, "network-protocol");
	if (!jt_net_may_udp(p))
		return deny(v, EACCES, rule, "network-udp");
	return allow(v, rule);
}

int jt_decide(const struct jt_policy *p, const struct jt_request *rq, struct jt_verdict *v)
{
	const struct jt_check *c;
	int rule;

	memset(v, 0, sizeof(*v));
	if (!rq->abi)
		return deny(v, ENOSYS, -1, "abi-not-handled");
	/* as on a kernel built without it: no call of that ABI exists */
	if (p->abi_refused[rq->abi->id])
		return deny(v, ENOSYS, p->abi_rule[rq->abi->id], NULL);
	if (rq->sys < 0 || rq->sys >= JT_SYS_COUNT)
		return deny(v, ENOSYS, -1, NULL);
	rule = p->rule[rq->sys];
	switch (p->action[rq->sys]) {
	case JT_UNLISTED:
		return deny(v, ENOSYS, -1, NULL);
	case JT_DENY:
		v->quiet = 1;
		return deny(v, p->err[rq->sys], rule, NULL);
	}

	c = jt_check_of(rq->sys);
	switch (c->kind) {
	case JT_CHECK_NONE:
		v->quiet = 1;
		return allow(v, rule);
	case JT_CHECK_KILL:
	case JT_CHECK_PID:
	case JT_CHECK_SETAFFINITY:
	case JT_CHECK_TID:
	case JT_CHECK_PRIO:
	case JT_CHECK_SETPGID:
		return check_target(p, rq, v, rule);
	case JT_CHECK_FCNTL:
		return check_fcntl(rq, v, rule);
	case JT_CHECK_FLAGS:
		if (rq->args[c->arg] & c->mask)
			return deny(v, EPERM, rule, "forbidden-flags");
		return allow(v, rule);
	case JT_CHECK_CLONE:
		return check_clone(p, rq, c, v, rule);
	case JT_CHECK_FORK:
		if (!p->may_fork)
			return deny(v, EAGAIN, p->process_rule[0], NULL);
		return allow(v, rule);
	case JT_CHECK_SOCKET:
		return check_socket(p, rq, v, rule);
	case JT_CHECK_SOCKETPAIR:
		/* a datagram pair can still send to any named unix socket of the host */
		if (p->n_grants && ((int)rq->args[1] & 0xf) == SOCK_DGRAM)
			return deny(v, EOPNOTSUPP, rule, "unix-datagram");
		v->quiet = 1;
		return allow(v, rule);
	case JT_CHECK_NET:
		/* what the address reaches is decided where it is read: tracer/net.c */
		return allow(v, rule);
	case JT_CHECK_AFFINITY:
		v->quiet = 1;
		return allow(v, rule);
	case JT_CHECK_IOCTL: {
		int r = jt_policy_ioctl(p, (uint32_t)rq->args[c->arg]);

		if (r < 0)
			return deny(v, ENOTTY, -1, "ioctl-not-allowed");
		return allow(v, r);
	}
	case JT_CHECK_EXEC:
		if (!rq->first_exec && !p->may_exec)
			return deny(v, EACCES, p->process_rule[2], NULL);
		return allow(v, rule);
	case JT_CHECK_PATH:
		/* without a view the kernel resolves paths; with one, the tracer does */
		v->quiet = !p->n_grants;
		return allow(v, rule);
	case JT_CHECK_VIEW_DENY:
		if (p->n_grants)
			return deny(v, c->err, -1, "not-in-this-view-yet");
		v->quiet = 1;
		return allow(v, rule);
	case JT_CHECK_RESERVED_FD:
		if (rq->reserved_fd > 2 && (int)rq->args[c->arg] == rq->reserved_fd)
			return deny(v, EBADF, -1, "handover-descriptor");
		v->quiet = 1;
		return allow(v, rule);
	case JT_CHECK_SOCKETCALL:
		/* the transport decodes it into the call it carries first */
		return deny(v, ENOSYS, -1, "socketcall-not-decoded");
	case JT_CHECK_CLOSE_RANGE:
		/* libc and Python fall back to closing one by one, which keeps it */
		if (rq->reserved_fd > 2 && (unsigned)rq->args[0] <= (unsigned)rq->reserved_fd &&
		    (unsigned)rq->args[1] >= (unsigned)rq->reserved_fd)
			return deny(v, EINVAL, -1, "handover-descriptor");
		v->quiet = 1;
		return allow(v, rule);
	}
	return deny(v, ENOSYS, -1, "unknown-check");
}

void jt_decide_path(const struct jt_policy *p, enum jt_path_access a,
		    const struct jt_path_facts *f, struct jt_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!f->in_view) {
		deny(v, ENOENT, -1, "not-in-view");
		return;
	}
	switch (a) {
	case JT_PATH_WRITE:
	case JT_PATH_CREATE:
		if (!f->writable) {
			deny(v, EROFS, f->rule, f->rule < 0 ? "read-only" : NULL);
			return;
		}
		break;
	case JT_PATH_LINK_SOURCE:
		if (!f->writable) {
			deny(v, EPERM, f->rule, "link-to-read-only");
			return;
		}
		break;
	case JT_PATH_EXEC:
		/* a file the program wrote (a writable grant, a memfd) runs only under
		 * `exec jail`, and is then checked again at the exec event (tracer) */
		if (f->writable && !p->exec_jail) {
			deny(v, EACCES, -1, "exec-from-writable");
			return;
		}
		if (f->writable) {
			allow(v, p->exec_rule);
			return;
		}
		break;
	default:
		break;
	}
	allow(v, f->rule);
}

const char *jt_verdict_rule(const struct jt_policy *p, const struct jt_verdict *v,
			    char *buf, size_t len)
{
	if (v->builtin) {
		snprintf(buf, len, "builtin:%s", v->builtin);
		return buf;
	}
	return jt_policy_where(p, v->rule);
}

const char *jt_target_name(enum jt_target t)
{
	static const char *names[] = { "none", "self", "sandbox", "outside", "gone" };

	return (unsigned)t < 5 ? names[t] : "?";
}
