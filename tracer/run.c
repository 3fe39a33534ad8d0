/*
 * jt_run: everything from the command to the result. Checks that the host
 * can contain the program before starting it, starts it stopped, seizes
 * it, runs the event loop, and reports.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/fsuid.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include "compat/names.h"
#include "tracer/denials.h"
#include "tracer/fs.h"
#include "tracer/path.h"
#include "filters/seccomp.h"
#include "reports/syslog.h"
#include "tracer/cpu.h"
#include "tracer/filtercache.h"
#include "tracer/internal.h"
#include "tracer/egress.h"
#include "tracer/proxy.h"

#define SANDBOX_PATH "/usr/local/bin:/usr/bin:/bin"

static void set_timer(int on)
{
	struct itimerval it = { { 0, JT_TICK_MS * 1000 }, { 0, JT_TICK_MS * 1000 } };

	if (!on)
		memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}

static int fail(struct jt_result *res, int code, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct jt_result *res, int code, int err, const char *fmt, ...)
{
	va_list ap;

	memset(res, 0, sizeof(*res));
	res->status = JT_ERROR;
	res->exit_code = code;
	res->program_exit_code = -1;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return -err;
}

/* The program's environment: fixed basics, then the policy's rules, then --env. */
static char **build_env(const struct jt_run *run, int view)
{
	const jt_config *cfg = run->cfg;
	const char *term = run->use_pty ? getenv("TERM") : NULL;
	char term_spec[256];
	const char *const base[] = {
		"PATH=" SANDBOX_PATH, view ? "HOME=/home/sandbox" : "HOME=/tmp", "LANG=C.UTF-8",
		term_spec,
	};
	struct jt_policy env;
	size_t n = 0, cap = 4 + cfg->policy.n_env + cfg->n_env + cfg->policy.n_proxies + 8 + 1;
	char **out = calloc(cap, sizeof(*out));

	if (!out)
		return NULL;
	/* on a pty of its own the program gets the terminal type of the real
	 * one (a name, no secret); on pipes, a terminal that does nothing */
	if (!term || !*term || strlen(term) > sizeof(term_spec) - 6)
		term = "dumb";
	snprintf(term_spec, sizeof(term_spec), "TERM=%s", term);
	jt_policy_init(&env);
	for (size_t i = 0; i < 4; i++)
		jt_policy_env(&env, base[i]);
	for (size_t i = 0; i < cfg->policy.n_env; i++) {
		const struct jt_env_rule *r = &cfg->policy.env[i];
		char *spec;

		if (r->value ? asprintf(&spec, "%s=%s", r->name, r->value) < 0
			     : !(spec = strdup(r->name)))
			continue;
		jt_policy_env(&env, spec);
		free(spec);
	}
	for (size_t i = 0; i < cfg->n_env; i++)
		jt_policy_env(&env, cfg->env[i]);
	/* where each proxy is: NAME_BASE_URL=http://127.0.0.1:PORT/NAME */
	for (size_t i = 0; jt_proxy_env(run, i); i++)
		jt_policy_env(&env, jt_proxy_env(run, i));
	/* where the domain proxy is: HTTPS_PROXY=http://127.0.0.1:PORT, ... */
	for (size_t i = 0; jt_egress_env(run, i); i++)
		jt_policy_env(&env, jt_egress_env(run, i));
	for (size_t i = 0; i < env.n_env && n + 1 < cap; i++) {
		const char *v = env.env[i].value ? env.env[i].value : getenv(env.env[i].name);

		if (v && asprintf(&out[n], "%s=%s", env.env[i].name, v) >= 0)
			n++;
	}
	jt_policy_free(&env);
	return out;
}

/*
 * Network grants are performed by the tracer on its copy of the program's
 * socket: pidfd_getfd (5.6+), or, before, one fetched over the view's
 * handover pair (inject.c). A policy with network grants and no file-system
 * view has no such pair: there, without pidfd_getfd, it is refused rather
 * than run unconfined. Denials need nothing. Proxies start here, before the
 * filter and the view are built, since they add a grant and an /etc/hosts.
 */
static int setup_net(struct jt_run *run, struct jt_result *res)
{
	struct jt_policy *p = &run->cfg->policy;
	char msg[512];
	int r;

	if (!p->n_net && !p->n_proxies && !p->n_domains)
		return 0;
	if (!jt_kernel_has(&run->kernel, JT_FEAT_PIDFD_GETFD) && !p->n_grants)
		return fail(res, 125, EOPNOTSUPP, "%s: network grants without a file-system view "
			    "need pidfd_getfd (Linux 5.6+), which this host lacks; without the grants "
			    "the program runs with no network",
			    jt_policy_where(p, p->n_net ? p->net[0].rule : p->n_proxies ? p->proxies[0].rule
					       : p->domains[0].rule));
	if ((r = jt_net_host_addrs(p)) < 0)
		return fail(res, 125, -r, "cannot list this host's addresses: %s", strerror(-r));
	msg[0] = '\0';
	if ((r = jt_proxy_start(run, p, msg, sizeof(msg))) < 0)
		return fail(res, 125, -r, "%s", msg[0] ? msg : strerror(-r));
	if ((r = jt_egress_start(run, p, msg, sizeof(msg))) < 0)
		return fail(res, 125, -r, "%s", msg[0] ? msg : strerror(-r));
	return 0;
}

static void free_env(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* Can this host contain a program at all? Refuse rather than run unconfined. */
static int check_host(const struct jt_kernel *k, char *msg, size_t len)
{
	if (!jt_kernel_has(k, JT_FEAT_SECCOMP) && !jt_kernel_has(k, JT_FEAT_SYSCALL_INFO)) {
		/* every call would stop; registers alone cannot tell int 0x80 from syscall */
		snprintf(msg, len, "kernel %s has no seccomp filter with SECCOMP_RET_TRACE (Linux 3.5+) "
			 "nor PTRACE_GET_SYSCALL_INFO (5.3+); jailtrace cannot contain a program here",
			 k->release);
		return -ENOSYS;
	}
	if (!jt_kernel_has(k, JT_FEAT_EXITKILL) && !jt_watchdog_accepted()) {
		/* the watchdog kills the sandbox if jailtrace dies, but a call stopped
		 * for a decision at that moment runs undecided (docs/design.md) */
		snprintf(msg, len, "kernel %s has no PTRACE_O_EXITKILL (Linux 3.8+): if jailtrace "
			 "died, a call waiting for its decision would run undecided; "
			 "JAILTRACE_WATCHDOG=1 runs anyway, with a watchdog that kills the "
			 "sandbox if jailtrace dies", k->release);
		return -ENOSYS;
	}
	if (k->yama_ptrace_scope >= 3) {
		snprintf(msg, len, "ptrace is disabled on this host (kernel.yama.ptrace_scope=3)");
		return -EPERM;
	}
	return 0;
}

static void mechanism_json(const struct jt_kernel *k, int full, int notif, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len,
		 "{\"stops\":\"%s\",\"transport\":\"%s\",\"syscall_info\":\"%s\",\"memory\":\"%s\","
		 "\"deny_at\":\"%s\",\"isolation\":\"%s\",\"disabled\":[",
		 full ? "every_call" : jt_kernel_has(k, JT_FEAT_SECCOMP) ? "seccomp" : "ptrace_syscall",
		 notif ? "user_notif" : "ptrace",
		 jt_kernel_has(k, JT_FEAT_SYSCALL_INFO) ? "ptrace_get_syscall_info" : "registers",
		 jt_kernel_has(k, JT_FEAT_VM_READV) ? "process_vm_readv" : "proc_pid_mem",
		 jt_kernel_has(k, JT_FEAT_SKIP_AT_SECCOMP) ? "seccomp_stop" : "syscall_exit_stop",
		 jt_kernel_has(k, JT_FEAT_LANDLOCK) ? "landlock" : "none");
	int first = 1;

	for (int i = 0; i < JT_FEAT_COUNT && n < len; i++) {
		if (!(k->disabled & (1u << i)))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s\"%s\"", first ? "" : ",",
				      jt_feature_name(1u << i));
		first = 0;
	}
	if (n < len)
		snprintf(buf + n, len - n, "]}");
}

static void write_header(struct jt_run *run, char *const argv[])
{
	char id[33], start[80], user[64], host[256], cwd[PATH_MAX], mech[512];
	char lim[JT_LIMIT_COUNT][24];
	const char *limits[2 * JT_LIMIT_COUNT + 1];
	unsigned char rnd[16] = { 0 };
	struct timespec ts;
	struct tm tm;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		/* ids need only be unique, not secret */
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(rnd, &ts, sizeof(ts) < sizeof(rnd) ? sizeof(ts) : sizeof(rnd));
		memcpy(rnd + 12, &run->tracer_pid, sizeof(pid_t));
	}
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(start, sizeof(start), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	jt_user_name(getuid(), user, sizeof(user));
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "?");
	mechanism_json(&run->kernel, run->cfg->audit_full, run->notif_want, mech, sizeof(mech));
	for (int i = 0; i < JT_LIMIT_COUNT; i++) {
		snprintf(lim[i], sizeof(lim[i]), "%llu", (unsigned long long)run->limit[i]);
		limits[2 * i] = jt_limit_names[i];
		limits[2 * i + 1] = lim[i];
	}
	limits[2 * JT_LIMIT_COUNT] = NULL;
	struct jt_log_run hdr = {
		.run_id = id, .start = start, .user = user, .host = host, .cwd = cwd,
		.policy = run->policy->source, .kernel = run->kernel.release, .mechanism = mech,
		.digest = run->policy->digest, .uid = getuid(), .gid = getgid(), .argv = argv,
		.program_uid = run->switch_user ? run->run_uid : getuid(),
		.program_gid = run->switch_user ? run->run_gid : getgid(),
		.limits_json = limits,
	};
	jt_log_run_header(&run->log, &hdr);
	if (run->log.syslog)
		jt_syslog_context(id, user, argv);
}

/* Seize the stopped child with every option, then let it go on. */
static int seize(struct jt_run *run)
{
	int status;
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
		    PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;

	/* without a filter of jailtrace's, calls are decided at their entry stop,
	 * before any filter of the program's runs: its SECCOMP_RET_TRACE then
	 * answers ENOSYS, as with no tracer, rather than stop a decided call again */
	if (jt_kernel_has(&run->kernel, JT_FEAT_SECCOMP))
		opts |= PTRACE_O_TRACESECCOMP;

	/* without it (before 3.8 the option is EINVAL) the watchdog stands in */
	if (jt_kernel_has(&run->kernel, JT_FEAT_EXITKILL))
		opts |= PTRACE_O_EXITKILL;
	if (run->watchdog)
		status = run->wd_child_status;	/* its parent, the watchdog, saw it stop */
	else
		while (waitpid(run->child, &status, WUNTRACED) < 0)
			if (errno != EINTR)
				return -errno;
	if (!WIFSTOPPED(status))
		return -ECHILD;	/* it failed before the stop; the error pipe says why */
	if (ptrace(PTRACE_SEIZE, run->child, 0, (void *)opts) < 0)
		return -errno;
	struct jt_task *t = jt_ptable_add(&run->tasks, run->child, run->child);

	if (!t)
		return -ENOMEM;
	t->flags |= JT_TASK_ANNOUNCED;
	if (run->use_view && !(t->fs = jt_fsinfo_new(run->cwd_inside)))
		return -ENOMEM;
	jt_log_spawn(&run->log, run->child, run->child, getpid(), "fork");
	kill(run->child, SIGCONT);
	return 0;
}

/* A signal that stops a run, come already (under notifications it waits in
 * the signalfd's set, blocked): its number, else 0. */
static int stop_signal_came(void)
{
	static const int stops[] = { SIGTERM, SIGINT, SIGHUP };
	sigset_t pending;

	if (jt_got_signal)
		return jt_got_signal;
	if (sigpending(&pending) == 0)
		for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
			if (sigismember(&pending, stops[i]))
				return stops[i];
	return 0;
}

/*
 * Give the terminal to the sandbox's process group while it runs, as a
 * shell would, and take it back with the settings it had: what the
 * program set there (echo off, raw mode, output stopped by TCXONC) would
 * outlive the run in the user's shell. Output is restarted first: a
 * terminal whose output the program stopped would never drain.
 */
static void hand_terminal(struct jt_run *run, int to_sandbox)
{
	sigset_t ttou, old;

	if (!run->stdin_tty)
		return;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	if (to_sandbox) {
		run->stdin_termios_saved = tcgetattr(0, &run->stdin_termios) == 0;
	} else if (run->stdin_termios_saved) {
		tcflow(0, TCOON);
		tcsetattr(0, TCSANOW, &run->stdin_termios);
	}
	tcsetpgrp(0, to_sandbox ? run->child : run->jailtrace_pgrp);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void finish_log(struct jt_run *run, const struct jt_result *res)
{
	char buf[1024];
	int n = jt_result_json(res, buf, sizeof(buf), "end", jt_log_now(&run->log));

	jt_log_append_end(&run->log, buf, (size_t)n);
	if (run->log.syslog && n > 0)
		jt_syslog(LOG_NOTICE, buf, (size_t)n - 1, 1);
	jt_log_close(&run->log);
}

/*
 * Does the run start a program of the second ABI (i386 on x86_64)? Most
 * never run one, and its rules are half the seccomp program, whose load
 * the kernel pays in every run (0.13 ms here). Without them each call of
 * that ABI stops and the tracer decides it the same way: a 32-bit program
 * that a 64-bit one starts later is slower, not freer. Unreadable: keep them.
 */
static int starts_foreign(const char *path)
{
	unsigned char h[EI_NIDENT];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return 1;
	n = read(fd, h, sizeof(h));
	close(fd);
	return n < (ssize_t)sizeof(h) || (!memcmp(h, ELFMAG, SELFMAG) && h[EI_CLASS] == ELFCLASS32);
}

/*
 * The seccomp program: from the per-user cache when this policy's was
 * built before (filtercache.c), else built now and kept. Not when the
 * program could write the cache: a writable grant or the jail holding it.
 */
static int filter(struct jt_run *run, const char *path, struct sock_fprog *prog)
{
	unsigned flags = run->cfg->audit_full ? JT_SECCOMP_STOP_ALL : 0;
	int fd = run->use_view ? run->chan_fd : -1, r, cache;
	unsigned char key[32];

	if (!starts_foreign(path))
		flags |= JT_SECCOMP_FOREIGN_STOPS;
	if (jt_own_filters_refused(&run->kernel))
		flags |= JT_SECCOMP_OWN_STOPS;
	if (run->notif_want)
		flags |= JT_SECCOMP_NOTIFY;

	cache = !run->cfg->no_filter_cache && run->filters_trusted && jt_filtercache_safe(run) &&
		jt_seccomp_key(run->policy, flags, fd, key) == 0;
	if (cache && jt_filtercache_get(key, prog) == 0)
		return 0;
	r = jt_seccomp_build(run->policy, flags, fd, prog);
	if (r == 0 && cache)
		jt_filtercache_put(key, prog);
	return r;
}

static int start(struct jt_run *run, char *const argv[], const char *path,
		 struct jt_result *res, int *err_fd)
{
	struct sock_fprog prog = { 0 };
	int pipes[2][2] = { { -1, -1 }, { -1, -1 } }, out_w[2], r;
	char **envp = build_env(run, run->use_view);

	if (!envp)
		return fail(res, 125, ENOMEM, "out of memory");
	r = filter(run, path, &prog);
	if (r < 0) {
		free_env(envp);
		return fail(res, 125, -r, "cannot build the seccomp filter: %s", strerror(-r));
	}
	for (int i = 0; i < 2; i++)
		if (pipe2(pipes[i], O_CLOEXEC) < 0)
			r = -errno;
		/* the program's own, as if it had made them: /dev/stdout opens them again */
		else if (run->switch_user && fchown(pipes[i][1], run->run_uid, run->run_gid) < 0)
			r = -errno;
	if (r == 0 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		r = -errno;
	out_w[0] = pipes[0][1];
	out_w[1] = pipes[1][1];
	if (r == 0 && run->use_pty && (r = jt_tty_open(run)) < 0) {
		for (int i = 0; i < 4; i++)
			close(pipes[i / 2][i % 2]);
		free(prog.filter);
		free_env(envp);
		return fail(res, 125, -r, "cannot make a terminal (pty) for the program: %s",
			    strerror(-r));
	}
	if (run->use_pty)
		out_w[0] = out_w[1] = run->pty_slave;	/* the pipes stay unused */
	run->start_us = jt_now_us();
	if (r == 0 && jt_kernel_has(&run->kernel, JT_FEAT_EXITKILL))
		r = jt_spawn(run, path, argv, envp, &prog, out_w, &run->child, err_fd);
	else if (r == 0)
		r = jt_watchdog_start(run, path, argv, envp, &prog, out_w, err_fd);
	for (int i = 0; i < 2; i++) {
		if (pipes[i][1] >= 0)
			close(pipes[i][1]);
		run->out_fd[i] = pipes[i][0];
		if (run->use_pty && pipes[i][0] >= 0) {
			close(pipes[i][0]);	/* no writer: the pipe relay is not used */
			run->out_fd[i] = -1;
		}
	}
	if (run->pty_slave >= 0) {
		close(run->pty_slave);	/* the program holds the only copies */
		run->pty_slave = -1;
	}
	free(prog.filter);
	free_env(envp);
	if (r < 0)
		return fail(res, 125, -r, "cannot start the program: %s", strerror(-r));
	if (!run->watchdog && !run->use_pty)
		setpgid(run->child, run->child);
	return 0;
}

/*
 * --cwd names a directory of the view: one that is not there is an error
 * before the run (as `bwrap --chdir` makes it), not a program that starts
 * in a directory it cannot list.
 */
static int check_cwd(struct jt_run *run, char *err, size_t len)
{
	struct jt_walk w;
	int r = jt_walk(&run->view, "/", run->cwd_inside, 0, &w);

	if (r == 0) {
		if (!w.is_dir)
			r = -ENOTDIR;
		jt_walk_done(&w);
	}
	if (r < 0)
		snprintf(err, len, "--cwd %s: %s inside the sandbox", run->cwd_inside, strerror(-r));
	return r;
}

/*
 * Whom the program runs as. Not as root: uid 0 owns root's files and
 * processes, which the kernel then defends from nothing the program does,
 * and programs that see euid 0 act as root. As root jailtrace gives it the
 * uid of --user NAME, or else of the user "sandbox" (JT_SANDBOX_UID_DEFAULT),
 * which owns the jail; the grants are still reached as jailtrace's own uid,
 * with no capability, so that what an administrator grants is there as
 * granted. --user root asks for uid 0 by name.
 */
static void run_as(struct jt_run *run)
{
	if (geteuid() != 0)
		return;
	run->switch_user = 1;
	if (run->cfg->user) {
		jt_user_ids(run->cfg->user, &run->run_uid, &run->run_gid);
		return;
	}
	run->run_uid = JT_SANDBOX_UID_DEFAULT;
	run->run_gid = JT_SANDBOX_UID_DEFAULT;
	run->two_ids = run->use_view;
}

/*
 * Where the program starts when --cwd does not say: jailtrace's own working
 * directory when a --ro or --rw grant of the command line shows it at its
 * own path (`jailtrace run --rw "$PWD" -- make` builds there, as natively);
 * else the jail's /work. A policy file's grants do not move it: a shared
 * policy's /usr is no place to work in.
 */
static const char *default_cwd(struct jt_run *run)
{
	const struct jt_policy *p = &run->cfg->policy;
	size_t i, n;

	if (!getcwd(run->cwd_here, sizeof(run->cwd_here)))
		return "/work";
	for (i = 0; i < p->n_grants; i++) {
		const struct jt_grant *g = &p->grants[i];
		const char *w = g->rule >= 0 && (size_t)g->rule < p->n_where ? p->where[g->rule] : "";

		if (g->socket || strcmp(g->host, g->inside) || (strcmp(w, "--ro") && strcmp(w, "--rw")))
			continue;
		n = strlen(g->inside);
		if (!strcmp(g->inside, "/") ||
		    (!strncmp(run->cwd_here, g->inside, n) && (!run->cwd_here[n] || run->cwd_here[n] == '/')))
			return run->cwd_here;
	}
	return "/work";
}

/* Is the program's working directory the jail's own /work, which is always
 * there (and which looking at would make a lazy jail at once)? */
static int jail_work(const struct jt_run *run)
{
	const struct jt_policy *p = &run->cfg->policy;

	if (strcmp(run->cwd_inside, "/work"))
		return 0;
	for (size_t i = 0; i < p->n_grants; i++)
		if (!strcmp(p->grants[i].inside, "/work"))
			return 0;	/* a grant put something else there */
	return 1;
}

/* The view: the jail, the grants, the skeleton, the handover channel. */
static int setup_view(struct jt_run *run, struct jt_result *res)
{
	struct jt_policy extra;
	char err[PATH_MAX + 128] = "";
	int r;

	run->chan[0] = run->chan[1] = -1;
	run->cwd_inside = run->cfg->cwd ? run->cfg->cwd : default_cwd(run);
	if (run->cfg->jail)
		snprintf(run->jail, sizeof(run->jail), "%s", run->cfg->jail);
	jt_policy_init(&extra);
	r = jt_view_build(&run->view, &run->cfg->policy, 0, err, sizeof(err));
	if (r == 0)
		r = jt_jail_prepare(run, &extra, err, sizeof(err));
	if (r == 0)
		r = jt_view_add(&run->view, &extra, 0, err, sizeof(err));
	jt_policy_free(&extra);
	/* the skeleton stands for every mount but its own files: it comes last */
	jt_policy_init(&extra);
	if (r == 0)
		r = jt_skeleton_build(run, &extra, err, sizeof(err));
	if (r == 0)
		r = jt_view_add(&run->view, &extra, 0, err, sizeof(err));
	jt_policy_free(&extra);
	if (r == 0)
		jt_view_mark_jail(&run->view, run->jail);
	if (run->two_ids)
		jt_view_ids(0, geteuid(), getegid(), run->run_uid, run->run_gid);
	if (r == 0 && run->cfg->cwd && !jail_work(run))
		r = check_cwd(run, err, sizeof(err));
	else if (r == 0 && run->cwd_inside == run->cwd_here && check_cwd(run, err, sizeof(err)) < 0)
		run->cwd_inside = "/work", err[0] = '\0'; /* a grant below it hides it */
	if (r == 0 && (r = jt_inject_setup(run)) < 0)
		snprintf(err, sizeof(err), "cannot make the handover channel: %s", strerror(-r));
	if (r < 0)
		return fail(res, 125, -r, "%s", err[0] ? err : strerror(-r));
	return 0;
}

static void teardown_view(struct jt_run *run)
{
	if (!run->use_view)
		return;
	jt_skeleton_remove(run);	/* by the view's list of what it made */
	jt_jail_remove(run);
	jt_memfds_free(run);
	jt_view_ids_done();
	jt_view_free(&run->view);
	for (int i = 0; i < 2; i++)
		if (run->chan[i] >= 0)
			close(run->chan[i]);
	free(run->deferred);
}

/*
 * Without a view the tracer does nothing on the program's behalf. With one
 * it opens, creates and removes files for it, so as root it must not bring
 * capabilities the program does not have: they stay permitted, not effective.
 */
static int tracer_caps(struct jt_run *run, int effective)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	/* signals to, the memory of and the CPUs of tracees of another uid:
	 * CAP_KILL, CAP_SYS_PTRACE and CAP_SYS_NICE, which open no file */
	uint32_t keep = (1u << CAP_KILL) | (1u << CAP_SYS_PTRACE) | (1u << CAP_SYS_NICE);
	int err = 0;

	if (!effective && run->two_ids) {
		/* two identities, switched per grant (jt_view_as): the file-system
		 * uid may go from 0 to the sandbox user's and back without bringing
		 * back the capabilities that open files (no setuid fixup), and
		 * CAP_SETUID and CAP_SETGID stay to set it. Without the securebit a
		 * switch back to 0 would make them effective again: no switching */
		if (prctl(PR_SET_SECUREBITS, prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) | SECBIT_NO_SETUID_FIXUP,
			  0, 0, 0) < 0)
			err = -errno;
		else
			keep |= (1u << CAP_SETUID) | (1u << CAP_SETGID);
	} else if (!effective && run->switch_user) {
		/* the file-system identity of the program's user, while caps still allow it */
		setfsgid(run->run_gid);
		setfsuid(run->run_uid);
	}
	if (syscall(SYS_capget, &h, d) >= 0) {
		for (int i = 0; i < 2; i++)
			d[i].effective = effective ? d[i].permitted : 0;
		if (!effective)
			d[0].effective |= d[0].permitted & keep;
		syscall(SYS_capset, &h, d);
	}
	if (run->two_ids && !err)
		jt_view_ids(!effective, geteuid(), getegid(), run->run_uid, run->run_gid);
	if (effective && run->switch_user) {
		setfsuid(geteuid());
		setfsgid(getegid());
	}
	return err;
}

/*
 * The tracer's descriptor table made as large as a run will want while the
 * tracer still has one thread: the kernel grows a table that threads share
 * only after an RCU grace period (expand_files), which took 10 to 30 ms on
 * this kind of VM, each time it doubles (at 64 descriptors, then 128...),
 * three times the whole start-up of a short run. Grown here, where nothing
 * shares it, it is not grown again below 1024. F_DUPFD takes a free number
 * at or above it, so no descriptor the caller passed is touched.
 */
static void fd_table_sized(void)
{
	struct rlimit rl;
	int fd, hi, top = 1023;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
		top = (int)rl.rlim_cur - 1;
	if (top < 64 || (fd = open("/", O_PATH | O_CLOEXEC)) < 0)
		return;
	if ((hi = fcntl(fd, F_DUPFD_CLOEXEC, top)) >= 0)
		close(hi);
	close(fd);
}

/*
 * --result FILE and --log FILE, before either is written: a link a program
 * made on their way in a writable grant (or the --jail) would send them,
 * and the log's truncation, to any file of that name on the host; a FIFO
 * one made at the log's name would hold jailtrace before the run starts.
 * The result first: a refusal of either is written to neither through such
 * a link. @return 0, or -1 (res says why).
 */
static int log_way_ok(struct jt_run *run, struct jt_result *res)
{
	const char *path = run->cfg->log_path;
	char link[PATH_MAX], dir[PATH_MAX], *slash;
	struct stat st;
	int bad;

	if (!run->cfg->policy.n_grants)
		return 0;
	/* the jail is known by name only with --jail; the grants already */
	snprintf(run->jail, sizeof(run->jail), "%s", run->cfg->jail ? run->cfg->jail : "");
	if (run->cfg->result_path &&
	    jt_way_through_program_link(run, run->cfg->result_path, 0, link, sizeof(link))) {
		run->jail[0] = '\0';
		fail(res, 125, ELOOP, "--result %s: its way passes through the link %s, in a "
		     "writable grant (a program could have made it): name the result without it",
		     run->cfg->result_path, link);
		/* nor is this refusal written there */
		close(run->cfg->result_dir);
		run->cfg->result_dir = JT_RESULT_NOWHERE;
		return -1;
	}
	if (!path || run->cfg->log_fd >= 0) {
		run->jail[0] = '\0';
		return 0;
	}
	bad = jt_way_through_program_link(run, path, 0, link, sizeof(link));
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		slash == dir ? (void)(dir[1] = '\0') : (void)(*slash = '\0');
	else
		snprintf(dir, sizeof(dir), ".");
	if (!bad && lstat(path, &st) == 0 && S_ISFIFO(st.st_mode) && !jt_cache_dir_safe(run, dir)) {
		snprintf(link, sizeof(link), "%s", path);
		bad = 2;
	}
	run->jail[0] = '\0';
	if (bad == 1)
		fail(res, 125, ELOOP, "--log %s: its way passes through the link %s, in a writable "
		     "grant (a program could have made it): name the log without it", path, link);
	else if (bad)
		fail(res, 125, EINVAL, "--log %s: a FIFO in a writable grant (a program could have made "
		     "it): jailtrace would wait for its reader", path);
	return bad ? -1 : 0;
}

static int guard_one(struct jt_run *run, const struct stat *st)
{
	if (jt_guarded(run, st))
		return 0;
	if (run->n_guard == JT_GUARD_MAX)
		return -ENAMETOOLONG;
	run->guard[run->n_guard].dev = st->st_dev;
	run->guard[run->n_guard++].ino = st->st_ino;
	return 0;
}

/*
 * jailtrace's own file @fd (the log, --result's or a --keep's directory), when a
 * writable grant or the jail holds it (or, for the log, another link may
 * be there): it and every directory above it become read-only to the
 * program (fs.c, guard_walk). Else the program could rewrite or empty its
 * own audit log, or rename the directory away and leave a log or result
 * of its own making where the operator looks.
 * @return 0, or -errno (ENAMETOOLONG: deeper than the guards hold).
 */
static int guard_file(struct jt_run *run, int fd)
{
	char p[64], host[PATH_MAX], *slash;
	struct stat st, up;
	ssize_t n;
	int cur, next, r;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (fd < 0 || fstat(fd, &st) < 0 || (n = readlink(p, host, sizeof(host) - 1)) <= 0 ||
	    (host[n] = '\0', host[0] != '/') || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
		return 0;	/* a pipe, a socket, a terminal: nothing to rename or rewrite */
	if (jt_cache_dir_safe(run, host) && !(S_ISREG(st.st_mode) && st.st_nlink > 1))
		return 0;	/* the program cannot reach it */
	if ((r = guard_one(run, &st)) < 0)
		return r;
	if (S_ISDIR(st.st_mode)) {
		cur = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	} else {
		slash = strrchr(host, '/');
		*slash = '\0';
		cur = open(host[0] ? host : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	while (cur >= 0 && fstat(cur, &st) == 0) {
		if ((r = guard_one(run, &st)) < 0)
			break;
		next = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		cur = next;
		if (cur >= 0 && fstat(cur, &up) == 0 && up.st_dev == st.st_dev && up.st_ino == st.st_ino)
			break;	/* "/" */
	}
	if (cur >= 0)
		close(cur);
	return r < 0 ? r : 0;
}

int jt_run(jt_config *cfg, char *const argv[], struct jt_result *res)
{
	struct jt_run *run;
	char path[PATH_MAX], msg[256];
	const char *disabled = getenv("JAILTRACE_DISABLE");
	int r, err_fd = -1, code;

	if (!argv || !argv[0])
		return fail(res, 125, EINVAL, "no program to run");
	fd_table_sized();
	r = jt_find_program(argv[0], SANDBOX_PATH, path, sizeof(path));
	if (r < 0)
		return fail(res, r == -ENOENT ? 127 : 126, -r, "%s: %s", argv[0], strerror(-r));
	run = calloc(1, sizeof(*run));
	if (!run)
		return fail(res, 125, ENOMEM, "out of memory");
	run->cfg = cfg;
	run->policy = &cfg->policy;
	run->tracer_pid = getpid();
	run->spawn_parent = run->tracer_pid;
	run->wd_fd = -1;
	run->notif_fd = -1;
	run->notif_sig_fd = -1;
	for (int m = 0; m < 4; m++)
		run->taint_fd[m] = -1;
	run->jailtrace_pgrp = getpgrp();
	run->pty_master = run->pty_slave = -1;
	run->use_pty = jt_tty_wanted();
	for (int i = 0; i < JT_LIMIT_COUNT; i++)
		run->limit[i] = jt_config_get_limit(cfg, (enum jt_limit)i);
	jt_log_none(&run->log);
	run->log.syslog = cfg->syslog;

	r = jt_kernel_probe(&run->kernel);
	if (r == 0 && disabled && *disabled)
		r = jt_kernel_disable(&run->kernel, disabled);
	if (r == 0 && cfg->disabled)
		r = jt_kernel_disable(&run->kernel, cfg->disabled);
	if (r < 0) {
		r = fail(res, 125, -r, "cannot probe the kernel, or bad JAILTRACE_DISABLE");
		goto out;
	}
	if (run->limit[JT_LIMIT_LOG] && run->limit[JT_LIMIT_LOG] < JT_LOG_MIN) {
		r = fail(res, 125, EINVAL, "log limit of %llu bytes is below the least, 256K",
			 (unsigned long long)run->limit[JT_LIMIT_LOG]);
		goto out;
	}
	if (log_way_ok(run, res) < 0) {
		r = -1;
		goto out;
	}
	/* opened first, so that every refusal below ends the log with its reason */
	if (cfg->log_path && (r = cfg->log_fd >= 0 ? jt_log_open_fd(&run->log, cfg->log_fd) :
				      jt_log_open(&run->log, cfg->log_path)) < 0) {
		r = fail(res, 125, -r, "cannot open log %s: %s", cfg->log_path,
			 r == -ELOOP ? "it is a symbolic link" : strerror(-r));
		goto out;
	}
	jt_log_set_max(&run->log, run->limit[JT_LIMIT_LOG]);
	run->use_view = cfg->policy.n_grants > 0;
	run_as(run);	/* whom the program runs as: in the header */
	run->notif_want = jt_notify_wanted(run);	/* which transport: in the header */
	/* under notifications the loop polls a signalfd for SIGCHLD, the tick
	 * and the stop signals, blocked before the proxy's thread starts
	 * (setup_net), so that none of them takes one instead */
	if (run->notif_want && jt_notify_begin(run) < 0)
		run->notif_want = 0;
	write_header(run, argv);
	if ((r = setup_net(run, res)) < 0)
		goto out;
	if ((r = jt_cpu_setup(run)) < 0) {
		r = fail(res, 125, -r, "cannot place the run on a CPU: %s", strerror(-r));
		goto out;
	}
	/* asked once, before the skeleton and the filter (cachemark.c) */
	run->filters_trusted = jt_cache_trusted(JT_CACHE_FILTERS);
	run->skeletons_trusted = jt_cache_trusted(JT_CACHE_SKELETONS);
	if (run->use_view && (r = setup_view(run, res)) < 0)
		goto out;
	if (cfg->n_keep && !(run->keep_dir = malloc(cfg->n_keep * sizeof(int)))) {
		r = fail(res, 125, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cfg->n_keep; i++)
		run->keep_dir[i] = -1;
	for (size_t i = 0; run->use_view && i < cfg->n_keep; i++) {
		/* an output that cannot be kept is refused now, not after the work */
		if ((r = jt_keep_check(run, cfg->keep[i], &run->keep_dir[i], msg, sizeof(msg))) < 0) {
			r = fail(res, 125, -r, "%s", msg);
			goto out;
		}
	}
	if (run->use_view && cfg->result_path &&
	    jt_way_through_program_link(run, cfg->result_path, 0, msg, sizeof(msg))) {
		r = fail(res, 125, ELOOP, "--result %s: its way passes through the link %s, in a "
			 "writable grant (a program could have made it): name the result without it",
			 cfg->result_path, msg);
		/* nor is this refusal written there */
		close(cfg->result_dir);
		cfg->result_dir = JT_RESULT_NOWHERE;
		goto out;
	}
	if (run->use_view && ((r = guard_file(run, run->log.fd)) < 0 ||
			      (r = guard_file(run, cfg->result_dir)) < 0)) {
		r = fail(res, 125, -r, "the audit log or the result file is too deep in a writable "
			 "grant to keep it from the program: put it elsewhere");
		goto out;
	}
	for (size_t i = 0; run->use_view && i < cfg->n_keep; i++)
		if ((r = guard_file(run, run->keep_dir[i])) < 0) {
			r = fail(res, 125, -r, "--keep %s: its host directory is too deep in a writable "
				 "grant to keep it from the program: copy elsewhere", cfg->keep[i]);
			goto out;
		}
	if ((r = check_host(&run->kernel, msg, sizeof(msg))) < 0) {
		r = fail(res, 125, -r, "%s", msg);
		goto out;
	}
	if ((r = jt_ptable_init(&run->tasks)) < 0) {
		r = fail(res, 125, -r, "out of memory");
		goto out;
	}
	/* before its program can write a cache jailtrace keeps, the mark that
	 * no run may trust them (filtercache.c) */
	if ((r = jt_cache_taint(run)) < 0) {
		r = fail(res, 125, -r, "this run's writable grants hold jailtrace's caches and every "
			 "place to mark them untrusted (/dev/shm, $XDG_RUNTIME_DIR, $TMPDIR): "
			 "narrow the grants, or set JAILTRACE_CACHE_DIR and JAILTRACE_VIEW_CACHE elsewhere");
		goto out;
	}
	jt_signals_install(run->notif_want);
	if ((r = start(run, argv, path, res, &err_fd)) < 0)
		goto out;
	r = seize(run);
	if (r < 0) {
		int sig = stop_signal_came();

		kill(run->child, SIGKILL);
		waitpid(run->child, NULL, 0);
		if (sig) {
			/* a SIGTERM to jailtrace's process group reaches the program
			 * too before it is seized and in a group of its own: the run
			 * was interrupted, not broken */
			r = fail(res, 128 + sig, EINTR, "jailtrace got %s before the program started",
				 jt_signal_name(sig));
			res->status = JT_INTERRUPTED;
		} else if (jt_spawn_error(err_fd, msg, sizeof(msg), &code))
			r = fail(res, code, EINVAL, "%s", msg);
		else
			r = fail(res, 125, -r, "cannot trace the program: %s%s", strerror(-r),
				 r == -EPERM ? " (is ptrace restricted here, or is jailtrace itself traced?)" : "");
		goto out;
	}
	if (run->use_view && (r = tracer_caps(run, 0)) < 0)
		jt_stop_run(run, JT_STOP_ERROR, "cannot keep the tracer's file capabilities off while it "
			    "works as two users (SECBIT_NO_SETUID_FIXUP): %s", strerror(-r));
	/* with a pty the real terminal stays jailtrace's, in raw mode (tty.c) */
	run->stdin_tty = !run->use_pty && isatty(0) && tcgetpgrp(0) == run->jailtrace_pgrp;
	hand_terminal(run, 1);
	if (run->use_pty && (r = jt_tty_start(run)) < 0) {
		jt_stop_run(run, JT_STOP_ERROR, "cannot start the terminal relay: %s", strerror(-r));
		r = 0;
	} else if (!run->use_pty && (r = jt_relay_start(run)) < 0) {
		jt_stop_run(run, JT_STOP_ERROR, "cannot start the output relay: %s", strerror(-r));
		r = 0;
	}
	set_timer(1);
	r = jt_loop(run);
	set_timer(0);
	jt_notify_done(run);
	/* what the program wrote since the last walk of its jail counts too */
	if (run->use_view && run->stop == JT_STOP_NONE)
		jt_disk_tick(run, 1);
	if (r < 0)
		jt_stop_run(run, JT_STOP_ERROR, "event loop: %s", strerror(-r));
	jt_proxy_stop(run);
	jt_egress_stop(run);
	jt_relay_join(run);
	jt_tty_finish(run);
	if (run->use_view)
		tracer_caps(run, 1);
	hand_terminal(run, 0);
	jt_result_fill(run, res);
	/* the program never ran if its exec failed after the checks above */
	if (jt_spawn_error(err_fd, msg, sizeof(msg), &code)) {
		res->status = JT_ERROR;
		res->exit_code = code;
		res->program_exit_code = -1;
		snprintf(res->message, sizeof(res->message), "%s", msg);
	}
	for (size_t i = 0; run->use_view && i < cfg->n_keep; i++) {
		char kerr[PATH_MAX + 64];

		int k = jt_keep(run, cfg->keep[i], run->keep_dir[i], kerr, sizeof(kerr));

		if (k > 0 && !cfg->quiet)
			fprintf(stderr, "jailtrace: %s\n", kerr);
		if (k < 0) {
			/* the outputs asked for are lost: say so, and fail a run that had succeeded */
			snprintf(res->message, sizeof(res->message), "%.200s", kerr);
			if (res->exit_code == 0) {
				res->status = JT_ERROR;
				res->exit_code = 125;
			}
		}
	}
	finish_log(run, res);
	r = 0;
out:
	/* whatever happened, the watchdog kills what may be left, and ends */
	jt_watchdog_finish(run);
	jt_tty_finish(run);	/* the terminal as it was, before any message */
	if (err_fd >= 0)
		close(err_fd);
	if (run->log.fd >= 0 || run->log.syslog) {
		if (r < 0)
			finish_log(run, res);
		else
			jt_log_close(&run->log);
	}
	if (run->log.syslog)
		jt_syslog_close();
	jt_proxy_stop(run);
	jt_egress_stop(run);
	jt_notify_done(run);
	jt_cache_untaint(run);	/* every process of the run is gone */
	jt_cpu_done(run);
	for (size_t i = 0; run->keep_dir && i < cfg->n_keep; i++)
		if (run->keep_dir[i] >= 0)
			close(run->keep_dir[i]);
	free(run->keep_dir);
	jt_stacks_free(run);
	jt_denials_free(run);
	jt_ptable_free(&run->tasks);
	jt_ptys_free(run);
	teardown_view(run);
	free(run);
	return r;
}
