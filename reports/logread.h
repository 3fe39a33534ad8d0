/*
 * Reading an audit log (docs/audit-log.md) back: one typed record at a
 * time, checked against the schema. What report, replay and learn read.
 *
 * The log is hostile input like anything else: a line that is not JSON,
 * a record of the wrong shape, a line of a megabyte are errors naming the
 * file and the line ("run.jsonl:17: not JSON: ..."), never a crash. A last
 * line without its newline that does not parse is what SIGKILL leaves
 * behind mid-write: it ends the log with a warning, not an error.
 */
#ifndef JT_REPORTS_LOGREAD_H
#define JT_REPORTS_LOGREAD_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "filters/decide.h"

#define JT_LOGREAD_LINE_MAX (1 << 20)	/* longest line read; records are 24 KiB */

enum jt_rec_type {
	JT_REC_RUN = 1,
	JT_REC_SYSCALL,
	JT_REC_SPAWN,
	JT_REC_EXEC,
	JT_REC_EXIT,
	JT_REC_LIMIT,
	JT_REC_END,
	JT_REC_CALL,		/* --audit full: a finished call, fields of JT_REC_SYSCALL */
	JT_REC_DROPPED,		/* records the log's bound left out */
	JT_REC_OTHER,		/* a type this reader does not know: kept, not an error */
};

/* Strings and json_t values below belong to the reader and stay valid
 * until the next jt_logread_next(). Optional strings are NULL when absent. */
struct jt_rec_run {
	long long v, uid, gid;
	const char *run_id, *start, *user, *host, *cwd, *policy, *policy_digest;
	const char *kernel, *jailtrace;
	const char **argv;	/* NULL-terminated */
	size_t argc;
	json_t *mechanism, *limits;	/* objects, or NULL */
};

struct jt_rec_syscall {
	long long pid, tid, nr;
	const char *abi;
	const char *name;	/* NULL: a number jailtrace had no name for */
	int nraw;
	uint64_t raw[6];
	int has_target;
	enum jt_target target;
	int first_exec;
	const char *path;	/* facts.path: a path the file-system view resolved */
	const char *addr;	/* facts.addr: a network address as decided ("tcp 1.2.3.4:80") */
	int allow;
	const char *rule;
	const char *err;	/* errno name ("EPERM", or "123" when unnamed); NULL if allowed */
	json_t *args;		/* the decoded arguments (array), or NULL */
	json_t *stack;		/* a stack, when a later jailtrace records one */
	json_t *py_stack;	/* its Python frames, when it ran Python code */
	/* how many calls the record stands for: 1, or the count of a "repeat"
	 * record, which the reader hands back as the syscall record it repeats
	 * (type JT_REC_SYSCALL, type_name "repeat", obj that record) */
	long long count;
	/* call records only */
	int has_result;		/* 0: the thread never returned (exit_group, killed) */
	long long result;
	const char *result_err;	/* errno name of a failed call */
};

struct jt_rec_spawn {
	long long pid, tgid, parent;
	const char *kind;	/* fork, vfork, thread, clone */
};

struct jt_rec_exec {
	long long pid;
	const char *exe;
	const char **argv;	/* NULL-terminated */
	size_t argc;
};

struct jt_rec_exit {
	long long pid, tid;
	int has_code;
	long long exit_code;
	const char *signal;	/* name, or the number as text; NULL if exited */
};

struct jt_rec_limit {
	const char *limit;
	double value, observed;
};

struct jt_rec_dropped {
	long long records;
};

struct jt_rec_end {
	const char *status;
	long long exit_code;
	long long program_exit_code;	/* -1: null */
	const char *signal_name;
	long long wall_ms, cpu_ms, peak_memory_kb, denials;	/* -1: absent */
	const char *message;
};

struct jt_rec {
	enum jt_rec_type type;
	const char *type_name;
	unsigned long line;
	double t;		/* seconds since the start; 0 for the header */
	json_t *obj;		/* the whole record */
	union {
		struct jt_rec_run run;
		struct jt_rec_syscall sys;	/* JT_REC_SYSCALL and JT_REC_CALL */
		struct jt_rec_spawn spawn;
		struct jt_rec_exec exec;
		struct jt_rec_exit exit;
		struct jt_rec_limit limit;
		struct jt_rec_end end;
		struct jt_rec_dropped dropped;
	} u;
};

struct jt_logread {
	FILE *f;
	int own;		/* we opened f */
	char *path;
	unsigned long line;
	char *buf;
	size_t cap;
	json_t *cur;
	json_t *last_sys;	/* the last syscall record: what a repeat record repeats */
	const char **vec;	/* argv of the current record */
	size_t veccap;
	char num[32], num2[32];	/* an errno or signal given as a number */
	int seen_run, seen_end;
	int full;		/* the header says --audit full (mechanism.stops) */
	unsigned long records;
	unsigned long cut_line;	/* the last line was cut mid-record: its number */
	char warn[256];		/* why, when cut_line is set */
	char err[512];		/* "FILE:LINE: what" after an error */
};

/**
 * Open @path ("-" for standard input) for reading.
 * @return 0, or -errno with rd->err set.
 */
int jt_logread_open(struct jt_logread *rd, const char *path);

/** The value of the hex digit @c, or -1. */
int jt_hexval(int c);

/** Read from @f, calling the log @name in messages; @f stays the caller's. */
void jt_logread_file(struct jt_logread *rd, const char *name, FILE *f);

/**
 * The next record into @rec.
 * @return 1 with a record, 0 at the end of the log, -EINVAL for a malformed
 * log and -errno for a read error (rd->err says which line and why).
 */
int jt_logread_next(struct jt_logread *rd, struct jt_rec *rec);

void jt_logread_close(struct jt_logread *rd);

/**
 * Turn the surrogate escapes \udc80..\udcff that the writer uses for bytes
 * that are not UTF-8 into the text "\xNN", in place, inside the JSON text
 * @s of @len bytes (jansson refuses lone surrogates). @return the new length.
 */
size_t jt_logread_unsurrogate(char *s, size_t len);

/** A decoded argument as short text: 1, "path", [..], SIGKILL. @return @buf. */
char *jt_logread_value_text(json_t *v, char *buf, size_t len);

/** The arguments of a call as text: kill(1, SIGKILL). @return @buf. */
char *jt_logread_call_text(const struct jt_rec_syscall *s, char *buf, size_t len);

#endif
