/*
 * fdrace HOSTFILE JAILFILE N: a second thread flips descriptor 50 between
 * HOSTFILE (opened read-only) and JAILFILE (created mode 0200 and opened
 * write-only, so /proc cannot reopen it for a tracer without pidfd_getfd,
 * which must fetch it), while the first calls fchmod(50, 0200) N times.
 * Prints "changed=C refused=R" (successful and failed fchmods). Natively
 * HOSTFILE's mode changes; under a sandbox granting it read-only, never.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int host_fd, jail_fd;
static volatile int done;

static void *flipper(void *arg)
{
	(void)arg;
	while (!done) {
		dup2(host_fd, 50);
		for (volatile int i = 0; i < 2000; i++)
			;
		dup2(jail_fd, 50);
		for (volatile int i = 0; i < 2000; i++)
			;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	int n, changed = 0, refused = 0;

	if (argc != 4)
		return 2;
	host_fd = open(argv[1], O_RDONLY);
	jail_fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0200);
	if (host_fd < 0 || jail_fd < 0 || fchmod(jail_fd, 0200) < 0) {
		perror("open");
		return 3;
	}
	n = atoi(argv[3]);
	dup2(jail_fd, 50);
	pthread_create(&th, NULL, flipper, NULL);
	for (int i = 0; i < n; i++) {
		if (fchmod(50, 0200) == 0)
			changed++;
		else
			refused++;
	}
	done = 1;
	pthread_join(th, NULL);
	printf("changed=%d refused=%d\n", changed, refused);
	return 0;
}
