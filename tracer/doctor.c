/*
 * jailtrace doctor: what this host offers, what jailtrace will use for each
 * mechanism, what it costs, and whether a program can be contained here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <linux/ptrace.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "reports/backtrace.h"
#include "reports/json.h"
#include "tracer/proxy.h"
#include "tracer/internal.h"

struct row {
	unsigned feat;
	int used;		/* a run uses it when the host has it (else it is only probed) */
	const char *with;	/* what jailtrace does when the feature is there */
	const char *without;	/* ... and when it is not, with the cost */
};

static const struct row rows[] = {
	{ JT_FEAT_SECCOMP, 1, "seccomp filter: only calls that need a decision stop",
	  "no seccomp filter: every call stops twice (PTRACE_SYSCALL; needs PTRACE_GET_SYSCALL_INFO): expect 10-50x on syscall-heavy programs" },
	{ JT_FEAT_EXITKILL, 1, "PTRACE_O_EXITKILL: the sandbox dies with jailtrace",
	  "no PTRACE_O_EXITKILL: refused, since a call waiting for a decision when jailtrace dies would run undecided; "
	  "JAILTRACE_WATCHDOG=1 runs anyway with a watchdog process, the sandbox's parent and subreaper, that kills all of it if jailtrace dies "
	  "(one more process per run and, at its end, one read of /proc/PID/stat per process of the host)" },
	{ JT_FEAT_SKIP_AT_SECCOMP, 1, "denied calls are answered at the seccomp stop: one stop each",
	  "denied calls are answered at the syscall-exit stop: two stops each" },
	{ JT_FEAT_SYSCALL_INFO, 1, "PTRACE_GET_SYSCALL_INFO: ABI and arguments in one call",
	  "registers read per architecture (about 1 us more per stop)" },
	{ JT_FEAT_VM_READV, 1, "process_vm_readv for tracee memory",
	  "/proc/PID/mem for tracee memory (an open per read, slower)" },
	{ JT_FEAT_CLOSE_RANGE, 1, "close_range closes inherited descriptors",
	  "inherited descriptors closed by walking /proc/self/fd" },
	{ JT_FEAT_OPENAT2, 1, "openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS: the directories before a path's last name in one call, where no link and no grant lies on the way (else the tracer's walk, one directory at a time)",
	  "no openat2: the tracer resolves every directory of a path in turn (an openat and an fstat each)" },
	{ JT_FEAT_PIDFD_GETFD, 1, "pidfd_getfd: network grants, unix sockets and inotify watches in the view are performed on the tracer's copy of the descriptor",
	  "no pidfd_getfd: the tracer fetches its copy of a socket or inotify descriptor over the handover descriptor, two more stops per such call (a connect, bind, inotify_add_watch); network grants without a file-system view are refused (exit 125)" },
	{ JT_FEAT_USER_NOTIF, 1, "seccomp user notification with ADDFD_FLAG_SEND: opens, stats, access checks and link reads under a view reach the tracer as notifications, a decided open about twice as fast as at a ptrace stop (not when jailtrace itself runs under a seccomp filter, nor with --audit-full)",
	  "no seccomp user notification with ADDFD_FLAG_SEND (5.14): every decided call arrives at a ptrace stop" },
	{ JT_FEAT_LANDLOCK, 1, "Landlock domain: no access to /proc/PID/mem or environ of processes outside",
	  "no Landlock: a non-root program can reach /proc/PID/mem and environ of its user's other processes until the file-system view hides them" },
};

/* Features the run takes from the kernel version (start-up cost matters),
 * which doctor probes by calling them. */
static const unsigned probed_here = JT_FEAT_SYSCALL_INFO | JT_FEAT_USER_NOTIF;

static const char *yes_no(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "?";
}

/* Can this process trace a child? Try it: the answer, not a guess. On the
 * seized child, PTRACE_GET_SYSCALL_INFO tells whether the kernel has it
 * (*info: 1 yes, 0 no (EIO: an unknown request), -1 not known). */
static int try_ptrace(char *why, size_t len, int *info)
{
	pid_t pid = fork();
	int st, ok = 0;

	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st)) {
		*info = -1;
		if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
			struct ptrace_syscall_info si;

			ok = 1;
			snprintf(why, len, "a child can be traced");
			/* the seized child is in a group-stop; an interrupt makes it a ptrace-stop */
			if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0 &&
			    waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st)) {
				errno = 0;
				if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si) > 0)
					*info = 1;
				else if (errno == EIO || errno == EINVAL)
					*info = 0;
			}
		} else {
			snprintf(why, len, "PTRACE_SEIZE of a child failed: %s", strerror(errno));
		}
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, __WALL) > 0 || errno == EINTR)
		;
	return ok;
}

/*
 * Seccomp user notification with ADDFD (5.9): a child makes a listener
 * under an allow-all filter and asks it to add a descriptor to a request
 * that does not exist: ENOENT where ADDFD is known, EINVAL where it is not
 * (5.0-5.8), and no listener at all before 5.0. 1 yes, 0 no, -1 not known.
 */
static int try_user_notif(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { 1, &allow };
		/* SEND (5.14) is checked before the id: ENOENT then, EINVAL before */
		struct seccomp_notif_addfd addfd = { .id = 0, .flags = 1u << 1, .srcfd = 0 };
		long fd;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(2);
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (fd < 0)
			_exit(errno == EINVAL ? 1 : 2);
		if (ioctl((int)fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) == 0 || errno == ENOENT)
			_exit(0);
		_exit(errno == EINVAL || errno == ENOTTY ? 1 : 2);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 2)
		return -1;
	return WEXITSTATUS(st) == 0;
}

static int tracer_pid(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int pid = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/* Present, not disabled, and a run takes it to be there. */
static int usable(const struct jt_kernel *k, unsigned actual, unsigned f)
{
	if (f == JT_FEAT_USER_NOTIF)
		return (actual & f) && jt_notify_possible(k);
	return (actual & f) && jt_kernel_has(k, f);
}

/* How the kernel_has claim was found: "call" (the call itself was tried,
 * here or by every run), "version" (the kernel release says so). */
static const char *probe_kind(unsigned f, int probed)
{
	if (f & probed_here)
		return probed >= 0 ? "call" : "version";
	return f & (JT_FEAT_EXITKILL | JT_FEAT_SKIP_AT_SECCOMP) ? "version" : "call";
}

/* A run guesses from the version a feature the call answered otherwise. */
static int guess_wrong(const struct jt_kernel *k, unsigned actual, unsigned f, int probed)
{
	return (f & probed_here) && probed >= 0 && ((k->have ^ actual) & f);
}

static const char *guess_note(const struct jt_kernel *k, unsigned f, char *buf, size_t len)
{
	if ((k->have & f) && f == JT_FEAT_SYSCALL_INFO)
		snprintf(buf, len, "Linux %s should have it but the call fails: a run would rely on it "
			 "(JAILTRACE_DISABLE=%s makes it take the fallback)", k->release, jt_feature_name(f));
	else if (k->have & f)
		snprintf(buf, len, "Linux %s should have it but the call fails (a run does not use it)",
			 k->release);
	else
		snprintf(buf, len, "the call works although Linux %s is older than the version that "
			 "brought it: a run does not use it", k->release);
	return buf;
}

#ifdef JT_STATIC
#define BUILD_KIND "static"
#define BUILD_NOTE "no shared library: users from /etc/passwd, host names from /etc/hosts and DNS"
#else
#define BUILD_KIND "dynamic"
#define BUILD_NOTE "linked against this host's glibc"
#endif

int jt_doctor(int as_json)
{
	struct jt_kernel k;
	struct utsname u;
	const char *disabled = getenv("JAILTRACE_DISABLE");
	char why[256], why2[256], buf[8192], proxy_why[256];
	int traceable, can, r, info = -1, notif, probe[JT_FEAT_COUNT], i386_programs, int80;
	int stacks, proxy;
	unsigned actual;

	r = jt_kernel_probe(&k);
	if (r == 0 && disabled && *disabled)
		r = jt_kernel_disable(&k, disabled);
	if (r < 0) {
		fprintf(stderr, "jailtrace: cannot probe the kernel%s\n",
			disabled ? " (is JAILTRACE_DISABLE right?)" : "");
		return 125;
	}
	uname(&u);
	traceable = try_ptrace(why, sizeof(why), &info);
	notif = try_user_notif();
	/* what the kernel really has: the run's guesses replaced by the calls' answers */
	actual = k.have;
	for (int i = 0; i < JT_FEAT_COUNT; i++) {
		unsigned f = 1u << i;
		int v = f == JT_FEAT_SYSCALL_INFO ? info : f == JT_FEAT_USER_NOTIF ? notif : -1;

		probe[i] = v;
		if (v == 1)
			actual |= f;
		else if (v == 0)
			actual &= ~f;
	}
	jt_probe_i386(&i386_programs, &int80);
	/* what the build itself offers: stacks (libunwind), proxy rules (libcurl) */
	stacks = jt_bt_available() == 0;
	proxy = jt_proxy_available(proxy_why, sizeof(proxy_why)) == 0;
	if (k.pretend_no_i386)
		i386_programs = int80 = 0;
	can = traceable && (jt_kernel_has(&k, JT_FEAT_SECCOMP) || jt_kernel_has(&k, JT_FEAT_SYSCALL_INFO)) &&
	      (jt_kernel_has(&k, JT_FEAT_EXITKILL) || jt_watchdog_accepted()) &&
	      k.yama_ptrace_scope < 3;

	if (as_json) {
		struct jt_json j;

		jt_json_init(&j, buf, sizeof(buf));
		jt_json_object(&j);
		jt_json_key(&j, "kernel");
		jt_json_str(&j, k.release);
		jt_json_key(&j, "machine");
		jt_json_str(&j, u.machine);
		jt_json_key(&j, "abi");
		jt_json_str(&j, jt_abi_native()->name);
		jt_json_key(&j, "features");
		jt_json_object(&j);
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			unsigned f = rows[i].feat;
			int b = __builtin_ctz(f);

			jt_json_key(&j, jt_feature_name(f));
			jt_json_object(&j);
			jt_json_key(&j, "kernel_has");
			jt_json_bool(&j, (actual & f) != 0);
			jt_json_key(&j, "used");
			jt_json_bool(&j, rows[i].used && usable(&k, actual, f));
			jt_json_key(&j, "probe");
			jt_json_str(&j, probe_kind(f, probe[b]));
			jt_json_key(&j, "effect");
			jt_json_str(&j, usable(&k, actual, f) ? rows[i].with : rows[i].without);
			if (guess_wrong(&k, actual, f, probe[b])) {
				jt_json_key(&j, "note");
				jt_json_str(&j, guess_note(&k, f, why2, sizeof(why2)));
			}
			jt_json_end(&j);
		}
		jt_json_end(&j);
		jt_json_key(&j, "yama_ptrace_scope");
		jt_json_int(&j, k.yama_ptrace_scope);
		jt_json_key(&j, "tracer_pid");
		jt_json_int(&j, tracer_pid());
		jt_json_key(&j, "ptrace");
		jt_json_bool(&j, traceable);
		jt_json_key(&j, "ptrace_detail");
		jt_json_str(&j, why);
		if (i386_programs != -ENOSYS) {
			jt_json_key(&j, "i386_programs");
			i386_programs < 0 ? jt_json_null(&j) : jt_json_bool(&j, i386_programs);
			jt_json_key(&j, "int80");
			int80 < 0 ? jt_json_null(&j) : jt_json_bool(&j, int80);
		}
		jt_json_key(&j, "build");
		jt_json_str(&j, BUILD_KIND);
		jt_json_key(&j, "stacks");
		jt_json_bool(&j, stacks);
		jt_json_key(&j, "proxy");
		jt_json_bool(&j, proxy);
		if (!proxy) {
			jt_json_key(&j, "proxy_detail");
			jt_json_str(&j, proxy_why);
		}
		jt_json_key(&j, "can_contain");
		jt_json_bool(&j, can);
		jt_json_finish(&j);
		fwrite(buf, 1, j.len, stdout);
		return can ? 0 : 1;
	}

	printf("jailtrace %s on Linux %s (%s, native ABI %s)\n\n", JT_VERSION, k.release,
	       u.machine, jt_abi_native()->name);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned f = rows[i].feat;
		const char *state = usable(&k, actual, f) ? "yes" :
				    (actual & f) ? "off" : "no";

		printf("  %-16s %-4s %s\n", jt_feature_name(f), state,
		       usable(&k, actual, f) ? rows[i].with : rows[i].without);
		if (guess_wrong(&k, actual, f, probe[__builtin_ctz(f)]))
			printf("  %-16s      %s\n", "", guess_note(&k, f, why2, sizeof(why2)));
	}
	printf("\n  ptrace           %-4s %s", traceable ? "yes" : "no", why);
	if (k.yama_ptrace_scope >= 0)
		printf(" (yama ptrace_scope=%d)", k.yama_ptrace_scope);
	if (tracer_pid())
		printf("; jailtrace is itself traced by pid %d", tracer_pid());
	if (i386_programs != -ENOSYS) {
		printf("\n  i386 programs    %-4s %s", yes_no(i386_programs), i386_programs > 0 ?
		       "32-bit programs run; their calls go through the same policy (abi i386 in the log)" :
		       i386_programs == 0 ? "this kernel runs no 32-bit programs (natively: Exec format error)" :
		       "could not be tried");
		printf("\n  int 0x80         %-4s %s", yes_no(int80), int80 > 0 ?
		       "64-bit code can make i386 calls; they are decided as i386 calls" :
		       int80 == 0 ? "this kernel runs no i386 calls from 64-bit code (natively: SIGSEGV)" :
		       "could not be tried");
	}
	printf("\n\n  build            %-7s %s", BUILD_KIND, BUILD_NOTE);
	printf("\n  stacks           %-4s %s", yes_no(stacks), stacks ?
	       "denials, limits and fatal signals are logged with the program's stack" :
	       "libunwind cannot be loaded (Debian: libunwind8): records carry no stack");
	printf("\n  proxy            %-4s %s", yes_no(proxy), proxy ?
	       "proxy rules can be served (libcurl)" : proxy_why);
	/* the domain proxy is jailtrace's own code: every build has it */
	printf("\n  domain proxy     %-4s %s", "yes", "net domain rules are served (no library needed)");
	printf("\n\n%s\n", can ? "jailtrace can contain programs on this host."
			       : "jailtrace cannot contain programs on this host: `jailtrace run` will refuse.");
	if (k.disabled)
		printf("(\"off\": present but disabled by JAILTRACE_DISABLE)\n");
	if (k.pretend_no_i386)
		printf("(i386: answered \"no\" as JAILTRACE_DISABLE asks)\n");
	return can ? 0 : 1;
}
