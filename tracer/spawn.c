/*
 * Starting the program: the child side between fork and exec. Everything
 * here runs in the new process before any untrusted code, and fails closed:
 * if a step does not work, the program is not started.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include "tracer/internal.h"

/* What the child reports through the error pipe when a step fails. */
struct spawn_error {
	int step;
	int err;
};

enum { STEP_SETUP, STEP_FDS, STEP_RLIMIT, STEP_CAPS, STEP_NNP, STEP_LANDLOCK, STEP_SECCOMP, STEP_EXEC };

static const char *const step_names[] = {
	"set up the process", "close inherited descriptors", "set resource limits",
	"drop capabilities", "set no_new_privs", "enter a Landlock domain",
	"install the seccomp filter", "execute",
};

static void __attribute__((noreturn)) die(int errfd, int step, int err)
{
	struct spawn_error e = { step, err };

	if (write(errfd, &e, sizeof(e)) < 0) {
		/* nothing more to do: the parent sees the exit */
	}
	_exit(step == STEP_EXEC ? (err == ENOENT ? 127 : 126) : 125);
}

/* Close every descriptor above 2 except @keep[0..1] (ascending, -1: none), without allocating. */
static int close_fds(const int keep[2], int use_close_range)
{
	char buf[4096];
	int dir;
	long n;

#ifdef SYS_close_range
	if (use_close_range) {
		unsigned from = 3;
		int ok = 1;

		for (int i = 0; i < 2 && ok; i++) {
			if (keep[i] < 0)
				continue;
			if ((unsigned)keep[i] > from)
				ok = syscall(SYS_close_range, from, keep[i] - 1, 0) == 0;
			from = (unsigned)keep[i] + 1;
		}
		if (ok && syscall(SYS_close_range, from, ~0U, 0) == 0)
			return 0;
	}
#endif
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct { unsigned long long ino; long long off; unsigned short reclen;
				 unsigned char type; char name[]; } *d = (void *)(buf + off);
			int fd = atoi(d->name);

			if (fd > 2 && fd != keep[0] && fd != keep[1] && fd != dir)
				close(fd);
			off += d->reclen;
		}
	}
	close(dir);
	return n < 0 ? -errno : 0;
}

static int set_limit(int resource, uint64_t value)
{
	struct rlimit rl;

	if (value == 0)
		return 0;
	if (getrlimit(resource, &rl) < 0)
		return -errno;
	/* never raise what the caller was already held to */
	if (rl.rlim_max == RLIM_INFINITY || value < rl.rlim_max)
		rl.rlim_max = value;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(resource, &rl) < 0 ? -errno : 0;
}

/*
 * Signals queued and POSIX timers held are counted per uid, for every
 * process of that uid, against the limit of the process that takes one
 * (RLIMIT_SIGPENDING): a sandbox that took the user's whole count left the
 * host's processes of that uid no timer_create and no queued real-time
 * signal (pthread_cancel, a threaded setuid). A quarter of the host's limit,
 * at most SIGPENDING_MAX, as the inotify and epoll caps are.
 */
#define SIGPENDING_MAX 1024

static uint64_t sigpending_cap(void)
{
	struct rlimit rl;
	uint64_t cap = SIGPENDING_MAX;

	if (getrlimit(RLIMIT_SIGPENDING, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max / 4 < cap)
		cap = rl.rlim_max / 4 ? rl.rlim_max / 4 : 1;
	return cap;
}

static int set_limits(const struct jt_run *run)
{
	uint64_t cpu = run->limit[JT_LIMIT_CPU_MS];
	struct rlimit core = { 0, 0 };
	int r = 0;

	/* the tracer counts the tree's CPU; this only stops one process running
	 * away between two checks, a second after the tree's limit */
	if (cpu)
		r = set_limit(RLIMIT_CPU, (cpu + 999) / 1000 + 1);
	if (r == 0)
		r = set_limit(RLIMIT_AS, run->limit[JT_LIMIT_VMEM]);
	if (r == 0)
		r = set_limit(RLIMIT_FSIZE, run->limit[JT_LIMIT_FSIZE]);
	if (r == 0)
		r = set_limit(RLIMIT_NOFILE, run->limit[JT_LIMIT_NOFILE]);
	if (r == 0 && setrlimit(RLIMIT_CORE, &core) < 0)
		r = -errno;
	if (r == 0)
		r = set_limit(RLIMIT_SIGPENDING, sigpending_cap());
	return r;
}

/*
 * No capability, ever: the bounding set is emptied and the securebits make
 * exec grant none back, while the capabilities to do so and to take the
 * program's user's ids (switch_ids) are still there; clear_caps then drops
 * the rest. With the securebits a uid change no longer clears them itself.
 */
static int drop_bounding(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	if (!(d[0].permitted | d[1].permitted | d[0].effective | d[1].effective))
		return 0;
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		  SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0) < 0)
		return -errno;
	/* capabilities are numbered without gaps: EINVAL is past the last one */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno != EINVAL)
				return -errno;
			break;
		}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}

static int clear_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

/*
 * A Landlock domain (5.13+) that forbids only making block devices. What it
 * brings is the domain itself: a process in it has no ptrace-level access
 * to any process outside (/proc/PID/mem, /proc/PID/environ, ...), which
 * otherwise a non-root program has to every process of its user.
 */
static int landlock_domain(void)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_BLOCK };
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* chdir to the directory that holds @path (a fresh jail not made yet). */
static int chdir_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	return chdir(dir);
}

/*
 * The child's user-notification listener (notify.c), at this address in the
 * child as in the tracer it was forked from: the tracer reads it out of the
 * child's memory at its first stop and takes the descriptor with
 * pidfd_getfd before the exec closes it (close-on-exec).
 */
volatile int jt_spawn_listener[2] = { -1, 0 };	/* its number, and 1 if its waits are killable */

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static int load_filter(const struct jt_run *run, const struct sock_fprog *prog)
{
	long fd;

	if (run->notif_want) {
		/* 5.19+: once the tracer has the call, only a fatal signal ends
		 * the wait (notify.c); before, any signal does */
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, prog);
		jt_spawn_listener[1] = fd >= 0;
		if (fd < 0 && errno == EINVAL)
			fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
		if (fd < 0)
			return -errno;
		jt_spawn_listener[0] = (int)fd;
		return 0;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) == 0)
		return 0;
	/* before 3.17 there is only the prctl */
	if (errno == ENOSYS && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) == 0)
		return 0;
	return -errno;
}

void jt_spawn_child(const struct jt_run *run, const char *path, char *const argv[],
		    char *const envp[], const struct sock_fprog *prog, int out_w[2], int errfd)
{
	int keep[2] = { errfd, -1 };
	sigset_t all;
	int r;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die(errfd, STEP_SETUP, errno);
	/* with a pty (tty.c) a session of its own, which its parent does not
	 * make a group leader first; else a group of its own */
	if (!run->use_pty)
		setpgid(0, 0);
	else if ((r = jt_tty_child(out_w[0])) < 0)
		die(errfd, STEP_SETUP, -r);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (!run->use_pty && fcntl(0, F_GETFD) < 0) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd > 0) {
			dup2(fd, 0);
			close(fd);
		}
	}
	if (!run->use_pty && (dup2(out_w[0], 1) < 0 || dup2(out_w[1], 2) < 0))
		die(errfd, STEP_SETUP, errno);
	if (run->use_view) {
		/* the handover channel, at its fixed number in every process of the sandbox */
		if (dup2(run->chan[1], run->chan_fd) < 0)
			die(errfd, STEP_SETUP, errno);
		keep[1] = run->chan_fd;
		/* the tracer keeps the program's working directory; the kernel's is
		 * only where a call the tracer performs never looks (a fresh jail's
		 * work/ is made when first used) */
		if (run->jail_lazy ? chdir_parent(run->jail) < 0 :
		    chdir(run->jail) < 0 || (!run->jail_ephemeral && chdir("work") < 0))
			die(errfd, STEP_SETUP, errno);
	}
	if ((r = close_fds(keep, jt_kernel_has(&run->kernel, JT_FEAT_CLOSE_RANGE))) < 0)
		die(errfd, STEP_FDS, -r);
	if ((r = set_limits(run)) < 0)
		die(errfd, STEP_RLIMIT, -r);

	/* seizable by a tracer of this uid without CAP_SYS_PTRACE, though
	 * jailtrace made itself non-dumpable early (--log-fd: cli.c); what it
	 * held open is closed by now but 0-2, the handover and errfd */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		die(errfd, STEP_SETUP, errno);
	/* wait here until the tracer has seized us */
	raise(SIGSTOP);

	if (getppid() != run->spawn_parent)
		die(errfd, STEP_SETUP, ESRCH);	/* jailtrace (or the watchdog) died before the seize */
	if ((r = drop_bounding()) < 0)
		die(errfd, STEP_CAPS, -r);
	if (run->switch_user &&
	    (setgroups(0, NULL) < 0 || setresgid(run->run_gid, run->run_gid, run->run_gid) < 0 ||
	     setresuid(run->run_uid, run->run_uid, run->run_uid) < 0 ||
	     /* a uid change made it non-dumpable: its /proc files would be root's,
	      * out of reach of the tracer working as this user */
	     prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0))
		die(errfd, STEP_CAPS, errno);
	if ((r = clear_caps()) < 0)
		die(errfd, STEP_CAPS, -r);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(errfd, STEP_NNP, errno);
	if (jt_kernel_has(&run->kernel, JT_FEAT_LANDLOCK) && (r = landlock_domain()) < 0)
		die(errfd, STEP_LANDLOCK, -r);
	/* without seccomp every call stops in the tracer (PTRACE_SYSCALL) */
	if (jt_kernel_has(&run->kernel, JT_FEAT_SECCOMP) && (r = load_filter(run, prog)) < 0)
		die(errfd, STEP_SECCOMP, -r);
	execve(path, argv, envp);
	die(errfd, STEP_EXEC, errno);
}

int jt_spawn(struct jt_run *run, const char *path, char *const argv[], char *const envp[],
	     const struct sock_fprog *prog, int out_w[2], pid_t *pid, int *err_fd)
{
	int ep[2];

	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		int e = errno;

		close(ep[0]);
		close(ep[1]);
		return -e;
	}
	if (*pid == 0) {
		close(ep[0]);
		jt_spawn_child(run, path, argv, envp, prog, out_w, ep[1]);
	}
	close(ep[1]);
	*err_fd = ep[0];
	/* jailtrace's own memory and environment stay out of reach of the
	 * sandbox, which runs as the same user when jailtrace is not root */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

/* Read the child's report of a failed step, if any: "cannot STEP: why". */
int jt_spawn_error(int err_fd, char *msg, size_t len, int *exit_code)
{
	struct spawn_error e;
	ssize_t n;

	do
		n = read(err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(e))
		return 0;
	if (e.step < 0 || e.step > STEP_EXEC)
		e.step = STEP_SETUP;
	snprintf(msg, len, "cannot %s: %s", step_names[e.step], strerror(e.err));
	*exit_code = e.step == STEP_EXEC ? (e.err == ENOENT ? 127 : 126) : 125;
	return 1;
}

/* Look @name up in @path_env the way execvp does. @return 0, -ENOENT or -EACCES. */
int jt_find_program(const char *name, const char *path_env, char *out, size_t len)
{
	const char *p = path_env;
	int found_unexecutable = 0;
	struct stat st;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, len, "%s", name) >= len)
			return -ENAMETOOLONG;
		if (stat(out, &st) < 0)
			return -errno;
		if (S_ISDIR(st.st_mode))
			return -EISDIR;	/* what a shell says: "Is a directory" (126) */
		if (!S_ISREG(st.st_mode) || access(out, X_OK) < 0)
			return -EACCES;
		return 0;
	}
	while (*p) {
		const char *end = strchrnul(p, ':');
		int n = (int)(end - p);

		if ((size_t)snprintf(out, len, "%.*s/%s", n, n ? p : ".", name) < len &&
		    stat(out, &st) == 0) {
			if (S_ISREG(st.st_mode) && access(out, X_OK) == 0)
				return 0;
			found_unexecutable = 1;
		}
		p = *end ? end + 1 : end;
	}
	return found_unexecutable ? -EACCES : -ENOENT;
}
