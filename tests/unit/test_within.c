/* jt_policy_within: is one policy within another, rule kind by rule kind? */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filters/policy.h"
#include "tests/unit/harness.h"

static const uint64_t dflt[JT_NLIMITS] = { 60000, 60000, 2ULL << 30, 16ULL << 30, 256, 16 << 20,
					    1ULL << 30, 1024, 64 << 20, 1ULL << 30, 100000 };
static char why[1024];

/* 1 within, 0 not (why says where), -1 a policy did not parse */
static int within(const char *inner, const char *outer)
{
	struct jt_policy in, out;
	char err[512];
	int r = -1;

	jt_policy_init(&in);
	jt_policy_init(&out);
	why[0] = '\0';
	if (jt_policy_parse(&in, "user.policy", inner, err, sizeof(err)) == 0 &&
	    jt_policy_parse(&out, "site.policy", outer, err, sizeof(err)) == 0)
		r = jt_policy_within(&in, &out, dflt, why, sizeof(why));
	else
		fprintf(stderr, "parse: %s\n", err);
	jt_policy_free(&in);
	jt_policy_free(&out);
	return r;
}

TEST(a_policy_is_within_itself)
{
	EXPECT_EQ(within("include default\n", "include default\n"), 1);
	EXPECT_EQ(within("allow read write\nro /usr\nrw /srv/a:/work/a\nlimit memory 1G\n",
			 "allow read write\nro /usr\nrw /srv/a:/work/a\nlimit memory 1G\n"), 1);
}

TEST(syscalls_allowed_must_be_the_sites)
{
	EXPECT_EQ(within("allow read\n", "allow read write\n"), 1);
	EXPECT_EQ(within("allow read write\ndeny write\n", "allow read\n"), 1);	/* deny narrows */
	EXPECT_EQ(within("allow read write\n", "allow read\n"), 0);
	EXPECT_STREQ(why, "user.policy:1: allows write, which the site does not");
	EXPECT_EQ(within("allow read\n", "allow read\ndeny read\n"), 0);
}

TEST(ioctls_and_process_rules)
{
	EXPECT_EQ(within("ioctl allow TCGETS\n", "ioctl allow TCGETS FIONREAD\n"), 1);
	EXPECT_EQ(within("ioctl allow TCGETS FIONREAD\n", "ioctl allow TCGETS\n"), 0);
	EXPECT_TRUE(strstr(why, "user.policy:1: allows ioctl FIONREAD") != NULL);
	EXPECT_EQ(within("process fork deny\n", "\n"), 1);
	EXPECT_EQ(within("\n", "process exec deny\n"), 0);	/* the default allows exec */
	EXPECT_EQ(within("process signal self\n", "process signal self\n"), 1);
	EXPECT_EQ(within("\nprocess signal sandbox\n", "process signal self\n"), 0);
	EXPECT_TRUE(strstr(why, "user.policy:2:") == why);
}

TEST(grants_only_the_sites_same_or_fewer)
{
	EXPECT_EQ(within("ro /usr\n", "ro /usr\nro /etc\n"), 1);
	EXPECT_EQ(within("ro /srv/d\n", "rw /srv/d\n"), 1);
	EXPECT_EQ(within("rw /srv/d\n", "ro /srv/d\n"), 0);
	EXPECT_TRUE(strstr(why, "user.policy:1: rw /srv/d:/srv/d") == why);
	EXPECT_EQ(within("ro /srv/d:/x\n", "ro /srv/d\n"), 0);	/* another inside path */
	/* a path below a site grant: a link there could lead out, so not compared */
	EXPECT_EQ(within("ro /srv/d/e\n", "ro /srv/d\n"), 0);
	/* the site's more specific grant shows another host path there: not hidden */
	EXPECT_EQ(within("ro /srv\n", "ro /srv\nro /elsewhere:/srv/x\n"), 0);
	EXPECT_TRUE(strstr(why, "another host path") != NULL);
	EXPECT_EQ(within("rw /srv\n", "rw /srv\nro /srv/x\n"), 0);
	EXPECT_TRUE(strstr(why, "read-only") != NULL);
	EXPECT_EQ(within("ro /srv\n", "rw /srv\nro /srv/x\n"), 1);
	EXPECT_EQ(within("ro /\n", "ro /\nro /a/b\n"), 1);
	EXPECT_EQ(within("net unix /run/s.sock\n", "ro /run/s.sock\n"), 0);
	EXPECT_EQ(within("net unix /run/s.sock\n", "net unix /run/s.sock\n"), 1);
}

TEST(net_rules_covered_by_one_of_the_sites)
{
	EXPECT_EQ(within("net connect 10.1.2.0/24:443\n", "net connect 10.0.0.0/8:1-1000\n"), 1);
	EXPECT_EQ(within("net connect 10.1.2.0/24:443\n", "net connect 10.1.2.0/25:443\n"), 0);
	EXPECT_EQ(within("net connect 10.1.2.3:443 udp\n", "net connect 10.1.2.3:443\n"), 0);
	EXPECT_EQ(within("net connect 10.1.2.3:443-444\n", "net connect 10.1.2.3:443\n"), 0);
	/* the local host is granted only by a rule naming it */
	EXPECT_EQ(within("net connect 127.0.0.1:80\n", "net connect 0.0.0.0/0:80\n"), 0);
	EXPECT_EQ(within("net connect 127.0.0.1:80\n", "net connect 127.0.0.1:1-100\n"), 1);
	EXPECT_EQ(within("net bind 127.0.0.1:8000\n", "net bind 127.0.0.1:8000-8010\n"), 1);
	EXPECT_EQ(within("net bind 0.0.0.0:8000\n", "net bind 127.0.0.1:8000\n"), 0);
	EXPECT_EQ(within("net domain a.example.org\n", "net domain *.example.org\n"), 1);
	EXPECT_EQ(within("net domain example.org\n", "net domain *.example.org\n"), 0);
	EXPECT_EQ(within("net domain *.a.example.org\n", "net domain *.example.org\n"), 1);
	EXPECT_EQ(within("net domain x.org:8080\n", "net domain x.org\n"), 0);
	EXPECT_EQ(within("net domain x.org:443\n", "net domain x.org\n"), 1);
	EXPECT_EQ(within("host x.org 10.0.0.1\n", "\n"), 0);
	EXPECT_EQ(within("host x.org 10.0.0.1\n", "host x.org 10.0.0.1\n"), 1);
	EXPECT_EQ(within("proxy api https://api.example.org\n", "proxy api https://api.example.org\n"), 1);
	EXPECT_EQ(within("proxy api https://api.example.org\n", "proxy api https://other.example.org\n"), 0);
}

TEST(limits_env_exec_abi)
{
	EXPECT_EQ(within("limit memory 1G\n", "\n"), 1);	/* under the default 2G */
	EXPECT_EQ(within("limit memory 4G\n", "\n"), 0);
	EXPECT_TRUE(strstr(why, "user.policy:1: limit memory") == why);
	EXPECT_EQ(within("limit memory 0\n", "limit memory 8G\n"), 0);	/* 0 is none */
	EXPECT_EQ(within("limit memory 4G\n", "limit memory 0\n"), 1);
	EXPECT_EQ(within("\n", "limit procs 10\n"), 0);	/* the default 256 is more */
	EXPECT_EQ(within("env pass HOME\n", "env pass HOME LANG\n"), 1);
	EXPECT_EQ(within("env pass SECRET\n", "env pass HOME\n"), 0);
	EXPECT_EQ(within("env pass LANG\n", "env set LANG=C\n"), 0);
	EXPECT_EQ(within("env set LANG=C\n", "env set LANG=C\n"), 1);
	EXPECT_EQ(within("env set LANG=fr\n", "env set LANG=C\n"), 0);
	EXPECT_EQ(within("exec jail\n", "\n"), 0);
	EXPECT_EQ(within("\n", "exec jail\n"), 1);
	EXPECT_EQ(within("abi i386 deny\n", "\n"), 1);
	EXPECT_EQ(within("\n", "abi i386 deny\n"), 0);
	EXPECT_EQ(within("abi i386 deny\nabi i386 allow\n", "abi i386 deny\n"), 0);
	EXPECT_TRUE(strstr(why, "user.policy:2:") == why);
}
