/*
 * The policy language: one rule a line, '#' comments, `include`.
 * docs/policy.md is the reference; this file is the only reader of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <nettle/sha2.h>
#include "compat/names.h"
#include "filters/policy.h"

#define MAX_LINE 4096
#define MAX_FILE (1 << 20)
#define MAX_DEPTH 8
#define MAX_WORDS 256

struct parser {
	struct jt_policy *p;
	struct sha256_ctx sha;
	char *err;
	size_t errlen;
	int depth;
};

/* Where the error is, then what: "file:12: unknown directive "nett"". */
static int fail(struct parser *ps, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!ps->err || !ps->errlen)
		return -EINVAL;
	if (line > 0)
		n = snprintf(ps->err, ps->errlen, "%s:%d: ", file, line);
	else
		n = snprintf(ps->err, ps->errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void jt_policy_init(struct jt_policy *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < JT_SYS_COUNT; i++)
		p->rule[i] = -1;
	p->may_fork = p->may_thread = p->may_exec = 1;
	for (int i = 0; i < 4; i++)
		p->process_rule[i] = -1;
	p->exec_rule = -1;
	for (int i = 0; i < JT_ABI_COUNT; i++)
		p->abi_rule[i] = -1;
	for (int i = 0; i < JT_NLIMITS; i++)
		p->limit_rule[i] = -1;
}

void jt_policy_free(struct jt_policy *p)
{
	for (size_t i = 0; i < p->n_where; i++)
		free(p->where[i]);
	for (size_t i = 0; i < p->n_env; i++) {
		free(p->env[i].name);
		free(p->env[i].value);
	}
	for (size_t i = 0; i < p->n_grants; i++) {
		free(p->grants[i].host);
		free(p->grants[i].inside);
	}
	free(p->grants);
	jt_net_free(p);
	free(p->where);
	free(p->env);
	free(p->ioctls);
	free(p->source);
	memset(p, 0, sizeof(*p));
}

const char *jt_policy_where(const struct jt_policy *p, int rule)
{
	if (rule < 0 || (size_t)rule >= p->n_where)
		return "default-deny";
	return p->where[rule];
}

int jt_policy_ioctl(const struct jt_policy *p, uint32_t code)
{
	for (size_t i = 0; i < p->n_ioctls; i++)
		if (p->ioctls[i].code == code)
			return p->ioctls[i].rule;
	return -1;
}

static int add_where(struct parser *ps, const char *file, int line)
{
	struct jt_policy *p = ps->p;
	char **w;
	char buf[PATH_MAX + 32];

	w = realloc(p->where, (p->n_where + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	p->where = w;
	/* "FILE:LINE" ("FILE" for a command-line option), without printf: each
	 * run parses the built-in policy's 190 rules */
	size_t n = strnlen(file, PATH_MAX), k = sizeof(buf) - 1;

	buf[k] = '\0';
	for (int l = line; line > 0 && l > 0; l /= 10)
		buf[--k] = (char)('0' + l % 10);
	if (line > 0)
		buf[--k] = ':';
	memcpy(buf + k - n, file, n);
	w[p->n_where] = strdup(buf + k - n);
	if (!w[p->n_where])
		return -ENOMEM;
	return (int)p->n_where++;
}

int jt_parse_time_ms(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long long v;
	uint64_t mult;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "m"))
		mult = 60 * 1000;
	else if (!strcmp(end, "h"))
		mult = 3600 * 1000;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*ms = v * mult;
	return 0;
}

int jt_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0': mult = 1; break;
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	case 't': case 'T': mult = 1ULL << 40; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'B' || (*end == 'i' && end[1] == 'B' && end++))
		end++;
	if (*end || v > UINT64_MAX / mult)
		return -EINVAL;
	*bytes = v * mult;
	return 0;
}

static int parse_count(const char *s, uint64_t *n)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*n = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static const struct {
	const char *name;
	int (*parse)(const char *, uint64_t *);
} limits[JT_NLIMITS] = {
	{ "timeout", jt_parse_time_ms },
	{ "cpu", jt_parse_time_ms },
	{ "memory", jt_parse_size },
	{ "vmem", jt_parse_size },
	{ "procs", parse_count },
	{ "output", jt_parse_size },
	{ "fsize", jt_parse_size },
	{ "nofile", parse_count },
	{ "log", jt_parse_size },
	{ "disk", jt_parse_size },
	{ "inodes", parse_count },
};

static int is_errno_word(const char *w)
{
	return w[0] == 'E' && w[1] >= 'A' && w[1] <= 'Z';
}

/* allow NAME... | deny NAME... [ERRNO] */
static int rule_syscalls(struct parser *ps, const char *file, int line,
			 char **w, int n, int action)
{
	int err = EPERM, rule;

	if (n < 2)
		return fail(ps, file, line, "%s needs at least one syscall name", w[0]);
	if (action == JT_DENY && is_errno_word(w[n - 1])) {
		err = jt_errno_by_name(w[n - 1]);
		if (err < 0)
			return fail(ps, file, line, "unknown errno \"%s\"", w[n - 1]);
		n--;
		if (n < 2)
			return fail(ps, file, line, "deny needs at least one syscall name");
	} else if (action == JT_ALLOW && is_errno_word(w[n - 1])) {
		return fail(ps, file, line, "allow takes no errno (\"%s\")", w[n - 1]);
	}
	rule = add_where(ps, file, line);
	if (rule < 0)
		return rule;
	for (int i = 1; i < n; i++) {
		int sys = jt_sys_by_name(w[i]);

		if (sys < 0)
			return fail(ps, file, line, "unknown syscall \"%s\"", w[i]);
		ps->p->action[sys] = (unsigned char)action;
		ps->p->err[sys] = (short)err;
		ps->p->rule[sys] = rule;
	}
	return 0;
}

/* ioctl allow CODE... | ioctl deny CODE... */
static int rule_ioctl(struct parser *ps, const char *file, int line, char **w, int n)
{
	struct jt_policy *p = ps->p;
	int allow, rule;

	if (n < 3 || (strcmp(w[1], "allow") && strcmp(w[1], "deny")))
		return fail(ps, file, line, "expected: ioctl allow|deny REQUEST...");
	allow = !strcmp(w[1], "allow");
	rule = add_where(ps, file, line);
	if (rule < 0)
		return rule;
	for (int i = 2; i < n; i++) {
		uint32_t code;
		size_t j;

		if (jt_ioctl_by_name(w[i], &code) < 0)
			return fail(ps, file, line, "unknown ioctl request \"%s\"", w[i]);
		for (j = 0; j < p->n_ioctls && p->ioctls[j].code != code; j++)
			;
		if (!allow) {
			if (j < p->n_ioctls)
				p->ioctls[j] = p->ioctls[--p->n_ioctls];
			continue;
		}
		if (j == p->n_ioctls) {
			struct jt_ioctl_rule *r = realloc(p->ioctls, (j + 1) * sizeof(*r));

			if (!r)
				return -ENOMEM;
			p->ioctls = r;
			p->n_ioctls++;
		}
		p->ioctls[j] = (struct jt_ioctl_rule){ code, rule };
	}
	return 0;
}

/* process fork|thread|exec allow|deny, process signal sandbox|self */
static int rule_process(struct parser *ps, const char *file, int line, char **w, int n)
{
	static const char *what[] = { "fork", "thread", "exec", "signal" };
	struct jt_policy *p = ps->p;
	int i, rule, on;

	if (n != 3)
		return fail(ps, file, line, "expected: process fork|thread|exec allow|deny, or process signal sandbox|self");
	for (i = 0; i < 4 && strcmp(w[1], what[i]); i++)
		;
	if (i == 4)
		return fail(ps, file, line, "unknown process rule \"%s\"", w[1]);
	if (i == 3) {
		if (strcmp(w[2], "sandbox") && strcmp(w[2], "self"))
			return fail(ps, file, line, "process signal takes sandbox or self, not \"%s\"", w[2]);
		on = !strcmp(w[2], "self");
	} else {
		if (strcmp(w[2], "allow") && strcmp(w[2], "deny"))
			return fail(ps, file, line, "process %s takes allow or deny, not \"%s\"", w[1], w[2]);
		on = !strcmp(w[2], "allow");
	}
	rule = add_where(ps, file, line);
	if (rule < 0)
		return rule;
	p->process_rule[i] = rule;
	switch (i) {
	case 0: p->may_fork = on; break;
	case 1: p->may_thread = on; break;
	case 2: p->may_exec = on; break;
	case 3: p->signal_self_only = on; break;
	}
	return 0;
}

static int valid_env_name(const char *s, size_t len)
{
	if (len == 0 || (*s >= '0' && *s <= '9'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* Add or replace one environment rule; @spec is NAME or NAME=VALUE. */
static int env_rule(struct jt_policy *p, const char *spec, int pass)
{
	const char *eq = strchr(spec, '=');
	size_t len = eq ? (size_t)(eq - spec) : strlen(spec);
	struct jt_env_rule *r;
	char *name, *value = NULL;
	size_t i;

	if (!valid_env_name(spec, len) || (pass && eq) || (!pass && !eq))
		return -EINVAL;
	name = strndup(spec, len);
	if (!name)
		return -ENOMEM;
	if (eq && !(value = strdup(eq + 1))) {
		free(name);
		return -ENOMEM;
	}
	for (i = 0; i < p->n_env && strcmp(p->env[i].name, name); i++)
		;
	if (i == p->n_env) {
		r = realloc(p->env, (i + 1) * sizeof(*r));
		if (!r) {
			free(name);
			free(value);
			return -ENOMEM;
		}
		p->env = r;
		p->n_env++;
	} else {
		free(p->env[i].name);
		free(p->env[i].value);
	}
	p->env[i] = (struct jt_env_rule){ name, value };
	return 0;
}

/* Exported for jt_config_env: the command line adds rules the same way. */
int jt_policy_env(struct jt_policy *p, const char *spec)
{
	return env_rule(p, spec, !strchr(spec, '='));
}

/* env pass NAME... | env set NAME=VALUE */
static int rule_env(struct parser *ps, const char *file, int line, char **w, int n)
{
	int pass;

	if (n < 3 || (strcmp(w[1], "pass") && strcmp(w[1], "set")))
		return fail(ps, file, line, "expected: env pass NAME... or env set NAME=VALUE");
	pass = !strcmp(w[1], "pass");
	if (!pass && n != 3)
		return fail(ps, file, line, "env set takes one NAME=VALUE (quote nothing; the value runs to the end of the word)");
	for (int i = 2; i < n; i++) {
		int r = env_rule(ps->p, w[i], pass);

		if (r == -EINVAL)
			return fail(ps, file, line, pass ? "bad variable name \"%s\"" : "expected NAME=VALUE, not \"%s\"", w[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* limit NAME VALUE */
static int rule_limit(struct parser *ps, const char *file, int line, char **w, int n)
{
	int i;
	uint64_t v;

	if (n != 3)
		return fail(ps, file, line, "expected: limit NAME VALUE");
	for (i = 0; i < JT_NLIMITS && strcmp(w[1], limits[i].name); i++)
		;
	if (i == JT_NLIMITS)
		return fail(ps, file, line, "unknown limit \"%s\"", w[1]);
	if (limits[i].parse(w[2], &v) < 0)
		return fail(ps, file, line, "bad value \"%s\" for limit %s", w[2], w[1]);
	if ((ps->p->limit_rule[i] = add_where(ps, file, line)) < 0)
		return ps->p->limit_rule[i];
	ps->p->limit[i] = v;
	ps->p->limit_set |= 1u << i;
	return 0;
}

int jt_path_normalize(char *path)
{
	char *out = path, *in = path;

	if (path[0] != '/')
		return -EINVAL;
	while (*in) {
		while (*in == '/')
			in++;
		char *end = strchrnul(in, '/');
		size_t n = (size_t)(end - in);

		if (n == 0 || (n == 1 && in[0] == '.')) {
			/* nothing */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > path && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, in, n);
			out += n;
		}
		in = end;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
	return 0;
}

static int where_of(struct jt_policy *p, const char *text)
{
	char **w = realloc(p->where, (p->n_where + 1) * sizeof(*w));

	if (!w)
		return -ENOMEM;
	p->where = w;
	if (!(w[p->n_where] = strdup(text)))
		return -ENOMEM;
	return (int)p->n_where++;
}

/* One grant from "PATH" or "HOST:INSIDE". @return 0, -EINVAL (not absolute), -ENOMEM. */
static int add_grant(struct jt_policy *p, const char *spec, int writable, int rule)
{
	const char *colon = strchr(spec, ':');
	char *host = strndup(spec, colon ? (size_t)(colon - spec) : strlen(spec));
	char *inside = strdup(colon ? colon + 1 : spec);
	struct jt_grant *g;

	if (!host || !inside || jt_path_normalize(host) < 0 || jt_path_normalize(inside) < 0 ||
	    !(g = realloc(p->grants, (p->n_grants + 1) * sizeof(*g)))) {
		int e = host && inside ? -EINVAL : -ENOMEM;

		free(host);
		free(inside);
		return e;
	}
	p->grants = g;
	p->grants[p->n_grants++] = (struct jt_grant){ host, inside, writable, rule, 0 };
	return 0;
}

int jt_policy_grant(struct jt_policy *p, const char *spec, int writable, const char *where)
{
	int rule = where_of(p, where);

	return rule < 0 ? rule : add_grant(p, spec, writable, rule);
}

int jt_policy_grant_socket(struct jt_policy *p, const char *path, int rule)
{
	int r;

	if (strchr(path, ':'))
		return -EINVAL;
	r = add_grant(p, path, 0, rule);
	if (r == 0)
		p->grants[p->n_grants - 1].socket = 1;
	return r;
}

/* net connect|bind ENDPOINT [tcp|udp], net unix PATH, net dns (filters/net.c) */
static int rule_net(struct parser *ps, const char *file, int line, char **w, int n)
{
	char msg[256];
	int rule = add_where(ps, file, line), r;

	if (rule < 0)
		return rule;
	msg[0] = '\0';
	r = jt_net_rule_parse(ps->p, w, n, rule, msg, sizeof(msg));
	if (r == -EINVAL)
		return fail(ps, file, line, "%s", msg[0] ? msg : "bad net rule");
	return r;
}

/* host NAME ADDRESS: what the forward proxy's resolver answers for NAME */
static int rule_host(struct parser *ps, const char *file, int line, char **w, int n)
{
	char msg[256];
	int rule = add_where(ps, file, line), r;

	if (rule < 0)
		return rule;
	msg[0] = '\0';
	r = jt_host_rule_parse(ps->p, w, n, rule, msg, sizeof(msg));
	if (r == -EINVAL)
		return fail(ps, file, line, "%s", msg[0] ? msg : "bad host line");
	return r;
}

static int read_file(const char *path, char **out);

/* hosts FILE: an /etc/hosts-format file's lines as host lines */
static int rule_hosts(struct parser *ps, const char *file, int line, const char *dir, char **w, int n)
{
	char path[PATH_MAX], msg[400];
	char *text;
	int rule, r;

	if (n != 2)
		return fail(ps, file, line, "expected: hosts FILE");
	if (w[1][0] == '/' || !dir)
		r = snprintf(path, sizeof(path), "%s", w[1]);
	else
		r = snprintf(path, sizeof(path), "%s/%s", dir, w[1]);
	if (r < 0 || (size_t)r >= sizeof(path))
		return fail(ps, file, line, "hosts path too long");
	if ((rule = add_where(ps, file, line)) < 0)
		return rule;
	r = read_file(path, &text);
	if (r < 0)
		return fail(ps, file, line, "cannot read \"%s\": %s", path, strerror(-r));
	sha256_update(&ps->sha, strlen(text), (const uint8_t *)text);
	msg[0] = '\0';
	r = jt_hosts_text(ps->p, path, text, rule, msg, sizeof(msg));
	free(text);
	if (r == -EINVAL)
		return fail(ps, file, line, "%s", msg);
	return r;
}

/* proxy NAME UPSTREAM [header "Name: value"]... [env VAR]: words may be quoted */
static int rule_proxy(struct parser *ps, const char *file, int line, const char *text)
{
	char msg[256];
	int rule = add_where(ps, file, line), r;

	if (rule < 0)
		return rule;
	msg[0] = '\0';
	r = jt_proxy_parse(ps->p, text, rule, msg, sizeof(msg));
	if (r == -EINVAL)
		return fail(ps, file, line, "%s", msg[0] ? msg : "bad proxy rule");
	return r;
}

/* ro PATH | ro HOST:INSIDE | rw HOST:INSIDE | rw PATH */
static int rule_grant(struct parser *ps, const char *file, int line, char **w, int n)
{
	int rule, r;

	if (n != 2)
		return fail(ps, file, line, "expected: %s PATH, or %s HOST:INSIDE", w[0], w[0]);
	rule = add_where(ps, file, line);
	if (rule < 0)
		return rule;
	r = add_grant(ps->p, w[1], w[0][1] == 'w', rule);
	if (r == -EINVAL)
		return fail(ps, file, line, "%s needs absolute paths, not \"%s\"", w[0], w[1]);
	return r;
}

/* exec jail: programs may run files they wrote */
static int rule_exec(struct parser *ps, const char *file, int line, char **w, int n)
{
	if (n != 2 || strcmp(w[1], "jail"))
		return fail(ps, file, line, "expected: exec jail");
	ps->p->exec_rule = add_where(ps, file, line);
	if (ps->p->exec_rule < 0)
		return ps->p->exec_rule;
	ps->p->exec_jail = 1;
	return 0;
}

/*
 * abi NAME allow|deny: a program that needs no 32-bit code can have the
 * i386 ABI (32-bit binaries, int 0x80) refused outright. The native ABI
 * cannot be refused, and x32 is never handled, so cannot be allowed.
 */
static int rule_abi(struct parser *ps, const char *file, int line, char **w, int n)
{
	const struct jt_abi *abi;
	int rule;

	if (n != 3 || (strcmp(w[2], "allow") && strcmp(w[2], "deny")))
		return fail(ps, file, line, "expected: abi NAME allow|deny");
	abi = jt_abi_any_by_name(w[1]);
	if (!abi)
		return fail(ps, file, line, "unknown ABI \"%s\"", w[1]);
	if (abi == jt_abi_native() && !strcmp(w[2], "deny"))
		return fail(ps, file, line, "the native ABI (%s) cannot be refused", w[1]);
	if (!jt_abi_handled(abi) && abi != jt_abi_native() && !strcmp(w[2], "allow"))
		return fail(ps, file, line, "calls through %s are not handled by this build", w[1]);
	rule = add_where(ps, file, line);
	if (rule < 0)
		return rule;
	ps->p->abi_refused[abi->id] = !strcmp(w[2], "deny");
	ps->p->abi_rule[abi->id] = rule;
	return 0;
}

static int parse_text(struct parser *ps, const char *name, const char *dir, const char *text);
static int parse_file_text(struct parser *ps, const char *path, const char *text);

static int read_file(const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
		int e = S_ISREG(st.st_mode) ? EFBIG : EINVAL;

		close(fd);
		return -e;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size &&
	       (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Read all of descriptor @fd (a pipe, say), up to MAX_FILE bytes. */
static int read_stream(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1), *nb;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_FILE) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			if (!(nb = realloc(buf, cap + 1))) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/*
 * Is @a a typo of @b: at most two letters changed, added, dropped or
 * swapped (optimal string alignment distance)? For "did you mean".
 */
static int near(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[24][24];

	if (la >= 24 || lb >= 24)
		return 0;
	for (size_t i = 0; i <= la; i++)
		for (size_t j = 0; j <= lb; j++) {
			unsigned v;

			if (!i || !j) {
				d[i][j] = (unsigned)(i + j);
				continue;
			}
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb] <= 2;
}

static int rule_include(struct parser *ps, const char *file, int line, const char *dir,
			char **w, int n)
{
	char path[PATH_MAX];
	char *text;
	int r;

	if (n != 2)
		return fail(ps, file, line, "expected: include FILE, or include default");
	if (ps->depth >= MAX_DEPTH)
		return fail(ps, file, line, "includes nested deeper than %d", MAX_DEPTH);
	if (!strcmp(w[1], "default"))
		return parse_text(ps, "default", NULL, jt_default_policy);
	if (w[1][0] == '/' || !dir)
		r = snprintf(path, sizeof(path), "%s", w[1]);
	else
		r = snprintf(path, sizeof(path), "%s/%s", dir, w[1]);
	if (r < 0 || (size_t)r >= sizeof(path))
		return fail(ps, file, line, "include path too long");
	r = read_file(path, &text);
	if (r == -ENOENT && !strchr(w[1], '/') && near(w[1], "default"))
		return fail(ps, file, line, "cannot read \"%s\": %s (did you mean `include default`?)",
			    path, strerror(-r));
	if (r < 0)
		return fail(ps, file, line, "cannot read \"%s\": %s", path, strerror(-r));
	r = parse_file_text(ps, path, text);
	free(text);
	return r;
}

/* Split at blanks; a word may not hold a '#'. @return words, or -1 if too many. */
static int split(char *s, char **w)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			*s++ = '\0';
		if (!*s || *s == '#')
			break;
		if (n == MAX_WORDS)
			return -1;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			break;
		}
	}
	return n;
}

static int parse_line(struct parser *ps, const char *file, int line, const char *dir, char *s)
{
	char *w[MAX_WORDS];
	int n;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!strncmp(s, "proxy", 5) && (s[5] == ' ' || s[5] == '\t'))
		return rule_proxy(ps, file, line, s + 5);
	n = split(s, w);
	if (n < 0)
		return fail(ps, file, line, "more than %d words", MAX_WORDS);
	if (n == 0)
		return 0;
	if (!strcmp(w[0], "allow"))
		return rule_syscalls(ps, file, line, w, n, JT_ALLOW);
	if (!strcmp(w[0], "deny"))
		return rule_syscalls(ps, file, line, w, n, JT_DENY);
	if (!strcmp(w[0], "ioctl"))
		return rule_ioctl(ps, file, line, w, n);
	if (!strcmp(w[0], "process"))
		return rule_process(ps, file, line, w, n);
	if (!strcmp(w[0], "env"))
		return rule_env(ps, file, line, w, n);
	if (!strcmp(w[0], "limit"))
		return rule_limit(ps, file, line, w, n);
	if (!strcmp(w[0], "include"))
		return rule_include(ps, file, line, dir, w, n);
	if (!strcmp(w[0], "ro") || !strcmp(w[0], "rw"))
		return rule_grant(ps, file, line, w, n);
	if (!strcmp(w[0], "exec"))
		return rule_exec(ps, file, line, w, n);
	if (!strcmp(w[0], "abi"))
		return rule_abi(ps, file, line, w, n);
	if (!strcmp(w[0], "net"))
		return rule_net(ps, file, line, w, n);
	if (!strcmp(w[0], "host"))
		return rule_host(ps, file, line, w, n);
	if (!strcmp(w[0], "hosts"))
		return rule_hosts(ps, file, line, dir, w, n);
	return fail(ps, file, line, "unknown directive \"%s\"", w[0]);
}

static int parse_text(struct parser *ps, const char *name, const char *dir, const char *text)
{
	char buf[MAX_LINE];
	const char *s = text;
	int line = 0, r = 0;

	sha256_update(&ps->sha, strlen(text), (const uint8_t *)text);
	ps->depth++;
	while (*s && r == 0) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		line++;
		if (len >= sizeof(buf)) {
			r = fail(ps, name, line, "line longer than %d bytes", MAX_LINE - 1);
			break;
		}
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (memchr(buf, '\0', len))
			r = fail(ps, name, line, "NUL byte in policy");
		else
			r = parse_line(ps, name, line, dir, buf);
		s += len + (nl != NULL);
	}
	ps->depth--;
	return r;
}

/* Parse a file's text; includes in it resolve against its directory. */
static int parse_file_text(struct parser *ps, const char *path, const char *text)
{
	char *dir = strdup(path), *slash;
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	r = parse_text(ps, path, dir, text);
	free(dir);
	return r;
}

static int parse_top(struct jt_policy *p, const char *name, const char *text,
		     int is_file, char *err, size_t errlen)
{
	struct parser ps = { .p = p, .err = err, .errlen = errlen };
	int r;

	if (err && errlen)
		err[0] = '\0';
	jt_policy_free(p);
	jt_policy_init(p);
	p->source = strdup(name);
	if (!p->source)
		return -ENOMEM;
	sha256_init(&ps.sha);
	r = is_file ? parse_file_text(&ps, name, text) : parse_text(&ps, name, NULL, text);
	sha256_digest(&ps.sha, sizeof(p->digest), p->digest);
	return r;
}

int jt_policy_parse(struct jt_policy *p, const char *name, const char *text,
		    char *err, size_t errlen)
{
	return parse_top(p, name, text, 0, err, errlen);
}

int jt_policy_add_rule(struct jt_policy *p, const char *where, const char *text,
		       char *err, size_t errlen)
{
	struct parser ps = { .p = p, .err = err, .errlen = errlen };
	char *line = strdup(text);
	int r;

	if (!line)
		return -ENOMEM;
	r = parse_line(&ps, where, 0, NULL, line);
	free(line);
	return r;
}

int jt_policy_default(struct jt_policy *p, char *err, size_t errlen)
{
	return parse_top(p, "default", jt_default_policy, 0, err, errlen);
}

int jt_policy_load(struct jt_policy *p, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	int r;

	if (!strcmp(path, "-")) {
		/* the policy on standard input: includes are relative to the current directory */
		r = read_stream(0, &text);
		if (r < 0) {
			if (err && errlen)
				snprintf(err, errlen, "standard input: cannot read policy: %s", strerror(-r));
			return r;
		}
		r = parse_top(p, "(stdin)", text, 0, err, errlen);
		free(text);
		return r;
	}
	r = read_file(path, &text);
	if (r < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read policy: %s", path, strerror(-r));
		return r;
	}
	r = parse_top(p, path, text, 1, err, errlen);
	free(text);
	return r;
}

/* ---------------------------------------------------------------- within */

/* Is @a @b or a directory above it? */
static int path_under(const char *b, const char *a)
{
	size_t n = strlen(a);

	if (!strcmp(a, "/"))
		return 1;
	return !strncmp(a, b, n) && (b[n] == '\0' || b[n] == '/');
}

/*
 * Do grants @a and @b, @a's inside at or above @b's, show the same host
 * file at every path of @b's subtree: is @b's host @a's host joined with
 * the way from @a's inside down to @b's?
 */
static int same_mapping(const struct jt_grant *a, const struct jt_grant *b)
{
	const char *rest = b->inside + (strcmp(a->inside, "/") ? strlen(a->inside) : 0);
	size_t n = strcmp(a->host, "/") ? strlen(a->host) : 0;

	return !strncmp(b->host, a->host, n) && !strcmp(b->host + n, rest) &&
	       (n || b->host[0] == '/');
}

/*
 * Is inner grant @g within @out's view? Only a grant the site makes too
 * (same host path, same inside path; writable only if the site's is) is
 * compared: a narrower path inside a site grant could pass through a
 * symbolic link out of it, which no comparison of text can see. Every
 * site grant at or below @g's inside path must show the same host files
 * and, when @g is writable, be writable: the site's more specific grants
 * win there, and @g must not show what they cover up.
 */
static int grant_within(const struct jt_grant *g, const struct jt_policy *out, char *what, size_t len)
{
	int found = 0;

	for (size_t i = 0; i < out->n_grants; i++) {
		const struct jt_grant *o = &out->grants[i];

		if (!strcmp(o->inside, g->inside) && !strcmp(o->host, g->host) &&
		    (o->writable || !g->writable) && (o->socket || !g->socket))
			found = 1;
	}
	if (!found) {
		snprintf(what, len, "%s %s:%s: the site grants no such path%s", g->socket ? "net unix" :
			 g->writable ? "rw" : "ro", g->host, g->inside,
			 g->writable ? " writable" : "");
		return 0;
	}
	for (size_t i = 0; i < out->n_grants; i++) {
		const struct jt_grant *o = &out->grants[i];

		if (!path_under(o->inside, g->inside) || o->socket)
			continue;
		if (!same_mapping(g, o) || (g->writable && !o->writable)) {
			snprintf(what, len, "%s %s:%s: shows %s, where the site's grant %s:%s (%s) shows %s",
				 g->writable ? "rw" : "ro", g->host, g->inside, o->inside,
				 o->host, o->inside, jt_policy_where(out, o->rule),
				 !same_mapping(g, o) ? "another host path" : "it read-only");
			return 0;
		}
	}
	return 1;
}

static int not_within(char *why, size_t len, const struct jt_policy *in, int rule, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!why || !len)
		return 0;
	n = snprintf(why, len, "%s: ", rule >= 0 ? jt_policy_where(in, rule) : in->source ? in->source : "policy");
	if (n < 0 || (size_t)n >= len)
		return 0;
	va_start(ap, fmt);
	vsnprintf(why + n, len - n, fmt, ap);
	va_end(ap);
	return 0;
}

int jt_policy_within(const struct jt_policy *in, const struct jt_policy *out,
		     const uint64_t dflt[JT_NLIMITS], char *why, size_t len)
{
	static const char *what[] = { "fork", "thread", "exec" };
	char msg[512];
	int rule;

	for (int s = 0; s < JT_SYS_COUNT; s++)
		if (in->action[s] == JT_ALLOW && out->action[s] != JT_ALLOW)
			return not_within(why, len, in, in->rule[s], "allows %s, which the site does not",
					  jt_sys_name(s) ? jt_sys_name(s) : "a syscall");
	for (size_t i = 0; i < in->n_ioctls; i++)
		if (jt_policy_ioctl(out, in->ioctls[i].code) < 0) {
			const char *name = jt_ioctl_name(in->ioctls[i].code);

			return not_within(why, len, in, in->ioctls[i].rule, "allows ioctl %s, which the site does not",
					  name ? name : "?");
		}
	for (int i = 0; i < 3; i++) {
		int on = i == 0 ? in->may_fork : i == 1 ? in->may_thread : in->may_exec;
		int site = i == 0 ? out->may_fork : i == 1 ? out->may_thread : out->may_exec;

		if (on && !site)
			return not_within(why, len, in, in->process_rule[i], "allows process %s, which the site denies",
					  what[i]);
	}
	if (out->signal_self_only && !in->signal_self_only)
		return not_within(why, len, in, in->process_rule[3],
				  "lets signals reach the sandbox; the site's reach the process itself only");
	for (size_t i = 0; i < in->n_env; i++) {
		const struct jt_env_rule *e = &in->env[i];
		size_t j;

		for (j = 0; j < out->n_env && strcmp(out->env[j].name, e->name); j++)
			;
		if (j == out->n_env || !e->value != !out->env[j].value ||
		    (e->value && strcmp(e->value, out->env[j].value)))
			return not_within(why, len, in, -1, "env %s %s: the site does not %s it%s",
					  e->value ? "set" : "pass", e->name, e->value ? "set" : "pass",
					  e->value ? " to that value" : "");
	}
	for (size_t i = 0; i < in->n_grants; i++)
		if (!grant_within(&in->grants[i], out, msg, sizeof(msg)))
			return not_within(why, len, in, in->grants[i].rule, "%s", msg);
	if (in->exec_jail && !out->exec_jail)
		return not_within(why, len, in, in->exec_rule, "exec jail: the site's policy has no exec jail");
	for (int a = 0; a < JT_ABI_COUNT; a++)
		if (out->abi_refused[a] && !in->abi_refused[a])
			return not_within(why, len, in, in->abi_rule[a] >= 0 ? in->abi_rule[a] : -1,
					  "allows calls through an ABI the site's policy refuses (abi ... deny)");
	if (!jt_net_within(in, out, &rule, msg, sizeof(msg)))
		return not_within(why, len, in, rule, "%s", msg);
	for (int l = 0; l < JT_NLIMITS; l++) {
		uint64_t mine = in->limit_set & (1u << l) ? in->limit[l] : dflt[l];
		uint64_t site = out->limit_set & (1u << l) ? out->limit[l] : dflt[l];

		if (site && (!mine || mine > site))
			return not_within(why, len, in, in->limit_rule[l],
					  "limit %s %llu is above the site's %llu (0: none)", limits[l].name,
					  (unsigned long long)mine, (unsigned long long)site);
	}
	return 1;
}
