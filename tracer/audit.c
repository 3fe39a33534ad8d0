/*
 * Full audit (--audit full): every syscall stops at its seccomp stop and
 * again at its syscall-exit stop, and gets one "call" record with its
 * decoded arguments and its result. What the call reads is copied at entry,
 * what it writes at exit, JT_LOG_BUF_MAX bytes of each.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include "compat/regs.h"
#include "tracer/internal.h"

#define AUDIT_STR 1024	/* bytes of a path or string argument kept */

struct jt_pending {
	struct jt_log_call lc;
	struct jt_verdict v;
	char rule[64];
	char str[6][AUDIT_STR];
	char path[PATH_MAX + 1];	/* facts.path and facts.addr of the decision */
	char addr[96];
};

static void read_arg(const struct jt_run *run, pid_t tid, uint64_t addr, size_t len,
		     int is_string, char *buf, size_t cap, struct jt_log_str *s)
{
	ssize_t n;

	memset(s, 0, sizeof(*s));
	if (is_string) {
		n = jt_mem_string(run, tid, addr, buf, cap, &s->cut);
	} else {
		s->cut = len > cap;
		n = jt_mem_read(run, tid, addr, buf, len < cap ? len : cap);
	}
	if (n < 0) {
		s->err = (int)n;
		return;
	}
	s->s = buf;
	s->len = (size_t)n;
}

int jt_audit_entry(struct jt_run *run, struct jt_task *t, const struct jt_log_call *lc)
{
	struct jt_pending *p = t->pending;
	const struct jt_sysinfo *si = lc->sys >= 0 ? &jt_sysinfo[lc->sys] : NULL;

	if (!p && !(p = t->pending = malloc(sizeof(*p))))
		return -ENOMEM;
	p->lc = *lc;
	p->v = *lc->verdict;
	snprintf(p->rule, sizeof(p->rule), "%s", lc->rule);
	p->lc.verdict = &p->v;
	p->lc.rule = p->rule;
	p->lc.argv = NULL;	/* argv is in the decision record of an exec */
	/* the facts the decision rested on: replay and learn read them here too */
	p->lc.path = lc->path ? (snprintf(p->path, sizeof(p->path), "%s", lc->path), p->path) : NULL;
	p->lc.addr = lc->addr ? (snprintf(p->addr, sizeof(p->addr), "%s", lc->addr), p->addr) : NULL;
	memset(p->lc.str, 0, sizeof(p->lc.str));
	for (int i = 0; si && i < si->nargs; i++) {
		int k = si->arg[i];

		if (k == JT_ARG_PATH || k == JT_ARG_STR)
			read_arg(run, t->tid, lc->args[i], 0, 1, p->str[i], AUDIT_STR, &p->lc.str[i]);
		else if (k == JT_ARG_BUFIN && i + 1 < si->nargs)
			read_arg(run, t->tid, lc->args[i], lc->args[i + 1], 0, p->str[i],
				 JT_LOG_BUF_MAX, &p->lc.str[i]);
	}
	p->lc.has_result = 0;
	return 0;
}

static void finish(struct jt_run *run, struct jt_task *t, int has_result, long result)
{
	struct jt_pending *p = t->pending;
	const struct jt_sysinfo *si = p->lc.sys >= 0 ? &jt_sysinfo[p->lc.sys] : NULL;

	p->lc.has_result = has_result;
	p->lc.result = result;
	for (int i = 0; has_result && si && i < si->nargs; i++)
		if (si->arg[i] == JT_ARG_BUFOUT && result > 0)
			read_arg(run, t->tid, p->lc.args[i], (size_t)result, 0, p->str[i],
				 JT_LOG_BUF_MAX, &p->lc.str[i]);
	jt_log_audit(&run->log, &p->lc);
	free(p);
	t->pending = NULL;
}

void jt_audit_exit(struct jt_run *run, struct jt_task *t)
{
	long ret = 0;
	int r;

	if (!t->pending)
		return;
	r = jt_regs_result(t->tid, jt_kernel_has(&run->kernel, JT_FEAT_SYSCALL_INFO), &ret);
	finish(run, t, r == 0, ret);
}

/* The thread ended inside a call (exit, exit_group, a fatal signal). */
void jt_audit_gone(struct jt_run *run, struct jt_task *t)
{
	if (t->pending)
		finish(run, t, 0, 0);
}
