/*
 * jailtrace: run an untrusted program under ptrace and a seccomp filter,
 * with a default-deny policy, limits and a write-ahead audit log.
 *
 * This is the whole public API; the jailtrace command is a thin layer
 * over it. Functions return zero (or a non-negative value) on success and
 * a negative errno on failure; after a failure jt_config_error() holds a
 * one-line message saying what and where (e.g. "p.policy:12: unknown
 * directive \"nett\"").
 */
#ifndef JAILTRACE_H
#define JAILTRACE_H

#include <stdint.h>
#include <stdio.h>

typedef struct jt_config jt_config;

enum jt_limit {
	JT_LIMIT_TIMEOUT_MS,	/* wall time of the whole run */
	JT_LIMIT_CPU_MS,	/* CPU time of the whole tree */
	JT_LIMIT_MEMORY,	/* resident bytes of the whole tree */
	JT_LIMIT_VMEM,		/* address space bytes per process */
	JT_LIMIT_PROCS,		/* live processes and threads */
	JT_LIMIT_OUTPUT,	/* bytes of stdout and stderr together */
	JT_LIMIT_FSIZE,		/* bytes per file written */
	JT_LIMIT_NOFILE,	/* descriptors per process */
	JT_LIMIT_LOG,		/* bytes of the audit log */
	JT_LIMIT_DISK,		/* bytes the jail holds on the host */
	JT_LIMIT_INODES,	/* files and directories the jail holds */
	JT_LIMIT_COUNT
};

enum jt_status {
	JT_EXITED,
	JT_SIGNALED,
	JT_TIMEOUT,
	JT_CPU_LIMIT,
	JT_MEMORY_LIMIT,
	JT_OUTPUT_LIMIT,
	JT_PROCS_LIMIT,
	JT_DISK_LIMIT,	/* the jail held more than --disk or --inodes */
	JT_INTERRUPTED,	/* jailtrace got SIGINT, SIGTERM or SIGHUP */
	JT_ERROR,
	JT_LOG_LIMIT,	/* the audit log reached its bound */
};

#define JT_RESULT_HINTS 5

struct jt_result {
	enum jt_status status;
	int exit_code;		/* what the jailtrace command exits with */
	int program_exit_code;	/* -1 when the program did not exit by itself */
	int signal;		/* signal that killed the program, or 0 */
	uint64_t wall_ms;
	uint64_t cpu_ms;
	uint64_t peak_memory_kb;
	uint64_t denials;
	/* why the run was spread over all its CPUs: "demand" (two of its tasks
	 * runnable, not waiting for the tracer), "crowded" (others kept the
	 * tracer's CPU busy), "program" (it set its own affinity); "" when it
	 * stayed on the tracer's CPU or was never pinned (tracer/cpu.c) */
	char cpu_spread[16];
	char message[256];	/* why, for JT_ERROR and the limits; else "" */
	/* the most frequent denied requests, each with what would grant it */
	unsigned n_hints;
	struct {
		uint64_t count;
		char text[400];	/* "open /etc/os-release: not in the view — grant with --ro ..." */
	} hints[JT_RESULT_HINTS];
	uint64_t hints_more;	/* denials of other requests, not named */
	uint64_t hints_absent;	/* lookups of paths the host lacks too: as natively */
	uint64_t hints_by_design; /* refusals that protect jailtrace's own descriptor */
};

/**
 * Create a configuration holding the built-in default policy.
 * @return the handle, or NULL when out of memory.
 */
jt_config *jt_config_new(void);
void jt_config_free(jt_config *cfg);

/** The last error message for this handle ("" when none). */
const char *jt_config_error(const jt_config *cfg);

/**
 * Replace the policy with the one in @path (which may `include default`).
 * @return 0, or -EINVAL for a bad policy, -errno when it cannot be read.
 */
int jt_config_load_policy(jt_config *cfg, const char *path);

/** Set a limit; 0 means unlimited. @return 0 or -EINVAL. */
int jt_config_set_limit(jt_config *cfg, enum jt_limit limit, uint64_t value);
uint64_t jt_config_get_limit(const jt_config *cfg, enum jt_limit limit);

/**
 * Pass an environment variable: "NAME" copies it from the caller's
 * environment (if set), "NAME=VALUE" sets it.
 * @return 0 or -EINVAL for a bad name.
 */
int jt_config_env(jt_config *cfg, const char *spec);

/** Write the audit log to @path (created 0600, never through a symlink). */
int jt_config_set_log(jt_config *cfg, const char *path);

/**
 * What the audit log records: "decisions" (default: every call the tracer
 * decides) or "full" (every syscall of every thread, with its result; each
 * call then stops twice, so it is slow). @return 0 or -EINVAL.
 */
int jt_config_set_audit(jt_config *cfg, const char *mode);

/**
 * Keep the writable jail in host directory @dir (created 0700 when
 * missing, kept after the run); without it a run gets a fresh jail that
 * is removed at the end. Used when the policy grants paths (a view).
 */
int jt_config_set_jail(jt_config *cfg, const char *dir);

/**
 * Show a host path to the program: "PATH" at the same path, or
 * "HOST:INSIDE"; @writable grants writing. @return 0, -EINVAL (not absolute),
 * or -errno when HOST is not there (ENOENT), with jt_config_error() naming it.
 */
int jt_config_grant(jt_config *cfg, const char *spec, int writable);

/**
 * Add a policy rule given on the command line, e.g. ("--allow-net",
 * "net connect example.org:443"). Call after the policy is loaded.
 * @return 0, or -EINVAL with jt_config_error() saying why.
 */
int jt_config_rule(jt_config *cfg, const char *option, const char *text);

/**
 * Run for user @name: the jail is <data dir>/jails/NAME (unless set with
 * jt_config_set_jail), and, when jailtrace runs as root, the program runs
 * as that user's uid and gid (from the passwd file; for a name that is not
 * a user there, a stable uid from 2000000000 up), with no supplementary
 * groups and no PAM. @return 0 or -EINVAL.
 */
int jt_config_set_user(jt_config *cfg, const char *name);

/** A fresh jail for this run, removed at the end, even with a --user. */
void jt_config_set_ephemeral(jt_config *cfg, int on);

/**
 * Share the kept jail (--user, --jail) with other runs that share it, as
 * one sandbox's command beside its background process does: the run takes
 * a shared lock on the jail, not an exclusive one, so a run that does not
 * share it is still refused while they last (and they while it does).
 */
void jt_config_set_share_jail(jt_config *cfg, int on);

/**
 * After the run, copy INSIDE (a path in the jail) out to HOST (default: its
 * name in the current directory); only regular files and directories are
 * copied, never links. "INSIDE[:HOST]".
 * @return 0 or -ENOMEM.
 */
int jt_config_keep(jt_config *cfg, const char *spec);

/** The program's working directory inside the view (default /work). */
int jt_config_set_cwd(jt_config *cfg, const char *inside);

/**
 * When the run is stopped by SIGINT, SIGTERM or SIGHUP to jailtrace (the
 * same signal is sent on) or by the wall time limit (SIGTERM), the
 * program's processes get @ms milliseconds to end before SIGKILL
 * (default 5000; 0: SIGKILL at once).
 */
void jt_config_set_grace(jt_config *cfg, uint64_t ms);

/** Do not print the summary line on stderr at the end. */
void jt_config_set_quiet(jt_config *cfg, int quiet);
/**
 * @pin 1 (the default): the program starts on the tracer's CPU, where a
 * stop costs least, and is spread over the run's CPUs once two of its
 * tasks want one; 0: every CPU from the start.
 */
void jt_config_set_pin(jt_config *cfg, int pin);

/**
 * Record the stack of the thread in the log at denied calls, limits and
 * fatal signals (@on = 1, the default), or not (--no-backtrace).
 */
void jt_config_set_backtrace(jt_config *cfg, int on);

/** Also send denials, limit events and the end record to syslog (--syslog). */
void jt_config_set_syslog(jt_config *cfg, int on);

/**
 * Treat kernel features as absent (comma-separated names as printed by
 * `jailtrace doctor`), to test fallbacks on a modern kernel.
 */
int jt_config_disable_features(jt_config *cfg, const char *names);

/**
 * Run argv[0] (looked up in the sandbox's PATH) under the configuration
 * and wait until nothing of the sandbox is left.
 * @return 0 when the run happened (its outcome is in @res), or a negative
 * errno when it could not start; @res->exit_code is then 125, 126 or 127.
 */
int jt_run(jt_config *cfg, char *const argv[], struct jt_result *res);

/** "exited", "timeout", ... as in the result JSON. */
const char *jt_status_name(enum jt_status status);

/** Write @res as one JSON object and a newline. @return 0 or -errno. */
int jt_result_write_json(const struct jt_result *res, int fd);

/** Write the one-line human summary of @res. */
void jt_result_print(const struct jt_result *res, FILE *out);

#endif
