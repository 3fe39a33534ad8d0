/*
 * Fold an audit log into a report model (report.h). Every record is
 * looked at once; what the writers need is copied out of the reader.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "compat/syscalls.h"
#include "reports/log.h"
#include "reports/report.h"

#define MAX_PROCS 10000		/* more are counted, not shown */
#define MAX_GROUPS 4096		/* rules, file and network groups */

/* Room for element n of an array that grows by doubling. */
static int grow(void *arrp, size_t n, size_t size)
{
	void **arr = arrp, *na;
	size_t cap;

	if (n != 0 && (n < 8 || (n & (n - 1))))
		return 0;
	cap = n < 8 ? 8 : n * 2;
	if (n == 0 || n >= 8) {
		na = realloc(*arr, cap * size);
		if (!na)
			return -ENOMEM;
		*arr = na;
		memset((char *)na + n * size, 0, (cap - n) * size);
	}
	return 0;
}

static char *dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

__attribute__((format(printf, 2, 3)))
static void note(struct jt_report *rep, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (grow(&rep->notes, rep->n_notes, sizeof(*rep->notes)) == 0 && (rep->notes[rep->n_notes] = strdup(buf)))
		rep->n_notes++;
}

long jt_report_proc(const struct jt_report *rep, long long pid)
{
	/* from the end: a pid used again later in the run is the later process */
	for (size_t i = rep->n_procs; i-- > 0;)
		if (rep->procs[i].pid == pid)
			return (long)i;
	return -1;
}

static struct jt_rp_proc *add_proc(struct jt_report *rep, long long pid, long long parent, double t)
{
	struct jt_rp_proc *p;

	if (rep->n_procs >= MAX_PROCS || grow(&rep->procs, rep->n_procs, sizeof(*rep->procs)) < 0)
		return NULL;
	p = &rep->procs[rep->n_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->parent = parent;
	p->start = t;
	return p;
}

/* The process @pid, made up when the log lost its spawn record. */
static struct jt_rp_proc *proc_of(struct jt_report *rep, long long pid, double t)
{
	long i = jt_report_proc(rep, pid);

	return i >= 0 ? &rep->procs[i] : add_proc(rep, pid, 0, t);
}

static void add_event(struct jt_report *rep, double t, long long pid, char kind, const char *label)
{
	struct jt_rp_event *e;

	if (rep->n_events >= JT_RP_EVENTS_MAX ||
	    grow(&rep->events, rep->n_events, sizeof(*rep->events)) < 0) {
		rep->events_dropped++;
		return;
	}
	e = &rep->events[rep->n_events++];
	e->t = t;
	e->pid = pid;
	e->kind = kind;
	e->label = dup(label);
}

static void first_of(struct jt_rp_first *f, const struct jt_rec *rec)
{
	char call[512];

	f->count = 1;
	f->t = rec->t;
	f->pid = rec->u.sys.pid;
	f->tid = rec->u.sys.tid;
	f->line = rec->line;
	jt_logread_call_text(&rec->u.sys, call, sizeof(call));
	if (rec->u.sys.addr && rec->u.sys.addr[0]) {
		/* the address the pointer held, as decided */
		size_t n = strlen(call);

		snprintf(call + n, sizeof(call) - n, " to %s", rec->u.sys.addr);
	}
	f->call = dup(call);
	f->args = json_incref(rec->u.sys.args);
	f->stack = json_incref(rec->u.sys.stack);
	f->py_stack = json_incref(rec->u.sys.py_stack);
}

static void free_first(struct jt_rp_first *f)
{
	free(f->call);
	json_decref(f->args);
	json_decref(f->stack);
	json_decref(f->py_stack);
}

static int on_spawn(struct jt_report *rep, const struct jt_rec *rec)
{
	const struct jt_rec_spawn *s = &rec->u.spawn;
	struct jt_rp_proc *p;

	if (!strcmp(s->kind, "thread")) {
		long i = jt_report_proc(rep, s->tgid);

		if (i >= 0)
			rep->procs[i].threads++;
		return 0;
	}
	p = add_proc(rep, s->pid, s->parent, rec->t);
	if (p)
		p->kind = dup(s->kind);
	return 0;
}

static int on_exec(struct jt_report *rep, const struct jt_rec *rec)
{
	const struct jt_rec_exec *x = &rec->u.exec;
	struct jt_rp_proc *p = proc_of(rep, x->pid, rec->t);
	struct jt_rp_exec *e;
	char label[256];
	size_t len = 0;

	if (!p || grow(&p->execs, p->n_execs, sizeof(*p->execs)) < 0)
		return 0;
	e = &p->execs[p->n_execs++];
	e->t = rec->t;
	e->exe = dup(x->exe);
	e->argv = calloc(x->argc + 1, sizeof(char *));
	label[0] = '\0';
	for (size_t i = 0; e->argv && i < x->argc; i++) {
		e->argv[i] = dup(x->argv[i]);
		if (len < sizeof(label))
			len += (size_t)snprintf(label + len, sizeof(label) - len, "%s%s", i ? " " : "", x->argv[i]);
	}
	add_event(rep, rec->t, x->pid, 'x', label);
	return 0;
}

static void on_exit_(struct jt_report *rep, const struct jt_rec *rec)
{
	const struct jt_rec_exit *x = &rec->u.exit;
	long i;

	if (x->pid != x->tid)
		return;		/* a thread */
	i = jt_report_proc(rep, x->pid);
	if (i < 0)
		return;
	rep->procs[i].ended = 1;
	rep->procs[i].end = rec->t;
	rep->procs[i].has_code = x->has_code;
	rep->procs[i].exit_code = x->exit_code;
	free(rep->procs[i].signal);	/* a log may repeat an exit: keep the last */
	rep->procs[i].signal = dup(x->signal);
}

/* Calls that only look a path up: where the host lacks it, they fail natively too. */
static int lookup_only(const char *name)
{
	static const char *const lookups[] = {
		"stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2",
		"readlink", "readlinkat", "execve", "execveat", "stat64", "lstat64", "fstatat64",
	};

	for (size_t i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++)
		if (!strcmp(name, lookups[i]))
			return 1;
	return 0;
}

static int absent(const char *path)
{
	struct stat st;

	return path && path[0] == '/' && lstat(path, &st) < 0 && errno == ENOENT;
}

/*
 * A denial that is no news to the person reading the report: jailtrace's
 * own handover descriptor, refused by design (Python's subprocess closes
 * every descriptor in each child), and a path outside the view that this
 * host lacks too, where the call fails the same way natively (looked at on
 * the host the report is made on, which is most often the run's).
 */
static int quiet_denial(const struct jt_rec_syscall *s)
{
	char parent[4096];
	const char *slash;

	if (!strcmp(s->rule, "builtin:handover-descriptor"))
		return 1;
	if (strcmp(s->rule, "builtin:not-in-view") || !absent(s->path))
		return 0;
	if (s->name && lookup_only(s->name))
		return 1;
	/* any call on a path whose directory is missing too fails natively */
	slash = strrchr(s->path, '/');
	snprintf(parent, sizeof(parent), "%.*s", slash == s->path ? 1 : (int)(slash - s->path), s->path);
	return absent(parent);
}

static int on_denial(struct jt_report *rep, const struct jt_rec *rec)
{
	const struct jt_rec_syscall *s = &rec->u.sys;
	const char *name = s->name ? s->name : "?";
	struct jt_rp_rule *r = NULL;
	struct jt_rp_denied *d;
	char call[256];
	size_t i;
	long pi;
	int quiet;

	for (i = 0; i < rep->n_rules; i++)
		if (!strcmp(rep->rules[i].rule, s->rule))
			break;
	if (i == rep->n_rules) {
		const char *rule = rep->n_rules >= MAX_GROUPS ? "(more rules)" : s->rule;

		for (i = 0; i < rep->n_rules && strcmp(rep->rules[i].rule, rule); i++)
			;
		if (i == rep->n_rules) {
			if (grow(&rep->rules, rep->n_rules, sizeof(*rep->rules)) < 0)
				return -ENOMEM;
			rep->rules[i].rule = dup(rule);
			if (!rep->rules[i].rule)
				return -ENOMEM;
			rep->n_rules++;
		}
	}
	r = &rep->rules[i];
	r->count += (unsigned long)s->count;
	quiet = quiet_denial(s);
	rep->quiet += quiet ? (unsigned long)s->count : 0;
	for (i = 0; i < r->n_calls; i++) {
		d = &r->calls[i];
		if (!strcmp(d->name, name) && !strcmp(d->err, s->err)) {
			d->first.count += (unsigned long)s->count;
			d->quiet += quiet ? (unsigned long)s->count : 0;
			goto counted;
		}
	}
	if (grow(&r->calls, r->n_calls, sizeof(*r->calls)) < 0)
		return -ENOMEM;
	d = &r->calls[r->n_calls++];
	d->name = dup(name);
	d->err = dup(s->err);
	d->quiet = quiet ? (unsigned long)s->count : 0;
	first_of(&d->first, rec);
	d->first.count = (unsigned long)s->count;
	if (!d->name || !d->err)
		return -ENOMEM;
counted:
	if (quiet)
		return 0;	/* in the list, not among the marks of trouble */
	pi = jt_report_proc(rep, s->pid);
	if (pi >= 0)
		rep->procs[pi].denials += (unsigned long)s->count;
	add_event(rep, rec->t, s->pid, 'd', jt_logread_call_text(s, call, sizeof(call)));
	return 0;
}

/* ------------------------------------------------ files and network */

static const struct {
	const char *name;
	const char *what;
} file_ops[] = {
	{ "creat", "create" }, { "mkdir", "create" }, { "mkdirat", "create" },
	{ "mknod", "create" }, { "mknodat", "create" }, { "symlink", "create" },
	{ "symlinkat", "create" }, { "link", "create" }, { "linkat", "create" },
	{ "unlink", "remove" }, { "unlinkat", "remove" }, { "rmdir", "remove" },
	{ "rename", "rename" }, { "renameat", "rename" }, { "renameat2", "rename" },
	{ "chdir", "chdir" }, { "chroot", "chdir" },
	{ "chmod", "change" }, { "fchmodat", "change" }, { "fchmodat2", "change" },
	{ "chown", "change" }, { "lchown", "change" }, { "fchownat", "change" },
	{ "truncate", "change" }, { "utime", "change" }, { "utimes", "change" },
	{ "utimensat", "change" }, { "futimesat", "change" }, { "setxattr", "change" },
	{ "lsetxattr", "change" }, { "removexattr", "change" }, { "lremovexattr", "change" },
};

/* read, write or create, from an open's flags as logged ("O_WRONLY|O_CREAT") */
static const char *open_what(json_t *flags)
{
	const char *f = json_is_string(flags) ? json_string_value(flags) : "";

	if (strstr(f, "O_CREAT") || strstr(f, "O_TMPFILE"))
		return "create";
	if (strstr(f, "O_WRONLY") || strstr(f, "O_RDWR") || strstr(f, "O_TRUNC") || strstr(f, "O_APPEND"))
		return "write";
	return "read";
}

static const char *file_what(const char *name, int sys, json_t *args)
{
	const struct jt_sysinfo *si = &jt_sysinfo[sys];

	for (size_t i = 0; i < sizeof(file_ops) / sizeof(file_ops[0]); i++)
		if (!strcmp(name, file_ops[i].name))
			return file_ops[i].what;
	if (!strncmp(name, "open", 4)) {
		for (int i = 0; i < si->nargs; i++)
			if (si->arg[i] == JT_ARG_OFLAGS)
				return open_what(json_array_get(args, (size_t)i));
		return "open";
	}
	if (strstr(name, "stat") || strstr(name, "access") || strstr(name, "readlink") ||
	    strstr(name, "getxattr") || strstr(name, "listxattr"))
		return "look up";
	return name;
}

/* @addr: for the network, the address as decided: each is a group of its own */
static int add_access(struct jt_report *rep, struct jt_rp_access **arr, size_t *n,
		      const char *group, const char *what, const struct jt_rec *rec,
		      const char *example, const char *addr)
{
	const struct jt_rec_syscall *s = &rec->u.sys;
	const char *decision = !s->allow ? "deny" : rec->type != JT_REC_CALL ? "allow"
			     : s->result_err ? s->result_err : "ok";
	struct jt_rp_access *a;

	for (size_t i = 0; i < *n; i++) {
		a = &(*arr)[i];
		if (!strcmp(a->group, group) && !strcmp(a->what, what) && !strcmp(a->decision, decision) &&
		    !(a->addr ? !addr || strcmp(a->addr, addr) : addr != NULL)) {
			a->first.count += (unsigned long)s->count;
			return 0;
		}
	}
	if (*n >= MAX_GROUPS)
		return 0;
	if (grow(arr, *n, sizeof(**arr)) < 0)
		return -ENOMEM;
	a = &(*arr)[(*n)++];
	a->group = dup(group);
	a->what = dup(what);
	a->decision = dup(decision);
	a->example = dup(example);
	a->addr = addr ? dup(addr) : NULL;
	first_of(&a->first, rec);
	a->first.count = (unsigned long)s->count;
	return a->group && a->what && a->decision && (!addr || a->addr) ? 0 : -ENOMEM;
}

static int on_file(struct jt_report *rep, const struct jt_rec *rec, int sys, int argi)
{
	json_t *v = json_array_get(rec->u.sys.args, (size_t)argi);
	char path[1024], dir[1024];
	const char *slash;

	if (v && json_is_object(v) && json_is_string(json_object_get(v, "cut")))
		v = json_object_get(v, "cut");
	if (rec->u.sys.path && rec->u.sys.path[0])
		/* the inside path the view resolved: absolute, so it groups by directory */
		snprintf(path, sizeof(path), "%s", rec->u.sys.path);
	else if (v && json_is_string(v) && !json_string_value(v)[0])
		return 0;	/* "" with AT_EMPTY_PATH: a call on a descriptor, not a path */
	else if (!v || !json_is_string(v))
		snprintf(path, sizeof(path), "(unreadable)");
	else
		snprintf(path, sizeof(path), "%s", json_string_value(v));
	slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return add_access(rep, &rep->files, &rep->n_files, dir,
			  file_what(rec->u.sys.name, sys, rec->u.sys.args), rec, path, NULL);
}

static int is_net(const char *name)
{
	static const char *const calls[] = {
		"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
		"sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg",
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (!strcmp(name, calls[i]))
			return 1;
	return 0;
}

static int on_access(struct jt_report *rep, const struct jt_rec *rec)
{
	const struct jt_rec_syscall *s = &rec->u.sys;
	int sys = jt_sys_by_name(s->name);

	if (sys < 0)
		return 0;
	if (is_net(s->name)) {
		json_t *a0 = json_array_get(s->args, 0);
		char call[256];
		const char *group = s->name;

		/* the address as decided ("tcp 10.1.1.1:80"), not the pointer to it */
		if (s->addr && s->addr[0]) {
			const char *ep = strchr(s->addr, ' ');

			group = ep && ep[1] == '[' ? "AF_INET6" : "AF_INET";
			snprintf(call, sizeof(call), "%s %s", s->name, s->addr);
			return add_access(rep, &rep->net, &rep->n_net, group, s->name, rec, call, s->addr);
		}
		if (s->path && s->path[0]) {
			snprintf(call, sizeof(call), "%s unix %s", s->name, s->path);
			return add_access(rep, &rep->net, &rep->n_net, "AF_UNIX", s->name, rec, call,
					  s->path);
		}
		/* socket(AF_INET, ...): the family is what a reader wants */
		if (a0 && json_is_string(a0) && !strncmp(json_string_value(a0), "AF_", 3))
			group = json_string_value(a0);
		return add_access(rep, &rep->net, &rep->n_net, group, s->name, rec,
				  jt_logread_call_text(s, call, sizeof(call)), NULL);
	}
	if (sys == JT_SYS_execve || sys == JT_SYS_execveat || !s->args)
		return 0;	/* programs are in the process tree */
	for (int i = 0; i < jt_sysinfo[sys].nargs; i++)
		if (jt_sysinfo[sys].arg[i] == JT_ARG_PATH)
			return on_file(rep, rec, sys, i);
	return 0;
}

static int on_syscall(struct jt_report *rep, const struct jt_rec *rec)
{
	int r;

	/* a repeat record stands for count calls */
	rep->decisions += (unsigned long)rec->u.sys.count;
	if (rec->u.sys.allow)
		rep->allowed += (unsigned long)rec->u.sys.count;
	else
		rep->denied += (unsigned long)rec->u.sys.count;
	r = rec->u.sys.allow ? 0 : on_denial(rep, rec);
	/* with --audit full the call records show every access, with its result */
	if (r == 0 && rec->u.sys.name && !rep->full)
		r = on_access(rep, rec);
	return r;
}

static int on_call(struct jt_report *rep, const struct jt_rec *rec)
{
	int sys = jt_sys_by_name(rec->u.sys.name);

	rep->calls++;
	if (!rep->sys_calls) {
		rep->sys_calls = calloc(JT_SYS_COUNT, sizeof(*rep->sys_calls));
		rep->sys_failed = calloc(JT_SYS_COUNT, sizeof(*rep->sys_failed));
		if (!rep->sys_calls || !rep->sys_failed)
			return -ENOMEM;
	}
	if (sys >= 0) {
		rep->sys_calls[sys]++;
		if (rec->u.sys.result_err || !rec->u.sys.allow)
			rep->sys_failed[sys]++;
	}
	return rec->u.sys.name && rep->full ? on_access(rep, rec) : 0;
}

size_t jt_report_top_syscalls(const struct jt_report *rep, int *idx, size_t max)
{
	size_t n = 0;

	/* a few hundred syscalls, a few dozen shown: insertion is enough */
	for (int sys = 0; rep->sys_calls && sys < JT_SYS_COUNT; sys++) {
		size_t k;

		if (!rep->sys_calls[sys])
			continue;
		for (k = n; k > 0 && rep->sys_calls[idx[k - 1]] < rep->sys_calls[sys]; k--)
			if (k < max)
				idx[k] = idx[k - 1];
		if (k < max) {
			idx[k] = sys;
			if (n < max)
				n++;
		}
	}
	return n;
}

static const char *obj_str(json_t *o, const char *key, const char *dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

/*
 * A request through a proxy of jailtrace's ("egress": the domain proxy,
 * "proxy": the secrets proxy) is network access too: one group per name,
 * so a reader sees which names were reached and which were refused.
 */
static int on_sidecar(struct jt_report *rep, const struct jt_rec *rec, int egress)
{
	json_t *o = rec->obj;
	const char *method = obj_str(o, "method", "?"), *name = obj_str(o, "name", "(none)");
	const char *why = obj_str(o, "reason", obj_str(o, "error", NULL));
	json_t *st = json_object_get(o, "status");
	long long status = json_is_integer(st) ? json_integer_value(st) : 0;
	const char *decision = egress ? obj_str(o, "decision", "deny")
			     : status > 0 && status < 400 ? "allow" : "deny";
	char group[300], example[600];
	struct jt_rp_access *a;

	if (egress) {
		json_t *port = json_object_get(o, "port");

		snprintf(group, sizeof(group), "domain proxy: %s:%lld", name,
			 json_is_integer(port) ? json_integer_value(port) : 0);
		snprintf(example, sizeof(example), "%s %s:%lld%s%s%s%s", method, name,
			 json_is_integer(port) ? json_integer_value(port) : 0,
			 json_is_string(json_object_get(o, "addr")) ? " via " : "",
			 obj_str(o, "addr", ""), why ? ": " : "", why ? why : "");
	} else {
		snprintf(group, sizeof(group), "secrets proxy: %s", name);
		snprintf(example, sizeof(example), "%s %s \xe2\x86\x92 %lld%s%s", method,
			 obj_str(o, "path", ""), status, why ? ": " : "", why ? why : "");
	}
	for (size_t i = 0; i < rep->n_net; i++) {
		a = &rep->net[i];
		if (!strcmp(a->group, group) && !strcmp(a->what, method) && !strcmp(a->decision, decision)) {
			a->first.count++;
			return 0;
		}
	}
	if (rep->n_net >= MAX_GROUPS)
		return 0;
	if (grow(&rep->net, rep->n_net, sizeof(*rep->net)) < 0)
		return -ENOMEM;
	a = &rep->net[rep->n_net++];
	memset(a, 0, sizeof(*a));
	a->group = dup(group);
	a->what = dup(method);
	a->decision = dup(decision);
	a->example = dup(example);
	a->first.count = 1;
	a->first.t = rec->t;
	a->first.line = rec->line;
	a->first.call = dup(example);
	return a->group && a->what && a->decision && a->example && a->first.call ? 0 : -ENOMEM;
}

static void on_other(struct jt_report *rep, const char *type)
{
	size_t i;

	for (i = 0; i < rep->n_other; i++)
		if (!strcmp(rep->other_types[i], type)) {
			rep->other_counts[i]++;
			return;
		}
	if (rep->n_other >= 64 || grow(&rep->other_types, rep->n_other, sizeof(char *)) < 0 ||
	    grow(&rep->other_counts, rep->n_other, sizeof(unsigned long)) < 0)
		return;
	rep->other_types[i] = dup(type);
	rep->other_counts[i] = 1;
	if (rep->other_types[i])
		rep->n_other++;
}

static int on_record(struct jt_report *rep, const struct jt_rec *rec)
{
	if (rec->t > rep->last_t)
		rep->last_t = rec->t;
	switch (rec->type) {
	case JT_REC_RUN:
		rep->run = json_incref(rec->obj);
		rep->version = rec->u.run.v;
		return 0;
	case JT_REC_SYSCALL:
		return on_syscall(rep, rec);
	case JT_REC_SPAWN:
		return on_spawn(rep, rec);
	case JT_REC_EXEC:
		return on_exec(rep, rec);
	case JT_REC_EXIT:
		on_exit_(rep, rec);
		return 0;
	case JT_REC_LIMIT: {
		struct jt_rp_limit *l;

		if (rep->n_limits >= MAX_GROUPS || grow(&rep->limits, rep->n_limits, sizeof(*l)) < 0)
			return 0;
		l = &rep->limits[rep->n_limits++];
		l->limit = dup(rec->u.limit.limit);
		l->t = rec->t;
		l->value = rec->u.limit.value;
		l->observed = rec->u.limit.observed;
		add_event(rep, rec->t, 0, 'l', rec->u.limit.limit);
		return 0;
	}
	case JT_REC_END:
		rep->end = json_incref(rec->obj);
		return 0;
	case JT_REC_CALL:
		return on_call(rep, rec);
	case JT_REC_DROPPED:
		rep->dropped += (uint64_t)rec->u.dropped.records;
		return 0;
	case JT_REC_OTHER:
		if (!strcmp(rec->type_name, "egress") || !strcmp(rec->type_name, "proxy"))
			return on_sidecar(rep, rec, rec->type_name[0] == 'e');
		on_other(rep, rec->type_name);
		return 0;
	}
	return 0;
}

static int by_group(const void *a, const void *b)
{
	const struct jt_rp_access *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	return c ? c : strcmp(x->what, y->what);
}

int jt_report_read(struct jt_report *rep, struct jt_logread *rd)
{
	struct jt_rec rec;
	int r;

	memset(rep, 0, sizeof(*rep));
	rep->path = dup(rd->path);
	while ((r = jt_logread_next(rd, &rec)) > 0) {
		rep->full = rd->full;
		r = on_record(rep, &rec);
		if (r < 0) {
			snprintf(rep->err, sizeof(rep->err), "%s:%lu: %s", rd->path, rec.line, strerror(-r));
			return r;
		}
	}
	if (r < 0) {
		snprintf(rep->err, sizeof(rep->err), "%s", rd->err);
		return r;
	}
	rep->lines = rd->line;
	if (rep->n_files)
		qsort(rep->files, rep->n_files, sizeof(*rep->files), by_group);
	if (rep->n_net)
		qsort(rep->net, rep->n_net, sizeof(*rep->net), by_group);
	rep->records = rd->records;
	rep->cut_line = rd->cut_line;
	if (rep->version > JT_LOG_VERSION)
		note(rep, "the log has schema version %lld; this jailtrace reads version %d and skips what it does not know",
		     rep->version, JT_LOG_VERSION);
	if (!rep->end)
		note(rep, "the log has no end record: jailtrace did not end cleanly (it was killed, or is still running); "
		     "this report covers the log up to %.3f s", rep->last_t);
	if (rd->cut_line)
		note(rep, "line %lu, the last, is cut (jailtrace died while writing it) and left out; "
		     "had it been a decision, the program never acted on it", rd->cut_line);
	if (rep->dropped)
		note(rep, "%lu records (no decisions: those are refused when the log is full) were left out "
		     "by the log limit", rep->dropped);
	if (rep->n_procs >= MAX_PROCS)
		note(rep, "only the first %d processes are shown", MAX_PROCS);
	if (rep->events_dropped)
		note(rep, "the timeline shows the first %d events; %lu more are not drawn",
		     JT_RP_EVENTS_MAX, rep->events_dropped);
	for (size_t i = 0; i < rep->n_other; i++)
		note(rep, "%lu records of type \"%s\", which this jailtrace does not know, are not shown",
		     rep->other_counts[i], rep->other_types[i]);
	return 0;
}

int jt_report_load(struct jt_report *rep, const char *path)
{
	struct jt_logread rd;
	int r = jt_logread_open(&rd, path);

	if (r < 0) {
		memset(rep, 0, sizeof(*rep));
		snprintf(rep->err, sizeof(rep->err), "%s", rd.err);
		return r;
	}
	r = jt_report_read(rep, &rd);
	jt_logread_close(&rd);
	return r;
}

void jt_report_free(struct jt_report *rep)
{
	for (size_t i = 0; i < rep->n_procs; i++) {
		struct jt_rp_proc *p = &rep->procs[i];

		for (size_t k = 0; k < p->n_execs; k++) {
			for (char **a = p->execs[k].argv; a && *a; a++)
				free(*a);
			free(p->execs[k].argv);
			free(p->execs[k].exe);
		}
		free(p->execs);
		free(p->kind);
		free(p->signal);
	}
	for (size_t i = 0; i < rep->n_rules; i++) {
		for (size_t k = 0; k < rep->rules[i].n_calls; k++) {
			free(rep->rules[i].calls[k].name);
			free(rep->rules[i].calls[k].err);
			free_first(&rep->rules[i].calls[k].first);
		}
		free(rep->rules[i].calls);
		free(rep->rules[i].rule);
	}
	for (size_t i = 0; i < rep->n_limits; i++)
		free(rep->limits[i].limit);
	for (int pass = 0; pass < 2; pass++) {
		struct jt_rp_access *a = pass ? rep->net : rep->files;
		size_t n = pass ? rep->n_net : rep->n_files;

		for (size_t i = 0; i < n; i++) {
			free(a[i].group);
			free(a[i].what);
			free(a[i].decision);
			free(a[i].example);
			free(a[i].addr);
			free_first(&a[i].first);
		}
		free(a);
	}
	for (size_t i = 0; i < rep->n_events; i++)
		free(rep->events[i].label);
	for (size_t i = 0; i < rep->n_other; i++)
		free(rep->other_types[i]);
	for (size_t i = 0; i < rep->n_notes; i++)
		free(rep->notes[i]);
	free(rep->procs);
	free(rep->rules);
	free(rep->limits);
	free(rep->events);
	free(rep->other_types);
	free(rep->other_counts);
	free(rep->notes);
	free(rep->sys_calls);
	free(rep->sys_failed);
	json_decref(rep->run);
	json_decref(rep->end);
	free(rep->path);
	memset(rep, 0, sizeof(*rep));
}

/* ------------------------------------------------ shared by the writers */

const char *jt_report_run_str(const struct jt_report *rep, const char *key)
{
	json_t *v = json_object_get(rep->run, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long end_int(const struct jt_report *rep, const char *key)
{
	json_t *v = json_object_get(rep->end, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

double jt_report_duration(const struct jt_report *rep)
{
	long long ms = end_int(rep, "wall_ms");

	return ms >= 0 ? (double)ms / 1000 : rep->last_t;
}

const char *jt_report_outcome(const struct jt_report *rep, char *buf, size_t len)
{
	json_t *st = json_object_get(rep->end, "status"), *msg = json_object_get(rep->end, "message");
	json_t *sig = json_object_get(rep->end, "signal_name");
	const char *status = json_is_string(st) ? json_string_value(st) : "?";
	long long code = end_int(rep, "exit_code"), prog = end_int(rep, "program_exit_code");
	size_t n;

	if (!rep->end) {
		snprintf(buf, len, "did not end cleanly: the log stops at %.3f s without an end record", rep->last_t);
		return buf;
	}
	if (!strcmp(status, "exited"))
		n = (size_t)snprintf(buf, len, "exited with status %lld", prog);
	else if (!strcmp(status, "signaled"))
		n = (size_t)snprintf(buf, len, "killed by %s", json_is_string(sig) ? json_string_value(sig) : "a signal");
	else if (!strcmp(status, "interrupted"))
		n = (size_t)snprintf(buf, len, "interrupted: jailtrace was told to stop");
	else if (!strcmp(status, "error"))
		n = (size_t)snprintf(buf, len, "jailtrace error");
	else
		n = (size_t)snprintf(buf, len, "stopped by the %s", status);
	if (n < len && json_is_string(msg))
		n += (size_t)snprintf(buf + n, len - n, " (%s)", json_string_value(msg));
	if (n < len)
		snprintf(buf + n, len - n, "; jailtrace exit status %lld", code);
	return buf;
}

const char *jt_report_rule_meaning(const char *rule)
{
	static const struct {
		const char *rule, *meaning;
	} m[] = {
		{ "default-deny", "no rule names this syscall: denied (ENOSYS) and logged" },
		{ "builtin:target-outside", "aimed at a process outside the sandbox" },
		{ "builtin:clone-flags", "clone with flags that would escape tracing or make namespaces" },
		{ "builtin:forbidden-flags", "flags the sandbox never allows (a seccomp listener)" },
		{ "builtin:network-off", "an address no `net` rule or --allow-net grants" },
		{ "builtin:network-local", "this host's own address, not granted: refused as if nothing listened" },
		{ "builtin:network-bind", "binding or listening, not granted (--allow-bind)" },
		{ "builtin:network-udp", "UDP to an address no `net ... udp` rule grants" },
		{ "builtin:network-family", "a socket family the sandbox does not offer" },
		{ "builtin:network-protocol", "a socket type or protocol the sandbox does not offer" },
		{ "builtin:network-raw", "a raw socket" },
		{ "builtin:unix-datagram", "an unconnected unix datagram socket (it could send to any host path)" },
		{ "builtin:ioctl-not-allowed", "an ioctl request code not on the allow list" },
		{ "builtin:abi-not-handled", "a call through an ABI jailtrace does not handle (x32)" },
		{ "builtin:fcntl-setown-ex", "F_SETOWN_EX could direct signals outside the sandbox" },
		{ "builtin:not-in-view", "the path is not in the sandbox's file-system view" },
		{ "builtin:read-only", "a change to a read-only part of the view" },
		{ "builtin:jailtrace-output", "a change to jailtrace's own audit log, or to a directory holding it, the result file or --keep's copies" },
		{ "builtin:link-to-read-only", "a hard link to what the program may not change" },
		{ "builtin:exec-from-writable", "running a file from a writable grant (no `exec jail`)" },
		{ "builtin:exec-written-map", "mapping a file from a writable grant executable (no `exec jail`)" },
		{ "builtin:read-implies-exec", "personality READ_IMPLIES_EXEC, which would make written files executable (no `exec jail`)" },
		{ "builtin:old-mmap", "i386's old mmap, whose arguments are in memory (libcs use mmap2)" },
		{ "builtin:handover-descriptor", "a descriptor the tracer keeps for itself in the program" },
		{ "builtin:lock-host-file", "an exclusive lock on a file host processes use (outside the writable grants)" },
		{ "builtin:lease-host-file", "a lease on a file host processes use: their opens would wait for it" },
		{ "builtin:dnotify-host-file", "dnotify on a directory of the host: it would report what host processes do" },
		{ "builtin:watch-read-only", "an inotify watch outside the writable grants: it would report what host processes do" },
		{ "builtin:pty-count", "more ptys than a run may hold (the machine's pool, kernel.pty.max, is shared with the host)" },
		{ "builtin:inotify-instances", "more inotify instances than a run may hold (the user's are shared with the host)" },
		{ "builtin:inotify-watches", "more inotify watches than a run may hold (the user's are shared with the host)" },
		{ "builtin:epoll-watches", "more epoll watches than a run may hold (the user's are shared with the host)" },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (!strcmp(rule, m[i].rule))
			return m[i].meaning;
	return NULL;
}

static const struct {
	const char *name;
	char kind;	/* t time, s size, n count */
} limit_kinds[] = {
	{ "timeout", 't' }, { "cpu", 't' }, { "memory", 's' }, { "vmem", 's' },
	{ "procs", 'n' }, { "output", 's' }, { "fsize", 's' }, { "nofile", 'n' }, { "log", 's' },
};

const char *jt_report_limit(const char *name, double v, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(limit_kinds) / sizeof(limit_kinds[0]); i++)
		if (!strcmp(name, limit_kinds[i].name))
			break;
	if (v == 0 && i < sizeof(limit_kinds) / sizeof(limit_kinds[0]) && limit_kinds[i].kind != 'n')
		snprintf(buf, len, "none");
	else if (i < sizeof(limit_kinds) / sizeof(limit_kinds[0]) && limit_kinds[i].kind == 't')
		jt_report_ms(v, buf, len);
	else if (i < sizeof(limit_kinds) / sizeof(limit_kinds[0]) && limit_kinds[i].kind == 's')
		jt_report_size(v, buf, len);
	else if (v >= 0 && v < 1e15)
		snprintf(buf, len, "%.0f", v);	/* a count: 1000000, not 1e+06 */
	else
		snprintf(buf, len, "%g", v);	/* from a log: anything */
	return buf;
}

const char *jt_report_size(double bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
	return buf;
}

const char *jt_report_ms(double ms, char *buf, size_t len)
{
	if (!(ms >= 0 && ms < 1e15))	/* from a log: anything, NaN included */
		snprintf(buf, len, "%g ms", ms);
	else if (ms < 1000)
		snprintf(buf, len, "%.0f ms", ms);
	else if (ms < 120000 && (long long)ms % 1000 == 0)
		snprintf(buf, len, "%lld s", (long long)ms / 1000);
	else if (ms < 120000)
		snprintf(buf, len, "%.2f s", ms / 1000);
	else
		snprintf(buf, len, "%lld min %lld s", (long long)ms / 60000,
			 ((long long)ms % 60000) / 1000);
	return buf;
}
