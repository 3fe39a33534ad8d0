/* The outcome of a run: the result object, its JSON and the summary line. */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "compat/names.h"
#include "reports/json.h"
#include "tracer/denials.h"
#include "tracer/internal.h"

/* The run ends for @why, said in the message; the first reason stands.
 * (A state the loop acts on: any part of the tracer may set it.) */
void jt_stop_run(struct jt_run *run, enum jt_stop why, const char *fmt, ...)
{
	va_list ap;

	if (run->stop != JT_STOP_NONE)
		return;
	run->stop = why;
	va_start(ap, fmt);
	vsnprintf(run->message, sizeof(run->message), fmt, ap);
	va_end(ap);
}

/* What happened after the stop, added to its message. */
void jt_stop_note(struct jt_run *run, const char *what)
{
	size_t n = strlen(run->message);

	snprintf(run->message + n, sizeof(run->message) - n, "; %s", what);
}

/* In the grace after a stop, a limit reached now ends it: 1 if so. */
int jt_grace_cut(struct jt_run *run, const char *limit)
{
	char note[64];

	if (run->stop == JT_STOP_NONE)
		return 0;
	if (run->grace_end_us > 1) {
		snprintf(note, sizeof(note), "killed in the grace period at the %s limit", limit);
		jt_stop_note(run, note);
		run->grace_end_us = 1;	/* past: the next check kills */
	}
	return 1;
}

static const char *const status_names[] = {
	[JT_EXITED] = "exited", [JT_SIGNALED] = "signaled", [JT_TIMEOUT] = "timeout",
	[JT_CPU_LIMIT] = "cpu_limit", [JT_MEMORY_LIMIT] = "memory_limit",
	[JT_OUTPUT_LIMIT] = "output_limit", [JT_PROCS_LIMIT] = "procs_limit",
	[JT_DISK_LIMIT] = "disk_limit",
	[JT_INTERRUPTED] = "interrupted", [JT_ERROR] = "error", [JT_LOG_LIMIT] = "log_limit",
};

const char *jt_status_name(enum jt_status s)
{
	return (unsigned)s <= JT_LOG_LIMIT ? status_names[s] : "?";
}

void jt_result_fill(struct jt_run *run, struct jt_result *res)
{
	static const enum jt_status of_stop[] = {
		[JT_STOP_TIMEOUT] = JT_TIMEOUT, [JT_STOP_CPU] = JT_CPU_LIMIT,
		[JT_STOP_MEMORY] = JT_MEMORY_LIMIT, [JT_STOP_OUTPUT] = JT_OUTPUT_LIMIT,
		[JT_STOP_PROCS] = JT_PROCS_LIMIT, [JT_STOP_DISK] = JT_DISK_LIMIT, [JT_STOP_SIGNAL] = JT_INTERRUPTED,
		[JT_STOP_ERROR] = JT_ERROR, [JT_STOP_LOG] = JT_LOG_LIMIT,
	};
	struct rusage ru;
	int st = run->child_status;

	memset(res, 0, sizeof(*res));
	res->program_exit_code = -1;
	if (run->child_done && WIFEXITED(st))
		res->program_exit_code = WEXITSTATUS(st);
	if (run->child_done && WIFSIGNALED(st))
		res->signal = WTERMSIG(st);
	res->wall_ms = (run->end_us - run->start_us) / 1000;
	res->denials = run->denials;
	jt_denials_explain(run, res);
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		uint64_t cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
			       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;

		res->cpu_ms = cpu > run->cpu_ms ? cpu : run->cpu_ms;
		res->peak_memory_kb = (uint64_t)ru.ru_maxrss;
	}
	if (run->peak_rss_kb > res->peak_memory_kb)
		res->peak_memory_kb = run->peak_rss_kb;
	snprintf(res->message, sizeof(res->message), "%s", run->message);
	snprintf(res->cpu_spread, sizeof(res->cpu_spread), "%s", run->spread_why ? run->spread_why : "");

	/* a limit or a stop outranks how the program then died */
	if (run->stop != JT_STOP_NONE) {
		res->status = of_stop[run->stop];
		switch (run->stop) {
		case JT_STOP_TIMEOUT: res->exit_code = 124; break;
		case JT_STOP_SIGNAL: res->exit_code = 128 + run->stop_signal; break;
		case JT_STOP_ERROR: res->exit_code = 125; break;
		default: res->exit_code = 128 + SIGKILL; break;
		}
		return;
	}
	if (res->program_exit_code >= 0) {
		res->status = JT_EXITED;
		res->exit_code = res->program_exit_code;
	} else {
		res->status = JT_SIGNALED;
		res->exit_code = 128 + res->signal;
	}
}

/* The fields the log's end record and the --result file share. */
static void result_fields(struct jt_json *j, const struct jt_result *res)
{
	const char *sig = res->signal ? jt_signal_name(res->signal) : NULL;

	jt_json_key(j, "status");
	jt_json_str(j, jt_status_name(res->status));
	jt_json_key(j, "exit_code");
	jt_json_int(j, res->exit_code);
	jt_json_key(j, "program_exit_code");
	if (res->program_exit_code >= 0)
		jt_json_int(j, res->program_exit_code);
	else
		jt_json_null(j);
	jt_json_key(j, "signal");
	if (res->signal)
		jt_json_int(j, res->signal);
	else
		jt_json_null(j);
	jt_json_key(j, "signal_name");
	jt_json_str(j, sig);
	jt_json_key(j, "wall_ms");
	jt_json_uint(j, res->wall_ms);
	jt_json_key(j, "cpu_ms");
	jt_json_uint(j, res->cpu_ms);
	jt_json_key(j, "peak_memory_kb");
	jt_json_uint(j, res->peak_memory_kb);
	jt_json_key(j, "denials");
	jt_json_uint(j, res->denials);
	jt_json_key(j, "cpu_spread");
	jt_json_str(j, res->cpu_spread[0] ? res->cpu_spread : NULL);
	jt_json_key(j, "message");
	jt_json_str(j, res->message[0] ? res->message : NULL);
}

int jt_result_json(const struct jt_result *res, char *buf, size_t len, const char *type,
		   uint64_t t_us)
{
	struct jt_json j;

	jt_json_init(&j, buf, len);
	jt_json_object(&j);
	if (type) {
		jt_json_key(&j, "type");
		jt_json_str(&j, type);
		jt_json_key(&j, "t");
		jt_json_seconds(&j, t_us);
	}
	result_fields(&j, res);
	jt_json_finish(&j);
	return (int)j.len;
}

/*
 * The --result file: the end record's fields, and the summary's denials
 * with what would grant each ("hints"; the log has every denial, the
 * summary on stderr names the same ones).
 */
int jt_result_write_json(const struct jt_result *res, int fd)
{
	char buf[4096];
	struct jt_json j;
	const char *p = buf;
	int n;

	jt_json_init(&j, buf, sizeof(buf));
	jt_json_object(&j);
	result_fields(&j, res);
	jt_json_key(&j, "hints");
	jt_json_array(&j);
	for (unsigned i = 0; i < res->n_hints && i < JT_RESULT_HINTS; i++) {
		jt_json_object(&j);
		jt_json_key(&j, "count");
		jt_json_uint(&j, res->hints[i].count);
		jt_json_key(&j, "text");
		jt_json_str(&j, res->hints[i].text);
		jt_json_end(&j);
	}
	jt_json_end(&j);
	jt_json_key(&j, "hints_more");
	jt_json_uint(&j, res->hints_more);
	jt_json_finish(&j);
	n = (int)j.len;

	while (n > 0) {
		ssize_t w = write(fd, p, (size_t)n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (int)w;
	}
	return 0;
}

/* @s with every control byte (a path or a request of the program's may hold
 * ESC, CR, LF) shown as '?': the summary is one line per fact, and what the
 * program chose cannot move the cursor over it */
static void plain(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void jt_result_print(const struct jt_result *res, FILE *out)
{
	char what[320], tail[24] = "";
	const char *sig = jt_signal_name(res->signal);
	/* what the person needs to know of: not the lookups that fail natively
	 * too, nor the refusals that guard jailtrace's own descriptor (the log
	 * and the result's "denials" count every one) */
	uint64_t quiet = res->hints_absent + res->hints_by_design;
	uint64_t denials = res->denials > quiet ? res->denials - quiet : 0;

	switch (res->status) {
	case JT_EXITED:
		snprintf(what, sizeof(what), "exited %d", res->program_exit_code);
		break;
	case JT_SIGNALED:
		snprintf(what, sizeof(what), "killed by %s", sig ? sig : "a signal");
		break;
	case JT_ERROR:
		snprintf(what, sizeof(what), "error: %s", res->message);
		break;
	default:
		snprintf(what, sizeof(what), "%s: %s", jt_status_name(res->status), res->message);
		break;
	}
	/* the exit status once: "exited 3" says it; a signal or a limit maps to 128+N */
	if (res->status != JT_EXITED)
		snprintf(tail, sizeof(tail), "; exit %d", res->exit_code);
	plain(what);
	fprintf(out, "jailtrace: %s; %llu.%02llus wall, %llu.%02llus cpu, %llu MiB peak, %llu denial%s%s\n",
		what, (unsigned long long)(res->wall_ms / 1000),
		(unsigned long long)(res->wall_ms % 1000 / 10),
		(unsigned long long)(res->cpu_ms / 1000), (unsigned long long)(res->cpu_ms % 1000 / 10),
		(unsigned long long)((res->peak_memory_kb + 1023) / 1024),
		(unsigned long long)denials, denials == 1 ? "" : "s", tail);
	/* why, in one glance: the most frequent denials and what would grant
	 * each; a line a write (stderr is unbuffered: not a byte a write) */
	for (unsigned i = 0; i < res->n_hints && i < JT_RESULT_HINTS; i++) {
		char line[sizeof(res->hints[i].text)];

		snprintf(line, sizeof(line), "%s", res->hints[i].text);
		plain(line);
		fprintf(out, "jailtrace: denied %llux %s\n", (unsigned long long)res->hints[i].count, line);
	}
	if (res->hints_more)
		fprintf(out, "jailtrace: %llu other denial%s; the audit log (--log) has each\n",
			(unsigned long long)res->hints_more, res->hints_more == 1 ? "" : "s");
}
