/*
 * The policy: what a sandboxed program may do, as data.
 *
 * A policy is read from text (docs/policy.md) into per-syscall actions, an
 * ioctl allow list, process rules, environment rules and limits. Every
 * rule remembers where it was written ("file:line"), so each decision in
 * the audit log names the line that made it.
 */
#ifndef JT_FILTERS_POLICY_H
#define JT_FILTERS_POLICY_H

#include <stdint.h>
#include <stddef.h>
#include "compat/syscalls.h"
#include "filters/net.h"

enum jt_action {
	JT_UNLISTED = 0,	/* no rule names it: denied (ENOSYS) and logged */
	JT_ALLOW,		/* allowed, subject to the built-in checks */
	JT_DENY,		/* fails with its errno in the kernel, no stop */
};

/* Limits a policy may set; the same order as enum jt_limit. */
#define JT_NLIMITS 11

struct jt_ioctl_rule {
	uint32_t code;
	int rule;
};

/* A host path shown to the program: read-only, or writable. */
struct jt_grant {
	char *host;		/* absolute, normalized: no "." or ".." or "//" */
	char *inside;		/* absolute, normalized */
	int writable;
	int rule;
	int socket;		/* `net unix`: a host socket the program may connect to */
};

struct jt_env_rule {
	char *name;
	char *value;	/* NULL: pass through from jailtrace's environment */
};

struct jt_policy {
	unsigned char action[JT_SYS_COUNT];	/* enum jt_action */
	short err[JT_SYS_COUNT];		/* errno for JT_DENY */
	int rule[JT_SYS_COUNT];			/* index into where[], -1 none */

	struct jt_ioctl_rule *ioctls;
	size_t n_ioctls;

	/* process rules: 1 allowed, 0 denied */
	int may_fork, may_thread, may_exec;
	int signal_self_only;
	int process_rule[4];	/* rule of fork, thread, exec, signal */

	struct jt_env_rule *env;
	size_t n_env;

	struct jt_grant *grants;	/* the file-system view, in policy order */
	size_t n_grants;
	int exec_jail;			/* programs may run files from writable grants */
	int exec_rule;

	/* `abi NAME deny`: every call through that ABI is refused (ENOSYS) */
	unsigned char abi_refused[JT_ABI_COUNT];
	int abi_rule[JT_ABI_COUNT];

	struct jt_net_rule *net;	/* `net connect`, `net bind` (filters/net.h) */
	size_t n_net;
	struct jt_proxy *proxies;	/* `proxy` rules */
	size_t n_proxies;
	struct jt_domain *domains;	/* `net domain` rules */
	size_t n_domains;
	struct jt_host_entry *hosts;	/* `host` lines */
	size_t n_hosts;
	struct jt_net_addr *host_addrs;	/* this host's own addresses: "the local host" */
	size_t n_host_addrs;

	uint64_t limit[JT_NLIMITS];
	unsigned limit_set;	/* bit per limit given by the policy */
	int limit_rule[JT_NLIMITS];

	char **where;		/* "file:line" of each rule */
	size_t n_where;

	char *source;		/* "default" (built in) or the top file's path */
	unsigned char digest[32];	/* SHA-256 of every file's text, in include order */
};

/** Parse the built-in default policy into @p. @return 0 or -errno. */
int jt_policy_default(struct jt_policy *p, char *err, size_t errlen);

/**
 * Parse the policy file @path into @p (which starts empty: deny all);
 * "-" reads it from standard input (named "(stdin)"). On a syntax error @err gets "file:line: message".
 * @return 0, -EINVAL on a bad policy, -errno when a file cannot be read.
 */
int jt_policy_load(struct jt_policy *p, const char *path, char *err, size_t errlen);

/** Parse policy text (for tests and the built-in policy). */
int jt_policy_parse(struct jt_policy *p, const char *name, const char *text,
		    char *err, size_t errlen);

/**
 * Add one rule, in the policy language, to @p; @where names it in the log
 * and in errors (a command-line option: "--allow-net"). @return 0, -EINVAL, -ENOMEM.
 */
int jt_policy_add_rule(struct jt_policy *p, const char *where, const char *text,
		       char *err, size_t errlen);

void jt_policy_init(struct jt_policy *p);
void jt_policy_free(struct jt_policy *p);

/**
 * Add a grant, read-only or writable, from "PATH" or "HOST:INSIDE"; @where
 * names it in the log (e.g. "--ro"). @return 0, -EINVAL, -ENOMEM.
 */
int jt_policy_grant(struct jt_policy *p, const char *spec, int writable, const char *where);

/** `net unix PATH`: a read-only grant of a host socket the program may connect to. */
int jt_policy_grant_socket(struct jt_policy *p, const char *path, int rule);

/**
 * Normalize an absolute path in place: collapse "//" and ".", resolve ".."
 * lexically (never above "/"), drop a trailing "/".
 * @return 0, or -EINVAL for a relative or empty path.
 */
int jt_path_normalize(char *path);

/**
 * Is @inner within @outer: does every permission @inner gives, @outer give
 * too? Compared rule kind by rule kind (docs/policy.md, "--within"); what
 * cannot be compared exactly counts as widening. @dflt holds the limits
 * either has when it sets none. @return 1, or 0 with @why set to
 * "FILE:LINE: what widens" (the first such rule of @inner's).
 */
int jt_policy_within(const struct jt_policy *inner, const struct jt_policy *outer,
		     const uint64_t dflt[JT_NLIMITS], char *why, size_t len);

/** "file:line" of rule @rule, or "default-deny" for -1. */
const char *jt_policy_where(const struct jt_policy *p, int rule);

/** Add an env rule from "NAME" (pass) or "NAME=VALUE" (set). @return 0 or -EINVAL. */
int jt_policy_env(struct jt_policy *p, const char *spec);

/** The rule allowing ioctl @code, or -1. */
int jt_policy_ioctl(const struct jt_policy *p, uint32_t code);

/** Parse "30s", "2m", "500ms", "1h" into milliseconds. @return 0 or -EINVAL. */
int jt_parse_time_ms(const char *s, uint64_t *ms);
/** Parse "512", "64K", "16M", "2G" into bytes. @return 0 or -EINVAL. */
int jt_parse_size(const char *s, uint64_t *bytes);

extern const char jt_default_policy[];

#endif
