/* Denials that explain themselves: counted during the run, named at its end. */
#ifndef JT_TRACER_DENIALS_H
#define JT_TRACER_DENIALS_H

#include "filters/decide.h"

struct jt_run;
struct jt_task;
struct jt_result;

/*
 * Count one denied request: @path (an inside path, maybe relative to the
 * task's cwd) or @addr (a network endpoint) when the call named one.
 * @return 0 for a path outside the view that this host lacks too (the
 * lookup fails natively the same way: not worth a stack), else 1. The
 * host is looked at (lstat) once per distinct path, and the summary at
 * the end of the run uses the same answer.
 */
int jt_denial_note(struct jt_run *run, const struct jt_task *t, const struct jt_request *rq,
		   const struct jt_verdict *v, const char *path, const char *addr);

/** What jt_denial_note would answer, without counting the denial. */
int jt_denial_hides(struct jt_run *run, const struct jt_task *t, const struct jt_request *rq,
		    const struct jt_verdict *v, const char *path, const char *addr);

/**
 * Count one request of the program that a proxy of jailtrace's refused
 * (@by: "the domain proxy", static): @what ("CONNECT example.org:443"),
 * and @why, which says what would grant it where something would. It
 * counts as a denial of the run.
 */
void jt_denial_refused(struct jt_run *run, const char *by, const char *what, const char *why);

/* Fill @res->hints with the most frequent denials and what would grant each. */
void jt_denials_explain(struct jt_run *run, struct jt_result *res);

void jt_denials_free(struct jt_run *run);

#endif
