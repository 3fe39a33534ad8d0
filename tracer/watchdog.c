/*
 * The watchdog: on a kernel without PTRACE_O_EXITKILL (before 3.8), or
 * told to act as one (--disable exitkill), what makes sure nothing of the
 * sandbox outlives jailtrace. Nothing here runs when the kernel has it.
 * It is used only when asked for (JAILTRACE_WATCHDOG=1): it cannot stop a
 * call that was waiting at a seccomp stop when jailtrace died from running
 * undecided (the kernel resumes it as allowed), so without the option such
 * a host is refused.
 *
 * jailtrace forks the watchdog, and the watchdog forks the program: it is
 * the parent of the sandbox's first process and a child subreaper, so every
 * process of the sandbox is one of its descendants for as long as it lives
 * (an orphan goes to the nearest subreaper above it, never past it). The
 * kernel keeps that list; no table has to be kept in step with it.
 *
 * The watchdog blocks reading a pipe whose write end only jailtrace holds.
 * A byte (jailtrace is done) or EOF (jailtrace died) ends the wait; then it
 * kills every descendant it finds in /proc until a whole scan finds none
 * alive (docs/design.md, "When jailtrace dies"), and exits. jailtrace is its
 * parent and sees it die: if that happens before jailtrace said it was
 * done, the run ends with an error (fail closed).
 *
 * The watchdog is forked from a process that may have threads (the proxy):
 * it uses system calls only, no allocation and no stdio.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "tracer/internal.h"

/* What the watchdog tells jailtrace while the run lasts (it is the only writer). */
struct jt_wd_shared {
	uint64_t children_cpu_ms;	/* CPU of the processes it has reaped */
};

/* Its report once the program's first process has stopped itself (or ended). */
struct wd_report {
	pid_t child;
	int status;
};

/* ------------------------------------------------------------ the watchdog */

static volatile sig_atomic_t wd_chld;

static void on_chld(int sig)
{
	(void)sig;
	wd_chld = 1;
}

static uint64_t wd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wd_nap_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

/* "/proc/" + pid + tail, without snprintf */
static void proc_path(char *buf, pid_t pid, const char *tail)
{
	char num[16];
	int n = 0;

	do
		num[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	memcpy(buf, "/proc/", 6);
	buf += 6;
	while (n > 0)
		*buf++ = num[--n];
	while ((*buf++ = *tail++))
		;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

struct wd_proc {
	pid_t pid, ppid;
	unsigned long long start;	/* field 22: with the pid, one process */
	long threads;
	char state;
	signed char mark;		/* 0 unknown, 1 a descendant, 2 not, 3 cannot tell */
};

/* One /proc/PID/stat: state, parent, threads, start time. */
static int wd_stat(pid_t pid, struct wd_proc *p)
{
	char path[40], buf[1024], *s;
	unsigned long long f[20];

	proc_path(path, pid, "/stat");
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	/* the command name may hold anything, even ") ": skip to the last ')' */
	s = strrchr(buf, ')');
	if (!s || !s[1] || !s[2])
		return -1;
	s += 2;
	p->pid = pid;
	p->state = *s++;
	/* f[i] is field i + 4 (ppid is 4, num_threads 20, starttime 22) */
	for (int i = 0; i < 19; i++) {
		unsigned long long v = 0;
		int neg = 0;

		while (*s == ' ')
			s++;
		if (*s == '-') {
			neg = 1;
			s++;
		}
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			v = v * 10 + (unsigned)(*s++ - '0');
		f[i] = neg ? 0 : v;
	}
	p->ppid = (pid_t)f[0];
	p->threads = (long)f[16];
	p->start = f[18];
	p->mark = 0;
	return 0;
}

/* The most recently allocated pid (/proc/loadavg): it goes down only when pids wrap. */
static long last_pid(void)
{
	char buf[128], *s;
	long v = 0;

	if (read_small("/proc/loadavg", buf, sizeof(buf)) <= 0)
		return -1;
	s = strrchr(buf, ' ');
	if (!s)
		return -1;
	for (s++; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v;
}

struct wd_scan {
	struct wd_proc *p;
	size_t n, cap;
	int complete;		/* every process of /proc is in p */
	int sorted;		/* p is in ascending pid order */
};

/* Every process /proc shows (readdir lists a process alive all through it). */
static void scan(struct wd_scan *sc)
{
	char buf[8192];
	pid_t prev = 0;
	long n;
	int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	sc->n = 0;
	sc->complete = dir >= 0;
	sc->sorted = 1;
	if (dir < 0)
		return;
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct { unsigned long long ino; long long off; unsigned short reclen;
				 unsigned char type; char name[]; } *d = (void *)(buf + off);
			const char *c = d->name;
			long pid = 0;

			off += d->reclen;
			if (*c < '1' || *c > '9')
				continue;
			for (; *c >= '0' && *c <= '9'; c++)
				pid = pid * 10 + (*c - '0');
			if (*c)
				continue;
			if (sc->n == sc->cap) {
				sc->complete = 0;
				continue;
			}
			if (wd_stat((pid_t)pid, &sc->p[sc->n]) < 0)
				continue;	/* gone meanwhile */
			if ((pid_t)pid <= prev)
				sc->sorted = 0;
			prev = (pid_t)pid;
			sc->n++;
		}
	}
	if (n < 0)
		sc->complete = 0;
	close(dir);
}

static long find(const struct wd_scan *sc, pid_t pid)
{
	if (sc->sorted) {
		size_t lo = 0, hi = sc->n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (sc->p[mid].pid == pid)
				return (long)mid;
			if (sc->p[mid].pid < pid)
				lo = mid + 1;
			else
				hi = mid;
		}
		return -1;
	}
	for (size_t i = 0; i < sc->n; i++)
		if (sc->p[i].pid == pid)
			return (long)i;
	return -1;
}

/*
 * Is scan entry @i a descendant of @self (1), not (2), or cannot this scan
 * tell (3: a parent on the way up left before the scan read it, so its
 * child now has another)? The answer holds for the whole path up.
 */
static int descends(struct wd_scan *sc, size_t i, pid_t self)
{
	long j = (long)i;
	int res = 3;

	for (size_t steps = 0; steps <= sc->n; steps++) {
		struct wd_proc *p = &sc->p[j];

		if (p->mark) {
			res = p->mark;
			break;
		}
		if (p->pid == self || p->ppid <= 1) {
			res = 2;
			break;
		}
		if (p->ppid == self) {
			res = 1;
			break;
		}
		if ((j = find(sc, p->ppid)) < 0)
			break;	/* its parent is not in this scan: next time */
	}
	if (j < 0)
		res = 3;
	j = (long)i;
	for (size_t steps = 0; steps <= sc->n && j >= 0 && !sc->p[j].mark; steps++) {
		sc->p[j].mark = (signed char)res;
		if (sc->p[j].ppid == self || sc->p[j].ppid <= 1)
			break;
		j = find(sc, sc->p[j].ppid);
	}
	return res;
}

/* A process still able to run: not a zombie, or a zombie leader with live threads. */
static int alive(const struct wd_proc *p)
{
	return (p->state != 'Z' && p->state != 'X') || p->threads > 1;
}

/*
 * Kill every descendant until one whole scan of /proc finds none alive.
 * A process that has been sent SIGKILL can create no other (fork checks
 * for a pending fatal signal under the lock that makes the child visible),
 * and a process that exits leaves its children to this one, the subreaper:
 * so a scan that meets no live descendant and no process whose parent it
 * could not find, during which pids did not wrap, proves there is none
 * (docs/design.md).
 */
static void sweep(struct wd_scan *sc, pid_t self, pid_t child, int child_reaped)
{
	uint64_t deadline = wd_now_ms() + 10000;

	for (;;) {
		long before = last_pid(), after;
		size_t live = 0, unsure = 0;

		/* the program's group at once, while its number cannot have been reused */
		if (!child_reaped)
			kill(-child, SIGKILL);
		scan(sc);
		after = last_pid();
		for (size_t i = 0; i < sc->n; i++) {
			struct wd_proc *p = &sc->p[i], now;
			int d = descends(sc, i, self);

			if (d == 3 && alive(p))
				unsure++;	/* reparented meanwhile: the next scan sees where */
			if (d != 1 || !alive(p))
				continue;
			/* the same process as in the scan (start time), not a reused pid */
			if (wd_stat(p->pid, &now) == 0 && now.start == p->start) {
				kill(p->pid, SIGKILL);
				live++;
			}
		}
		if (!live && !unsure && sc->complete && before >= 0 && after >= before)
			return;
		if (wd_now_ms() > deadline)
			return;
		if (live)
			wd_nap_us(1000);	/* let the killed ones die */
	}
}

static void publish_cpu(struct jt_wd_shared *sh)
{
	struct rusage ru;

	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		__atomic_store_n(&sh->children_cpu_ms,
				 (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
				 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000,
				 __ATOMIC_RELAXED);
}

static void reap(struct jt_wd_shared *sh, pid_t child, int *child_reaped)
{
	pid_t p;
	int st;

	wd_chld = 0;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == child)
			*child_reaped = 1;
	publish_cpu(sh);
}

/* Close every descriptor but @a and @b; 0, 1 and 2 become /dev/null. */
static void wd_close_fds(int a, int b)
{
	char buf[4096];
	int dir, null = open("/dev/null", O_RDWR | O_CLOEXEC);
	long n;

	for (int fd = 0; fd < 3 && null >= 0; fd++)
		if (fd != null)
			dup2(null, fd);
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	/* closing while reading the directory can skip entries: read it again
	 * until a pass closes nothing (bounded: valgrind keeps descriptors that
	 * cannot be closed) */
	for (int again = 1, pass = 0; again && pass < 8; pass++) {
		again = 0;
		lseek(dir, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct { unsigned long long ino; long long off; unsigned short reclen;
					 unsigned char type; char name[]; } *d = (void *)(buf + off);
				int fd = 0;

				off += d->reclen;
				if (d->name[0] < '0' || d->name[0] > '9')
					continue;
				for (const char *c = d->name; *c; c++)
					fd = fd * 10 + (*c - '0');
				if (fd > 2 && fd != a && fd != b && fd != dir && close(fd) == 0)
					again = 1;
			}
		}
	}
	close(dir);
}

static void wd_write_all(int fd, const void *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf = (const char *)buf + w;
		len -= (size_t)w;
	}
}

static void __attribute__((noreturn))
watchdog_main(struct jt_run *run, const char *path, char *const argv[], char *const envp[],
	      const struct sock_fprog *prog, int out_w[2], int done_r, int rep_w, int ep[2],
	      struct jt_wd_shared *sh)
{
	static const int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGALRM, SIGUSR1,
				       SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU, SIGVTALRM, SIGPROF,
				       SIGXCPU, SIGXFSZ, SIGWINCH, SIGIO, SIGURG };
	struct wd_report rep = { -1, 0 };
	struct wd_scan sc = { 0 };
	struct sigaction sa = { 0 };
	pid_t self = getpid(), child;
	int child_reaped = 0;
	sigset_t none;
	char c;

	/* a group of its own: a signal to jailtrace's group (a shell's kill %1,
	 * timeout(1)) does not reach it; only its own pid does */
	setpgid(0, 0);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		signal(ignored[i], SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		wd_write_all(rep_w, &rep, sizeof(rep));
		_exit(125);
	}
	run->spawn_parent = self;
	child = fork();
	if (child == 0) {
		close(done_r);
		close(rep_w);
		close(ep[0]);
		jt_spawn_child(run, path, argv, envp, prog, out_w, ep[1]);
	}
	if (child < 0) {
		rep.status = errno;
		wd_write_all(rep_w, &rep, sizeof(rep));
		_exit(125);
	}
	if (!run->use_pty)
		setpgid(child, child);	/* with a pty it makes a session of its own */
	/* its memory stays out of the sandbox's reach, like jailtrace's own */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	wd_close_fds(done_r, rep_w);
	sc.cap = 65536;
	sc.p = mmap(NULL, sc.cap * sizeof(*sc.p), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sc.p == MAP_FAILED) {
		kill(child, SIGKILL);
		_exit(125);
	}

	/* the program stops itself once it is ready to be seized: tell jailtrace */
	while (waitpid(child, &rep.status, WUNTRACED) < 0 && errno == EINTR)
		;
	rep.child = child;
	if (!WIFSTOPPED(rep.status))
		child_reaped = 1;
	wd_write_all(rep_w, &rep, sizeof(rep));
	close(rep_w);

	sa.sa_handler = on_chld;	/* no SA_RESTART: read() returns to reap */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	reap(sh, child, &child_reaped);
	for (;;) {
		ssize_t n = read(done_r, &c, 1);

		if (n < 0 && errno == EINTR) {
			if (wd_chld)
				reap(sh, child, &child_reaped);
			continue;
		}
		break;	/* a byte: jailtrace is done; EOF: jailtrace died */
	}
	sweep(&sc, self, child, child_reaped);
	reap(sh, child, &child_reaped);
	_exit(0);
}

/* ------------------------------------------------------------ jailtrace's side */

int jt_watchdog_accepted(void)
{
	const char *v = getenv("JAILTRACE_WATCHDOG");

	return v && strcmp(v, "1") == 0;
}

int jt_watchdog_start(struct jt_run *run, const char *path, char *const argv[],
		      char *const envp[], const struct sock_fprog *prog, int out_w[2],
		      int *err_fd)
{
	int done[2] = { -1, -1 }, rep[2] = { -1, -1 }, ep[2] = { -1, -1 }, r = 0;
	struct jt_wd_shared *sh;
	struct wd_report got;
	ssize_t n;
	pid_t pid;

	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	if (pipe2(done, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto fail;
	}
	if (pid == 0)
		watchdog_main(run, path, argv, envp, prog, out_w, done[0], rep[1], ep, sh);
	close(done[0]);
	close(rep[1]);
	close(ep[1]);
	run->watchdog = pid;
	run->wd_fd = done[1];
	run->wd_shared = sh;
	*err_fd = ep[0];
	do
		n = read(rep[0], &got, sizeof(got));
	while (n < 0 && errno == EINTR);
	close(rep[0]);
	/* jailtrace's own memory stays out of reach of the sandbox, as in jt_spawn */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (n != (ssize_t)sizeof(got) || got.child <= 0) {
		jt_watchdog_finish(run);
		return n == (ssize_t)sizeof(got) && got.status > 0 ? -got.status : -ECHILD;
	}
	run->child = got.child;
	run->wd_child_status = got.status;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (done[i] >= 0)
			close(done[i]);
		if (rep[i] >= 0)
			close(rep[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	munmap(sh, 4096);
	return r;
}

void jt_watchdog_release(struct jt_run *run)
{
	if (run->wd_fd < 0)
		return;
	if (write(run->wd_fd, "D", 1) < 0) {
		/* it is gone already: its exit is what the loop sees */
	}
	close(run->wd_fd);
	run->wd_fd = -1;
	run->wd_told = 1;
}

int jt_watchdog_gone(struct jt_run *run, pid_t pid, int status)
{
	if (!run->watchdog || pid != run->watchdog)
		return 0;
	run->watchdog = 0;
	if (!run->wd_told)
		jt_stop_run(run, JT_STOP_ERROR, "the watchdog process %d, which kills the sandbox "
			    "if jailtrace dies on this kernel without PTRACE_O_EXITKILL, %s %d: "
			    "the run is ended", pid, WIFSIGNALED(status) ? "was killed by signal" :
			    "exited with status", WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
	jt_watchdog_release(run);
	return 1;
}

void jt_watchdog_finish(struct jt_run *run)
{
	int st;

	jt_watchdog_release(run);
	while (run->watchdog && waitpid(run->watchdog, &st, __WALL) < 0 && errno == EINTR)
		;
	run->watchdog = 0;
	if (run->wd_shared) {
		munmap(run->wd_shared, 4096);
		run->wd_shared = NULL;
	}
}

uint64_t jt_watchdog_cpu_ms(const struct jt_run *run)
{
	return run->wd_shared ? __atomic_load_n(&run->wd_shared->children_cpu_ms,
						 __ATOMIC_RELAXED) : 0;
}
