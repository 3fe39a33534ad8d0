/*
 * The jailtrace command: a thin layer over the API in jailtrace.h.
 * Its own errors are one line on stderr and exit status 125.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#ifdef JT_STATIC
#include <nss.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include "filters/policy.h"
#include "reports/forensics.h"
#ifndef JT_STATIC
#include "serve/serve.h"
#endif
#include "tracer/internal.h"

#define EXIT_JT 125

/* The last error of `jailtrace run` before the run started, for --result. */
static char run_error[1024];

static void run_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void run_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run_error, sizeof(run_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", run_error);
}

static void usage_run(FILE *out)
{
	char dflt[JT_LIMIT_COUNT][32];

	for (int i = 0; i < JT_LIMIT_COUNT; i++) {
		uint64_t v = jt_limit_default[i];

		if (i == JT_LIMIT_TIMEOUT_MS || i == JT_LIMIT_CPU_MS)
			snprintf(dflt[i], sizeof(dflt[i]), "%llus", (unsigned long long)(v / 1000));
		else if (i == JT_LIMIT_PROCS || i == JT_LIMIT_NOFILE || i == JT_LIMIT_INODES)
			snprintf(dflt[i], sizeof(dflt[i]), "%llu", (unsigned long long)v);
		else if (v % (1ULL << 30) == 0)
			snprintf(dflt[i], sizeof(dflt[i]), "%lluG", (unsigned long long)(v >> 30));
		else
			snprintf(dflt[i], sizeof(dflt[i]), "%lluM", (unsigned long long)(v >> 20));
	}
	fprintf(out,
"usage: jailtrace run [OPTIONS] -- PROGRAM [ARGS...]\n"
"\n"
"Run PROGRAM under ptrace and a seccomp filter with a default-deny policy.\n"
"It starts with descriptors 0-2 only, a minimal environment and no\n"
"capabilities; everything it leaves behind is killed when it exits.\n"
"\n"
"  --policy FILE    policy file, - for standard input (default: built in;\n"
"                   see `jailtrace policy default`)\n"
"  --within FILE    refuse to run (125) unless the policy gives nothing FILE's\n"
"                   does not (default: the built-in one; docs/policy.md);\n"
"                   the options below add to the policy after that check\n"
"  --log FILE       audit log, JSON Lines (created 0600, never through a symlink)\n"
"  --result FILE    write the result as one JSON object\n"
"  --log-fd N      the audit log is descriptor N, opened by whoever started\n"
"                   jailtrace (e.g. root, for a log the program's user cannot touch)\n"
"  --audit MODE     decisions (default): log what the tracer decides;\n"
"                   full: log every syscall with its result (slow: two stops each)\n"
"  --env NAME       pass NAME from this environment; --env NAME=VALUE sets it\n"
"  --no-backtrace   no stacks in the log (taken at denials, limits, fatal signals)\n"
"  --syslog         also send the run header, denials, limit events and the end\n"
"                   record to syslog, each line naming the run, user and argv\n"
"  --quiet          no summary line on stderr\n"
"  --no-pin         every CPU from the start (by default the program shares the\n"
"                   tracer's CPU, where a stop costs least, until it wants more)\n"
"\n"
"Network (none by default; docs/policy.md):\n"
"  --allow-net HOST[:PORT[-PORT]]  connect over TCP (IPv4, [IPv6], CIDR, or a\n"
"                   name resolved now and put in the sandbox's /etc/hosts)\n"
"  --allow-udp HOST[:PORT]  send datagrams there (and make UDP sockets)\n"
"  --allow-bind ADDR:PORT   listen there, e.g. 127.0.0.1:8000\n"
"  --allow-unix PATH        connect to this host unix socket\n"
"  --allow-dns      the host's name servers (from /etc/resolv.conf)\n"
"  --allow-domain NAME[:PORT[-PORT]]  reach NAME (or *.NAME) over HTTP(S)\n"
"                   through a proxy of jailtrace's that checks every request\n"
"                   (ports 80 and 443 by default; HTTPS_PROXY is set inside)\n"
"  --hosts FILE     names for that proxy in /etc/hosts form (a testing aid)\n"
"  --proxy 'NAME URL [header \"K: ${VAR}\"]...'  serve URL to the program at\n"
"                   $NAME_BASE_URL, adding headers whose secrets stay outside\n"
"  --disable LIST   treat kernel features as absent (testing fallbacks)\n"
"\n"
"File-system view (when the policy grants paths, as the built-in one does):\n"
"  --ro PATH        show a host path read-only; --ro HOST:INSIDE at another path\n"
"                   (a relative HOST is taken from the current directory)\n"
"  --rw HOST:INSIDE show a host path writable\n"
"  --exec-jail      let the program run and map executable the files it wrote\n"
"                   (policy `exec jail`; by default they are like a noexec mount)\n"
"  --jail DIR       keep the writable jail (/tmp, /home/sandbox, /work) in DIR;\n"
"                   default: a fresh one, removed at the end\n"
"  --cwd DIR        the working directory inside (default: the current directory\n"
"                   when a --ro/--rw grant shows it at its own path, else /work)\n"
"  --user NAME      NAME's own jail, DATA/jails/NAME (DATA: /var/lib/jailtrace as\n"
"                   root, else $XDG_DATA_HOME/jailtrace or ~/.local/share/jailtrace);\n"
"                   as root the program also runs as NAME's uid (no PAM, no groups);\n"
"                   as root without it, as the user sandbox (uid 2100000000);\n"
"                   uid 0 only with --user root\n"
"  --ephemeral      a fresh jail, removed at the end (the default without --user/--jail)\n"
"                   (with --jail DIR: DIR, which must not exist, made and removed)\n"
"  --share-jail     run beside other --share-jail runs of the same jail (by default\n"
"                   a kept jail is one run's at a time)\n"
"  --keep IN[:HOST] after the run, copy IN (a path in the jail) out to HOST\n"
"                   (default: its name in the current directory)\n"
"\n"
"Limits (0 = none). TIME: 30, 30s, 500ms, 2m, 1h. SIZE: 4096, 64K, 16M, 2G.\n"
"  --timeout TIME   wall time of the run            (default %s; exit 124)\n"
"  --grace TIME     after --timeout, or SIGINT/SIGTERM/SIGHUP to jailtrace, the\n"
"                   program gets SIGTERM (or that signal) and TIME to end before\n"
"                   SIGKILL (default 5s; 0: SIGKILL at once)\n"
"  --cpu TIME       CPU time of the whole tree      (default %s; exit 137)\n"
"  --memory SIZE    memory of the tree: resident pages, and memfd, pipe and\n"
"                   in-memory jail pages it holds (default %s; exit 137)\n"
"  --vmem SIZE      address space of each process   (default %s; ENOMEM)\n"
"  --procs N        live processes and threads      (default %s; exit 137)\n"
"  --output SIZE    bytes of stdout and stderr      (default %s; exit 137)\n"
"  --fsize SIZE     size of a file written          (default %s; EFBIG)\n"
"  --nofile N       descriptors of each process     (default %s; EMFILE)\n"
"  --log-max SIZE   bytes of the --log file         (default %s; exit 137)\n"
"  --disk SIZE      blocks the jail holds, each file once (default %s; exit 137;\n"
"                   new names once it is full: EDQUOT)\n"
"  --inodes N       files and directories in the jail (default %s; EDQUOT)\n"
"\n"
"Exit status: the program's; 128+N if signal N killed it; 124 timeout;\n"
"137 another limit; 125 jailtrace's own error; 126 not executable; 127 not found.\n",
		dflt[JT_LIMIT_TIMEOUT_MS], dflt[JT_LIMIT_CPU_MS], dflt[JT_LIMIT_MEMORY],
		dflt[JT_LIMIT_VMEM], dflt[JT_LIMIT_PROCS], dflt[JT_LIMIT_OUTPUT],
		dflt[JT_LIMIT_FSIZE], dflt[JT_LIMIT_NOFILE], dflt[JT_LIMIT_LOG], dflt[JT_LIMIT_DISK],
		dflt[JT_LIMIT_INODES]);
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: jailtrace COMMAND ...\n"
"\n"
"  run [OPTIONS] -- PROGRAM [ARGS...]   run a program in the sandbox\n"
"  doctor [--json]                     what this host offers and what jailtrace will use\n"
"  policy default                      print the built-in policy\n"
"  policy check FILE                   check a policy file (- reads standard input)\n"
"  report [--format json] [--html OUT] LOG   summarize a run's audit log (LOG LOG...: a job's)\n"
"  replay LOG --policy FILE            what another policy would have decided\n"
"  learn LOG > POLICY                  the tightest policy for what the run did\n"
"  serve --tokens FILE [OPTIONS]       sandboxes per user behind an HTTP API\n"
"  version                             print the version\n"
"\n"
"`jailtrace run --help` lists the options and limits.\n");
}

static int err1(const char *what, const char *a)
{
	fprintf(stderr, "jailtrace: %s%s\n", what, a);
	return EXIT_JT;
}

enum { O_POLICY = 256, O_LOG, O_LOG_FD, O_RESULT, O_ENV, O_QUIET, O_DISABLE, O_HELP, O_AUDIT,
       O_RO, O_RW, O_JAIL, O_CWD, O_USER, O_EPHEMERAL, O_SHARE_JAIL, O_KEEP, O_NO_BACKTRACE,
       O_SYSLOG, O_NET, O_NO_PIN, O_GRACE, O_WITHIN, O_LIMIT };

static int set_limit_opt(jt_config *cfg, int which, const char *name, const char *val)
{
	uint64_t v;
	int r;

	if (which == JT_LIMIT_TIMEOUT_MS || which == JT_LIMIT_CPU_MS) {
		r = jt_parse_time_ms(val, &v);
	} else if (which == JT_LIMIT_PROCS || which == JT_LIMIT_NOFILE || which == JT_LIMIT_INODES) {
		char *end;

		errno = 0;
		v = strtoull(val, &end, 10);
		r = (errno || *end || !*val || *val == '-') ? -EINVAL : 0;
	} else {
		r = jt_parse_size(val, &v);
	}
	if (r < 0) {
		run_err("jailtrace: bad value \"%s\" for --%s", val, name);
		return EXIT_JT;
	}
	jt_config_set_limit(cfg, (enum jt_limit)which, v);
	return 0;
}

/* --allow-net HOST:PORT is the policy line "net connect HOST:PORT", and so on. */
struct rule_opt {
	char option[16];
	char *text;
};

static int net_rule(struct rule_opt *r, const char *name, const char *arg)
{
	int n = -1;

	snprintf(r->option, sizeof(r->option), "--%s", name);
	if (!strcmp(name, "allow-net"))
		n = asprintf(&r->text, "net connect %s", arg);
	else if (!strcmp(name, "allow-udp"))
		n = asprintf(&r->text, "net connect %s udp", arg);
	else if (!strcmp(name, "allow-bind"))
		n = asprintf(&r->text, "net bind %s", arg);
	else if (!strcmp(name, "allow-unix"))
		n = asprintf(&r->text, "net unix %s", arg);
	else if (!strcmp(name, "allow-dns"))
		n = asprintf(&r->text, "net dns");
	else if (!strcmp(name, "allow-domain"))
		n = asprintf(&r->text, "net domain %s", arg);
	else if (!strcmp(name, "hosts"))
		n = asprintf(&r->text, "hosts %s", arg);
	else if (!strcmp(name, "proxy"))
		n = asprintf(&r->text, "proxy %s", arg);
	else if (!strcmp(name, "exec-jail"))
		n = asprintf(&r->text, "exec jail");
	return n < 0 ? -1 : 0;
}

/* --result FILE's last name, and its directory as the kernel finds it now. */
static int result_dir_open(const char *file, const char **leaf)
{
	const char *slash = strrchr(file, '/');
	char dir[4096];

	*leaf = slash ? slash + 1 : file;
	if (!slash)
		return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(dir, sizeof(dir), "%.*s", slash == file ? 1 : (int)(slash - file), file);
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Writes --result FILE (when given); the exit status, EXIT_JT if it cannot.
 * @dir is FILE's directory as it was before the run (-1: look it up now):
 * a program that may write there could have made a directory on the way a
 * link to anywhere, its last name a link or a FIFO (which would hold this
 * open for ever). So: that directory, never a link, a regular file only,
 * emptied once it is known to be one.
 */
static int write_result(const char *file, int dir, const struct jt_result *res, int code)
{
	const char *leaf;
	struct stat st;
	int fd, own = -1;

	if (!file)
		return code;
	if (dir == JT_RESULT_NOWHERE)
		return code ? code : EXIT_JT;
	leaf = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	if (dir < 0)
		dir = own = result_dir_open(file, &leaf);
	fd = dir < 0 ? -1 : openat(dir, leaf, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd >= 0 && (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && (errno = EINVAL, 1)) ||
			ftruncate(fd, 0) < 0)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0 || jt_result_write_json(res, fd) < 0) {
		fprintf(stderr, "jailtrace: cannot write result %s: %s\n", file,
			errno == ENXIO ? "it is a FIFO" : strerror(errno));
		if (code == 0)
			code = EXIT_JT;
	}
	if (fd >= 0)
		close(fd);
	if (own >= 0)
		close(own);
	return code;
}

/*
 * Can --result FILE be written at the end? A missing or unwritable
 * directory is refused before the run, not found after the work is done.
 */
static int result_dir_ok(const char *file)
{
	const char *slash = strrchr(file, '/');
	char dir[4096];
	struct stat st;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == file ? 1 : (int)(slash - file), file);
	if (stat(dir, &st) < 0 || (!S_ISDIR(st.st_mode) && (errno = ENOTDIR)) ||
	    access(dir, W_OK | X_OK) < 0) {
		run_err("jailtrace: --result %s: cannot write in %s: %s", file, dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * --within SITE: refuse unless the policy (as read, before the command
 * line's options, which add to it as they would to SITE) is within SITE.
 */
static int policy_within(struct jt_policy *p, const char *site)
{
	struct jt_policy o;
	char err[512], why[1024];
	int r;

	jt_policy_init(&o);
	if ((strcmp(site, "default") ? jt_policy_load(&o, site, err, sizeof(err))
				     : jt_policy_default(&o, err, sizeof(err))) < 0) {
		run_err("jailtrace: --within: %s", err);
		jt_policy_free(&o);
		return -1;
	}
	/* "the local host" is this host's addresses, in both */
	if ((r = jt_net_host_addrs(p)) < 0 || (r = jt_net_host_addrs(&o)) < 0) {
		run_err("jailtrace: --within: cannot list this host's addresses: %s", strerror(-r));
		jt_policy_free(&o);
		return -1;
	}
	r = jt_policy_within(p, &o, jt_limit_default, why, sizeof(why));
	if (!r)
		run_err("jailtrace: the policy is not within %s: %s", site, why);
	jt_policy_free(&o);
	return r ? 0 : -1;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, 0, O_POLICY },
		{ "within", required_argument, 0, O_WITHIN },
		{ "log", required_argument, 0, O_LOG },
		{ "log-fd", required_argument, 0, O_LOG_FD },
		{ "result", required_argument, 0, O_RESULT },
		{ "env", required_argument, 0, O_ENV },
		{ "quiet", no_argument, 0, O_QUIET },
		{ "disable", required_argument, 0, O_DISABLE },
		{ "help", no_argument, 0, O_HELP },
		{ "audit", required_argument, 0, O_AUDIT },
		{ "ro", required_argument, 0, O_RO },
		{ "rw", required_argument, 0, O_RW },
		{ "jail", required_argument, 0, O_JAIL },
		{ "cwd", required_argument, 0, O_CWD },
		{ "user", required_argument, 0, O_USER },
		{ "ephemeral", no_argument, 0, O_EPHEMERAL },
		{ "share-jail", no_argument, 0, O_SHARE_JAIL },
		{ "keep", required_argument, 0, O_KEEP },
		{ "no-backtrace", no_argument, 0, O_NO_BACKTRACE },
		{ "no-pin", no_argument, 0, O_NO_PIN },
		{ "syslog", no_argument, 0, O_SYSLOG },
		{ "grace", required_argument, 0, O_GRACE },
		{ "allow-net", required_argument, 0, O_NET },
		{ "allow-udp", required_argument, 0, O_NET },
		{ "allow-bind", required_argument, 0, O_NET },
		{ "allow-unix", required_argument, 0, O_NET },
		{ "allow-dns", no_argument, 0, O_NET },
		{ "allow-domain", required_argument, 0, O_NET },
		{ "hosts", required_argument, 0, O_NET },
		{ "proxy", required_argument, 0, O_NET },
		{ "exec-jail", no_argument, 0, O_NET },
		{ "timeout", required_argument, 0, O_LIMIT + JT_LIMIT_TIMEOUT_MS },
		{ "cpu", required_argument, 0, O_LIMIT + JT_LIMIT_CPU_MS },
		{ "memory", required_argument, 0, O_LIMIT + JT_LIMIT_MEMORY },
		{ "vmem", required_argument, 0, O_LIMIT + JT_LIMIT_VMEM },
		{ "procs", required_argument, 0, O_LIMIT + JT_LIMIT_PROCS },
		{ "output", required_argument, 0, O_LIMIT + JT_LIMIT_OUTPUT },
		{ "fsize", required_argument, 0, O_LIMIT + JT_LIMIT_FSIZE },
		{ "nofile", required_argument, 0, O_LIMIT + JT_LIMIT_NOFILE },
		{ "log-max", required_argument, 0, O_LIMIT + JT_LIMIT_LOG },
		{ "disk", required_argument, 0, O_LIMIT + JT_LIMIT_DISK },
		{ "inodes", required_argument, 0, O_LIMIT + JT_LIMIT_INODES },
		{ 0, 0, 0, 0 },
	};
	const char *policy = NULL, *result = NULL, *within = NULL;
	struct grant_opt { const char *spec; int rw; } grants[64];
	struct rule_opt rules[64];
	int n_grants = 0, n_rules = 0;
	struct jt_result res;
	jt_config *cfg = jt_config_new();
	int c, idx, code = EXIT_JT;

	if (!cfg)
		return err1("out of memory", "");
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, &idx)) != -1) {
		int r = 0;

		switch (c) {
		case O_POLICY: policy = optarg; break;
		case O_WITHIN: within = optarg; break;
		case O_LOG: r = jt_config_set_log(cfg, optarg); break;
		case O_LOG_FD:
		{
			char *end;
			long fd = strtol(optarg, &end, 10);

			if (!optarg[0] || *end || fd < 3 || fd > 1000000) {
				run_err("jailtrace: bad value \"%s\" for --log-fd (a descriptor above 2)", optarg);
				goto out;
			}
			r = jt_config_set_log(cfg, optarg);
			cfg->log_fd = (int)fd;
			/* a log its caller opened where this user cannot (the Slurm
			 * plugin, as root): from now on no process of this user may
			 * attach to jailtrace and write through it (jt_spawn makes
			 * every run's tracer so, later) */
			prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
			break;
		}
		case O_RESULT: result = optarg; break;
		case O_ENV: r = jt_config_env(cfg, optarg); break;
		case O_QUIET: jt_config_set_quiet(cfg, 1); break;
		case O_DISABLE: r = jt_config_disable_features(cfg, optarg); break;
		case O_AUDIT: r = jt_config_set_audit(cfg, optarg); break;
		case O_RO:
		case O_RW:
			if (n_grants < 64)
				grants[n_grants++] = (struct grant_opt){ optarg, c == O_RW };
			break;
		case O_JAIL: r = jt_config_set_jail(cfg, optarg); break;
		case O_CWD: r = jt_config_set_cwd(cfg, optarg); break;
		case O_USER: r = jt_config_set_user(cfg, optarg); break;
		case O_EPHEMERAL: jt_config_set_ephemeral(cfg, 1); break;
		case O_SHARE_JAIL: jt_config_set_share_jail(cfg, 1); break;
		case O_KEEP: r = jt_config_keep(cfg, optarg); break;
		case O_NO_BACKTRACE: jt_config_set_backtrace(cfg, 0); break;
		case O_SYSLOG: jt_config_set_syslog(cfg, 1); break;
		case O_NO_PIN: jt_config_set_pin(cfg, 0); break;
		case O_GRACE:
		{
			uint64_t ms;

			if (jt_parse_time_ms(optarg, &ms) < 0) {
				run_err("jailtrace: bad value \"%s\" for --grace", optarg);
				goto out;
			}
			jt_config_set_grace(cfg, ms);
			break;
		}
		case O_NET:
			if (n_rules == 64) {
				run_err("jailtrace: more than 64 rule options (--allow-*, --proxy, --hosts): "
					"put them in a policy file");
				goto out;
			}
			if (net_rule(&rules[n_rules], opts[idx].name, optarg) == 0)
				n_rules++;
			break;
		case O_HELP: usage_run(stdout); jt_config_free(cfg); return 0;
		case '?':
			if (optopt)
				run_err("jailtrace: option --%s needs a value", opts[idx].name);
			else
				run_err("jailtrace: unknown option \"%s\" (see jailtrace run --help)",
					argv[optind - 1]);
			goto out;
		default:
			if (c >= O_LIMIT && c < O_LIMIT + JT_LIMIT_COUNT &&
			    set_limit_opt(cfg, c - O_LIMIT, opts[idx].name, optarg))
				goto out;
		}
		if (r < 0) {
			run_err("jailtrace: %s", jt_config_error(cfg));
			goto out;
		}
	}
	if (result && result_dir_ok(result) < 0) {
		result = NULL;	/* nowhere to write it */
		goto out;
	}
	if (result) {
		const char *leaf;

		/* held from now: what the program does to the path changes nothing */
		cfg->result_dir = result_dir_open(result, &leaf);
		cfg->result_path = result;
	}
	if (optind >= argc) {
		run_err("jailtrace: no program given (jailtrace run [OPTIONS] -- PROGRAM [ARGS...])");
		goto out;
	}
	if (policy && jt_config_load_policy(cfg, policy) < 0) {
		run_err("%s", jt_config_error(cfg));
		goto out;
	}
	/* here, in the process that applies it: the file checked is the file run */
	if (within && policy_within(&cfg->policy, within) < 0)
		goto out;
	/* --ro and --rw add to the policy, after it, so they win */
	for (int i = 0; i < n_grants; i++) {
		if (jt_config_grant(cfg, grants[i].spec, grants[i].rw) < 0) {
			run_err("jailtrace: %s", jt_config_error(cfg));
			goto out;
		}
	}
	for (int i = 0; i < n_rules; i++) {
		if (jt_config_rule(cfg, rules[i].option, rules[i].text) < 0) {
			run_err("jailtrace: %s", jt_config_error(cfg));
			goto out;
		}
	}
	jt_run(cfg, argv + optind, &res);
	code = write_result(result, cfg->result_dir, &res, res.exit_code);
	if (res.status == JT_ERROR)
		fprintf(stderr, "jailtrace: %s\n", res.message);
	else if (!cfg->quiet)
		jt_result_print(&res, stderr);
	result = NULL;
out:
	if (result) {
		/* refused before the run: the result says so too */
		const char *m = run_error;

		memset(&res, 0, sizeof(res));
		res.status = JT_ERROR;
		res.exit_code = EXIT_JT;
		res.program_exit_code = -1;
		if (!strncmp(m, "jailtrace: ", 11))
			m += 11;
		snprintf(res.message, sizeof(res.message), "%.*s", (int)sizeof(res.message) - 1, m);
		write_result(result, cfg->result_dir, &res, code);
	}
	for (int i = 0; i < n_rules; i++)
		free(rules[i].text);
	jt_config_free(cfg);
	return code;
}

/*
 * Grants of a policy whose host path this host lacks: left out of the
 * view, as the built-in list's are (policies are shared between hosts),
 * but a typo looks the same, so `policy check` names each.
 */
static unsigned list_missing_grants(const struct jt_policy *p)
{
	unsigned n = 0;
	struct stat st;

	for (size_t i = 0; i < p->n_grants; i++) {
		const char *where = jt_policy_where(p, p->grants[i].rule);

		if (!strncmp(where, "default:", 8))
			continue;	/* the built-in list names what many hosts lack */
		if (lstat(p->grants[i].host, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
			continue;	/* there, or not ours to see (EACCES): not a typo */
		printf("%s: %s: not on this host (left out of the view)\n", where, p->grants[i].host);
		n++;
	}
	return n;
}

static void usage_policy(FILE *out)
{
	fprintf(out,
"usage: jailtrace policy default       print the built-in policy\n"
"       jailtrace policy check FILE    check a policy file (- reads standard input),\n"
"                                      and list the paths it grants that this host lacks\n");
}

static int cmd_policy(int argc, char **argv)
{
	struct jt_policy p;
	char err[512];

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage_policy(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "default")) {
		fputs(jt_default_policy, stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "check")) {
		unsigned missing;

		jt_policy_init(&p);
		int r = jt_policy_load(&p, argv[2], err, sizeof(err));

		if (r < 0) {
			jt_policy_free(&p);
			fprintf(stderr, "%s\n", err);
			return EXIT_JT;
		}
		missing = list_missing_grants(&p);
		jt_policy_free(&p);
		if (missing)
			printf("%s: ok; %u granted path%s not on this host\n", argv[2], missing,
			       missing == 1 ? "" : "s");
		else
			printf("%s: ok\n", argv[2]);
		return 0;
	}
	usage_policy(stderr);
	return EXIT_JT;
}

int main(int argc, char **argv)
{
#ifdef JT_STATIC
	/* A static glibc would load the NSS modules nsswitch.conf names (mdns,
	 * systemd's), built for another glibc: host names come from the lookups
	 * linked in, /etc/hosts and DNS, alone. */
	__nss_configure_lookup("hosts", "files dns");
#endif
	if (argc < 2) {
		usage(stderr);
		return EXIT_JT;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return jt_cmd_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "replay"))
		return jt_cmd_replay(argc - 1, argv + 1);
	if (!strcmp(argv[1], "learn"))
		return jt_cmd_learn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "policy"))
		return cmd_policy(argc - 1, argv + 1);
	if (!strcmp(argv[1], "serve")) {
#ifdef JT_STATIC
		fprintf(stderr, "jailtrace serve: this jailtrace is statically linked and cannot load "
			"libmicrohttpd: serve needs the dynamic build\n");
		return EXIT_JT;
#else
		return jt_cmd_serve(argc - 1, argv + 1);
#endif
	}
	if (!strcmp(argv[1], "doctor")) {
		if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			printf("usage: jailtrace doctor [--json]\n\n"
			       "What this host offers (kernel features, limits) and what jailtrace\n"
			       "will use; --json prints it as one JSON object.\n");
			return 0;
		}
		if (argc > 3 || (argc == 3 && strcmp(argv[2], "--json"))) {
			fprintf(stderr, "usage: jailtrace doctor [--json]\n");
			return EXIT_JT;
		}
		return jt_doctor(argc == 3);
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("jailtrace %s\n", JT_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "jailtrace: unknown command \"%s\" (see jailtrace --help)\n", argv[1]);
	return EXIT_JT;
}
