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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	const char *w = argc > 1 ? argv[1] : "";
	socklen_t len = argc > 3 ? addr_of(argv[2], atoi(argv[3]), &ss) : 0;
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
	} else {
		fprintf(stderr, "usage: netprobe connect|udp|udpmsg|fastopen|bind ADDR PORT | listen | raw | packet | unix PATH\n");
		return 2;
	}
	if (r < 0)
		printf("%s: %s\n", w, ename(errno));
	else
		printf("%s: ok\n", w);
	return 0;
}
