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
