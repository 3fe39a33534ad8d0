/*
 * A logged decision back into the request jt_decide saw. The record holds
 * the raw register arguments and the facts the tracer looked up, so the
 * same function can decide it again; nothing here decides.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "compat/names.h"
#include "reports/replay.h"

int jt_request_from_rec(const struct jt_rec_syscall *s, struct jt_request *rq, char *why, size_t len)
{
	const struct jt_abi *abi = jt_abi_by_name(s->abi);

	memset(rq, 0, sizeof(*rq));
	if (s->nraw < 0) {
		snprintf(why, len, "a %s record without \"raw\" arguments cannot be decided again",
			 s->name ? s->name : "syscall");
		return -EINVAL;
	}
	/* as the tracer does: the native ABI and i386 are handled; x32 is
	 * refused by name (builtin:abi-not-handled) */
	rq->abi = jt_abi_handled(abi) ? abi : NULL;
	rq->audit_arch = abi ? abi->audit_arch : 0;
	rq->nr = (long)s->nr;
	rq->sys = -1;
	if (s->name) {
		rq->sys = jt_sys_by_name(s->name);
		if (rq->sys < 0) {
			snprintf(why, len, "syscall \"%s\" is unknown to this jailtrace", s->name);
			return -EINVAL;
		}
	}
	for (int i = 0; i < s->nraw && i < 6; i++)
		rq->args[i] = s->raw[i];
	rq->target = s->has_target ? s->target : JT_TARGET_NONE;
	rq->first_exec = s->first_exec;
	return 0;
}

int jt_rec_errno(const char *name)
{
	char *end;
	long v;

	if (!name)
		return -1;
	if (name[0] == 'E')
		return jt_errno_by_name(name) < 0 ? -1 : jt_errno_by_name(name);
	v = strtol(name, &end, 10);
	return *end || v <= 0 || v > 4095 ? -1 : (int)v;
}

int jt_rec_by_transport(const struct jt_rec_syscall *s)
{
	/* the built-in checks of jt_decide; any other builtin is the transport's */
	static const char *const decide[] = {
		"target-outside", "no-such-process", "clone-flags", "forbidden-flags", "network-family",
		"network-udp", "network-raw", "network-protocol", "unix-datagram",
		"ioctl-not-allowed", "abi-not-handled", "fcntl-setown-ex", "unknown-check",
	};

	if (s->path)
		return 1;
	if (strncmp(s->rule, "builtin:", 8))
		return 0;
	for (size_t i = 0; i < sizeof(decide) / sizeof(decide[0]); i++)
		if (!strcmp(s->rule + 8, decide[i]))
			return 0;
	return 1;
}

int jt_verdict_matches(const struct jt_rec_syscall *s, const struct jt_verdict *v)
{
	if (s->allow || v->allow)
		return s->allow == v->allow;
	return jt_rec_errno(s->err) == v->err;
}
