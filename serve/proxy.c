/*
 * Exposed ports: a request to /v1/sandboxes/ID/ports/N/PATH, authenticated
 * as every request is, forwarded to 127.0.0.1:N where the sandbox's
 * process listens (its --allow-bind grant), and the answer sent back.
 *
 * The upstream is the sandbox's program: hostile. Before each request the
 * listening socket on 127.0.0.1:N must be one a process of that sandbox's
 * tree holds (so a port the sandbox never bound, or gave up, never leads
 * to a host service listening there). The request goes as HTTP/1.0 with
 * "Connection: close" and the client's Authorization header left out;
 * the answer's head is read strictly (16 KiB at most, CRLF lines, a
 * status line, token names, values without control characters), a few
 * headers of it are passed on, and its body is streamed to the end of
 * the connection.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "serve/serve.h"

#define HEAD_MAX 16384
#define UPSTREAM_MS 30000	/* for the connect, the head, and each read of the body */

/* The inodes of the sockets listening on port @port that a connect to
 * 127.0.0.1:@port may reach (bound to 127.0.0.1 or 0.0.0.0: with
 * SO_REUSEPORT a host process of the same uid may listen beside the
 * sandbox's); how many (up to @max), 0 for none, -1 for more. */
static int listener_inodes(int port, unsigned long *inodes, int max)
{
	FILE *f = fopen("/proc/net/tcp", "re");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (n >= 0 && fgets(line, sizeof(line), f)) {
		unsigned addr, lport, st;
		unsigned long ino;

		/* "sl: LOCAL REMOTE st tx:rx tr:when retrnsmt uid timeout inode" */
		if (sscanf(line, " %*d: %8X:%4X %*8X:%*4X %2X %*8X:%*8X %*2X:%*8X %*8X %*u %*d %lu",
			   &addr, &lport, &st, &ino) == 4 &&
		    st == 0x0A && (int)lport == port && (addr == htonl(INADDR_LOOPBACK) || addr == 0))
			n = n < max ? (inodes[n] = ino, n + 1) : -1;
	}
	fclose(f);
	return n;
}

/* @pid's parent, or -1 */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;
	long pp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "PID (COMM) S PPID ...": COMM may hold anything, the last ')' ends it */
	if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %*c %ld", &pp) != 1)
		return -1;
	return (pid_t)pp;
}

/* Does a process under @root (its tree) hold socket @inode? */
static int tree_holds(pid_t root, unsigned long inode)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char want[64];
	int found = 0;

	if (!d)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (!found && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name), a;
		char fdpath[64];
		DIR *fds;
		struct dirent *fe;
		int depth = 0;

		if (pid <= 0)
			continue;
		for (a = pid; a > 1 && a != root && depth < 64; depth++)
			a = parent_of(a);
		if (a != root)
			continue;
		snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd", (int)pid);
		if (!(fds = opendir(fdpath)))
			continue;
		while (!found && (fe = readdir(fds))) {
			char l[PATH_MAX], link[64];
			ssize_t n;

			snprintf(l, sizeof(l), "%s/%s", fdpath, fe->d_name);
			n = readlink(l, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				found = !strcmp(link, want);
			}
		}
		closedir(fds);
	}
	closedir(d);
	return found;
}

struct upstream {
	int fd;
	char *held;		/* body bytes read with the head */
	size_t held_len, held_off;
	uint64_t left;		/* of a Content-Length, or UINT64_MAX */
};

static ssize_t up_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct upstream *u = cls;
	struct pollfd p = { .fd = u->fd, .events = POLLIN };
	ssize_t n;

	(void)pos;
	if (u->left == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if ((uint64_t)max > u->left)
		max = (size_t)u->left;
	if (u->held_off < u->held_len) {
		n = (ssize_t)(u->held_len - u->held_off < max ? u->held_len - u->held_off : max);
		memcpy(buf, u->held + u->held_off, (size_t)n);
		u->held_off += (size_t)n;
	} else {
		if (poll(&p, 1, UPSTREAM_MS) <= 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		n = read(u->fd, buf, max);
		if (n == 0)
			return u->left == UINT64_MAX ? MHD_CONTENT_READER_END_OF_STREAM
						     : MHD_CONTENT_READER_END_WITH_ERROR;
		if (n < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (u->left != UINT64_MAX)
		u->left -= (uint64_t)n;
	return n;
}

static void up_free(void *cls)
{
	struct upstream *u = cls;

	close(u->fd);
	free(u->held);
	free(u);
}

struct query {
	char *buf;
	size_t len, cap;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query *q = cls;
	size_t need = strlen(key) + (value ? strlen(value) : 0) + 3;

	(void)kind;
	if (q->len + need > q->cap) {
		char *nb = realloc(q->buf, q->cap = (q->len + need) * 2);

		if (!nb)
			abort();
		q->buf = nb;
	}
	q->len += (size_t)snprintf(q->buf + q->len, q->cap - q->len, "%c%s%s%s", q->len ? '&' : '?', key,
				   value ? "=" : "", value ? value : "");
	return MHD_YES;
}

static int token_char(int c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

enum MHD_Result proxy_forward(struct MHD_Connection *c, struct box *b, int port, const char *path,
			      const char *method, const char *body, size_t len)
{
	static const char *const pass_in[] = { "Content-Type", "Accept", "Accept-Language", "If-None-Match",
						"If-Modified-Since", "User-Agent" };
	static const char *const pass_out[] = { "Content-Type", "Cache-Control", "Location", "Last-Modified",
						 "ETag", "Content-Language", "Content-Disposition", "Content-Encoding" };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct query q = { 0 };
	char *req = NULL, *head = NULL, *line, *next, *end;
	size_t req_len = 0, head_len = 0;
	FILE *rf;
	struct pollfd pfd;
	struct upstream *u;
	struct MHD_Response *resp;
	unsigned status;
	unsigned long inodes[8];
	int n_inodes;
	uint64_t clen = UINT64_MAX;
	const char *keep_name[16];
	char *keep_val[16];
	size_t n_keep = 0;
	enum MHD_Result r;
	pid_t root;
	int fd, st = box_port_state(b, port, &root);

	if (st < 2)
		return srv_error(c, 404, NULL, "port %d of sandbox %s is not exposed%s", port, box_id(b),
				 st ? " (POST .../ports/N first)" : " by a running process");
	for (const char *s = path; *s; s++)
		if ((unsigned char)*s <= 32 || *s == 127)
			return srv_error(c, 400, "path", "a control character or space in the path");
	/* every listener a connect may reach must be the sandbox's own, now */
	n_inodes = listener_inodes(port, inodes, 8);
	for (int i = 0; i < n_inodes; i++)
		if (!tree_holds(root, inodes[i]))
			n_inodes = 0;
	if (n_inodes <= 0)
		return srv_error(c, 502, NULL, "nothing of sandbox %s listens on 127.0.0.1:%d%s", box_id(b), port,
				 n_inodes < 0 || listener_inodes(port, inodes, 8) ? " alone" : "");
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return srv_error(c, 500, NULL, "socket: %s", strerror(errno));
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if ((connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) ||
	    poll(&pfd, 1, UPSTREAM_MS) <= 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &st, &(socklen_t){ sizeof(st) }) < 0 || st) {
		close(fd);
		return srv_error(c, 502, NULL, "cannot connect to port %d of sandbox %s", port, box_id(b));
	}
	jt_mhd.get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &q);
	if (!(rf = open_memstream(&req, &req_len)))
		abort();
	fprintf(rf, "%s /%s%s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", method, path,
		q.buf ? q.buf : "", port);
	for (size_t i = 0; i < sizeof(pass_in) / sizeof(*pass_in); i++) {
		const char *v = jt_mhd.lookup_connection_value(c, MHD_HEADER_KIND, pass_in[i]);

		if (v && !strpbrk(v, "\r\n"))
			fprintf(rf, "%s: %s\r\n", pass_in[i], v);
	}
	if (len || strcmp(method, "GET"))
		fprintf(rf, "Content-Length: %zu\r\n", len);
	fprintf(rf, "\r\n");
	fclose(rf);
	free(q.buf);
	if (srv_write_all(fd, req, req_len, UPSTREAM_MS) < 0 ||
	    (len && srv_write_all(fd, body, len, UPSTREAM_MS) < 0)) {
		free(req);
		close(fd);
		return srv_error(c, 502, NULL, "port %d of sandbox %s did not take the request", port, box_id(b));
	}
	free(req);

	/* the answer's head */
	if (!(head = malloc(HEAD_MAX + 1)))
		abort();
	while (!(end = head_len >= 4 ? memmem(head, head_len, "\r\n\r\n", 4) : NULL)) {
		ssize_t n = -1;
		int ready = 0;

		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (head_len < HEAD_MAX && (ready = poll(&pfd, 1, UPSTREAM_MS)) > 0)
			n = read(fd, head + head_len, HEAD_MAX - head_len);
		if (n < 0 && ((ready < 0 && errno == EINTR) || (ready > 0 && (errno == EINTR || errno == EAGAIN))))
			continue;
		if (n <= 0) {
			free(head);
			close(fd);
			return srv_error(c, 502, NULL, "port %d of sandbox %s gave no HTTP answer head (%s)", port,
					 box_id(b), head_len == HEAD_MAX ? "over 16 KiB" : "closed or silent");
		}
		head_len += (size_t)n;
	}
	*end = '\0';
	if (strncmp(head, "HTTP/1.", 7) || !(head[7] == '0' || head[7] == '1') || head[8] != ' ' ||
	    sscanf(head + 9, "%3u", &status) != 1 || status < 200 || status > 599 ||
	    (head[12] != ' ' && head[12] != '\r' && head[12] != '\0')) {
		free(head);
		close(fd);
		return srv_error(c, 502, NULL, "port %d of sandbox %s: not an HTTP/1.x status line", port, box_id(b));
	}
	if (!(u = calloc(1, sizeof(*u))))
		abort();
	u->fd = fd;
	u->left = UINT64_MAX;
	if ((size_t)(end + 4 - head) < head_len) {
		u->held_len = head_len - (size_t)(end + 4 - head);
		if (!(u->held = malloc(u->held_len)))
			abort();
		memcpy(u->held, end + 4, u->held_len);
	}
	/* the header lines: the ones passed on checked, a bad one refused */
	line = strstr(head, "\r\n");
	for (line = line ? line + 2 : NULL; line && *line; line = next) {
		char *colon, *v;
		size_t nl;

		next = strstr(line, "\r\n");
		if (next) {
			*next = '\0';
			next += 2;
		} else
			next = line + strlen(line);
		colon = strchr(line, ':');
		nl = colon ? (size_t)(colon - line) : 0;
		for (size_t i = 0; i < nl; i++)
			if (!token_char((unsigned char)line[i]))
				nl = 0;
		for (v = colon ? colon + 1 : NULL; v && (*v == ' ' || *v == '\t'); v++)
			;
		for (const char *s = v; s && *s; s++)
			if (((unsigned char)*s < 32 && *s != '\t') || *s == 127)
				nl = 0;
		if (!nl) {
			free(head);
			up_free(u);
			return srv_error(c, 502, NULL, "port %d of sandbox %s: a malformed header line", port,
					 box_id(b));
		}
		*colon = '\0';
		for (size_t i = 0; i < sizeof(pass_out) / sizeof(*pass_out); i++)
			if (!strcasecmp(line, pass_out[i]) && n_keep < sizeof(keep_val) / sizeof(*keep_val)) {
				keep_name[n_keep] = pass_out[i];
				keep_val[n_keep++] = v;
			}
		if (!strcasecmp(line, "Content-Length")) {
			char *e;
			unsigned long long n = strtoull(v, &e, 10);

			if (e == v || *e || clen != UINT64_MAX || strspn(v, "0123456789") != strlen(v) || strlen(v) > 18) {
				free(head);
				up_free(u);
				return srv_error(c, 502, NULL, "port %d of sandbox %s: a bad or second Content-Length",
						 port, box_id(b));
			}
			clen = n;
		} else if (!strcasecmp(line, "Transfer-Encoding")) {
			free(head);
			up_free(u);
			return srv_error(c, 502, NULL, "port %d of sandbox %s: Transfer-Encoding in an answer to "
					 "HTTP/1.0", port, box_id(b));
		}
	}
	if (!strcmp(method, "HEAD") || status == 204 || status == 304)
		clen = 0;
	u->left = clen;
	if (clen != UINT64_MAX && u->held_len > clen)
		u->held_len = (size_t)clen;
	resp = jt_mhd.response_from_callback(clen == UINT64_MAX ? MHD_SIZE_UNKNOWN : clen, 32 * 1024, up_read, u,
					     up_free);
	if (!resp) {
		free(head);
		up_free(u);
		return MHD_NO;
	}
	for (size_t i = 0; i < n_keep; i++)
		jt_mhd.add_response_header(resp, keep_name[i], keep_val[i]);
	free(head);
	r = jt_mhd.queue_response(c, status, resp);
	jt_mhd.destroy_response(resp);
	srv_log_reply(status);
	return r;
}
