/*
 * Replay: the requests of a log decided again, by jt_decide itself,
 * under another policy. Learn (learn.h) uses the same rebuilt requests.
 */
#ifndef JT_REPORTS_REPLAY_H
#define JT_REPORTS_REPLAY_H

#include <stdio.h>
#include "filters/decide.h"
#include "reports/logread.h"

/**
 * The request a syscall record was decided on: ABI, syscall, the raw
 * register arguments and the facts, as the tracer had them.
 * @return 0, or -EINVAL with @why set (no raw arguments, a syscall this
 * jailtrace does not know).
 */
int jt_request_from_rec(const struct jt_rec_syscall *s, struct jt_request *rq, char *why, size_t len);

/** The errno number of a logged errno ("EPERM" or "13"); -1 if unknown. */
int jt_rec_errno(const char *name);

/**
 * 1 for a decision the transport made besides jt_decide: the file-system
 * view (a resolved path in the facts; rules such as builtin:not-in-view)
 * and checks on descriptors the tracer reserves (builtin:handover-
 * descriptor). They rest on facts the record does not hold all of, so
 * replay and learn decide only the syscall part of them again.
 */
int jt_rec_by_transport(const struct jt_rec_syscall *s);

/**
 * A path call under the view decided again under @p, by jt_decide_path,
 * on the facts @p's grants give the inside path the tracer resolved
 * (the record's facts.path; for a path outside the view, the path
 * asked for) and the access the syscall and its flags make. Only the
 * first path of a call is in the record (rename's and link's second are
 * not). Not decided again: a relative path outside the view (the record
 * has no cwd), /proc/PID of the run's processes while @p's view has /proc
 * (without it: ENOENT), a call on a descriptor, a path a command-line
 * grant decided (--ro, --rw, or a directory that leads to one: the log
 * does not hold the grant; it is taken as given again).
 * @return 1 with @v set, 0 when the record is not such a decision.
 */
int jt_redecide_path(const struct jt_policy *p, const struct jt_rec_syscall *s,
		     const struct jt_request *rq, struct jt_verdict *v);

/** The path argument of a record of @sys as the program gave it, or NULL. */
const char *jt_rec_asked_path(const struct jt_rec_syscall *s, int sys);

/*
 * The walk of @asked (absolute, without ".."), as the host resolves it
 * one component at a time, under @p: every place it passes (a directory,
 * a link such as /lib -> usr/lib or /etc/alternatives/NAME, where a link
 * leads) must be in @p's view as it was in the run's (@run, its policy).
 * A place @run alone does not hold (a command-line grant, the jail,
 * /proc of the run) ends the check: the record stays as it was.
 * @return 1 with @v the denial (ENOENT, builtin:not-in-view), else 0.
 */
int jt_redecide_links(const struct jt_policy *run, const struct jt_policy *p, const char *asked,
		      struct jt_verdict *v);

/*
 * The interpreter an exec of the host file @host walks besides it (a
 * script's #! line, an ELF file's PT_INTERP), read from the file.
 * @return 1 with @interp set (absolute), 0 none.
 */
int jt_exec_interp(const char *host, char *interp, size_t len);

/*
 * An exec of @prog (inside path, allowed in the run) under @p: the
 * interpreter and loader its exec walks (jt_exec_interp, a few levels)
 * decided as jt_redecide_links does. @return 1 with @v the denial, else 0.
 */
int jt_redecide_interp(const struct jt_policy *run, const struct jt_policy *p, const char *prog,
		       struct jt_verdict *v);

/** 1 for /proc/PID, /proc/self, /proc/thread-self and below: the run's own processes. */
int jt_is_proc_of_run(const char *path);

/** 1 when @v is the decision the record shows (allow, or deny with its errno). */
int jt_verdict_matches(const struct jt_rec_syscall *s, const struct jt_verdict *v);

enum jt_change {
	JT_SAME = 0,
	JT_NEWLY_DENIED,	/* allowed in the run, denied now: the run needed it */
	JT_NEWLY_ALLOWED,
	JT_OTHER_ERRNO,		/* denied both times, with another errno now */
};

/* One kind of change: the same syscall, before and after. */
struct jt_replay_change {
	enum jt_change kind;
	char *name;
	char *was_rule, *was_err;
	char *now_rule;
	int now_err;
	int now_quiet;		/* the new policy decides it in the kernel */
	unsigned long count;
	double t;		/* the first occurrence */
	long long pid;
	unsigned long line;
	char *call;
};

struct jt_replay {
	unsigned long total, same, newly_denied, newly_allowed, other_errno;
	unsigned long transport_denials;	/* denials besides jt_decide's, not decided again */
	struct jt_replay_change *changes;
	size_t n_changes;
	char *run_policy;	/* what the run used, from the header */
	int full;		/* a full-audit log: call records replayed */
	char err[512];
};

/**
 * Decide every syscall record of @rd again under @p.
 * @return 0, or -errno with r->err set (a malformed log, a record that
 * cannot be rebuilt).
 */
int jt_replay_read(struct jt_replay *r, struct jt_logread *rd, const struct jt_policy *p);
void jt_replay_free(struct jt_replay *r);

int jt_replay_text(const struct jt_replay *r, const char *log, const char *policy, FILE *out);
int jt_replay_json(const struct jt_replay *r, const char *log, const char *policy, FILE *out);

#endif
