/*
 * The forward proxy of `net domain` rules: the program reaches the web by
 * name, never by address. It is a sidecar (sidecar.c) on a loopback port
 * of this sandbox's, which the program's HTTP_PROXY and HTTPS_PROXY name.
 *
 * Each connection carries one request: `CONNECT NAME:PORT` (HTTPS) or an
 * absolute-form `GET http://NAME[:PORT]/path` (HTTP). The name must match
 * a rule; jailtrace resolves it itself (`host` lines first, then the
 * host's resolver) and connects only to what it resolved to, refusing
 * loopback, private, link-local and this host's own addresses unless a
 * `host` line names them. An address the program wrote is never connected
 * to: IP literals are refused. Through a tunnel, the TLS ClientHello must
 * name the same server (SNI), and may not hide it (encrypted ClientHello).
 * An HTTP request's Host header must name the URL's host; it goes on with
 * `Connection: close`, so a second request cannot ride the connection.
 *
 * Bytes are relayed through a fixed buffer each way, so a download of any
 * size costs the same memory; a connection idle for IO_TIMEOUT_S ends.
 * One "egress" record per request (docs/audit-log.md).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "filters/net.h"
#include "filters/policy.h"
#include "reports/log.h"
#include "tracer/denials.h"
#include "tracer/egress.h"
#include "tracer/internal.h"
#include "tracer/sidecar.h"

#define HEAD_MAX (16 * 1024)	/* request line and headers */
#define HELLO_MAX (64 * 1024)	/* a ClientHello, across records */
#define RELAY_BUF (64 * 1024)
#define IO_TIMEOUT_S 60
#define CONNECT_TIMEOUT_S 15
#define ADDRS_MAX 16
#define LOOKUP_TIMEOUT_S 20
#define N_ENV 8

struct jt_egress {
	struct jt_sidecar *sc;
	/* the run's domains, hosts, the host's addresses and the rules' places,
	 * copied: a connection thread still running when jailtrace ends must
	 * not read a policy the command has freed */
	struct jt_policy pol;
	char *env[N_ENV];
};

struct rec {
	struct jt_sidecar_rec base;
	struct jt_log_egress e;
	char method[16], name[256], addr[64], reason[320], rule[128], sni[256];
	int program;
};

/* One request, as it goes. */
struct req {
	struct jt_egress *g;
	int fd, up;			/* the program's socket, the upstream's */
	int up_slot;			/* jt_sidecar_track's */
	char method[16], name[256], sni[256];
	unsigned port;
	char addr[64];			/* what was connected to, "" if nothing */
	int rule;			/* the domain rule that matched, -1 */
	int denied;			/* refused after the tunnel was answered */
	char answer[16];		/* the start of an HTTP answer, for its status */
	size_t answer_len;
	int status;			/* what the program got */
	uint64_t bytes_up, bytes_down;
	struct timespec start;
	int program;			/* a connection of the program's (not one refused at accept) */
};

/* ------------------------------------------------------------ records */

static void write_rec(struct jt_run *run, const struct jt_sidecar_rec *r)
{
	const struct jt_log_egress *e = &((const struct rec *)r)->e;
	char what[320];

	jt_log_egress(&run->log, e);
	/* a request the program made (not a host process's connection, nor
	 * one over the bound: refused as they were accepted) */
	if (!e->allowed && ((const struct rec *)r)->program) {
		if (e->name)
			snprintf(what, sizeof(what), "%s %s:%u", e->method[0] ? e->method : "a request", e->name, e->port);
		else
			snprintf(what, sizeof(what), "%s", e->method[0] ? e->method : "a request");
		jt_denial_refused(run, "the domain proxy", what, e->reason);
	}
}

static void record(struct req *q, int allowed, const char *reason)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct timespec now;

	if (!r)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(r->method, sizeof(r->method), "%s", q->method);
	snprintf(r->name, sizeof(r->name), "%s", q->name);
	snprintf(r->addr, sizeof(r->addr), "%s", q->addr);
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	snprintf(r->rule, sizeof(r->rule), "%s", q->rule >= 0 ? jt_policy_where(&q->g->pol, q->rule) : "");
	snprintf(r->sni, sizeof(r->sni), "%s", q->sni);
	r->e = (struct jt_log_egress){
		.method = r->method, .name = r->name[0] ? r->name : NULL, .port = q->port,
		.addr = r->addr[0] ? r->addr : NULL, .allowed = allowed, .status = q->status,
		.reason = reason ? r->reason : NULL, .rule = q->rule >= 0 ? r->rule : NULL,
		.sni = r->sni[0] ? r->sni : NULL, .bytes_up = q->bytes_up, .bytes_down = q->bytes_down,
		.duration_ms = (uint64_t)((now.tv_sec - q->start.tv_sec) * 1000 +
					  (now.tv_nsec - q->start.tv_nsec) / 1000000),
	};
	r->program = q->program;
	r->base.write = write_rec;
	jt_sidecar_record(q->g->sc, &r->base);
}

/* Answer @status before anything reached an upstream: refused, or (502) not reachable. */
static void refuse(struct req *q, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void refuse(struct req *q, int status, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	q->status = status;
	jt_sidecar_reply(q->fd, status, why);
	/* 502: the policy allowed it, the network did not deliver */
	record(q, status == 502, why);
}

/* ------------------------------------------------------------ the request */

/* "NAME:PORT", "[V6]:PORT" (CONNECT) or "NAME[:PORT]" (a URL's, default
 * @dflt) into @host and @port. @return 0 or -1. */
static int host_port(const char *s, size_t n, char *host, size_t hlen, unsigned *port, unsigned dflt)
{
	const char *colon, *end = s + n;
	size_t hn;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return -1;
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		if (close + 1 < end && !colon)
			return -1;
		hn = (size_t)(close + 1 - s);
	} else {
		colon = memchr(s, ':', n);
		hn = colon ? (size_t)(colon - s) : n;
	}
	if (hn == 0 || hn >= hlen)
		return -1;
	memcpy(host, s, hn);
	host[hn] = '\0';
	if (!colon) {
		*port = dflt;
		return dflt ? 0 : -1;
	}
	char digits[8];
	size_t dn = (size_t)(end - colon - 1);
	char *e;
	unsigned long v;

	if (dn == 0 || dn >= sizeof(digits))
		return -1;
	memcpy(digits, colon + 1, dn);
	digits[dn] = '\0';
	v = strtoul(digits, &e, 10);
	if (*e || v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/*
 * Is the name one a rule allows on this port? Sets q->rule, or refuses.
 * @return 0 or -1 (refused).
 */
static int check_name(struct req *q, const char *host)
{
	char name[256];
	int m;

	snprintf(q->name, sizeof(q->name), "%s", host);
	if (jt_net_is_literal(host)) {
		refuse(q, 403, "%s is an address: jailtrace's proxy reaches names a domain rule grants", host);
		return -1;
	}
	snprintf(name, sizeof(name), "%s", host);
	if (jt_domain_name_ok(name) < 0) {
		refuse(q, 400, "\"%s\" is not a host name", host);
		return -1;
	}
	snprintf(q->name, sizeof(q->name), "%s", name);
	m = jt_domain_match(&q->g->pol, name, q->port);
	if (m == -ENOENT) {
		refuse(q, 403, "no domain rule names %s (grant with --allow-domain %s)", name, name);
		return -1;
	}
	if (m == -ERANGE) {
		refuse(q, 403, "port %u of %s is outside its domain rules (grant with --allow-domain %s:%u)",
		       q->port, name, name, q->port);
		return -1;
	}
	q->rule = q->g->pol.domains[m].rule;
	return 0;
}

/* Wait for @fd (and the stop pipe) up to @ms. @return revents of @fd, 0 on timeout or stop. */
static short wait_fd(struct req *q, int fd, short events, int ms)
{
	struct pollfd p[2] = { { fd, events, 0 }, { jt_sidecar_stop_fd(q->g->sc), POLLIN, 0 } };
	int n;

	do
		n = poll(p, 2, ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || p[1].revents)
		return 0;
	return p[0].revents;
}

static int connect_one(struct req *q, const struct jt_net_addr *a, int *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, e = 0;
	socklen_t elen = sizeof(e);

	memset(&ss, 0, sizeof(ss));
	if (a->family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)q->port);
		memcpy(&in->sin_addr, a->a, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)q->port);
		memcpy(&in6->sin6_addr, a->a, 16);
		len = sizeof(*in6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return -1;
	}
	if (!(wait_fd(q, fd, POLLOUT, CONNECT_TIMEOUT_S * 1000) & (POLLOUT | POLLERR | POLLHUP)) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0 || e) {
		*err = e ? e : ETIMEDOUT;
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/*
 * A lookup on a thread of its own: getaddrinfo cannot be interrupted, and
 * a name server that never answers must not hold a connection (and its
 * record) past the run's end. The asker waits on the eventfd and the stop
 * pipe; whichever of the two lets go last frees it.
 */
struct lookup {
	pthread_mutex_t mu;
	int refs;
	int efd;
	char name[256];
	int err;			/* getaddrinfo's */
	struct jt_net_addr addrs[ADDRS_MAX];
	size_t n;
};

static void lookup_put(struct lookup *l)
{
	int last;

	pthread_mutex_lock(&l->mu);
	last = --l->refs == 0;
	pthread_mutex_unlock(&l->mu);
	if (!last)
		return;
	close(l->efd);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static void *lookup_main(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	uint64_t one = 1;

	l->err = getaddrinfo(l->name, NULL, &hints, &res);
	for (ai = l->err ? NULL : res; ai && l->n < ADDRS_MAX; ai = ai->ai_next) {
		struct jt_net_dest d;

		if (jt_net_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &d) == 0)
			l->addrs[l->n++] = d.addr;
	}
	if (!l->err)
		freeaddrinfo(res);
	if (write(l->efd, &one, sizeof(one)) < 0)
		l->err = EAI_SYSTEM;
	lookup_put(l);
	return NULL;
}

/* The host's resolver's addresses for q->name. @return how many, or -1 (answered). */
static long resolve(struct req *q, struct jt_net_addr *out)
{
	struct lookup *l = calloc(1, sizeof(*l));
	pthread_attr_t at;
	pthread_t th;
	short ev;
	long n;

	if (!l) {
		refuse(q, 503, "out of memory");
		return -1;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->refs = 2;
	snprintf(l->name, sizeof(l->name), "%s", q->name);
	l->efd = eventfd(0, EFD_CLOEXEC);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	if (l->efd < 0 || pthread_create(&th, &at, lookup_main, l) != 0) {
		pthread_attr_destroy(&at);
		if (l->efd >= 0)
			close(l->efd);
		pthread_mutex_destroy(&l->mu);
		free(l);
		refuse(q, 503, "cannot look the name up now");
		return -1;
	}
	pthread_attr_destroy(&at);
	ev = wait_fd(q, l->efd, POLLIN, LOOKUP_TIMEOUT_S * 1000);
	if (!(ev & POLLIN)) {
		refuse(q, 502, jt_sidecar_stopping(q->g->sc) ? "the run ended while %s was being looked up"
		       : "%s did not resolve in time", q->name);
		lookup_put(l);	/* the resolver frees it when it returns */
		return -1;
	}
	if (l->err) {
		refuse(q, 502, "cannot resolve %s: %s", q->name,
		       l->err == EAI_SYSTEM ? strerror(errno) : gai_strerror(l->err));
		lookup_put(l);
		return -1;
	}
	memcpy(out, l->addrs, l->n * sizeof(*out));
	n = (long)l->n;
	lookup_put(l);
	return n;
}

/*
 * Addresses for q->name and a connection to one of them. A `host` line's
 * addresses are the policy's word for that name and are taken as they
 * are; the resolver's must be public (a name may not lead into the host
 * or its network). @return 0 or -1 (answered).
 */
static int reach(struct req *q)
{
	const struct jt_policy *p = &q->g->pol;
	struct jt_net_addr addrs[ADDRS_MAX];
	size_t n = jt_host_lookup(p, q->name, addrs, ADDRS_MAX, NULL), usable = 0;
	char first_closed[64] = "", buf[64];
	int err = 0;

	if (n > 0) {
		usable = n;
	} else {
		long r = resolve(q, addrs);

		if (r < 0)
			return -1;
		n = (size_t)r;
		for (size_t i = 0; i < n; i++) {
			if (jt_net_is_public(p, &addrs[i]))
				addrs[usable++] = addrs[i];
			else if (!first_closed[0])
				jt_net_format(&addrs[i], q->port, first_closed, sizeof(first_closed));
		}
	}
	if (!usable) {
		refuse(q, 403, "%s resolves to %s, which is this host or a private network "
		       "(a `host` line may name it)", q->name, first_closed[0] ? first_closed : "nothing");
		return -1;
	}
	for (size_t i = 0; i < usable && !jt_sidecar_stopping(q->g->sc); i++) {
		q->up = connect_one(q, &addrs[i], &err);
		if (q->up >= 0) {
			struct timeval tv = { IO_TIMEOUT_S, 0 };

			q->up_slot = jt_sidecar_track(q->g->sc, q->up);
			setsockopt(q->up, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			jt_net_format(&addrs[i], q->port, q->addr, sizeof(q->addr));
			return 0;
		}
	}
	jt_net_format(&addrs[0], q->port, buf, sizeof(buf));
	refuse(q, 502, "cannot connect to %s (%s): %s", q->name, buf, strerror(err ? err : EINTR));
	return -1;
}

/* ------------------------------------------------------------ TLS */

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

#define MORE ((const char *)1)		/* hello_check: the records so far hold less than the message */
#define NOT_TLS "not TLS: the tunnel carries TLS to the name it asked for"
#define MALFORMED "a malformed ClientHello"

/* The extensions of a ClientHello body (after its 4-byte header): the server name into @sni. */
static const char *hello_names(const unsigned char *p, const unsigned char *end, char *sni, size_t snilen)
{
	int names = 0;

	/* version, random, session id, cipher suites, compression */
	if (end - p < 35 || (p += 34, (size_t)(end - p) < 1u + *p))
		return MALFORMED;
	if ((p += 1 + *p, end - p < 2) || (size_t)(end - p) < 2 + be16(p))
		return MALFORMED;
	if ((p += 2 + be16(p), end - p < 1) || (size_t)(end - p) < 1u + *p)
		return MALFORMED;
	p += 1 + *p;
	if (end - p < 2)
		return NULL;	/* no extensions: no name */
	if (p + 2 + be16(p) > end)
		return MALFORMED;
	end = p + 2 + be16(p);
	for (p += 2; end - p >= 4;) {
		unsigned type = be16(p), len = be16(p + 2);
		const unsigned char *d = p + 4, *next = d + len, *e = next;

		if ((size_t)(end - d) < len)
			return MALFORMED;
		/* ECH, and ESNI of its drafts: the name inside is not the one checked */
		if (type == 0xfe0d || type == 0xffce)
			return "an encrypted ClientHello hides the server name";
		if (type == 0 && names++)
			return "two server_name extensions";
		if (type == 0) {
			/* list length, then (type, length, name)... */
			if (len < 2 || be16(d) != len - 2u)
				return "a malformed server_name";
			for (d += 2; e - d >= 3;) {
				size_t n = be16(d + 1);

				if ((size_t)(e - d - 3) < n)
					return "a malformed server_name";
				if (d[0] == 0 && sni[0])
					return "two server names";
				if (d[0] == 0 && (n == 0 || n >= snilen || memchr(d + 3, 0, n)))
					return "a malformed server_name";
				if (d[0] == 0) {
					memcpy(sni, d + 3, n);
					sni[n] = '\0';
				}
				d += 3 + n;
			}
		}
		p = next;
	}
	return NULL;
}

/*
 * The first handshake message in @raw (@rlen bytes of TLS records; with
 * @skip_ccs, change_cipher_spec records before it are passed over, as a
 * second ClientHello may follow one) must be a ClientHello naming one
 * server, q->name, without hiding it. @msg is HELLO_MAX bytes of scratch;
 * @end gets the offset past the records that held it.
 * @return NULL (the name in @sni), MORE, or why it is refused.
 */
static const char *hello_check(const struct req *q, const unsigned char *raw, size_t rlen, int skip_ccs,
			       unsigned char *msg, char *sni, size_t snilen, size_t *end)
{
	size_t mlen = 0, off = 0, need = 0;
	const char *why;
	char norm[256];

	sni[0] = '\0';
	while (need == 0 || mlen < need) {
		unsigned len;

		if (rlen < off + 5) {
			if (rlen > off && raw[off] != 0x16 && !(skip_ccs && mlen == 0 && raw[off] == 0x14))
				return NOT_TLS;
			return MORE;
		}
		len = be16(raw + off + 3);
		if (raw[off + 1] != 3)
			return NOT_TLS;
		if (skip_ccs && mlen == 0 && raw[off] == 0x14) {
			if (rlen < off + 5 + len)
				return MORE;
			off += 5 + len;
			continue;
		}
		if (raw[off] != 0x16)
			return NOT_TLS;
		if (len == 0 || len > 16384 + 2048)
			return MALFORMED;
		if (rlen < off + 5 + len)
			return MORE;
		if (mlen + len > HELLO_MAX)
			return "a ClientHello too long";
		memcpy(msg + mlen, raw + off + 5, len);
		mlen += len;
		off += 5 + len;
		if (need == 0 && mlen >= 4) {
			if (msg[0] != 1)
				return "the first handshake message is not a ClientHello";
			need = 4 + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3]);
			if (need > HELLO_MAX)
				return "a ClientHello too long";
		}
	}
	*end = off;
	/* the records end where the message does: a message after it in the
	 * same record (a second ClientHello) would go on unread */
	if (mlen != need)
		return "more than a ClientHello in its records";
	if ((why = hello_names(msg + 4, msg + need, sni, snilen)))
		return why;
	if (!sni[0])
		return "the ClientHello names no server (SNI)";
	snprintf(norm, sizeof(norm), "%s", sni);
	if (jt_domain_name_ok(norm) < 0 || strcmp(norm, q->name))
		return "the ClientHello names another server than the CONNECT";
	return NULL;
}

/*
 * What a tunnel's watch knows. TLS 1.3 lets the server answer the first
 * ClientHello with a HelloRetryRequest, and the client then sends a second
 * one in the clear, which could name another server. So after the first
 * ClientHello the program's bytes are held (up to HELLO_MAX; then it is
 * not read) until the server's first handshake message shows: a
 * ServerHello lets them go on; a HelloRetryRequest lets them go on only
 * once they begin with a second ClientHello that passes the same check
 * (even when the program sent it at once, before the retry was asked).
 * After a ServerHello everything is encrypted (TLS 1.3) or the server is
 * chosen (TLS 1.2: renegotiation runs inside the encryption).
 */
enum { WATCH_SERVER_HELLO, WATCH_SECOND_HELLO, WATCH_DONE };
struct watch {
	int state;
	unsigned char rec[5];		/* the server's record header being read */
	size_t reclen;			/* of it, read */
	size_t left;			/* bytes of the current record's payload still to come */
	unsigned char sh[38];		/* its first handshake message: header, version, random */
	size_t shlen;
	unsigned char *held;		/* the program's bytes not yet gone on */
	size_t heldlen;
	unsigned char *msg;		/* hello_check's scratch */
};

static const unsigned char hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* ------------------------------------------------------------ relaying */

static int send_up(struct req *q, const void *p, size_t n)
{
	if (jt_sidecar_send_all(q->up, p, n) < 0)
		return -1;
	q->bytes_up += n;
	return 0;
}

/* Let the held bytes go on as far as the watch's state allows. @return NULL or why the tunnel ends. */
static const char *watch_release(struct req *q, struct watch *w)
{
	char sni[256];
	const char *why;
	size_t end = 0;

	if (w->state == WATCH_SECOND_HELLO) {
		why = hello_check(q, w->held, w->heldlen, 1, w->msg, sni, sizeof(sni), &end);
		if (why == MORE)
			return w->heldlen == HELLO_MAX ? (q->denied = 1, "a ClientHello too long") : NULL;
		if (why) {
			q->denied = 1;
			snprintf(q->sni, sizeof(q->sni), "%s", sni);
			return why;
		}
		w->state = WATCH_DONE;
	}
	if (w->state != WATCH_DONE || !w->heldlen)
		return NULL;
	if (send_up(q, w->held, w->heldlen) < 0)
		return "the upstream went away";
	w->heldlen = 0;
	return NULL;
}

/*
 * The server's bytes: its first handshake message decides what the held
 * bytes wait for. Its start is gathered from as many handshake records as
 * it spans (a server may send them a byte at a time); any other record
 * first (an alert) ends the watch: no handshake follows.
 */
static const char *watch_down(struct req *q, struct watch *w, const char *p, size_t n)
{
	while (n && w->state == WATCH_SERVER_HELLO) {
		if (w->reclen < 5) {
			w->rec[w->reclen++] = (unsigned char)*p++;
			n--;
			if (w->reclen == 5) {
				w->left = be16(w->rec + 3);
				if (w->rec[0] != 0x16)
					w->state = WATCH_DONE;
			}
			continue;
		}
		size_t take = w->left < n ? w->left : n;

		if (take > sizeof(w->sh) - w->shlen)
			take = sizeof(w->sh) - w->shlen;
		memcpy(w->sh + w->shlen, p, take);
		w->shlen += take;
		/* past what is needed of this record: skip its rest */
		take = w->left < n ? w->left : n;
		p += take;
		n -= take;
		w->left -= take;
		if (w->shlen == sizeof(w->sh))
			w->state = w->sh[0] == 2 && !memcmp(w->sh + 6, hrr_random, 32) ? WATCH_SECOND_HELLO
											 : WATCH_DONE;
		else if (w->left == 0)
			w->reclen = 0;	/* the message goes on in the next record */
	}
	return w->state == WATCH_SERVER_HELLO ? NULL : watch_release(q, w);
}

/* The program's bytes while the watch holds them. @return NULL or why the tunnel ends. */
static const char *watch_up(struct req *q, struct watch *w, const char *p, size_t n)
{
	memcpy(w->held + w->heldlen, p, n);
	w->heldlen += n;
	return watch_release(q, w);
}

/* HTTP: the status line of the answer ("HTTP/1.1 404 ...") is what the program got. */
static void answer_status(struct req *q, const char *p, size_t n)
{
	size_t take = sizeof(q->answer) - 1 - q->answer_len;

	if (q->answer_len == sizeof(q->answer) - 1)
		return;
	memcpy(q->answer + q->answer_len, p, n < take ? n : take);
	q->answer_len += n < take ? n : take;
	q->answer[q->answer_len] = '\0';
	if (q->answer_len >= 12 && !strncmp(q->answer, "HTTP/1.", 7) && q->answer[8] == ' ' &&
	    isdigit((unsigned char)q->answer[9]) && isdigit((unsigned char)q->answer[10]) &&
	    isdigit((unsigned char)q->answer[11]))
		q->status = atoi(q->answer + 9);
}

/*
 * Relay until both sides are done, a side fails, the run stops or nothing
 * moves for IO_TIMEOUT_S. @w: a tunnel, the program's bytes go on too;
 * NULL: only the answer comes back (HTTP: one request was sent).
 * @return NULL, or why it ended early.
 */
static const char *relay(struct req *q, struct watch *w)
{
	char *buf = malloc(RELAY_BUF);
	int up_open = w != NULL;
	size_t room = RELAY_BUF;
	const char *why = NULL;

	if (!buf)
		return "out of memory";
	while (!why) {
		struct pollfd p[3] = {
			{ q->up, POLLIN, 0 },
			/* a side no longer read is not watched: a client that shut
			 * its writing down still gets the answer; one that went
			 * away shows when the answer cannot be sent */
			{ q->fd, (short)(up_open && room ? POLLIN : 0), 0 },
			{ jt_sidecar_stop_fd(q->g->sc), POLLIN, 0 },
		};
		int n;

		/* held bytes fill up: the program waits, unread, for the server */
		room = !w || w->state == WATCH_DONE ? RELAY_BUF : HELLO_MAX - w->heldlen;
		p[1].events = (short)(up_open && room ? POLLIN : 0);
		n = poll(p, 3, IO_TIMEOUT_S * 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			why = n == 0 ? "idle too long" : "poll failed";
			break;
		}
		if (p[2].revents) {
			why = "the run ended";
			break;
		}
		if (p[0].revents) {
			ssize_t r = recv(q->up, buf, RELAY_BUF, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				/* the upstream is done: so is the answer */
				if (r < 0)
					why = "the upstream failed";
				break;
			}
			if (!w)
				answer_status(q, buf, (size_t)r);
			if (jt_sidecar_send_all(q->fd, buf, (size_t)r) < 0) {
				why = "the program went away";
				break;
			}
			q->bytes_down += (uint64_t)r;
			if (w && (why = watch_down(q, w, buf, (size_t)r)))
				break;
		}
		if (p[1].revents && up_open) {
			ssize_t r = recv(q->fd, buf, room < RELAY_BUF ? room : RELAY_BUF, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				up_open = 0;
				if (w && w->state != WATCH_DONE && w->heldlen) {
					/* what it sent last still waits for the server's word */
					continue;
				}
				shutdown(q->up, SHUT_WR);
				if (r < 0)
					why = "the program's side failed";
				continue;
			}
			if (w && w->state != WATCH_DONE)
				why = watch_up(q, w, buf, (size_t)r);
			else if (send_up(q, buf, (size_t)r) < 0)
				why = "the upstream went away";
		} else if (p[1].revents & POLLERR) {
			why = "the program went away";
		}
	}
	free(buf);
	return why;
}

static void tunnel(struct req *q, char *extra, size_t n_extra)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct watch w = { .state = WATCH_SERVER_HELLO };
	unsigned char *raw = malloc(HELLO_MAX);
	size_t rlen = 0, end = 0;
	const char *why = MORE;

	w.msg = malloc(HELLO_MAX);
	w.held = malloc(HELLO_MAX);
	if (!raw || !w.msg || !w.held) {
		refuse(q, 503, "out of memory");
		goto out;
	}
	rlen = n_extra < HELLO_MAX ? n_extra : HELLO_MAX;
	memcpy(raw, extra, rlen);
	q->status = 200;
	if (jt_sidecar_send_all(q->fd, ok, sizeof(ok) - 1) < 0) {
		record(q, 1, "the program went away");
		goto out;
	}
	while ((why = hello_check(q, raw, rlen, 0, w.msg, q->sni, sizeof(q->sni), &end)) == MORE) {
		ssize_t n;

		if (rlen == HELLO_MAX) {
			why = "a ClientHello too long";
			break;
		}
		if (!(wait_fd(q, q->fd, POLLIN, IO_TIMEOUT_S * 1000) & POLLIN) ||
		    (n = recv(q->fd, raw + rlen, HELLO_MAX - rlen, 0)) <= 0) {
			why = "no ClientHello came";
			break;
		}
		rlen += (size_t)n;
	}
	if (why) {
		/* nothing went on to the upstream; the program sees the tunnel close */
		char r[320];

		snprintf(r, sizeof(r), "%s%s%.100s", why, q->sni[0] ? ": " : "", q->sni);
		record(q, 0, r);
		goto out;
	}
	/* what came after the ClientHello waits for the server's first word */
	if (send_up(q, raw, end) < 0) {
		record(q, 1, "the upstream went away");
		goto out;
	}
	memcpy(w.held, raw + end, rlen - end);
	w.heldlen = rlen - end;
	why = relay(q, &w);
	if (q->denied) {
		char r[320];

		snprintf(r, sizeof(r), "after a HelloRetryRequest: %s%s%.100s", why, q->sni[0] ? ": " : "",
			 q->sni);
		record(q, 0, r);
	} else {
		record(q, 1, why);
	}
out:
	free(raw);
	free(w.msg);
	free(w.held);
}

static int hop_by_hop(const char *h, size_t n)
{
	static const char *const names[] = { "connection", "proxy-connection", "keep-alive", "te",
					     "upgrade", "proxy-authorization", "proxy-authenticate",
					     "trailer", "host" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == n && !strncasecmp(h, names[i], n))
			return 1;
	return 0;
}

/* "Name: value" as RFC 9110 has it: a token, a colon, no controls but tabs in the value. */
static int field_ok(const char *line, const char *colon)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";

	if (!colon || colon == line)
		return 0;
	for (const char *c = line; c < colon; c++)
		if (!isalnum((unsigned char)*c) && !strchr(tchar, *c))
			return 0;
	for (const unsigned char *c = (const unsigned char *)colon + 1; *c; c++)
		if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
			return 0;
	return 1;
}

/* An absolute-form request: on as origin-form with Connection: close, its body after it. */
static void forward(struct req *q, char *head, size_t hlen, size_t got, const char *path)
{
	char *out = malloc(HEAD_MAX + 512), *line, *eol;
	const char *why;
	size_t len = 0, body = 0, sent;
	int n, has_length = 0;

	if (!out) {
		refuse(q, 503, "out of memory");
		return;
	}
	n = snprintf(out, HEAD_MAX + 512, "%s %s HTTP/1.1\r\n", q->method, path);
	len = (size_t)n;
	if (memchr(head, '\0', hlen)) {
		refuse(q, 400, "a NUL byte in the request head");
		goto out;
	}
	/* each header line, ending CRLF; the head ends with an empty one */
	for (line = strstr(head, "\r\n") + 2; line < head + hlen - 2; line = eol + 2) {
		const char *colon;
		size_t nn;

		eol = memmem(line, (size_t)(head + hlen - line), "\r\n", 2);
		if (!eol) {
			/* the head ended with bare LFs */
			refuse(q, 400, "a header line not ended by CRLF");
			goto out;
		}
		*eol = '\0';
		colon = strchr(line, ':');
		nn = colon ? (size_t)(colon - line) : 0;
		if (!field_ok(line, colon)) {
			/* what a lenient upstream would read otherwise than jailtrace
			 * (a name with a tab, a folded line, a bare CR) is refused */
			refuse(q, 400, "a malformed header line");
			goto out;
		}
		if (nn == 4 && !strncasecmp(line, "host", 4)) {
			char h[256], hn[256];
			unsigned hp;
			const char *v = colon + 1;

			v += strspn(v, " \t");
			if (host_port(v, strcspn(v, " \t"), h, sizeof(h), &hp, q->port) < 0 ||
			    (snprintf(hn, sizeof(hn), "%s", h), jt_domain_name_ok(hn) < 0) ||
			    strcmp(hn, q->name) || hp != q->port) {
				refuse(q, 403, "the Host header names another host than the URL");
				goto out;
			}
		}
		if (nn == 17 && !strncasecmp(line, "transfer-encoding", 17)) {
			refuse(q, 411, "send a Content-Length, not chunks");
			goto out;
		}
		if (nn == 14 && !strncasecmp(line, "content-length", 14)) {
			/* one, all digits: two lengths are how a second request is smuggled */
			const char *v = colon + 1 + strspn(colon + 1, " \t");
			size_t digits = strspn(v, "0123456789");

			if (has_length++ || digits == 0 || digits > 15 || v[digits + strspn(v + digits, " \t")]) {
				refuse(q, 400, "a bad or repeated Content-Length");
				goto out;
			}
			body = strtoull(v, NULL, 10);
			continue;	/* sent as jailtrace read it, below */
		}
		if (hop_by_hop(line, nn))
			continue;
		n = snprintf(out + len, HEAD_MAX + 512 - len, "%s\r\n", line);
		if (n < 0 || (size_t)n >= HEAD_MAX + 512 - len) {
			refuse(q, 431, "request headers too large");
			goto out;
		}
		len += (size_t)n;
	}
	if (has_length) {
		n = snprintf(out + len, HEAD_MAX + 512 - len, "Content-Length: %zu\r\n", body);
		if (n < 0 || (size_t)n >= HEAD_MAX + 512 - len) {
			refuse(q, 431, "request headers too large");
			goto out;
		}
		len += (size_t)n;
	}
	n = snprintf(out + len, HEAD_MAX + 512 - len, q->port == 80 ? "Host: %s\r\nConnection: close\r\n\r\n"
		     : "Host: %s:%u\r\nConnection: close\r\n\r\n", q->name, q->port);
	if (n < 0 || (size_t)n >= HEAD_MAX + 512 - len) {
		refuse(q, 431, "request headers too large");
		goto out;
	}
	len += (size_t)n;
	if (reach(q) < 0)
		goto out;
	q->status = 502;	/* until the upstream's status line says otherwise */
	if (send_up(q, out, len) < 0) {
		record(q, 1, "the upstream went away");
		goto out;
	}
	/* the body: what came with the head, then the rest; nothing beyond it */
	sent = got - hlen < body ? got - hlen : body;
	if (sent && send_up(q, head + hlen, sent) < 0) {
		record(q, 1, "the upstream went away");
		goto out;
	}
	while (sent < body) {
		ssize_t r;

		if (!(wait_fd(q, q->fd, POLLIN, IO_TIMEOUT_S * 1000) & POLLIN) ||
		    (r = recv(q->fd, out, body - sent < HEAD_MAX ? body - sent : HEAD_MAX, 0)) <= 0) {
			record(q, 1, "the request body was cut short");
			goto out;
		}
		if (send_up(q, out, (size_t)r) < 0) {
			record(q, 1, "the upstream went away");
			goto out;
		}
		sent += (size_t)r;
	}
	why = relay(q, NULL);
	record(q, 1, why ? why : q->answer_len ? NULL : "the upstream sent no answer");
out:
	free(out);
}

static void serve(void *arg, int fd)
{
	struct req q = { .g = arg, .fd = fd, .up = -1, .up_slot = -1, .rule = -1, .program = 1 };
	char *head = malloc(HEAD_MAX + 1), target[8192], host[300], origin[8200];
	size_t got;
	long hlen;

	clock_gettime(CLOCK_MONOTONIC, &q.start);
	if (!head)
		return;
	hlen = jt_sidecar_read_head(fd, head, HEAD_MAX, &got);
	if (hlen < 0) {
		refuse(&q, 400, "no request head");
		goto out;
	}
	head[got] = '\0';
	switch (jt_sidecar_request_line(head, q.method, sizeof(q.method), target, sizeof(target))) {
	case -1:
		refuse(&q, 400, "a bad request line");
		goto out;
	case -2:
		refuse(&q, 414, "a target of more than %zu bytes", sizeof(target) - 1);
		goto out;
	}
	if (!strcmp(q.method, "CONNECT")) {
		if (host_port(target, strlen(target), host, sizeof(host), &q.port, 0) < 0) {
			refuse(&q, 400, "CONNECT needs NAME:PORT");
			goto out;
		}
		if (check_name(&q, host) < 0 || reach(&q) < 0)
			goto out;
		tunnel(&q, head + hlen, got - (size_t)hlen);
	} else {
		const char *auth = target + 7, *path;

		if (strncasecmp(target, "http://", 7)) {
			refuse(&q, 400, "jailtrace's proxy takes http://NAME/... or CONNECT NAME:443");
			goto out;
		}
		path = auth + strcspn(auth, "/?#");
		if (memchr(auth, '@', (size_t)(path - auth))) {
			refuse(&q, 400, "a URL with credentials in it");
			goto out;
		}
		if (host_port(auth, (size_t)(path - auth), host, sizeof(host), &q.port, 80) < 0) {
			refuse(&q, 400, "a bad host in the URL");
			goto out;
		}
		if (check_name(&q, host) < 0)
			goto out;
		/* http://name?q is http://name/?q; a fragment is the client's own */
		snprintf(origin, sizeof(origin), "%s%.*s", *path == '/' ? "" : "/", (int)strcspn(path, "#"),
			 path);
		forward(&q, head, (size_t)hlen, got, origin);
	}
out:
	if (q.up >= 0)
		jt_sidecar_close_tracked(q.g->sc, q.up_slot, q.up);
	free(head);
}

static void refuse_fd(void *arg, int fd, int status, const char *why)
{
	struct req q = { .g = arg, .fd = fd, .up = -1, .up_slot = -1, .rule = -1 };

	clock_gettime(CLOCK_MONOTONIC, &q.start);
	refuse(&q, status, "%s", why);
}

static const struct jt_sidecar_ops egress_ops = { serve, refuse_fd };

/* ------------------------------------------------------------ the tracer's side */

/* What the proxy's threads read of @p, into @c (an empty policy otherwise). */
static int copy_policy(struct jt_policy *c, const struct jt_policy *p)
{
	jt_policy_init(c);
	c->domains = calloc(p->n_domains, sizeof(*c->domains));
	c->hosts = calloc(p->n_hosts ? p->n_hosts : 1, sizeof(*c->hosts));
	c->host_addrs = calloc(p->n_host_addrs ? p->n_host_addrs : 1, sizeof(*c->host_addrs));
	c->where = calloc(p->n_where ? p->n_where : 1, sizeof(*c->where));
	if (!c->domains || !c->hosts || !c->host_addrs || !c->where)
		return -ENOMEM;
	for (; c->n_domains < p->n_domains; c->n_domains++) {
		c->domains[c->n_domains] = p->domains[c->n_domains];
		if (!(c->domains[c->n_domains].name = strdup(p->domains[c->n_domains].name)))
			return -ENOMEM;
	}
	for (; c->n_hosts < p->n_hosts; c->n_hosts++) {
		c->hosts[c->n_hosts] = p->hosts[c->n_hosts];
		if (!(c->hosts[c->n_hosts].name = strdup(p->hosts[c->n_hosts].name)))
			return -ENOMEM;
	}
	memcpy(c->host_addrs, p->host_addrs, p->n_host_addrs * sizeof(*c->host_addrs));
	c->n_host_addrs = p->n_host_addrs;
	for (; c->n_where < p->n_where; c->n_where++)
		if (!(c->where[c->n_where] = strdup(p->where[c->n_where])))
			return -ENOMEM;
	return 0;
}

int jt_egress_start(struct jt_run *run, struct jt_policy *p, char *err, size_t errlen)
{
	static const char *const names[] = { "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
					     "https_proxy", "all_proxy" };
	struct jt_egress *g;
	unsigned port;
	int r;

	if (!p->n_domains)
		return 0;
	if (!(g = calloc(1, sizeof(*g))))
		return -ENOMEM;
	if (copy_policy(&g->pol, p) < 0) {
		jt_policy_free(&g->pol);
		free(g);
		snprintf(err, errlen, "the domain proxy: out of memory");
		return -ENOMEM;
	}
	r = jt_sidecar_start(&g->sc, "the domain proxy", &egress_ops, g, err, errlen);
	if (r < 0) {
		jt_policy_free(&g->pol);
		free(g);
		return r;
	}
	port = jt_sidecar_port(g->sc);
	for (size_t i = 0; i < 6; i++)
		if (asprintf(&g->env[i], "%s=http://127.0.0.1:%u", names[i], port) < 0)
			r = -ENOMEM;
	/* the sandbox's own loopback (the secrets proxy, its own servers) is not proxied */
	if (asprintf(&g->env[6], "NO_PROXY=localhost,127.0.0.1,::1") < 0 ||
	    asprintf(&g->env[7], "no_proxy=localhost,127.0.0.1,::1") < 0)
		r = -ENOMEM;
	if (r == 0)
		r = jt_sidecar_grant(p, (uint16_t)port, p->domains[0].rule);
	run->egress = g;
	if (r < 0) {
		snprintf(err, errlen, "the domain proxy: out of memory");
		jt_egress_stop(run);
	}
	return r;
}

const char *jt_egress_env(const struct jt_run *run, size_t i)
{
	return run->egress && i < N_ENV ? run->egress->env[i] : NULL;
}

void jt_egress_connected(struct jt_run *run, int copy, const struct jt_net_dest *d)
{
	if (run->egress)
		jt_sidecar_connected(run->egress->sc, run->policy, copy, d);
}

void jt_egress_drain(struct jt_run *run)
{
	if (run->egress)
		jt_sidecar_drain(run->egress->sc, run);
}

void jt_egress_stop(struct jt_run *run)
{
	struct jt_egress *g = run->egress;

	if (!g)
		return;
	run->egress = NULL;
	if (jt_sidecar_stop(g->sc, run))
		return;	/* a thread still holds it, and jailtrace is about to exit */
	for (size_t i = 0; i < N_ENV; i++)
		free(g->env[i]);
	jt_policy_free(&g->pol);
	free(g);
}

uint16_t jt_egress_port(const struct jt_run *run)
{
	return run->egress ? jt_sidecar_port(run->egress->sc) : 0;
}
