/*
 * ownfiles: a thread with a descriptor table of its own (clone with
 * CLONE_THREAD, without CLONE_FILES), whose descriptor N is another file
 * than its leader's N. What the thread does with N must reach its own.
 *
 * usage: ownfiles fstat FILE DIR   the thread opens FILE, the leader then
 *                                  DIR at the same number; the thread
 *                                  prints "thread fstat SIZE" of its N
 *        ownfiles fstatsock         the thread makes a socket pair and
 *                                  prints "thread fstat R sock S" of one
 *                                  end (S: 1 for a socket)
 *        ownfiles leadgone          the leader exits (SYS_exit) and its
 *                                  thread, sharing its table, then makes
 *                                  a socket pair and prints "thread fstat
 *                                  R sock S" of one end
 *        ownfiles sendfd SOCK       the thread (a table of its own) sends its
 *                                  pipe's write end in SCM_RIGHTS to the
 *                                  unix datagram socket SOCK, then prints
 *                                  "thread sendmsg R read LINE" of what
 *                                  the receiver wrote into it
 *        ownfiles connect PORT     the leader holds an unconnected TCP
 *                                  socket at N, the thread makes its own at
 *                                  N and connects it to 127.0.0.1:PORT;
 *                                  prints "thread connect R read LINE port
 *                                  P" and "leader peer R" (-107: ENOTCONN)
 * Raw system calls only in the thread (it has no TLS of its own).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>

static volatile int stage;
static char stack[256 * 1024] __attribute__((aligned(16)));
static char **args;
static char line[128];

static long sc(long nr, long a, long b, long c, long d)
{
	return syscall(nr, a, b, c, d);
}

static int thread_main(void *unused)
{
	(void)unused;
	if (!strcmp(args[1], "leadgone")) {
		struct stat st;
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		int sv[2];
		long r;

		sc(SYS_nanosleep, (long)&ts, 0, 0, 0);	/* the leader is gone by then */
		r = sc(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, (long)sv);
		if (r == 0)
			r = sc(SYS_newfstatat, sv[0], (long)"", (long)&st, AT_EMPTY_PATH);
		snprintf(line, sizeof(line), "thread fstat %ld sock %d\n", r, r ? -1 : S_ISSOCK(st.st_mode));
		sc(SYS_write, 1, (long)line, (long)strlen(line), 0);
		syscall(SYS_exit_group, 0);
	}
	if (!strcmp(args[1], "fstat")) {
		struct stat st;
		long fd = sc(SYS_openat, AT_FDCWD, (long)args[2], O_RDONLY, 0), r;

		stage = 1;
		while (stage != 2)
			;
		r = sc(SYS_newfstatat, fd, (long)"", (long)&st, AT_EMPTY_PATH);
		snprintf(line, sizeof(line), "thread fstat %ld %lld\n", r, r ? -1LL : (long long)st.st_size);
	} else if (!strcmp(args[1], "sendfd")) {
		static char cbuf[CMSG_SPACE(sizeof(int))];
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct iovec io = { (void *)"own-table", 9 };
		struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &io, .msg_iovlen = 1,
				    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		char got[32] = "";
		int p[2];
		long s, r, n;

		sc(SYS_pipe2, (long)p, 0, 0, 0);
		s = sc(SYS_socket, AF_UNIX, SOCK_DGRAM, 0, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", args[2]);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &p[1], sizeof(int));
		r = sc(SYS_sendmsg, s, (long)&m, 0, 0);
		sc(SYS_close, p[1], 0, 0, 0);
		n = sc(SYS_read, p[0], (long)got, sizeof(got) - 1, 0);
		if (n > 0 && got[n - 1] == '\n')
			got[n - 1] = '\0';
		snprintf(line, sizeof(line), "thread sendmsg %ld read %s\n", r, n > 0 ? got : "-");
	} else if (!strcmp(args[1], "fstatsock")) {
		struct stat st;
		int sv[2];
		long r = sc(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, (long)sv);

		if (r == 0)
			r = sc(SYS_newfstatat, sv[0], (long)"", (long)&st, AT_EMPTY_PATH);
		snprintf(line, sizeof(line), "thread fstat %ld sock %d\n", r, r ? -1 : S_ISSOCK(st.st_mode));
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(args[2])) };
		socklen_t al = sizeof(a);
		char buf[16] = "";
		long fd, r, n;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sc(SYS_close, 3, 0, 0, 0);	/* the leader's socket, in this copy of the table */
		fd = sc(SYS_socket, AF_INET, SOCK_STREAM, 0, 0);
		r = sc(SYS_connect, fd, (long)&a, sizeof(a), 0);
		n = sc(SYS_read, fd, (long)buf, sizeof(buf) - 1, 0);
		if (n > 0 && buf[n - 1] == '\n')
			buf[n - 1] = '\0';
		sc(SYS_getsockname, fd, (long)&a, (long)&al, 0);
		snprintf(line, sizeof(line), "thread fd %ld connect %ld read %s port %u\n", fd, r,
			 n > 0 ? buf : "-", ntohs(a.sin_port));
	}
	stage = 3;
	syscall(SYS_exit, 0);
	return 0;
}

int main(int argc, char **argv)
{
	int lead = -1;

	if (argc < 2 || (strcmp(argv[1], "fstat") && strcmp(argv[1], "connect") && strcmp(argv[1], "fstatsock") &&
			 strcmp(argv[1], "leadgone") && strcmp(argv[1], "sendfd")) ||
	    ((!strcmp(argv[1], "connect") || !strcmp(argv[1], "sendfd")) && argc < 3) ||
	    (!strcmp(argv[1], "fstat") && argc < 4))
		return 2;
	args = argv;
	if (!strcmp(argv[1], "connect") && (lead = socket(AF_INET, SOCK_STREAM, 0)) != 3)
		return 3;
	if (clone(thread_main, stack + sizeof(stack), CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
		  (!strcmp(argv[1], "leadgone") ? CLONE_FILES : 0), NULL) < 0) {
		perror("clone");
		return 1;
	}
	if (!strcmp(argv[1], "leadgone"))
		syscall(SYS_exit, 0);	/* this thread alone: the thread goes on */
	if (!strcmp(argv[1], "fstat")) {
		while (stage != 1)
			;
		if (open(argv[3], O_RDONLY | O_DIRECTORY) < 0)	/* the same number, in the leader's table */
			return 4;
		stage = 2;
	}
	while (stage != 3)
		;
	fputs(line, stdout);
	if (lead >= 0) {
		struct sockaddr_in a;
		socklen_t al = sizeof(a);

		printf("leader peer %d\n", getpeername(lead, (struct sockaddr *)&a, &al) < 0 ? -1 : 0);
	}
	return 0;
}
