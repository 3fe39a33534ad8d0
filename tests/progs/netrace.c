/*
 * netrace OKPORT BADPORT N: N blocking TCP connects to 127.0.0.1 while a
 * second thread flips the port of the very sockaddr being passed between
 * OKPORT and BADPORT. Prints "connects=C" (connects that succeeded).
 * Natively some connects reach BADPORT; under a sandbox granting only
 * OKPORT, none may.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
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
	/* each value stays for a while: natively half the connects go astray */
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
	pthread_t th;
	int n, connects = 0;

	if (argc != 4)
		return 2;
	ok_port = (unsigned short)atoi(argv[1]);
	bad_port = (unsigned short)atoi(argv[2]);
	n = atoi(argv[3]);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(ok_port);
	pthread_create(&th, NULL, flipper, NULL);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			return 3;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			connects++;
		close(fd);
	}
	done = 1;
	pthread_join(th, NULL);
	printf("connects=%d\n", connects);
	return 0;
}
