/* What the tracer's files share. Not installed: the API is jailtrace.h. */
#ifndef JT_TRACER_INTERNAL_H
#define JT_TRACER_INTERNAL_H

#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>
#include <linux/filter.h>
#include "compat/probe.h"
#include "filters/policy.h"
#include "reports/log.h"
#include "tracer/jailtrace.h"
#include "tracer/proc.h"
#include "tracer/view.h"
#include <limits.h>

#define JT_RESULT_NOWHERE (-2)

struct jt_config {
	struct jt_policy policy;
	uint64_t limit[JT_LIMIT_COUNT];	/* from the command line */
	unsigned limit_set;
	char **env;			/* --env specs, applied over the policy's */
	size_t n_env;
	char *log_path;
	int log_fd;			/* --log-fd N: the log, opened by our caller; else -1 */
	int result_dir;			/* --result FILE: its directory, opened before the run; else -1;
					 * JT_RESULT_NOWHERE: its way was refused, not to be written */
	const char *result_path;	/* --result FILE (argv's) */
	char *disabled;
	int quiet;
	int audit_full;
	char *jail;			/* --jail: the host directory of the jail */
	char *cwd;			/* --cwd: the inside working directory */
	char *user;			/* --user: whose jail, and as root whose uid */
	int ephemeral;			/* --ephemeral: a fresh jail even with --user */
	int share_jail;			/* --share-jail: a shared lock on the jail, not an exclusive one */
	char **keep;			/* --keep specs */
	size_t n_keep;
	int no_backtrace;		/* --no-backtrace */
	int syslog;			/* --syslog */
	int no_pin;			/* --no-pin: every CPU from the start (cpu.c) */
	int no_filter_cache;		/* JAILTRACE_FILTER_CACHE=0 (filtercache.c) */
	uint64_t grace_ms;		/* --grace: from a stop signal to SIGKILL */
	char err[512];
};

extern const uint64_t jt_limit_default[JT_LIMIT_COUNT];
/* "--memory 100M": a limit as its option, in the largest exact unit */
void jt_limit_text(enum jt_limit l, uint64_t v, char *buf, size_t len);
extern const char *const jt_limit_names[JT_LIMIT_COUNT];

/* Why the run is ending early; the first reason wins. */
enum jt_stop {
	JT_STOP_NONE,
	JT_STOP_TIMEOUT,
	JT_STOP_CPU,
	JT_STOP_MEMORY,
	JT_STOP_OUTPUT,
	JT_STOP_PROCS,
	JT_STOP_DISK,		/* --disk or --inodes */
	JT_STOP_SIGNAL,		/* jailtrace was told to stop */
	JT_STOP_ERROR,
	JT_STOP_LOG,		/* the audit log reached --log-max */
};

/* disk.c: a memfd the tracer made for the tree, and its copy of it */
struct jt_kept_memfd {
	int fd;
	dev_t dev;
	ino_t ino;
	int unseen;		/* looks in a row that found it neither held nor mapped */
};

/* disk.c: what a walk of the jail found */
struct jt_disk_usage {
	uint64_t bytes;		/* allocated (st_blocks), each inode once */
	uint64_t inodes;	/* files and directories */
	int complete;		/* every directory was read */
	int tmpfs;		/* the jail is in memory: its bytes are memory too */
	dev_t dev;		/* the jail's file system */
};

/* What jailtrace writes on the host that no walk of the program's may change. */
#define JT_GUARD_MAX 128
struct jt_guard {
	dev_t dev;
	ino_t ino;
};

struct jt_run {
	jt_config *cfg;
	/* the log file, and the directories holding it, --result's file and
	 * --keep's copies, when a writable grant or the jail holds them:
	 * read-only to the program */
	struct jt_guard guard[JT_GUARD_MAX];
	unsigned n_guard;
	int *keep_dir;			/* each --keep's host directory, opened before the run */
	const struct jt_policy *policy;
	struct jt_kernel kernel;
	struct jt_log log;
	struct jt_ptable tasks;
	uint64_t limit[JT_LIMIT_COUNT];	/* in force: command line, policy, default */
	pid_t child;			/* the program's first process */
	pid_t tracer_pid;
	pid_t spawn_parent;		/* the first process's parent: jailtrace or the watchdog */
	pid_t jailtrace_pgrp;
	int child_status;
	int child_done;
	int first_exec_done;
	enum jt_stop stop;
	int stop_signal;		/* with JT_STOP_SIGNAL */
	int killing;			/* SIGKILL sent to everything */
	uint64_t grace_end_us;		/* the stop signal was sent; SIGKILL at this time */
	int grace_signals;		/* jt_signal_count when it was sent */
	char message[256];
	uint64_t start_us, end_us;
	uint64_t peak_rss_kb;
	/* disk.c: the jail at the last walk */
	struct jt_disk_usage disk;
	uint64_t disk_peak;		/* the most bytes a walk found */
	uint64_t disk_next_us;		/* no walk before this time */
	uint64_t disk_inodes_made;	/* names made by decided calls since the walk */
	uint64_t held_bytes;		/* memfd, tmpfs and pipe bytes the tree holds */
	uint64_t held_unlinked;		/* jail files it holds open with no name left */
	struct jt_kept_memfd *memfds;	/* the tree's memfds, a copy of each (disk.c) */
	size_t n_memfds;
	uint64_t held_next_us;		/* no look at the descriptors before this time */
	uint64_t cpu_ms;		/* last measured CPU time of the tree */
	uint64_t denials;
	struct jt_denials *denial_tab;	/* denials.c: what was denied, for the summary */
	int out_fd[2];			/* read ends of the stdout and stderr pipes */
	int stdin_tty;			/* we handed the terminal to the sandbox */
	int stdin_termios_saved;	/* ... and its settings before, to put back */
	struct termios stdin_termios;
	int use_pty;			/* tty.c: stdout is a terminal, the program gets a pty */
	int pty_master, pty_slave;	/* ... its pair, -1 when none */
	struct jt_pty *ptys;		/* ptys.c: the ptys the sandbox may open the slave of */
	size_t n_ptys, cap_ptys;
	/* cpu.c: where the sandbox runs */
	cpu_set_t cpus_all;		/* the CPUs the run was given */
	int pin_cpu;			/* the one it shares with the tracer, or -1 */
	int busy_ticks;			/* ticks in a row with two tasks runnable */
	int crowded_ticks;		/* ... of them, ticks the tracer waited for its CPU */
	int spread_at;			/* it has been spread over cpus_all */
	const char *spread_why;		/* ... because: "demand", "crowded", "program" */
	uint64_t last_delay;		/* the tracer's run_delay at the last tick (ns) */
	uint64_t last_run;		/* and its time on the CPU (ns) */
	struct jt_stacks *stacks;	/* stack.c; NULL until the first stack */

	/* the file-system view (when the policy grants paths) */
	int use_view;
	struct jt_view view;
	char skeleton[PATH_MAX];	/* host directory standing for synthetic ones */
	int skeleton_kept;		/* it is the cached one: left in place at the end */
	int skeleton_lock;		/* a shared lock on it while the run lasts, or -1 */
	char proc_ls[PATH_MAX];		/* what /proc lists (skeleton.c), or "": not made */
	int filters_trusted;		/* no mark says a cache may be tampered with */
	int skeletons_trusted;
	int taint_fd[4];		/* its program could write a cache of jailtrace's:
					 * its marks (a cache's two names), share-locked
					 * while the run lasts, or -1 */
	char taint_path[4][PATH_MAX];
	char jail[PATH_MAX];		/* host directory of the writable jail */
	int jail_ephemeral;
	int jail_remove;		/* --jail DIR --ephemeral: DIR is removed at the end */
	int jail_lazy;			/* the fresh jail is made with its first directory */
	int jail_lock;			/* held while the run lasts: one run per jail */
	int switch_user;		/* jailtrace is root: the program runs as run_uid */
	int two_ids;			/* ... the sandbox user's: the jail is run_uid's, the
					 * grants are reached as jailtrace's uid (view.c) */
	uid_t run_uid;
	gid_t run_gid;
	const char *cwd_inside;
	char cwd_here[PATH_MAX];	/* jailtrace's own, when a grant shows it (run.c) */
	int chan[2];			/* handover pair: [0] the tracer's, [1] the child's */
	int chan_fd;			/* where every tracee holds [1] */
	pid_t inject_busy;
	/* notify.c: the user-notification transport */
	int notif_want;			/* the filter sends jt_seccomp_notified calls to a listener */
	int notif_fd;			/* the tracer's copy of that listener, or -1 */
	int notif_sig_fd;		/* a signalfd the loop polls beside it, or -1 */
	int notif_waiting;		/* notifications kept to be tried again (a FIFO's open) */
	size_t notif_size;		/* the kernel's sizeof(struct seccomp_notif) */
	int notif_killable;		/* a received call's wait ends only by a fatal signal (5.19) */
	uint64_t notif_retry_at;	/* when kept notifications are tried again (us) */
	uint64_t notif_retry_us;	/* ... and the pause, doubled while none is done */
	struct jt_proxy_srv *proxy;	/* proxy.c: NULL without proxy rules */
	struct jt_egress *egress;	/* egress.c: NULL without domain rules */
	/* fs.c: inotify instances and watches allowed since they were last
	 * counted in /proc (counted again when these reach the caps) */
	unsigned inotify_instances;
	unsigned long inotify_watches;
	unsigned long epoll_watches;
	pid_t *deferred;
	size_t n_deferred, cap_deferred;

	/* watchdog.c: without PTRACE_O_EXITKILL only */
	pid_t watchdog;			/* 0: none (or reaped) */
	int wd_fd;			/* write end of its pipe: a byte or EOF ends its wait */
	int wd_told;			/* it was told jailtrace is done */
	int wd_child_status;		/* how the first process stopped (or ended) */
	struct jt_wd_shared *wd_shared;
};

/* disk.c */
int jt_disk_usage(const char *root, uint64_t max_bytes, struct jt_disk_usage *u);
int jt_disk_tick(struct jt_run *run, int final);
int jt_disk_may_make(struct jt_run *run);
uint64_t jt_held_memory(struct jt_run *run);

int jt_memfd_keep(struct jt_run *run, int fd);
void jt_memfds_free(struct jt_run *run);

/* jail.c: the jail directory, and its grants (into @p; a fresh jail's lazy ones into the view) */
int jt_jail_prepare(struct jt_run *run, struct jt_policy *p, char *err, size_t errlen);
void jt_jail_remove(struct jt_run *run);
int jt_grant_add(struct jt_policy *p, const char *host, const char *inside, int rw);
const char *jt_tmpdir(void);
/* remove a tree jailtrace made, never following a link out of it */
void jt_remove_tree(const char *path);
/* remove what runs killed by SIGKILL left in @dir (their fresh jails, private skeletons) */
void jt_remove_stale(const char *dir);

/* keep.c: --keep INSIDE[:HOST], after the run, into @dir (HOST's directory
 * as jt_keep_check found it; -1: looked up now): -errno (@err says why), or
 * how many links and special files it left out (@err names them when not 0) */
int jt_keep(struct jt_run *run, const char *spec, int dir, char *err, size_t errlen);
/** Before the run: can --keep @spec copy where it would? -EEXIST when its
 * destination exists, -errno when its directory cannot be opened; else 0
 * and *@dir that directory, held for jt_keep. */
int jt_keep_check(struct jt_run *run, const char *spec, int *dir, char *err, size_t errlen);

/* inject.c: handing descriptors to tracees */
int jt_inject_setup(struct jt_run *run);
int jt_inject_busy(struct jt_run *run, struct jt_task *t);
int jt_inject_fd(struct jt_run *run, struct jt_task *t, const struct jt_abi *abi, int fd,
		 int cloexec);
void jt_inject_exit(struct jt_run *run, struct jt_task *t);
void jt_inject_gone(struct jt_run *run, struct jt_task *t);
/* The next task that waited for the pair, now free, whose stop is to be
 * handled again (loop.c does, between events), or NULL. */
struct jt_task *jt_inject_next(struct jt_run *run);
/*
 * Fetching a program's descriptor without pidfd_getfd: turn the call at this
 * seccomp stop (number @nr of @abi) into sendmsg(chan_fd, SCM_RIGHTS [@fd]);
 * it is issued again after the exit stop. @return 0 (in flight), 1 (waits for
 * the channel), -errno (cannot here: jt_fetch_fail then says so).
 */
int jt_fetch_start(struct jt_run *run, struct jt_task *t, const struct jt_abi *abi, long nr,
		   const uint64_t args[6], int fd);
/* At a syscall stop: the fetch's exit. @return 1 when it was that stop. */
int jt_fetch_exit(struct jt_run *run, struct jt_task *t);
/* Record that @fd of @t cannot be fetched for call @nr (@args): @err for the handler. */
void jt_fetch_fail(struct jt_task *t, long nr, const uint64_t args[6], int fd, int err);
/* A copy of what @fd was when fetched (the caller closes it), -errno, or -ENOENT: none. */
int jt_fetched_take(struct jt_task *t, int fd);
/*
 * Give @t the tracer's descriptor @fd (consumed) close-on-exec for the exec
 * at this seccomp stop (number @nr, JT_SYS_* @sys, @args), and rewind the
 * call: issued again, its handler finds the number (jt_given_take).
 * @return 0 (in flight) or -errno.
 */
int jt_give_start(struct jt_run *run, struct jt_task *t, const struct jt_abi *abi, long nr,
		  int sys, const uint64_t args[6], int fd);
/* The number given for call @sys (@args), -errno, or -ENOENT: none. */
int jt_given_take(struct jt_task *t, int sys, const uint64_t args[6]);
/* At a seccomp stop of call @nr (@args): copies fetched for another call are dropped. */
void jt_fetched_check(struct jt_task *t, long nr, const uint64_t args[6]);

/* spawn.c: start the program stopped, ready to be seized. */
int jt_spawn(struct jt_run *run, const char *path, char *const argv[], char *const envp[],
	     const struct sock_fprog *prog, int out_w[2], pid_t *pid, int *err_fd);
void jt_spawn_child(const struct jt_run *run, const char *path, char *const argv[],
		    char *const envp[], const struct sock_fprog *prog, int out_w[2], int errfd)
	__attribute__((noreturn));
int jt_spawn_error(int err_fd, char *msg, size_t len, int *exit_code);
int jt_find_program(const char *name, const char *path_env, char *out, size_t len);

/*
 * watchdog.c: without PTRACE_O_EXITKILL, a process that is the sandbox's
 * parent and subreaper and kills all of it when jailtrace dies.
 */
/** JAILTRACE_WATCHDOG=1: run without PTRACE_O_EXITKILL, with the watchdog. */
int jt_watchdog_accepted(void);
/** Fork the watchdog, which forks the program (as jt_spawn does) and reports it stopped. */
int jt_watchdog_start(struct jt_run *run, const char *path, char *const argv[],
		      char *const envp[], const struct sock_fprog *prog, int out_w[2],
		      int *err_fd);
/** Tell it jailtrace is done: it kills what is left of the sandbox and exits. */
void jt_watchdog_release(struct jt_run *run);
/** The loop reaped @pid: 1 when it was the watchdog (an error unless released). */
int jt_watchdog_gone(struct jt_run *run, pid_t pid, int status);
/** Release it and wait for its end. */
void jt_watchdog_finish(struct jt_run *run);
/** CPU time of the processes the watchdog has reaped. */
uint64_t jt_watchdog_cpu_ms(const struct jt_run *run);

/* tty.c: a pty for the program when jailtrace's stdout is a terminal */
int jt_tty_wanted(void);
int jt_tty_open(struct jt_run *run);
int jt_tty_child(int slave);
int jt_tty_start(struct jt_run *run);
void jt_tty_finish(struct jt_run *run);
void jt_tty_restore(void);

/* ptys.c: the sandbox's own ptys, by their slaves' devpts entries */
int jt_pty_is_master(int fd);
int jt_pty_track(struct jt_run *run, int master);
/* The ptys of the run still there. */
size_t jt_pty_count(struct jt_run *run);
/* An O_PATH descriptor of the slave of the sandbox's pty @index, or -1. */
int jt_pty_slave(struct jt_run *run, unsigned index);
int jt_pty_ctty(struct jt_run *run, pid_t tid);
void jt_ptys_free(struct jt_run *run);

/* loop.c: the ptrace event loop, until nothing of the sandbox is left. */
int jt_loop(struct jt_run *run);
void jt_kill_all(struct jt_run *run);

/* result.c: the run's stop, a state the loop acts on (any part may set it).
 * The first reason stands; notes add what happened after it. */
void jt_stop_run(struct jt_run *run, enum jt_stop why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void jt_stop_note(struct jt_run *run, const char *what);
/* in the grace after a stop: a limit reached now ends it; 1 if so */
int jt_grace_cut(struct jt_run *run, const char *limit);


/* audit.c: full audit, one "call" record per syscall with its result. */
struct jt_log_call;
int jt_audit_entry(struct jt_run *run, struct jt_task *t, const struct jt_log_call *lc);
void jt_audit_exit(struct jt_run *run, struct jt_task *t);
void jt_audit_gone(struct jt_run *run, struct jt_task *t);

/* syscall.c: one seccomp stop: read, decide, log, apply. @data is the
 * filter's SECCOMP_RET_DATA, read only where registers give the call
 * (without PTRACE_GET_SYSCALL_INFO, which tells the ABI itself); else 0. */
int jt_syscall_stop(struct jt_run *run, struct jt_task *t, unsigned long data);

/*
 * The same, for a call a user notification carries (notify.c), in two
 * steps: perform it (fs.c), then, once the notification is known to be
 * still waiting, record it. The answer is left in @res (ret, or inject_fd
 * to hand over). perform: 0, JT_NOTIF_AGAIN (it would block: try it again
 * later, nothing recorded) or -errno (-EPROTO: not a call a notification
 * carries). record: 0, or JT_NOTIF_STACK: a denial that wants the thread's
 * stack, which only a stop gives; nothing is recorded and it must not be
 * answered (it is interrupted, and comes again).
 */
#define JT_NOTIF_AGAIN 1
#define JT_NOTIF_STACK 2
struct jt_syscall;
struct jt_fs_result;
int jt_notified_perform(struct jt_run *run, struct jt_task *t, const struct jt_syscall *sc,
			struct jt_request *rq, struct jt_fs_result *res);
int jt_notified_record(struct jt_run *run, struct jt_task *t, const struct jt_syscall *sc,
		       const struct jt_request *rq, struct jt_fs_result *res);

/* notify.c: the user-notification transport */
extern volatile sig_atomic_t jt_child_due;	/* signals.c: a SIGCHLD came, collect stops */
/* Can a run here take it (the kernel, and jailtrace under no filter of its own)? */
int jt_notify_possible(const struct jt_kernel *k);
/* ... and does this run (a view, no full audit)? */
int jt_notify_wanted(const struct jt_run *run);
int jt_notify_take(struct jt_run *run, struct jt_task *t);
void jt_notify_wait(struct jt_run *run);
int jt_notify_interrupted(struct jt_run *run, struct jt_task *t);
void jt_notify_gone(struct jt_run *run, struct jt_task *t);
/* Blocks SIGCHLD, SIGALRM and the signals that stop a run, read from
 * notif_sig_fd from here on (run.c calls it before any thread starts). */
int jt_notify_begin(struct jt_run *run);
/* Closes both and unblocks them: ptrace alone from here. */
void jt_notify_done(struct jt_run *run);

/* mem.c: reading the tracee's memory, every byte of it hostile. */
ssize_t jt_mem_read(const struct jt_run *run, pid_t tid, uint64_t addr, void *buf, size_t len);
size_t jt_mem_strlen(const struct jt_run *run, pid_t tid, uint64_t addr, size_t from, size_t max);
ssize_t jt_mem_string(const struct jt_run *run, pid_t tid, uint64_t addr, char *buf,
		      size_t max, int *cut);

int jt_mem_write(const struct jt_run *run, pid_t tid, uint64_t addr, const void *buf, size_t len);
/* A number from /proc/TID/status ("Tgid:", "Umask:"), or @missing. */
long jt_proc_status(pid_t tid, const char *key, int base, long missing);
/* /proc/TID/stat read into @buf of @len, from just after the command name
 * (" S ppid pgrp session tty_nr ..."); NULL, errno set, when unreadable. */
char *jt_proc_stat(pid_t tid, char *buf, size_t len);

/* stack.c: stacks for the log, at denials, limits and fatal signals. */
struct jt_stack;
/** The stack of @tid (in a ptrace stop), or NULL when none is wanted. */
const struct jt_stack *jt_stack_of(struct jt_run *run, pid_t tid);
/** Do denials take stacks in this run (a log, and no --no-backtrace)? */
int jt_stacks_on(struct jt_run *run);
/** The limit record, with the stack of @stopped (0: interrupt a running thread). */
/** A record the log refused (-errno) at @stopped's stop: the log limit, or an error; the run ends. */
void jt_log_failed(struct jt_run *run, int err, pid_t stopped);
/** The log went over its bound: the run ends (@stopped: a thread at its stop, or 0). */
void jt_log_limit_check(struct jt_run *run, pid_t stopped);
void jt_limit_event(struct jt_run *run, const char *limit, uint64_t value, uint64_t observed,
		    pid_t stopped);
/** At a signal-delivery stop: keep the stack when @sig is about to kill the thread. */
void jt_stack_signal(struct jt_run *run, struct jt_task *t, int sig);
/** The exit record, with the stack kept when a fatal signal killed the thread. */
void jt_stack_exit(struct jt_run *run, pid_t tgid, pid_t tid, int status);
void jt_stacks_free(struct jt_run *run);

/* mapexec.c: does mmap/mprotect with PROT_EXEC reach a file the program wrote? */
int jt_map_exec_written(struct jt_run *run, struct jt_task *t, const struct jt_request *rq);

/* limits.c: the periodic check of time, CPU and memory. */
void jt_limits_tick(struct jt_run *run);
uint64_t jt_now_us(void);

/* relay.c: stdout and stderr through pipes, counted and capped. */
int jt_relay_start(struct jt_run *run);
void jt_relay_join(struct jt_run *run);
extern volatile sig_atomic_t jt_output_exceeded;
/* Count @n more bytes of the program's output in *@total against @cap (0:
 * none), flagging jt_output_exceeded past it. @return how many may go out. */
size_t jt_output_room(uint64_t *total, uint64_t cap, size_t n);
#define JT_GRACE_MS_DEFAULT 5000	/* as `docker stop`; `timeout -k` asks for one */
#define JT_TICK_MS 50	/* the clock of limits and CPU placement */
extern volatile sig_atomic_t jt_tick_due;
extern volatile sig_atomic_t jt_got_signal;
extern volatile sig_atomic_t jt_signal_count;	/* how many stop signals came */
/* signals.c: what the handler of @sig does, for a signal read from a signalfd */
void jt_signal_came(int sig);
/* The handlers (without SA_RESTART: a blocked waitpid returns to the loop);
 * @notif: SIGCHLD's too, under notifications. */
void jt_signals_install(int notif);

/* identity.c: names without NSS (a static binary has none). */
void jt_user_name(uid_t uid, char *buf, size_t len);
#define JT_SANDBOX_UID_BASE 2000000000u
#define JT_SANDBOX_UID_RANGE 100000000u
/* root's program without --user: the user "sandbox", past every --user NAME's id */
#define JT_SANDBOX_UID_DEFAULT (JT_SANDBOX_UID_BASE + JT_SANDBOX_UID_RANGE)
int jt_user_ids(const char *name, uid_t *uid, gid_t *gid);

/* doctor.c: `jailtrace doctor`. @return the command's exit status. */
int jt_doctor(int as_json);

/* result.c */
void jt_result_fill(struct jt_run *run, struct jt_result *res);
int jt_result_json(const struct jt_result *res, char *buf, size_t len, const char *type,
		   uint64_t t_us);

/*
 * May the program add seccomp filters of its own? Not when the ABI of a call
 * is read from the SECCOMP_RET_TRACE data of the tracer's filter (no
 * PTRACE_GET_SYSCALL_INFO): when two filters return TRACE the kernel reports
 * the newest one's data, which a filter of the program's could set to any
 * ABI for any call (docs/design.md, "The program's own seccomp filters").
 */
static inline int jt_own_filters_refused(const struct jt_kernel *k)
{
	return jt_kernel_has(k, JT_FEAT_SECCOMP) && !jt_kernel_has(k, JT_FEAT_SYSCALL_INFO);
}

#endif
