/*
 * `net` and `proxy` rules, and the decision on an inet address. The
 * transport (tracer/net.c) reads the address once, the tracer performs the
 * call with the bytes it decided on; this file only says yes or no.
 */
#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "filters/decide.h"
#include "filters/net.h"
#include "filters/policy.h"

static int deny(struct jt_verdict *v, int err, int rule, const char *builtin)
{
	*v = (struct jt_verdict){ .allow = 0, .err = err, .rule = rule, .builtin = builtin };
	return 0;
}

/* ------------------------------------------------------------ addresses */

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int jt_net_from_sockaddr(const void *sa, size_t len, struct jt_net_dest *d)
{
	sa_family_t fam;

	if (len < sizeof(fam))
		return -EINVAL;
	memcpy(&fam, sa, sizeof(fam));
	memset(&d->addr, 0, sizeof(d->addr));
	if (fam == AF_INET) {
		struct sockaddr_in in;

		if (len < sizeof(in))
			return -EINVAL;
		memcpy(&in, sa, sizeof(in));
		d->addr.family = 4;
		memcpy(d->addr.a, &in.sin_addr, 4);
		d->port = ntohs(in.sin_port);
		return 0;
	}
	if (fam == AF_INET6) {
		struct sockaddr_in6 in6;

		if (len < sizeof(in6))
			return -EINVAL;
		memcpy(&in6, sa, sizeof(in6));
		d->port = ntohs(in6.sin6_port);
		/* ::ffff:a.b.c.d reaches a.b.c.d */
		if (!memcmp(in6.sin6_addr.s6_addr, v4mapped, 12)) {
			d->addr.family = 4;
			memcpy(d->addr.a, in6.sin6_addr.s6_addr + 12, 4);
		} else {
			d->addr.family = 6;
			memcpy(d->addr.a, in6.sin6_addr.s6_addr, 16);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

const char *jt_net_format(const struct jt_net_addr *a, unsigned port, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, s, sizeof(s));
	snprintf(buf, len, a->family == 4 ? "%s:%u" : "[%s]:%u", s, port);
	return buf;
}

static int is_unspecified(const struct jt_net_addr *a)
{
	static const unsigned char zero[16];

	return !memcmp(a->a, zero, a->family == 4 ? 4 : 16);
}

static int is_loopback(const struct jt_net_addr *a)
{
	static const unsigned char one[16] = { [15] = 1 };

	return a->family == 4 ? a->a[0] == 127 : !memcmp(a->a, one, 16);
}

static int same(const struct jt_net_addr *x, const struct jt_net_addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, x->family == 4 ? 4 : 16);
}

static int host_addr(const struct jt_policy *p, const struct jt_net_addr *a)
{
	for (size_t i = 0; i < p->n_host_addrs; i++)
		if (same(&p->host_addrs[i], a))
			return 1;
	return 0;
}

int jt_net_is_local(const struct jt_policy *p, const struct jt_net_addr *a)
{
	return is_loopback(a) || is_unspecified(a) || host_addr(p, a);
}

static int contains(const struct jt_net_rule *r, const struct jt_net_addr *a)
{
	int bits = r->prefix;

	if (r->addr.family != a->family)
		return 0;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));

		if ((r->addr.a[i] ^ a->a[i]) & mask)
			return 0;
	}
	return 1;
}

static int rule_local(const struct jt_policy *p, const struct jt_net_rule *r)
{
	int full = r->prefix == (r->addr.family == 4 ? 32 : 128);

	return r->local || (full && host_addr(p, &r->addr));
}

/* A bind exposes what it names: the wildcard everywhere, loopback to this host. */
static int bind_matches(const struct jt_net_rule *r, const struct jt_net_addr *a)
{
	if (is_unspecified(a))
		return r->addr.family == a->family && is_unspecified(&r->addr);
	if (is_loopback(a))
		return r->addr.family == a->family && is_loopback(&r->addr);
	return contains(r, a);
}

static int matches(const struct jt_policy *p, const struct jt_net_rule *r,
		   const struct jt_net_dest *d, int dest_local)
{
	if (r->kind != d->kind || !(r->proto & d->proto) || d->port < r->port_lo ||
	    d->port > r->port_hi)
		return 0;
	if (d->kind == JT_NET_BIND)
		return bind_matches(r, &d->addr);
	/* the local host is one place, however it is spelled */
	if (dest_local)
		return rule_local(p, r);
	return !rule_local(p, r) && contains(r, &d->addr);
}

void jt_decide_net(const struct jt_policy *p, const struct jt_net_dest *d, struct jt_verdict *v)
{
	int dest_local = jt_net_is_local(p, &d->addr), any_connect = 0;

	for (size_t i = 0; i < p->n_net; i++) {
		const struct jt_net_rule *r = &p->net[i];

		if (matches(p, r, d, dest_local)) {
			*v = (struct jt_verdict){ .allow = 1, .rule = r->rule };
			return;
		}
		any_connect |= r->kind == JT_NET_CONNECT;
	}
	if (d->kind == JT_NET_BIND)
		deny(v, EACCES, -1, "network-bind");
	else if (dest_local && d->proto == JT_NET_TCP)
		deny(v, ECONNREFUSED, -1, "network-local");	/* as if nothing listened */
	else
		deny(v, any_connect ? EACCES : ENETUNREACH, -1, "network-off");
}

int jt_net_may_udp(const struct jt_policy *p)
{
	for (size_t i = 0; i < p->n_net; i++)
		if (p->net[i].proto & JT_NET_UDP)
			return 1;
	return 0;
}

int jt_net_has_grants(const struct jt_policy *p)
{
	return p->n_net > 0;
}

/* ---------------------------------------------------------------- rules */

static int add_rule(struct jt_policy *p, const struct jt_net_rule *r)
{
	struct jt_net_rule *n = realloc(p->net, (p->n_net + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->net = n;
	p->net[p->n_net] = *r;
	if (r->name && !(p->net[p->n_net].name = strdup(r->name)))
		return -ENOMEM;
	p->n_net++;
	return 0;
}

static int parse_ports(const char *s, struct jt_net_rule *r)
{
	char *end;
	unsigned long lo = strtoul(s, &end, 10), hi = lo;

	if (end == s || lo > 65535)
		return -EINVAL;
	if (*end == '-') {
		const char *h = end + 1;

		hi = strtoul(h, &end, 10);
		if (end == h || hi > 65535 || hi < lo)
			return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	return 0;
}

static int parse_numeric(const char *host, struct jt_net_rule *r)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	int max;

	snprintf(buf, sizeof(buf), "%s", host);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, r->addr.a) == 1)
		r->addr.family = 4;
	else if (inet_pton(AF_INET6, buf, r->addr.a) == 1)
		r->addr.family = 6;
	else
		return -ENOENT;
	if (r->addr.family == 6 && !memcmp(r->addr.a, v4mapped, 12)) {
		memmove(r->addr.a, r->addr.a + 12, 4);
		memset(r->addr.a + 4, 0, 12);
		r->addr.family = 4;
	}
	max = r->addr.family == 4 ? 32 : 128;
	r->prefix = max;
	if (slash) {
		char *end;
		long n = strtol(slash + 1, &end, 10);

		if (end == slash + 1 || *end || n < 0 || n > max)
			return -EINVAL;
		r->prefix = (int)n;
	}
	r->local = r->prefix == max && (is_loopback(&r->addr) || is_unspecified(&r->addr));
	return 0;
}

/* Split "HOST[:PORTS]", "[V6]:PORTS", bare "V6": host into @host, ports or NULL. */
static int split_endpoint(const char *spec, char *host, size_t hlen, const char **ports)
{
	const char *colon;

	*ports = NULL;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || (close[1] && close[1] != ':') || (size_t)(close - spec) >= hlen)
			return -EINVAL;
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		if (close[1] == ':')
			*ports = close + 2;
		return 0;
	}
	colon = strchr(spec, ':');
	if (colon && strchr(colon + 1, ':'))
		colon = NULL;	/* a bare IPv6 address: no port */
	if (strlen(spec) >= hlen)
		return -EINVAL;
	snprintf(host, hlen, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (colon)
		*ports = colon + 1;
	return host[0] ? 0 : -EINVAL;
}

/* "tcp 1.2.3.4:80", as the log writes it, back into a destination (replay). */
int jt_net_parse(const char *text, struct jt_net_dest *d)
{
	struct jt_net_rule r;
	char host[INET6_ADDRSTRLEN + 8];
	const char *ports;

	memset(d, 0, sizeof(*d));
	if (!strncmp(text, "tcp ", 4))
		d->proto = JT_NET_TCP;
	else if (!strncmp(text, "udp ", 4))
		d->proto = JT_NET_UDP;
	else
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	if (split_endpoint(text + 4, host, sizeof(host), &ports) < 0 || !ports ||
	    parse_ports(ports, &r) < 0 || r.port_lo != r.port_hi || strchr(host, '/') ||
	    parse_numeric(host, &r) < 0)
		return -EINVAL;
	d->addr = r.addr;
	d->port = r.port_lo;
	return 0;
}

static int add_resolved(struct jt_policy *p, struct jt_net_rule *r, const char *name,
			char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	int e = getaddrinfo(name, NULL, &hints, &res), n = 0;

	if (e) {
		snprintf(err, errlen, "cannot resolve host \"%s\": %s", name, gai_strerror(e));
		return -EINVAL;
	}
	r->name = (char *)name;
	for (ai = res; ai; ai = ai->ai_next) {
		struct jt_net_dest d;

		if (jt_net_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &d) < 0)
			continue;
		r->addr = d.addr;
		r->prefix = d.addr.family == 4 ? 32 : 128;
		r->local = is_loopback(&d.addr) || is_unspecified(&d.addr);
		if ((e = add_rule(p, r)) < 0)
			break;
		n++;
	}
	freeaddrinfo(res);
	r->name = NULL;
	return e < 0 ? e : 0;
}

static int endpoint(struct jt_policy *p, struct jt_net_rule *r, const char *spec,
		    char *err, size_t errlen)
{
	char host[256];
	const char *ports;
	int e;

	if (split_endpoint(spec, host, sizeof(host), &ports) < 0 ||
	    (ports && parse_ports(ports, r) < 0)) {
		snprintf(err, errlen, "bad endpoint \"%s\" (HOST[:PORT[-PORT]], [IPV6]:PORT, CIDR)", spec);
		return -EINVAL;
	}
	if (!ports) {
		r->port_lo = 0;
		r->port_hi = 65535;
	}
	e = parse_numeric(host, r);
	if (e == -EINVAL) {
		snprintf(err, errlen, "bad address \"%s\"", host);
		return -EINVAL;
	}
	if (e == 0)
		return add_rule(p, r);
	for (const char *c = host; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_') {
			snprintf(err, errlen, "bad host \"%s\"", host);
			return -EINVAL;
		}
	return add_resolved(p, r, host, err, errlen);
}

/* ---------------------------------------------------------------- domains */

int jt_net_is_literal(const char *name)
{
	unsigned char a[16];
	struct in_addr in;

	/* inet_aton takes what getaddrinfo would: 127.1, 0x7f000001, 2130706433 */
	return inet_aton(name, &in) || inet_pton(AF_INET6, name, a) == 1 ||
	       (name[0] == '[' && strchr(name, ']'));
}

int jt_domain_name_ok(char *name)
{
	size_t n = strlen(name), label = 0;

	while (n && name[n - 1] == '.')
		name[--n] = '\0';
	if (n == 0 || n > 253)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return -EINVAL;
		name[i] = (char)tolower(c);
		if (++label > 63)
			return -EINVAL;
	}
	return jt_net_is_literal(name) ? -EINVAL : 0;
}

static int domain_rule(struct jt_policy *p, const char *spec, int rule, char *err, size_t errlen)
{
	struct jt_domain d = { .rule = rule }, *nd;
	char host[300];
	const char *ports, *check;
	struct jt_net_rule pr;

	if (split_endpoint(spec, host, sizeof(host), &ports) < 0 || spec[0] == '[') {
		snprintf(err, errlen, "bad domain \"%s\" (NAME[:PORT[-PORT]], *.NAME)", spec);
		return -EINVAL;
	}
	if (ports) {
		if (parse_ports(ports, &pr) < 0 || pr.port_lo == 0) {
			snprintf(err, errlen, "bad port \"%s\" in \"%s\"", ports, spec);
			return -EINVAL;
		}
		d.port_lo = pr.port_lo;
		d.port_hi = pr.port_hi;
	}
	if (jt_net_is_literal(host)) {
		snprintf(err, errlen, "\"%s\" is an address, not a name: grant it with net connect", host);
		return -EINVAL;
	}
	check = !strncmp(host, "*.", 2) ? host + 2 : host;
	if (jt_domain_name_ok((char *)check) < 0 || strchr(check, '*')) {
		snprintf(err, errlen, "bad domain name \"%s\" (letters, digits, - and _ in dotted labels; "
			 "a wildcard only as \"*.\" in front)", host);
		return -EINVAL;
	}
	if (!(d.name = strdup(host)))
		return -ENOMEM;
	if (!(nd = realloc(p->domains, (p->n_domains + 1) * sizeof(*nd)))) {
		free(d.name);
		return -ENOMEM;
	}
	p->domains = nd;
	p->domains[p->n_domains++] = d;
	return 0;
}

static int name_matches(const char *pattern, const char *name)
{
	size_t pn, nn = strlen(name);

	if (strncmp(pattern, "*.", 2))
		return !strcmp(pattern, name);
	/* *.example.org: a.example.org, a.b.example.org; not example.org */
	pn = strlen(pattern + 1);
	return nn > pn && !strcmp(name + nn - pn, pattern + 1);
}

int jt_domain_match(const struct jt_policy *p, const char *name, unsigned port)
{
	int named = 0;

	for (size_t i = 0; i < p->n_domains; i++) {
		const struct jt_domain *d = &p->domains[i];

		if (!name_matches(d->name, name))
			continue;
		named = 1;
		if (d->port_lo ? (port >= d->port_lo && port <= d->port_hi) : (port == 80 || port == 443))
			return (int)i;
	}
	return named ? -ERANGE : -ENOENT;
}

static int in_v4(const unsigned char *a, unsigned b0, unsigned b1, int prefix)
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	uint32_t net = (uint32_t)b0 << 24 | (uint32_t)b1 << 16;
	uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;

	return (x & mask) == (net & mask);
}

static int v4_public(const unsigned char *a)
{
	static const struct { unsigned char b0, b1; int prefix; } closed[] = {
		{ 0, 0, 8 }, { 10, 0, 8 }, { 100, 64, 10 }, { 127, 0, 8 }, { 169, 254, 16 },
		{ 172, 16, 12 }, { 192, 0, 24 }, { 192, 168, 16 }, { 198, 18, 15 }, { 224, 0, 4 },
		{ 240, 0, 4 },
	};
	/* the documentation networks and the 6to4 relay: nothing public lives
	 * there, and a lab network often does (a host's own LAN may be one) */
	static const unsigned char c24[][3] = { { 192, 0, 2 }, { 198, 51, 100 }, { 203, 0, 113 },
						{ 192, 88, 99 } };

	for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
		if (in_v4(a, closed[i].b0, closed[i].b1, closed[i].prefix))
			return 0;
	for (size_t i = 0; i < sizeof(c24) / sizeof(c24[0]); i++)
		if (!memcmp(a, c24[i], 3))
			return 0;
	return 1;
}

int jt_net_is_public(const struct jt_policy *p, const struct jt_net_addr *a)
{
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char nat64_local[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };
	static const unsigned char v4translated[12] = { [8] = 0xff, [9] = 0xff };	/* ::ffff:0:a.b.c.d */
	static const unsigned char doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const unsigned char discard[8] = { 0x01, 0 };

	if (host_addr(p, a))
		return 0;
	if (a->family == 4)
		return v4_public(a->a);
	if (is_loopback(a) || is_unspecified(a))
		return 0;
	if ((a->a[0] & 0xfe) == 0xfc ||			/* fc00::/7 unique local */
	    (a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80) ||	/* fe80::/10 link-local */
	    (a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0xc0) ||	/* fec0::/10 site-local */
	    a->a[0] == 0xff)					/* multicast */
		return 0;
	/* documentation, discard, local-use NAT64 (what it maps to is a local choice), Teredo */
	if (!memcmp(a->a, doc, 4) || !memcmp(a->a, discard, 8) || !memcmp(a->a, nat64_local, 6) ||
	    (a->a[0] == 0x20 && a->a[1] == 0x01 && a->a[2] == 0 && a->a[3] == 0))	/* Teredo */
		return 0;
	/* an IPv4 address inside IPv6 (NAT64, SIIT, 6to4, compatible) is that address */
	if (!memcmp(a->a, nat64, 12) || !memcmp(a->a, v4translated, 12))
		return v4_public(a->a + 12);
	if (a->a[0] == 0x20 && a->a[1] == 0x02)
		return v4_public(a->a + 2);
	if (!memcmp(a->a, v4mapped, 10) && a->a[10] == 0 && a->a[11] == 0)
		return 0;	/* ::a.b.c.d, deprecated: nothing public lives there */
	return 1;
}

size_t jt_host_lookup(const struct jt_policy *p, const char *name, struct jt_net_addr *out, size_t max,
		      int *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_hosts && n < max; i++)
		if (!strcmp(p->hosts[i].name, name)) {
			if (n == 0 && rule)
				*rule = p->hosts[i].rule;
			out[n++] = p->hosts[i].addr;
		}
	return n;
}

static int add_host(struct jt_policy *p, const char *name, const char *addr, int rule,
		    char *err, size_t errlen)
{
	struct jt_net_rule r;
	struct jt_host_entry e = { .rule = rule }, *ne;
	char buf[300];

	memset(&r, 0, sizeof(r));
	if (strchr(addr, '/') || parse_numeric(addr, &r) < 0) {
		snprintf(err, errlen, "bad address \"%s\" for host %s", addr, name);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", name);
	if (strlen(name) >= sizeof(buf) || jt_domain_name_ok(buf) < 0) {
		snprintf(err, errlen, "bad host name \"%s\"", name);
		return -EINVAL;
	}
	e.addr = r.addr;
	if (!(e.name = strdup(buf)))
		return -ENOMEM;
	if (!(ne = realloc(p->hosts, (p->n_hosts + 1) * sizeof(*ne)))) {
		free(e.name);
		return -ENOMEM;
	}
	p->hosts = ne;
	p->hosts[p->n_hosts++] = e;
	return 0;
}

int jt_host_rule_parse(struct jt_policy *p, char **w, int n, int rule, char *err, size_t errlen)
{
	if (n != 3) {
		snprintf(err, errlen, "expected: host NAME ADDRESS");
		return -EINVAL;
	}
	return add_host(p, w[1], w[2], rule, err, errlen);
}

int jt_hosts_text(struct jt_policy *p, const char *name, const char *text, int rule,
		  char *err, size_t errlen)
{
	char line[1024], msg[200];
	int r = 0, ln = 0;

	while (r == 0 && *text) {
		size_t len = strcspn(text, "\n");
		char *save, *addr, *host;

		ln++;
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), text);
		text += len + (text[len] == '\n');
		line[strcspn(line, "#\r")] = '\0';
		if (!(addr = strtok_r(line, " \t", &save)))
			continue;
		if (!(host = strtok_r(NULL, " \t", &save))) {
			snprintf(err, errlen, "%s:%d: an address without a name", name, ln);
			r = -EINVAL;
		}
		for (; r == 0 && host; host = strtok_r(NULL, " \t", &save))
			if ((r = add_host(p, host, addr, rule, msg, sizeof(msg))) == -EINVAL)
				snprintf(err, errlen, "%s:%d: %s", name, ln, msg);
	}
	return r;
}

/* `net dns`: the host's name servers (from /etc/resolv.conf), port 53. */
static int dns_rules(struct jt_policy *p, int rule, char *err, size_t errlen)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[512], ns[256];
	int r = 0, n = 0;

	if (!f) {
		snprintf(err, errlen, "net dns: cannot read /etc/resolv.conf: %s", strerror(errno));
		return -EINVAL;
	}
	while (r == 0 && fgets(line, sizeof(line), f)) {
		struct jt_net_rule nr = { .kind = JT_NET_CONNECT, .proto = JT_NET_TCP | JT_NET_UDP,
					  .port_lo = 53, .port_hi = 53, .rule = rule };

		if (sscanf(line, " nameserver %255s", ns) != 1)
			continue;
		if (parse_numeric(ns, &nr) == 0) {
			r = add_rule(p, &nr);
			n++;
		}
	}
	fclose(f);
	if (r == 0 && n == 0) {
		snprintf(err, errlen, "net dns: /etc/resolv.conf names no name server");
		return -EINVAL;
	}
	if (r == 0)
		r = jt_policy_grant(p, "/etc/resolv.conf", 0, jt_policy_where(p, rule));
	return r;
}

int jt_net_rule_parse(struct jt_policy *p, char **w, int n, int rule, char *err, size_t errlen)
{
	struct jt_net_rule r = { .rule = rule, .proto = JT_NET_TCP };

	if (n == 2 && !strcmp(w[1], "dns"))
		return dns_rules(p, rule, err, errlen);
	if (n == 3 && !strcmp(w[1], "domain"))
		return domain_rule(p, w[2], rule, err, errlen);
	if (n == 3 && !strcmp(w[1], "unix")) {
		if (w[2][0] != '/') {
			snprintf(err, errlen, "net unix needs an absolute path, not \"%s\"", w[2]);
			return -EINVAL;
		}
		return jt_policy_grant_socket(p, w[2], rule);
	}
	if (n < 3 || (strcmp(w[1], "connect") && strcmp(w[1], "bind"))) {
		snprintf(err, errlen, "expected: net connect HOST[:PORT[-PORT]] [tcp|udp]..., "
			 "net bind ADDR:PORT [tcp|udp], net domain NAME[:PORT[-PORT]], net unix PATH, "
			 "net dns");
		return -EINVAL;
	}
	r.kind = w[1][0] == 'c' ? JT_NET_CONNECT : JT_NET_BIND;
	/* a bound port is a port, whichever protocol listens on it */
	if (r.kind == JT_NET_BIND)
		r.proto = JT_NET_TCP | JT_NET_UDP;
	if (n > 3)
		r.proto = 0;
	for (int i = 3; i < n; i++) {
		if (!strcmp(w[i], "tcp"))
			r.proto |= JT_NET_TCP;
		else if (!strcmp(w[i], "udp"))
			r.proto |= JT_NET_UDP;
		else {
			snprintf(err, errlen, "unknown protocol \"%s\" (tcp, udp)", w[i]);
			return -EINVAL;
		}
	}
	return endpoint(p, &r, w[2], err, errlen);
}

/* ---------------------------------------------------------------- proxy */

/* The next word of @s: bare, or "quoted" with \" and \\ inside. */
static char *next_word(const char **s, int *err)
{
	const char *c = *s;
	char *out, *o;

	while (*c == ' ' || *c == '\t')
		c++;
	if (!*c || *c == '#')
		return *s = c, NULL;
	out = o = malloc(strlen(c) + 1);
	if (!out)
		return *err = -ENOMEM, NULL;
	if (*c == '"') {
		for (c++; *c && *c != '"'; c++) {
			if (*c == '\\' && (c[1] == '"' || c[1] == '\\'))
				c++;
			*o++ = *c;
		}
		if (*c != '"') {
			free(out);
			return *err = -EINVAL, NULL;
		}
		c++;
	} else {
		while (*c && *c != ' ' && *c != '\t')
			*o++ = *c++;
	}
	*o = '\0';
	*s = c;
	return out;
}

static void proxy_free(struct jt_proxy *x)
{
	free(x->name);
	free(x->upstream);
	free(x->env);
	for (size_t i = 0; i < x->n_headers; i++)
		free(x->headers[i]);
	free(x->headers);
}

static int proxy_words(struct jt_proxy *x, const char *text, char *err, size_t errlen)
{
	int e = 0;
	char *w;

	x->name = next_word(&text, &e);
	x->upstream = next_word(&text, &e);
	if (!x->name || !x->upstream) {
		snprintf(err, errlen, "expected: proxy NAME UPSTREAM [header \"Name: value\"]... [env VAR]");
		return e == -ENOMEM ? e : -EINVAL;
	}
	for (const char *c = x->name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-') {
			snprintf(err, errlen, "proxy name \"%s\": letters, digits, _ and - only", x->name);
			return -EINVAL;
		}
	if (strncmp(x->upstream, "http://", 7) && strncmp(x->upstream, "https://", 8)) {
		snprintf(err, errlen, "proxy upstream \"%s\" is not an http:// or https:// URL", x->upstream);
		return -EINVAL;
	}
	while (x->upstream[0] && x->upstream[strlen(x->upstream) - 1] == '/')
		x->upstream[strlen(x->upstream) - 1] = '\0';
	while ((w = next_word(&text, &e))) {
		char *val = next_word(&text, &e);
		char **h;

		if (!val || (strcmp(w, "header") && strcmp(w, "env"))) {
			snprintf(err, errlen, "proxy: expected header \"Name: value\" or env VAR, not \"%s\"", w);
			free(w);
			free(val);
			return e == -ENOMEM ? e : -EINVAL;
		}
		if (!strcmp(w, "env")) {
			free(x->env);
			x->env = val;
		} else if (!strchr(val, ':') || strchr(val, '\n') || strchr(val, '\r')) {
			snprintf(err, errlen, "proxy: header \"%s\" is not \"Name: value\"", val);
			free(w);
			free(val);
			return -EINVAL;
		} else if (!(h = realloc(x->headers, (x->n_headers + 1) * sizeof(*h)))) {
			free(w);
			free(val);
			return -ENOMEM;
		} else {
			x->headers = h;
			h[x->n_headers++] = val;
		}
		free(w);
	}
	if (e) {
		snprintf(err, errlen, "proxy: unterminated quote");
		return e;
	}
	if (!x->env) {
		size_t n = strlen(x->name);

		if (!(x->env = malloc(n + sizeof("_BASE_URL"))))
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			x->env[i] = x->name[i] == '-' ? '_' : (char)toupper((unsigned char)x->name[i]);
		memcpy(x->env + n, "_BASE_URL", sizeof("_BASE_URL"));
	}
	return 0;
}

int jt_proxy_parse(struct jt_policy *p, const char *text, int rule, char *err, size_t errlen)
{
	struct jt_proxy x = { .rule = rule }, *n = NULL;
	int r = proxy_words(&x, text, err, errlen);

	for (size_t i = 0; r == 0 && i < p->n_proxies; i++)
		if (!strcmp(p->proxies[i].name, x.name)) {
			snprintf(err, errlen, "proxy \"%s\" is defined twice", x.name);
			r = -EINVAL;
		}
	if (r == 0 && !(n = realloc(p->proxies, (p->n_proxies + 1) * sizeof(*n))))
		r = -ENOMEM;
	if (r < 0) {
		proxy_free(&x);
		return r;
	}
	p->proxies = n;
	p->proxies[p->n_proxies++] = x;
	return 0;
}

int jt_net_host_addrs(struct jt_policy *p)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next)
		n++;
	free(p->host_addrs);
	p->n_host_addrs = 0;
	p->host_addrs = calloc(n ? n : 1, sizeof(*p->host_addrs));
	if (!p->host_addrs) {
		freeifaddrs(ifa);
		return -ENOMEM;
	}
	for (i = ifa; i; i = i->ifa_next) {
		struct jt_net_dest d;
		size_t len = !i->ifa_addr ? 0 : i->ifa_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
			   : sizeof(struct sockaddr_in6);

		if (len && jt_net_from_sockaddr(i->ifa_addr, len, &d) == 0)
			p->host_addrs[p->n_host_addrs++] = d.addr;
	}
	freeifaddrs(ifa);
	return 0;
}

void jt_net_free(struct jt_policy *p)
{
	for (size_t i = 0; i < p->n_net; i++)
		free(p->net[i].name);
	for (size_t i = 0; i < p->n_proxies; i++)
		proxy_free(&p->proxies[i]);
	for (size_t i = 0; i < p->n_domains; i++)
		free(p->domains[i].name);
	for (size_t i = 0; i < p->n_hosts; i++)
		free(p->hosts[i].name);
	free(p->net);
	free(p->proxies);
	free(p->domains);
	free(p->hosts);
	free(p->host_addrs);
}

/* ---------------------------------------------------------------- within */

static int ports_within(const struct jt_net_rule *r, const struct jt_net_rule *o)
{
	return r->port_lo >= o->port_lo && r->port_hi <= o->port_hi;
}

/* Does @o's prefix hold all of @r's? */
static int prefix_within(const struct jt_net_rule *r, const struct jt_net_rule *o)
{
	return r->addr.family == o->addr.family && o->prefix <= r->prefix && contains(o, &r->addr);
}

/* Does outer rule @o allow every destination inner rule @r allows? */
static int rule_within(const struct jt_policy *in, const struct jt_net_rule *r,
		       const struct jt_policy *out, const struct jt_net_rule *o)
{
	if (r->kind != o->kind || (r->proto & ~o->proto) || !ports_within(r, o))
		return 0;
	if (r->kind == JT_NET_BIND)	/* the wildcard and loopback are places of their own */
		return same(&r->addr, &o->addr) && r->prefix == o->prefix;
	if (rule_local(in, r))
		return rule_local(out, o);
	return !rule_local(out, o) && prefix_within(r, o);
}

/* Does outer domain @o reach every name and port @d does? */
static int domain_within(const struct jt_domain *d, const struct jt_domain *o)
{
	int name = !strncmp(d->name, "*.", 2)
		? !strcmp(d->name, o->name) || (!strncmp(o->name, "*.", 2) && name_matches(o->name, d->name + 2))
		: name_matches(o->name, d->name);

	if (!name)
		return 0;
	if (!o->port_lo)	/* 80 and 443 */
		return d->port_lo ? d->port_lo == d->port_hi && (d->port_lo == 80 || d->port_lo == 443)
				  : 1;
	if (!d->port_lo)
		return o->port_lo <= 80 && o->port_hi >= 443;
	return d->port_lo >= o->port_lo && d->port_hi <= o->port_hi;
}

static int proxy_same(const struct jt_proxy *x, const struct jt_proxy *y)
{
	if (strcmp(x->name, y->name) || strcmp(x->upstream, y->upstream) ||
	    strcmp(x->env ? x->env : "", y->env ? y->env : "") || x->n_headers != y->n_headers)
		return 0;
	for (size_t i = 0; i < x->n_headers; i++)
		if (strcmp(x->headers[i], y->headers[i]))
			return 0;
	return 1;
}

int jt_net_within(const struct jt_policy *in, const struct jt_policy *out, int *rule,
		  char *what, size_t len)
{
	size_t i, j;

	for (i = 0; i < in->n_net; i++) {
		const struct jt_net_rule *r = &in->net[i];
		char a[INET6_ADDRSTRLEN];

		for (j = 0; j < out->n_net && !rule_within(in, r, out, &out->net[j]); j++)
			;
		if (j < out->n_net)
			continue;
		*rule = r->rule;
		inet_ntop(r->addr.family == 4 ? AF_INET : AF_INET6, r->addr.a, a, sizeof(a));
		snprintf(what, len, "net %s %s/%d ports %u-%u: no rule of the site's allows all of it",
			 r->kind == JT_NET_BIND ? "bind" : "connect", a, r->prefix, r->port_lo, r->port_hi);
		return 0;
	}
	for (i = 0; i < in->n_domains; i++) {
		for (j = 0; j < out->n_domains && !domain_within(&in->domains[i], &out->domains[j]); j++)
			;
		if (j < out->n_domains)
			continue;
		*rule = in->domains[i].rule;
		snprintf(what, len, "net domain %s: no domain rule of the site's allows all of it",
			 in->domains[i].name);
		return 0;
	}
	for (i = 0; i < in->n_proxies; i++) {
		for (j = 0; j < out->n_proxies && !proxy_same(&in->proxies[i], &out->proxies[j]); j++)
			;
		if (j < out->n_proxies)
			continue;
		*rule = in->proxies[i].rule;
		snprintf(what, len, "proxy %s: the site has no identical proxy rule", in->proxies[i].name);
		return 0;
	}
	for (i = 0; i < in->n_hosts; i++) {
		for (j = 0; j < out->n_hosts && (strcmp(in->hosts[i].name, out->hosts[j].name) ||
						 !same(&in->hosts[i].addr, &out->hosts[j].addr)); j++)
			;
		if (j < out->n_hosts)
			continue;
		*rule = in->hosts[i].rule;
		snprintf(what, len, "host %s: the site names no such host with that address", in->hosts[i].name);
		return 0;
	}
	return 1;
}
