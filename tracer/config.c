/* The configuration handle of the public API. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tracer/internal.h"

const uint64_t jt_limit_default[JT_LIMIT_COUNT] = {
	[JT_LIMIT_TIMEOUT_MS] = 60 * 1000,
	[JT_LIMIT_CPU_MS] = 60 * 1000,
	[JT_LIMIT_MEMORY] = 2ULL << 30,
	[JT_LIMIT_VMEM] = 16ULL << 30,
	[JT_LIMIT_PROCS] = 256,
	[JT_LIMIT_OUTPUT] = 16ULL << 20,
	[JT_LIMIT_FSIZE] = 1ULL << 30,
	[JT_LIMIT_NOFILE] = 1024,
	[JT_LIMIT_LOG] = 64ULL << 20,
	[JT_LIMIT_DISK] = 1ULL << 30,
	[JT_LIMIT_INODES] = 100000,
};

const char *const jt_limit_names[JT_LIMIT_COUNT] = {
	"timeout", "cpu", "memory", "vmem", "procs", "output", "fsize", "nofile", "log", "disk", "inodes",
};

/* The largest unit that states @v exactly: 16M, not 16777216; 90s, not 90000. */
void jt_limit_text(enum jt_limit l, uint64_t v, char *buf, size_t len)
{
	static const struct { uint64_t div; const char *unit; } times[] = {
		{ 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" },
	}, sizes[] = {
		{ 1ULL << 40, "T" }, { 1ULL << 30, "G" }, { 1ULL << 20, "M" }, { 1ULL << 10, "K" },
		{ 1, "" },
	};
	const char *name = (unsigned)l < JT_LIMIT_COUNT ? jt_limit_names[l] : "?";
	size_t i = 0;

	if (l == JT_LIMIT_PROCS || l == JT_LIMIT_NOFILE || v == 0) {
		snprintf(buf, len, "--%s %llu", name, (unsigned long long)v);
	} else if (l == JT_LIMIT_TIMEOUT_MS || l == JT_LIMIT_CPU_MS) {
		while (v % times[i].div)
			i++;
		snprintf(buf, len, "--%s %llu%s", name, (unsigned long long)(v / times[i].div),
			 times[i].unit);
	} else {
		while (v % sizes[i].div)
			i++;
		snprintf(buf, len, "--%s %llu%s", name, (unsigned long long)(v / sizes[i].div),
			 sizes[i].unit);
	}
}

jt_config *jt_config_new(void)
{
	jt_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	jt_policy_init(&cfg->policy);
	cfg->grace_ms = JT_GRACE_MS_DEFAULT;
	cfg->log_fd = -1;
	cfg->result_dir = -1;
	/* JAILTRACE_FILTER_CACHE=0: build the seccomp program every run */
	cfg->no_filter_cache = getenv("JAILTRACE_FILTER_CACHE") && !strcmp(getenv("JAILTRACE_FILTER_CACHE"), "0");
	if (jt_policy_default(&cfg->policy, cfg->err, sizeof(cfg->err)) < 0) {
		/* the built-in policy is tested; this is a broken build */
		jt_config_free(cfg);
		return NULL;
	}
	return cfg;
}

void jt_config_free(jt_config *cfg)
{
	if (!cfg)
		return;
	jt_policy_free(&cfg->policy);
	for (size_t i = 0; i < cfg->n_env; i++)
		free(cfg->env[i]);
	free(cfg->env);
	free(cfg->log_path);
	if (cfg->result_dir >= 0)
		close(cfg->result_dir);	/* (not JT_RESULT_NOWHERE) */
	free(cfg->disabled);
	free(cfg->jail);
	free(cfg->cwd);
	free(cfg->user);
	for (size_t i = 0; i < cfg->n_keep; i++)
		free(cfg->keep[i]);
	free(cfg->keep);
	free(cfg);
}

const char *jt_config_error(const jt_config *cfg)
{
	return cfg->err;
}

int jt_config_load_policy(jt_config *cfg, const char *path)
{
	return jt_policy_load(&cfg->policy, path, cfg->err, sizeof(cfg->err));
}

int jt_config_set_limit(jt_config *cfg, enum jt_limit limit, uint64_t value)
{
	if ((unsigned)limit >= JT_LIMIT_COUNT) {
		snprintf(cfg->err, sizeof(cfg->err), "unknown limit %d", (int)limit);
		return -EINVAL;
	}
	cfg->limit[limit] = value;
	cfg->limit_set |= 1u << limit;
	return 0;
}

uint64_t jt_config_get_limit(const jt_config *cfg, enum jt_limit limit)
{
	if ((unsigned)limit >= JT_LIMIT_COUNT)
		return 0;
	if (cfg->limit_set & (1u << limit))
		return cfg->limit[limit];
	if (cfg->policy.limit_set & (1u << limit))
		return cfg->policy.limit[limit];
	return jt_limit_default[limit];
}

int jt_config_env(jt_config *cfg, const char *spec)
{
	struct jt_policy probe;
	char **n;
	int r;

	/* validate with the policy's own rule for names */
	jt_policy_init(&probe);
	r = jt_policy_env(&probe, spec);
	jt_policy_free(&probe);
	if (r < 0) {
		snprintf(cfg->err, sizeof(cfg->err), "bad --env \"%s\": expected NAME or NAME=VALUE", spec);
		return r;
	}
	n = realloc(cfg->env, (cfg->n_env + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	cfg->env = n;
	if (!(n[cfg->n_env] = strdup(spec)))
		return -ENOMEM;
	cfg->n_env++;
	return 0;
}

int jt_config_set_log(jt_config *cfg, const char *path)
{
	char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	free(cfg->log_path);
	cfg->log_path = p;
	cfg->log_fd = -1;
	return 0;
}

int jt_config_set_audit(jt_config *cfg, const char *mode)
{
	if (strcmp(mode, "decisions") && strcmp(mode, "full")) {
		snprintf(cfg->err, sizeof(cfg->err), "bad --audit \"%s\": expected decisions or full", mode);
		return -EINVAL;
	}
	cfg->audit_full = !strcmp(mode, "full");
	return 0;
}

/*
 * @spec, a host path as the command line gave it, made absolute against
 * jailtrace's working directory (as bubblewrap and a shell take it), into
 * @out; an absolute one as it is. A grant's "HOST:INSIDE" keeps INSIDE as
 * given (a path of the view, absolute). @return 0, or -EINVAL with the
 * reason in cfg->err.
 */
static int host_abs(jt_config *cfg, const char *spec, const char *what, char *out, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (!spec[0]) {
		snprintf(cfg->err, sizeof(cfg->err), "%s needs a path", what);
		return -EINVAL;
	} else if (spec[0] == '/') {
		n = snprintf(out, size, "%s", spec);
	} else if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(cfg->err, sizeof(cfg->err), "%s %.200s: the current directory: %s", what, spec,
			 strerror(errno));
		return -EINVAL;
	} else if (strchr(cwd, ':')) {
		/* a grant's host and inside are split at the first ':' */
		snprintf(cfg->err, sizeof(cfg->err),
			 "%s %.200s: the current directory's name has a ':' (%.200s); give an absolute path", what,
			 spec, cwd);
		return -EINVAL;
	} else {
		n = snprintf(out, size, "%s/%s", cwd, spec);
	}
	if (n < 0 || (size_t)n >= size) {
		snprintf(cfg->err, sizeof(cfg->err), "%s %.200s: too long a path", what, spec);
		return -EINVAL;
	}
	return 0;
}

static int set_path(jt_config *cfg, char **slot, const char *path, const char *what)
{
	char *p;

	if (path[0] != '/') {
		snprintf(cfg->err, sizeof(cfg->err), "%s needs an absolute path, not \"%.200s\"", what, path);
		return -EINVAL;
	}
	if (!(p = strdup(path)))
		return -ENOMEM;
	jt_path_normalize(p);
	free(*slot);
	*slot = p;
	return 0;
}

/*
 * A grant on the command line names a host path the user means now: one
 * that is not there (a typo) is an error before the run, as bubblewrap
 * makes it, not a program failing later on a path it cannot see. A policy
 * file's grants may name what a host lacks: policies are shared.
 */
int jt_config_grant(jt_config *cfg, const char *spec, int writable)
{
	const char *what = writable ? "--rw" : "--ro";
	const struct jt_grant *g;
	char abs[PATH_MAX + 1];
	struct stat st;
	int r;

	if ((r = host_abs(cfg, spec, what, abs, sizeof(abs))) < 0)
		return r;
	r = jt_policy_grant(&cfg->policy, abs, writable, what);
	if (r == -EINVAL)
		snprintf(cfg->err, sizeof(cfg->err), "%s %.200s: the path inside needs to be absolute", what, spec);
	if (r < 0)
		return r;
	g = &cfg->policy.grants[cfg->policy.n_grants - 1];
	if (lstat(g->host, &st) < 0) {
		r = -errno;
		snprintf(cfg->err, sizeof(cfg->err), "--%s %s: %s", writable ? "rw" : "ro",
			 g->host, strerror(-r));
		return r;
	}
	return 0;
}

int jt_config_rule(jt_config *cfg, const char *option, const char *text)
{
	return jt_policy_add_rule(&cfg->policy, option, text, cfg->err, sizeof(cfg->err));
}

int jt_config_set_jail(jt_config *cfg, const char *dir)
{
	char abs[PATH_MAX + 1];
	int r = host_abs(cfg, dir, "--jail", abs, sizeof(abs));

	return r < 0 ? r : set_path(cfg, &cfg->jail, abs, "--jail");
}

int jt_config_set_user(jt_config *cfg, const char *name)
{
	uid_t u;
	gid_t g;
	char *n;

	if (jt_user_ids(name, &u, &g) < 0) {
		snprintf(cfg->err, sizeof(cfg->err), "bad --user \"%s\": a name, without / or :", name);
		return -EINVAL;
	}
	if (!(n = strdup(name)))
		return -ENOMEM;
	free(cfg->user);
	cfg->user = n;
	return 0;
}

void jt_config_set_ephemeral(jt_config *cfg, int on)
{
	cfg->ephemeral = on;
}

void jt_config_set_share_jail(jt_config *cfg, int on)
{
	cfg->share_jail = on;
}

int jt_config_keep(jt_config *cfg, const char *spec)
{
	char **k = realloc(cfg->keep, (cfg->n_keep + 1) * sizeof(*k));

	if (!k)
		return -ENOMEM;
	cfg->keep = k;
	if (!(k[cfg->n_keep] = strdup(spec)))
		return -ENOMEM;
	cfg->n_keep++;
	return 0;
}

int jt_config_set_cwd(jt_config *cfg, const char *inside)
{
	return set_path(cfg, &cfg->cwd, inside, "--cwd");
}

void jt_config_set_pin(jt_config *cfg, int pin)
{
	cfg->no_pin = !pin;
}

void jt_config_set_grace(jt_config *cfg, uint64_t ms)
{
	cfg->grace_ms = ms;
}

void jt_config_set_quiet(jt_config *cfg, int quiet)
{
	cfg->quiet = quiet;
}

void jt_config_set_backtrace(jt_config *cfg, int on)
{
	cfg->no_backtrace = !on;
}

void jt_config_set_syslog(jt_config *cfg, int on)
{
	cfg->syslog = on;
}

int jt_config_disable_features(jt_config *cfg, const char *names)
{
	struct jt_kernel k = { 0 };
	char *p;

	if (jt_kernel_disable(&k, names) < 0) {
		snprintf(cfg->err, sizeof(cfg->err),
			 "unknown feature in \"%s\" (see jailtrace doctor)", names);
		return -EINVAL;
	}
	if (!(p = strdup(names)))
		return -ENOMEM;
	free(cfg->disabled);
	cfg->disabled = p;
	return 0;
}
