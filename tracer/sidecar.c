/*
 * Sidecars (sidecar.h): the loopback servers jailtrace runs for one
 * sandbox. An acceptor thread takes connections and starts a detached
 * thread for each, at most MAX_ACTIVE at once; a connection whose peer is
 * not a socket the tracer connected for the program is refused. Threads
 * queue their records; the tracer's thread writes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "filters/net.h"
#include "filters/policy.h"
#include "tracer/sidecar.h"

#define MAX_ACTIVE 64		/* connections served at once; more get 503 */
#define PEERS_MAX 256		/* program sockets connected here, not yet accepted */
#define IO_TIMEOUT_S 60
#define STOP_WAIT_S 5

struct jt_sidecar {
	const char *what;
	const struct jt_sidecar_ops *ops;
	void *arg;
	int lfd;
	int stop[2];		/* written once at stop: the acceptor and every poll see it */
	int stopping;
	uint16_t port;
	pthread_t acceptor;
	int acceptor_started;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int active;
	int fds[MAX_ACTIVE];	/* the connections being served, -1: free */
	int ups[MAX_ACTIVE];	/* their upstream sockets (jt_sidecar_track), -1: none */
	/*
	 * The program's sockets the tracer connected here, by local address
	 * and port, each held open (a copy) until its connection is accepted:
	 * so no host process can take that address and port meanwhile, even
	 * after the program closed its socket.
	 */
	struct peer {
		uint32_t addr;	/* network order */
		uint16_t port;	/* host order; 0: none */
		int fd;		/* the copy, -1: none */
	} peers[PEERS_MAX];
	size_t n_peers;		/* peers added, ever: the next goes to n_peers % PEERS_MAX */
	struct jt_sidecar_rec *head, **tail;
};

struct conn {
	struct jt_sidecar *sc;
	int fd, slot;
};

/* ------------------------------------------------------------ HTTP pieces */

int jt_sidecar_send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void jt_sidecar_reply(int fd, int status, const char *why)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
			 status, why, strlen(why) + 1, why);

	if (n > 0 && (size_t)n < sizeof(buf))
		jt_sidecar_send_all(fd, buf, (size_t)n);
}

long jt_sidecar_read_head(int fd, char *buf, size_t cap, size_t *got)
{
	*got = 0;
	while (*got < cap) {
		ssize_t n = recv(fd, buf + *got, cap - *got, 0);
		char *end;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		*got += (size_t)n;
		if ((end = memmem(buf, *got, "\r\n\r\n", 4)))
			return end - buf + 4;
		/* lines ended by a bare LF: a head all the same, which the
		 * parsers refuse (400) rather than wait for a CRLF never sent */
		if ((end = memmem(buf, *got, "\n\n", 2)))
			return end - buf + 2;
	}
	return -1;
}

/* ------------------------------------------------------------ serving */

/*
 * Is the program's socket @fd still the live end of a connection? Then
 * no other socket can have its address, port and peer: the connection
 * accepted with that peer is this one. A dead one (reset, closed) has
 * given up its port, which a host process may have taken since.
 */
static int alive(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	/* (SYN_SENT: a connect the listener's full queue holds back, still going) */
	return ti.tcpi_state == TCP_ESTABLISHED || ti.tcpi_state == TCP_SYN_SENT ||
	       ti.tcpi_state == TCP_FIN_WAIT1 || ti.tcpi_state == TCP_FIN_WAIT2;
}

/*
 * Forget the program's sockets that died before their connection was
 * accepted (refused as too many before the tracer noted them, or reset):
 * their copies would hold their ports. Once a second, on the acceptor.
 */
static void sweep_peers(struct jt_sidecar *sc)
{
	pthread_mutex_lock(&sc->mu);
	for (size_t i = 0; i < PEERS_MAX; i++)
		if (sc->peers[i].port && !alive(sc->peers[i].fd)) {
			if (sc->peers[i].fd >= 0)
				close(sc->peers[i].fd);
			sc->peers[i].port = 0;
			sc->peers[i].fd = -1;
		}
	pthread_mutex_unlock(&sc->mu);
}

/* Is @fd's peer a socket of the program's (then forgotten: one connect, one connection)? */
static int take_peer(struct jt_sidecar *sc, int fd, int tries)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int ok = 0;

	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sin_family != AF_INET)
		return 0;
	/* the tracer notes the port just after its connect returns, which may
	 * be just after this accept: a moment's grace */
	for (int t = 0; !ok && t < tries && !jt_sidecar_stopping(sc); t++) {
		if (t)
			usleep(2000);
		pthread_mutex_lock(&sc->mu);
		for (size_t i = 0; !ok && i < PEERS_MAX; i++)
			if (sc->peers[i].port && sc->peers[i].port == ntohs(sa.sin_port) &&
			    sc->peers[i].addr == sa.sin_addr.s_addr) {
				ok = alive(sc->peers[i].fd);
				if (sc->peers[i].fd >= 0)
					close(sc->peers[i].fd);
				sc->peers[i].port = 0;
				sc->peers[i].fd = -1;
			}
		pthread_mutex_unlock(&sc->mu);
	}
	return ok;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct jt_sidecar *sc = c->sc;

	if (take_peer(sc, c->fd, 100))
		sc->ops->serve(sc->arg, c->fd);
	else
		sc->ops->refuse(sc->arg, c->fd, 403, "not a connection of this sandbox");
	pthread_mutex_lock(&sc->mu);
	sc->fds[c->slot] = -1;
	close(c->fd);
	if (--sc->active == 0)
		pthread_cond_broadcast(&sc->idle);
	pthread_mutex_unlock(&sc->mu);
	free(c);
	return NULL;
}

static void start_conn(struct jt_sidecar *sc, int fd)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	struct conn *c = calloc(1, sizeof(*c));
	pthread_t th;
	pthread_attr_t at;
	int slot = -1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pthread_mutex_lock(&sc->mu);
	for (int i = 0; c && i < MAX_ACTIVE && slot < 0; i++)
		if (sc->fds[i] < 0)
			slot = i;
	if (slot >= 0) {
		sc->fds[slot] = fd;
		sc->active++;
	}
	pthread_mutex_unlock(&sc->mu);
	if (slot < 0) {
		/* not served: its address and port are forgotten as if served */
		take_peer(sc, fd, 1);
		sc->ops->refuse(sc->arg, fd, 503, "too many requests at once");
		close(fd);
		free(c);
		return;
	}
	*c = (struct conn){ sc, fd, slot };
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	if (pthread_create(&th, &at, conn_main, c) != 0) {
		sc->ops->refuse(sc->arg, fd, 503, "cannot serve now");
		pthread_mutex_lock(&sc->mu);
		sc->fds[slot] = -1;
		sc->active--;
		pthread_mutex_unlock(&sc->mu);
		close(fd);
		free(c);
	}
	pthread_attr_destroy(&at);
}

static void *acceptor_main(void *arg)
{
	struct jt_sidecar *sc = arg;
	struct pollfd p[2] = { { sc->lfd, POLLIN, 0 }, { sc->stop[0], POLLIN, 0 } };

	for (;;) {
		int fd, n = poll(p, 2, 1000);

		if (n < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (n == 0)
			sweep_peers(sc);
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(sc->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			start_conn(sc, fd);
	}
	return NULL;
}

/* ------------------------------------------------------------ the tracer's side */

static void sc_free(struct jt_sidecar *sc)
{
	for (int i = 0; i < PEERS_MAX; i++)
		if (sc->peers[i].fd >= 0)
			close(sc->peers[i].fd);
	if (sc->lfd >= 0)
		close(sc->lfd);
	if (sc->stop[0] >= 0)
		close(sc->stop[0]);
	if (sc->stop[1] >= 0)
		close(sc->stop[1]);
	pthread_mutex_destroy(&sc->mu);
	pthread_cond_destroy(&sc->idle);
	free(sc);
}

int jt_sidecar_start(struct jt_sidecar **out, const char *what, const struct jt_sidecar_ops *ops,
		     void *arg, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct jt_sidecar *sc = calloc(1, sizeof(*sc));
	int r = 0;

	if (!sc) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -ENOMEM;
	}
	sc->what = what;
	sc->ops = ops;
	sc->arg = arg;
	sc->stop[0] = sc->stop[1] = -1;
	sc->tail = &sc->head;
	for (int i = 0; i < MAX_ACTIVE; i++)
		sc->fds[i] = sc->ups[i] = -1;
	for (int i = 0; i < PEERS_MAX; i++)
		sc->peers[i].fd = -1;
	pthread_mutex_init(&sc->mu, NULL);
	pthread_cond_init(&sc->idle, NULL);
	sc->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sc->lfd < 0 || bind(sc->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(sc->lfd, 128) < 0 || getsockname(sc->lfd, (struct sockaddr *)&sa, &len) < 0 ||
	    pipe2(sc->stop, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot listen on 127.0.0.1: %s", what, strerror(errno));
	}
	sc->port = ntohs(sa.sin_port);
	if (r == 0 && (r = -pthread_create(&sc->acceptor, NULL, acceptor_main, sc)) < 0)
		snprintf(err, errlen, "%s: cannot start its thread: %s", what, strerror(-r));
	if (r < 0) {
		sc_free(sc);
		return r;
	}
	sc->acceptor_started = 1;
	*out = sc;
	return 0;
}

uint16_t jt_sidecar_port(const struct jt_sidecar *sc)
{
	return sc->port;
}

int jt_sidecar_grant(struct jt_policy *p, uint16_t port, int rule)
{
	struct jt_net_rule r = { .kind = JT_NET_CONNECT, .proto = JT_NET_TCP, .local = 1,
				 .prefix = 32, .port_lo = port, .port_hi = port, .rule = rule };
	struct jt_net_rule *n = realloc(p->net, (p->n_net + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	r.addr.family = 4;
	r.addr.a[0] = 127;
	r.addr.a[3] = 1;
	p->net = n;
	p->net[p->n_net++] = r;
	return 0;
}

void jt_sidecar_connected(struct jt_sidecar *sc, const struct jt_policy *p, int copy,
			  const struct jt_net_dest *d)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct peer *pe;

	if (!sc || d->port != sc->port || !jt_net_is_local(p, &d->addr) ||
	    getsockname(copy, (struct sockaddr *)&sa, &len) < 0 || sa.sin_family != AF_INET)
		return;
	pthread_mutex_lock(&sc->mu);
	pe = &sc->peers[sc->n_peers++ % PEERS_MAX];
	if (pe->fd >= 0)
		close(pe->fd);	/* the oldest, never accepted: its connect failed */
	pe->addr = sa.sin_addr.s_addr;
	pe->port = ntohs(sa.sin_port);
	pe->fd = fcntl(copy, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&sc->mu);
}

int jt_sidecar_track(struct jt_sidecar *sc, int fd)
{
	int slot = -1;

	pthread_mutex_lock(&sc->mu);
	for (int i = 0; i < MAX_ACTIVE && slot < 0; i++)
		if (sc->ups[i] < 0) {
			sc->ups[i] = fd;
			slot = i;
		}
	if (slot >= 0 && sc->stopping)
		shutdown(fd, SHUT_RDWR);
	pthread_mutex_unlock(&sc->mu);
	return slot;
}

void jt_sidecar_close_tracked(struct jt_sidecar *sc, int slot, int fd)
{
	pthread_mutex_lock(&sc->mu);
	if (slot >= 0)
		sc->ups[slot] = -1;
	close(fd);
	pthread_mutex_unlock(&sc->mu);
}

int jt_sidecar_stop_fd(const struct jt_sidecar *sc)
{
	return sc->stop[0];
}

int jt_sidecar_stopping(const struct jt_sidecar *sc)
{
	return __atomic_load_n(&sc->stopping, __ATOMIC_RELAXED);
}

void jt_sidecar_record(struct jt_sidecar *sc, struct jt_sidecar_rec *r)
{
	r->next = NULL;
	pthread_mutex_lock(&sc->mu);
	*sc->tail = r;
	sc->tail = &r->next;
	pthread_mutex_unlock(&sc->mu);
}

void jt_sidecar_drain(struct jt_sidecar *sc, struct jt_run *run)
{
	struct jt_sidecar_rec *r;

	if (!sc)
		return;
	pthread_mutex_lock(&sc->mu);
	r = sc->head;
	sc->head = NULL;
	sc->tail = &sc->head;
	pthread_mutex_unlock(&sc->mu);
	while (r) {
		struct jt_sidecar_rec *next = r->next;

		r->write(run, r);
		free(r);
		r = next;
	}
}

int jt_sidecar_stop(struct jt_sidecar *sc, struct jt_run *run)
{
	struct timespec until;
	int busy;

	if (!sc)
		return 0;
	pthread_mutex_lock(&sc->mu);
	__atomic_store_n(&sc->stopping, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sc->mu);
	if (write(sc->stop[1], "x", 1) == 1 && sc->acceptor_started)
		pthread_join(sc->acceptor, NULL);
	/* the program is gone: every connection ends now (their polls see
	 * the stop pipe; a blocked read or write sees the shutdown) */
	pthread_mutex_lock(&sc->mu);
	for (int i = 0; i < MAX_ACTIVE; i++) {
		if (sc->fds[i] >= 0)
			shutdown(sc->fds[i], SHUT_RDWR);
		if (sc->ups[i] >= 0)
			shutdown(sc->ups[i], SHUT_RDWR);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_WAIT_S;
	while (sc->active > 0 && pthread_cond_timedwait(&sc->idle, &sc->mu, &until) == 0)
		;
	busy = sc->active > 0;
	pthread_mutex_unlock(&sc->mu);
	jt_sidecar_drain(sc, run);
	if (!busy)
		sc_free(sc);
	/* else: a thread still holds it, and jailtrace is about to exit */
	return busy;
}

int jt_sidecar_request_line(const char *head, char *method, size_t mlen, char *target, size_t tlen)
{
	const char *sp1 = strchr(head, ' '), *sp2, *eol = strstr(head, "\r\n");
	size_t n;

	if (!sp1 || !eol || sp1 > eol || (size_t)(sp1 - head) >= mlen || sp1 == head)
		return -1;
	for (const char *c = head; c < sp1; c++)
		if (*c < 'A' || *c > 'Z')
			return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || (n = (size_t)(sp2 - sp1 - 1)) == 0)
		return -1;
	for (const char *c = sp1 + 1; c < sp2; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -1;
	if (eol - sp2 - 1 != 8 || (strncmp(sp2 + 1, "HTTP/1.1", 8) && strncmp(sp2 + 1, "HTTP/1.0", 8)))
		return -1;
	memcpy(method, head, (size_t)(sp1 - head));
	method[sp1 - head] = '\0';
	if (n >= tlen)
		return -2;
	memcpy(target, sp1 + 1, n);
	target[n] = '\0';
	return 0;
}
