/*
 * The secrets proxy: the program asks http://127.0.0.1:PORT/NAME/rest, and
 * jailtrace asks UPSTREAM/rest (libcurl) with the rule's headers, whose
 * secret values come from jailtrace's own environment or a file and so
 * never enter the sandbox. Answers are streamed back with every secret
 * value blotted out, in case the upstream echoes what it was sent.
 *
 * It is a sidecar (sidecar.c): threads of its own (one per request, a
 * bounded number), so a slow upstream never holds up the tracer; only
 * sockets the tracer itself connected for the program are served; records
 * are queued and written by the tracer's thread, which owns the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#ifndef JT_STATIC
#include <dlfcn.h>
#endif
#include <curl/curl.h>
#include "filters/net.h"
#include "tracer/denials.h"
#include "tracer/internal.h"
#include "tracer/proxy.h"
#include "tracer/sidecar.h"

#define HEAD_MAX (64 * 1024)	/* request line and headers */
#define BODY_MAX (64 * 1024 * 1024)
#define IO_TIMEOUT_S 60

/*
 * libcurl is loaded when a run has a proxy, not linked: its thirty-odd
 * libraries (TLS, Kerberos, LDAP, ...) would cost every run about 3 ms of
 * start-up. The calls below go through this table.
 */
static struct {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} lc;

#ifdef JT_STATIC
/* The static build (make static) has no HTTP client: libcurl's TLS,
 * Kerberos and LDAP libraries have no static archives to link. */
static int load_curl(char *err, size_t errlen)
{
	snprintf(err, errlen, "proxy: this jailtrace is statically linked and has no HTTP client "
		 "(libcurl): proxy rules need the dynamic build");
	return -ENOTSUP;
}
#else
/* dlsym's void * into a function pointer (POSIX allows it; C does not say) */
static int sym(void *h, const char *name, void *fn, size_t size, char *err, size_t errlen)
{
	void *p = dlsym(h, name);

	if (!p) {
		snprintf(err, errlen, "proxy: libcurl lacks %s", name);
		return -ENOENT;
	}
	memcpy(fn, &p, size);
	return 0;
}

static int load_curl(char *err, size_t errlen)
{
	void *h;

	if (lc.global_init)
		return 0;
	h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "proxy: cannot load libcurl (Debian: libcurl4): %s", dlerror());
		return -ENOENT;
	}
#define SYM(field, name) sym(h, name, &lc.field, sizeof(lc.field), err, errlen)
	if (SYM(global_cleanup, "curl_global_cleanup") || SYM(easy_init, "curl_easy_init") ||
	    SYM(easy_setopt, "curl_easy_setopt") || SYM(easy_perform, "curl_easy_perform") ||
	    SYM(easy_getinfo, "curl_easy_getinfo") || SYM(easy_cleanup, "curl_easy_cleanup") ||
	    SYM(easy_strerror, "curl_easy_strerror") || SYM(slist_append, "curl_slist_append") ||
	    SYM(slist_free_all, "curl_slist_free_all") || SYM(global_init, "curl_global_init"))
		return -ENOENT;
#undef SYM
	return 0;
}
#endif

int jt_proxy_available(char *err, size_t errlen)
{
	return load_curl(err, errlen);
}

struct secret_hdr {
	char *line;		/* "Name: value" with the secrets in */
	size_t name_len;	/* the header name's length, to drop the program's own */
};

struct proxy_def {
	const struct jt_proxy *rule;
	struct secret_hdr *hdr;
	size_t n_hdr;
	char *env;		/* NAME_BASE_URL=... */
	char *where;		/* "file:line" */
};

struct queued {
	struct jt_sidecar_rec base;
	struct jt_log_proxy rec;
	char name[64], method[16], path[512], error[256], where[128];
};

struct jt_proxy_srv {
	struct jt_sidecar *sc;
	struct proxy_def *defs;
	size_t n_defs;
	char **secrets;		/* every value substituted, to blot out of answers */
	size_t n_secrets, max_secret;
};

/* ------------------------------------------------------------ set-up */

static int add_form(struct jt_proxy_srv *s, const char *v, size_t n)
{
	char **ns;

	for (size_t i = 0; i < s->n_secrets; i++)
		if (strlen(s->secrets[i]) == n && !memcmp(s->secrets[i], v, n))
			return 0;
	if (!(ns = realloc(s->secrets, (s->n_secrets + 1) * sizeof(*ns))) || !(ns[s->n_secrets] = strndup(v, n)))
		return -ENOMEM;
	s->secrets = ns;
	s->n_secrets++;
	if (n > s->max_secret)
		s->max_secret = n;
	return 0;
}

/*
 * A secret, and the forms an upstream writes it in when it echoes what it
 * was sent: as a JSON string ('/' as "\/", as PHP's json_encode writes it;
 * '"' and '\' escaped) and percent-encoded (in a URL it puts in a
 * Location or a body), so blot() finds those too.
 */
static int add_secret(struct jt_proxy_srv *s, const char *v, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *json, *pct;
	size_t j = 0, k = 0;
	int r;

	if (n == 0)
		return 0;
	if ((r = add_form(s, v, n)) < 0)
		return r;
	json = malloc(2 * n + 1);
	pct = malloc(3 * n + 1);
	if (!json || !pct) {
		free(json);
		free(pct);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '"' || c == '\\' || c == '/')
			json[j++] = '\\';
		json[j++] = (char)c;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			pct[k++] = (char)c;
		} else {
			pct[k++] = '%';
			pct[k++] = hex[c >> 4];
			pct[k++] = hex[c & 15];
		}
	}
	r = add_form(s, json, j);
	if (r == 0)
		r = add_form(s, pct, k);
	explicit_bzero(json, 2 * n + 1);
	explicit_bzero(pct, 3 * n + 1);
	free(json);
	free(pct);
	return r;
}

static char *read_secret_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getline(&buf, &cap, f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return strdup("");
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf;
}

/* "Authorization: Bearer ${KEY}" with ${KEY} from the environment or ${file:PATH}. */
static int expand(struct jt_proxy_srv *s, const char *tpl, char **out, char *err, size_t errlen)
{
	size_t cap = strlen(tpl) + 1, len = 0;
	char *o = malloc(cap);
	const char *c = tpl;

	if (!o)
		return -ENOMEM;
	while (*c) {
		const char *end;
		char name[256], *val = NULL, *file = NULL;
		size_t vn;

		if (c[0] != '$' || c[1] != '{' || !(end = strchr(c + 2, '}')) ||
		    (size_t)(end - c - 2) >= sizeof(name)) {
			o[len++] = *c++;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(end - c - 2), c + 2);
		if (!strncmp(name, "file:", 5)) {
			val = file = read_secret_file(name + 5);
			if (!val) {
				snprintf(err, errlen, "cannot read the secret file %.120s: %s", name + 5, strerror(errno));
				free(o);
				return -EINVAL;
			}
		} else if (!(val = getenv(name))) {
			snprintf(err, errlen, "the environment variable %.120s is not set", name);
			free(o);
			return -EINVAL;
		}
		vn = strlen(val);
		if (strpbrk(val, "\r\n")) {
			snprintf(err, errlen, "the secret %.120s holds a line break", name);
			free(file);
			free(o);
			return -EINVAL;
		}
		char *no = realloc(o, cap += vn);

		if (!no || add_secret(s, val, vn) < 0) {
			free(no ? no : o);
			free(file);
			return -ENOMEM;
		}
		o = no;
		memcpy(o + len, val, vn);
		len += vn;
		free(file);
		c = end + 1;
	}
	o[len] = '\0';
	*out = o;
	return 0;
}

static int make_defs(struct jt_run *run, struct jt_proxy_srv *s, const struct jt_policy *p,
		     char *err, size_t errlen)
{
	char msg[256];

	if (!(s->defs = calloc(p->n_proxies, sizeof(*s->defs))))
		return -ENOMEM;
	s->n_defs = p->n_proxies;
	for (size_t i = 0; i < p->n_proxies; i++) {
		const struct jt_proxy *x = &p->proxies[i];
		struct proxy_def *d = &s->defs[i];

		d->rule = x;
		d->where = strdup(jt_policy_where(p, x->rule));
		if (!d->where || !(d->hdr = calloc(x->n_headers ? x->n_headers : 1, sizeof(*d->hdr))))
			return -ENOMEM;
		for (size_t k = 0; k < x->n_headers; k++, d->n_hdr++) {
			int r = expand(s, x->headers[k], &d->hdr[k].line, msg, sizeof(msg));

			if (r < 0) {
				snprintf(err, errlen, "%s: proxy %s: %s", d->where, x->name, msg);
				return r;
			}
			d->hdr[k].name_len = (size_t)(strchr(d->hdr[k].line, ':') - d->hdr[k].line);
		}
		if (asprintf(&d->env, "%s=http://127.0.0.1:%u/%s", x->env, (unsigned)jt_sidecar_port(s->sc),
			     x->name) < 0)
			return -ENOMEM;
	}
	(void)run;
	return 0;
}

/* A secret must not go in through `env pass`, --env NAME or --env NAME=VALUE. */
static int secret_in_env(const struct jt_run *run, const struct jt_policy *p, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->n_proxies; i++)
		for (size_t k = 0; k < p->proxies[i].n_headers; k++) {
			const char *h = p->proxies[i].headers[k];

			for (const char *c = strstr(h, "${"); c; c = strstr(c + 2, "${")) {
				const char *end = strchr(c, '}');
				size_t n = end ? (size_t)(end - c - 2) : 0;

				for (size_t e = 0; n && e < p->n_env; e++)
					if (strlen(p->env[e].name) == n && !strncmp(p->env[e].name, c + 2, n))
						goto found;
				for (size_t e = 0; n && e < run->cfg->n_env; e++)
					if (!strncmp(run->cfg->env[e], c + 2, n) &&
					    (run->cfg->env[e][n] == '\0' || run->cfg->env[e][n] == '='))
						goto found;
				continue;
found:
				snprintf(err, errlen, "proxy %s: the secret %.*s would also be passed into the "
					 "sandbox's environment", p->proxies[i].name, (int)n, c + 2);
				return -EINVAL;
			}
		}
	return 0;
}

/* ------------------------------------------------------------ records */

static void write_rec(struct jt_run *run, const struct jt_sidecar_rec *r)
{
	const struct jt_log_proxy *p = &((const struct queued *)r)->rec;
	char what[560];

	jt_log_proxy(&run->log, p);
	/* a request of the program's (a host process's connection has no
	 * method) that the proxy itself refused, upstream never asked */
	if (p->method[0] && !p->upstream_status && p->status >= 400 && p->status < 500) {
		snprintf(what, sizeof(what), "%s %s", p->method, p->path[0] ? p->path : "/");
		jt_denial_refused(run, "the secrets proxy", what, p->error ? p->error : "refused");
	}
}

static void record(struct jt_proxy_srv *s, const struct proxy_def *d, const char *method,
		   const char *path, int status, int up, uint64_t in, uint64_t out, const char *error)
{
	struct queued *q = calloc(1, sizeof(*q));

	if (!q)
		return;
	snprintf(q->name, sizeof(q->name), "%s", d ? d->rule->name : "");
	snprintf(q->method, sizeof(q->method), "%s", method ? method : "");
	/* the query may carry tokens of the program's own: not logged */
	snprintf(q->path, sizeof(q->path), "%.*s", path ? (int)strcspn(path, "?") : 0, path ? path : "");
	snprintf(q->error, sizeof(q->error), "%s", error ? error : "");
	snprintf(q->where, sizeof(q->where), "%s", d ? d->where : "");
	q->rec = (struct jt_log_proxy){ d ? q->name : NULL, q->method, q->path, status, up, in, out,
					error ? q->error : NULL, d ? q->where : NULL };
	q->base.write = write_rec;
	jt_sidecar_record(s->sc, &q->base);
}

void jt_proxy_drain(struct jt_run *run)
{
	if (run->proxy)
		jt_sidecar_drain(run->proxy->sc, run);
}

/* ------------------------------------------------------------ a request */

struct conn {
	struct jt_proxy_srv *s;
	int fd;
	/* the answer on its way back */
	int head_sent, status;
	char *head;		/* the upstream's status line and headers, filtered */
	size_t head_len, head_cap;
	char *carry;		/* the end of the body not yet sent (a secret may straddle) */
	size_t carry_len;
	uint64_t bytes_out;
	int broken;		/* the program went away */
};

#define write_all jt_sidecar_send_all
#define reply jt_sidecar_reply

/* Blot out every secret in @buf (in place when the length stays). @return the new length. */
static size_t blot(const struct jt_proxy_srv *s, char *buf, size_t len)
{
	for (size_t i = 0; i < s->n_secrets; i++) {
		size_t n = strlen(s->secrets[i]);

		for (char *at = buf; n && (at = memmem(at, len - (size_t)(at - buf), s->secrets[i], n)); at += n)
			memset(at, '*', n);
	}
	return len;
}

static int send_head(struct conn *c)
{
	static const char fallback[] = "HTTP/1.1 502 Bad Gateway\r\n";

	if (c->head_sent)
		return 0;
	c->head_sent = 1;
	if (!c->head_len && write_all(c->fd, fallback, sizeof(fallback) - 1) < 0)
		return -1;
	blot(c->s, c->head, c->head_len);
	if ((c->head_len && write_all(c->fd, c->head, c->head_len) < 0) ||
	    write_all(c->fd, "Connection: close\r\n\r\n", 21) < 0)
		return -1;
	return 0;
}

/* Send the body but its last (longest secret - 1) bytes, which a secret may continue. */
static int send_body(struct conn *c, const char *p, size_t n, int last)
{
	size_t keep = c->s->max_secret ? c->s->max_secret - 1 : 0, total = c->carry_len + n, out;
	char *buf = malloc(total ? total : 1);

	if (!buf)
		return -1;
	if (c->carry_len)
		memcpy(buf, c->carry, c->carry_len);
	if (n)
		memcpy(buf + c->carry_len, p, n);
	blot(c->s, buf, total);
	out = last || total <= keep ? (last ? total : 0) : total - keep;
	if (out && write_all(c->fd, buf, out) < 0) {
		free(buf);
		return -1;
	}
	c->bytes_out += out;
	free(c->carry);
	c->carry_len = total - out;
	c->carry = malloc(c->carry_len ? c->carry_len : 1);
	if (c->carry)
		memcpy(c->carry, buf + out, c->carry_len);
	else
		c->carry_len = 0;
	free(buf);
	return 0;
}

/*
 * Headers that choose how the upstream's answer is written: a compressed
 * answer or a range of it carries an echoed secret in bytes that never
 * spell it, past blot(). The proxy asks for the answer whole and decoded.
 */
static int shapes_answer(const char *h, size_t n)
{
	static const char *const names[] = { "accept-encoding", "range", "if-range" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == n && !strncasecmp(h, names[i], n))
			return 1;
	return 0;
}

static int hop_by_hop(const char *h, size_t n)
{
	static const char *const names[] = { "connection", "keep-alive", "transfer-encoding", "te",
					     "upgrade", "proxy-authenticate", "proxy-authorization",
					     "trailer", "content-length", "host", "expect" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == n && !strncasecmp(h, names[i], n))
			return 1;
	return 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct conn *c = arg;
	size_t len = size * n, name = 0;

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new answer (after a 100 Continue): start over */
		const char *sp = memchr(p, ' ', len);

		c->head_len = 0;
		c->status = sp ? atoi(sp + 1) : 502;
	} else {
		const char *colon = memchr(p, ':', len);

		name = colon ? (size_t)(colon - p) : 0;
		/* the body passed on is decoded (CURLOPT_ACCEPT_ENCODING) */
		if (!colon || hop_by_hop(p, name) || (name == 16 && !strncasecmp(p, "content-encoding", 16)))
			return len;	/* and the blank line ending the headers */
	}
	if (c->head_len + len > c->head_cap) {
		char *nh = realloc(c->head, c->head_cap = (c->head_len + len) * 2 + 256);

		if (!nh)
			return 0;
		c->head = nh;
	}
	memcpy(c->head + c->head_len, p, len);
	c->head_len += len;
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct conn *c = arg;

	if (c->broken || send_head(c) < 0 || send_body(c, p, size * n, 0) < 0) {
		c->broken = 1;
		return 0;
	}
	return size * n;
}

/* the run ended: a request still in flight stops */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct conn *c = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return jt_sidecar_stopping(c->s->sc) ? 1 : 0;
}

/* "/NAME/rest?query": the proxy, and the rest; dot segments could climb out of UPSTREAM's path. */
static const struct proxy_def *route(struct jt_proxy_srv *s, const char *target, const char **rest)
{
	const char *slash;
	size_t n;

	if (target[0] != '/')
		return NULL;
	slash = target + 1 + strcspn(target + 1, "/?");
	n = (size_t)(slash - target - 1);
	for (const char *c = target; *c && *c != '?'; c++)
		if ((c[0] == '/' && c[1] == '.' && (c[2] == '/' || c[2] == '.' || !c[2] || c[2] == '?')) ||
		    (c[0] == '%' && (c[1] == '2') && (c[2] == 'e' || c[2] == 'E' || c[2] == 'f' || c[2] == 'F')) ||
		    c[0] == '\\')
			return NULL;
	for (size_t i = 0; i < s->n_defs; i++)
		if (strlen(s->defs[i].rule->name) == n && !strncmp(s->defs[i].rule->name, target + 1, n)) {
			*rest = slash;
			return &s->defs[i];
		}
	return NULL;
}

static void serve(struct conn *c)
{
	struct jt_proxy_srv *s = c->s;
	char *head = malloc(HEAD_MAX + 1), *body = NULL, *line, *save, *url = NULL;
	char method[16] = "", target[8192] = "";
	const char *rest = "";
	const struct proxy_def *d = NULL;
	struct curl_slist *hdrs = NULL;
	size_t got, blen = 0;
	long hlen;
	CURL *curl = NULL;
	CURLcode cr;
	long up = 0;

	if (!head)
		return;
	hlen = jt_sidecar_read_head(c->fd, head, HEAD_MAX, &got);
	if (hlen < 0) {
		reply(c->fd, 400, "bad request");
		record(s, NULL, "", "", 400, 0, 0, 0, "no request head");
		goto out;
	}
	switch (jt_sidecar_request_line(head, method, sizeof(method), target, sizeof(target))) {
	case -1:
		reply(c->fd, 400, "bad request line");
		record(s, NULL, method[0] ? method : "?", "", 400, 0, 0, 0, "bad request line");
		goto out;
	case -2:
		/* never cut: the upstream would be asked for another path */
		reply(c->fd, 414, "request target too long");
		record(s, NULL, method, "", 414, 0, 0, 0, "request target too long");
		goto out;
	}
	head[hlen - 2] = '\0';
	line = strtok_r(head, "\r\n", &save);	/* the request line, parsed above */
	d = route(s, target, &rest);
	if (!d) {
		reply(c->fd, 403, "no proxy rule grants this path");
		record(s, NULL, method, target, 403, 0, 0, 0, "no proxy rule for this path");
		goto out;
	}
	for (size_t k = 0; k < d->n_hdr; k++)
		hdrs = lc.slist_append(hdrs, d->hdr[k].line);
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		const char *colon = strchr(line, ':');
		size_t n = colon ? (size_t)(colon - line) : 0;
		int mine = 0;

		if (!colon)
			continue;
		if (n == 14 && !strncasecmp(line, "content-length", 14))
			blen = strtoull(colon + 1, NULL, 10);
		if (n == 17 && !strncasecmp(line, "transfer-encoding", 17)) {
			reply(c->fd, 411, "send a Content-Length, not chunks");
			record(s, d, method, target, 411, 0, 0, 0, "chunked request body");
			goto out;
		}
		/* the rule's own headers win over the program's */
		for (size_t k = 0; k < d->n_hdr; k++)
			mine |= d->hdr[k].name_len == n && !strncasecmp(d->hdr[k].line, line, n);
		if (!mine && !hop_by_hop(line, n) && !shapes_answer(line, n))
			hdrs = lc.slist_append(hdrs, line);
	}
	hdrs = lc.slist_append(hdrs, "Expect:");
	if (blen > BODY_MAX) {
		reply(c->fd, 413, "request body too large");
		record(s, d, method, target, 413, 0, blen, 0, "request body too large");
		goto out;
	}
	body = malloc(blen + 1);
	if (!body)
		goto out;
	got -= (size_t)hlen;
	if (got > blen)
		got = blen;
	memcpy(body, head + hlen, got);
	while (got < blen) {
		ssize_t n = recv(c->fd, body + got, blen - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < blen) {
		reply(c->fd, 400, "request body cut short");
		record(s, d, method, target, 400, 0, got, 0, "request body cut short");
		goto out;
	}
	if (asprintf(&url, "%s%s", d->rule->upstream, rest) < 0 || !(curl = lc.easy_init()))
		goto out;
	lc.easy_setopt(curl, CURLOPT_URL, url);
	lc.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	lc.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	lc.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	/* every encoding curl decodes is asked for and decoded before blot()
	 * reads the body; one it cannot decode fails the request */
	lc.easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
	lc.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
	lc.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	lc.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long)IO_TIMEOUT_S);
	lc.easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	lc.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	lc.easy_setopt(curl, CURLOPT_HEADERDATA, c);
	lc.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	lc.easy_setopt(curl, CURLOPT_WRITEDATA, c);
	lc.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	lc.easy_setopt(curl, CURLOPT_XFERINFODATA, c);
	lc.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	if (!strcmp(method, "HEAD"))
		lc.easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") || blen) {
		lc.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
		lc.easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	}
	lc.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	cr = lc.easy_perform(curl);
	lc.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &up);
	if (cr != CURLE_OK && !c->head_sent) {
		reply(c->fd, 502, "the upstream failed");
		record(s, d, method, target, 502, (int)up, blen, 0, lc.easy_strerror(cr));
		goto out;
	}
	if (!c->broken && (send_head(c) < 0 || send_body(c, "", 0, 1) < 0))
		c->broken = 1;
	record(s, d, method, target, c->status ? c->status : 502, (int)up, blen, c->bytes_out,
	       cr != CURLE_OK ? lc.easy_strerror(cr) : c->broken ? "the program went away" : NULL);
out:
	if (curl)
		lc.easy_cleanup(curl);
	lc.slist_free_all(hdrs);
	free(url);
	free(body);
	free(head);
}

static void serve_fd(void *arg, int fd)
{
	struct conn c = { .s = arg, .fd = fd };

	serve(&c);
	free(c.head);
	free(c.carry);
}

static void refuse_fd(void *arg, int fd, int status, const char *why)
{
	reply(fd, status, why);
	record(arg, NULL, "", "", status, 0, 0, 0, status == 403 ? "peer is not the sandbox" : why);
}

static const struct jt_sidecar_ops proxy_ops = { serve_fd, refuse_fd };

/* ------------------------------------------------------------ the tracer's side */

static void srv_free(struct jt_proxy_srv *s)
{
	for (size_t i = 0; i < s->n_defs; i++) {
		for (size_t k = 0; k < s->defs[i].n_hdr; k++)
			free(s->defs[i].hdr[k].line);
		free(s->defs[i].hdr);
		free(s->defs[i].env);
		free(s->defs[i].where);
	}
	for (size_t i = 0; i < s->n_secrets; i++) {
		/* the secrets leave memory wiped */
		explicit_bzero(s->secrets[i], strlen(s->secrets[i]));
		free(s->secrets[i]);
	}
	free(s->secrets);
	free(s->defs);
	free(s);
}

int jt_proxy_start(struct jt_run *run, struct jt_policy *p, char *err, size_t errlen)
{
	struct jt_proxy_srv *s;
	int r;

	if (!p->n_proxies)
		return 0;
	if ((r = secret_in_env(run, p, err, errlen)) < 0)
		return r;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	r = load_curl(err, errlen);
	if (r == 0 && lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "proxy: libcurl cannot start");
		r = -EIO;
	}
	/* the port first: the definitions' NAME_BASE_URL names it */
	if (r == 0)
		r = jt_sidecar_start(&s->sc, "proxy", &proxy_ops, s, err, errlen);
	if (r == 0 && (r = make_defs(run, s, p, err, errlen)) == -ENOMEM)
		snprintf(err, errlen, "proxy: out of memory");
	for (size_t i = 0; r == 0 && i < p->n_proxies; i++)
		r = jt_sidecar_grant(p, jt_sidecar_port(s->sc), p->proxies[i].rule);
	if (r < 0) {
		if (s->sc)
			jt_sidecar_stop(s->sc, run);
		srv_free(s);
		return r;
	}
	run->proxy = s;
	return 0;
}

const char *jt_proxy_env(const struct jt_run *run, size_t i)
{
	return run->proxy && i < run->proxy->n_defs ? run->proxy->defs[i].env : NULL;
}

void jt_proxy_connected(struct jt_run *run, int copy, const struct jt_net_dest *d)
{
	if (run->proxy)
		jt_sidecar_connected(run->proxy->sc, run->policy, copy, d);
}

void jt_proxy_stop(struct jt_run *run)
{
	struct jt_proxy_srv *s = run->proxy;

	if (!s)
		return;
	run->proxy = NULL;
	if (!jt_sidecar_stop(s->sc, run)) {
		srv_free(s);
		lc.global_cleanup();
	}
	/* else: a thread still holds it, and jailtrace is about to exit */
}
