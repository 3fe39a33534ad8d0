/*
 * The decision function. Policy first (is the syscall allowed at all?),
 * then the built-in check of the syscall, on the facts in the request.
 * Every denial leaves this file through deny(), which names its rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
 * Sockets: unix ones of every type (under a view, every address they reach
 * is decided where it is read: connect in fs.c, the address of each
 * datagram in net.c, whatever the type number: the kernel makes SOCK_RAW a
 * datagram socket), TCP always (its connect is decided), UDP and ping only
 * with a UDP grant, since every datagram may carry an address. The rest
 * (raw, packet, netlink, ...) is what a host without them answers.
 */
static int check_socket(const struct jt_policy *p, const struct jt_request *rq,
			struct jt_verdict *v, int rule)
{
	int family = (int)rq->args[0], type = (int)rq->args[1] & 0xf, proto = (int)rq->args[2];

	if (family == AF_UNIX)
		return allow(v, rule);
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
	case JT_CHECK_SOCKETPAIR: {
		int type = (int)rq->args[1] & 0xf;

		/* a datagram pair (SOCK_DGRAM, or SOCK_RAW, which the kernel makes
		 * one) can address other sockets: each send is decided (net.c),
		 * and under a view the pair itself is on the record */
		v->quiet = !p->n_grants || (type != SOCK_DGRAM && type != SOCK_RAW);
		return allow(v, rule);
	}
	case JT_CHECK_NET:
		/* what the address reaches is decided where it is read: tracer/net.c */
		return allow(v, rule);
	case JT_CHECK_AFFINITY:
		v->quiet = 1;
		return allow(v, rule);
	case JT_CHECK_IOCTL: {
		int r = jt_policy_ioctl(p, (uint32_t)rq->args[c->arg]);

		/* the foreground group of the caller's terminal, a job control
		 * shell's tcsetpgrp: only in a session of the sandbox's own, whose
		 * terminal is a pty of its own and whose groups are all inside (the
		 * kernel takes only the caller's terminal and a group of its session) */
		if (r < 0 && (uint32_t)rq->args[c->arg] == TIOCSPGRP && rq->target == JT_TARGET_SANDBOX)
			return allow(v, rule);
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
	case JT_CHECK_EPOLL_ADD:
		/* under a view the tracer counts the watch (tracer/fs.c) */
		v->quiet = 1;
		return allow(v, rule);
	case JT_CHECK_MAP_EXEC:
		/* i386's old mmap reads its arguments from memory another thread
		 * may rewrite after the check; libcs use mmap2 */
		if (rq->sys == JT_SYS_mmap && rq->abi && rq->abi->id == JT_ABI_I386 && p->n_grants)
			return deny(v, ENOSYS, -1, "old-mmap");
		/* what a noexec mount answers: mmap EPERM, mprotect EACCES */
		if (rq->map_written && !p->exec_jail)
			return deny(v, rq->sys == JT_SYS_mprotect || rq->sys == JT_SYS_pkey_mprotect
				       ? EACCES : EPERM, -1, "exec-written-map");
		v->quiet = 1;
		return allow(v, rule);
	case JT_CHECK_PERSONALITY:
		/* 0xffffffff only asks; any other value with READ_IMPLIES_EXEC sets it */
		if (p->n_grants && !p->exec_jail && (uint32_t)rq->args[0] != 0xffffffffu &&
		    (rq->args[0] & READ_IMPLIES_EXEC))
			return deny(v, EPERM, -1, "read-implies-exec");
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
			deny(v, EROFS, f->rule, f->rule >= 0 ? NULL :
			     f->part && !strcmp(f->part, JT_PART_OUTPUT) ? JT_PART_OUTPUT : "read-only");
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
	/* no policy line holds it: the part of the view that does says why, and
	 * a log that said "default-deny" for an allow would mislead its reader */
	if (f->rule < 0)
		v->builtin = f->part ? f->part : "view";
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

/* ------------------------------------------- the view, for a resolved path */

const char *const jt_jail_dirs[JT_JAIL_DIRS] = { "/tmp", "/home/sandbox", "/work", "/dev/shm" };

/* Files jailtrace writes into every view (tracer/jail.c): read-only. */
static const char *const own_files[] = { "/etc/passwd", "/etc/group", "/etc/hosts" };

/* Is @path @top or below it? */
static int under(const char *path, const char *top)
{
	size_t n = strlen(top);

	if (n == 1 && top[0] == '/')
		return path[0] == '/';
	return !strncmp(path, top, n) && (path[n] == '\0' || path[n] == '/');
}

/* Is @path a directory that leads to @top ("/" and "/etc" lead to "/etc/ssl")? */
static int leads_to(const char *path, const char *top)
{
	size_t n = strlen(path);

	if (n == 1 && path[0] == '/')
		return 1;
	return !strncmp(top, path, n) && top[n] == '/';
}

int jt_path_access_of(int sys, const uint64_t args[6], int recorded_err, enum jt_path_access *a)
{
	int flags;

	switch (sys) {
	case JT_SYS_open: flags = (int)args[1]; goto open;
	case JT_SYS_openat: flags = (int)args[2]; goto open;
	case JT_SYS_creat:
		*a = JT_PATH_CREATE;
		return 0;
	case JT_SYS_stat: case JT_SYS_lstat: case JT_SYS_newfstatat: case JT_SYS_statx:
	case JT_SYS_stat64: case JT_SYS_lstat64: case JT_SYS_fstatat64:
	case JT_SYS_access: case JT_SYS_faccessat: case JT_SYS_faccessat2:
	case JT_SYS_readlink: case JT_SYS_readlinkat: case JT_SYS_chdir:
	case JT_SYS_statfs: case JT_SYS_statfs64:
	case JT_SYS_getxattr: case JT_SYS_lgetxattr: case JT_SYS_listxattr: case JT_SYS_llistxattr:
	case JT_SYS_inotify_add_watch: case JT_SYS_connect:
		*a = JT_PATH_LOOKUP;
		return 0;
	case JT_SYS_mkdir: case JT_SYS_mkdirat: case JT_SYS_mknod: case JT_SYS_mknodat:
	case JT_SYS_symlink: case JT_SYS_symlinkat: case JT_SYS_unlink: case JT_SYS_unlinkat:
	case JT_SYS_rmdir: case JT_SYS_rename: case JT_SYS_renameat: case JT_SYS_renameat2:
	case JT_SYS_bind:
		*a = JT_PATH_CREATE;
		return 0;
	case JT_SYS_link: case JT_SYS_linkat:
		*a = JT_PATH_LINK_SOURCE;
		return 0;
	case JT_SYS_chmod: case JT_SYS_fchmodat: case JT_SYS_fchmodat2:
	case JT_SYS_chown: case JT_SYS_lchown: case JT_SYS_fchownat: case JT_SYS_chown32:
	case JT_SYS_lchown32: case JT_SYS_truncate: case JT_SYS_truncate64:
	case JT_SYS_utime: case JT_SYS_utimes: case JT_SYS_utimensat: case JT_SYS_utimensat_time64:
	case JT_SYS_setxattr: case JT_SYS_lsetxattr: case JT_SYS_removexattr: case JT_SYS_lremovexattr:
		*a = JT_PATH_WRITE;
		return 0;
	case JT_SYS_execve: case JT_SYS_execveat:
		*a = JT_PATH_EXEC;
		return 0;
	}
	return -1;
open:
	if ((flags & __O_TMPFILE) == __O_TMPFILE)
		*a = JT_PATH_CREATE;
	else if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) ||
		 ((flags & O_CREAT) && ((flags & O_EXCL) || recorded_err == EROFS)))
		*a = JT_PATH_WRITE;	/* a change, as creating is (both need a writable grant) */
	else if (flags & O_PATH)
		*a = JT_PATH_LOOKUP;
	else
		*a = JT_PATH_READ;	/* O_CREAT of what exists: the tracer reads it */
	return 0;
}

/* Is the host path of grant @g there? The view leaves out what the host lacks. */
static int on_host(const struct jt_grant *g)
{
	struct stat st;

	return lstat(g->host, &st) == 0;
}

int jt_grant_of(const struct jt_policy *p, const char *inside)
{
	size_t best_len = 0;
	int best = -1;

	/* the longest grant that holds it, as the walk finds it step by step;
	 * of two grants of one inside path, the later (the view keeps it); a
	 * grant whose host path is missing is not in the view at all */
	for (size_t i = 0; inside[0] == '/' && i < p->n_grants; i++) {
		size_t n = strlen(p->grants[i].inside);

		if (under(inside, p->grants[i].inside) && (best < 0 || n >= best_len) &&
		    on_host(&p->grants[i]))
			best = (int)i, best_len = n;
	}
	return best;
}

int jt_view_dir_facts(const struct jt_policy *p, const char *inside, struct jt_path_facts *f)
{
	int cmd = -1, pol = -1;

	f->in_view = f->writable = 0;
	f->rule = -1;
	f->part = NULL;
	if (inside[0] != '/')
		return 0;
	for (size_t i = 0; i < JT_JAIL_DIRS; i++)
		if (leads_to(inside, jt_jail_dirs[i]))
			goto always;
	for (size_t i = 0; i < sizeof(own_files) / sizeof(own_files[0]); i++)
		if (leads_to(inside, own_files[i]))
			goto always;
	for (size_t i = 0; i < p->n_grants; i++) {
		const struct jt_grant *g = &p->grants[i];

		if (!leads_to(inside, g->inside))
			continue;
		if (g->rule < 0)
			goto always;	/* jailtrace's own (the jail of --jail, its files) */
		if (jt_policy_where(p, g->rule)[0] == '-') {
			if (cmd < 0)
				cmd = g->rule;
		} else if (pol < 0 && on_host(g)) {
			pol = g->rule;
		}
	}
	f->rule = cmd >= 0 ? cmd : pol;
	f->in_view = f->rule >= 0;
	return f->in_view;
always:
	f->in_view = 1;
	f->part = "view-dir";
	return 1;
}

int jt_path_facts_of(const struct jt_policy *p, const char *inside, struct jt_path_facts *f)
{
	int gi = jt_grant_of(p, inside);
	const struct jt_grant *best = gi >= 0 ? &p->grants[gi] : NULL;
	size_t best_len = best ? strlen(best->inside) : 0;

	f->in_view = 0;
	f->writable = 0;
	f->rule = -1;
	f->part = NULL;
	if (inside[0] != '/')
		return -1;
	for (size_t i = 0; i < JT_JAIL_DIRS; i++) {
		size_t n = strlen(jt_jail_dirs[i]);

		if (under(inside, jt_jail_dirs[i]) && (!best || n >= best_len)) {
			best = NULL, best_len = n;
			f->in_view = f->writable = 1;
			f->rule = -1;
			f->part = "jail";
		}
	}
	for (size_t i = 0; i < sizeof(own_files) / sizeof(own_files[0]); i++)
		if (!strcmp(inside, own_files[i])) {
			f->in_view = 1;
			f->writable = 0;
			f->rule = -1;
			f->part = "own-file";
			return 0;
		}
	/* the sandbox's own terminal and ptys (tracer/ptys.c): no grant holds
	 * them, the run made them; /dev/pts/ptmx is a grant */
	if (!strcmp(inside, "/dev/tty") ||
	    (!strncmp(inside, "/dev/pts/", 9) && inside[9] && strcmp(inside + 9, "ptmx"))) {
		f->in_view = f->writable = 1;
		f->rule = -1;
		f->part = "pty";
		return 0;
	}
	if (best) {
		f->in_view = 1;
		f->writable = best->writable;
		f->rule = best->rule;
		f->part = NULL;
		return 0;
	}
	if (f->in_view)
		return 0;
	/* a directory that only leads to grants: a real, empty, read-only one */
	jt_view_dir_facts(p, inside, f);
	return 0;
}
