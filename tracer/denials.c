/*
 * Denials that explain themselves: the tracer counts each distinct denied
 * request (what was asked, and why it was refused), and at the end of the
 * run the summary names the most frequent ones with the option or policy
 * line that would grant them. A person whose program broke learns why in
 * one glance; `jailtrace learn` stays the tool for whole policies.
 *
 * Not on the hot path: only denials come here, and the table is bounded
 * (what does not fit is counted as "other"), so a program that provokes
 * millions of denials costs a bounded amount of memory and time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "compat/names.h"
#include "compat/syscalls.h"
#include "tracer/denials.h"
#include "tracer/internal.h"

#define JT_DENIALS_MAX 64

struct seen {
	int sys;
	int err;
	int rule;
	const char *builtin;	/* static strings of decide.c, net.c */
	int write;		/* a path request that changes something */
	const char *verb;	/* open, stat, rmdir, ... (static) */
	uint64_t count;
	int lacks;		/* the host lacks the path too: 1, 0, or -1 not looked at yet */
	char what[256];		/* path, address or ioctl name; "" for none */
	const char *by;		/* a proxy's refusal: which proxy (static); else NULL */
	char why[200];		/* and its reason */
};

struct jt_denials {
	size_t n;
	uint64_t other;		/* denials that did not fit in the table */
	struct seen e[JT_DENIALS_MAX];
};

/* The verb a person knows a call by: openat is an open, newfstatat a stat. */
static const char *verb(int sys, const uint64_t *args)
{
	switch (sys) {
	case JT_SYS_open: case JT_SYS_openat: case JT_SYS_openat2: case JT_SYS_creat:
		return "open";
	case JT_SYS_stat: case JT_SYS_lstat: case JT_SYS_newfstatat: case JT_SYS_statx:
		return "stat";
	case JT_SYS_access: case JT_SYS_faccessat: case JT_SYS_faccessat2:
		return "access";
	case JT_SYS_execve: case JT_SYS_execveat:
		return "exec";
	case JT_SYS_readlink: case JT_SYS_readlinkat:
		return "readlink";
	case JT_SYS_mkdir: case JT_SYS_mkdirat:
		return "mkdir";
	case JT_SYS_mknod: case JT_SYS_mknodat:
		return "mknod";
	case JT_SYS_unlink: case JT_SYS_rmdir:
		return sys == JT_SYS_rmdir ? "rmdir" : "unlink";
	case JT_SYS_unlinkat:
		return (args[2] & AT_REMOVEDIR) ? "rmdir" : "unlink";
	case JT_SYS_rename: case JT_SYS_renameat: case JT_SYS_renameat2:
		return "rename";
	case JT_SYS_link: case JT_SYS_linkat:
		return "link";
	case JT_SYS_symlink: case JT_SYS_symlinkat:
		return "symlink";
	case JT_SYS_chmod: case JT_SYS_fchmodat:
		return "chmod";
	case JT_SYS_chown: case JT_SYS_lchown: case JT_SYS_fchownat:
		return "chown";
	case JT_SYS_utime: case JT_SYS_utimes: case JT_SYS_utimensat:
		return "utimes";
	case JT_SYS_chdir:
		return "chdir";
	case JT_SYS_connect:
		return "connect";
	}
	return jt_sys_name(sys);
}

/* Does this path request change what it names (so --rw, not --ro, grants it)? */
static int is_write(int sys, const uint64_t *args)
{
	int flags;

	switch (sys) {
	case JT_SYS_open: flags = (int)args[1]; break;
	case JT_SYS_openat: flags = (int)args[2]; break;
	case JT_SYS_creat: return 1;
	case JT_SYS_stat: case JT_SYS_lstat: case JT_SYS_newfstatat: case JT_SYS_statx:
	case JT_SYS_access: case JT_SYS_faccessat: case JT_SYS_faccessat2:
	case JT_SYS_execve: case JT_SYS_execveat: case JT_SYS_readlink: case JT_SYS_readlinkat:
	case JT_SYS_chdir: case JT_SYS_statfs: case JT_SYS_connect:
	case JT_SYS_getxattr: case JT_SYS_lgetxattr: case JT_SYS_listxattr: case JT_SYS_llistxattr:
	case JT_SYS_inotify_add_watch:
		return 0;
	default:
		return jt_sysinfo[sys].name != NULL;
	}
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

/* A path the host itself lacks: granting it would change nothing. */
static int host_lacks(const char *path)
{
	struct stat st;

	return path[0] == '/' && lstat(path, &st) < 0 && errno == ENOENT;
}

/* host_lacks(s->what), looked at once per entry. */
static int lacks(struct seen *s)
{
	if (s->lacks < 0)
		s->lacks = host_lacks(s->what);
	return s->lacks;
}

/* What the caller learns of a denial: does it hide a path the host has? */
static int hides(const struct seen *s)
{
	return s->builtin && !strcmp(s->builtin, "not-in-view") && s->what[0] == '/' &&
	       !lacks((struct seen *)s);
}

/* What a denial names (@what) and its entry in the table, if it has one yet. */
static struct seen *entry_of(struct jt_denials *d, const struct jt_task *t,
			     const struct jt_request *rq, const struct jt_verdict *v,
			     const char *path, const char *addr, char what[256], int *wr)
{
	int sys = rq->abi ? rq->sys : -1;

	*wr = sys >= 0 && path && path[0] ? is_write(sys, rq->args) : 0;
	what[0] = '\0';
	if (path && path[0]) {
		/* a relative path is named as the absolute inside path a grant needs */
		const char *cwd = t && t->fs ? t->fs->cwd : "/";

		if (path[0] == '/')
			snprintf(what, 256, "%s", path);
		else
			snprintf(what, 256, "%s%s%s", cwd,
				 cwd[0] && cwd[strlen(cwd) - 1] == '/' ? "" : "/", path);
	} else if (addr && addr[0]) {
		snprintf(what, 256, "%s", addr);
	} else if (sys == JT_SYS_ioctl) {
		const char *n = jt_ioctl_name((uint32_t)rq->args[1]);

		if (n)
			snprintf(what, 256, "%s", n);
		else
			snprintf(what, 256, "0x%x", (unsigned)(uint32_t)rq->args[1]);
	}
	for (size_t i = 0; d && i < d->n; i++) {
		struct seen *s = &d->e[i];

		if (s->sys == sys && s->err == v->err && s->builtin == v->builtin &&
		    s->rule == v->rule && s->write == *wr && !strcmp(s->what, what) &&
		    (sys < 0 || s->verb == verb(sys, rq->args)))
			return s;
	}
	return NULL;
}

/* Does a denial not seen before take a stack? */
static int first_wants_stack(const struct jt_verdict *v, const char *what)
{
	struct seen one = { .builtin = v->builtin, .lacks = -1 };

	snprintf(one.what, sizeof(one.what), "%s", what);
	return !v->builtin || strcmp(v->builtin, "not-in-view") || hides(&one);
}

int jt_denial_hides(struct jt_run *run, const struct jt_task *t, const struct jt_request *rq,
		    const struct jt_verdict *v, const char *path, const char *addr)
{
	char what[256];
	int wr;
	struct seen *s = entry_of(run->denial_tab, t, rq, v, path, addr, what, &wr);

	return s ? hides(s) : first_wants_stack(v, what);
}

int jt_denial_note(struct jt_run *run, const struct jt_task *t, const struct jt_request *rq,
		   const struct jt_verdict *v, const char *path, const char *addr)
{
	struct jt_denials *d = run->denial_tab;
	int sys = rq->abi ? rq->sys : -1, wr;
	char what[256];
	struct seen *s;

	if (!d && !(d = run->denial_tab = calloc(1, sizeof(*d)))) {
		/* the summary is a courtesy: no memory, no hints (and a stack) */
		return 1;
	}
	s = entry_of(d, t, rq, v, path, addr, what, &wr);
	if (s) {
		s->count++;
		return hides(s);
	}
	if (d->n == JT_DENIALS_MAX) {
		/* not kept: looked at for this denial alone */
		d->other++;
		return first_wants_stack(v, what);
	}
	s = &d->e[d->n++];
	s->sys = sys;
	s->err = v->err;
	s->rule = v->rule;
	s->builtin = v->builtin;
	s->write = wr;
	s->verb = sys >= 0 ? verb(sys, rq->args) : "a call";
	s->count = 1;
	s->lacks = -1;
	memcpy(s->what, what, sizeof(s->what));
	return first_wants_stack(v, what);
}

void jt_denial_refused(struct jt_run *run, const char *by, const char *what, const char *why)
{
	struct jt_denials *d = run->denial_tab;
	struct seen *s;

	run->denials++;
	if (!d && !(d = run->denial_tab = calloc(1, sizeof(*d))))
		return;
	for (size_t i = 0; i < d->n; i++) {
		s = &d->e[i];
		if (s->by == by && !strncmp(s->what, what, sizeof(s->what) - 1) && !strncmp(s->why, why ? why : "", sizeof(s->why) - 1)) {
			s->count++;
			return;
		}
	}
	if (d->n == JT_DENIALS_MAX) {
		d->other++;
		return;
	}
	s = &d->e[d->n++];
	memset(s, 0, sizeof(*s));
	s->sys = -1;
	s->rule = -1;
	s->verb = "request";
	s->count = 1;
	s->by = by;
	snprintf(s->what, sizeof(s->what), "%s", what);
	snprintf(s->why, sizeof(s->why), "%s", why ? why : "refused");
}

/* The directory holding @path ("/" for "/x"). */
static void parent_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash && slash != path ? (size_t)(slash - path) : 1;

	snprintf(out, len, "%.*s", (int)n, path);
}

/* "address proto host:port" as net.c writes it: the endpoint alone. */
static const char *endpoint(const char *what)
{
	const char *sp = strchr(what, ' ');

	return sp ? sp + 1 : what;
}

/* A hint cut at the end of @out is still a hint: truncation is fine here. */
static void put(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

/*
 * Refusals that are no news to the person who ran the program: the
 * handover descriptor jailtrace keeps in every process (Python's
 * subprocess closes every descriptor it did not open, in each child) is
 * refused by design, and the program goes on as it would natively.
 */
static int by_design(const struct seen *s)
{
	return s->builtin && !strcmp(s->builtin, "handover-descriptor");
}

/* A request for a name lookup: the resolver's file, or a name server's port. */
static int is_dns(const struct seen *s)
{
	size_t n = strlen(s->what);

	if (s->by)
		return 0;	/* a proxy's refusal: not the program's own lookup */
	return !strcmp(s->what, "/etc/resolv.conf") || (n > 3 && !strcmp(s->what + n - 3, ":53"));
}

/* One line: what was asked, why it was refused, and what would grant it.
 * @dns: the run also asked for a name lookup, which --allow-dns grants. */
static void explain(const struct jt_policy *p, struct seen *s, int dns, char *out, size_t len)
{
	const char *b = s->builtin ? s->builtin : "";
	const char *name = s->sys >= 0 ? jt_sys_name(s->sys) : "a call";
	char head[300], dir[256];

	if (s->by) {
		put(out, len, "%s by %s: %s", s->what, s->by, s->why);
		return;
	}
	if (s->sys >= 0 && s->what[0])
		snprintf(head, sizeof(head), "%s %s",
			 s->sys == JT_SYS_ioctl ? "ioctl" : s->verb, s->what);
	else
		snprintf(head, sizeof(head), "%s", name);
	if ((is_dns(s) || (dns && !strcmp(b, "network-udp"))) && p->n_domains) {
		put(out, len, "%s: no name lookups \xe2\x80\x94 jailtrace's proxy resolves the names "
			 "--allow-domain grants ($HTTPS_PROXY, $HTTP_PROXY)", head);
	} else if (is_dns(s) || (dns && !strcmp(b, "network-udp"))) {
		put(out, len, "%s: no name lookups \xe2\x80\x94 grant with --allow-dns "
			 "(the host's name servers)", head);
	} else if (!strcmp(b, "not-in-view")) {
		if (s->sys == JT_SYS_connect || s->sys == JT_SYS_sendto || s->sys == JT_SYS_sendmsg ||
		    s->sys == JT_SYS_sendmmsg)	/* a unix socket, or a datagram's destination */
			put(out, len, "%s: not in the view \xe2\x80\x94 grant with --allow-unix %s", head, s->what);
		else if (!s->write)
			put(out, len, "%s: not in the view \xe2\x80\x94 grant with --ro %s", head, s->what);
		else if (!lacks(s))
			put(out, len, "%s: not in the view \xe2\x80\x94 grant with --rw %s:%s", head,
				 s->what, s->what);
		else {
			parent_of(s->what, dir, sizeof(dir));
			put(out, len, "%s: not in the view \xe2\x80\x94 grant a host directory with "
				 "--rw HOSTDIR:%s", head, dir);
		}
	} else if (!strcmp(b, JT_PART_OUTPUT)) {
		put(out, len, "%s: where jailtrace writes its audit log, result or --keep copies "
			 "(by design: the program may not change or move them)", head);
	} else if (s->err == EROFS) {
		/* a change to a read-only grant: the jail is where files are written;
		 * what does not exist yet needs its directory granted */
		if (lacks(s))
			parent_of(s->what, dir, sizeof(dir));
		else
			snprintf(dir, sizeof(dir), "%s", s->what);
		put(out, len, "%s: read-only (%s) \xe2\x80\x94 write under /tmp, /home/sandbox "
			 "or /work, or grant with --rw HOST:%s", head,
			 s->rule >= 0 ? jt_policy_where(p, s->rule) : "a read-only grant", dir);
	} else if (!strcmp(b, "exec-from-writable") || !strcmp(b, "exec-written-map") ||
		   !strcmp(b, "read-implies-exec")) {
		put(out, len, "%s: a file the program wrote \xe2\x80\x94 grant with --exec-jail "
			 "(policy line `exec jail`)", head);
	} else if (!strcmp(b, "link-to-read-only")) {
		put(out, len, "%s: a hard link to a read-only file (by design: copy it instead)",
			 head);
	} else if ((!strcmp(b, "network-off") || !strcmp(b, "network-local")) && p->n_domains) {
		/* the program went around the domain proxy (or the name it wants is not granted) */
		put(out, len, "%s: no direct connections \xe2\x80\x94 this run reaches names through "
			 "jailtrace's proxy ($HTTPS_PROXY, $HTTP_PROXY); grant a name with --allow-domain NAME",
			 head);
	} else if (!strcmp(b, "network-off") || !strcmp(b, "network-local")) {
		put(out, len, "%s: no network \xe2\x80\x94 grant with --allow-net %s", head,
			 s->what[0] ? endpoint(s->what) : "HOST:PORT");
	} else if (!strcmp(b, "network-bind")) {
		put(out, len, "%s: listening is off \xe2\x80\x94 grant with --allow-bind %s", head,
			 s->what[0] ? endpoint(s->what) : "ADDR:PORT");
	} else if (!strcmp(b, "network-udp")) {
		put(out, len, "%s: no UDP \xe2\x80\x94 grant with --allow-udp HOST:PORT", head);
	} else if (!strcmp(b, "ioctl-not-allowed")) {
		put(out, len, "%s: not on the ioctl list \xe2\x80\x94 grant with the policy line "
			 "\"ioctl allow %s\"", head, s->what);
	} else if (!strcmp(b, "target-outside")) {
		put(out, len, "%s: the target is outside the sandbox (by design; not grantable)",
			 head);
	} else if (s->builtin) {
		put(out, len, "%s: refused by the built-in check %s (by design; not grantable)",
			 head, s->builtin);
	} else if (s->sys >= 0 && s->err == ENOSYS && s->rule < 0) {
		put(out, len, "%s: no rule allows it \xe2\x80\x94 grant with the policy line "
			 "\"allow %s\"", head, name);
	} else if (s->sys == JT_SYS_execve || s->sys == JT_SYS_execveat) {
		put(out, len, "%s: %s forbids exec \xe2\x80\x94 grant with the policy line "
			 "\"process exec allow\"", head, jt_policy_where(p, s->rule));
	} else if (s->err == EAGAIN && (s->sys == JT_SYS_clone || s->sys == JT_SYS_fork ||
					s->sys == JT_SYS_vfork)) {
		put(out, len, "%s: %s forbids it \xe2\x80\x94 grant with the policy line "
			 "\"process fork allow\" (or \"process thread allow\")", head,
			 jt_policy_where(p, s->rule));
	} else {
		put(out, len, "%s: %s (%s)", head, jt_errno_name(s->err) ? jt_errno_name(s->err)
			 : "refused", jt_policy_where(p, s->rule));
	}
}

static int by_count(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

void jt_denials_explain(struct jt_run *run, struct jt_result *res)
{
	struct jt_denials *d = run->denial_tab;
	uint64_t absent = 0, design = 0;
	int dns = 0;

	res->n_hints = 0;
	res->hints_more = 0;
	if (!d)
		return;
	qsort(d->e, d->n, sizeof(d->e[0]), by_count);
	for (size_t i = 0; i < d->n; i++)
		dns |= is_dns(&d->e[i]);
	for (size_t i = 0; i < d->n; i++) {
		struct seen *s = &d->e[i];

		if (by_design(s)) {
			design += s->count;
			continue;
		}

		/* a lookup of what this host lacks too fails natively the same way */
		if (s->builtin && !strcmp(s->builtin, "not-in-view") && lacks(s)) {
			if (!s->write) {
				absent += s->count;
				continue;
			}
		}
		if (res->n_hints == JT_RESULT_HINTS) {
			res->hints_more += s->count;
			continue;
		}
		res->hints[res->n_hints].count = s->count;
		explain(run->policy, s, dns, res->hints[res->n_hints].text,
			sizeof(res->hints[res->n_hints].text));
		res->n_hints++;
	}
	res->hints_more += d->other;
	res->hints_absent = absent;
	res->hints_by_design = design;
}

void jt_denials_free(struct jt_run *run)
{
	free(run->denial_tab);
	run->denial_tab = NULL;
}
