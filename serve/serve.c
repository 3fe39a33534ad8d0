/*
 * jailtrace serve: the command, the listening socket, authentication and
 * routing. libmicrohttpd parses HTTP and runs a thread per connection, so
 * a slow client holds its own thread only, and a command's output can be
 * streamed by a reader that blocks (box.c).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <syslog.h>
#include "filters/policy.h"
#include "reports/logread.h"
#include "reports/syslog.h"
#include "serve/serve.h"
#include "tracer/internal.h"

#define EXIT_JT 125

struct srv_conf srv;
static pthread_rwlock_t tokens_lock = PTHREAD_RWLOCK_INITIALIZER;	/* srv.tokens */

/* ------------------------------------------------------------ replies */

void jbuf_init(struct jbuf *b, size_t cap)
{
	b->cap = cap;
	b->buf = malloc(cap);
	if (!b->buf)
		abort();
	jt_json_init(&b->j, b->buf, cap);
}

void jbuf_free(struct jbuf *b)
{
	free(b->buf);
	b->buf = NULL;
}

/* What the access log line says of the request being answered (one
 * connection per thread: a thread's current request). */
static __thread const char *cur_method, *cur_url, *cur_tenant;

void srv_log(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02dZ jailtrace serve: %s\n", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, line);
}

static pthread_mutex_t syslog_lock = PTHREAD_MUTEX_INITIALIZER;	/* jt_syslog is not thread-safe */

void srv_syslog(const char *event, const char *tenant, const char *user, const char *sandbox, const char *why)
{
	char buf[1024];
	struct jt_json j;

	if (!srv.syslog)
		return;
	jt_json_init(&j, buf, sizeof(buf));
	jt_json_object(&j);
	jt_json_key(&j, "type");
	jt_json_str(&j, "serve");
	jt_json_key(&j, "event");
	jt_json_str(&j, event);
	jt_json_key(&j, "tenant");
	jt_json_str(&j, tenant);
	jt_json_key(&j, "user");
	jt_json_str(&j, user);
	jt_json_key(&j, "sandbox");
	jt_json_str(&j, sandbox);
	jt_json_key(&j, "why");
	jt_json_str(&j, why);
	jt_json_end(&j);
	jt_json_finish(&j);
	if (!j.overflow)
		srv_syslog_raw(buf, j.len - 1);
}

void srv_syslog_raw(const char *json, size_t len)
{
	pthread_mutex_lock(&syslog_lock);
	jt_syslog(LOG_NOTICE, json, len, 1);
	pthread_mutex_unlock(&syslog_lock);
}

/* The reply, and its line in the server's log (with @why for errors). */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *body, size_t len, const char *why)
{
	struct MHD_Response *r = jt_mhd.response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	jt_mhd.add_response_header(r, "Content-Type", type ? type : "application/json");
	if (status == 401)
		jt_mhd.add_response_header(r, "WWW-Authenticate", "Bearer");
	ret = jt_mhd.queue_response(c, status, r);
	jt_mhd.destroy_response(r);
	srv_log("%s %s %s %u%s%s", cur_tenant ? cur_tenant : "-", cur_method ? cur_method : "-",
		cur_url ? cur_url : "-", status, why ? ": " : "", why ? why : "");
	return ret;
}

void srv_log_reply(unsigned status)
{
	srv_log("%s %s %s %u", cur_tenant ? cur_tenant : "-", cur_method ? cur_method : "-",
		cur_url ? cur_url : "-", status);
}

enum MHD_Result srv_reply(struct MHD_Connection *c, unsigned status, const char *type,
			  const char *body, size_t len)
{
	return reply(c, status, type, body, len, NULL);
}

enum MHD_Result srv_error(struct MHD_Connection *c, unsigned status, const char *field,
			  const char *fmt, ...)
{
	char msg[512], why[600], buf[1200];
	struct jt_json j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jt_json_init(&j, buf, sizeof(buf));
	jt_json_object(&j);
	jt_json_key(&j, "error");
	jt_json_str(&j, msg);
	if (field) {
		jt_json_key(&j, "field");
		jt_json_str(&j, field);
	}
	jt_json_finish(&j);
	snprintf(why, sizeof(why), "%s%s%s", field ? field : "", field ? ": " : "", msg);
	return reply(c, status, NULL, buf, j.len, why);
}

/* ------------------------------------------------------------ requests */

enum route {
	R_NONE, R_SANDBOXES, R_SANDBOX, R_EXEC, R_CODE, R_FILES, R_LOGS, R_LOG,
	R_PROCS, R_PROC, R_PROC_SIGNAL, R_PORTS, R_PORT, R_PORT_PROXY, R_KERNEL,
};

struct req {
	int started;
	int done;		/* a reply was queued at the first call */
	const char *tenant;	/* tenant_buf, or NULL */
	char tenant_buf[32];
	enum route route;
	char id[64];		/* the sandbox id */
	char *rest;		/* files/PATH: the decoded inside path; logs/ID, processes/ID: the
				 * id; ports/N/PATH: PATH as sent */
	int port;		/* ports/N */
	struct box *box;
	char *body;
	size_t len;
	int too_big;
	struct upload *up;
	int up_err;
	unsigned long long dropped;	/* bytes of a refused body read and dropped */
	unsigned err_status;	/* refused at the first call: the reply once the body is read */
	const char *err_field;
	char err_msg[600];
};

/* %HH decoded; NUL (%00) and malformed escapes refused. MHD's own
 * unescaping is off (no_unescape), so that a %00 cannot cut a path. */
static char *url_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		int h = jt_hexval((unsigned char)s[1]), l = h < 0 ? -1 : jt_hexval((unsigned char)s[2]);

		if (h < 0 || l < 0 || (h == 0 && l == 0)) {
			free(out);
			return NULL;
		}
		*o++ = (char)(h * 16 + l);
		s += 2;
	}
	*o = '\0';
	return out;
}

static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

/* The route of @url, its sandbox id and the rest; -1: not one of ours,
 * -2: a rest that does not decode. */
static int parse_route(const char *url, struct req *rq)
{
	static const char base[] = "/v1/sandboxes";
	const char *p = url + sizeof(base) - 1, *slash;
	size_t n;

	if (strncmp(url, base, sizeof(base) - 1))
		return -1;
	if (!*p || !strcmp(p, "/")) {
		rq->route = R_SANDBOXES;
		return 0;
	}
	if (*p != '/')
		return -1;
	p++;
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n >= sizeof(rq->id))
		return -1;
	memcpy(rq->id, p, n);
	rq->id[n] = '\0';
	if (!slash || !slash[1]) {
		rq->route = R_SANDBOX;
		return 0;
	}
	p = slash + 1;
	if (!strcmp(p, "exec"))
		rq->route = R_EXEC;
	else if (!strcmp(p, "code"))
		rq->route = R_CODE;
	else if (!strcmp(p, "logs") || !strcmp(p, "logs/"))
		rq->route = R_LOGS;
	else if (!strncmp(p, "logs/", 5)) {
		rq->route = R_LOG;
		if (!(rq->rest = url_decode(p + 5)))
			return -2;
	} else if (!strcmp(p, "kernel")) {
		rq->route = R_KERNEL;
	} else if (!strcmp(p, "processes") || !strcmp(p, "processes/")) {
		rq->route = R_PROCS;
	} else if (!strncmp(p, "processes/", 10)) {
		const char *id = p + 10, *sl = strchr(id, '/');
		size_t idn = sl ? (size_t)(sl - id) : strlen(id);

		if (sl && strcmp(sl, "/signal"))
			return -1;
		if (!idn || idn > 40 || strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") < idn)
			return -1;
		rq->route = sl ? R_PROC_SIGNAL : R_PROC;
		rq->rest = strndup(id, idn);
	} else if (!strcmp(p, "ports") || !strcmp(p, "ports/")) {
		rq->route = R_PORTS;
		rq->port = -1;
	} else if (!strncmp(p, "ports/", 6)) {
		const char *num = p + 6;
		size_t nd = strspn(num, "0123456789");

		if (!nd || nd > 5 || (num[nd] && num[nd] != '/') || atoi(num) < 1 || atoi(num) > 65535)
			return -1;
		rq->port = atoi(num);
		if (!num[nd]) {
			rq->route = R_PORT;
		} else {
			/* as sent: the sandbox's server decodes its own path */
			rq->route = R_PORT_PROXY;
			rq->rest = strdup(num + nd + 1);
		}
	} else if (!strcmp(p, "files")) {
		rq->route = R_FILES;
		rq->rest = strdup("/");
	} else if (!strncmp(p, "files/", 6)) {
		rq->route = R_FILES;
		/* files/work/a.txt is /work/a.txt inside */
		if (!(rq->rest = url_decode(p + 5)))
			return -2;
	} else
		return -1;
	return 0;
}

/* The uid of the peer on a unix socket, or -1 (TCP, or unknown). */
static long peer_uid(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = jt_mhd.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);

	if (!ci || getsockname(ci->connect_fd, (struct sockaddr *)&sa, &sl) < 0 || sa.ss_family != AF_UNIX ||
	    getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	return (long)cr.uid;
}

/* The tenant of the request's bearer token, or NULL. Every token is
 * compared in full, so the time taken says nothing of which matched. A
 * token with uids is good only from a unix socket peer of one of them. */
static const char *match_token(struct MHD_Connection *c)
{
	const char *h = jt_mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *tenant = NULL;
	const struct srv_token *match = NULL;
	size_t n;

	if (!h || strncasecmp(h, "Bearer ", 7))
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	for (size_t i = 0; i < srv.n_tokens; i++) {
		const char *t = srv.tokens[i].token;
		size_t tn = strlen(t);
		unsigned char diff = tn != n;

		for (size_t k = 0; k < n; k++)
			diff |= (unsigned char)(h[k] ^ t[k < tn ? k : 0]);
		if (!diff && !match)
			match = &srv.tokens[i];
	}
	if (match && match->n_uids) {
		long uid = peer_uid(c);

		for (size_t i = 0; i < match->n_uids && !tenant; i++)
			if (uid >= 0 && (uid_t)uid == match->uids[i])
				tenant = match->tenant;
		if (!tenant)
			srv_log("a token of %s from %s%ld, not one of its uids: refused", match->tenant,
				uid < 0 ? "TCP" : "uid ", uid < 0 ? 0 : uid);
		return tenant;
	}
	return match ? match->tenant : NULL;
}

/* The tenant of the request (copied to @out: SIGHUP may replace the tokens
 * while the request lasts), or NULL. */
static const char *authenticate(struct MHD_Connection *c, char *out, size_t outlen)
{
	const char *r;

	pthread_rwlock_rdlock(&tokens_lock);
	r = match_token(c);
	if (r)
		snprintf(out, outlen, "%s", r);
	pthread_rwlock_unlock(&tokens_lock);
	return r ? out : NULL;
}

static int parse_body(struct MHD_Connection *c, struct req *rq, json_t **out)
{
	json_error_t e;

	*out = NULL;
	if (!rq->len) {
		*out = json_object();
		return 0;
	}
	*out = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, &e);
	if (!*out) {
		srv_error(c, 400, "body", "invalid JSON at line %d, column %d: %s", e.line, e.column, e.text);
		return -1;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		srv_error(c, 400, "body", "the body must be a JSON object");
		return -1;
	}
	return 0;
}

static enum MHD_Result dispatch(struct MHD_Connection *c, struct req *rq, const char *method)
{
	int get = !strcmp(method, "GET"), post = !strcmp(method, "POST"), del = !strcmp(method, "DELETE");
	json_t *body = NULL;
	enum MHD_Result r;

	if (rq->route == R_SANDBOXES) {
		if (get)
			return box_list(c, rq->tenant);
		if (!post)
			return srv_error(c, 405, NULL, "%s: use GET or POST", method);
		if (parse_body(c, rq, &body) < 0)
			return MHD_YES;
		r = box_create(c, rq->tenant, body);
		json_decref(body);
		return r;
	}
	/* every other route names a sandbox of this tenant: one of another
	 * tenant is as unknown as one never made */
	if (!rq->box && !(rq->box = box_find(rq->tenant, rq->id)))
		return srv_error(c, 404, NULL, "no sandbox %s", rq->id);
	box_touch(rq->box);
	switch (rq->route) {
	case R_SANDBOX:
		if (get)
			return box_info(c, rq->box);
		if (del)
			return box_delete(c, rq->box);
		return srv_error(c, 405, NULL, "%s: use GET or DELETE", method);
	case R_EXEC:
	case R_CODE:
		if (!post)
			return srv_error(c, 405, NULL, "%s: use POST", method);
		if (parse_body(c, rq, &body) < 0)
			return MHD_YES;
		r = box_exec(c, rq->box, body, rq->route == R_CODE);
		json_decref(body);
		return r;
	case R_FILES:
		if (get)
			return files_get(c, rq->box, rq->rest);
		if (del)
			return files_delete(c, rq->box, rq->rest);
		if (!strcmp(method, "PUT")) {
			if (rq->up_err == -EFBIG)
				return srv_error(c, 413, "body", "the file is larger than %zu bytes", srv.max_file);
			if (rq->up_err < 0)
				return srv_error(c, 500, NULL, "writing the file: %s", strerror(-rq->up_err));
			r = files_upload_end(c, rq->up);
			rq->up = NULL;
			return r;
		}
		return srv_error(c, 405, NULL, "%s: use GET, PUT or DELETE", method);
	case R_PROCS:
		if (get)
			return box_procs(c, rq->box, NULL);
		if (!post)
			return srv_error(c, 405, NULL, "%s: use GET or POST", method);
		if (parse_body(c, rq, &body) < 0)
			return MHD_YES;
		r = box_proc_start(c, rq->box, body);
		json_decref(body);
		return r;
	case R_PROC: {
		const char *w = jt_mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wait");

		if (!get)
			return srv_error(c, 405, NULL, "%s: use GET", method);
		if (w) {
			char *e;
			double secs = strtod(w, &e);

			if (e == w || *e || !(secs >= 0 && secs <= 30))
				return srv_error(c, 400, "wait", "want seconds, 0 to 30");
			box_proc_wait(rq->box, rq->rest, (int)(secs * 1000));
		}
		return box_procs(c, rq->box, rq->rest);
	}
	case R_PROC_SIGNAL:
		if (!post)
			return srv_error(c, 405, NULL, "%s: use POST", method);
		if (parse_body(c, rq, &body) < 0)
			return MHD_YES;
		r = box_proc_signal(c, rq->box, rq->rest, body);
		json_decref(body);
		return r;
	case R_PORTS:
		if (!get)
			return srv_error(c, 405, NULL, "%s: use GET", method);
		return box_ports(c, rq->box, -1, method);
	case R_PORT:
		if (!post && !del)
			return srv_error(c, 405, NULL, "%s: use POST or DELETE", method);
		return box_ports(c, rq->box, rq->port, method);
	case R_KERNEL:
		if (!del)
			return srv_error(c, 405, NULL, "%s: use DELETE", method);
		return box_kernel_delete(c, rq->box);
	case R_PORT_PROXY:
		return proxy_forward(c, rq->box, rq->port, rq->rest, method, rq->body, rq->len);
	case R_LOGS:
	case R_LOG:
		if (!get)
			return srv_error(c, 405, NULL, "%s: use GET", method);
		return box_logs(c, rq->box, rq->route == R_LOG ? rq->rest : NULL,
				jt_mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format"));
	default:
		return srv_error(c, 404, NULL, "no such route");
	}
}

/* Bodies up to this are read and dropped when the request is refused
 * before its body, so that a client that sends its body before it reads
 * the reply gets the reply; past it the connection is closed at once. */
#define DRAIN_MAX (16ULL << 20)

static enum MHD_Result refuse(struct MHD_Connection *c, struct req *rq, unsigned long long len,
			      unsigned status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static enum MHD_Result refuse(struct MHD_Connection *c, struct req *rq, unsigned long long len,
			      unsigned status, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rq->err_msg, sizeof(rq->err_msg), fmt, ap);
	va_end(ap);
	rq->err_status = status;
	rq->err_field = field;
	if (len <= DRAIN_MAX)
		return MHD_YES;
	rq->done = 1;
	return srv_error(c, status, field, "%s", rq->err_msg);
}

/* The first call of a request: who asks, for what, with how much. */
static enum MHD_Result begin(struct MHD_Connection *c, struct req *rq, const char *url,
			     const char *method)
{
	const char *cl = jt_mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
	int put = !strcmp(method, "PUT");
	int pr;

	rq->started = 1;
	rq->tenant = authenticate(c, rq->tenant_buf, sizeof(rq->tenant_buf));
	cur_tenant = rq->tenant;
	if (!rq->tenant)
		return refuse(c, rq, len, 401, NULL, "a bearer token the server knows is needed");
	pr = parse_route(url, rq);
	if (pr == -2)
		return refuse(c, rq, len, 400, "path", "a malformed %%-escape or a NUL byte in the path");
	if (pr < 0)
		return refuse(c, rq, len, 404, NULL, "no such route: %s", url);
	if (put && rq->route == R_FILES) {
		unsigned status = 500;
		char err[512];

		if (len > srv.max_file)
			return refuse(c, rq, len, 413, "body", "the file is larger than %zu bytes", srv.max_file);
		if (!(rq->box = box_find(rq->tenant, rq->id)))
			return refuse(c, rq, len, 404, NULL, "no sandbox %s", rq->id);
		box_touch(rq->box);
		if (!(rq->up = files_upload_begin(rq->box, rq->rest, &status, err, sizeof(err))))
			return refuse(c, rq, len, status, "path", "%s", err);
		return MHD_YES;
	}
	if (len > srv.max_body)
		return refuse(c, rq, len, 413, "body", "the body is larger than %zu bytes", srv.max_body);
	return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *data, size_t *size, void **con_cls)
{
	struct req *rq = *con_cls;

	cur_method = method;
	cur_url = url;
	if (!rq) {
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		*con_cls = rq;
		return begin(c, rq, url, method);
	}
	cur_tenant = rq->tenant;
	if (*size) {
		/* a reply already queued, or the body over its bound: drop the rest */
		if (rq->done || rq->err_status || rq->too_big || rq->up_err) {
			/* a body sent without its length is not drained for ever */
			rq->dropped += *size;
			*size = 0;
			if (rq->dropped <= DRAIN_MAX)
				return MHD_YES;
			/* libmicrohttpd sends no reply before the body's end: the
			 * connection is closed without one */
			srv_log("%s %s %s: closed: a refused body past %llu bytes", cur_tenant ? cur_tenant : "-",
				method, url, DRAIN_MAX);
			return MHD_NO;
		}
		if (rq->up) {
			int r = files_upload_write(rq->up, data, *size);

			if (r < 0) {
				rq->up_err = r;
				files_upload_abort(rq->up);
				rq->up = NULL;
			}
		} else if (rq->len + *size > srv.max_body) {
			rq->too_big = 1;
		} else {
			char *nb = realloc(rq->body, rq->len + *size + 1);

			if (!nb)
				return MHD_NO;
			rq->body = nb;
			memcpy(rq->body + rq->len, data, *size);
			rq->len += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	if (rq->done)
		return MHD_YES;
	rq->done = 1;
	if (rq->err_status)
		return srv_error(c, rq->err_status, rq->err_field, "%s", rq->err_msg);
	if (rq->too_big)
		return srv_error(c, 413, "body", "the body is larger than %zu bytes", srv.max_body);
	return dispatch(c, rq, method);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode why)
{
	struct req *rq = *con_cls;

	if (!rq)
		return;
	if (rq->up)
		files_upload_abort(rq->up);
	if (rq->box)
		box_put(rq->box);
	free(rq->rest);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ------------------------------------------------------------ set-up */

static void usage(FILE *out)
{
	fprintf(out,
"usage: jailtrace serve --tokens FILE [OPTIONS]\n"
"\n"
"Keep sandboxes, one per user, behind an HTTP API (docs/api.md). Each\n"
"command runs as a child `jailtrace run` in the user's jail.\n"
"\n"
"  --tokens FILE      bearer tokens, one \"TOKEN TENANT\" a line (# comments);\n"
"                     \"TOKEN TENANT uid=N,M\": good only from a unix socket\n"
"                     peer of one of those uids\n"
"  --listen ADDR      unix:PATH (default: unix:DATA/serve.sock, mode 0660)\n"
"                     or 127.0.0.1:PORT, [::1]:PORT (port 0: any free one)\n"
"  --allow-remote     allow a listening address beyond loopback (no TLS:\n"
"                     put a reverse proxy in front)\n"
"  --data DIR         jails, logs and state (default /var/lib/jailtrace/serve\n"
"                     as root, else $XDG_DATA_HOME/jailtrace/serve)\n"
"  --policies DIR     policies sandboxes may name: DIR/NAME.policy\n"
"  --grant-root DIR   host directory under which sandboxes may ask for ro/rw\n"
"                     grants (repeatable; none by default: grants refused)\n"
"  --idle-timeout TIME  default idle timeout of a sandbox (default 10m)\n"
"  --max-sandboxes N  live sandboxes per tenant (default 64; more: 429)\n"
"  --max-commands N   commands, processes and interpreters running at once per\n"
"                     tenant (default 16; more: 429)\n"
"  --max-processes N  background processes running at once per sandbox\n"
"                     (default 8, at most 16; more: 409)\n"
"  --tenant-memory SIZE  memory limits a tenant's runs may hold at once (each\n"
"                     run's --memory, else jailtrace's default; more: 429)\n"
"  --proxy-upstream NAME=URL  an upstream sandboxes' secrets proxy rules may\n"
"                     name (\"proxy\": {\"NAME\": {\"Header\": \"secret\"}}; repeatable)\n"
"  --no-syslog        no syslog lines (by default: each command's denials and\n"
"                     the limit it hit, and each destroy, with tenant and user)\n"
"  --max-body SIZE    bound of a JSON body (default 1M; more: 413)\n"
"  --max-file SIZE    bound of a file PUT (default 64M; more: 413)\n");
}

static void free_tokens(struct srv_token *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].token);
		free(t[i].tenant);
		free(t[i].uids);
	}
	free(t);
}

/* The tokens file read; on any error nothing changes (SIGHUP keeps the
 * tokens it had). */
static int load_tokens(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	unsigned ln = 0;
	struct stat st;
	struct srv_token *toks = NULL;
	size_t n = 0;

	if (!f) {
		fprintf(stderr, "jailtrace serve: cannot read --tokens %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 004))
		fprintf(stderr, "jailtrace serve: warning: %s is readable by everyone\n", path);
	while (fgets(line, sizeof(line), f)) {
		char *tok, *ten, *extra, *save = NULL;
		struct srv_token *t;

		ln++;
		if (!(tok = strtok_r(line, " \t\r\n", &save)) || tok[0] == '#')
			continue;
		ten = strtok_r(NULL, " \t\r\n", &save);
		extra = ten ? strtok_r(NULL, " \t\r\n", &save) : NULL;
		if (!ten || (extra && (strncmp(extra, "uid=", 4) || strtok_r(NULL, " \t\r\n", &save))) ||
		    strlen(ten) > 31 || strspn(ten, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(ten)) {
			fprintf(stderr, "%s:%u: want \"TOKEN TENANT [uid=N,...]\" (a tenant of up to 31 "
				"letters, digits, _ and -)\n", path, ln);
			goto bad;
		}
		for (size_t i = 0; i < n; i++)
			if (!strcmp(toks[i].token, tok)) {
				fprintf(stderr, "%s:%u: a token given before\n", path, ln);
				goto bad;
			}
		t = realloc(toks, (n + 1) * sizeof(*t));
		if (!t)
			abort();
		toks = t;
		t[n] = (struct srv_token){ strdup(tok), strdup(ten), NULL, 0 };
		n++;
		for (char *u = extra ? extra + 4 : NULL, *end; u && *u; u = *end ? end + 1 : end) {
			unsigned long v = strtoul(u, &end, 10);
			uid_t *nu;

			if (end == u || (*end && *end != ',') || v > 0xfffffffeUL) {
				fprintf(stderr, "%s:%u: uid=N,M...: numbers\n", path, ln);
				goto bad;
			}
			nu = realloc(t[n - 1].uids, (t[n - 1].n_uids + 1) * sizeof(*nu));
			if (!nu)
				abort();
			nu[t[n - 1].n_uids++] = (uid_t)v;
			t[n - 1].uids = nu;
		}
	}
	fclose(f);
	if (!n) {
		fprintf(stderr, "jailtrace serve: %s holds no token\n", path);
		return -1;
	}
	pthread_rwlock_wrlock(&tokens_lock);
	free_tokens(srv.tokens, srv.n_tokens);
	srv.tokens = toks;
	srv.n_tokens = n;
	pthread_rwlock_unlock(&tokens_lock);
	return 0;
bad:
	fclose(f);
	free_tokens(toks, n);
	return -1;
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/* The listening socket, made here and handed to libmicrohttpd; @shown
 * gets what it is, for the line saying where we listen. */
static int listen_on(const char *addr, int allow_remote, char *shown, size_t shown_len)
{
	int fd, one = 1;

	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		const char *path = addr + 5;
		struct stat st;
		mode_t old;

		if (!path[0] || strlen(path) >= sizeof(sa.sun_path)) {
			fprintf(stderr, "jailtrace serve: bad --listen %s: a socket path of up to %zu bytes\n",
				addr, sizeof(sa.sun_path) - 1);
			return -1;
		}
		strcpy(sa.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		/* a socket left by a server that is gone is ours to replace */
		if (lstat(path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				fprintf(stderr, "jailtrace serve: %s exists and is not a socket\n", path);
				close(fd);
				return -1;
			}
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
				fprintf(stderr, "jailtrace serve: another server listens on %s\n", path);
				close(fd);
				return -1;
			}
			unlink(path);
		}
		old = umask(0117);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "jailtrace serve: cannot bind %s: %s\n", path, strerror(errno));
			umask(old);
			close(fd);
			return -1;
		}
		umask(old);
		chmod(path, 0660);
		snprintf(shown, shown_len, "unix:%s", path);
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
		struct addrinfo *ai = NULL;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[256], port[16];
		const char *colon = strrchr(addr, ':');
		size_t hn;
		int r;

		if (!colon || colon == addr || strlen(colon + 1) >= sizeof(port) ||
		    (size_t)(colon - addr) >= sizeof(host)) {
			fprintf(stderr, "jailtrace serve: bad --listen %s: unix:PATH or ADDRESS:PORT\n", addr);
			return -1;
		}
		hn = (size_t)(colon - addr);
		if (addr[0] == '[' && addr[hn - 1] == ']') {
			memcpy(host, addr + 1, hn - 2);
			host[hn - 2] = '\0';
		} else {
			memcpy(host, addr, hn);
			host[hn] = '\0';
		}
		strcpy(port, colon + 1);
		if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
			fprintf(stderr, "jailtrace serve: bad --listen %s: %s (a numeric address)\n", addr,
				gai_strerror(r));
			return -1;
		}
		if (!is_loopback(ai->ai_addr)) {
			if (!allow_remote) {
				fprintf(stderr, "jailtrace serve: %s is beyond loopback; the server has no TLS: "
					"pass --allow-remote, and put it behind a reverse proxy\n", addr);
				freeaddrinfo(ai);
				return -1;
			}
			fprintf(stderr, "jailtrace serve: warning: listening on %s beyond loopback without TLS; "
				"put a reverse proxy with TLS in front\n", addr);
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			fprintf(stderr, "jailtrace serve: cannot bind %s: %s\n", addr, strerror(errno));
			freeaddrinfo(ai);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		freeaddrinfo(ai);
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
			    NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(shown, shown_len, strchr(host, ':') ? "http://[%s]:%s" : "http://%s:%s", host, port);
		if (strlen(shown) < sizeof(srv.url))
			memcpy(srv.url, shown, strlen(shown) + 1);
		srv.port = (unsigned)atoi(port);
	}
	if (listen(fd, 128) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int mkdir_mode(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		fprintf(stderr, "jailtrace serve: cannot make %s: %s\n", path, strerror(errno));
		return -1;
	}
	chmod(path, mode);
	return 0;
}

/* DATA and its directories; what ephemeral jails a server that died left
 * are removed now. */
static int prepare_data(void)
{
	char p[PATH_MAX];
	static const char *const subs[] = { "jails", "ephemeral", "logs", "run" };
	/* jails and ephemeral: 0711, as root the tracer reaches a jail as its
	 * user; logs and run hold what tenants must not read of each other */
	static const mode_t modes[] = { 0711, 0711, 0700, 0700 };
	DIR *d;
	struct dirent *e;

	if (mkdir_mode(srv.data, 0711) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(subs) / sizeof(*subs); i++) {
		snprintf(p, sizeof(p), "%s/%s", srv.data, subs[i]);
		if (mkdir_mode(p, modes[i]) < 0)
			return -1;
	}
	snprintf(p, sizeof(p), "%s/ephemeral", srv.data);
	if ((d = opendir(p))) {
		while ((e = readdir(d))) {
			char q[PATH_MAX + 256];

			if (e->d_name[0] == '.')
				continue;
			snprintf(q, sizeof(q), "%s/%s", p, e->d_name);
			jt_remove_tree(q);
		}
		closedir(d);
	}
	return 0;
}

static int default_data(void)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int n;

	if (geteuid() == 0)
		n = snprintf(srv.data, sizeof(srv.data), "/var/lib/jailtrace/serve");
	else if (x && x[0] == '/')
		n = snprintf(srv.data, sizeof(srv.data), "%s/jailtrace/serve", x);
	else if (home && home[0] == '/')
		n = snprintf(srv.data, sizeof(srv.data), "%s/.local/share/jailtrace/serve", home);
	else
		return -1;
	if (n >= (int)sizeof(srv.data))
		return -1;
	if (geteuid() != 0) {
		/* its parents, made as jail.c makes a user's data directory */
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s", srv.data);
		for (char *s = p + 1; *s; s++) {
			if (*s != '/')
				continue;
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	} else {
		mkdir("/var/lib/jailtrace", 0755);
	}
	return 0;
}

int jt_cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tokens", required_argument, 0, 't' }, { "listen", required_argument, 0, 'l' },
		{ "allow-remote", no_argument, 0, 'R' }, { "data", required_argument, 0, 'd' },
		{ "policies", required_argument, 0, 'p' }, { "grant-root", required_argument, 0, 'g' },
		{ "idle-timeout", required_argument, 0, 'i' }, { "max-sandboxes", required_argument, 0, 'm' },
		{ "max-body", required_argument, 0, 'b' }, { "max-file", required_argument, 0, 'f' },
		{ "max-commands", required_argument, 0, 'c' }, { "max-processes", required_argument, 0, 'P' },
		{ "tenant-memory", required_argument, 0, 'M' }, { "no-syslog", no_argument, 0, 'S' },
		{ "proxy-upstream", required_argument, 0, 'U' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *tokens = NULL, *listen_addr = NULL;
	char err[512], shown[PATH_MAX + 16], dflt_listen[PATH_MAX + 16];
	int allow_remote = 0, opt, fd, sig;
	struct MHD_Daemon *d;
	sigset_t stop;
	uint64_t v;
	ssize_t n;

	srv.idle_s = 600;
	srv.max_sandboxes = 64;
	srv.max_commands = 16;
	srv.max_procs = 8;
	srv.max_body = 1 << 20;
	srv.max_file = 64 << 20;
	srv.syslog = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 't': tokens = optarg; break;
		case 'l': listen_addr = optarg; break;
		case 'R': allow_remote = 1; break;
		case 'd':
			if (optarg[0] != '/' || strlen(optarg) >= sizeof(srv.data)) {
				fprintf(stderr, "jailtrace serve: --data wants an absolute path\n");
				return EXIT_JT;
			}
			snprintf(srv.data, sizeof(srv.data), "%s", optarg);
			break;
		case 'p':
			if (!realpath(optarg, srv.policies)) {
				fprintf(stderr, "jailtrace serve: --policies %s: %s\n", optarg, strerror(errno));
				return EXIT_JT;
			}
			break;
		case 'g': {
			char *rp = realpath(optarg, NULL);
			char **g = realloc(srv.grant_roots, (srv.n_grant_roots + 1) * sizeof(*g));

			if (!rp || !g) {
				fprintf(stderr, "jailtrace serve: --grant-root %s: %s\n", optarg, strerror(errno));
				return EXIT_JT;
			}
			srv.grant_roots = g;
			g[srv.n_grant_roots++] = rp;
			break;
		}
		case 'i':
			if (jt_parse_time_ms(optarg, &v) < 0 || v < 1000 || v / 1000 > 7 * 86400) {
				fprintf(stderr, "jailtrace serve: bad --idle-timeout %s (1s to 7 days)\n", optarg);
				return EXIT_JT;
			}
			srv.idle_s = (unsigned)(v / 1000);
			break;
		case 'm':
		case 'c':
		case 'P': {
			char *end;
			unsigned long num = strtoul(optarg, &end, 10);

			/* a sandbox keeps its last 16 processes (box.c): the running ones among them */
			if (*end || !*optarg || num == 0 || num > (opt == 'P' ? 16 : 100000)) {
				fprintf(stderr, "jailtrace serve: bad number %s%s\n", optarg,
					opt == 'P' ? " (--max-processes: 1 to 16)" : "");
				return EXIT_JT;
			}
			*(opt == 'm' ? &srv.max_sandboxes : opt == 'c' ? &srv.max_commands : &srv.max_procs) =
				(unsigned)num;
			break;
		}
		case 'b':
		case 'f':
			if (jt_parse_size(optarg, &v) < 0 || v == 0) {
				fprintf(stderr, "jailtrace serve: bad size %s\n", optarg);
				return EXIT_JT;
			}
			*(opt == 'b' ? &srv.max_body : &srv.max_file) = (size_t)v;
			break;
		case 'M':
			if (jt_parse_size(optarg, &v) < 0 || v == 0) {
				fprintf(stderr, "jailtrace serve: bad --tenant-memory %s\n", optarg);
				return EXIT_JT;
			}
			srv.tenant_memory = v;
			break;
		case 'S':
			srv.syslog = 0;
			break;
		case 'U': {
			char *eq = strchr(optarg, '=');
			struct srv_upstream *u;

			/* NAME=URL: the URL goes into a --proxy rule as one word */
			if (!eq || eq == optarg || eq - optarg > 31 ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyz0123456789_-") != (size_t)(eq - optarg) ||
			    (strncmp(eq + 1, "http://", 7) && strncmp(eq + 1, "https://", 8)) ||
			    strlen(eq + 1) > 1024 || strpbrk(eq + 1, " \t\r\n\"'\\$")) {
				fprintf(stderr, "jailtrace serve: bad --proxy-upstream %s: want NAME=http(s)://... "
					"(a name of a-z, 0-9, _ -)\n", optarg);
				return EXIT_JT;
			}
			if (!(u = realloc(srv.upstreams, (srv.n_upstreams + 1) * sizeof(*u))))
				abort();
			srv.upstreams = u;
			u[srv.n_upstreams].name = strndup(optarg, (size_t)(eq - optarg));
			u[srv.n_upstreams++].url = strdup(eq + 1);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_JT;
		}
	}
	if (optind != argc || !tokens) {
		usage(stderr);
		return EXIT_JT;
	}
	if (jt_mhd_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "jailtrace %s\n", err);
		return EXIT_JT;
	}
	if (load_tokens(tokens) < 0)
		return EXIT_JT;
	if (!srv.data[0] && default_data() < 0) {
		fprintf(stderr, "jailtrace serve: no data directory: pass --data DIR\n");
		return EXIT_JT;
	}
	if (prepare_data() < 0)
		return EXIT_JT;
	n = readlink("/proc/self/exe", srv.jailtrace, sizeof(srv.jailtrace) - 1);
	if (n <= 0) {
		fprintf(stderr, "jailtrace serve: cannot find its own binary: %s\n", strerror(errno));
		return EXIT_JT;
	}
	srv.jailtrace[n] = '\0';
	if (!listen_addr) {
		snprintf(dflt_listen, sizeof(dflt_listen), "unix:%s/serve.sock", srv.data);
		listen_addr = dflt_listen;
	}
	if ((fd = listen_on(listen_addr, allow_remote, shown, sizeof(shown))) < 0)
		return EXIT_JT;

	/* the stop signals wait for sigwait below; the threads inherit the mask */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	box_start();
	d = jt_mhd.start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
				0, NULL, NULL, handle, NULL,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
				MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "jailtrace serve: libmicrohttpd would not start\n");
		return EXIT_JT;
	}
	printf("jailtrace serve: listening on %s\n", shown);
	fflush(stdout);
	srv_log("listening on %s; data in %s; %zu token%s", shown, srv.data, srv.n_tokens,
		srv.n_tokens == 1 ? "" : "s");
	/* SIGHUP reads the tokens file again; SIGINT and SIGTERM stop */
	for (;;) {
		sig = sigwaitinfo(&stop, NULL);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig != SIGHUP)
			break;
		if (load_tokens(tokens) == 0)
			srv_log("got SIGHUP: %zu token%s from %s", srv.n_tokens, srv.n_tokens == 1 ? "" : "s",
				tokens);
		else
			srv_log("got SIGHUP: %s not read again (see above); the tokens stay as they were", tokens);
	}
	srv_log("got %s: destroying every sandbox", strsignal(sig));
	box_stop_all();
	jt_mhd.stop_daemon(d);
	if (!strncmp(shown, "unix:", 5))
		unlink(shown + 5);
	return 0;
}
