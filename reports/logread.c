/*
 * The audit log reader: lines, JSON (jansson), then the schema of each
 * record type. Unknown fields are ignored and unknown record types passed
 * on as JT_REC_OTHER, so a log from a later jailtrace still reads; fields
 * this reader uses must have their documented types.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "compat/syscalls.h"
#include "reports/log.h"
#include "reports/logread.h"

static void reset(struct jt_logread *rd)
{
	memset(rd, 0, sizeof(*rd));
}

void jt_logread_file(struct jt_logread *rd, const char *name, FILE *f)
{
	reset(rd);
	rd->f = f;
	rd->path = strdup(name ? name : "log");
}

int jt_logread_open(struct jt_logread *rd, const char *path)
{
	FILE *f;

	if (!strcmp(path, "-")) {
		jt_logread_file(rd, "stdin", stdin);
		return rd->path ? 0 : -ENOMEM;
	}
	f = fopen(path, "re");
	if (!f) {
		int e = errno;

		reset(rd);
		snprintf(rd->err, sizeof(rd->err), "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	jt_logread_file(rd, path, f);
	rd->own = 1;
	return rd->path ? 0 : -ENOMEM;
}

void jt_logread_close(struct jt_logread *rd)
{
	if (rd->own && rd->f)
		fclose(rd->f);
	json_decref(rd->cur);
	json_decref(rd->last_sys);
	rd->last_sys = NULL;
	free(rd->buf);
	free(rd->vec);
	free(rd->path);
	rd->f = NULL;
	rd->cur = NULL;
	rd->buf = NULL;
	rd->vec = NULL;
	rd->path = NULL;
}

/* "FILE:LINE: what"; @return -EINVAL, for `return bad(...)`. */
__attribute__((format(printf, 2, 3)))
static int bad(struct jt_logread *rd, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(rd->err, sizeof(rd->err), "%s:%lu: ", rd->path, rd->line);

	if (n < 0 || (size_t)n >= sizeof(rd->err))
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(rd->err + n, sizeof(rd->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int jt_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The \uXXXX escape at s (6 bytes available), or -1. */
static long uescape(const char *s)
{
	long v = 0;

	if (s[0] != '\\' || s[1] != 'u')
		return -1;
	for (int i = 2; i < 6; i++) {
		int h = jt_hexval((unsigned char)s[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

size_t jt_logread_unsurrogate(char *s, size_t len)
{
	size_t i = 0, o = 0;
	int after_high = 0;	/* a \ud800-\udbff just before: a real pair, leave it */

	while (i < len) {
		long u;

		if (s[i] != '\\' || i + 1 >= len) {
			s[o++] = s[i++];
			after_high = 0;
			continue;
		}
		u = i + 6 <= len ? uescape(s + i) : -1;
		if (u >= 0xdc80 && u <= 0xdcff && !after_high) {
			/* 6 bytes become 5: \\xNN, the text "\xNN" */
			s[o++] = '\\';
			s[o++] = '\\';
			s[o++] = 'x';
			s[o++] = s[i + 4];
			s[o++] = s[i + 5];
			i += 6;
			after_high = 0;
			continue;
		}
		after_high = u >= 0xd800 && u <= 0xdbff;
		/* any escape is at least two bytes: copying both keeps us in step */
		s[o++] = s[i++];
		s[o++] = s[i++];
	}
	return o;
}

/* One line into rd->buf, without its newline.
 * @return 1 a line, 2 a last line with no newline, 0 end of file, -errno. */
static int read_line(struct jt_logread *rd, size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(rd->f)) != EOF && c != '\n') {
		if (n >= JT_LOGREAD_LINE_MAX)
			return -E2BIG;
		if (n + 1 >= rd->cap) {
			size_t cap = rd->cap ? rd->cap * 2 : 4096;
			char *b = realloc(rd->buf, cap);

			if (!b)
				return -ENOMEM;
			rd->buf = b;
			rd->cap = cap;
		}
		rd->buf[n++] = (char)c;
	}
	if (c == EOF && ferror(rd->f))
		return -EIO;
	if (c == EOF && n == 0)
		return 0;
	if (rd->buf)
		rd->buf[n] = '\0';
	*len = n;
	return c == EOF ? 2 : 1;
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Field getters: 1 present, 0 absent (or null), -EINVAL wrong type. */

static int get_int(struct jt_logread *rd, json_t *o, const char *type, const char *key,
		   int need, long long *out)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return need ? bad(rd, "%s record: \"%s\" is missing", type, key) : 0;
	if (!json_is_integer(v))
		return bad(rd, "%s record: \"%s\" is not an integer", type, key);
	*out = json_integer_value(v);
	return 1;
}

static int get_num(struct jt_logread *rd, json_t *o, const char *type, const char *key,
		   int need, double *out)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return need ? bad(rd, "%s record: \"%s\" is missing", type, key) : 0;
	if (!json_is_number(v))
		return bad(rd, "%s record: \"%s\" is not a number", type, key);
	*out = json_number_value(v);
	return 1;
}

static int get_str(struct jt_logread *rd, json_t *o, const char *type, const char *key,
		   int need, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return need ? bad(rd, "%s record: \"%s\" is missing", type, key) : 0;
	if (!json_is_string(v))
		return bad(rd, "%s record: \"%s\" is not a string", type, key);
	*out = json_string_value(v);
	return 1;
}

/* A string, or a number kept as its text (errno and signal numbers). */
static int get_name(struct jt_logread *rd, json_t *o, const char *type, const char *key,
		    const char **out, char num[32])
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v && json_is_integer(v)) {
		snprintf(num, 32, "%lld", (long long)json_integer_value(v));
		*out = num;
		return 1;
	}
	return get_str(rd, o, type, key, 0, out);
}

static int get_obj(struct jt_logread *rd, json_t *o, const char *type, const char *key,
		   json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad(rd, "%s record: \"%s\" is not an object", type, key);
	*out = v;
	return 1;
}

/* An array of strings into rd->vec, NULL-terminated. */
static int get_argv(struct jt_logread *rd, json_t *o, const char *type, int need,
		    const char ***argv, size_t *argc)
{
	json_t *a = json_object_get(o, "argv"), *v;
	size_t i, n;

	*argv = NULL;
	*argc = 0;
	if (!a || json_is_null(a))
		return need ? bad(rd, "%s record: \"argv\" is missing", type) : 0;
	if (!json_is_array(a))
		return bad(rd, "%s record: \"argv\" is not an array", type);
	n = json_array_size(a);
	if (n + 1 > rd->veccap) {
		const char **nv = realloc(rd->vec, (n + 1) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		rd->vec = nv;
		rd->veccap = n + 1;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return bad(rd, "%s record: argv[%zu] is not a string", type, i);
		rd->vec[i] = json_string_value(v);
	}
	rd->vec[n] = NULL;
	*argv = rd->vec;
	*argc = n;
	return 1;
}

#define TRY(x) do { int r_ = (x); if (r_ < 0) return r_; } while (0)

static int parse_run(struct jt_logread *rd, json_t *o, struct jt_rec_run *r)
{
	const char *t = "run";

	TRY(get_int(rd, o, t, "v", 1, &r->v));
	if (r->v < 1)
		return bad(rd, "run record: schema version %lld", r->v);
	TRY(get_str(rd, o, t, "run_id", 1, &r->run_id));
	r->uid = r->gid = -1;
	TRY(get_int(rd, o, t, "uid", 0, &r->uid));
	TRY(get_int(rd, o, t, "gid", 0, &r->gid));
	TRY(get_str(rd, o, t, "start", 0, &r->start));
	TRY(get_str(rd, o, t, "user", 0, &r->user));
	TRY(get_str(rd, o, t, "host", 0, &r->host));
	TRY(get_str(rd, o, t, "cwd", 0, &r->cwd));
	TRY(get_str(rd, o, t, "policy", 0, &r->policy));
	TRY(get_str(rd, o, t, "policy_digest", 0, &r->policy_digest));
	TRY(get_str(rd, o, t, "kernel", 0, &r->kernel));
	TRY(get_str(rd, o, t, "jailtrace", 0, &r->jailtrace));
	TRY(get_obj(rd, o, t, "mechanism", &r->mechanism));
	TRY(get_obj(rd, o, t, "limits", &r->limits));
	return get_argv(rd, o, t, 0, &r->argv, &r->argc);
}

static int parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -EINVAL;
	for (s += 2; *s; s++, n++) {
		int h = jt_hexval((unsigned char)*s);

		if (h < 0 || n == 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)h;
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_facts(struct jt_logread *rd, json_t *o, struct jt_rec_syscall *s)
{
	static const char *const targets[] = { "none", "self", "sandbox", "outside", "gone" };
	json_t *facts, *fe;
	const char *target;

	TRY(get_obj(rd, o, "syscall", "facts", &facts));
	if (!facts)
		return 0;
	TRY(get_str(rd, facts, "syscall", "target", 0, &target));
	if (target) {
		int i;

		for (i = 0; i < 5 && strcmp(target, targets[i]); i++)
			;
		if (i == 5)
			return bad(rd, "syscall record: unknown target \"%s\"", target);
		s->has_target = 1;
		s->target = (enum jt_target)i;
	}
	TRY(get_str(rd, facts, "syscall", "path", 0, &s->path));
	TRY(get_str(rd, facts, "syscall", "addr", 0, &s->addr));
	fe = json_object_get(facts, "first_exec");
	if (fe && !json_is_boolean(fe) && !json_is_null(fe))
		return bad(rd, "syscall record: \"first_exec\" is not true or false");
	s->first_exec = fe && json_is_true(fe);
	return 0;
}

static int parse_syscall(struct jt_logread *rd, json_t *o, const char *t, struct jt_rec_syscall *s)
{
	const char *decision;
	json_t *raw, *v, *name;
	size_t i;

	s->count = 1;
	TRY(get_int(rd, o, t, "pid", 1, &s->pid));
	TRY(get_int(rd, o, t, "tid", 1, &s->tid));
	TRY(get_str(rd, o, t, "abi", 1, &s->abi));
	TRY(get_int(rd, o, t, "nr", 1, &s->nr));
	name = json_object_get(o, "name");
	if (!name)
		return bad(rd, "%s record: \"name\" is missing", t);
	TRY(get_str(rd, o, t, "name", 0, &s->name));

	/* raw is what replay decides on; a log without it still reports */
	s->nraw = -1;
	raw = json_object_get(o, "raw");
	if (raw) {
		if (!json_is_array(raw) || json_array_size(raw) > 6)
			return bad(rd, "%s record: \"raw\" is not an array of at most 6 values", t);
		json_array_foreach(raw, i, v) {
			if (!json_is_string(v) || parse_hex(json_string_value(v), &s->raw[i]) < 0)
				return bad(rd, "%s record: raw[%zu] is not a hex string \"0x...\"", t, i);
		}
		s->nraw = (int)json_array_size(raw);
	}
	TRY(parse_facts(rd, o, s));
	TRY(get_str(rd, o, t, "decision", 1, &decision));
	if (strcmp(decision, "allow") && strcmp(decision, "deny"))
		return bad(rd, "%s record: decision \"%s\" is neither allow nor deny", t, decision);
	s->allow = !strcmp(decision, "allow");
	TRY(get_str(rd, o, t, "rule", 1, &s->rule));
	if (!json_object_get(o, "errno"))
		return bad(rd, "%s record: \"errno\" is missing", t);
	TRY(get_name(rd, o, t, "errno", &s->err, rd->num));
	if (!s->allow && !s->err)
		return bad(rd, "%s record: a denial without an errno", t);
	if (s->allow)
		s->err = NULL;
	s->args = json_object_get(o, "args");
	if (s->args && !json_is_array(s->args))
		return bad(rd, "%s record: \"args\" is not an array", t);
	s->stack = json_object_get(o, "stack");
	s->py_stack = json_object_get(o, "py_stack");
	return 0;
}

static int parse_exit(struct jt_logread *rd, json_t *o, struct jt_rec_exit *e)
{
	TRY(get_int(rd, o, "exit", "pid", 1, &e->pid));
	TRY(get_int(rd, o, "exit", "tid", 1, &e->tid));
	e->has_code = get_int(rd, o, "exit", "exit_code", 0, &e->exit_code);
	if (e->has_code < 0)
		return e->has_code;
	return get_name(rd, o, "exit", "signal", &e->signal, rd->num);
}

static int parse_end(struct jt_logread *rd, json_t *o, struct jt_rec_end *e)
{
	const char *t = "end";

	TRY(get_str(rd, o, t, "status", 1, &e->status));
	TRY(get_int(rd, o, t, "exit_code", 1, &e->exit_code));
	e->program_exit_code = e->wall_ms = e->cpu_ms = e->peak_memory_kb = e->denials = -1;
	TRY(get_int(rd, o, t, "program_exit_code", 0, &e->program_exit_code));
	TRY(get_int(rd, o, t, "wall_ms", 0, &e->wall_ms));
	TRY(get_int(rd, o, t, "cpu_ms", 0, &e->cpu_ms));
	TRY(get_int(rd, o, t, "peak_memory_kb", 0, &e->peak_memory_kb));
	TRY(get_int(rd, o, t, "denials", 0, &e->denials));
	TRY(get_str(rd, o, t, "signal_name", 0, &e->signal_name));
	return get_str(rd, o, t, "message", 0, &e->message);
}

static const struct {
	const char *name;
	enum jt_rec_type type;
} types[] = {
	{ "run", JT_REC_RUN }, { "syscall", JT_REC_SYSCALL }, { "spawn", JT_REC_SPAWN },
	{ "exec", JT_REC_EXEC }, { "exit", JT_REC_EXIT }, { "limit", JT_REC_LIMIT },
	{ "end", JT_REC_END }, { "call", JT_REC_CALL }, { "repeat", JT_REC_SYSCALL },
	{ "dropped", JT_REC_DROPPED },
};

/* {"type":"repeat","count":N}: the last syscall record, N more times */
static int parse_repeat(struct jt_logread *rd, json_t *o, struct jt_rec *rec)
{
	long long n;

	TRY(get_int(rd, o, "repeat", "count", 1, &n));
	if (n < 1)
		return bad(rd, "repeat record: count %lld", n);
	if (!rd->last_sys)
		return bad(rd, "a repeat record with no syscall record before it");
	TRY(parse_syscall(rd, rd->last_sys, "syscall", &rec->u.sys));
	rec->u.sys.count = n;
	rec->obj = rd->last_sys;
	return 0;
}

static int parse_record(struct jt_logread *rd, json_t *o, struct jt_rec *rec)
{
	const char *type;
	size_t i;

	TRY(get_str(rd, o, "a", "type", 1, &type));
	rec->type_name = type;
	rec->type = JT_REC_OTHER;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(type, types[i].name))
			rec->type = types[i].type;
	if (!rd->seen_run && rec->type != JT_REC_RUN)
		return bad(rd, "not a jailtrace audit log: the first record is not the run header (\"type\":\"run\")");
	if (rd->seen_run && rec->type == JT_REC_RUN)
		return bad(rd, "a second run header: one log holds one run");
	if (rd->seen_end)
		return bad(rd, "a record after the end record");
	if (rec->type != JT_REC_RUN)
		TRY(get_num(rd, o, type, "t", rec->type != JT_REC_OTHER, &rec->t));

	switch (rec->type) {
	case JT_REC_RUN: {
		json_t *stops;

		rd->seen_run = 1;
		TRY(parse_run(rd, o, &rec->u.run));
		stops = json_object_get(rec->u.run.mechanism, "stops");
		rd->full = json_is_string(stops) && !strcmp(json_string_value(stops), "every_call");
		return 0;
	}
	case JT_REC_SYSCALL:
		if (!strcmp(type, "repeat"))
			return parse_repeat(rd, o, rec);
		TRY(parse_syscall(rd, o, type, &rec->u.sys));
		json_decref(rd->last_sys);
		rd->last_sys = json_incref(o);
		return 0;
	case JT_REC_CALL:
		TRY(parse_syscall(rd, o, type, &rec->u.sys));
		rec->u.sys.has_result = get_int(rd, o, type, "result", 0, &rec->u.sys.result);
		if (rec->u.sys.has_result < 0)
			return -EINVAL;
		return get_name(rd, o, type, "result_errno", &rec->u.sys.result_err, rd->num2);
	case JT_REC_SPAWN:
		TRY(get_int(rd, o, type, "pid", 1, &rec->u.spawn.pid));
		TRY(get_int(rd, o, type, "tgid", 1, &rec->u.spawn.tgid));
		TRY(get_int(rd, o, type, "parent", 1, &rec->u.spawn.parent));
		return get_str(rd, o, type, "kind", 1, &rec->u.spawn.kind);
	case JT_REC_EXEC:
		TRY(get_int(rd, o, type, "pid", 1, &rec->u.exec.pid));
		TRY(get_str(rd, o, type, "exe", 0, &rec->u.exec.exe));
		return get_argv(rd, o, type, 1, &rec->u.exec.argv, &rec->u.exec.argc);
	case JT_REC_EXIT:
		return parse_exit(rd, o, &rec->u.exit);
	case JT_REC_LIMIT:
		TRY(get_str(rd, o, type, "limit", 1, &rec->u.limit.limit));
		TRY(get_num(rd, o, type, "value", 1, &rec->u.limit.value));
		return get_num(rd, o, type, "observed", 1, &rec->u.limit.observed);
	case JT_REC_END:
		rd->seen_end = 1;
		return parse_end(rd, o, &rec->u.end);
	case JT_REC_DROPPED:
		TRY(get_int(rd, o, type, "records", 1, &rec->u.dropped.records));
		return rec->u.dropped.records < 0 ? bad(rd, "dropped record: records %lld",
							rec->u.dropped.records) : 0;
	case JT_REC_OTHER:
		return 0;
	}
	return 0;
}

int jt_logread_next(struct jt_logread *rd, struct jt_rec *rec)
{
	json_error_t je;
	size_t len;
	int r;

	memset(rec, 0, sizeof(*rec));
	json_decref(rd->cur);
	rd->cur = NULL;
	if (!rd->f)
		return -EBADF;
	for (;;) {
		rd->line++;
		r = read_line(rd, &len);
		if (r == -E2BIG)
			return bad(rd, "line longer than %d bytes", JT_LOGREAD_LINE_MAX);
		if (r < 0) {
			snprintf(rd->err, sizeof(rd->err), "%s:%lu: cannot read: %s", rd->path,
				 rd->line, strerror(-r));
			return r;
		}
		if (r == 0) {
			rd->line--;
			if (!rd->seen_run) {
				snprintf(rd->err, sizeof(rd->err), "%s: empty log: no run header", rd->path);
				return -EINVAL;
			}
			return 0;
		}
		if (!blank(rd->buf, len))
			break;
	}
	len = jt_logread_unsurrogate(rd->buf, len);
	rd->cur = json_loadb(rd->buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!rd->cur) {
		/* no newline and no JSON: jailtrace died while writing this record,
		 * which therefore never reached the program (docs/audit-log.md) */
		if (r == 2 && rd->seen_run) {
			rd->cut_line = rd->line;
			snprintf(rd->warn, sizeof(rd->warn),
				 "%s:%lu: the last line is cut (jailtrace was killed while writing it); ignored",
				 rd->path, rd->line);
			return 0;
		}
		return bad(rd, "not JSON: %s (column %d)", je.text, je.column);
	}
	if (!json_is_object(rd->cur))
		return bad(rd, "not a JSON object");
	rec->line = rd->line;
	rec->obj = rd->cur;
	r = parse_record(rd, rd->cur, rec);
	if (r < 0)
		return r;
	rd->records++;
	return 1;
}

/* ------------------------------------------------------------ as text */

struct out {
	char *b;
	size_t cap, len;
	int full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (o->len + n + 4 > o->cap) {
		/* room for "..." and the NUL is kept back */
		n = o->cap > o->len + 4 ? o->cap - o->len - 4 : 0;
		/* never inside a UTF-8 sequence: the text goes into JSON too */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(o->b + o->len, s, n);
		o->len += n;
		memcpy(o->b + o->len, "...", 4);
		o->len += 3;
		o->full = 1;
		return;
	}
	memcpy(o->b + o->len, s, n);
	o->len += n;
	o->b[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A string in double quotes, control characters escaped, long ones cut. */
static void quoted(struct out *o, const char *s, size_t n, int cut)
{
	size_t max = 200;

	put(o, "\"", 1);
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[8];

		if (c == '"' || c == '\\') {
			e[0] = '\\', e[1] = (char)c;
			put(o, e, 2);
		} else if (c == '\n') {
			put(o, "\\n", 2);
		} else if (c == '\t') {
			put(o, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(e, sizeof(e), "\\x%02x", c);
			puts_(o, e);
		} else {
			put(o, s + i, 1);
		}
	}
	put(o, "\"", 1);
	if (cut || n > max)
		put(o, "...", 3);
}

/* @q: quote strings (paths, argv) rather than print them bare (names). */
static void value(struct out *o, json_t *v, int q, int depth)
{
	char num[48];

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		puts_(o, num);
		return;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%g", json_real_value(v));
		puts_(o, num);
		return;
	case JSON_TRUE: puts_(o, "true"); return;
	case JSON_FALSE: puts_(o, "false"); return;
	case JSON_NULL: puts_(o, "null"); return;
	case JSON_STRING: {
		const char *str = json_string_value(v);
		size_t n = json_string_length(v);

		/* a name prints bare; anything with control bytes is quoted, so
		 * one call is always one line */
		for (size_t i = 0; !q && i < n; i++)
			q = (unsigned char)str[i] < 0x20 || str[i] == 0x7f;
		if (q)
			quoted(o, str, n, 0);
		else
			puts_(o, str);
		return;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *e;

		if (depth > 4) {
			puts_(o, "[...]");
			return;
		}
		put(o, "[", 1);
		json_array_foreach(v, i, e) {
			if (i)
				put(o, ", ", 2);
			if (i == 16) {
				puts_(o, "...");
				break;
			}
			value(o, e, 1, depth + 1);
		}
		put(o, "]", 1);
		return;
	}
	case JSON_OBJECT: {
		json_t *cut = json_object_get(v, "cut"), *un = json_object_get(v, "unreadable");

		if (cut && json_is_string(cut)) {
			quoted(o, json_string_value(cut), json_string_length(cut), 1);
		} else if (un && json_is_string(un)) {
			puts_(o, "<unreadable: ");
			puts_(o, json_string_value(un));
			puts_(o, ">");
		} else {
			puts_(o, "{...}");
		}
		return;
	}
	}
}

char *jt_logread_value_text(json_t *v, char *buf, size_t len)
{
	struct out o = { buf, len, 0, 0 };

	if (len < 8)
		return buf;
	buf[0] = '\0';
	if (v)
		value(&o, v, 1, 0);
	return buf;
}

char *jt_logread_call_text(const struct jt_rec_syscall *s, char *buf, size_t len)
{
	struct out o = { buf, len, 0, 0 };
	int sys = jt_sys_by_name(s->name);
	size_t i;
	json_t *a;

	if (len < 8)
		return buf;
	buf[0] = '\0';
	if (s->name) {
		puts_(&o, s->name);
	} else {
		char b[48];

		snprintf(b, sizeof(b), "syscall_%lld", s->nr);
		puts_(&o, b);
	}
	put(&o, "(", 1);
	if (s->args) {
		json_array_foreach(s->args, i, a) {
			int kind = sys >= 0 && i < 6 ? jt_sysinfo[sys].arg[i] : JT_ARG_HEX;

			if (i)
				put(&o, ", ", 2);
			/* argv arrays quote their elements themselves */
			value(&o, a, kind == JT_ARG_PATH || kind == JT_ARG_STR ||
				     kind == JT_ARG_BUFIN || kind == JT_ARG_BUFOUT, 0);
		}
	} else {
		for (int k = 0; k < s->nraw; k++) {
			char b[24];

			snprintf(b, sizeof(b), "%s0x%llx", k ? ", " : "", (unsigned long long)s->raw[k]);
			puts_(&o, b);
		}
	}
	put(&o, ")", 1);
	return buf;
}
