/*
 * `jailtrace replay`: every recorded request decided again under another
 * policy by jt_decide, and the differences grouped (syscall, before,
 * after) with a count and the first occurrence.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "compat/names.h"
#include "filters/net.h"
#include "reports/replay.h"

#define MAX_CHANGES 4096	/* kinds of change kept; more are counted */

static char *dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static enum jt_change classify(const struct jt_rec_syscall *s, const struct jt_verdict *v)
{
	if (jt_verdict_matches(s, v))
		return JT_SAME;
	if (s->allow)
		return JT_NEWLY_DENIED;
	return v->allow ? JT_NEWLY_ALLOWED : JT_OTHER_ERRNO;
}

/* A new, zeroed change at the end; NULL when MAX_CHANGES are kept or memory is out. */
static struct jt_replay_change *new_change(struct jt_replay *r)
{
	struct jt_replay_change *c;

	if (r->n_changes >= MAX_CHANGES)
		return NULL;
	if (r->n_changes % 16 == 0) {
		c = realloc(r->changes, (r->n_changes + 16) * sizeof(*c));
		if (!c)
			return NULL;
		r->changes = c;
	}
	c = &r->changes[r->n_changes++];
	memset(c, 0, sizeof(*c));
	return c;
}

static int record(struct jt_replay *r, const struct jt_rec *rec, const struct jt_policy *p,
		  const struct jt_verdict *v, enum jt_change kind)
{
	const struct jt_rec_syscall *s = &rec->u.sys;
	const char *name = s->name ? s->name : "?";
	struct jt_replay_change *c;
	char rule[64], call[512];
	const char *now = jt_verdict_rule(p, v, rule, sizeof(rule));

	for (size_t i = 0; i < r->n_changes; i++) {
		c = &r->changes[i];
		if (c->kind == kind && !strcmp(c->name, name) && !strcmp(c->was_rule, s->rule) &&
		    !strcmp(c->now_rule, now) && c->now_err == (v->allow ? 0 : v->err)) {
			c->count++;
			return 0;
		}
	}
	if (!(c = new_change(r)))
		return r->n_changes >= MAX_CHANGES ? 0 : -ENOMEM;
	c->kind = kind;
	c->name = dup(name);
	c->was_rule = dup(s->rule);
	c->was_err = dup(s->err);
	c->now_rule = dup(now);
	c->now_err = v->allow ? 0 : v->err;
	c->now_quiet = v->quiet;
	c->count = 1;
	c->t = rec->t;
	c->pid = s->pid;
	c->line = rec->line;
	c->call = dup(jt_logread_call_text(s, call, sizeof(call)));
	return c->name && c->was_rule && c->now_rule && c->call ? 0 : -ENOMEM;
}

/*
 * The run's own policy, as the header names it, when it is still the one
 * the run had (same digest): the walks of its paths are judged against it.
 * @return 1 loaded, 0 not.
 */
static int run_policy(const struct jt_rec_run *h, struct jt_policy *runp)
{
	char path[4096], hex[80], err[256];
	int r;

	jt_policy_init(runp);
	if (!h->policy)
		return 0;
	if (!strcmp(h->policy, "default"))
		r = jt_policy_default(runp, err, sizeof(err));
	else {
		snprintf(path, sizeof(path), "%s%s%s", h->policy[0] != '/' && h->cwd ? h->cwd : "",
			 h->policy[0] != '/' && h->cwd ? "/" : "", h->policy);
		r = jt_policy_load(runp, path, err, sizeof(err));
	}
	memcpy(hex, "sha256:", 8);
	for (int i = 0; r == 0 && i < 32; i++)
		snprintf(hex + 7 + 2 * i, 3, "%02x", runp->digest[i]);
	if (r < 0 || !h->policy_digest || strcmp(hex, h->policy_digest)) {
		jt_policy_free(runp);
		jt_policy_init(runp);
		return 0;
	}
	return 1;
}

/*
 * An "egress" record: a name the domain proxy was asked for, decided again
 * under @p's domain rules. Refusals of the proxy's own checks (an address,
 * a private network, a server name) do not depend on the policy's rules
 * and are counted with the transport's. @return 0 or -ENOMEM.
 */
static int replay_egress(struct jt_replay *r, const struct jt_rec *rec, const struct jt_policy *p)
{
	json_t *o = rec->obj;
	json_t *name = json_object_get(o, "name"), *port = json_object_get(o, "port");
	json_t *dec = json_object_get(o, "decision"), *why = json_object_get(o, "reason");
	json_t *rule = json_object_get(o, "rule"), *method = json_object_get(o, "method");
	int was = json_is_string(dec) && !strcmp(json_string_value(dec), "allow"), now;
	const char *reason = json_is_string(why) ? json_string_value(why) : "";
	enum jt_change kind;
	struct jt_replay_change *c;
	char call[400], now_rule[128];

	if (!json_is_string(name) || !json_is_integer(port))
		return 0;
	if (!was && strncmp(reason, "no domain rule", 14) && strncmp(reason, "port ", 5)) {
		r->transport_denials++;
		return 0;
	}
	now = jt_domain_match(p, json_string_value(name), (unsigned)json_integer_value(port));
	r->total++;
	kind = was == (now >= 0) ? JT_SAME : was ? JT_NEWLY_DENIED : JT_NEWLY_ALLOWED;
	switch (kind) {
	case JT_SAME: r->same++; return 0;
	case JT_NEWLY_DENIED: r->newly_denied++; break;
	default: r->newly_allowed++; break;
	}
	snprintf(now_rule, sizeof(now_rule), "%s", now >= 0 ? jt_policy_where(p, p->domains[now].rule)
								 : "default-deny");
	snprintf(call, sizeof(call), "%s %s:%lld", json_is_string(method) ? json_string_value(method) : "?",
		 json_string_value(name), (long long)json_integer_value(port));
	for (size_t i = 0; i < r->n_changes; i++) {
		c = &r->changes[i];
		if (c->kind == kind && !strcmp(c->name, "egress") && !strcmp(c->call, call)) {
			c->count++;
			return 0;
		}
	}
	if (!(c = new_change(r)))
		return r->n_changes >= MAX_CHANGES ? 0 : -ENOMEM;
	c->kind = kind;
	c->name = dup("egress");
	c->was_rule = dup(json_is_string(rule) ? json_string_value(rule) : "default-deny");
	c->was_err = was ? NULL : dup("EACCES");
	c->now_rule = dup(now_rule);
	c->now_err = now >= 0 ? 0 : EACCES;
	c->count = 1;
	c->t = rec->t;
	c->line = rec->line;
	c->call = dup(call);
	return c->name && c->was_rule && c->now_rule && c->call ? 0 : -ENOMEM;
}

/* "/cwd/p.policy:2" (the run's policy, loaded again) is the log's "p.policy:2" */
static int same_place(const char *where, const char *rule)
{
	size_t w = strlen(where), r = strlen(rule);

	return w == r ? !strcmp(where, rule) : w > r && where[w - r - 1] == '/' && !strcmp(where + w - r, rule);
}

/*
 * A connect the run made to one of jailtrace's own proxies: its rule is a
 * `net domain` or `proxy` rule (or --allow-domain, --proxy), whose grant
 * is that run's port, which a new run does not have. Decided again as:
 * does the new policy run such a proxy? @return 1 when it was one (@v set).
 */
static int sidecar_connect(const struct jt_rec_syscall *s, const struct jt_policy *runp,
			   const struct jt_policy *p, struct jt_verdict *v)
{
	int domain = s->rule && !strcmp(s->rule, "--allow-domain");
	int proxy = s->rule && !strcmp(s->rule, "--proxy");

	if (!s->allow || !s->rule)
		return 0;
	for (size_t i = 0; runp && !domain && !proxy && i < runp->n_domains; i++)
		domain = same_place(jt_policy_where(runp, runp->domains[i].rule), s->rule);
	for (size_t i = 0; runp && !domain && !proxy && i < runp->n_proxies; i++)
		proxy = same_place(jt_policy_where(runp, runp->proxies[i].rule), s->rule);
	if (!domain && !proxy)
		return 0;
	if (domain ? p->n_domains : p->n_proxies)
		*v = (struct jt_verdict){ .allow = 1, .rule = domain ? p->domains[0].rule : p->proxies[0].rule };
	else
		*v = (struct jt_verdict){ .allow = 0, .err = ECONNREFUSED, .rule = -1,
					  .builtin = "network-local" };
	return 1;
}

int jt_replay_read(struct jt_replay *r, struct jt_logread *rd, const struct jt_policy *p)
{
	struct jt_policy runp;
	int have_run = 0;
	struct jt_rec rec;
	int n;

	memset(r, 0, sizeof(*r));
	jt_policy_init(&runp);
	while ((n = jt_logread_next(rd, &rec)) > 0) {
		struct jt_request rq;
		struct jt_verdict v;
		struct jt_net_dest dest;
		enum jt_change kind;
		int by_net, by_path;
		char why[256];
		int e;

		if (rec.type == JT_REC_RUN && rec.u.run.policy)
			r->run_policy = dup(rec.u.run.policy);
		if (rec.type == JT_REC_RUN && !have_run)
			have_run = run_policy(&rec.u.run, &runp);
		/* a full-audit log has a call record for every call, the kernel's
		 * own decisions included: those are replayed, not the subset */
		r->full = rd->full;
		if (rec.type == JT_REC_OTHER && !strcmp(rec.type_name, "egress")) {
			if ((e = replay_egress(r, &rec, p)) < 0) {
				snprintf(r->err, sizeof(r->err), "%s: %s", rd->path, strerror(-e));
				jt_policy_free(&runp);
				return e;
			}
			continue;
		}
		if (rec.type != (rd->full ? JT_REC_CALL : JT_REC_SYSCALL))
			continue;
		if (jt_request_from_rec(&rec.u.sys, &rq, why, sizeof(why)) < 0) {
			snprintf(r->err, sizeof(r->err), "%s:%lu: %s", rd->path, rec.line, why);
			jt_policy_free(&runp);
			return -EINVAL;
		}
		jt_decide(p, &rq, &v);
		/* a network call: its address is in the record, decided again */
		by_net = v.allow && rec.u.sys.addr && jt_net_parse(rec.u.sys.addr, &dest) == 0;
		if (by_net) {
			dest.kind = rq.sys == JT_SYS_bind || rq.sys == JT_SYS_listen ? JT_NET_BIND
										  : JT_NET_CONNECT;
			if (dest.kind != JT_NET_CONNECT ||
			    !sidecar_connect(&rec.u.sys, have_run ? &runp : NULL, p, &v))
				jt_decide_net(p, &dest, &v);
		}
		/* a path call: the resolved path against the new policy's view */
		by_path = !by_net && v.allow && jt_redecide_path(p, &rec.u.sys, &rq, &v);
		/* and the places its walk passed on the way (links: /lib -> usr/lib;
		 * an exec's interpreter and loader) */
		if (by_path && v.allow && rec.u.sys.allow && have_run &&
		    !jt_redecide_links(&runp, p, jt_rec_asked_path(&rec.u.sys, rq.sys), &v) &&
		    (rq.sys == JT_SYS_execve || rq.sys == JT_SYS_execveat))
			jt_redecide_interp(&runp, p, rec.u.sys.path, &v);
		/* other transport checks rest on facts the log does not hold:
		 * their denials are not replayed; for what they allowed, the
		 * syscall part still decides */
		if (!by_net && !by_path && jt_rec_by_transport(&rec.u.sys) && !rec.u.sys.allow) {
			r->transport_denials++;
			continue;
		}
		r->total++;
		kind = !by_net && !by_path && jt_rec_by_transport(&rec.u.sys) && v.allow
			       ? JT_SAME : classify(&rec.u.sys, &v);
		switch (kind) {
		case JT_SAME: r->same++; continue;
		case JT_NEWLY_DENIED: r->newly_denied++; break;
		case JT_NEWLY_ALLOWED: r->newly_allowed++; break;
		case JT_OTHER_ERRNO: r->other_errno++; break;
		}
		e = record(r, &rec, p, &v, kind);
		if (e < 0) {
			snprintf(r->err, sizeof(r->err), "%s: %s", rd->path, strerror(-e));
			jt_policy_free(&runp);
			return e;
		}
	}
	jt_policy_free(&runp);
	if (n < 0) {
		snprintf(r->err, sizeof(r->err), "%s", rd->err);
		return n;
	}
	return 0;
}

void jt_replay_free(struct jt_replay *r)
{
	for (size_t i = 0; i < r->n_changes; i++) {
		struct jt_replay_change *c = &r->changes[i];

		free(c->name);
		free(c->was_rule);
		free(c->was_err);
		free(c->now_rule);
		free(c->call);
	}
	free(r->changes);
	free(r->run_policy);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------ output */

static const char *errname(int err, char *buf, size_t len)
{
	const char *n = jt_errno_name(err);

	if (n)
		return n;
	snprintf(buf, len, "%d", err);
	return buf;
}

static void section(const struct jt_replay *r, enum jt_change kind, const char *title, FILE *out)
{
	int any = 0;

	for (size_t i = 0; i < r->n_changes; i++) {
		const struct jt_replay_change *c = &r->changes[i];
		char b[16];

		if (c->kind != kind)
			continue;
		if (!any)
			fprintf(out, "\n%s\n", title);
		any = 1;
		if (kind == JT_NEWLY_DENIED)
			fprintf(out, "  %-12s %5lux  was allowed by %s; now %s by %s%s\n", c->name, c->count,
				c->was_rule, errname(c->now_err, b, sizeof(b)), c->now_rule,
				c->now_quiet ? " (in the kernel: no record)" : "");
		else if (kind == JT_NEWLY_ALLOWED)
			fprintf(out, "  %-12s %5lux  was %s by %s; now allowed by %s%s\n", c->name, c->count,
				c->was_err ? c->was_err : "?", c->was_rule, c->now_rule,
				c->now_quiet ? " (in the kernel: no record)" : "");
		else
			fprintf(out, "  %-12s %5lux  was %s by %s; now %s by %s%s\n", c->name, c->count,
				c->was_err ? c->was_err : "?", c->was_rule, errname(c->now_err, b, sizeof(b)),
				c->now_rule, c->now_quiet ? " (in the kernel: no record)" : "");
		if (c->pid > 0)
			fprintf(out, "      first at %.6f s, pid %lld (log line %lu): %s\n", c->t, c->pid,
				c->line, c->call ? c->call : "?");
		else	/* a request to the domain proxy: jailtrace's, no pid */
			fprintf(out, "      first at %.6f s (log line %lu): %s through the domain proxy\n", c->t,
				c->line, c->call ? c->call : "?");
	}
}

int jt_replay_text(const struct jt_replay *r, const char *log, const char *policy, FILE *out)
{
	fprintf(out, "replay of %s (run under %s) against %s\n", log,
		r->run_policy ? r->run_policy : "?", policy);
	fprintf(out, "  %lu recorded decisions: %lu the same, %lu newly denied, %lu newly allowed, "
		"%lu denied with another errno\n",
		r->total, r->same, r->newly_denied, r->newly_allowed, r->other_errno);
	if (r->full)
		fprintf(out, "  (a full-audit log: every call the program made was replayed)\n");
	if (r->transport_denials)
		fprintf(out, "  %lu denials were not decided again (a relative path outside the view, /proc of the\n"
			"  run's processes, a command-line grant, a reserved descriptor: facts the log lacks)\n",
			r->transport_denials);
	section(r, JT_NEWLY_DENIED, "newly denied (the run needed these: under this policy the program would fail there)", out);
	section(r, JT_NEWLY_ALLOWED, "newly allowed", out);
	section(r, JT_OTHER_ERRNO, "denied with another errno", out);
	if (!r->full)
		fprintf(out, "\nOnly calls that stopped in the tracer are in the log. Calls the kernel decided alone\n"
			"(an `allow` without a check, a `deny` rule) were not recorded and are not replayed;\n"
			"a log of `jailtrace run --audit full` has them all.\n");
	fprintf(out, "%s\n", r->newly_denied ? "verdict: this policy would deny calls the run needed (exit 1)"
					      : "verdict: nothing the run needed would be denied (exit 0)");
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

int jt_replay_json(const struct jt_replay *r, const char *log, const char *policy, FILE *out)
{
	static const char *const kinds[] = { "same", "newly_denied", "newly_allowed", "other_errno" };
	json_t *o = json_object(), *a = json_array();
	int e;

	if (!o || !a)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_changes; i++) {
		const struct jt_replay_change *c = &r->changes[i];
		char b[16];

		json_array_append_new(a, json_pack("{s:s, s:s?, s:I, s:{s:s, s:s?, s:s?}, s:{s:s, s:s?, s:s?, s:b}, s:{s:f, s:I, s:I, s:s?}}",
			"kind", kinds[c->kind], "name", c->name, "count", (json_int_t)c->count,
			"was", "decision", c->kind == JT_NEWLY_DENIED ? "allow" : "deny", "rule", c->was_rule,
			"errno", c->was_err,
			"now", "decision", c->now_err ? "deny" : "allow", "rule", c->now_rule,
			"errno", c->now_err ? errname(c->now_err, b, sizeof(b)) : NULL, "in_kernel", c->now_quiet,
			"first", "t", c->t, "pid", (json_int_t)c->pid, "line", (json_int_t)c->line, "call", c->call));
	}
	json_object_set_new(o, "log", json_string(log));
	json_object_set_new(o, "policy", json_string(policy));
	json_object_set_new(o, "run_policy", r->run_policy ? json_string(r->run_policy) : json_null());
	json_object_set_new(o, "full_audit", json_boolean(r->full));
	json_object_set_new(o, "transport_denials_not_replayed", json_integer((json_int_t)r->transport_denials));
	json_object_set_new(o, "total", json_integer((json_int_t)r->total));
	json_object_set_new(o, "same", json_integer((json_int_t)r->same));
	json_object_set_new(o, "newly_denied", json_integer((json_int_t)r->newly_denied));
	json_object_set_new(o, "newly_allowed", json_integer((json_int_t)r->newly_allowed));
	json_object_set_new(o, "other_errno", json_integer((json_int_t)r->other_errno));
	json_object_set_new(o, "changes", a);
	json_object_set_new(o, "exit_status", json_integer(r->newly_denied ? 1 : 0));
	e = json_dumpf(o, out, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	json_decref(o);
	fputc('\n', out);
	fflush(out);
	return e < 0 || ferror(out) ? -EIO : 0;
}
