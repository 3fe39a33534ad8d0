/*
 * Command lines of report, replay and learn: options, files, exit status.
 * The work is in report.c, replay.c and learn.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "filters/policy.h"
#include "reports/forensics.h"
#include "reports/learn.h"
#include "reports/replay.h"
#include "reports/report.h"

#define EXIT_JT 125

static const char report_usage[] =
	"usage: jailtrace report [--summary | --format text|json | --html OUT] LOG\n"
	"       jailtrace report LOG LOG...\n"
	"Summarize a run's audit log: what ran, for whom, how long, how it ended,\n"
	"the process tree, denials by rule, limits, files and network. Given many\n"
	"logs (a job's tasks, one log each): per task how it ended, the denials\n"
	"across the tasks and in how many, and what one task alone tried.\n"
	"  --summary      one screen: how it ended, the limits reached and the denials\n"
	"                 that matter (not by design, not as natively), one line each\n"
	"  --format json  one JSON object for tools\n"
	"  --html OUT     write one self-contained HTML page to OUT (with the read and\n"
"                 write bits of the log's directory)\n";

static const char replay_usage[] =
	"usage: jailtrace replay LOG --policy FILE [--format text|json]\n"
	"Decide every recorded request again under FILE and show what would change.\n"
	"Exit status: 0 nothing the run needed would be denied; 1 something would;\n"
	"125 a bad log or policy.\n";

static const char learn_usage[] =
	"usage: jailtrace learn [--base FILE] LOG > POLICY\n"
	"Write the tightest policy under which the run gets the same decisions.\n"
	"  --base FILE    the run's policy, when the log names a file not at hand\n";

enum { O_FORMAT = 256, O_HTML, O_POLICY, O_BASE, O_HELP, O_SUMMARY };

static const struct option opts[] = {
	{ "format", required_argument, 0, O_FORMAT },
	{ "html", required_argument, 0, O_HTML },
	{ "policy", required_argument, 0, O_POLICY },
	{ "base", required_argument, 0, O_BASE },
	{ "help", no_argument, 0, O_HELP },
	{ "summary", no_argument, 0, O_SUMMARY },
	{ 0, 0, 0, 0 },
};

struct args {
	const char *format, *html, *policy, *base, *log;
	int help, summary;
	int n_logs;		/* report: LOG... from argv[first_log] */
	int first_log;
};

/* @allowed: the options this command takes, as O_* bits. @return 0 or EXIT_JT. */
static int parse(int argc, char **argv, unsigned allowed, const char *usage, struct args *a)
{
	int c, idx;

	memset(a, 0, sizeof(*a));
	a->format = "text";
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (c == 'h')
			c = O_HELP;
		if (c == '?' || (c >= O_FORMAT && !(allowed & (1u << (c - O_FORMAT))))) {
			fprintf(stderr, "jailtrace: %s \"%s\"\n%s", optopt ? "option needs a value:" : "unknown option",
				argv[optind - 1], usage);
			return EXIT_JT;
		}
		switch (c) {
		case O_FORMAT: a->format = optarg; break;
		case O_HTML: a->html = optarg; break;
		case O_POLICY: a->policy = optarg; break;
		case O_BASE: a->base = optarg; break;
		case O_HELP: a->help = 1; return 0;
		case O_SUMMARY: a->summary = 1; break;
		}
	}
	if (strcmp(a->format, "text") && strcmp(a->format, "json")) {
		fprintf(stderr, "jailtrace: --format takes text or json, not \"%s\"\n", a->format);
		return EXIT_JT;
	}
	if (optind >= argc || (optind != argc - 1 && usage != report_usage)) {
		fprintf(stderr, "jailtrace: %s\n%s", optind >= argc ? "no log given" : "one log at a time", usage);
		return EXIT_JT;
	}
	a->log = argv[optind];
	a->first_log = optind;
	a->n_logs = argc - optind;
	return 0;
}

#define BIT(o) (1u << ((o) - O_FORMAT))

static mode_t current_umask(void)
{
	mode_t m = umask(077);

	umask(m);
	return m;
}

/*
 * The page is for the people who may read the log's directory: it gets
 * that directory's read and write bits (0700: 0600, 0755: 0644) and, when
 * root writes it, the directory's owner, who could not read a root-owned
 * 0600 page in their own directory. Never through a symbolic link.
 */
static int open_page(const char *html, const char *log)
{
	const char *slash = strrchr(log, '/');
	char dir[4096];
	struct stat st;
	mode_t mode = 0600;
	int fd, have;

	snprintf(dir, sizeof(dir), "%.*s", !slash ? 1 : slash == log ? 1 : (int)(slash - log),
		 !slash ? "." : log);
	have = stat(dir, &st) == 0;
	if (have)
		mode = st.st_mode & 0666;
	fd = open(html, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (have && geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) < 0) {
		/* a page root keeps: still readable by root alone */
		mode = 0600;
	}
	fchmod(fd, mode & ~current_umask());
	return fd;
}

/* report LOG LOG...: every log read, then the job's report */
static int report_job(char **logs, int n, const struct args *a)
{
	struct jt_report *reps;
	int r = 0, code = 0;

	if (a->html || a->summary || strcmp(a->format, "text")) {
		fprintf(stderr, "jailtrace: many logs make one text report; --summary, --format json and --html "
			"take one log\n");
		return EXIT_JT;
	}
	reps = calloc(n, sizeof(*reps));
	if (!reps) {
		fprintf(stderr, "jailtrace: out of memory\n");
		return EXIT_JT;
	}
	for (int i = 0; i < n && !r; i++)
		if ((r = jt_report_load(&reps[i], logs[i])) < 0) {
			fprintf(stderr, "jailtrace: %s\n", reps[i].err);
			code = EXIT_JT;
		}
	if (!code && jt_report_job(reps, n, stdout) < 0) {
		fprintf(stderr, "jailtrace: cannot write the report\n");
		code = EXIT_JT;
	}
	for (int i = 0; i < n; i++)
		jt_report_free(&reps[i]);
	free(reps);
	return code;
}

int jt_cmd_report(int argc, char **argv)
{
	struct jt_report rep;
	struct args a;
	FILE *out = stdout;
	int r;

	if (parse(argc, argv, BIT(O_FORMAT) | BIT(O_HTML) | BIT(O_HELP) | BIT(O_SUMMARY), report_usage, &a))
		return EXIT_JT;
	if (a.help) {
		fputs(report_usage, stdout);
		return 0;
	}
	if (a.n_logs > 1)
		return report_job(argv + a.first_log, a.n_logs, &a);
	r = jt_report_load(&rep, a.log);
	if (r < 0) {
		fprintf(stderr, "jailtrace: %s\n", rep.err);
		jt_report_free(&rep);
		return EXIT_JT;
	}
	if (a.html) {
		int fd = open_page(a.html, a.log);

		out = fd < 0 ? NULL : fdopen(fd, "w");
		if (!out) {
			fprintf(stderr, "jailtrace: cannot write %s: %s\n", a.html, strerror(errno));
			if (fd >= 0)
				close(fd);
			jt_report_free(&rep);
			return EXIT_JT;
		}
		r = jt_report_html(&rep, out);
		if (fclose(out) != 0 && r == 0)
			r = -errno;
	} else if (!strcmp(a.format, "json")) {
		r = jt_report_json(&rep, out);
	} else if (a.summary) {
		r = jt_report_summary(&rep, out);
	} else {
		r = jt_report_text(&rep, out);
	}
	jt_report_free(&rep);
	if (r < 0) {
		fprintf(stderr, "jailtrace: cannot write the report: %s\n", strerror(-r));
		return EXIT_JT;
	}
	return 0;
}

int jt_cmd_replay(int argc, char **argv)
{
	struct jt_policy p;
	struct jt_logread rd;
	struct jt_replay rp;
	struct args a;
	char perr[512];
	int r, code = EXIT_JT;

	if (parse(argc, argv, BIT(O_FORMAT) | BIT(O_POLICY) | BIT(O_HELP), replay_usage, &a))
		return EXIT_JT;
	if (a.help) {
		fputs(replay_usage, stdout);
		return 0;
	}
	if (!a.policy) {
		fprintf(stderr, "jailtrace: replay needs --policy FILE\n%s", replay_usage);
		return EXIT_JT;
	}
	jt_policy_init(&p);
	if (jt_policy_load(&p, a.policy, perr, sizeof(perr)) < 0) {
		fprintf(stderr, "%s\n", perr);
		jt_policy_free(&p);
		return EXIT_JT;
	}
	if (jt_logread_open(&rd, a.log) < 0) {
		fprintf(stderr, "jailtrace: %s\n", rd.err);
		jt_policy_free(&p);
		return EXIT_JT;
	}
	r = jt_replay_read(&rp, &rd, &p);
	if (r < 0) {
		fprintf(stderr, "jailtrace: %s\n", rp.err);
	} else {
		if (rd.cut_line)
			fprintf(stderr, "jailtrace: %s\n", rd.warn);
		r = !strcmp(a.format, "json") ? jt_replay_json(&rp, a.log, a.policy, stdout)
					       : jt_replay_text(&rp, a.log, a.policy, stdout);
		if (r < 0)
			fprintf(stderr, "jailtrace: cannot write: %s\n", strerror(-r));
		else
			code = rp.newly_denied ? 1 : 0;
	}
	jt_replay_free(&rp);
	jt_logread_close(&rd);
	jt_policy_free(&p);
	return code;
}

int jt_cmd_learn(int argc, char **argv)
{
	struct jt_logread rd;
	struct args a;
	char err[1024];
	int r;

	if (parse(argc, argv, BIT(O_BASE) | BIT(O_HELP), learn_usage, &a))
		return EXIT_JT;
	if (a.help) {
		fputs(learn_usage, stdout);
		return 0;
	}
	if (jt_logread_open(&rd, a.log) < 0) {
		fprintf(stderr, "jailtrace: %s\n", rd.err);
		return EXIT_JT;
	}
	err[0] = '\0';
	r = jt_learn(&rd, a.base, stdout, stderr, err, sizeof(err));
	jt_logread_close(&rd);
	if (r < 0) {
		fprintf(stderr, "jailtrace: %s\n", err);
		return EXIT_JT;
	}
	return r;
}
