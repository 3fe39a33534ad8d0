/*
 * The report as one JSON object, for tools (`jailtrace report --format
 * json`). The header and end records are passed on as logged; the rest
 * is the model of report.h. docs/forensics.md lists the fields.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compat/syscalls.h"
#include "reports/report.h"

#define JT_REPORT_FORMAT 1

/* A string; text cut inside a UTF-8 sequence is mended, never dropped. */
static json_t *jstr(const char *s)
{
	json_t *v;
	char *c;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v || !(c = strdup(s)))
		return v ? v : json_null();
	for (unsigned char *p = (unsigned char *)c; *p; p++)
		if (*p >= 0x80)
			*p = '?';
	v = json_string(c);
	free(c);
	return v ? v : json_null();
}

static json_t *jreal(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

static json_t *first(const struct jt_rp_first *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "t", jreal(f->t));
	/* null: a request through a proxy of jailtrace's, not a call of the program */
	json_object_set_new(o, "pid", f->pid > 0 ? json_integer(f->pid) : json_null());
	json_object_set_new(o, "tid", f->tid > 0 ? json_integer(f->tid) : json_null());
	json_object_set_new(o, "line", json_integer((json_int_t)f->line));
	json_object_set_new(o, "call", jstr(f->call));
	json_object_set(o, "args", f->args ? f->args : json_null());
	if (f->stack)
		json_object_set(o, "stack", f->stack);
	if (f->py_stack)
		json_object_set(o, "py_stack", f->py_stack);
	return o;
}

static json_t *processes(const struct jt_report *rep)
{
	json_t *a = json_array();

	for (size_t i = 0; i < rep->n_procs; i++) {
		const struct jt_rp_proc *p = &rep->procs[i];
		json_t *o = json_object(), *ex = json_array();

		json_object_set_new(o, "pid", json_integer(p->pid));
		json_object_set_new(o, "parent", json_integer(p->parent));
		json_object_set_new(o, "kind", jstr(p->kind));
		json_object_set_new(o, "start", jreal(p->start));
		json_object_set_new(o, "end", p->ended ? jreal(p->end) : json_null());
		json_object_set_new(o, "exit_code", p->ended && p->has_code ? json_integer(p->exit_code) : json_null());
		json_object_set_new(o, "signal", jstr(p->ended ? p->signal : NULL));
		json_object_set_new(o, "threads", json_integer(p->threads));
		json_object_set_new(o, "denials", json_integer((json_int_t)p->denials));
		for (size_t k = 0; k < p->n_execs; k++) {
			json_t *e = json_object(), *argv = json_array();

			for (char **s = p->execs[k].argv; s && *s; s++)
				json_array_append_new(argv, jstr(*s));
			json_object_set_new(e, "t", jreal(p->execs[k].t));
			json_object_set_new(e, "exe", jstr(p->execs[k].exe));
			json_object_set_new(e, "argv", argv);
			json_array_append_new(ex, e);
		}
		json_object_set_new(o, "execs", ex);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *denials(const struct jt_report *rep)
{
	json_t *a = json_array();

	for (size_t i = 0; i < rep->n_rules; i++) {
		const struct jt_rp_rule *r = &rep->rules[i];
		json_t *o = json_object(), *calls = json_array();

		json_object_set_new(o, "rule", jstr(r->rule));
		json_object_set_new(o, "meaning", jstr(jt_report_rule_meaning(r->rule)));
		json_object_set_new(o, "count", json_integer((json_int_t)r->count));
		for (size_t k = 0; k < r->n_calls; k++) {
			json_t *c = json_object();

			json_object_set_new(c, "name", jstr(r->calls[k].name));
			json_object_set_new(c, "errno", jstr(r->calls[k].err));
			json_object_set_new(c, "count", json_integer((json_int_t)r->calls[k].first.count));
			json_object_set_new(c, "first", first(&r->calls[k].first));
			json_array_append_new(calls, c);
		}
		json_object_set_new(o, "calls", calls);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *access(const struct jt_rp_access *acc, size_t n, const char *group_key)
{
	json_t *o = json_object(), *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *g = json_object();

		json_object_set_new(g, group_key, jstr(acc[i].group));
		json_object_set_new(g, "what", jstr(acc[i].what));
		json_object_set_new(g, "decision", jstr(acc[i].decision));
		json_object_set_new(g, "count", json_integer((json_int_t)acc[i].first.count));
		json_object_set_new(g, "example", jstr(acc[i].example));
		if (acc[i].addr)
			json_object_set_new(g, "address", jstr(acc[i].addr));
		json_object_set_new(g, "first", first(&acc[i].first));
		json_array_append_new(a, g);
	}
	json_object_set_new(o, "recorded", json_boolean(n > 0));
	json_object_set_new(o, "groups", a);
	return o;
}

static json_t *timeline(const struct jt_report *rep)
{
	json_t *a = json_array();

	for (size_t i = 0; i < rep->n_events; i++) {
		const struct jt_rp_event *e = &rep->events[i];
		const char *kind = e->kind == 'x' ? "exec" : e->kind == 'd' ? "denial" : "limit";

		json_array_append_new(a, json_pack("{s:o, s:I, s:s, s:o}", "t", jreal(e->t),
						   "pid", (json_int_t)e->pid, "kind", kind,
						   "label", jstr(e->label)));
	}
	return a;
}

/* full audit: calls per syscall, the most made first; null otherwise */
static json_t *syscalls(const struct jt_report *rep)
{
	int idx[JT_SYS_COUNT];
	size_t n = jt_report_top_syscalls(rep, idx, JT_SYS_COUNT);
	json_t *a;

	if (!rep->calls)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "name", jt_sys_name(idx[i]),
			"count", (json_int_t)rep->sys_calls[idx[i]], "failed", (json_int_t)rep->sys_failed[idx[i]]));
	return a;
}

int jt_report_json(const struct jt_report *rep, FILE *out)
{
	json_t *o = json_object(), *lim = json_array(), *notes = json_array();
	char outcome[512];
	int r;

	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "report", json_integer(JT_REPORT_FORMAT));
	json_object_set_new(o, "log", jstr(rep->path));
	json_object_set(o, "run", rep->run ? rep->run : json_null());
	json_object_set_new(o, "ended_cleanly", json_boolean(rep->end != NULL));
	json_object_set_new(o, "outcome", jstr(jt_report_outcome(rep, outcome, sizeof(outcome))));
	json_object_set_new(o, "duration_s", jreal(jt_report_duration(rep)));
	json_object_set(o, "end", rep->end ? rep->end : json_null());
	json_object_set_new(o, "decisions", json_pack("{s:I, s:I, s:I}",
		"total", (json_int_t)rep->decisions, "allowed", (json_int_t)rep->allowed,
		"denied", (json_int_t)rep->denied));
	json_object_set_new(o, "processes", processes(rep));
	json_object_set_new(o, "denials", denials(rep));
	for (size_t i = 0; i < rep->n_limits; i++)
		json_array_append_new(lim, json_pack("{s:s?, s:o, s:o, s:o}", "limit", rep->limits[i].limit,
			"t", jreal(rep->limits[i].t), "value", jreal(rep->limits[i].value),
			"observed", jreal(rep->limits[i].observed)));
	json_object_set_new(o, "limits_reached", lim);
	json_object_set_new(o, "files", access(rep->files, rep->n_files, "directory"));
	json_object_set_new(o, "network", access(rep->net, rep->n_net, "family"));
	json_object_set_new(o, "timeline", timeline(rep));
	json_object_set_new(o, "syscalls", syscalls(rep));
	for (size_t i = 0; i < rep->n_notes; i++)
		json_array_append_new(notes, jstr(rep->notes[i]));
	json_object_set_new(o, "notes", notes);
	json_object_set_new(o, "cut_line", rep->cut_line ? json_integer((json_int_t)rep->cut_line) : json_null());
	r = json_dumpf(o, out, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10));
	json_decref(o);
	fputc('\n', out);
	fflush(out);
	return r < 0 || ferror(out) ? -EIO : 0;
}
