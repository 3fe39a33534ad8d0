/*
 * A run's report: the audit log folded into what a person asks first
 * (what ran, for whom, how long, how it ended, which processes, what was
 * denied, which limit ended it), then written as text, JSON or HTML.
 * The three writers show the same content from the one model built here.
 */
#ifndef JT_REPORTS_REPORT_H
#define JT_REPORTS_REPORT_H

#include <stdio.h>
#include <jansson.h>
#include "reports/logread.h"

struct jt_rp_exec {
	double t;
	char *exe;
	char **argv;		/* NULL-terminated */
};

struct jt_rp_proc {
	long long pid, parent;
	char *kind;		/* "fork", "vfork", "clone"; NULL: no spawn record */
	double start, end;
	int ended;		/* an exit record was seen */
	int has_code;
	long long exit_code;
	char *signal;
	unsigned threads;	/* threads started besides the main one */
	unsigned long denials;
	struct jt_rp_exec *execs;
	size_t n_execs;
};

/* The first occurrence of something, and how often it happened. */
struct jt_rp_first {
	unsigned long count;
	double t;
	long long pid, tid;
	unsigned long line;
	char *call;		/* kill(1, SIGKILL) */
	json_t *args;		/* as logged, or NULL */
	json_t *stack;		/* when the log has one */
	json_t *py_stack;	/* ... and its Python frames */
};

/* Denials of one syscall with one errno under one rule. */
struct jt_rp_denied {
	char *name, *err;
	unsigned long quiet;	/* of them by design or as natively (jt_report_quiet) */
	struct jt_rp_first first;
};

struct jt_rp_rule {
	char *rule;
	unsigned long count;
	struct jt_rp_denied *calls;
	size_t n_calls;
};

struct jt_rp_limit {
	char *limit;
	double t, value, observed;
};

/* File and network access, from syscall records that carry a path or a
 * socket family: what this version logs is little, later ones log more
 * records of the same kind and they land here without a new reader. */
struct jt_rp_access {
	char *group;		/* the directory, or the address family */
	char *what;		/* read, write, create, remove, ... or the syscall */
	char *decision;		/* allow, deny; full audit: ok, deny or the errno it failed with */
	char *example;		/* the path, or the call ("connect tcp 10.1.1.1:80") */
	char *addr;		/* network: the address as decided (facts.addr, or a unix path) */
	struct jt_rp_first first;
};

/* A mark on the timeline. */
struct jt_rp_event {
	double t;
	long long pid;
	char kind;		/* 'x' exec, 'd' denial, 'l' limit */
	char *label;
};

struct jt_report {
	char *path;
	json_t *run;		/* the header record */
	json_t *end;		/* the end record, NULL if the log has none */
	long long version;
	unsigned long lines, records;
	double last_t;
	unsigned long decisions, allowed, denied;
	unsigned long quiet;	/* denials that are no news: by design, or as natively */
	unsigned long cut_line;	/* the last line was cut */
	int full;		/* --audit full: every call has a "call" record */
	unsigned long calls;	/* call records */
	unsigned long *sys_calls, *sys_failed;	/* per enum jt_sys, full audit only */

	struct jt_rp_proc *procs;
	size_t n_procs;
	struct jt_rp_rule *rules;
	size_t n_rules;
	struct jt_rp_limit *limits;
	size_t n_limits;
	struct jt_rp_access *files, *net;
	size_t n_files, n_net;
	struct jt_rp_event *events;
	size_t n_events;
	unsigned long events_dropped;
	unsigned long dropped;	/* records the log's bound left out ("dropped") */

	/* record types this reader does not know, and how many of each */
	char **other_types;
	unsigned long *other_counts;
	size_t n_other;

	char **notes;		/* things a reader of the report must know */
	size_t n_notes;
	char err[512];
};

#define JT_RP_EVENTS_MAX 2000	/* timeline marks kept; the rest are counted */

/**
 * Read the log @path into @rep.
 * @return 0, or -EINVAL (malformed log) / -errno with rep->err set.
 */
int jt_report_load(struct jt_report *rep, const char *path);
/** The same from a reader already open (tests and the fuzzer). */
int jt_report_read(struct jt_report *rep, struct jt_logread *rd);
void jt_report_free(struct jt_report *rep);

/* Helpers the writers share. */
const char *jt_report_run_str(const struct jt_report *rep, const char *key);
/** Seconds the run lasted: wall_ms of the end record, else the last record's time. */
double jt_report_duration(const struct jt_report *rep);
/** One line: "exited with status 3", "killed by SIGKILL", "did not end cleanly ...". */
const char *jt_report_outcome(const struct jt_report *rep, char *buf, size_t len);
/** What a built-in rule means, or NULL. */
const char *jt_report_rule_meaning(const char *rule);
/** Index of the process @pid in rep->procs, or -1. */
long jt_report_proc(const struct jt_report *rep, long long pid);
/** Indices of syscalls by call count, most first, at most @max; full audit only. */
size_t jt_report_top_syscalls(const struct jt_report *rep, int *idx, size_t max);
/** "1.5 GiB" for bytes, "250 ms" / "2.5 s" for milliseconds. */
const char *jt_report_size(double bytes, char *buf, size_t len);
const char *jt_report_ms(double ms, char *buf, size_t len);
/** A limit's value as a person reads it: "2.0 GiB", "60 s", "256", "none". */
const char *jt_report_limit(const char *name, double v, char *buf, size_t len);

int jt_report_text(const struct jt_report *rep, FILE *out);
/** One screen of it: header, limits reached, the denials that matter. */
int jt_report_summary(const struct jt_report *rep, FILE *out);
int jt_report_json(const struct jt_report *rep, FILE *out);
int jt_report_html(const struct jt_report *rep, FILE *out);
/** Many runs side by side (a job's tasks, one log each): per task how it
 * ended, denials across the tasks, what one task alone tried. */
int jt_report_job(const struct jt_report *reps, size_t n, FILE *out);

#endif
