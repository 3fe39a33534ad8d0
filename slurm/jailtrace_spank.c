/*
 * jailtrace.so: a Slurm SPANK plugin that runs every task of a step under
 * `jailtrace run` (docs/slurm.md).
 *
 * The mechanism, in the task's own process (forked by slurmstepd, already
 * in the step's process tracking container, its stdio connected):
 * - slurm_spank_task_init_privileged, as root before Slurm drops to the
 *   job's user: checks the log directory (root's, no one else may write),
 *   opens the task's audit log there (root's, 0600, made fresh, never
 *   through a link) without close-on-exec, and makes the user's directory
 *   of jails, <datadir>/jails/<user>, theirs;
 * - slurm_spank_task_init, as the job's user just before Slurm would exec
 *   the task: execs `jailtrace run --log-fd N --jail JAIL --ephemeral ...
 *   -- ARGV` in its place. slurmstepd waits for the task's pid as before,
 *   so the task's exit status is jailtrace's, which is the program's
 *   (124/137 for a limit, 125 for jailtrace's own error, each with one line
 *   on the task's stderr).
 * SPANK 22.05 has no spank_set_item(S_JOB_ARGV), and the argv array it
 * hands out is not the plugin's to grow: the exec is the way to wrap. An
 * exec in the privileged hook is not: slurmstepd has not yet put the task
 * in its process group nor connected its stdio then.
 *
 * plugstack.conf arguments: enforce, policy=FILE, logdir=DIR, datadir=DIR,
 * jailtrace=PATH. Options: --jailtrace[=POLICY], --jailtrace-keep=PATH.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

SPANK_PLUGIN(jailtrace, 1);

#ifndef JT_BIN
#define JT_BIN "/usr/local/bin/jailtrace"
#endif

#define MAX_ARGS 4096		/* the task's argv and ours: more is refused */
#define MAX_ENV 256		/* SLURM_* variables passed in: more are left out */

static struct {
	int enforce;
	char policy[PATH_MAX];		/* the site's policy; "" the built-in one */
	char logdir[PATH_MAX];
	char datadir[PATH_MAX];
	char bin[PATH_MAX];
	int asked;			/* --jailtrace given */
	char user_policy[PATH_MAX];	/* --jailtrace=POLICY */
	char keep[PATH_MAX];		/* --jailtrace-keep=PATH */
} cf = { .logdir = "/var/log/jailtrace", .datadir = "/var/lib/jailtrace", .bin = JT_BIN };

static int opt_jailtrace(int val, const char *optarg, int remote)
{
	cf.asked = 1;
	if (optarg && optarg[0] &&
	    snprintf(cf.user_policy, sizeof(cf.user_policy), "%s", optarg) >= (int)sizeof(cf.user_policy))
		return -1;
	return 0;
}

static int opt_keep(int val, const char *optarg, int remote)
{
	if (!optarg || optarg[0] != '/' ||
	    snprintf(cf.keep, sizeof(cf.keep), "%s", optarg) >= (int)sizeof(cf.keep)) {
		slurm_error("jailtrace: --jailtrace-keep needs an absolute path inside the sandbox (e.g. /work)");
		return -1;
	}
	cf.asked = 1;
	return 0;
}

struct spank_option spank_options[] = {
	{ "jailtrace", "[POLICY]",
	  "Run every task under jailtrace (POLICY: a policy file; default: the site's)", 2, 0, opt_jailtrace },
	{ "jailtrace-keep", "PATH",
	  "Keep each task's jail after the task (PATH: what the job wants, e.g. /work/out)", 1, 0, opt_keep },
	SPANK_OPTIONS_TABLE_END
};

static int set_path(char *dst, const char *arg, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(arg, key, n) || arg[n] != '=')
		return 0;
	if (arg[n + 1] != '/' || snprintf(dst, PATH_MAX, "%s", arg + n + 1) >= PATH_MAX) {
		slurm_error("jailtrace: plugstack.conf: %s needs an absolute path", key);
		return -1;
	}
	return 1;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	/* sbatch and salloc load no plugin's static table: registered here */
	if (spank_context() == S_CTX_ALLOCATOR)
		for (struct spank_option *o = spank_options; o->name; o++)
			if (spank_option_register(sp, o) != ESPANK_SUCCESS)
				return -1;
	for (int i = 0; i < ac; i++) {
		int r = 0;

		if (!strcmp(av[i], "enforce")) {
			cf.enforce = 1;
			continue;
		}
		if ((r = set_path(cf.policy, av[i], "policy")) ||
		    (r = set_path(cf.logdir, av[i], "logdir")) ||
		    (r = set_path(cf.datadir, av[i], "datadir")) ||
		    (r = set_path(cf.bin, av[i], "jailtrace"))) {
			if (r < 0)
				return -1;
			continue;
		}
		slurm_error("jailtrace: plugstack.conf: unknown argument \"%s\" "
			    "(enforce, policy=, logdir=, datadir=, jailtrace=)", av[i]);
		return -1;
	}
	return 0;
}

/* One line on the task's stderr, and the task ends with jailtrace's own status. */
static void refuse(const char *fmt, ...)
{
	char line[PATH_MAX + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(2, line, n) < 0)
		_exit(125);
	_exit(125);
}

/* A directory of root's no one else may write, made if missing. */
static void root_dir(const char *path, mode_t mode, const char *what)
{
	struct stat st;

	if (mkdir(path, mode) < 0 && errno != EEXIST)
		refuse("jailtrace: cannot make the %s %s: %s", what, path, strerror(errno));
	if (lstat(path, &st) < 0)
		refuse("jailtrace: the %s %s: %s", what, path, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		refuse("jailtrace: the %s %s is not a directory of root's that only root may write", what, path);
}

static void add(char **av, int *n, const char *s)
{
	if (*n >= MAX_ARGS - 1)
		refuse("jailtrace: the task's command line and jailtrace's options come to more than %d words",
		       MAX_ARGS - 1);
	av[(*n)++] = (char *)s;
	av[*n] = NULL;
}

static char *fmt(const char *f, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		refuse("jailtrace: out of memory");
	va_end(ap);
	return s;
}

/* "0", "1", ...; "batch" for the batch script's step, "extern" for the extern one */
static const char *step_name(uint32_t step)
{
	static char buf[16];

	if (step == SLURM_BATCH_SCRIPT)
		return "batch";
	if (step == SLURM_EXTERN_CONT)
		return "extern";
	snprintf(buf, sizeof(buf), "%u", step);
	return buf;
}

static int log_fd = -1;		/* the task's log, opened as root */
static char jail[PATH_MAX];

struct task { uid_t uid; gid_t gid; uint32_t job, step, task; struct passwd pw; char buf[4096]; };

static void learn(spank_t sp, struct task *t)
{
	struct passwd *pwp = NULL;

	if (spank_get_item(sp, S_JOB_UID, &t->uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &t->gid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ID, &t->job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &t->step) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_TASK_GLOBAL_ID, &t->task) != ESPANK_SUCCESS)
		refuse("jailtrace: cannot learn the task from Slurm");
	if (getpwuid_r(t->uid, &t->pw, t->buf, sizeof(t->buf), &pwp) != 0 || !pwp)
		refuse("jailtrace: uid %u has no passwd entry", (unsigned)t->uid);
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	struct task t;
	char *dir, *log;
	struct stat st;

	if (!spank_remote(sp) || !(cf.enforce || cf.asked))
		return 0;
	learn(sp, &t);
	root_dir(cf.logdir, 0700, "log directory");
	log = fmt("%s/%u.%s.%u.jsonl", cf.logdir, t.job, step_name(t.step), t.task);
	/* a log of this name from before (a requeued job) is kept, not reused */
	if (lstat(log, &st) == 0) {
		char *old = fmt("%s.%ld", log, (long)st.st_mtime);

		if (rename(log, old) < 0)
			refuse("jailtrace: cannot move the old log %s aside: %s", log, strerror(errno));
		free(old);
	}
	log_fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600);
	if (log_fd < 0)
		refuse("jailtrace: cannot make the task's log %s: %s", log, strerror(errno));
	free(log);
	root_dir(cf.datadir, 0755, "data directory");
	dir = fmt("%s/jails", cf.datadir);
	root_dir(dir, 0755, "jail directory");
	free(dir);
	/* the user's own: their tasks make and remove their jails in it */
	dir = fmt("%s/jails/%s", cf.datadir, t.pw.pw_name);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		refuse("jailtrace: cannot make %s: %s", dir, strerror(errno));
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != t.uid && (st.st_uid != 0 || chown(dir, t.uid, t.gid) < 0)))
		refuse("jailtrace: %s is not a directory of %s's", dir, t.pw.pw_name);
	snprintf(jail, sizeof(jail), "%s/%u.%s.%u", dir, t.job, step_name(t.step), t.task);
	free(dir);
	return 0;
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	static char *args[MAX_ARGS], *env[MAX_ENV + 4];
	int argc = 0, n = 0, ne = 0;
	char **argv = NULL, **jobenv = NULL;
	struct task t;

	if (!spank_remote(sp) || !(cf.enforce || cf.asked))
		return 0;
	learn(sp, &t);
	if (log_fd < 0 || !jail[0])
		refuse("jailtrace: the task's log was not opened before Slurm dropped privileges");
	if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ENV, &jobenv) != ESPANK_SUCCESS || argc < 1)
		refuse("jailtrace: cannot learn the task's command from Slurm");

	add(args, &n, "jailtrace");
	add(args, &n, "run");
	add(args, &n, "--log-fd");
	add(args, &n, fmt("%d", log_fd));
	add(args, &n, "--jail");
	add(args, &n, jail);
	if (!cf.keep[0])
		add(args, &n, "--ephemeral");
	/* Slurm's own limits govern a batch task's time; jailtrace's others stay */
	add(args, &n, "--timeout");
	add(args, &n, "0");
	add(args, &n, "--cpu");
	add(args, &n, "0");
	/* a batch step's argv[0] is the job's script in slurmd's spool: that one file */
	if (t.step == SLURM_BATCH_SCRIPT && argv[0][0] == '/') {
		add(args, &n, "--ro");
		add(args, &n, argv[0]);
	}
	if (cf.user_policy[0] && (!cf.enforce || strcmp(cf.user_policy, cf.policy))) {
		add(args, &n, "--policy");	/* read by jailtrace as the user */
		add(args, &n, cf.user_policy);
		/* enforced: jailtrace runs the job's policy only if it is within
		 * the site's, checked in the process that then applies it (else
		 * 125 with one line naming the job's line that widens) */
		if (cf.enforce) {
			add(args, &n, "--within");
			add(args, &n, cf.policy[0] ? cf.policy : "default");
		}
	} else if (cf.policy[0]) {
		add(args, &n, "--policy");
		add(args, &n, cf.policy);
	}
	/* the task's Slurm variables (rank, size, ids), and nothing else of the
	 * job's environment: what the user exported stays outside, and no
	 * JAILTRACE_* variable of theirs reaches jailtrace */
	env[ne++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	for (char **e = jobenv; e && *e && ne < MAX_ENV; e++) {
		char *eq = strchr(*e, '=');

		if (strncmp(*e, "SLURM_", 6) || !eq || !strncmp(*e, "SLURM_SPANK", 11))
			continue;
		env[ne++] = *e;
		add(args, &n, "--env");
		add(args, &n, fmt("%.*s", (int)(eq - *e), *e));
	}
	env[ne] = NULL;
	add(args, &n, "--");
	for (int i = 0; i < argc; i++)
		add(args, &n, argv[i]);
	if (cf.keep[0])
		dprintf(2, "jailtrace: task %u keeps its jail (%s) at %s: /work is its work, /tmp its tmp, "
			"/home/sandbox its home\n", t.task, cf.keep, jail);
	execve(cf.bin, args, env);
	refuse("jailtrace: cannot run %s: %s", cf.bin, strerror(errno));
	return -1;
}
