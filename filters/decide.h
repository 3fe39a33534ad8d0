/*
 * The one decision: given a request (a syscall with its arguments and the
 * facts the transport looked up), say allow or deny, with errno and rule.
 *
 * The tracer calls it at each stop; replay and learn call it on requests
 * rebuilt from a log. It performs nothing and knows no transport.
 */
#ifndef JT_FILTERS_DECIDE_H
#define JT_FILTERS_DECIDE_H

#include <stdint.h>
#include "compat/syscalls.h"
#include "filters/policy.h"

/* What a built-in check needs the transport to look up first. */
enum jt_check_kind {
	JT_CHECK_NONE = 0,
	JT_CHECK_KILL,		/* arg: kill(2) pid: >0 process, 0 own group, -1 all, <-1 group */
	JT_CHECK_PID,		/* arg: a process id, 0 meaning the caller */
	JT_CHECK_TID,		/* arg: a thread id */
	JT_CHECK_PRIO,		/* setpriority/ioprio_set (which, who) */
	JT_CHECK_SETPGID,	/* setpgid(pid, pgid) */
	JT_CHECK_FCNTL,		/* fcntl F_SETOWN (pid or -pgrp) and F_SETOWN_EX */
	JT_CHECK_FLAGS,		/* arg & mask must be 0 */
	JT_CHECK_CLONE,		/* forbidden flags, and the fork/thread rules */
	JT_CHECK_FORK,		/* the fork rule */
	JT_CHECK_SOCKET,	/* family, type, protocol: see check_socket() */
	JT_CHECK_SOCKETPAIR,	/* no unix datagram pairs under a view */
	JT_CHECK_NET,		/* an address: the tracer decides and performs it (tracer/net.c) */
	JT_CHECK_SETAFFINITY,	/* sched_setaffinity: a pid, and the run stops sharing a CPU */
	JT_CHECK_AFFINITY,	/* sched_getaffinity: answered with the run's CPUs (tracer/cpu.c) */
	JT_CHECK_IOCTL,		/* request code in the allow list */
	JT_CHECK_EXEC,		/* the exec rule (the first exec is jailtrace's own) */
	JT_CHECK_PATH,		/* a path: under a view, the tracer resolves and performs it */
	JT_CHECK_VIEW_DENY,	/* under a view, refused with check.err (for now) */
	JT_CHECK_RESERVED_FD,	/* arg must not be the handover descriptor */
	JT_CHECK_CLOSE_RANGE,	/* the range must not hold the handover descriptor */
	JT_CHECK_SOCKETCALL,	/* i386: the tracer decodes it and decides the call it carries */
	JT_CHECK_EPOLL_ADD,	/* under a view, EPOLL_CTL_ADD: the tracer counts the watches */
	JT_CHECK_MAP_EXEC,	/* arg: prot; executable memory backed by a file the program wrote */
	JT_CHECK_PERSONALITY,	/* no READ_IMPLIES_EXEC under a view without exec jail */
};

struct jt_check {
	unsigned char kind;
	unsigned char arg;	/* which argument holds the pid, flags, code */
	uint64_t mask;		/* JT_CHECK_FLAGS: the forbidden bits */
	short err;		/* JT_CHECK_VIEW_DENY: the errno */
};

/* The check of each syscall; kind JT_CHECK_NONE for most. */
const struct jt_check *jt_check_of(int sys);

/* The facts about the process(es) a call is aimed at. */
enum jt_target {
	JT_TARGET_NONE = 0,	/* the call names no process, or the kernel will refuse it anyway */
	JT_TARGET_SELF,		/* the caller's own thread group */
	JT_TARGET_SANDBOX,	/* processes or a group inside the sandbox */
	JT_TARGET_OUTSIDE,	/* anything else, including "every process" */
	JT_TARGET_GONE,		/* a process id no process has now: ESRCH, as natively */
};

struct jt_request {
	const struct jt_abi *abi;	/* NULL: an ABI this build does not handle */
	uint32_t audit_arch;
	long nr;
	int sys;			/* enum jt_sys, or -1 for an unknown number */
	uint64_t args[6];
	/* facts, looked up by the transport as jt_check_of(sys) asks */
	enum jt_target target;
	int first_exec;			/* jailtrace's own exec of the program */
	int reserved_fd;		/* the handover descriptor under a view; 0-2: none */
	int map_written;		/* mmap/mprotect: PROT_EXEC of a file from a writable grant */
};

struct jt_verdict {
	int allow;
	int err;		/* errno when denied */
	int rule;		/* policy rule, or -1 */
	const char *builtin;	/* a built-in check's name, or NULL */
	int quiet;		/* the kernel decides this alone: no record */
};

/**
 * Decide @rq under @p.
 * @return 0 (the verdict is in @v).
 */
int jt_decide(const struct jt_policy *p, const struct jt_request *rq, struct jt_verdict *v);

/* What a path operation does to its object, for jt_decide_path. */
enum jt_path_access {
	JT_PATH_LOOKUP,		/* stat, access, readlink, chdir, open O_PATH */
	JT_PATH_READ,		/* open for reading */
	JT_PATH_WRITE,		/* change the object: open for writing, chmod, truncate, ... */
	JT_PATH_CREATE,		/* add or remove an entry of its directory */
	JT_PATH_EXEC,		/* run it */
	JT_PATH_LINK_SOURCE,	/* the existing side of a hard link */
};

/* Facts the transport found by resolving the path in the view. */
struct jt_path_facts {
	int in_view;		/* the path leads to something the view holds (or may create) */
	int writable;		/* it lies in a writable grant */
	int rule;		/* the grant's policy rule, or -1 (a part of the view of its own) */
	/* with rule -1: the part of the view jailtrace adds that holds it, named
	 * in the log as builtin:PART ("jail", "own-file", "proc-of-run",
	 * "view-dir"); NULL is "view" */
	const char *part;
};

/*
 * The part of a writable grant (or the jail) that is jailtrace's own audit
 * log, or a directory holding it, --result's file or --keep's copies:
 * read-only to the program, whose grant it is (tracer/run.c, guard_file).
 */
#define JT_PART_OUTPUT "jailtrace-output"

/**
 * Decide a path operation: ENOENT outside the view, EROFS for changes to
 * read-only grants, EACCES for running what the program may have written
 * (unless `exec jail`) and for hard links to what it may not change.
 */
void jt_decide_path(const struct jt_policy *p, enum jt_path_access a,
		    const struct jt_path_facts *f, struct jt_verdict *v);

/*
 * The view's facts for a path it already resolved, under @p's grants
 * alone: the longest grant that holds it (a grant of "/a" holds "/a" and
 * everything below), the jail's directories (writable, no policy line),
 * the files jailtrace writes into every view (/etc/passwd, /etc/group,
 * /etc/hosts: read-only), and the directories that only lead to those
 * (read-only; a directory that only leads to grants has the rule of one
 * of them: jt_view_dir_facts). A grant whose host path is missing is not
 * in the view (the tracer leaves it out). Replay and learn decide a logged
 * path again with it; the tracer's walk (tracer/path.c) finds the same
 * grant step by step on the host. /proc/PID is not here: it depends on
 * the run's processes (reports/rebuild.c: only the view's /proc does not).
 * @return 0, or -1 for a path that is not absolute (the facts say not in view).
 */
int jt_path_facts_of(const struct jt_policy *p, const char *inside, struct jt_path_facts *f);

/** The index of the grant of @p that holds @inside (as jt_path_facts_of finds it), or -1. */
int jt_grant_of(const struct jt_policy *p, const char *inside);

/*
 * A directory that only leads to grants is in the view because of them:
 * its rule is one of theirs, so that a log names what put it there. A
 * directory that leads to the jail or to jailtrace's own files (or to a
 * grant jailtrace added, rule -1) is in every view: -1 and "view-dir".
 * Else a command-line grant (--ro, --rw) first, as it is given again
 * with any policy; else a policy grant whose host path exists.
 * Sets f->in_view, f->rule, f->part; f->writable is 0.
 * @return 1 when @inside leads to something, else 0 (f says not in view).
 */
int jt_view_dir_facts(const struct jt_policy *p, const char *inside, struct jt_path_facts *f);

/*
 * What a path syscall does to the object of its first path, as the
 * tracer decides it (tracer/fs.c): an open by its flags (O_CREAT of a
 * file that existed is a read; the log does not say whether it existed,
 * so an O_CREAT without O_EXCL that was refused EROFS counts as a change),
 * mkdir, unlink, rename... a change of the directory, chmod... a change
 * of the object, stat... a lookup, exec a run, link the link's source.
 * @return 0, or -1 for a call with no path of its own (fchmod, getcwd).
 */
int jt_path_access_of(int sys, const uint64_t args[6], int recorded_err, enum jt_path_access *a);

/* The jail's inside directories, writable in every view (tracer/jail.c). */
#define JT_JAIL_DIRS 4
extern const char *const jt_jail_dirs[JT_JAIL_DIRS];

/** The rule of a verdict as the log names it: "file:line", "builtin:NAME", "default-deny". */
const char *jt_verdict_rule(const struct jt_policy *p, const struct jt_verdict *v,
			    char *buf, size_t len);

const char *jt_target_name(enum jt_target t);

#endif
