/*
 * The audit log: JSON Lines, schema in docs/audit-log.md.
 *
 * Every decision record is on disk (write(2), no stdio) before the
 * tracee is resumed, together with everything logged before it; other
 * records wait in a small buffer until then, or until jt_log_flush().
 */
#ifndef JT_REPORTS_LOG_H
#define JT_REPORTS_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "compat/syscalls.h"
#include "filters/decide.h"

#define JT_LOG_VERSION 2
#define JT_LOG_BATCH (64 * 1024)
#define JT_LOG_RECORD (24 * 1024)
#define JT_LOG_STR_MAX 4096	/* bytes of a path or string argument kept */
#define JT_LOG_ARGV_MAX 64	/* argv entries kept */
#define JT_LOG_MEASURE (1 << 20)	/* how far a cut string or argv is measured */
#define JT_LOG_BUF_MAX 64	/* bytes of a read or written buffer kept (full audit) */
/* Under a bound (--log-max), room kept for what ends a run once a record
 * did not fit: the limit record, exits of the killed, repeats, the end. */
#define JT_LOG_TAIL(max) ((max) / 4 < 256 * 1024 ? (max) / 4 : 256 * 1024)
#define JT_LOG_END_ROOM 4096	/* of that, for the end record alone */
#define JT_LOG_MIN (256 * 1024)	/* the smallest bound a run takes: a tail of 64K */

struct jt_log {
	int fd;			/* -1: no log */
	uint64_t start_us;	/* CLOCK_MONOTONIC at the start of the run */
	size_t pending;
	int failed;		/* -errno of the first failed write, else 0 */
	int syslog;		/* denials, limits and the end also go to syslog */
	uint64_t max;		/* bytes the file may reach; 0: no bound */
	uint64_t size;		/* bytes appended (written and pending) */
	int over;		/* a record did not fit under the bound: the run ends */
	uint64_t wanted;	/* the size the first record over it would have made */
	uint64_t dropped;	/* records left out after that (not decisions: see log.c) */
	int seekable;		/* a regular file: a repeat record is counted in place */
	/* the last decision record from its "pid" on; the repeat record that
	 * counts it (its offset in the file, -1: none yet) and its count */
	int64_t repeat_off;
	uint64_t repeats;
	size_t last_len;
	char last[JT_LOG_RECORD];
	char batch[JT_LOG_BATCH];
	char rec[JT_LOG_RECORD];
};

/* One string argument as the tracer read it from the tracee. */
struct jt_log_str {
	const char *s;		/* NULL: not read */
	size_t len;
	int err;		/* -EFAULT etc. when reading failed */
	int cut;		/* longer than what was read */
	size_t full_len;	/* with cut: its length, as far as it was measured */
};

struct jt_stack;

struct jt_log_call {
	pid_t pid, tid;
	const struct jt_abi *abi;	/* NULL: an ABI we do not handle */
	uint32_t audit_arch;
	long nr;
	int sys;
	uint64_t args[6];
	struct jt_log_str str[6];	/* for path and string arguments */
	const struct jt_log_str *argv;	/* for an argv argument */
	int argc;
	int argv_cut;
	size_t argv_total;	/* with argv_cut: the entries the array has (as measured) */
	int has_target;
	enum jt_target target;
	int first_exec;
	const char *path;		/* the view: the inside path a path call resolved to */
	const char *addr;		/* the network: "tcp 1.2.3.4:443", "udp [::1]:53" */
	const struct jt_verdict *verdict;
	const char *rule;
	const struct jt_stack *stack;	/* reports/backtrace.h; NULL: none */
	int as_natively;		/* a denied lookup of a path the host lacks too */
	/* full audit ("call" records): the result, written after the call */
	int has_result;
	long result;
};

/* One request the proxy forwarded (or refused); never a header value. */
struct jt_log_proxy {
	const char *name;	/* the proxy rule's NAME, or NULL: none matched */
	const char *method, *path;	/* as the program sent them (path without the query) */
	int status;		/* what the program got */
	int upstream_status;	/* what the upstream answered, 0: not asked */
	uint64_t bytes_in, bytes_out;	/* request body, response body */
	const char *error;	/* why it failed, or NULL */
	const char *rule;	/* "file:line" of the proxy rule */
};

/* One request through the domain proxy (tracer/egress.c). */
struct jt_log_egress {
	const char *method;	/* "CONNECT", "GET", ... */
	const char *name;	/* the host name asked for, or NULL: none readable */
	unsigned port;
	const char *addr;	/* what the proxy connected to, or NULL: nothing */
	int allowed;
	int status;		/* what the program got */
	const char *reason;	/* why it was refused or ended early, or NULL */
	const char *rule;	/* "file:line" of the domain rule that matched, or NULL */
	const char *sni;	/* the ClientHello's server name, or NULL */
	uint64_t bytes_up, bytes_down;	/* program to upstream, upstream to program */
	uint64_t duration_ms;
};

struct jt_log_run {
	const char *run_id, *start, *user, *host, *cwd, *policy, *kernel, *mechanism;
	const unsigned char *digest;	/* 32 bytes */
	uid_t uid;
	gid_t gid;
	uid_t program_uid;	/* whom the program ran as (as root: not uid 0) */
	gid_t program_gid;
	char *const *argv;
	const char *const *limits_json;	/* NULL-terminated "name", value pairs as text */
};

/** A "proxy" record (docs/audit-log.md). */
void jt_log_proxy(struct jt_log *log, const struct jt_log_proxy *p);

/** An "egress" record (docs/audit-log.md). */
void jt_log_egress(struct jt_log *log, const struct jt_log_egress *e);

/** Open @path for the log: created 0600, never through a symlink. @return 0 or -errno. */
int jt_log_open(struct jt_log *log, const char *path);
/* A log opened by the caller (--log-fd): taken over, closed on exec. */
int jt_log_open_fd(struct jt_log *log, int fd);
/** A log that writes nothing (no --log). */
void jt_log_none(struct jt_log *log);
int jt_log_close(struct jt_log *log);

/** Microseconds since the start of the run. */
uint64_t jt_log_now(const struct jt_log *log);

int jt_log_run_header(struct jt_log *log, const struct jt_log_run *run);
/** A decision: written through before returning. @return 0 or -errno. */
int jt_log_call(struct jt_log *log, const struct jt_log_call *call);
/** A full-audit record of one finished call (batched, not written through). */
void jt_log_audit(struct jt_log *log, const struct jt_log_call *call);
void jt_log_spawn(struct jt_log *log, pid_t pid, pid_t tgid, pid_t parent, const char *kind);
void jt_log_exec(struct jt_log *log, pid_t pid, const char *exe, const char *cmdline, size_t len);
void jt_log_exit(struct jt_log *log, pid_t pid, pid_t tid, int status);
void jt_log_limit(struct jt_log *log, const char *limit, uint64_t value, uint64_t observed);
/** The same records with the stack of a thread (NULL: none). */
void jt_log_exit_stack(struct jt_log *log, pid_t pid, pid_t tid, int status,
		       const struct jt_stack *stack);
void jt_log_limit_stack(struct jt_log *log, const char *limit, uint64_t value, uint64_t observed,
			const struct jt_stack *stack);
/** Bound the log to @max bytes (0: none). */
void jt_log_set_max(struct jt_log *log, uint64_t max);
/** Append the record that ends the log: it goes in the room kept for it. */
int jt_log_append_end(struct jt_log *log, const char *rec, size_t len);
/** Append a finished record (a JSON object and '\n'). */
int jt_log_append(struct jt_log *log, const char *rec, size_t len, int write_through);
int jt_log_flush(struct jt_log *log);

#endif
