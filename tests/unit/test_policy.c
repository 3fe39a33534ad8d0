/* The policy language: what each directive does, and the errors it gives. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "filters/policy.h"
#include "compat/names.h"
#include "tests/unit/harness.h"

static struct jt_policy p;
static char err[512];

static void free_policy(void)
{
	jt_policy_free(&p);
}

__attribute__((constructor)) static void at_exit_free(void)
{
	atexit(free_policy);
}

static int parse(const char *text)
{
	jt_policy_free(&p);
	jt_policy_init(&p);
	return jt_policy_parse(&p, "t.policy", text, err, sizeof(err));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ASSERT_TRUE(f != NULL);
	fputs(text, f);
	fclose(f);
}

TEST(default_policy_parses)
{
	jt_policy_init(&p);
	ASSERT_EQ(jt_policy_default(&p, err, sizeof(err)), 0);
	EXPECT_EQ(p.action[JT_SYS_read], JT_ALLOW);
	EXPECT_EQ(p.action[JT_SYS_ptrace], JT_DENY);
	EXPECT_EQ(p.err[JT_SYS_clone3], ENOSYS);
	EXPECT_EQ(p.action[JT_SYS_syslog], JT_UNLISTED);
}

TEST(empty_policy_lists_nothing)
{
	ASSERT_EQ(parse("# nothing\n\n   \n"), 0);
	for (int i = 0; i < JT_SYS_COUNT; i++)
		ASSERT_EQ(p.action[i], JT_UNLISTED);
}

TEST(unknown_directive_names_file_line_and_word)
{
	EXPECT_EQ(parse("allow read\n\nnett connect x\n"), -EINVAL);
	EXPECT_STREQ(err, "t.policy:3: unknown directive \"nett\"");
}

TEST(unknown_syscall_is_an_error)
{
	EXPECT_EQ(parse("allow read frobnicate\n"), -EINVAL);
	EXPECT_STREQ(err, "t.policy:1: unknown syscall \"frobnicate\"");
}

TEST(deny_takes_an_errno_name)
{
	ASSERT_EQ(parse("deny ptrace bpf EACCES\ndeny mount\n"), 0);
	EXPECT_EQ(p.action[JT_SYS_ptrace], JT_DENY);
	EXPECT_EQ(p.err[JT_SYS_bpf], EACCES);
	EXPECT_EQ(p.err[JT_SYS_mount], EPERM);
	EXPECT_EQ(parse("deny ptrace EBOGUS\n"), -EINVAL);
	EXPECT_STREQ(err, "t.policy:1: unknown errno \"EBOGUS\"");
}

TEST(allow_takes_no_errno)
{
	EXPECT_EQ(parse("allow read EPERM\n"), -EINVAL);
}

TEST(later_rule_overrides_earlier_and_names_its_line)
{
	ASSERT_EQ(parse("allow kill\ndeny kill\n"), 0);
	EXPECT_EQ(p.action[JT_SYS_kill], JT_DENY);
	EXPECT_STREQ(jt_policy_where(&p, p.rule[JT_SYS_kill]), "t.policy:2");
	EXPECT_STREQ(jt_policy_where(&p, p.rule[JT_SYS_read]), "default-deny");
}

TEST(comments_may_follow_rules)
{
	ASSERT_EQ(parse("allow read # and nothing else\nallow write#x\n"), 0);
	EXPECT_EQ(p.action[JT_SYS_read], JT_ALLOW);
	EXPECT_EQ(p.action[JT_SYS_write], JT_ALLOW);
}

TEST(ioctl_allow_and_deny_by_name_or_number)
{
	ASSERT_EQ(parse("ioctl allow TCGETS 0x5413\nioctl deny TCGETS\n"), 0);
	EXPECT_EQ(jt_policy_ioctl(&p, 0x5413), 0);
	EXPECT_EQ(jt_policy_ioctl(&p, 0x5401), -1);
	EXPECT_EQ(parse("ioctl allow NOT_AN_IOCTL\n"), -EINVAL);
	EXPECT_STREQ(err, "t.policy:1: unknown ioctl request \"NOT_AN_IOCTL\"");
}

TEST(process_rules)
{
	ASSERT_EQ(parse("process fork deny\nprocess signal self\n"), 0);
	EXPECT_EQ(p.may_fork, 0);
	EXPECT_EQ(p.may_thread, 1);
	EXPECT_EQ(p.signal_self_only, 1);
	EXPECT_EQ(parse("process fork maybe\n"), -EINVAL);
	EXPECT_EQ(parse("process swim allow\n"), -EINVAL);
}

TEST(env_pass_and_set)
{
	ASSERT_EQ(parse("env pass LANG TZ\nenv set A=b=c\n"), 0);
	ASSERT_EQ(p.n_env, 3);
	EXPECT_STREQ(p.env[2].name, "A");
	EXPECT_STREQ(p.env[2].value, "b=c");
	EXPECT_EQ(parse("env pass 1BAD\n"), -EINVAL);
	EXPECT_EQ(parse("env set NOVALUE\n"), -EINVAL);
}

TEST(limits_with_units)
{
	ASSERT_EQ(parse("limit timeout 2m\nlimit memory 512M\nlimit procs 10\nlimit cpu 500ms\n"), 0);
	EXPECT_EQ(p.limit[0], 120000);
	EXPECT_EQ(p.limit[2], 512ULL << 20);
	EXPECT_EQ(p.limit[4], 10);
	EXPECT_EQ(p.limit[1], 500);
	EXPECT_EQ(parse("limit memory lots\n"), -EINVAL);
	EXPECT_STREQ(err, "t.policy:1: bad value \"lots\" for limit memory");
	EXPECT_EQ(parse("limit speed 1\n"), -EINVAL);
}

TEST(size_and_time_parsers_reject_garbage)
{
	uint64_t v;

	EXPECT_EQ(jt_parse_size("16M", &v), 0);
	EXPECT_EQ(v, 16ULL << 20);
	EXPECT_EQ(jt_parse_size("1GiB", &v), 0);
	EXPECT_EQ(v, 1ULL << 30);
	EXPECT_EQ(jt_parse_size("-1", &v), -EINVAL);
	EXPECT_EQ(jt_parse_size("10X", &v), -EINVAL);
	EXPECT_EQ(jt_parse_size("99999999999999999999", &v), -EINVAL);
	EXPECT_EQ(jt_parse_size("20000000000G", &v), -EINVAL);
	EXPECT_EQ(jt_parse_time_ms("1h", &v), 0);
	EXPECT_EQ(v, 3600000);
	EXPECT_EQ(jt_parse_time_ms("1d", &v), -EINVAL);
}

TEST(include_resolves_against_the_including_file)
{
	char dir[] = "/tmp/jt-policy-XXXXXX", top[256], sub[256];

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(top, sizeof(top), "%s/top.policy", dir);
	snprintf(sub, sizeof(sub), "%s/sub.policy", dir);
	write_file(sub, "allow write\nbogus\n");
	write_file(top, "allow read\ninclude sub.policy\n");
	jt_policy_init(&p);
	EXPECT_EQ(jt_policy_load(&p, top, err, sizeof(err)), -EINVAL);
	/* the error names the included file and its line */
	EXPECT_TRUE(strstr(err, "sub.policy:2: unknown directive \"bogus\"") != NULL);
	unlink(sub);
	unlink(top);
	rmdir(dir);
}

TEST(include_default_extends_the_builtin_policy)
{
	ASSERT_EQ(parse("include default\ndeny kill\n"), 0);
	EXPECT_EQ(p.action[JT_SYS_read], JT_ALLOW);
	EXPECT_EQ(p.action[JT_SYS_kill], JT_DENY);
}

TEST(include_loop_is_an_error_not_a_hang)
{
	char path[] = "/tmp/jt-loop-XXXXXX";
	int fd = mkstemp(path);
	char text[300];

	ASSERT_TRUE(fd >= 0);
	snprintf(text, sizeof(text), "include %s\n", path);
	ASSERT_TRUE(write(fd, text, strlen(text)) > 0);
	close(fd);
	jt_policy_init(&p);
	EXPECT_EQ(jt_policy_load(&p, path, err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "nested deeper") != NULL);
	unlink(path);
}

TEST(missing_file_is_a_clear_error)
{
	jt_policy_init(&p);
	EXPECT_EQ(jt_policy_load(&p, "/nonexistent/p.policy", err, sizeof(err)), -ENOENT);
	EXPECT_STREQ(err, "/nonexistent/p.policy: cannot read policy: No such file or directory");
}

TEST(overlong_line_is_an_error)
{
	char *text = malloc(10000);

	memset(text, 'a', 9999);
	text[9999] = '\0';
	EXPECT_EQ(parse(text), -EINVAL);
	EXPECT_TRUE(strstr(err, "t.policy:1: line longer than") != NULL);
	free(text);
}

TEST(digest_changes_with_the_text)
{
	unsigned char d1[32];

	ASSERT_EQ(parse("allow read\n"), 0);
	memcpy(d1, p.digest, 32);
	ASSERT_EQ(parse("allow read \n"), 0);
	EXPECT_TRUE(memcmp(d1, p.digest, 32) != 0);
	ASSERT_EQ(parse("allow read\n"), 0);
	EXPECT_TRUE(memcmp(d1, p.digest, 32) == 0);
}
