/*
 * The report as plain text, for a person with a terminal: the questions
 * first (what, who, how long, how it ended), then the details.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compat/syscalls.h"
#include "reports/report.h"

#define ARGV_SHOWN 120	/* characters of a command line shown */

static const char *qd(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static const char *q(const char *s)
{
	return qd(s, "?");
}

/*
 * The log's strings are the program's (its argv, the paths it asked for,
 * its frames' names): on a terminal an ESC, CR or LF in one rewrote the
 * report's lines (hid a denial, forged a line). @s with its control bytes
 * as '?', in @buf.
 */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	for (; s && s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* A command line, shell-quoted where needed, cut at ARGV_SHOWN characters. */
static const char *cmdline(char *const *argv, char *buf, size_t len)
{
	size_t n = 0;
	char *at = buf;

	buf[0] = '\0';
	for (size_t i = 0; argv && argv[i] && n < len; i++) {
		const char *a = argv[i];
		int plain = *a != '\0';

		for (const char *c = a; *c && plain; c++)
			plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%", *c) != NULL;
		n += (size_t)snprintf(buf + n, len - n, plain ? "%s%s" : "%s'%s'", i ? " " : "", a);
	}
	if (n >= ARGV_SHOWN && len > ARGV_SHOWN + 4)
		memcpy(buf + ARGV_SHOWN, "...", 4);	/* len > ARGV_SHOWN + 4 */
	for (; *at; at++)
		if ((unsigned char)*at < 0x20 || *at == 0x7f)
			*at = '?';
	return buf;
}

/* The run header's argv as a vector. */
static char **run_argv(const struct jt_report *rep)
{
	json_t *a = json_object_get(rep->run, "argv"), *v;
	size_t i, n = json_is_array(a) ? json_array_size(a) : 0;
	char **argv = calloc(n + 1, sizeof(char *));

	if (!argv)
		return NULL;
	json_array_foreach(a, i, v)
		argv[i] = (char *)(json_is_string(v) ? json_string_value(v) : "?");
	return argv;
}

static void header(const struct jt_report *rep, FILE *out)
{
	char **argv = run_argv(rep), line[512], b1[32], b2[32], b3[32];
	json_t *uid = json_object_get(rep->run, "uid"), *gid = json_object_get(rep->run, "gid");
	json_t *cpu = json_object_get(rep->end, "cpu_ms"), *peak = json_object_get(rep->end, "peak_memory_kb");

	fprintf(out, "jailtrace report of %s\n", rep->path);
	fprintf(out, "run %s\n\n", q(jt_report_run_str(rep, "run_id")));
	fprintf(out, "  what ran    %s\n", cmdline(argv, line, sizeof(line)));
	free(argv);
	fprintf(out, "  for         %s (uid %lld, gid %lld) on %s, in %s\n",
		q(jt_report_run_str(rep, "user")),
		json_is_integer(uid) ? (long long)json_integer_value(uid) : -1LL,
		json_is_integer(gid) ? (long long)json_integer_value(gid) : -1LL,
		q(jt_report_run_str(rep, "host")),
		q(jt_report_run_str(rep, "cwd")));
	{
		json_t *pu = json_object_get(rep->run, "program_uid"), *pg = json_object_get(rep->run, "program_gid");

		if (json_is_integer(pu) && json_is_integer(pg))
			fprintf(out, "  as          uid %lld, gid %lld (the program's)\n",
				(long long)json_integer_value(pu), (long long)json_integer_value(pg));
	}
	fprintf(out, "  when        %s, for %s", q(jt_report_run_str(rep, "start")),
		jt_report_ms(jt_report_duration(rep) * 1000, b1, sizeof(b1)));
	if (json_is_integer(cpu) && json_is_integer(peak))
		fprintf(out, " (CPU %s, peak memory %s)",
			jt_report_ms((double)json_integer_value(cpu), b2, sizeof(b2)),
			jt_report_size((double)json_integer_value(peak) * 1024, b3, sizeof(b3)));
	fprintf(out, "\n  how ended   %s\n", jt_report_outcome(rep, line, sizeof(line)));
	fprintf(out, "  policy      %s (%s)\n", q(jt_report_run_str(rep, "policy")),
		qd(jt_report_run_str(rep, "policy_digest"), "no digest"));
	fprintf(out, "  traced by   jailtrace %s on Linux %s\n",
		q(jt_report_run_str(rep, "jailtrace")),
		q(jt_report_run_str(rep, "kernel")));
	fprintf(out, "  decisions   %lu recorded: %lu allowed, %lu denied\n",
		rep->decisions, rep->allowed, rep->denied);
	if (rep->n_notes) {
		fprintf(out, "\nnotes\n");
		for (size_t i = 0; i < rep->n_notes; i++)
			fprintf(out, "  - %s\n", shown(rep->notes[i], line, sizeof(line)));
	}
}

static void proc_line(const struct jt_report *rep, const struct jt_rp_proc *p, int depth, FILE *out)
{
	char line[512], tail[128];
	size_t n = 0;

	tail[0] = '\0';
	if (p->ended && p->has_code)
		n += (size_t)snprintf(tail + n, sizeof(tail) - n, "exit %lld", p->exit_code);
	else if (p->ended && p->signal)
		n += (size_t)snprintf(tail + n, sizeof(tail) - n, "killed by %s", p->signal);
	else
		n += (size_t)snprintf(tail + n, sizeof(tail) - n, "no exit record");
	if (p->threads && n < sizeof(tail))
		n += (size_t)snprintf(tail + n, sizeof(tail) - n, ", %u thread%s", p->threads, p->threads == 1 ? "" : "s");
	if (p->denials && n < sizeof(tail))
		snprintf(tail + n, sizeof(tail) - n, ", %lu denial%s", p->denials, p->denials == 1 ? "" : "s");
	if (p->n_execs)
		cmdline(p->execs[0].argv, line, sizeof(line));
	else
		snprintf(line, sizeof(line), "(%s of %lld, no exec)", p->kind ? p->kind : "process", p->parent);
	fprintf(out, "  %*s%-7lld %s   [%s]\n", depth > 20 ? 40 : depth * 2, "", p->pid, line, tail);
	for (size_t k = 1; k < p->n_execs; k++)
		fprintf(out, "  %*s        then at %.3f s: %s\n", depth > 20 ? 40 : depth * 2, "",
			p->execs[k].t, cmdline(p->execs[k].argv, line, sizeof(line)));
}

/* A process and its children; @shown keeps each one to one line, whatever
 * pids a log repeats. No large buffer here: this recurses. */
static void tree(const struct jt_report *rep, size_t i, int depth, char *shown, FILE *out)
{
	shown[i] = 1;
	proc_line(rep, &rep->procs[i], depth, out);
	for (size_t k = 0; k < rep->n_procs; k++)
		if (!shown[k] && k != i && rep->procs[k].parent == rep->procs[i].pid)
			tree(rep, k, depth + 1, shown, out);
}

static void processes(const struct jt_report *rep, FILE *out)
{
	char *shown = calloc(rep->n_procs + 1, 1);

	fprintf(out, "\nprocesses (%zu)\n", rep->n_procs);
	if (!shown)
		return;
	if (!rep->n_procs)
		fprintf(out, "  none recorded\n");
	for (size_t i = 0; i < rep->n_procs; i++)
		if (!shown[i] && jt_report_proc(rep, rep->procs[i].parent) < 0)
			tree(rep, i, 0, shown, out);
	for (size_t i = 0; i < rep->n_procs; i++)
		if (!shown[i])
			tree(rep, i, 0, shown, out);
	free(shown);
}

static void stack(json_t *st, FILE *out)
{
	char line[1024];
	size_t i;
	json_t *f;

	if (!json_is_array(st))
		return;
	json_array_foreach(st, i, f) {
		char *s = json_is_string(f) ? NULL : json_dumps(f, JSON_COMPACT | JSON_ENCODE_ANY);

		if (i == 16) {
			fprintf(out, "          ...\n");
			break;
		}
		fprintf(out, "          at %s\n", shown(s ? s : json_is_string(f) ? json_string_value(f) : "?",
							 line, sizeof(line)));
		free(s);
	}
}

static void denials(const struct jt_report *rep, FILE *out)
{
	fprintf(out, "\ndenials (%lu call%s, %zu rule%s)\n", rep->denied, rep->denied == 1 ? "" : "s",
		rep->n_rules, rep->n_rules == 1 ? "" : "s");
	if (!rep->n_rules)
		fprintf(out, "  none\n");
	for (size_t i = 0; i < rep->n_rules; i++) {
		const struct jt_rp_rule *r = &rep->rules[i];
		const char *m = jt_report_rule_meaning(r->rule);

		fprintf(out, "  %s: %lu call%s%s%s%s\n", r->rule, r->count, r->count == 1 ? "" : "s",
			m ? " (" : "", m ? m : "", m ? ")" : "");
		for (size_t k = 0; k < r->n_calls; k++) {
			const struct jt_rp_denied *d = &r->calls[k];

			fprintf(out, "    %-12s %-12s %5lux  first at %.6f s, pid %lld (log line %lu):\n",
				d->name, d->err, d->first.count, d->first.t, d->first.pid, d->first.line);
			fprintf(out, "        %s\n", d->first.call ? d->first.call : "?");
			stack(d->first.py_stack, out);	/* the script's own frames first */
			stack(d->first.stack, out);
		}
	}
}

static void limits(const struct jt_report *rep, FILE *out)
{
	json_t *in = json_object_get(rep->run, "limits"), *v;
	const char *k;
	char b1[48], b2[48];
	int first = 1;

	fprintf(out, "\nlimits\n");
	if (!rep->n_limits)
		fprintf(out, "  none reached\n");
	for (size_t i = 0; i < rep->n_limits; i++) {
		const struct jt_rp_limit *l = &rep->limits[i];

		fprintf(out, "  %s reached at %.3f s: limit %s, measured %s\n", l->limit, l->t,
			jt_report_limit(l->limit, l->value, b1, sizeof(b1)),
			jt_report_limit(l->limit, l->observed, b2, sizeof(b2)));
	}
	if (!json_is_object(in))
		return;
	fprintf(out, "  in force:");
	json_object_foreach(in, k, v) {
		if (!json_is_number(v))
			continue;
		fprintf(out, "%s %s %s", first ? "" : ",", k, jt_report_limit(k, json_number_value(v), b1, sizeof(b1)));
		first = 0;
	}
	fprintf(out, "\n");
}

static void access_list(const struct jt_rp_access *a, size_t n, FILE *out)
{
	const char *group = NULL;
	char ex[PATH_MAX + 64];

	for (size_t i = 0; i < n; i++) {
		if (!group || strcmp(group, a[i].group))
			fprintf(out, "  %s\n", shown(a[i].group, ex, sizeof(ex)));
		group = a[i].group;
		if (a[i].first.pid > 0)
			fprintf(out, "    %-8s %-6s %5lux  e.g. %s (%.6f s, pid %lld)\n", a[i].what,
				a[i].decision, a[i].first.count, shown(a[i].example ? a[i].example : "?", ex, sizeof(ex)),
				a[i].first.t, a[i].first.pid);
		else	/* a proxy's request: jailtrace's thread, not a process of the program */
			fprintf(out, "    %-8s %-6s %5lux  e.g. %s (%.6f s)\n", a[i].what, a[i].decision,
				a[i].first.count, shown(a[i].example ? a[i].example : "?", ex, sizeof(ex)), a[i].first.t);
	}
}

static void syscalls(const struct jt_report *rep, FILE *out)
{
	int idx[24];
	size_t n = jt_report_top_syscalls(rep, idx, 24);

	if (!rep->calls)
		return;
	fprintf(out, "\nsyscalls (full audit: %lu calls; the most made)\n", rep->calls);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-18s %8lu  %lu failed\n", jt_sys_name(idx[i]),
			rep->sys_calls[idx[i]], rep->sys_failed[idx[i]]);
}

static void files_network(const struct jt_report *rep, FILE *out)
{
	fprintf(out, "\nfiles\n");
	if (!rep->n_files)
		fprintf(out, "  no file call recorded (under the file-system view every call that names a path stops and is logged)\n");
	access_list(rep->files, rep->n_files, out);
	fprintf(out, "\nnetwork\n");
	if (!rep->n_net)
		fprintf(out, "  no network attempt recorded (every connect, bind, listen and send to an address stops and is logged)\n");
	access_list(rep->net, rep->n_net, out);
}

/*
 * One screen: the header, the limits reached, and the denials that are
 * news (not by design, not as natively), one line each, most frequent
 * rules first as the report orders them, at most SUMMARY_DENIALS.
 */
#define SUMMARY_DENIALS 10

int jt_report_summary(const struct jt_report *rep, FILE *out)
{
	unsigned long news = 0, shown = 0, more = 0;
	char b1[48];

	header(rep, out);
	for (size_t i = 0; i < rep->n_limits; i++)
		fprintf(out, "  limit       %s reached at %.3f s (limit %s)\n", rep->limits[i].limit,
			rep->limits[i].t, jt_report_limit(rep->limits[i].limit, rep->limits[i].value, b1, sizeof(b1)));
	for (size_t i = 0; i < rep->n_rules; i++)
		for (size_t k = 0; k < rep->rules[i].n_calls; k++)
			news += rep->rules[i].calls[k].first.count - rep->rules[i].calls[k].quiet;
	fprintf(out, "\ndenials that matter: %lu (of %lu; the others by design or as natively)\n",
		news, rep->denied);
	for (size_t i = 0; i < rep->n_rules; i++) {
		const struct jt_rp_rule *r = &rep->rules[i];

		for (size_t k = 0; k < r->n_calls; k++) {
			const struct jt_rp_denied *d = &r->calls[k];

			if (d->quiet >= d->first.count)
				continue;
			if (shown == SUMMARY_DENIALS) {
				more++;
				continue;
			}
			fprintf(out, "  %5lux %-7s %.90s  [%s]\n", d->first.count - d->quiet, d->err,
				d->first.call ? d->first.call : d->name, r->rule);
			shown++;
		}
	}
	if (more)
		fprintf(out, "  ... %lu more kinds: jailtrace report without --summary lists them\n", more);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

int jt_report_text(const struct jt_report *rep, FILE *out)
{
	header(rep, out);
	processes(rep, out);
	denials(rep, out);
	limits(rep, out);
	syscalls(rep, out);
	files_network(rep, out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
