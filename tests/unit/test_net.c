/* The network decision: addresses by what they reach, rules by what they name. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "filters/decide.h"
#include "filters/net.h"
#include "filters/policy.h"
#include "tests/unit/harness.h"

static struct jt_policy pol;

static void load(const char *text)
{
	char err[256] = "";

	jt_policy_free(&pol);
	jt_policy_init(&pol);
	if (jt_policy_parse(&pol, "t", text, err, sizeof(err)) < 0) {
		fprintf(stderr, "  policy: %s\n", err);
		exit(1);
	}
}

/* Decide "tcp ADDR:PORT" (or bind/udp); @return 0 if allowed, else the errno. */
static int net(int kind, int proto, const char *addr, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct jt_net_dest d = { .kind = kind, .proto = proto };
	struct jt_verdict v;
	size_t len;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		len = sizeof(*in);
	} else {
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
	}
	if (jt_net_from_sockaddr(&ss, len, &d) < 0)
		return -1;
	jt_decide_net(&pol, &d, &v);
	return v.allow ? 0 : v.err;
}

#define TCP(a, p) net(JT_NET_CONNECT, JT_NET_TCP, a, p)
#define UDP(a, p) net(JT_NET_CONNECT, JT_NET_UDP, a, p)
#define BIND(a, p) net(JT_NET_BIND, JT_NET_TCP, a, p)

TEST(without_rules_remote_is_unreachable_and_local_refuses)
{
	load("");
	EXPECT_EQ(TCP("192.0.2.1", 443), ENETUNREACH);
	EXPECT_EQ(TCP("2001:db8::1", 443), ENETUNREACH);
	EXPECT_EQ(TCP("127.0.0.1", 80), ECONNREFUSED);
	EXPECT_EQ(UDP("127.0.0.1", 53), ENETUNREACH);
	EXPECT_EQ(BIND("127.0.0.1", 8000), EACCES);
}

TEST(every_spelling_of_the_local_host_matches_a_local_rule)
{
	load("net connect 127.0.0.1:5432\n");
	EXPECT_EQ(TCP("127.0.0.1", 5432), 0);
	EXPECT_EQ(TCP("127.9.9.9", 5432), 0);
	EXPECT_EQ(TCP("0.0.0.0", 5432), 0);
	EXPECT_EQ(TCP("::1", 5432), 0);
	EXPECT_EQ(TCP("::", 5432), 0);
	EXPECT_EQ(TCP("::ffff:127.0.0.1", 5432), 0);
	EXPECT_EQ(TCP("127.0.0.1", 5433), ECONNREFUSED);
}

TEST(the_whole_internet_is_not_the_local_host)
{
	load("net connect 0.0.0.0/0\nnet connect ::/0\n");
	EXPECT_EQ(TCP("198.51.100.7", 80), 0);
	EXPECT_EQ(TCP("2001:db8::7", 80), 0);
	EXPECT_EQ(TCP("127.0.0.1", 80), ECONNREFUSED);
	EXPECT_EQ(TCP("::ffff:127.0.0.1", 80), ECONNREFUSED);
	EXPECT_EQ(TCP("::", 80), ECONNREFUSED);
}

TEST(mapped_ipv6_is_matched_as_its_ipv4)
{
	load("net connect 203.0.113.0/24:443\n");
	EXPECT_EQ(TCP("::ffff:203.0.113.9", 443), 0);
	EXPECT_EQ(TCP("::ffff:203.0.114.9", 443), EACCES);
}

TEST(cidr_and_port_ranges_bound_a_rule)
{
	load("net connect 10.1.0.0/16:8000-8010\n");
	EXPECT_EQ(TCP("10.1.200.3", 8000), 0);
	EXPECT_EQ(TCP("10.1.200.3", 8010), 0);
	EXPECT_EQ(TCP("10.1.200.3", 8011), EACCES);
	EXPECT_EQ(TCP("10.2.0.1", 8005), EACCES);
}

TEST(udp_needs_a_udp_rule)
{
	load("net connect 198.51.100.53:53\n");
	EXPECT_EQ(UDP("198.51.100.53", 53), EACCES);
	EXPECT_TRUE(!jt_net_may_udp(&pol));
	load("net connect 198.51.100.53:53 udp\n");
	EXPECT_EQ(UDP("198.51.100.53", 53), 0);
	EXPECT_EQ(TCP("198.51.100.53", 53), EACCES);
	EXPECT_TRUE(jt_net_may_udp(&pol));
}

TEST(a_loopback_bind_rule_does_not_open_the_wildcard)
{
	load("net bind 127.0.0.1:8000\n");
	EXPECT_EQ(BIND("127.0.0.1", 8000), 0);
	EXPECT_EQ(BIND("0.0.0.0", 8000), EACCES);
	EXPECT_EQ(BIND("::", 8000), EACCES);
	EXPECT_EQ(BIND("127.0.0.1", 8001), EACCES);
	load("net bind 0.0.0.0:0-65535\n");
	EXPECT_EQ(BIND("0.0.0.0", 0), 0);
}

TEST(bad_rules_are_refused_with_their_line)
{
	const char *bad[] = { "net connect 1.2.3.4:70000\n", "net connect 10.0.0.0/33\n",
			      "net connect [::1\n", "net connect host:80 sctp\n", "net nothing\n",
			      "net unix relative/path\n", "proxy x ftp://h\n", "proxy a-b http://h header \"NoColon\"\n",
			      "proxy x http://h header \"unterminated\n" };
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		jt_policy_free(&pol);
		jt_policy_init(&pol);
		err[0] = '\0';
		EXPECT_EQ(jt_policy_parse(&pol, "p", bad[i], err, sizeof(err)), -EINVAL);
		EXPECT_TRUE(!strncmp(err, "p:1: ", 5));
	}
}

TEST(a_proxy_names_its_variable_and_keeps_its_headers_unexpanded)
{
	load("proxy my-api https://example.org/v1/ header \"Authorization: Bearer ${KEY}\"\n");
	ASSERT_EQ(pol.n_proxies, 1);
	EXPECT_STREQ(pol.proxies[0].env, "MY_API_BASE_URL");
	EXPECT_STREQ(pol.proxies[0].upstream, "https://example.org/v1");
	ASSERT_EQ(pol.proxies[0].n_headers, 1);
	EXPECT_STREQ(pol.proxies[0].headers[0], "Authorization: Bearer ${KEY}");
}

/* ---------------------------------------------------------------- domains */

static int addr_public(const char *text)
{
	struct jt_net_addr a = { 0 };

	if (inet_pton(AF_INET, text, a.a) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, text, a.a) == 1)
		a.family = 6;
	else
		return -1;
	return jt_net_is_public(&pol, &a);
}

TEST(a_domain_rule_matches_its_name_and_ports_and_a_wildcard_only_names_below_it)
{
	load("net domain pypi.org\nnet domain *.Example.ORG.:8000-8001\n");
	EXPECT_EQ(jt_domain_match(&pol, "pypi.org", 443), 0);
	EXPECT_EQ(jt_domain_match(&pol, "pypi.org", 80), 0);
	EXPECT_EQ(jt_domain_match(&pol, "pypi.org", 8080), -ERANGE);
	EXPECT_EQ(jt_domain_match(&pol, "files.pypi.org", 443), -ENOENT);
	EXPECT_EQ(jt_domain_match(&pol, "xpypi.org", 443), -ENOENT);
	EXPECT_EQ(jt_domain_match(&pol, "a.example.org", 8001), 1);
	EXPECT_EQ(jt_domain_match(&pol, "a.b.example.org", 8000), 1);
	EXPECT_EQ(jt_domain_match(&pol, "example.org", 8000), -ENOENT);
	EXPECT_EQ(jt_domain_match(&pol, "xexample.org", 8000), -ENOENT);
	EXPECT_EQ(jt_domain_match(&pol, "a.example.org", 443), -ERANGE);
}

TEST(a_domain_is_a_name_never_an_address)
{
	const char *bad[] = { "net domain 1.2.3.4\n", "net domain [::1]:443\n", "net domain 127.1\n",
			      "net domain 2130706433\n", "net domain *\n", "net domain a.*.org\n",
			      "net domain bad_host!\n", "net domain a..b\n", "net domain x.org:0\n",
			      "net domain x.org:70000\n", "host x.test nowhere\n", "host x.test\n",
			      "host bad!name 1.2.3.4\n", "hosts /nonexistent/hosts\n" };
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		jt_policy_free(&pol);
		jt_policy_init(&pol);
		err[0] = '\0';
		EXPECT_EQ(jt_policy_parse(&pol, "p", bad[i], err, sizeof(err)), -EINVAL);
		EXPECT_TRUE(!strncmp(err, "p:1: ", 5));
	}
}

TEST(every_spelling_of_an_address_is_a_literal)
{
	const char *lit[] = { "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "::1",
			      "::ffff:127.0.0.1", "[::1]" };

	for (size_t i = 0; i < sizeof(lit) / sizeof(*lit); i++)
		EXPECT_TRUE(jt_net_is_literal(lit[i]));
	EXPECT_TRUE(!jt_net_is_literal("pypi.org"));
	EXPECT_TRUE(!jt_net_is_literal("1.2.3.4.example"));
}

TEST(the_proxy_reaches_public_addresses_only)
{
	/* a host line names an address for its name alone: not public for others */
	load("host local.test 127.0.0.1\nhost lan.test 10.1.2.3\n");
	EXPECT_EQ(addr_public("93.184.216.34"), 1);
	EXPECT_EQ(addr_public("2606:4700::1"), 1);
	EXPECT_EQ(addr_public("127.0.0.1"), 0);
	EXPECT_EQ(addr_public("10.1.2.3"), 0);
	EXPECT_EQ(addr_public("127.0.0.2"), 0);
	EXPECT_EQ(addr_public("10.1.2.4"), 0);
	EXPECT_EQ(addr_public("192.0.2.1"), 0);		/* documentation */
	EXPECT_EQ(addr_public("198.51.100.1"), 0);
	EXPECT_EQ(addr_public("203.0.113.1"), 0);
	EXPECT_EQ(addr_public("192.88.99.1"), 0);
	EXPECT_EQ(addr_public("192.0.3.1"), 1);
	EXPECT_EQ(addr_public("2001:db8::1"), 0);
	EXPECT_EQ(addr_public("64:ff9b:1::a00:1"), 0);	/* local NAT64 of 10.0.0.1 */
	EXPECT_EQ(addr_public("2001:0:4136:e378::1"), 0);	/* Teredo */
	EXPECT_EQ(addr_public("::ffff:0:7f00:1"), 0);	/* SIIT of 127.0.0.1 */
	EXPECT_EQ(addr_public("::ffff:0:5db8:d822"), 1);
	EXPECT_EQ(addr_public("0.0.0.0"), 0);
	EXPECT_EQ(addr_public("169.254.169.254"), 0);	/* cloud metadata */
	EXPECT_EQ(addr_public("172.16.0.1"), 0);
	EXPECT_EQ(addr_public("172.31.255.255"), 0);
	EXPECT_EQ(addr_public("172.32.0.1"), 1);
	EXPECT_EQ(addr_public("192.168.1.1"), 0);
	EXPECT_EQ(addr_public("100.64.0.1"), 0);
	EXPECT_EQ(addr_public("224.0.0.1"), 0);
	EXPECT_EQ(addr_public("255.255.255.255"), 0);
	EXPECT_EQ(addr_public("::1"), 0);
	EXPECT_EQ(addr_public("::"), 0);
	EXPECT_EQ(addr_public("fe80::1"), 0);
	EXPECT_EQ(addr_public("fd00::1"), 0);
	EXPECT_EQ(addr_public("ff02::1"), 0);
	EXPECT_EQ(addr_public("64:ff9b::7f00:1"), 0);	/* NAT64 of 127.0.0.1 */
	EXPECT_EQ(addr_public("64:ff9b::5db8:d822"), 1);
	EXPECT_EQ(addr_public("2002:7f00:1::1"), 0);	/* 6to4 of 127.0.0.1 */
	EXPECT_EQ(addr_public("::127.0.0.1"), 0);
}

TEST(host_lines_and_hosts_files_answer_for_a_name)
{
	struct jt_net_addr a[4];
	char err[256] = "";
	int rule = -1;

	jt_policy_free(&pol);
	jt_policy_init(&pol);
	EXPECT_EQ(jt_hosts_text(&pol, "h", "# names\n127.0.0.1 One.test two.test # c\n\n::1 one.test\n",
				3, err, sizeof(err)), 0);
	EXPECT_EQ(jt_host_lookup(&pol, "one.test", a, 4, &rule), 2);
	EXPECT_EQ(rule, 3);
	EXPECT_EQ(a[0].family, 4);
	EXPECT_EQ(a[1].family, 6);
	EXPECT_EQ(jt_host_lookup(&pol, "two.test", a, 4, NULL), 1);
	EXPECT_EQ(jt_host_lookup(&pol, "three.test", a, 4, NULL), 0);
	EXPECT_EQ(jt_hosts_text(&pol, "h", "127.0.0.1\n", 3, err, sizeof(err)), -EINVAL);
	EXPECT_STREQ(err, "h:1: an address without a name");
}
