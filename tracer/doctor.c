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
#include <sys/ptrace.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "reports/json.h"
#include "tracer/internal.h"

struct row {
	unsigned feat;
	const char *with;	/* what jailtrace does when the feature is there */
	const char *without;	/* ... and when it is not, with the cost */
};

static const struct row rows[] = {
	{ JT_FEAT_SECCOMP, "seccomp filter: only calls that need a decision stop",
	  "no seccomp filter: every call stops twice (PTRACE_SYSCALL; needs PTRACE_GET_SYSCALL_INFO): expect 10-50x on syscall-heavy programs" },
	{ JT_FEAT_EXITKILL, "PTRACE_O_EXITKILL: the sandbox dies with jailtrace",
	  "no PTRACE_O_EXITKILL: refused, since a call waiting for a decision when jailtrace dies would run undecided; "
	  "JAILTRACE_WATCHDOG=1 runs anyway with a watchdog process, the sandbox's parent and subreaper, that kills all of it if jailtrace dies "
	  "(one more process per run and, at its end, one read of /proc/PID/stat per process of the host)" },
	{ JT_FEAT_SKIP_AT_SECCOMP, "denied calls are answered at the seccomp stop: one stop each",
	  "denied calls are answered at the syscall-exit stop: two stops each" },
	{ JT_FEAT_SYSCALL_INFO, "PTRACE_GET_SYSCALL_INFO: ABI and arguments in one call",
	  "registers read per architecture (about 1 us more per stop)" },
	{ JT_FEAT_VM_READV, "process_vm_readv for tracee memory",
	  "/proc/PID/mem for tracee memory (an open per read, slower)" },
	{ JT_FEAT_CLOSE_RANGE, "close_range closes inherited descriptors",
	  "inherited descriptors closed by walking /proc/self/fd" },
	{ JT_FEAT_OPENAT2, "openat2 RESOLVE_IN_ROOT available (used by the file-system view)",
	  "no openat2: paths will be resolved by the tracer, component by component" },
	{ JT_FEAT_PIDFD_GETFD, "pidfd_getfd: network grants and unix sockets in the view are performed on the tracer's copy of the socket",
	  "no pidfd_getfd: network grants are refused (exit 125; denials still work) and unix sockets cannot be bound or connected in the view" },
	{ JT_FEAT_USER_NOTIF, "seccomp user notification available (not used yet)",
	  "no seccomp user notification (not used yet)" },
	{ JT_FEAT_LANDLOCK, "Landlock domain: no access to /proc/PID/mem or environ of processes outside",
	  "no Landlock: a non-root program can reach /proc/PID/mem and environ of its user's other processes until the file-system view hides them" },
};

/* Can this process trace a child? Try it: the answer, not a guess. */
static int try_ptrace(char *why, size_t len)
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
		if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
			ok = 1;
			snprintf(why, len, "a child can be traced");
		} else {
			snprintf(why, len, "PTRACE_SEIZE of a child failed: %s", strerror(errno));
		}
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, __WALL) > 0 || errno == EINTR)
		;
	return ok;
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

int jt_doctor(int as_json)
{
	struct jt_kernel k;
	struct utsname u;
	const char *disabled = getenv("JAILTRACE_DISABLE");
	char why[256], buf[8192];
	int traceable, can, r;

	r = jt_kernel_probe(&k);
	if (r == 0 && disabled && *disabled)
		r = jt_kernel_disable(&k, disabled);
	if (r < 0) {
		fprintf(stderr, "jailtrace: cannot probe the kernel%s\n",
			disabled ? " (is JAILTRACE_DISABLE right?)" : "");
		return 125;
	}
	uname(&u);
	traceable = try_ptrace(why, sizeof(why));
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
			jt_json_key(&j, jt_feature_name(rows[i].feat));
			jt_json_object(&j);
			jt_json_key(&j, "kernel_has");
			jt_json_bool(&j, (k.have & rows[i].feat) != 0);
			jt_json_key(&j, "used");
			jt_json_bool(&j, jt_kernel_has(&k, rows[i].feat));
			jt_json_key(&j, "effect");
			jt_json_str(&j, jt_kernel_has(&k, rows[i].feat) ? rows[i].with : rows[i].without);
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
		const char *state = jt_kernel_has(&k, f) ? "yes" :
				    (k.have & f) ? "off" : "no";

		printf("  %-16s %-4s %s\n", jt_feature_name(f), state,
		       jt_kernel_has(&k, f) ? rows[i].with : rows[i].without);
	}
	printf("\n  ptrace           %-4s %s", traceable ? "yes" : "no", why);
	if (k.yama_ptrace_scope >= 0)
		printf(" (yama ptrace_scope=%d)", k.yama_ptrace_scope);
	if (tracer_pid())
		printf("; jailtrace is itself traced by pid %d", tracer_pid());
	printf("\n\n%s\n", can ? "jailtrace can contain programs on this host."
			       : "jailtrace cannot contain programs on this host: `jailtrace run` will refuse.");
	if (k.disabled)
		printf("(\"off\": present but disabled by JAILTRACE_DISABLE)\n");
	return can ? 0 : 1;
}
