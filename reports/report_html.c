/*
 * The report as one self-contained HTML page: inline CSS, an inline SVG
 * timeline, no script and nothing fetched, so it can be mailed, archived
 * and opened offline. Everything from the log is escaped.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compat/syscalls.h"
#include "reports/report.h"

#define LANES 40		/* processes drawn on the timeline; the rest share the last lane */
#define W 960			/* timeline width */
#define X0 70			/* where time 0 is drawn */
#define LANE_H 16

/* no libm for two comparisons */
static double dmin(double a, double b) { return a < b ? a : b; }
static double dmax(double a, double b) { return a > b ? a : b; }

static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* A command line; arguments a shell would split are quoted. */
static void argv_html(FILE *out, char *const *argv)
{
	for (size_t i = 0; argv && argv[i]; i++) {
		int plain = argv[i][0] != '\0' && !argv[i][strcspn(argv[i], " \t\n'\"\\$`;&|<>()*?[]{}~#!")];

		if (i)
			fputc(' ', out);
		if (i == 64) {
			fputs("...", out);
			break;
		}
		if (!plain)
			fputs("&#39;", out);
		esc(out, argv[i]);
		if (!plain)
			fputs("&#39;", out);
	}
}

static const char css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#1b1f24;background:#fff}"
	"h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}"
	"code,td.mono{font:12.5px ui-monospace,monospace}table{border-collapse:collapse;width:100%}"
	"td,th{text-align:left;vertical-align:top;padding:3px 8px;border-bottom:1px solid #eef0f2}"
	"th{font-weight:600;color:#57606a;white-space:nowrap}.summary th{width:110px}"
	".ok{color:#1a7f37}.bad{color:#cf222e;font-weight:600}.muted{color:#6e7781}"
	".rule{font-weight:600}.note{background:#fff8c5;border:1px solid #eedc82;padding:6px 10px;margin:4px 0;border-radius:4px}"
	".count{text-align:right;white-space:nowrap}svg text{font:11px ui-monospace,monospace;fill:#57606a}"
	"pre.stack{margin:4px 0 0;font-size:12px;color:#57606a}"
	"table.calls{table-layout:fixed}table.calls th:nth-child(1){width:130px}"
	"table.calls th:nth-child(2){width:130px}table.calls th:nth-child(3){width:60px}";

static void summary(const struct jt_report *rep, FILE *out)
{
	json_t *a = json_object_get(rep->run, "argv"), *v;
	json_t *cpu = json_object_get(rep->end, "cpu_ms"), *peak = json_object_get(rep->end, "peak_memory_kb");
	json_t *uid = json_object_get(rep->run, "uid");
	char buf[512], b1[32];
	size_t i;

	fputs("<table class=\"summary\">\n<tr><th>what ran</th><td><code>", out);
	json_array_foreach(a, i, v) {
		if (i)
			fputc(' ', out);
		esc(out, json_is_string(v) ? json_string_value(v) : "?");
	}
	fputs("</code></td></tr>\n<tr><th>for</th><td>", out);
	esc(out, jt_report_run_str(rep, "user"));
	fprintf(out, " (uid %lld) on ", json_is_integer(uid) ? (long long)json_integer_value(uid) : -1LL);
	esc(out, jt_report_run_str(rep, "host"));
	fputs(", in <code>", out);
	esc(out, jt_report_run_str(rep, "cwd"));
	fputs("</code></td></tr>\n<tr><th>when</th><td>", out);
	esc(out, jt_report_run_str(rep, "start"));
	fprintf(out, ", for %s", jt_report_ms(jt_report_duration(rep) * 1000, b1, sizeof(b1)));
	if (json_is_integer(cpu) && json_is_integer(peak)) {
		fprintf(out, " (CPU %s, ", jt_report_ms((double)json_integer_value(cpu), b1, sizeof(b1)));
		fprintf(out, "peak memory %s)", jt_report_size((double)json_integer_value(peak) * 1024, b1, sizeof(b1)));
	}
	fprintf(out, "</td></tr>\n<tr><th>how it ended</th><td class=\"%s\" id=\"outcome\">",
		rep->end ? "" : "bad");
	esc(out, jt_report_outcome(rep, buf, sizeof(buf)));
	fputs("</td></tr>\n<tr><th>policy</th><td><code>", out);
	esc(out, jt_report_run_str(rep, "policy"));
	fputs("</code> <span class=\"muted\">", out);
	esc(out, jt_report_run_str(rep, "policy_digest"));
	fputs("</span></td></tr>\n<tr><th>traced by</th><td>jailtrace ", out);
	esc(out, jt_report_run_str(rep, "jailtrace"));
	fputs(" on Linux ", out);
	esc(out, jt_report_run_str(rep, "kernel"));
	fprintf(out, "</td></tr>\n<tr><th>decisions</th><td>%lu recorded: %lu allowed, "
		"<span class=\"%s\">%lu denied</span>",
		rep->decisions, rep->allowed, rep->denied > rep->quiet ? "bad" : "ok",
		rep->denied - rep->quiet);
	if (rep->quiet)
		fprintf(out, " <span class=\"muted\">(and %lu by design or as on the host: "
			"paths it lacks too)</span>", rep->quiet);
	fputs("</td></tr>\n</table>\n", out);
	for (i = 0; i < rep->n_notes; i++) {
		fputs("<div class=\"note\">", out);
		esc(out, rep->notes[i]);
		fputs("</div>\n", out);
	}
}

static double xof(double t, double dur)
{
	double x = X0 + t / dur * (W - X0 - 10);

	return isfinite(x) ? dmin(dmax(x, X0), W - 10) : X0;
}

static size_t lane_of(const struct jt_report *rep, long long pid)
{
	long i = jt_report_proc(rep, pid);

	return i < 0 ? 0 : (size_t)i < LANES ? (size_t)i : LANES - 1;
}

static void timeline(const struct jt_report *rep, FILE *out)
{
	size_t lanes = rep->n_procs ? (rep->n_procs < LANES ? rep->n_procs : LANES) : 1;
	double dur = jt_report_duration(rep), h = 24 + (double)lanes * LANE_H;

	if (!(dur > 0) || !isfinite(dur))
		dur = rep->last_t > 0 && isfinite(rep->last_t) ? rep->last_t : 0.001;
	fputs("<h2>Timeline</h2>\n", out);
	fprintf(out, "<svg width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" role=\"img\" aria-label=\"timeline\">\n", W, h, W, h);
	for (int k = 0; k <= 4; k++) {
		double x = X0 + k * (W - X0 - 10) / 4.0;

		fprintf(out, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#eef0f2\"/>"
			"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.3g s</text>\n",
			x, x, h - 14, x, h - 2, dur * k / 4);
	}
	for (size_t i = 0; i < lanes && i < rep->n_procs; i++) {
		const struct jt_rp_proc *p = &rep->procs[i];
		double y = 6 + (double)i * LANE_H;

		fprintf(out, "<text x=\"2\" y=\"%.0f\">%s%lld</text>", y + 10,
			i == LANES - 1 && rep->n_procs > LANES ? "+" : "", p->pid);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"10\" rx=\"2\" fill=\"%s\">"
			"<title>pid %lld</title></rect>\n",
			xof(p->start, dur), y + 2, dmax(xof(p->ended ? p->end : dur, dur) - xof(p->start, dur), 1.5),
			p->ended ? "#c8d1dc" : "#e6b8b8", p->pid);
	}
	for (size_t i = 0; i < rep->n_events; i++) {
		const struct jt_rp_event *e = &rep->events[i];
		double x = xof(e->t, dur), y = 6 + (double)lane_of(rep, e->pid) * LANE_H + 7;

		if (e->kind == 'l')
			fprintf(out, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#bc4c00\" stroke-width=\"2\">",
				x, x, h - 14);
		else if (e->kind == 'd')
			fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#cf222e\">", x, y);
		else
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"12\" fill=\"#0969da\">", x - 1.5, y - 6);
		fprintf(out, "<title>%.6f s: %s ", e->t, e->kind == 'l' ? "limit" : e->kind == 'd' ? "denied" : "exec");
		esc(out, e->label);
		fputs(e->kind == 'l' ? "</title></line>\n" : e->kind == 'd' ? "</title></circle>\n" : "</title></rect>\n", out);
	}
	fputs("</svg>\n<p class=\"muted\">Bars: processes, from start to exit (red: no exit record). "
	      "Blue: exec. Red dots: denials. Orange line: a limit ended the run. Hover for details.</p>\n", out);
}

static void proc_row(const struct jt_rp_proc *p, int depth, FILE *out)
{
	fprintf(out, "<tr><td class=\"mono\" style=\"padding-left:%dem\">%lld</td><td><code>",
		(depth > 20 ? 20 : depth) + 1, p->pid);
	if (p->n_execs)
		argv_html(out, p->execs[0].argv);
	else
		fprintf(out, "</code><span class=\"muted\">(%s, no exec)</span><code>", p->kind ? p->kind : "process");
	for (size_t k = 1; k < p->n_execs; k++) {
		fputs("</code><br><span class=\"muted\">then:</span> <code>", out);
		argv_html(out, p->execs[k].argv);
	}
	fputs("</code></td><td>", out);
	if (p->ended && p->has_code)
		fprintf(out, "exit %lld", p->exit_code);
	else if (p->ended && p->signal)
		fprintf(out, "killed by %s", p->signal);
	else
		fputs("<span class=\"bad\">no exit record</span>", out);
	fputs("</td><td class=\"count\">", out);
	if (p->threads)
		fprintf(out, "%u thread%s ", p->threads, p->threads == 1 ? "" : "s");
	if (p->denials)
		fprintf(out, "<span class=\"bad\">%lu denied</span>", p->denials);
	fputs("</td></tr>\n", out);
}

static void tree(const struct jt_report *rep, size_t i, int depth, char *shown, FILE *out)
{
	shown[i] = 1;
	proc_row(&rep->procs[i], depth, out);
	for (size_t k = 0; k < rep->n_procs; k++)
		if (!shown[k] && rep->procs[k].parent == rep->procs[i].pid)
			tree(rep, k, depth + 1, shown, out);
}

static void processes(const struct jt_report *rep, FILE *out)
{
	char *shown = calloc(rep->n_procs + 1, 1);

	fprintf(out, "<h2 id=\"processes\">Processes (%zu)</h2>\n<table>\n"
		"<tr><th>pid</th><th>program</th><th>ended</th><th></th></tr>\n", rep->n_procs);
	for (size_t i = 0; shown && i < rep->n_procs; i++)
		if (!shown[i] && jt_report_proc(rep, rep->procs[i].parent) < 0)
			tree(rep, i, 0, shown, out);
	for (size_t i = 0; shown && i < rep->n_procs; i++)
		if (!shown[i])
			tree(rep, i, 0, shown, out);
	fputs("</table>\n", out);
	free(shown);
}

static void stack(json_t *st, FILE *out)
{
	size_t i;
	json_t *f;

	if (!json_is_array(st))
		return;
	fputs("<pre class=\"stack\">", out);
	json_array_foreach(st, i, f) {
		char *s = json_is_string(f) ? NULL : json_dumps(f, JSON_COMPACT | JSON_ENCODE_ANY);

		if (i == 16)
			break;
		fputs("at ", out);
		esc(out, s ? s : json_is_string(f) ? json_string_value(f) : "?");
		fputc('\n', out);
		free(s);
	}
	fputs("</pre>", out);
}

static void denials(const struct jt_report *rep, FILE *out)
{
	fprintf(out, "<h2>Denials (%lu)</h2>\n<section id=\"denials\">\n", rep->denied);
	if (!rep->n_rules)
		fputs("<p class=\"ok\">No call was denied.</p>\n", out);
	for (size_t i = 0; i < rep->n_rules; i++) {
		const struct jt_rp_rule *r = &rep->rules[i];
		const char *m = jt_report_rule_meaning(r->rule);

		fputs("<h3><span class=\"rule\">", out);
		esc(out, r->rule);
		fprintf(out, "</span> <span class=\"muted\">%lu call%s", r->count, r->count == 1 ? "" : "s");
		if (m) {
			fputs(": ", out);
			esc(out, m);
		}
		fputs("</span></h3>\n<table class=\"calls\">\n<tr><th>syscall</th><th>errno</th><th class=\"count\">count</th>"
		      "<th>first occurrence</th></tr>\n", out);
		for (size_t k = 0; k < r->n_calls; k++) {
			const struct jt_rp_denied *d = &r->calls[k];

			/* no news (by design, or as natively) is not shown as trouble */
			fprintf(out, "<tr class=\"%s\"><td class=\"mono\">",
				d->quiet == d->first.count ? "denial muted" : "denial");
			esc(out, d->name);
			fputs("</td><td class=\"mono\">", out);
			esc(out, d->err);
			fprintf(out, "</td><td class=\"count\">%lu</td><td><code>", d->first.count);
			esc(out, d->first.call);
			fprintf(out, "</code><br><span class=\"muted\">at %.6f s, pid %lld, log line %lu</span>",
				d->first.t, d->first.pid, d->first.line);
			stack(d->first.py_stack, out);	/* the script's own frames first */
			stack(d->first.stack, out);
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}
	fputs("</section>\n", out);
}

static void limits(const struct jt_report *rep, FILE *out)
{
	json_t *in = json_object_get(rep->run, "limits"), *v;
	const char *k;
	char b1[32], b2[32];

	fputs("<h2>Limits</h2>\n", out);
	if (!rep->n_limits)
		fputs("<p class=\"ok\">No limit was reached.</p>\n", out);
	for (size_t i = 0; i < rep->n_limits; i++) {
		fputs("<p class=\"bad\">", out);
		esc(out, rep->limits[i].limit);
		fprintf(out, " reached at %.3f s: limit %s, ", rep->limits[i].t,
			jt_report_limit(rep->limits[i].limit, rep->limits[i].value, b1, sizeof(b1)));
		fprintf(out, "measured %s</p>\n",
			jt_report_limit(rep->limits[i].limit, rep->limits[i].observed, b2, sizeof(b2)));
	}
	if (!json_is_object(in))
		return;
	fputs("<p class=\"muted\">In force:", out);
	json_object_foreach(in, k, v) {
		fputc(' ', out);
		esc(out, k);
		if (json_is_number(v))
			fprintf(out, " %s", jt_report_limit(k, json_number_value(v), b1, sizeof(b1)));
	}
	fputs("</p>\n", out);
}

static void syscalls(const struct jt_report *rep, FILE *out)
{
	int idx[24];
	size_t n = jt_report_top_syscalls(rep, idx, 24);

	if (!rep->calls)
		return;
	fprintf(out, "<h2>Syscalls</h2>\n<p class=\"muted\">Full audit: %lu calls recorded; the most made:</p>\n"
		"<table>\n<tr><th>syscall</th><th class=\"count\">calls</th><th class=\"count\">failed</th></tr>\n",
		rep->calls);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "<tr><td class=\"mono\">%s</td><td class=\"count\">%lu</td><td class=\"count\">%lu</td></tr>\n",
			jt_sys_name(idx[i]), rep->sys_calls[idx[i]], rep->sys_failed[idx[i]]);
	fputs("</table>\n", out);
}

static void access(const struct jt_rp_access *a, size_t n, const char *title, const char *id,
		   const char *none, FILE *out)
{
	fprintf(out, "<h2 id=\"%s\">%s</h2>\n", id, title);
	if (!n) {
		fprintf(out, "<p class=\"muted\">%s</p>\n", none);
		return;
	}
	fputs("<table>\n<tr><th>where</th><th>what</th><th>decision</th><th class=\"count\">count</th>"
	      "<th>example</th></tr>\n", out);
	for (size_t i = 0; i < n; i++) {
		fputs("<tr><td class=\"mono\">", out);
		esc(out, a[i].group);
		fputs("</td><td>", out);
		esc(out, a[i].what);
		fprintf(out, "</td><td class=\"%s\">%s</td><td class=\"count\">%lu</td><td><code>",
			strcmp(a[i].decision, "deny") ? "ok" : "bad", a[i].decision, a[i].first.count);
		esc(out, a[i].example);
		fputs("</code></td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

int jt_report_html(const struct jt_report *rep, FILE *out)
{
	const char *id = jt_report_run_str(rep, "run_id");

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<title>jailtrace report ", out);
	esc(out, id);
	fprintf(out, "</title>\n<style>%s</style></head>\n<body>\n<h1>jailtrace report</h1>\n"
		"<p class=\"muted\">run <code>", css);
	esc(out, id);
	fputs("</code>, from <code>", out);
	esc(out, rep->path);
	fputs("</code></p>\n", out);
	summary(rep, out);
	timeline(rep, out);
	processes(rep, out);
	denials(rep, out);
	limits(rep, out);
	syscalls(rep, out);
	access(rep->files, rep->n_files, "Files", "files",
	       "No file call recorded (under the file-system view every call that names a path stops and is logged).", out);
	access(rep->net, rep->n_net, "Network", "network",
	       "No network attempt recorded (every connect, bind, listen and send to an address stops and is logged).", out);
	fputs("</body></html>\n", out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
