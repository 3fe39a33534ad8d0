/* Replay and learn: requests rebuilt from records and decided by jt_decide itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filters/policy.h"
#include "reports/learn.h"
#include "reports/replay.h"
#include "tests/unit/harness.h"

#define HDR "{\"type\":\"run\",\"v\":1,\"run_id\":\"ab\",\"policy\":\"default\",\"limits\":{\"timeout\":10000,\"memory\":536870912}}\n"
#define SPAWN "{\"type\":\"spawn\",\"t\":0.1,\"pid\":10,\"tgid\":10,\"parent\":9,\"kind\":\"fork\"}\n"
#define EXEC1 "{\"type\":\"syscall\",\"t\":0.2,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":59,\"name\":\"execve\",\"raw\":[\"0x1\",\"0x2\",\"0x3\"],\"facts\":{\"first_exec\":true},\"decision\":\"allow\",\"rule\":\"default:79\",\"errno\":null}\n"
#define KILL "{\"type\":\"syscall\",\"t\":0.5,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":62,\"name\":\"kill\",\"raw\":[\"0x1\",\"0x9\"],\"facts\":{\"target\":\"outside\"},\"decision\":\"deny\",\"rule\":\"builtin:target-outside\",\"errno\":\"EPERM\"}\n"
#define SYSLOG "{\"type\":\"syscall\",\"t\":0.6,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":103,\"name\":\"syslog\",\"raw\":[\"0xa\",\"0x0\",\"0x0\"],\"decision\":\"deny\",\"rule\":\"default-deny\",\"errno\":\"ENOSYS\"}\n"
/* a call through an ABI that is never handled (x32 getpid) */
#define X32 "{\"type\":\"syscall\",\"t\":0.7,\"pid\":10,\"tid\":10,\"abi\":\"x32\",\"nr\":1073741863,\"name\":\"getpid\",\"raw\":[\"0x0\",\"0x0\",\"0x0\",\"0x0\",\"0x0\",\"0x0\"],\"decision\":\"deny\",\"rule\":\"builtin:abi-not-handled\",\"errno\":\"ENOSYS\"}\n"
#define END "{\"type\":\"end\",\"t\":1.0,\"status\":\"exited\",\"exit_code\":0}\n"

static char buf[1 << 16];

static FILE *mem(const char *s)
{
	snprintf(buf, sizeof(buf), "%s", s);
	return fmemopen(buf, strlen(buf), "r");
}

static void load(struct jt_policy *p, const char *text)
{
	char err[256];

	jt_policy_init(p);
	if (jt_policy_parse(p, "test", text, err, sizeof(err)) < 0) {
		fprintf(stderr, "  policy: %s\n", err);
		exit(1);
	}
}

TEST(requests_rebuilt_from_records_decide_as_recorded)
{
	struct jt_logread rd;
	struct jt_rec rec;
	struct jt_policy p;
	FILE *f = mem(HDR SPAWN EXEC1 KILL SYSLOG X32 END);
	int n = 0;

	load(&p, "include default\n");
	jt_logread_file(&rd, "run.jsonl", f);
	while (jt_logread_next(&rd, &rec) > 0) {
		struct jt_request rq;
		struct jt_verdict v;
		char why[128];

		if (rec.type != JT_REC_SYSCALL)
			continue;
		ASSERT_EQ(jt_request_from_rec(&rec.u.sys, &rq, why, sizeof(why)), 0);
		jt_decide(&p, &rq, &v);
		if (!jt_verdict_matches(&rec.u.sys, &v)) {
			fprintf(stderr, "  line %lu: %s decided %d/%d\n", rec.line, rec.u.sys.name, v.allow, v.err);
			jt_test_failed = 1;
		}
		n++;
	}
	EXPECT_EQ(n, 4);
	jt_logread_close(&rd);
	jt_policy_free(&p);
	fclose(f);
}

TEST(a_record_without_raw_arguments_cannot_be_replayed)
{
	struct jt_rec_syscall s = { .name = "kill", .abi = "x86_64", .nraw = -1 };
	struct jt_request rq;
	char why[128];

	EXPECT_EQ(jt_request_from_rec(&s, &rq, why, sizeof(why)), -EINVAL);
	EXPECT_TRUE(strstr(why, "raw") != NULL);
	s.nraw = 0;
	s.name = "no_such_call";
	EXPECT_EQ(jt_request_from_rec(&s, &rq, why, sizeof(why)), -EINVAL);
}

static int replay(const char *log, const char *policy, struct jt_replay *r)
{
	struct jt_logread rd;
	struct jt_policy p;
	FILE *f = mem(log);
	int e;

	load(&p, policy);
	jt_logread_file(&rd, "run.jsonl", f);
	e = jt_replay_read(r, &rd, &p);
	jt_logread_close(&rd);
	jt_policy_free(&p);
	fclose(f);
	return e;
}

TEST(replay_counts_what_changes)
{
	struct jt_replay r;

	ASSERT_EQ(replay(HDR SPAWN EXEC1 KILL SYSLOG END, "include default\n", &r), 0);
	EXPECT_EQ(r.total, 3);
	EXPECT_EQ(r.same, 3);
	jt_replay_free(&r);

	/* looser: syslog allowed, kill no longer named (ENOSYS instead of EPERM) */
	ASSERT_EQ(replay(HDR SPAWN EXEC1 KILL SYSLOG END, "include default\nallow syslog\ndeny kill EPERM\n", &r), 0);
	EXPECT_EQ(r.newly_allowed, 1);
	EXPECT_EQ(r.newly_denied, 0);
	EXPECT_EQ(r.same, 2);		/* kill: denied EPERM both times, now in the kernel */
	jt_replay_free(&r);

	/* stricter: no execve at all */
	ASSERT_EQ(replay(HDR SPAWN EXEC1 KILL SYSLOG END, "include default\ndeny execve EACCES\n", &r), 0);
	EXPECT_EQ(r.newly_denied, 1);
	ASSERT_EQ(r.n_changes, 1);
	EXPECT_STREQ(r.changes[0].name, "execve");
	EXPECT_EQ(r.changes[0].now_err, EACCES);
	EXPECT_EQ(r.changes[0].now_quiet, 1);
	jt_replay_free(&r);

	/* another errno */
	ASSERT_EQ(replay(HDR SPAWN EXEC1 SYSLOG END, "include default\ndeny syslog EPERM\n", &r), 0);
	EXPECT_EQ(r.other_errno, 1);
	jt_replay_free(&r);
}

/* path calls of the view: the inside path the tracer resolved, in facts.path */
#define OPEN_CACHE "{\"type\":\"syscall\",\"t\":0.3,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":257,\"name\":\"openat\",\"raw\":[\"0xffffff9c\",\"0x7f00\",\"0x80000\",\"0x0\"],\"facts\":{\"path\":\"/etc/ld.so.cache\"},\"decision\":\"allow\",\"rule\":\"default:110\",\"errno\":null}\n"
#define OPEN_SHADOW "{\"type\":\"syscall\",\"t\":0.4,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":257,\"name\":\"openat\",\"raw\":[\"0xffffff9c\",\"0x7f00\",\"0x0\",\"0x0\"],\"facts\":{\"path\":\"/etc/shadow\"},\"decision\":\"deny\",\"rule\":\"builtin:not-in-view\",\"errno\":\"ENOENT\"}\n"
#define WRITE_WORK "{\"type\":\"syscall\",\"t\":0.45,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":257,\"name\":\"openat\",\"raw\":[\"0xffffff9c\",\"0x7f00\",\"0x241\",\"0x1b6\"],\"facts\":{\"path\":\"/work/out.txt\"},\"decision\":\"allow\",\"rule\":\"default-deny\",\"errno\":null}\n"
#define WRITE_USR "{\"type\":\"syscall\",\"t\":0.46,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":87,\"name\":\"unlink\",\"raw\":[\"0x7f00\"],\"facts\":{\"path\":\"/usr/bin/ls\"},\"decision\":\"deny\",\"rule\":\"default:103\",\"errno\":\"EROFS\"}\n"
/* outside the view, asked relative to a cwd the record does not hold */
#define OPEN_REL "{\"type\":\"syscall\",\"t\":0.47,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":257,\"name\":\"openat\",\"raw\":[\"0xffffff9c\",\"0x7f00\",\"0x0\",\"0x0\"],\"facts\":{\"path\":\"../x\"},\"decision\":\"deny\",\"rule\":\"builtin:not-in-view\",\"errno\":\"ENOENT\"}\n"

TEST(path_facts_follow_the_longest_grant_and_the_jail)
{
	struct jt_policy p;
	struct jt_path_facts f;

	load(&p, "ro /usr\nrw /usr/local\nro /etc/ssl\n");
	jt_path_facts_of(&p, "/usr/bin/ls", &f);
	EXPECT_EQ(f.in_view, 1);
	EXPECT_EQ(f.writable, 0);
	EXPECT_EQ(f.rule, p.grants[0].rule);
	jt_path_facts_of(&p, "/usr/local/bin/x", &f);
	EXPECT_EQ(f.writable, 1);
	EXPECT_EQ(f.rule, p.grants[1].rule);
	jt_path_facts_of(&p, "/usrx", &f);
	EXPECT_EQ(f.in_view, 0);
	jt_path_facts_of(&p, "/etc", &f);	/* leads to /etc/ssl: a synthetic directory */
	EXPECT_EQ(f.in_view, 1);
	EXPECT_EQ(f.writable, 0);
	EXPECT_EQ(f.rule, -1);
	jt_path_facts_of(&p, "/etc/shadow", &f);
	EXPECT_EQ(f.in_view, 0);
	jt_path_facts_of(&p, "/home/sandbox/.cache/x", &f);
	EXPECT_EQ(f.in_view, 1);
	EXPECT_EQ(f.writable, 1);
	jt_path_facts_of(&p, "/etc/passwd", &f);	/* jailtrace's own */
	EXPECT_EQ(f.in_view, 1);
	EXPECT_EQ(f.writable, 0);
	jt_policy_free(&p);
}

/* a directory that only leads to grants is allowed by one of them, named */
TEST(view_directories_name_what_put_them_in_the_view)
{
	struct jt_policy p;
	struct jt_path_facts f;
	struct jt_verdict v;
	char rb[64];

	load(&p, "ro /usr/lib\nro /proc/cpuinfo\n");
	ASSERT_EQ(jt_policy_grant(&p, "/usr/share", 0, "--ro"), 0);
	/* a command-line grant first: any policy keeps it in the view */
	jt_path_facts_of(&p, "/usr", &f);
	EXPECT_EQ(f.in_view, 1);
	EXPECT_STREQ(jt_policy_where(&p, f.rule), "--ro");
	jt_path_facts_of(&p, "/proc", &f);
	EXPECT_EQ(f.in_view, 1);
	EXPECT_EQ(f.rule, p.grants[1].rule);
	jt_decide_path(&p, JT_PATH_LOOKUP, &f, &v);
	EXPECT_STREQ(jt_verdict_rule(&p, &v, rb, sizeof(rb)), "test:2");
	/* the jail and jailtrace's own files lead to every view's directories */
	jt_path_facts_of(&p, "/etc", &f);
	EXPECT_EQ(f.rule, -1);
	jt_decide_path(&p, JT_PATH_LOOKUP, &f, &v);
	EXPECT_EQ(v.allow, 1);
	EXPECT_STREQ(jt_verdict_rule(&p, &v, rb, sizeof(rb)), "builtin:view-dir");
	jt_path_facts_of(&p, "/tmp/x", &f);
	jt_decide_path(&p, JT_PATH_WRITE, &f, &v);
	EXPECT_STREQ(jt_verdict_rule(&p, &v, rb, sizeof(rb)), "builtin:jail");
	/* no grant under /sys: not there */
	jt_path_facts_of(&p, "/sys", &f);
	EXPECT_EQ(f.in_view, 0);
	jt_policy_free(&p);
}

/* /proc/PID of the run goes as it went while the view has /proc, else not */
TEST(proc_of_the_run_needs_a_grant_under_proc)
{
	struct jt_policy with, without;
	struct jt_rec_syscall s;
	struct jt_request rq;
	struct jt_verdict v;

	load(&with, "allow openat\nro /usr\nro /proc/cpuinfo\n");
	load(&without, "allow openat\nro /usr\n");
	memset(&s, 0, sizeof(s));
	s.path = "/proc/4242/fd";
	s.rule = "builtin:proc-of-run";
	s.allow = 1;
	memset(&rq, 0, sizeof(rq));
	rq.abi = jt_abi_by_name("x86_64");
	rq.sys = JT_SYS_openat;
	rq.args[2] = 0x10000;	/* O_DIRECTORY */
	EXPECT_EQ(jt_redecide_path(&with, &s, &rq, &v), 0);
	EXPECT_EQ(jt_redecide_path(&without, &s, &rq, &v), 1);
	EXPECT_EQ(v.allow, 0);
	EXPECT_EQ(v.err, ENOENT);
	jt_policy_free(&with);
	jt_policy_free(&without);
}

TEST(replay_decides_path_calls_against_the_new_view)
{
	struct jt_replay r;
	char *nocache, *at;

	/* the built-in default without its grant of /etc/ld.so.cache */
	nocache = strdup(jt_default_policy);
	ASSERT_EQ(nocache != NULL, 1);
	at = strstr(nocache, "\nro /etc/ld.so.cache\n");
	ASSERT_EQ(at != NULL, 1);
	memcpy(at + 1, "#", 1);

	/* the same policy: nothing changes, the denials of the view included */
	ASSERT_EQ(replay(HDR SPAWN EXEC1 OPEN_CACHE OPEN_SHADOW WRITE_WORK WRITE_USR END,
			 "include default\n", &r), 0);
	EXPECT_EQ(r.total, 5);
	EXPECT_EQ(r.same, 5);
	EXPECT_EQ(r.transport_denials, 0);
	jt_replay_free(&r);

	/* a grant the run used dropped: newly denied, not in the view */
	ASSERT_EQ(replay(HDR SPAWN EXEC1 OPEN_CACHE OPEN_SHADOW WRITE_WORK END, nocache, &r), 0);
	EXPECT_EQ(r.newly_denied, 1);
	ASSERT_EQ(r.n_changes, 1);
	EXPECT_STREQ(r.changes[0].name, "openat");
	EXPECT_STREQ(r.changes[0].was_rule, "default:110");
	EXPECT_STREQ(r.changes[0].now_rule, "builtin:not-in-view");
	EXPECT_EQ(r.changes[0].now_err, ENOENT);
	jt_replay_free(&r);

	/* a grant of what the run was denied: newly allowed, by that line */
	ASSERT_EQ(replay(HDR SPAWN EXEC1 OPEN_CACHE OPEN_SHADOW END, "include default\nro /etc/shadow\n", &r), 0);
	EXPECT_EQ(r.newly_allowed, 1);
	EXPECT_EQ(r.newly_denied, 0);
	ASSERT_EQ(r.n_changes, 1);
	EXPECT_STREQ(r.changes[0].now_rule, "test:2");
	jt_replay_free(&r);

	/* a read-only grant under the jail: the write there is newly denied (EROFS);
	 * /usr made writable: the unlink refused EROFS is newly allowed */
	ASSERT_EQ(replay(HDR SPAWN EXEC1 WRITE_WORK WRITE_USR END, "include default\nro /usr/bin/ls:/work/out.txt\nrw /usr\n", &r), 0);
	EXPECT_EQ(r.newly_denied, 1);
	EXPECT_EQ(r.newly_allowed, 1);
	for (size_t i = 0; i < r.n_changes; i++)
		if (r.changes[i].kind == JT_NEWLY_DENIED)
			EXPECT_EQ(r.changes[i].now_err, EROFS);
	jt_replay_free(&r);

	/* a relative path outside the view: not placed, counted */
	ASSERT_EQ(replay(HDR SPAWN EXEC1 OPEN_REL END, "include default\n", &r), 0);
	EXPECT_EQ(r.transport_denials, 1);
	jt_replay_free(&r);
	free(nocache);
}

static char *learn(const char *log, int *ret)
{
	struct jt_logread rd;
	FILE *f = mem(log), *warn = fopen("/dev/null", "w");
	char *text = NULL, err[512];
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	jt_logread_file(&rd, "run.jsonl", f);
	*ret = jt_learn(&rd, NULL, out, warn, err, sizeof(err));
	if (*ret < 0)
		fprintf(stderr, "  learn: %s\n", err);
	fclose(out);
	fclose(warn);
	jt_logread_close(&rd);
	fclose(f);
	return text;
}

TEST(learn_keeps_the_run_and_closes_what_it_did_not_use)
{
	int r;
	char *text = learn(HDR SPAWN EXEC1 KILL SYSLOG X32 END, &r);
	struct jt_policy p;
	struct jt_replay rp;

	ASSERT_EQ(r, 0);
	EXPECT_TRUE(strstr(text, "\nprocess fork deny") != NULL);
	EXPECT_TRUE(strstr(text, "\nprocess thread deny") != NULL);
	EXPECT_TRUE(strstr(text, "\nprocess exec deny") != NULL);
	EXPECT_TRUE(strstr(text, "\nallow kill ") != NULL);	/* its check denied it: stays */
	EXPECT_TRUE(strstr(text, "tgkill") != NULL);		/* named as left out */
	EXPECT_TRUE(strstr(text, "\nlimit timeout 10s\n") != NULL);
	EXPECT_TRUE(strstr(text, "\nlimit memory 512M\n") != NULL);
	EXPECT_TRUE(strstr(text, "include") == NULL);
	load(&p, text);
	EXPECT_EQ(p.may_fork, 0);
	EXPECT_EQ(p.action[JT_SYS_tgkill], JT_UNLISTED);
	EXPECT_EQ(p.action[JT_SYS_read], JT_ALLOW);		/* in the kernel: may have been used */
	EXPECT_EQ(p.action[JT_SYS_clone3], JT_DENY);
	EXPECT_EQ(p.err[JT_SYS_clone3], ENOSYS);
	EXPECT_EQ(p.action[JT_SYS_syslog], JT_UNLISTED);
	jt_policy_free(&p);
	/* and it decides the run as it was decided */
	ASSERT_EQ(replay(HDR SPAWN EXEC1 KILL SYSLOG X32 END, text, &rp), 0);
	EXPECT_EQ(rp.same, rp.total);
	jt_replay_free(&rp);
	free(text);
}

TEST(learn_from_a_full_audit_allows_only_what_ran)
{
	const char *log =
		"{\"type\":\"run\",\"v\":1,\"run_id\":\"ab\",\"policy\":\"default\",\"mechanism\":{\"stops\":\"every_call\"}}\n"
		SPAWN
		"{\"type\":\"call\",\"t\":0.2,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":59,\"name\":\"execve\",\"raw\":[\"0x1\",\"0x2\",\"0x3\"],\"facts\":{\"first_exec\":true},\"decision\":\"allow\",\"rule\":\"default:79\",\"errno\":null,\"result\":0}\n"
		"{\"type\":\"call\",\"t\":0.3,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":1,\"name\":\"write\",\"raw\":[\"0x1\",\"0x2\",\"0x3\"],\"decision\":\"allow\",\"rule\":\"default:11\",\"errno\":null,\"result\":3}\n"
		"{\"type\":\"call\",\"t\":0.4,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":435,\"name\":\"clone3\",\"raw\":[\"0x1\",\"0x58\"],\"decision\":\"deny\",\"rule\":\"default:101\",\"errno\":\"ENOSYS\",\"result\":-38,\"result_errno\":\"ENOSYS\"}\n"
		"{\"type\":\"call\",\"t\":0.5,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":231,\"name\":\"exit_group\",\"raw\":[\"0x0\"],\"decision\":\"allow\",\"rule\":\"default:50\",\"errno\":null,\"result\":null}\n"
		END;
	int r;
	char *text = learn(log, &r);
	struct jt_policy p;

	ASSERT_EQ(r, 0);
	load(&p, text);
	EXPECT_EQ(p.action[JT_SYS_write], JT_ALLOW);
	EXPECT_EQ(p.action[JT_SYS_exit_group], JT_ALLOW);
	EXPECT_EQ(p.action[JT_SYS_read], JT_UNLISTED);	/* never made */
	EXPECT_EQ(p.action[JT_SYS_clone3], JT_DENY);
	EXPECT_EQ(p.err[JT_SYS_clone3], ENOSYS);
	EXPECT_EQ(p.n_ioctls, 0);
	jt_policy_free(&p);
	free(text);
}
