/*
 * netprobe WHAT [ARGS]: one network attempt, reported as "WHAT: ok" or
 * "WHAT: ERRNO-NAME", for the network tests.
 *   connect ADDR PORT        TCP connect (ADDR IPv4 or IPv6, any spelling)
 *   udp ADDR PORT            sendto of one datagram
 *   udpmsg ADDR PORT         sendmsg with msg_name
 *   fastopen ADDR PORT       sendto with MSG_FASTOPEN
 *   bind ADDR PORT           TCP bind, then listen
 *   listen                   listen on an unbound TCP socket
 *   raw                      socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
 *   packet                   socket(AF_PACKET, SOCK_RAW, 0)
 *   unix PATH                connect to a unix socket path
 *   udsend TYPE VIA ADDR     one unix datagram to ADDR (a path, or @NAME for
 *                            an abstract name). TYPE: dgram, raw (the kernel
 *                            makes it a datagram socket), dgram-flags,
 *                            raw-flags (| SOCK_NONBLOCK | SOCK_CLOEXEC),
 *                            pair-dgram, pair-raw (one end of a socketpair).
 *                            VIA: sendto, sendmsg, sendmmsg (4 entries, the
 *                            first without an address on a pair), connect
 *                            (then send), and on i386 socketcall-sendto,
 *                            socketcall-sendmsg (the multiplexer)
 *   udrace VIA JAIL HOST N   N sends (sendto or sendmsg) of one datagram
 *                            while a thread flips the address between the
 *                            socket paths JAIL and HOST; "udrace: sent K"
 *   udjail DIR               datagrams between sockets in DIR and socket
 *                            pairs, every type and call: "udjail: ok"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef __i386__
#include <linux/net.h>
#endif

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static const char *ename(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case ENOTCONN: return "ENOTCONN";
	case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
	default: return strerror(e);
	}
}

static socklen_t addr_of(const char *a, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)port);
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, a, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		return sizeof(*in6);
	}
	fprintf(stderr, "bad address %s\n", a);
	exit(2);
}


/* A unix address: a path, or "@NAME" for an abstract one (no trailing NUL). */
static socklen_t un_of(const char *a, struct sockaddr_un *un)
{
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	if (a[0] == '@') {
		size_t n = strnlen(a + 1, sizeof(un->sun_path) - 1);

		memcpy(un->sun_path + 1, a + 1, n);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	}
	snprintf(un->sun_path, sizeof(un->sun_path), "%s", a);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un->sun_path) + 1);
}

/* The socket of TYPE; a pair's other end goes to *peer. */
static int ud_socket(const char *type, int *peer)
{
	int t = strstr(type, "raw") ? SOCK_RAW : SOCK_DGRAM, sv[2];

	if (strstr(type, "flags"))
		t |= SOCK_NONBLOCK | SOCK_CLOEXEC;
	*peer = -1;
	if (strncmp(type, "pair-", 5))
		return socket(AF_UNIX, t, 0);
	if (socketpair(AF_UNIX, t, 0, sv) < 0)
		return -1;
	*peer = sv[1];
	return sv[0];
}

#ifdef __i386__
static long socketcall(int call, unsigned long *args)
{
	return syscall(SYS_socketcall, call, args);
}
#endif

/* One datagram "forged" to @un by @via. @return as the call. */
static int ud_send(int fd, const char *via, int pair, struct sockaddr_un *un, socklen_t len)
{
	struct iovec iov = { "forged", 6 };
	struct msghdr m = { .msg_name = un, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 };

	if (!strcmp(via, "sendto"))
		return (int)sendto(fd, "forged", 6, 0, (struct sockaddr *)un, len);
	if (!strcmp(via, "sendmsg"))
		return (int)sendmsg(fd, &m, 0);
	if (!strcmp(via, "connect"))
		return connect(fd, (struct sockaddr *)un, len) < 0 ? -1 : (int)send(fd, "forged", 6, 0);
	if (!strcmp(via, "sendmmsg")) {
		struct mmsghdr v[4];
		int n;

		for (int i = 0; i < 4; i++)
			v[i] = (struct mmsghdr){ .msg_hdr = m };
		if (pair)	/* the first to the pair's peer: the rest ride along */
			v[0].msg_hdr.msg_name = NULL, v[0].msg_hdr.msg_namelen = 0;
		n = sendmmsg(fd, v, 4, 0);
		if (n >= 0 && n < 4) {
			printf("udsend: %d of 4\n", n);
			exit(0);
		}
		return n;
	}
#ifdef __i386__
	if (!strcmp(via, "socketcall-sendto")) {
		unsigned long a[6] = { (unsigned long)fd, (unsigned long)"forged", 6, 0,
				       (unsigned long)un, len };

		return (int)socketcall(SYS_SENDTO, a);
	}
	if (!strcmp(via, "socketcall-sendmsg")) {
		unsigned long a[3] = { (unsigned long)fd, (unsigned long)&m, 0 };

		return (int)socketcall(SYS_SENDMSG, a);
	}
#endif
	fprintf(stderr, "netprobe: unknown way %s\n", via);
	exit(2);
}

static int udsend(const char *type, const char *via, const char *addr)
{
	struct sockaddr_un un;
	socklen_t len = un_of(addr, &un);
	int peer, fd = ud_socket(type, &peer);

	return fd < 0 ? -1 : ud_send(fd, via, peer >= 0, &un, len);
}

/* ---- udrace: another thread rewrites the address the call was decided on */

static struct sockaddr_un race_un;
static char race_paths[2][sizeof(race_un.sun_path)];
static volatile int race_done, race_started;

static void *flipper(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !race_done; i++) {
		memcpy(race_un.sun_path, race_paths[i & 1], sizeof(race_un.sun_path));
		race_started = 1;
	}
	return NULL;
}

static int udrace(const char *via, const char *jail, const char *host, int n)
{
	struct iovec iov = { "raced", 5 };
	struct msghdr m = { .msg_name = &race_un, .msg_namelen = sizeof(race_un), .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0), sent = 0;
	pthread_t th;

	if (fd < 0)
		return -1;
	race_un.sun_family = AF_UNIX;
	snprintf(race_paths[0], sizeof(race_paths[0]), "%s", jail);
	snprintf(race_paths[1], sizeof(race_paths[1]), "%s", host);
	memcpy(race_un.sun_path, race_paths[0], sizeof(race_un.sun_path));
	if (pthread_create(&th, NULL, flipper, NULL))
		return -1;
	while (!race_started)
		sched_yield();
	for (int i = 0; i < n; i++) {
		/* on one CPU the flipper runs only when the sender lets it */
		if (i % 16 == 0)
			sched_yield();
		if ((!strcmp(via, "sendmsg") ? sendmsg(fd, &m, MSG_DONTWAIT)
		     : sendto(fd, "raced", 5, MSG_DONTWAIT, (struct sockaddr *)&race_un, sizeof(race_un))) == 5)
			sent++;
	}
	race_done = 1;
	pthread_join(th, NULL);
	printf("udrace: sent %d\n", sent);
	exit(0);
}

/* ---- udjail: datagrams inside the jail still work */

static int expect(int fd, const char *what)
{
	char buf[32];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n == 6 && !memcmp(buf, "forged", 6))
		return 0;
	printf("udjail: %s: %s\n", what, n < 0 ? ename(errno) : "wrong datagram");
	exit(0);
}

/* SCM_RIGHTS over a datagram pair: the descriptor of @path arrives, the
 * same file (the control message read in the program's ABI's layout). */
static int pass_fd(const char *path)
{
	union { struct cmsghdr c; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct iovec iov = { "fd", 2 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct stat a, b;
	int sv[2], fd = open(path, O_PATH), got = -1;
	char buf[4];

	memset(&u, 0, sizeof(u));
	u.c.cmsg_len = CMSG_LEN(sizeof(int));
	u.c.cmsg_level = SOL_SOCKET;
	u.c.cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(&u.c), &fd, sizeof(fd));
	if (fd < 0 || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0 || sendmsg(sv[0], &m, 0) != 2) {
		printf("udjail: SCM_RIGHTS send: %s\n", ename(errno));
		exit(0);
	}
	memset(&u, 0, sizeof(u));
	iov = (struct iovec){ buf, sizeof(buf) };
	if (recvmsg(sv[1], &m, 0) != 2 || u.c.cmsg_type != SCM_RIGHTS) {
		printf("udjail: SCM_RIGHTS receive: %s\n", ename(errno));
		exit(0);
	}
	memcpy(&got, CMSG_DATA(&u.c), sizeof(got));
	if (fstat(fd, &a) < 0 || fstat(got, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		printf("udjail: SCM_RIGHTS: another file arrived\n");
		exit(0);
	}
	return 0;
}

static int udjail(const char *dir)
{
	static const char *types[] = { "dgram", "raw", "dgram-flags", "raw-flags" };
	static const char *vias[] = { "sendto", "sendmsg", "sendmmsg", "connect" };
	struct sockaddr_un un;
	char path[256], what[64];
	socklen_t len;
	int r, peer, fd;

	snprintf(path, sizeof(path), "%s/r.sock", dir);
	len = un_of(path, &un);
	unlink(path);
	if ((r = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0 || bind(r, (struct sockaddr *)&un, len) < 0) {
		printf("udjail: bind: %s\n", ename(errno));
		exit(0);
	}
	for (size_t t = 0; t < 4; t++)
		for (size_t v = 0; v < 4; v++) {
			snprintf(what, sizeof(what), "%s %s", types[t], vias[v]);
			if ((fd = ud_socket(types[t], &peer)) < 0 || ud_send(fd, vias[v], 0, &un, len) < 0) {
				printf("udjail: %s: %s\n", what, ename(errno));
				exit(0);
			}
			for (int i = 0; i < (v == 2 ? 4 : 1); i++)
				expect(r, what);
			close(fd);
		}
	for (size_t t = 0; t < 2; t++) {
		snprintf(what, sizeof(what), "pair-%s", types[t]);
		if ((fd = ud_socket(what, &peer)) < 0 || send(fd, "forged", 6, 0) != 6 ||
		    expect(peer, what) || send(peer, "forged", 6, 0) != 6 || expect(fd, what)) {
			printf("udjail: %s: %s\n", what, ename(errno));
			exit(0);
		}
		/* a pair's end addresses a socket in the jail, too */
		if (sendto(fd, "forged", 6, 0, (struct sockaddr *)&un, len) != 6) {
			printf("udjail: %s sendto: %s\n", what, ename(errno));
			exit(0);
		}
		expect(r, what);
		close(fd);
		close(peer);
	}
	return pass_fd(path) ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	const char *w = argc > 1 ? argv[1] : "";
	int unix_dgram = !strcmp(w, "udsend") || !strcmp(w, "udrace") || !strcmp(w, "udjail");
	socklen_t len = argc > 3 && !unix_dgram ? addr_of(argv[2], atoi(argv[3]), &ss) : 0;
	int fd = -1, r = -1;

	if (!strcmp(w, "connect") && len) {
		if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) >= 0)
			r = connect(fd, (struct sockaddr *)&ss, len);
	} else if ((!strcmp(w, "udp") || !strcmp(w, "udpmsg")) && len) {
		if ((fd = socket(ss.ss_family, SOCK_DGRAM, 0)) >= 0) {
			if (w[3] == 'm') {
				struct iovec iov = { "probe", 5 };
				struct msghdr m = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 };

				r = (int)sendmsg(fd, &m, 0);
			} else {
				r = (int)sendto(fd, "probe", 5, 0, (struct sockaddr *)&ss, len);
			}
		}
	} else if (!strcmp(w, "fastopen") && len) {
		if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) >= 0)
			r = (int)sendto(fd, "probe", 5, MSG_FASTOPEN, (struct sockaddr *)&ss, len);
	} else if (!strcmp(w, "bind") && len) {
		if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) >= 0 &&
		    (r = bind(fd, (struct sockaddr *)&ss, len)) == 0)
			r = listen(fd, 5);
	} else if (!strcmp(w, "listen")) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0)
			r = listen(fd, 5);
	} else if (!strcmp(w, "raw")) {
		r = fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	} else if (!strcmp(w, "packet")) {
		r = fd = socket(AF_PACKET, SOCK_RAW, 0);
	} else if (!strcmp(w, "unix") && argc > 2) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };

		snprintf(un.sun_path, sizeof(un.sun_path), "%s", argv[2]);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0)
			r = connect(fd, (struct sockaddr *)&un, sizeof(un));
	} else if (!strcmp(w, "udsend") && argc > 4) {
		r = udsend(argv[2], argv[3], argv[4]);
	} else if (!strcmp(w, "udrace") && argc > 5) {
		r = udrace(argv[2], argv[3], argv[4], atoi(argv[5]));
	} else if (!strcmp(w, "udjail") && argc > 2) {
		r = udjail(argv[2]);
	} else {
		fprintf(stderr, "usage: netprobe connect|udp|udpmsg|fastopen|bind ADDR PORT | listen | raw | packet | unix PATH | udsend TYPE VIA ADDR | udrace VIA JAIL HOST N | udjail DIR\n");
		return 2;
	}
	if (r < 0)
		printf("%s: %s\n", w, ename(errno));
	else
		printf("%s: ok\n", w);
	return 0;
}
