/*
 * `jailtrace learn`: a policy from what a run did.
 *
 * The evidence is the log's decided requests (with --audit full: every
 * call), the spawn and exec records, and the run's own policy (the base).
 * What the log cannot show stays as the base has it; what it shows unused
 * is closed. The result is written as a complete policy (no include, so a
 * later jailtrace's default cannot change it) and checked: every recorded
 * request, decided again under it by jt_decide, must come out as it did.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "compat/names.h"
#include "filters/policy.h"
#include "reports/learn.h"
#include "reports/replay.h"

struct sysstat {
	unsigned long allowed, denied;
	char *first;		/* the first call, as text */
	char *deny_rule;	/* the first denial's rule and errno */
	int deny_err;
	int proc_denied;	/* a process rule denied it: the syscall stays allowed */
};

struct vreq {
	struct jt_request rq;
	unsigned long line;
	int allow, err;
	int path;		/* a decision of the file-system view */
	/* what jt_redecide_path needs of the record */
	char *fpath, *rule, *errname, *asked;
};

/* A path the run's view decisions rested on (see used_paths()). */
struct used {
	char *path;
	int exec;		/* an exec: its interpreter is walked in the view too */
};

struct learn {
	struct sysstat st[JT_SYS_COUNT];
	int full;
	int spawns;			/* spawn records; the first is jailtrace's own */
	int need_fork, need_thread, need_exec, need_signal_sandbox;
	uint32_t *ioctl_ok, *ioctl_bad;
	size_t n_ok, n_bad;
	struct vreq *v;
	size_t nv;
	json_t *run, *end;
	unsigned long allowed, denied;
	char **net;			/* "net connect 1.2.3.4:443" the run was allowed */
	char **net_rule;		/* the rule that allowed each */
	size_t n_net;
	char **domain_rules;		/* rules of allowed "egress" records: their proxy's port is theirs */
	size_t n_domain_rules;
	struct used *used;		/* paths the view held for the run */
	size_t n_used;
	/* what the policy will say */
	unsigned char act[JT_SYS_COUNT];
	short err[JT_SYS_COUNT];
};

static int is_signal(int sys)
{
	return sys == JT_SYS_kill || sys == JT_SYS_tkill || sys == JT_SYS_tgkill ||
	       sys == JT_SYS_rt_sigqueueinfo || sys == JT_SYS_rt_tgsigqueueinfo;
}

/*
 * Calls whose check has no fast path in filters/seccomp.c (checked_rule):
 * every one of them stops and is logged, so a log without any means the
 * run never made them. The others (pid 0, AF_UNIX, listed ioctls, ...)
 * may have run in the kernel without a trace.
 */
static int always_stops(int sys)
{
	int k = jt_check_of(sys)->kind;

	return k == JT_CHECK_KILL || k == JT_CHECK_TID || k == JT_CHECK_EXEC;
}

static int add_code(uint32_t **arr, size_t *n, uint32_t code)
{
	uint32_t *a;

	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i] == code)
			return 0;
	a = realloc(*arr, (*n + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	a[(*n)++] = code;
	*arr = a;
	return 0;
}

static int has_code(const uint32_t *arr, size_t n, uint32_t code)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i] == code)
			return 1;
	return 0;
}

/* A denial that a process rule made: the syscall itself must stay allowed. */
static int by_process_rule(const struct jt_rec_syscall *s, int sys)
{
	int err = jt_rec_errno(s->err);

	if (!strncmp(s->rule, "builtin:", 8) || !strcmp(s->rule, "default-deny"))
		return 0;
	if ((sys == JT_SYS_fork || sys == JT_SYS_vfork || sys == JT_SYS_clone) && err == EAGAIN)
		return 1;
	if ((sys == JT_SYS_execve || sys == JT_SYS_execveat) && err == EACCES)
		return 1;
	return is_signal(sys) && err == EPERM && s->has_target && s->target == JT_TARGET_SANDBOX;
}

/*
 * An address the run was allowed to reach becomes the narrowest rule for
 * it. The proxy's port changes every run: its `proxy` line grants it.
 */
static int add_net(struct learn *L, const char *line, const char *rule)
{
	char **n, **nr;

	for (size_t i = 0; i < L->n_net; i++)
		if (!strcmp(L->net[i], line))
			return 0;
	if (!(n = realloc(L->net, (L->n_net + 1) * sizeof(*n))))
		return -ENOMEM;
	L->net = n;
	if (!(nr = realloc(L->net_rule, (L->n_net + 1) * sizeof(*nr))))
		return -ENOMEM;
	L->net_rule = nr;
	if (!(n[L->n_net] = strdup(line)) || !(nr[L->n_net] = strdup(rule ? rule : ""))) {
		free(n[L->n_net]);
		return -ENOMEM;
	}
	L->n_net++;
	return 0;
}

static int learn_net(struct learn *L, const struct jt_rec_syscall *s, int sys)
{
	const char *kind = sys == JT_SYS_bind || sys == JT_SYS_listen ? "bind" : "connect";
	char line[160];

	if (!s->allow || !s->addr || !strcmp(s->rule, "--proxy") || strlen(s->addr) < 5)
		return 0;
	snprintf(line, sizeof(line), "net %s %s%s", kind, s->addr + 4,
		 !strncmp(s->addr, "udp", 3) ? " udp" : "");
	return add_net(L, line, s->rule);
}

/* A name the domain proxy reached: `net domain NAME:PORT`; refused ones stay closed. */
static int learn_egress(struct learn *L, json_t *o)
{
	json_t *name = json_object_get(o, "name"), *port = json_object_get(o, "port");
	json_t *dec = json_object_get(o, "decision"), *rule = json_object_get(o, "rule");
	char line[320], **n;

	if (!json_is_string(name) || !json_is_integer(port) || !json_is_string(dec) ||
	    strcmp(json_string_value(dec), "allow"))
		return 0;
	/* a name is the program's: one that is not a host name is no grant */
	if (!*json_string_value(name) ||
	    json_string_value(name)[strspn(json_string_value(name),
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_*")])
		return 0;
	snprintf(line, sizeof(line), "net domain %s:%lld", json_string_value(name),
		 (long long)json_integer_value(port));
	if (json_is_string(rule)) {
		size_t i;

		for (i = 0; i < L->n_domain_rules; i++)
			if (!strcmp(L->domain_rules[i], json_string_value(rule)))
				break;
		if (i == L->n_domain_rules) {
			if (!(n = realloc(L->domain_rules, (i + 1) * sizeof(*n))) ||
			    !(n[i] = strdup(json_string_value(rule))))
				return n ? (L->domain_rules = n, -ENOMEM) : -ENOMEM;
			L->domain_rules = n;
			L->n_domain_rules++;
		}
	}
	return add_net(L, line, NULL);
}

/* A connect to the domain proxy's port of that run (its rule is a domain rule): not a grant of its own. */
static int proxy_port_line(const struct learn *L, size_t i)
{
	if (strncmp(L->net[i], "net connect 127.0.0.1:", 22))
		return 0;
	for (size_t k = 0; k < L->n_domain_rules; k++)
		if (!strcmp(L->net_rule[i], L->domain_rules[k]))
			return 1;
	return 0;
}

static int add_used(struct learn *L, const char *path, int exec)
{
	struct used *u;

	if (!path || path[0] != '/')
		return 0;
	/* the run's own /proc/PID needs no grant, but the view's /proc to walk
	 * through: a directory only while a grant lies under it */
	if (jt_is_proc_of_run(path))
		path = "/proc";
	for (size_t i = 0; i < L->n_used; i++)
		if (!strcmp(L->used[i].path, path)) {
			L->used[i].exec |= exec;
			return 0;
		}
	if (L->n_used % 256 == 0) {
		u = realloc(L->used, (L->n_used + 256) * sizeof(*u));
		if (!u)
			return -ENOMEM;
		L->used = u;
	}
	if (!(L->used[L->n_used].path = strdup(path)))
		return -ENOMEM;
	L->used[L->n_used++].exec = exec;
	return 0;
}

/*
 * The paths a view decision of the run rested on: for what it allowed, the
 * inside path resolved and the path asked for (it may pass through a link
 * the view shows, /lib -> usr/lib); for what it refused inside the view
 * (EROFS, an exec from the jail), the path, so the refusal stays the same.
 * Refusals outside the view need nothing; a command-line grant (--ro,
 * --rw) is not the policy's.
 */
static int learn_path(struct learn *L, const struct jt_rec_syscall *s, int sys)
{
	int exec = sys == JT_SYS_execve || sys == JT_SYS_execveat;
	int r = 0;

	if (!s->path || s->addr || (s->rule && s->rule[0] == '-'))
		return 0;
	if (!s->allow && s->rule && !strcmp(s->rule, "builtin:not-in-view"))
		return 0;
	r = add_used(L, s->path, exec);
	if (r == 0 && s->allow && sys != JT_SYS_symlink && sys != JT_SYS_symlinkat) {
		const struct jt_sysinfo *si = &jt_sysinfo[sys];

		for (int i = 0; i < si->nargs; i++)
			if (si->arg[i] == JT_ARG_PATH) {
				json_t *a = json_array_get(s->args, (size_t)i);

				if (json_is_string(a))
					r = add_used(L, json_string_value(a), exec);
				break;
			}
	}
	return r;
}

static int on_request(struct learn *L, const struct jt_rec *rec)
{
	const struct jt_rec_syscall *s = &rec->u.sys;
	struct jt_request rq;
	struct sysstat *st;
	struct vreq *v;
	char why[256], call[160];
	int sys;

	if (jt_request_from_rec(s, &rq, why, sizeof(why)) < 0)
		return -EINVAL;
	if (L->nv % 1024 == 0) {
		v = realloc(L->v, (L->nv + 1024) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		L->v = v;
	}
	v = &L->v[L->nv++];
	v->rq = rq;
	v->line = rec->line;
	v->allow = s->allow;
	v->err = s->allow ? 0 : jt_rec_errno(s->err);
	v->path = jt_rec_by_transport(s) || s->addr;
	v->fpath = v->rule = v->errname = v->asked = NULL;
	if (s->path && !s->addr) {
		const char *asked = jt_rec_asked_path(s, rq.sys);

		v->fpath = strdup(s->path);
		v->rule = strdup(s->rule);
		v->errname = s->err ? strdup(s->err) : NULL;
		v->asked = asked ? strdup(asked) : NULL;
		if (!v->fpath || !v->rule || (s->err && !v->errname) || (asked && !v->asked))
			return -ENOMEM;
	}
	s->allow ? L->allowed++ : L->denied++;
	if (rq.sys >= 0 && learn_net(L, s, rq.sys) < 0)
		return -ENOMEM;
	if (rq.sys >= 0 && rq.abi && learn_path(L, s, rq.sys) < 0)
		return -ENOMEM;

	/* refused whatever the policy says: no evidence about it */
	sys = rq.sys;
	if (!rq.abi || sys < 0)
		return 0;
	st = &L->st[sys];
	if (s->allow) {
		/* the first call of it, allowed or denied (a denial may come first) */
		if (!st->allowed++ && !st->first)
			st->first = strdup(jt_logread_call_text(s, call, sizeof(call)));
		if (sys == JT_SYS_clone && (rq.args[0] & CLONE_THREAD))
			L->need_thread = 1;
		else if (sys == JT_SYS_clone || sys == JT_SYS_fork || sys == JT_SYS_vfork)
			L->need_fork = 1;
		if ((sys == JT_SYS_execve || sys == JT_SYS_execveat) && !rq.first_exec)
			L->need_exec = 1;
		if (is_signal(sys) && rq.target == JT_TARGET_SANDBOX)
			L->need_signal_sandbox = 1;
		if (sys == JT_SYS_ioctl)
			return add_code(&L->ioctl_ok, &L->n_ok, (uint32_t)rq.args[1]);
		return 0;
	}
	/* a process rule or the file-system view denied it, not its syscall
	 * rule: the syscall stays allowed and they deny it again */
	if (by_process_rule(s, sys) || jt_rec_by_transport(s))
		st->proc_denied = 1;
	if (!st->denied++) {
		st->deny_rule = strdup(s->rule);
		st->deny_err = jt_rec_errno(s->err);
		if (!st->first)
			st->first = strdup(jt_logread_call_text(s, call, sizeof(call)));
	}
	if (sys == JT_SYS_ioctl && !strcmp(s->rule, "builtin:ioctl-not-allowed"))
		return add_code(&L->ioctl_bad, &L->n_bad, (uint32_t)rq.args[1]);
	return 0;
}

static int gather(struct learn *L, struct jt_logread *rd, char *err, size_t errlen)
{
	struct jt_rec rec;
	int r;

	while ((r = jt_logread_next(rd, &rec)) > 0) {
		switch (rec.type) {
		case JT_REC_RUN:
			L->run = json_incref(rec.obj);
			L->full = rd->full;
			break;
		case JT_REC_END:
			L->end = json_incref(rec.obj);
			break;
		case JT_REC_SPAWN:
			/* the first spawn is jailtrace starting the program */
			if (L->spawns++ == 0)
				break;
			if (!strcmp(rec.u.spawn.kind, "thread"))
				L->need_thread = 1;
			else
				L->need_fork = 1;
			break;
		case JT_REC_SYSCALL:
		case JT_REC_CALL:
			if (rec.type != (L->full ? JT_REC_CALL : JT_REC_SYSCALL))
				break;
			r = on_request(L, &rec);
			if (r == -EINVAL) {
				char why[256];
				struct jt_request rq;

				jt_request_from_rec(&rec.u.sys, &rq, why, sizeof(why));
				snprintf(err, errlen, "%s:%lu: %s", rd->path, rec.line, why);
			} else if (r < 0) {
				snprintf(err, errlen, "%s: %s", rd->path, strerror(-r));
			}
			if (r < 0)
				return r;
			break;
		case JT_REC_OTHER:
			if (!strcmp(rec.type_name, "egress") && (r = learn_egress(L, rec.obj)) < 0) {
				snprintf(err, errlen, "%s: %s", rd->path, strerror(-r));
				return r;
			}
			break;
		default:
			break;
		}
	}
	if (r < 0)
		snprintf(err, errlen, "%s", rd->err);
	return r;
}

static const char *q(const char *s)
{
	return s ? s : "?";
}

/*
 * Does @s hold a byte that would end or bend a policy line? The log's
 * strings are the program's (a path it asked for, its argv): a newline in
 * one printed into a comment started a line of policy of its own choosing
 * ("ro /etc/shadow", "rw /root:/r").
 */
static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* @s on one line of a comment: its control bytes as '?'. */
static void put_comment(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static const char *run_str(const struct learn *L, const char *key)
{
	json_t *v = json_object_get(L->run, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The base: --base, else the policy the header names. @return 1 loaded, 0 none. */
static int load_base(struct learn *L, const char *base, struct jt_policy *p, char *desc,
		     size_t desclen, FILE *warn, char *err, size_t errlen)
{
	const char *pol = run_str(L, "policy"), *cwd = run_str(L, "cwd");
	const char *digest = run_str(L, "policy_digest");
	char perr[512], path[4096], hex[80];
	int r;

	jt_policy_init(p);
	if (base) {
		r = jt_policy_load(p, base, perr, sizeof(perr));
		snprintf(desc, desclen, "%s (--base)", base);
	} else if (!pol || !strcmp(pol, "default")) {
		r = jt_policy_default(p, perr, sizeof(perr));
		snprintf(desc, desclen, "the built-in default policy, which the run used");
	} else {
		snprintf(path, sizeof(path), "%s", pol);
		if (pol[0] != '/' && cwd)
			snprintf(path, sizeof(path), "%s/%s", cwd, pol);
		r = jt_policy_load(p, path, perr, sizeof(perr));
		snprintf(desc, desclen, "%s, the run's policy", path);
	}
	if (r < 0) {
		if (!L->full) {
			snprintf(err, errlen, "%s%s", perr,
				 base ? "" : " (the run's policy: name one that has its rules with --base FILE)");
			return r;
		}
		fprintf(warn, "jailtrace: learn: no base policy (%s); a full-audit log shows every call, so none is needed\n",
			perr);
		snprintf(desc, desclen, "none (the log is a full audit)");
		return 0;
	}
	memcpy(hex, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 7 + 2 * i, 3, "%02x", p->digest[i]);
	if (digest && strcmp(digest, hex)) {
		fprintf(warn, "jailtrace: learn: the base policy is not the one the run used (%s, the run had %s); "
			"the recorded decisions still decide, the rest comes from the base\n", hex, digest);
		strncat(desc, " [not the run's: digests differ]", desclen - strlen(desc) - 1);
	}
	return 1;
}

/* What each syscall will be: the evidence first, then the base. */
static void decide_actions(struct learn *L, const struct jt_policy *base, int have_base)
{
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		const struct sysstat *st = &L->st[sys];

		L->act[sys] = have_base ? base->action[sys] : JT_UNLISTED;
		L->err[sys] = have_base ? base->err[sys] : 0;
		if (st->allowed) {
			L->act[sys] = JT_ALLOW;
		} else if (st->denied) {
			if (st->proc_denied || (st->deny_rule && !strncmp(st->deny_rule, "builtin:", 8))) {
				L->act[sys] = JT_ALLOW;	/* its check or rule denies it again */
			} else if (!st->deny_rule || !strcmp(st->deny_rule, "default-deny")) {
				L->act[sys] = JT_UNLISTED;
			} else {
				L->act[sys] = JT_DENY;	/* a deny rule: only a full audit shows these */
				L->err[sys] = (short)(st->deny_err > 0 ? st->deny_err : EPERM);
			}
		} else if (L->full) {
			L->act[sys] = JT_UNLISTED;	/* never made */
		} else if (L->act[sys] == JT_ALLOW && always_stops(sys)) {
			L->act[sys] = JT_UNLISTED;	/* would have been logged */
		}
	}
}

/* ------------------------------------------------------------ writing */

/* Words after a lead ("allow"), wrapped; every line ends with the tail
 * (" EPERM" for deny: a line without it would mean the default errno). */
struct words {
	FILE *f;
	const char *lead;
	int col;
	const char *tail;
};

static void word(struct words *w, const char *s)
{
	int len = (int)strlen(s);
	int tail = w->tail ? (int)strlen(w->tail) : 0;

	if (w->col && w->col + 1 + len + tail > 76) {
		fprintf(w->f, "%s\n", w->tail ? w->tail : "");
		w->col = 0;
	}
	if (!w->col)
		w->col = fprintf(w->f, "%s", w->lead);
	w->col += fprintf(w->f, " %s", s);
}

static void words_end(struct words *w)
{
	if (w->col)
		fprintf(w->f, "%s\n", w->tail ? w->tail : "");
	w->col = 0;
	w->tail = NULL;
}

static const char *errname(int err, char *buf)
{
	const char *n = jt_errno_name(err);

	if (n)
		return n;
	snprintf(buf, 16, "%d", err);
	return buf;
}

static void header(const struct learn *L, const char *log, const char *desc, FILE *f)
{
	json_t *argv = json_object_get(L->run, "argv"), *v, *st = json_object_get(L->end, "status");
	size_t i;
	int col;

	fprintf(f, "# Learned by `jailtrace learn` (jailtrace %s) from %s\n", JT_VERSION, log);
	col = fprintf(f, "# run %s of:", q(run_str(L, "run_id")));
	json_array_foreach(argv, i, v) {
		const char *a = json_is_string(v) ? json_string_value(v) : "?";

		if (col > 200) {
			fputs(" ...", f);
			break;
		}
		for (col += fprintf(f, " "); *a; a++)
			col += fputc((unsigned char)*a < 0x20 || *a == 0x7f ? ' ' : *a, f) != EOF;
	}
	fputs("\n#   by ", f);
	put_comment(f, q(run_str(L, "user")));
	fputs(" on ", f);
	put_comment(f, q(run_str(L, "host")));
	fputs(", ", f);
	put_comment(f, q(run_str(L, "start")));
	fputs("; ", f);
	if (json_is_string(st))
		fprintf(f, "%s, exit status %lld\n", json_string_value(st),
			(long long)json_integer_value(json_object_get(L->end, "exit_code")));
	else
		fprintf(f, "no end record (the run did not end cleanly)\n");
	fputs("# base: ", f);
	put_comment(f, desc);
	fputs("\n#\n", f);
	if (L->full)
		fprintf(f,
"# The log is a full audit: it holds every call the program made. This\n"
"# policy allows exactly the syscalls that were allowed, denies with the same\n"
"# errno those the run was denied in the kernel, and leaves every other\n"
"# syscall unlisted (ENOSYS, and logged).\n");
	else
		fprintf(f,
"# The log holds only the calls that stopped in the tracer, so this policy\n"
"# keeps every in-kernel allow and deny of the base (the run may have made\n"
"# any of them), leaves out the checked calls that always stop and never\n"
"# appear, and closes the process rules the run did not use.\n");
	fprintf(f,
"# Under it the run's recorded decisions come out the same: %lu allowed stay\n"
"# allowed, %lu denied stay denied with the same errno. Check it with\n"
"#   jailtrace replay %s --policy THIS_FILE   (exit 0)\n", L->allowed, L->denied, log);
}

static void sections(const struct learn *L, const struct jt_policy *base, int have_base, FILE *f)
{
	struct words w = { f, "allow", 0, NULL };
	char b[16];
	int any;

	fprintf(f, "\n# -- syscalls the run made that %s\n",
		L->full ? "were allowed or that a check denied" : "stopped in the tracer (each one is in the log)");
	for (int sys = 0; sys < JT_SYS_COUNT; sys++) {
		const struct sysstat *st = &L->st[sys];

		if (L->act[sys] != JT_ALLOW || !(st->allowed || st->denied))
			continue;
		fprintf(f, "allow %-18s # %lu allowed", jt_sys_name(sys), st->allowed);
		if (st->denied)
			fprintf(f, ", %lu denied (%s, %s)", st->denied, st->deny_rule, errname(st->deny_err, b));
		fprintf(f, "; first: %.60s%s\n", st->first ? st->first : "?",
			st->first && strlen(st->first) > 60 ? "..." : "");
	}
	if (!L->full) {
		fprintf(f, "\n# -- allowed by the base with no check: decided in the kernel, never logged,\n"
			   "#    so the run may have made any of them\n");
		for (int sys = 0; sys < JT_SYS_COUNT; sys++)
			if (L->act[sys] == JT_ALLOW && !L->st[sys].allowed && !L->st[sys].denied &&
			    jt_check_of(sys)->kind == JT_CHECK_NONE)
				word(&w, jt_sys_name(sys));
		words_end(&w);
		fprintf(f, "\n# -- allowed by the base with a check that some arguments pass in the kernel\n"
			   "#    (pid 0, AF_UNIX sockets, listed ioctls, threads...): those calls are not\n"
			   "#    logged, so these stay\n");
		for (int sys = 0; sys < JT_SYS_COUNT; sys++)
			if (L->act[sys] == JT_ALLOW && !L->st[sys].allowed && !L->st[sys].denied &&
			    jt_check_of(sys)->kind != JT_CHECK_NONE)
				word(&w, jt_sys_name(sys));
		words_end(&w);
		fprintf(f, "\n# -- left out: the base allows them, every call of them is logged, and the\n"
			   "#    run made none (a call now fails with ENOSYS and is logged)\n");
		w.lead = "#  ";
		for (int sys = 0; sys < JT_SYS_COUNT; sys++)
			if (have_base && base->action[sys] == JT_ALLOW && L->act[sys] == JT_UNLISTED &&
			    !L->st[sys].denied)
				word(&w, jt_sys_name(sys));
		if (!w.col)
			fprintf(f, "#   none\n");
		words_end(&w);
	}
	fprintf(f, "\n# -- denied in the run for lack of a rule: still unlisted (ENOSYS, logged)\n");
	w.lead = "#  ";
	any = 0;
	for (int sys = 0; sys < JT_SYS_COUNT; sys++)
		if (L->act[sys] == JT_UNLISTED && L->st[sys].denied) {
			char one[64];

			snprintf(one, sizeof(one), "%s (%lux)", jt_sys_name(sys), L->st[sys].denied);
			word(&w, one);
			any = 1;
		}
	words_end(&w);
	if (!any)
		fprintf(f, "#   none\n");

	fprintf(f, "\n# -- denied in the kernel with this errno, as the %s: a library may rely\n"
		   "#    on the errno to take its fallback (clone3 -> clone)\n", L->full ? "run was" : "base does");
	any = 0;
	for (int e = 1; e < 4096; e++) {
		char tail[24];

		snprintf(tail, sizeof(tail), " %s", errname(e, b));
		w.lead = "deny";
		w.tail = tail;
		for (int sys = 0; sys < JT_SYS_COUNT; sys++)
			if (L->act[sys] == JT_DENY && L->err[sys] == e)
				word(&w, jt_sys_name(sys)), any = 1;
		words_end(&w);
	}
	if (!any)
		fprintf(f, "#   none\n");
}

static void ioctls(const struct learn *L, const struct jt_policy *base, int have_base, FILE *f)
{
	struct words w = { f, "ioctl allow", 0, NULL };
	char b[16];

	fprintf(f, "\n# -- ioctl requests %s\n", L->full ? "the run made and was allowed"
		: "allowed in the kernel (never logged): the base's, with the run's evidence");
	for (size_t i = 0; have_base && !L->full && i < base->n_ioctls; i++) {
		uint32_t code = base->ioctls[i].code;
		const char *n = jt_ioctl_name(code);

		if (has_code(L->ioctl_bad, L->n_bad, code))
			continue;
		snprintf(b, sizeof(b), "0x%x", code);
		word(&w, n ? n : b);
	}
	for (size_t i = 0; i < L->n_ok; i++) {
		const char *n = jt_ioctl_name(L->ioctl_ok[i]);

		if (have_base && !L->full && jt_policy_ioctl(base, L->ioctl_ok[i]) >= 0)
			continue;
		snprintf(b, sizeof(b), "0x%x", L->ioctl_ok[i]);
		word(&w, n ? n : b);
	}
	if (!w.col)
		fprintf(f, "#   none\n");
	words_end(&w);
}

static void process_rules(const struct learn *L, FILE *f)
{
	int signals = 0;

	for (int sys = 0; sys < JT_SYS_COUNT; sys++)
		if (is_signal(sys) && L->act[sys] == JT_ALLOW)
			signals = 1;
	fprintf(f, "\n# -- process rules\n");
	fprintf(f, "process fork %-6s # %s\n", L->need_fork ? "allow" : "deny",
		L->need_fork ? "the run created processes" : "the run created no process besides its first");
	fprintf(f, "process thread %-4s # %s\n", L->need_thread ? "allow" : "deny",
		L->need_thread ? "the run started threads" : "the run started no thread");
	fprintf(f, "process exec %-6s # %s\n", L->need_exec ? "allow" : "deny",
		L->need_exec ? "the run started programs after its first"
			     : "the run started no program after its first");
	if (signals)
		fprintf(f, "process signal %-4s # %s\n", L->need_signal_sandbox ? "sandbox" : "self",
			L->need_signal_sandbox ? "the run signalled other processes of the sandbox"
					       : "no signal of the run reached another process of the sandbox");
}

static const char *limit_text(const char *name, json_t *v, char *buf, size_t len)
{
	unsigned long long x = json_is_integer(v) && json_integer_value(v) > 0
				       ? (unsigned long long)json_integer_value(v) : 0;
	int is_time = !strcmp(name, "timeout") || !strcmp(name, "cpu");
	int is_count = !strcmp(name, "procs") || !strcmp(name, "nofile");

	if (x == 0 || is_count)
		snprintf(buf, len, "%llu", x);
	else if (is_time)
		snprintf(buf, len, x % 3600000 == 0 ? "%lluh" : x % 60000 == 0 ? "%llum" : x % 1000 == 0 ? "%llus" : "%llums",
			 x % 3600000 == 0 ? x / 3600000 : x % 60000 == 0 ? x / 60000 : x % 1000 == 0 ? x / 1000 : x);
	else
		snprintf(buf, len, x % (1ULL << 30) == 0 ? "%lluG" : x % (1ULL << 20) == 0 ? "%lluM" : x % 1024 == 0 ? "%lluK" : "%llu",
			 x % (1ULL << 30) == 0 ? x >> 30 : x % (1ULL << 20) == 0 ? x >> 20 : x % 1024 == 0 ? x >> 10 : x);
	return buf;
}

/* ------------------------------------------------ the file-system view */

/* The host path of @inside under grant @g (they differ for HOST:INSIDE). */
static void host_of(const struct jt_grant *g, const char *inside, char *out, size_t len)
{
	size_t n = strlen(g->inside);

	if (n == 1)
		n = 0;		/* a grant of "/" */
	if (strncmp(inside, g->inside, n) || (inside[n] && inside[n] != '/')) {
		/* a directory that leads to the grant: the grant itself */
		snprintf(out, len, "%s", g->host);
		return;
	}
	snprintf(out, len, "%s%s", strcmp(g->host, "/") ? g->host : "", inside + n);
	if (!out[0])
		snprintf(out, len, "/");
}

/*
 * @path as the host resolves it, one component at a time: every link met
 * on the way is a path the walk in the view passes too (the view shows
 * the host's links as they are), and so is where it ends.
 */
static int host_chain(struct learn *L, const char *path)
{
	char cur[PATH_MAX], next[PATH_MAX], link[PATH_MAX];
	int hops = 0, r;

	if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur) || jt_path_normalize(cur) < 0)
		return 0;
	for (size_t i = 1; cur[i - 1]; i++) {
		struct stat st;
		ssize_t n;
		char save;

		if (cur[i] != '/' && cur[i] != '\0')
			continue;
		save = cur[i];
		cur[i] = '\0';
		if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode)) {
			cur[i] = save;
			if (save == '\0')
				break;
			continue;
		}
		if ((r = add_used(L, cur, 0)) < 0)
			return r;
		n = readlink(cur, link, sizeof(link) - 1);
		if (n <= 0 || ++hops > 40)
			return 0;
		link[n] = '\0';
		if (link[0] == '/')
			r = snprintf(next, sizeof(next), "%s%s%s", link, save ? "/" : "", save ? cur + i + 1 : "");
		else {
			char *slash = strrchr(cur, '/');

			*slash = '\0';
			r = snprintf(next, sizeof(next), "%s/%s%s%s", cur, link, save ? "/" : "",
				     save ? cur + i + 1 : "");
		}
		if (r >= (int)sizeof(next) || jt_path_normalize(next) < 0)
			return 0;
		memcpy(cur, next, strlen(next) + 1);
		i = 0;
	}
	return add_used(L, cur, 0);
}

/*
 * The interpreter an exec walks in the view besides the program (its
 * `#!` line, an ELF file's PT_INTERP): the log does not show that walk.
 */
static int exec_interp(struct learn *L, const char *host)
{
	char interp[PATH_MAX];

	if (jt_exec_interp(host, interp, sizeof(interp)) <= 0)
		return 0;
	return add_used(L, interp, 1);
}

/* Is @path a directory that leads to @top? */
static int leads(const char *path, const char *top)
{
	size_t n = strlen(path);

	return (n == 1 && path[0] == '/') || (!strncmp(top, path, n) && top[n] == '/');
}

/* A path a grant can be narrowed to: it exists on the host, is no link, and is one word. */
static int narrowable(const char *host, const char *inside)
{
	struct stat st;

	return lstat(host, &st) == 0 && !S_ISLNK(st.st_mode) && !strpbrk(inside, " \t#:") &&
	       !strpbrk(host, " \t#:") && !has_control(inside) && !has_control(host);
}

/*
 * The grants the run needed, and only those. A grant of the base is kept
 * when a path the run used lies in it (the longest grant that holds the
 * path, as the view finds it); a directory grant under which the run
 * used one path only is narrowed to that path when the host has it;
 * a directory that only leads to grants keeps one of them. The rest is
 * named in a comment.
 */
static void view_grants(struct learn *L, const struct jt_policy *base, FILE *f)
{
	size_t ng = base->n_grants;
	unsigned long *count = calloc(ng ? ng : 1, sizeof(*count));
	const char **example = calloc(ng ? ng : 1, sizeof(*example));
	struct words w = { f, "#  ", 0, NULL };
	char host[PATH_MAX];

	if (!count || !example) {
		free(count);
		free(example);
		fprintf(f, "\n# out of memory: the file-system view is left out\n");
		return;
	}
	/* what the walks passed: links on the way, the interpreters of execs */
	for (size_t i = 0; i < L->n_used; i++) {
		char path[PATH_MAX];
		int gi;

		snprintf(path, sizeof(path), "%s", L->used[i].path);
		gi = jt_grant_of(base, path);
		if (gi >= 0)
			host_of(&base->grants[gi], path, host, sizeof(host));
		else
			snprintf(host, sizeof(host), "%s", path);
		if (host_chain(L, host) < 0)
			break;
		if (L->used[i].exec && exec_interp(L, host) < 0)
			break;
	}
	for (size_t i = 0; i < L->n_used; i++) {
		int gi = jt_grant_of(base, L->used[i].path);

		if (gi >= 0 && !count[gi]++)
			example[gi] = L->used[i].path;
	}
	/* a directory that only leads to grants (a lookup of /etc, /var) needs one */
	for (size_t i = 0; i < L->n_used; i++) {
		const char *u = L->used[i].path;
		int need = jt_grant_of(base, u) < 0, pick = -1;
		struct jt_path_facts pf;

		if (!need)
			continue;
		for (size_t k = 0; k < ng && need; k++)
			if (leads(u, base->grants[k].inside) && count[k])
				need = 0;
		jt_path_facts_of(base, u, &pf);
		for (size_t k = 0; k < JT_JAIL_DIRS && need; k++)
			if (leads(u, jt_jail_dirs[k]))
				need = 0;
		if (!need || !pf.in_view || leads(u, "/etc/passwd"))
			continue;
		for (size_t k = 0; k < ng && pick < 0; k++) {
			struct stat st;

			if (leads(u, base->grants[k].inside) && lstat(base->grants[k].host, &st) == 0)
				pick = (int)k;
		}
		if (pick >= 0 && !count[pick]++)
			example[pick] = u;
	}

	fprintf(f, "\n# -- the file-system view: the grants of the base the run used (a grant\n"
		   "#    under which it used one path only is narrowed to that path)\n");
	for (size_t i = 0; i < ng; i++) {
		const struct jt_grant *g = &base->grants[i];
		const char *kind = g->socket ? "net unix" : g->writable ? "rw" : "ro";
		char nhost[PATH_MAX];
		struct stat st;
		int later = 0;

		for (size_t k = i + 1; k < ng; k++)
			later |= !strcmp(base->grants[k].inside, g->inside);
		if (!count[i] || later)
			continue;
		if (lstat(g->host, &st) < 0) {
			/* a policy file may not name a path the host lacks */
			fprintf(f, "# (not on this host) %s %s\n", kind, g->host);
			continue;
		}
		host_of(g, example[i], nhost, sizeof(nhost));
		/* narrowed to the one path used in it (not to a directory leading to it) */
		if (count[i] == 1 && strcmp(example[i], g->inside) && !g->socket && S_ISDIR(st.st_mode) &&
		    !leads(example[i], g->inside) && narrowable(nhost, example[i])) {
			if (!strcmp(nhost, example[i]))
				fprintf(f, "%s %s", kind, nhost);
			else
				fprintf(f, "%s %s:%s", kind, nhost, example[i]);
			fprintf(f, "   # the one path used under %s (%s)\n", g->inside,
				jt_policy_where(base, g->rule));
			continue;
		}
		if (!strcmp(g->host, g->inside) || g->socket)
			fprintf(f, "%s %s", kind, g->host);
		else
			fprintf(f, "%s %s:%s", kind, g->host, g->inside);
		if (count[i] == 1)
			fprintf(f, "   # used: ");
		else
			fprintf(f, "   # %lu paths used, e.g. ", count[i]);
		put_comment(f, example[i]);
		fputc('\n', f);
	}
	if (base->exec_jail)
		fprintf(f, "exec jail\n");
	fprintf(f, "\n# -- grants of the base the run did not use: left out\n");
	for (size_t i = 0; i < ng; i++)
		if (!count[i])
			word(&w, base->grants[i].inside);
	if (!w.col)
		fprintf(f, "#   none\n");
	words_end(&w);
	free(count);
	free(example);
}

static void limits_env(struct learn *L, const struct jt_policy *base, int have_base, FILE *f)
{
	static const char *const names[] = { "timeout", "cpu", "memory", "vmem", "procs", "output", "fsize", "nofile", "log" };
	json_t *lim = json_object_get(L->run, "limits");
	json_t *wall = json_object_get(L->end, "wall_ms"), *cpu = json_object_get(L->end, "cpu_ms");
	json_t *peak = json_object_get(L->end, "peak_memory_kb");
	char b[32];

	fprintf(f, "\n# -- limits in force during the run");
	if (json_is_integer(wall) && json_is_integer(cpu) && json_is_integer(peak))
		fprintf(f, " (it used %lld ms wall, %lld ms CPU, %lld KiB peak memory)",
			(long long)json_integer_value(wall), (long long)json_integer_value(cpu),
			(long long)json_integer_value(peak));
	fprintf(f, "\n");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *v = json_object_get(lim, names[i]);

		if (json_is_integer(v))
			fprintf(f, "limit %s %s\n", names[i], limit_text(names[i], v, b, sizeof(b)));
	}
	if (!have_base)
		return;
	view_grants(L, base, f);
	if (base->n_env)
		fprintf(f, "\n# -- environment rules of the base (--env on the command line is not in the log)\n");
	for (size_t i = 0; i < base->n_env; i++) {
		if (base->env[i].value)
			fprintf(f, "env set %s=%s\n", base->env[i].name, base->env[i].value);
		else
			fprintf(f, "env pass %s\n", base->env[i].name);
	}
}

/* Every recorded request decided again under the learned text. */
static int check(const struct learn *L, const char *text, const char *log, FILE *warn,
		 const struct jt_policy *run)
{
	struct jt_policy p;
	char perr[512], rule[64];
	unsigned long bad = 0;
	int r;

	jt_policy_init(&p);
	r = jt_policy_parse(&p, "learned", text, perr, sizeof(perr));
	if (r < 0) {
		fprintf(warn, "jailtrace: learn: the learned policy does not parse: %s\n", perr);
		jt_policy_free(&p);
		return 1;
	}
	for (size_t i = 0; i < L->nv; i++) {
		const struct vreq *q = &L->v[i];
		struct jt_verdict v;
		char b[16];

		int by_path = 0;

		jt_decide(&p, &q->rq, &v);
		if (v.allow && q->fpath) {
			struct jt_rec_syscall s;

			memset(&s, 0, sizeof(s));
			s.path = q->fpath;
			s.rule = q->rule;
			s.err = q->errname;
			s.allow = q->allow;
			by_path = jt_redecide_path(&p, &s, &q->rq, &v);
			/* the places the walk passed: the links on the way */
			if (by_path && v.allow && q->allow)
				if (!jt_redecide_links(run, &p, q->asked, &v) &&
				    (q->rq.sys == JT_SYS_execve || q->rq.sys == JT_SYS_execveat))
					jt_redecide_interp(run, &p, q->fpath, &v);
		}
		if (q->allow == v.allow && (v.allow || q->err == v.err))
			continue;
		/* what the log cannot place is decided again by the view itself */
		if (q->path && !by_path && (!q->allow || v.allow))
			continue;
		if (bad++ < 10)
			fprintf(warn, "jailtrace: learn: %s:%lu: %s was %s, the learned policy %s it (%s, %s)\n",
				log, q->line, jt_sys_name(q->rq.sys), q->allow ? "allowed" : "denied",
				v.allow ? "allows" : "denies", jt_verdict_rule(&p, &v, rule, sizeof(rule)),
				v.allow ? "-" : errname(v.err, b));
	}
	jt_policy_free(&p);
	if (bad)
		fprintf(warn, "jailtrace: learn: %lu recorded decisions would differ under the learned policy\n", bad);
	return bad ? 1 : 0;
}

static void learn_free(struct learn *L)
{
	for (int i = 0; i < JT_SYS_COUNT; i++) {
		free(L->st[i].first);
		free(L->st[i].deny_rule);
	}
	for (size_t i = 0; i < L->n_net; i++) {
		free(L->net[i]);
		free(L->net_rule[i]);
	}
	free(L->net);
	free(L->net_rule);
	for (size_t i = 0; i < L->n_domain_rules; i++)
		free(L->domain_rules[i]);
	free(L->domain_rules);
	for (size_t i = 0; i < L->n_used; i++)
		free(L->used[i].path);
	free(L->used);
	for (size_t i = 0; i < L->nv; i++) {
		free(L->v[i].fpath);
		free(L->v[i].rule);
		free(L->v[i].errname);
		free(L->v[i].asked);
	}
	free(L->ioctl_ok);
	free(L->ioctl_bad);
	free(L->v);
	json_decref(L->run);
	json_decref(L->end);
	free(L);
}

int jt_learn(struct jt_logread *rd, const char *base_path, FILE *out, FILE *warn,
	     char *err, size_t errlen)
{
	struct learn *L = calloc(1, sizeof(*L));
	struct jt_policy base;
	char desc[4200], *text = NULL;
	size_t len = 0;
	FILE *f;
	int r, have_base;

	if (!L) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	jt_policy_init(&base);
	r = gather(L, rd, err, errlen);
	if (r < 0)
		goto out;
	if (rd->cut_line)
		fprintf(warn, "jailtrace: learn: %s\n", rd->warn);
	r = have_base = load_base(L, base_path, &base, desc, sizeof(desc), warn, err, errlen);
	if (r < 0)
		goto out;
	decide_actions(L, &base, have_base);
	f = open_memstream(&text, &len);
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "learn: %s", strerror(-r));
		goto out;
	}
	header(L, rd->path, desc, f);
	sections(L, &base, have_base, f);
	ioctls(L, &base, have_base, f);
	process_rules(L, f);
	limits_env(L, &base, have_base, f);
	if (L->n_net)
		fprintf(f, "\n# -- the network the run reached (each address as it was decided, "
			"each name as the domain proxy reached it)\n");
	for (size_t i = 0; i < L->n_net; i++)
		if (!proxy_port_line(L, i))
			fprintf(f, "%s\n", L->net[i]);
	/* the names the base's `host` lines gave the domain proxy */
	for (size_t i = 0; have_base && L->n_domain_rules && i < base.n_hosts; i++) {
		char a[64];

		inet_ntop(base.hosts[i].addr.family == 4 ? AF_INET : AF_INET6, base.hosts[i].addr.a, a,
			  sizeof(a));
		fprintf(f, "host %s %s\n", base.hosts[i].name, a);
	}
	if (fclose(f) != 0 || !text) {
		r = -ENOMEM;
		snprintf(err, errlen, "learn: out of memory");
		goto out;
	}
	r = check(L, text, rd->path, warn, have_base ? &base : NULL);
	if (fputs(text, out) == EOF || fflush(out) != 0) {
		r = -EIO;
		snprintf(err, errlen, "learn: cannot write the policy: %s", strerror(errno));
	}
out:
	free(text);
	jt_policy_free(&base);
	learn_free(L);
	return r;
}
