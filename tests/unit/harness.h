/*
 * A small test harness in the manner of kselftest_harness.h: each TEST runs
 * in its own forked process, so a crash fails one test, not the suite.
 * ASSERT_* ends the test, EXPECT_* records a failure and goes on.
 * SKIP(why) ends a test that cannot run on this host (a kernel feature is
 * missing, decided by a native probe).
 * The binary prints one "ok"/"FAIL"/"skip NAME: why" line per test and a
 * closing "N passed, N failed, N skipped" line; it exits 1 when anything failed.
 */
#ifndef JT_TEST_HARNESS_H
#define JT_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct jt_test {
	const char *name;
	void (*fn)(void);
};

#define JT_MAX_TESTS 512
static struct jt_test jt_tests[JT_MAX_TESTS];
static int jt_ntests;
static int jt_test_failed;
static char *jt_skip_why;	/* shared with the test's process */

#define SKIP(why)                                                         \
	do {                                                              \
		if (jt_skip_why)                                          \
			snprintf(jt_skip_why, 256, "%s", (why));          \
		exit(77);                                                 \
	} while (0)

static inline void jt_test_register(const char *name, void (*fn)(void))
{
	if (jt_ntests < JT_MAX_TESTS)
		jt_tests[jt_ntests++] = (struct jt_test){ name, fn };
}

#define TEST(name)                                                        \
	static void name(void);                                           \
	__attribute__((constructor)) static void jt_reg_##name(void)      \
	{                                                                 \
		jt_test_register(#name, name);                            \
	}                                                                 \
	static void name(void)

#define JT_CHECK(cond, fatal, fmt, ...)                                    \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__,   \
				__LINE__, __VA_ARGS__);                   \
			jt_test_failed = 1;                               \
			if (fatal)                                        \
				exit(1);                                  \
		}                                                         \
	} while (0)

#define EXPECT_TRUE(c) JT_CHECK((c), 0, "expected %s", #c)
#define ASSERT_TRUE(c) JT_CHECK((c), 1, "expected %s", #c)
#define EXPECT_EQ(a, b)                                                   \
	JT_CHECK((long long)(a) == (long long)(b), 0, "%s == %lld, expected %lld", \
		 #a, (long long)(a), (long long)(b))
#define ASSERT_EQ(a, b)                                                   \
	JT_CHECK((long long)(a) == (long long)(b), 1, "%s == %lld, expected %lld", \
		 #a, (long long)(a), (long long)(b))
#define EXPECT_STREQ(a, b)                                                \
	JT_CHECK(strcmp((a), (b)) == 0, 0, "%s == \"%s\", expected \"%s\"", \
		 #a, (a), (b))
#define ASSERT_STREQ(a, b)                                                \
	JT_CHECK(strcmp((a), (b)) == 0, 1, "%s == \"%s\", expected \"%s\"", \
		 #a, (a), (b))

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;

	jt_skip_why = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (jt_skip_why == MAP_FAILED)
		jt_skip_why = NULL;

	for (int i = 0; i < jt_ntests; i++) {
		int st;
		pid_t pid;

		if (argc > 1 && !strstr(jt_tests[i].name, argv[1]))
			continue;
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			jt_tests[i].fn();
			exit(jt_test_failed);
		}
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			printf("skip %s: %s\n", jt_tests[i].name, jt_skip_why ? jt_skip_why : "?");
			skipped++;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			printf("ok %s\n", jt_tests[i].name);
			passed++;
		} else {
			printf("FAIL %s\n", jt_tests[i].name);
			failed++;
		}
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed != 0;
}

#endif
