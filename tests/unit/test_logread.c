/* The log reader: typed records, and every malformed input an error naming its line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "reports/logread.h"
#include "reports/report.h"
#include "tests/unit/harness.h"

#define HDR "{\"type\":\"run\",\"v\":1,\"run_id\":\"ab\",\"user\":\"u\",\"uid\":1,\"gid\":1,\"argv\":[\"/bin/x\",\"a b\"],\"policy\":\"default\"}\n"
#define KILL "{\"type\":\"syscall\",\"t\":0.5,\"pid\":10,\"tid\":10,\"abi\":\"x86_64\",\"nr\":62,\"name\":\"kill\",\"raw\":[\"0x1\",\"0x9\"],\"facts\":{\"target\":\"outside\"},\"decision\":\"deny\",\"rule\":\"builtin:target-outside\",\"errno\":\"EPERM\",\"args\":[1,\"SIGKILL\"]}\n"
#define SPAWN "{\"type\":\"spawn\",\"t\":0.1,\"pid\":10,\"tgid\":10,\"parent\":9,\"kind\":\"fork\"}\n"
#define EXEC "{\"type\":\"exec\",\"t\":0.2,\"pid\":10,\"exe\":\"/bin/x\",\"argv\":[\"/bin/x\",\"a b\"]}\n"
#define EXIT "{\"type\":\"exit\",\"t\":0.9,\"pid\":10,\"tid\":10,\"exit_code\":3}\n"
#define END "{\"type\":\"end\",\"t\":1.0,\"status\":\"exited\",\"exit_code\":3,\"program_exit_code\":3,\"wall_ms\":1000,\"denials\":1,\"message\":null}\n"

static FILE *mem(const char *s)
{
	/* fmemopen of a copy: the reader may not write into it, but keep it honest */
	static char buf[1 << 16];

	snprintf(buf, sizeof(buf), "%s", s);
	return fmemopen(buf, strlen(buf), "r");
}

/* Read all of @text; @return what the last jt_logread_next said, *n records. */
static int read_all(const char *text, struct jt_logread *rd, int *n)
{
	struct jt_rec rec;
	FILE *f = mem(text);
	int r;

	jt_logread_file(rd, "run.jsonl", f);
	*n = 0;
	while ((r = jt_logread_next(rd, &rec)) > 0)
		(*n)++;
	return r;
}

TEST(a_log_reads_as_typed_records)
{
	struct jt_logread rd;
	struct jt_rec rec;
	FILE *f = mem(HDR SPAWN EXEC KILL EXIT END);

	jt_logread_file(&rd, "run.jsonl", f);
	ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
	EXPECT_EQ(rec.type, JT_REC_RUN);
	EXPECT_STREQ(rec.u.run.run_id, "ab");
	EXPECT_EQ(rec.u.run.argc, 2);
	EXPECT_STREQ(rec.u.run.argv[1], "a b");
	ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
	EXPECT_EQ(rec.type, JT_REC_SPAWN);
	EXPECT_EQ(rec.u.spawn.parent, 9);
	ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
	EXPECT_EQ(rec.type, JT_REC_EXEC);
	EXPECT_STREQ(rec.u.exec.exe, "/bin/x");
	ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
	EXPECT_EQ(rec.type, JT_REC_SYSCALL);
	EXPECT_EQ(rec.line, 4);
	EXPECT_STREQ(rec.u.sys.name, "kill");
	EXPECT_EQ(rec.u.sys.nraw, 2);
	EXPECT_EQ(rec.u.sys.raw[1], 9);
	EXPECT_EQ(rec.u.sys.target, JT_TARGET_OUTSIDE);
	EXPECT_EQ(rec.u.sys.allow, 0);
	EXPECT_STREQ(rec.u.sys.err, "EPERM");
	{
		char call[128];

		EXPECT_STREQ(jt_logread_call_text(&rec.u.sys, call, sizeof(call)), "kill(1, SIGKILL)");
	}
	ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
	EXPECT_EQ(rec.u.exit.exit_code, 3);
	ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
	EXPECT_EQ(rec.type, JT_REC_END);
	EXPECT_EQ(rec.u.end.wall_ms, 1000);
	EXPECT_EQ(jt_logread_next(&rd, &rec), 0);
	EXPECT_EQ(rd.cut_line, 0);
	jt_logread_close(&rd);
	fclose(f);
}

struct bad {
	const char *what, *text, *msg;
};

static const struct bad bad[] = {
	{ "not JSON", HDR SPAWN "{\"type\":\"exit\",\n" END, "run.jsonl:3: not JSON: " },
	{ "a line cut in the middle of the log", HDR SPAWN "{\"type\":\"syscall\",\"t\":0.5,\"pid\"\n" EXIT, "run.jsonl:3: not JSON" },
	{ "not an object", HDR "[1,2]\n", "run.jsonl:2: not a JSON object" },
	{ "no header", SPAWN, "run.jsonl:1: not a jailtrace audit log" },
	{ "empty", "", "run.jsonl: empty log" },
	{ "two headers", HDR HDR, "run.jsonl:2: a second run header" },
	{ "after the end", HDR END EXIT, "run.jsonl:3: a record after the end record" },
	{ "pid not an integer", HDR "{\"type\":\"spawn\",\"t\":1,\"pid\":\"10\",\"tgid\":10,\"parent\":9,\"kind\":\"fork\"}\n",
	  "run.jsonl:2: spawn record: \"pid\" is not an integer" },
	{ "decision missing", HDR "{\"type\":\"syscall\",\"t\":1,\"pid\":1,\"tid\":1,\"abi\":\"x86_64\",\"nr\":1,\"name\":\"write\",\"rule\":\"x\",\"errno\":null}\n",
	  "run.jsonl:2: syscall record: \"decision\" is missing" },
	{ "raw not hex", HDR "{\"type\":\"syscall\",\"t\":1,\"pid\":1,\"tid\":1,\"abi\":\"x86_64\",\"nr\":1,\"name\":\"write\",\"raw\":[\"12\"],\"decision\":\"allow\",\"rule\":\"x\",\"errno\":null}\n",
	  "run.jsonl:2: syscall record: raw[0] is not a hex string" },
	{ "deny without errno", HDR "{\"type\":\"syscall\",\"t\":1,\"pid\":1,\"tid\":1,\"abi\":\"x86_64\",\"nr\":1,\"name\":\"write\",\"decision\":\"deny\",\"rule\":\"x\",\"errno\":null}\n",
	  "run.jsonl:2: syscall record: a denial without an errno" },
	{ "duplicate key", HDR "{\"type\":\"exit\",\"type\":\"exit\",\"t\":1,\"pid\":1,\"tid\":1}\n", "run.jsonl:2: not JSON: duplicate" },
	{ "schema version 0", "{\"type\":\"run\",\"v\":0,\"run_id\":\"x\"}\n", "run.jsonl:1: run record: schema version 0" },
};

TEST(malformed_logs_are_errors_that_name_the_line)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jt_logread rd;
		int n, r = read_all(bad[i].text, &rd, &n);

		if (r != -EINVAL || strncmp(rd.err, bad[i].msg, strlen(bad[i].msg))) {
			fprintf(stderr, "  %s: got %d \"%s\", expected \"%s...\"\n", bad[i].what, r, rd.err, bad[i].msg);
			jt_test_failed = 1;
		}
		jt_logread_close(&rd);
	}
}

TEST(a_cut_last_line_ends_the_log_with_a_warning)
{
	struct jt_logread rd;
	int n, r = read_all(HDR SPAWN KILL "{\"type\":\"syscall\",\"t\":0.6,\"pid\":10,\"ti", &rd, &n);

	EXPECT_EQ(r, 0);
	EXPECT_EQ(n, 3);
	EXPECT_EQ(rd.cut_line, 4);
	EXPECT_TRUE(strstr(rd.warn, "run.jsonl:4: the last line is cut") != NULL);
	jt_logread_close(&rd);
}

TEST(a_last_line_without_newline_that_parses_is_a_record)
{
	struct jt_logread rd;
	int n, r = read_all(HDR "{\"type\":\"exit\",\"t\":1,\"pid\":1,\"tid\":1,\"exit_code\":0}", &rd, &n);

	EXPECT_EQ(r, 0);
	EXPECT_EQ(n, 2);
	EXPECT_EQ(rd.cut_line, 0);
	jt_logread_close(&rd);
}

TEST(unknown_record_types_and_fields_pass)
{
	struct jt_logread rd;
	struct jt_rec rec;
	FILE *f = mem(HDR "{\"type\":\"file\",\"t\":1,\"path\":\"/x\"}\n" "{\"type\":\"exit\",\"t\":1,\"pid\":1,\"tid\":1,\"new\":[1]}\n");

	jt_logread_file(&rd, "run.jsonl", f);
	ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
	ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
	EXPECT_EQ(rec.type, JT_REC_OTHER);
	EXPECT_STREQ(rec.type_name, "file");
	ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
	EXPECT_EQ(rec.type, JT_REC_EXIT);
	jt_logread_close(&rd);
	fclose(f);
}

TEST(surrogate_escapes_of_raw_bytes_read_as_text)
{
	char s[] = "\"a\\udc80b\\ud83d\\ude00\\\\udc81\"";
	size_t n = jt_logread_unsurrogate(s, strlen(s));

	s[n] = '\0';
	/* the lone \udc80 becomes the text \x80; a real pair and an escaped
	 * backslash followed by "udc81" stay as they are */
	EXPECT_STREQ(s, "\"a\\\\x80b\\ud83d\\ude00\\\\udc81\"");
	{
		struct jt_logread rd;
		struct jt_rec rec;
		FILE *f = mem(HDR "{\"type\":\"exec\",\"t\":1,\"pid\":1,\"exe\":\"/tmp/\\udcff\",\"argv\":[]}\n");

		jt_logread_file(&rd, "run.jsonl", f);
		ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
		ASSERT_EQ(jt_logread_next(&rd, &rec), 1);
		EXPECT_STREQ(rec.u.exec.exe, "/tmp/\\xff");
		jt_logread_close(&rd);
		fclose(f);
	}
}

TEST(an_overlong_line_is_an_error)
{
	static char big[JT_LOGREAD_LINE_MAX + 64];
	struct jt_logread rd;
	struct jt_rec rec;
	FILE *f;

	memset(big, 'x', sizeof(big) - 1);
	f = fmemopen(big, sizeof(big) - 1, "r");
	jt_logread_file(&rd, "run.jsonl", f);
	EXPECT_EQ(jt_logread_next(&rd, &rec), -EINVAL);
	EXPECT_TRUE(strstr(rd.err, "run.jsonl:1: line longer than") != NULL);
	jt_logread_close(&rd);
	fclose(f);
}

TEST(report_of_a_log_without_end_says_so)
{
	struct jt_logread rd;
	struct jt_report rep;
	FILE *f = mem(HDR SPAWN EXEC KILL KILL "{\"type\":\"syscall\",\"t\":0.7,");
	char out[256];
	int found = 0;

	jt_logread_file(&rd, "run.jsonl", f);
	ASSERT_EQ(jt_report_read(&rep, &rd), 0);
	EXPECT_TRUE(rep.end == NULL);
	EXPECT_EQ(rep.denied, 2);
	EXPECT_EQ(rep.n_rules, 1);
	EXPECT_EQ(rep.rules[0].calls[0].first.count, 2);
	EXPECT_EQ(rep.cut_line, 6);
	EXPECT_EQ(rep.n_procs, 1);
	EXPECT_TRUE(strstr(jt_report_outcome(&rep, out, sizeof(out)), "did not end cleanly") != NULL);
	for (size_t i = 0; i < rep.n_notes; i++)
		found += strstr(rep.notes[i], "no end record") != NULL;
	EXPECT_EQ(found, 1);
	jt_report_free(&rep);
	jt_logread_close(&rd);
	fclose(f);
}

TEST(report_writers_do_not_fail)
{
	struct jt_logread rd;
	struct jt_report rep;
	FILE *f = mem(HDR SPAWN EXEC KILL EXIT END), *out = fopen("/dev/null", "w");

	ASSERT_TRUE(out != NULL);
	jt_logread_file(&rd, "run.jsonl", f);
	ASSERT_EQ(jt_report_read(&rep, &rd), 0);
	EXPECT_EQ(jt_report_text(&rep, out), 0);
	EXPECT_EQ(jt_report_json(&rep, out), 0);
	EXPECT_EQ(jt_report_html(&rep, out), 0);
	jt_report_free(&rep);
	jt_logread_close(&rd);
	fclose(f);
	fclose(out);
}
