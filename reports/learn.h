/*
 * Learn: from a run's log, the tightest policy under which the same run
 * gets the same decisions (docs/forensics.md says what that can mean when
 * only decided calls are logged, and what it means with --audit full).
 */
#ifndef JT_REPORTS_LEARN_H
#define JT_REPORTS_LEARN_H

#include <stdio.h>
#include "reports/logread.h"

/**
 * Read the log @rd and write the learned policy to @out. The base is
 * @base (a policy file), else the policy the run's header names: the
 * built-in default, or that file if it can be read. Warnings (a base
 * whose digest is not the run's) go to @warn. The policy is checked
 * before it is written: every recorded decision is taken again under it
 * with jt_decide.
 * @return 0; 1 when the check found decisions that would differ (they
 * are listed on @warn); -EINVAL / -errno with @err set for a bad log, a
 * missing base or a failed write.
 */
int jt_learn(struct jt_logread *rd, const char *base, FILE *out, FILE *warn,
	     char *err, size_t errlen);

#endif
