/*
 * The network as a capability: `net` and `proxy` rules and their decision.
 *
 * An address is decided by what it reaches, not by how it is spelled:
 * IPv4-mapped IPv6 is IPv4, and every spelling of this host (127.0.0.0/8,
 * ::1, 0.0.0.0, ::, the host's own interface addresses) is "the local host",
 * which only a rule that itself names the local host grants. So
 * `net connect 0.0.0.0/0` opens the internet, not the host's own services.
 */
#ifndef JT_FILTERS_NET_H
#define JT_FILTERS_NET_H

#include <stddef.h>
#include <stdint.h>

struct jt_policy;
struct jt_verdict;

enum { JT_NET_CONNECT = 1, JT_NET_BIND = 2 };
enum { JT_NET_TCP = 1, JT_NET_UDP = 2 };

/* An address: IPv4 in a[0..3] (family 4) or IPv6 (family 6). */
struct jt_net_addr {
	int family;
	unsigned char a[16];
};

struct jt_net_rule {
	int kind;		/* JT_NET_CONNECT or JT_NET_BIND */
	struct jt_net_addr addr;
	int prefix;		/* CIDR length */
	int local;		/* the rule names the local host */
	uint16_t port_lo, port_hi;
	int proto;		/* JT_NET_TCP | JT_NET_UDP */
	char *name;		/* the host name as written, or NULL for an address */
	int rule;
};

/* proxy NAME UPSTREAM [header "Name: value"]...: served by jailtrace. */
struct jt_proxy {
	char *name;		/* [A-Za-z0-9_-]+: the path prefix /NAME/ */
	char *upstream;		/* http:// or https:// URL, no trailing '/' */
	char **headers;		/* "Name: value" with ${VAR} / ${file:PATH} unexpanded */
	size_t n_headers;
	char *env;		/* NAME_BASE_URL: what tells the program where it is */
	int rule;
};

/*
 * net domain NAME[:PORT[-PORT]]: the program reaches NAME through
 * jailtrace's forward proxy (tracer/egress.c), never by address.
 */
struct jt_domain {
	char *name;		/* lower case, no trailing dot; "*.x.org" is every name below x.org */
	uint16_t port_lo, port_hi;	/* 0, 0: ports 80 and 443 */
	int rule;
};

/* host NAME ADDRESS (or --hosts FILE): the proxy's resolver answers ADDRESS
 * for NAME before asking the host's; a testing aid. */
struct jt_host_entry {
	char *name;		/* lower case */
	struct jt_net_addr addr;
	int rule;
};

/* A destination as the program asked for it, normalized. */
struct jt_net_dest {
	int kind;		/* JT_NET_CONNECT or JT_NET_BIND */
	int proto;		/* JT_NET_TCP or JT_NET_UDP */
	struct jt_net_addr addr;
	uint16_t port;
};

/**
 * Read a sockaddr of the inet families into @d (proto and kind are the
 * caller's). @return 0, -EAFNOSUPPORT for another family, -EINVAL if short.
 */
int jt_net_from_sockaddr(const void *sa, size_t len, struct jt_net_dest *d);

/** "tcp 1.2.3.4:80" (a log record's facts.addr) into @d. @return 0 or -EINVAL. */
int jt_net_parse(const char *text, struct jt_net_dest *d);

/** "1.2.3.4:80", "[::1]:53" into @buf. */
const char *jt_net_format(const struct jt_net_addr *a, unsigned port, char *buf, size_t len);

/** Does @a reach this host under @p's list of the host's own addresses? */
int jt_net_is_local(const struct jt_policy *p, const struct jt_net_addr *a);

/**
 * Decide a connect, a bind or a datagram's destination: the first matching
 * rule allows; otherwise ENETUNREACH without any connect rule (a host
 * with no network), EACCES with some (a firewall), EACCES for a bind.
 */
void jt_decide_net(const struct jt_policy *p, const struct jt_net_dest *d, struct jt_verdict *v);

/** May the program make datagram sockets of the inet families (a UDP grant or `net dns`)? */
int jt_net_may_udp(const struct jt_policy *p);
/** Does the policy hold connect grants that the tracer performs (not only denials)? */
int jt_net_has_grants(const struct jt_policy *p);

/**
 * Parse a `net` rule from words w[1..n-1] (w[0] is "net"); host names are
 * resolved here, on the host, once. @return 0, -EINVAL with @err set, -ENOMEM.
 */
int jt_net_rule_parse(struct jt_policy *p, char **w, int n, int rule, char *err, size_t errlen);

/** Parse a `proxy` rule from the text after the word "proxy". */
int jt_proxy_parse(struct jt_policy *p, const char *text, int rule, char *err, size_t errlen);

/**
 * Which `net domain` rule lets the proxy reach @name (lower case, no
 * trailing dot) on @port? @return its index, -ENOENT when no rule names
 * it, -ERANGE when rules name it but none on that port.
 */
int jt_domain_match(const struct jt_policy *p, const char *name, unsigned port);

/** Normalize a host name in place (lower case, no trailing dot). @return 0, or -EINVAL if it is not one. */
int jt_domain_name_ok(char *name);

/** Is @a a literal IPv4 or IPv6 address (any spelling inet_aton or inet_pton takes)? */
int jt_net_is_literal(const char *name);

/**
 * May the proxy connect to @a, which the host's resolver gave for a name?
 * Not loopback, unspecified, link-local, private, shared, multicast,
 * documentation or reserved (IPv4 inside IPv6 judged as IPv4), nor one of
 * this host's own addresses. (A `host` line's addresses are for its name
 * alone; the proxy takes those as the policy gave them.) @return 1 or 0.
 */
int jt_net_is_public(const struct jt_policy *p, const struct jt_net_addr *a);

/** The `host` entries' addresses for @name, up to @max into @out. @return how many; the rule of the first in @rule. */
size_t jt_host_lookup(const struct jt_policy *p, const char *name, struct jt_net_addr *out, size_t max,
		      int *rule);

/** Parse `host NAME ADDRESS` (words w[1], w[2]). @return 0, -EINVAL with @err set, -ENOMEM. */
int jt_host_rule_parse(struct jt_policy *p, char **w, int n, int rule, char *err, size_t errlen);

/** /etc/hosts-format @text (of the file @name) into `host` entries of @rule. @return 0, -EINVAL with @err set, -ENOMEM. */
int jt_hosts_text(struct jt_policy *p, const char *name, const char *text, int rule,
		  char *err, size_t errlen);

/** Learn the host's own interface addresses (getifaddrs). @return 0 or -errno. */
int jt_net_host_addrs(struct jt_policy *p);

/*
 * Is every destination @in's net, domain, proxy and host rules allow also
 * allowed by @out's (each rule covered by one of @out's; proxies and host
 * lines only when identical)? @return 1, or 0 with *@rule the first rule
 * of @in's that widens and @what saying how. Both policies' host
 * addresses (jt_net_host_addrs) should be known.
 */
int jt_net_within(const struct jt_policy *in, const struct jt_policy *out, int *rule,
		  char *what, size_t len);

void jt_net_free(struct jt_policy *p);

#endif
