/*
 * The stack of a stopped tracee thread, for the log: unwound with
 * libunwind-ptrace, frames named from the ELF symbol tables of the files
 * mapped at that moment, as "object!function+0xoff". Everything it reads
 * is the tracee's and hostile (registers, stack, unwind tables, the maps
 * file, the mapped files), so the work is bounded in frames, time, memory
 * reads and cache size, and a failure is a reason in the record, never an
 * error of the run.
 */
#ifndef JT_REPORTS_BACKTRACE_H
#define JT_REPORTS_BACKTRACE_H

#include <sys/types.h>
#include "reports/pyframes.h"

#define JT_BT_DEPTH 32			/* frames kept */
#define JT_BT_DEADLINE_US 20000		/* of the tracer's CPU time for one stack, symbols included */
#define JT_BT_FRAME 200			/* bytes of one frame's text */
#define JT_BT_OBJECT 64			/* bytes of an object's name */

struct jt_stack {
	int n;					/* frames */
	int nobj;				/* objects with a build id */
	char error[48];				/* why it is cut or missing; "" when whole */
	char frame[JT_BT_DEPTH][JT_BT_FRAME];	/* innermost first */
	struct {
		char name[JT_BT_OBJECT];	/* letters, digits and ._+- only */
		char build_id[65];		/* hex */
	} obj[JT_BT_DEPTH];
	int npy;				/* Python frames (CPython 3.11), innermost first */
	char py[JT_PY_DEPTH][JT_PY_FRAME];	/* "file:line in function" */
};

struct jt_bt;

/** An unwinder and its cache of symbol tables, for one run. NULL: out of memory. */
/* Can stacks be taken (libunwind linked in, or loaded now)? 0 or -1. */
int jt_bt_available(void);
struct jt_bt *jt_bt_new(void);
void jt_bt_free(struct jt_bt *bt);

/**
 * Fill @out with the stack of thread @tid, which must be in a ptrace stop
 * of the caller. @vm_readv: read its memory with process_vm_readv, else
 * with PTRACE_PEEKDATA. @out always ends up valid, at worst with no frame
 * and a reason. A thread running CPython 3.11 code also gets its Python
 * frames (within a budget of its own: 5 ms of CPU time).
 */
void jt_bt_take(struct jt_bt *bt, pid_t tid, int vm_readv, struct jt_stack *out);

#endif
