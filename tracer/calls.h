/* The calls the tracer performs, one row each (calls.c). */
#ifndef JT_TRACER_CALLS_H
#define JT_TRACER_CALLS_H

struct jt_op;
struct jt_run;
struct jt_task;
struct jt_request;
struct jt_fs_result;

enum {
	JT_CALL_FD = 1 << 0,	 /* its result may be a new descriptor, handed over */
	JT_CALL_I386 = 1 << 1,	 /* its i386 layouts are known */
	JT_CALL_NOTIFY = 1 << 2, /* a user notification may carry it */
	JT_CALL_NET = 1 << 3,	 /* performed without a view too */
};

struct jt_call {
	int (*perform)(struct jt_op *op);		/* read, decide, perform */
	int (*which)(const struct jt_request *rq);	/* NULL: every call; else those it says */
	unsigned flags;
};

/** The row of @sys (enum jt_sys), or NULL: the tracer performs no such call. */
const struct jt_call *jt_call_of(int sys);
/** Does the tracer perform @rq in this run (its policy allows it, a view where one is needed)? */
int jt_call_performs(const struct jt_run *run, const struct jt_request *rq);
/** Read, decide and perform @rq: the answer in @res. @return 0 or -errno. */
int jt_call(struct jt_run *run, struct jt_task *t, const struct jt_request *rq,
	    struct jt_fs_result *res);

#endif
