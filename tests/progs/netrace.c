/*
 * netrace: a second thread flips the port of the very sockaddr being passed
 * to the kernel between OKPORT and BADPORT (127.0.0.1), while the main
 * thread makes N calls with it.
 *
 *   netrace OKPORT BADPORT N         N blocking TCP connects; prints
 *                                    "connects=C" (connects that succeeded)
 *   netrace sendto OKPORT BADPORT N  N UDP sendto()s of "race"; prints
 *                                    "sent=S" (sends that succeeded)
 *   netrace bind OKPORT BADPORT N    N TCP sockets bound (and listening)
 *                                    with it; one that got BADPORT stays
 *                                    open. Prints "binds=B", "pid PID", then
 *                                    "holding" and keeps its sockets until
 *                                    it gets SIGUSR1 (then exits 0), at most
 *                                    50 seconds, so the host can try to
 *                                    connect to BADPORT however busy it is.
 * Natively some calls reach BADPORT; under a sandbox granting only OKPORT,
 * none may.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in sa;
static volatile int done;
static unsigned short ok_port, bad_port;

static void *flipper(void *arg)
{
	(void)arg;
	/* each value stays for a while: natively half the calls go astray */
	while (!done) {
		*(volatile unsigned short *)&sa.sin_port = htons(bad_port);
		for (volatile int i = 0; i < 2000; i++)
			;
		*(volatile unsigned short *)&sa.sin_port = htons(ok_port);
		for (volatile int i = 0; i < 2000; i++)
			;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = "connect";
	pthread_t th;
	int n, count = 0, kept = -1;

	if (argc == 5) {
		mode = argv[1];
		argv++;
		argc--;
	}
	if (argc != 4 || (strcmp(mode, "connect") && strcmp(mode, "sendto") && strcmp(mode, "bind")))
		return 2;
	ok_port = (unsigned short)atoi(argv[1]);
	bad_port = (unsigned short)atoi(argv[2]);
	n = atoi(argv[3]);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(ok_port);
	pthread_create(&th, NULL, flipper, NULL);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, *mode == 's' ? SOCK_DGRAM : SOCK_STREAM, 0);

		if (fd < 0)
			return 3;
		if (*mode == 'c') {
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
				count++;
		} else if (*mode == 's') {
			if (sendto(fd, "race", 4, 0, (struct sockaddr *)&sa, sizeof(sa)) == 4)
				count++;
		} else {
			struct sockaddr_in got;
			socklen_t len = sizeof(got);

			if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 5) == 0) {
				count++;
				if (kept < 0 && getsockname(fd, (struct sockaddr *)&got, &len) == 0 &&
				    got.sin_port == htons(bad_port)) {
					kept = fd;
					continue;
				}
			}
		}
		close(fd);
	}
	done = 1;
	pthread_join(th, NULL);
	if (*mode == 'c')
		printf("connects=%d\n", count);
	else if (*mode == 's')
		printf("sent=%d\n", count);
	else {
		sigset_t usr1;
		struct timespec most = { 50, 0 };

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		printf("binds=%d\npid %d\nholding\n", count, (int)getpid());
		fflush(stdout);
		sigtimedwait(&usr1, NULL, &most);
	}
	return 0;
}
