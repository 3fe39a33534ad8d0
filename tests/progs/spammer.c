/*
 * spammer: makes many decided system calls, counting the ones that returned.
 *
 * usage: spammer OUTSIDE_PID COUNTFILE SECONDS
 * Maps COUNTFILE (created, 4096 bytes) shared, then for SECONDS calls
 * kill(OUTSIDE_PID, 0) again and again; after each call returns it stores
 * the number of calls completed so far as a native-endian uint64 at offset
 * 0 of COUNTFILE (visible to the host at once, even if this process is
 * killed), and the number that succeeded at offset 8.
 * Prints "calls N ok K" at the end and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	volatile uint64_t *count;
	double end;
	pid_t outside;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: spammer OUTSIDE_PID COUNTFILE SECONDS\n");
		return 2;
	}
	outside = atoi(argv[1]);
	end = now() + atof(argv[3]);
	fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4096) < 0) {
		perror("spammer: countfile");
		return 1;
	}
	count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (count == MAP_FAILED) {
		perror("spammer: mmap");
		return 1;
	}
	while (now() < end) {
		int rc = kill(outside, 0);
		__atomic_store_n(&count[1], count[1] + (rc == 0), __ATOMIC_SEQ_CST);
		__atomic_store_n(&count[0], count[0] + 1, __ATOMIC_SEQ_CST);
	}
	printf("calls %llu ok %llu\n", (unsigned long long)count[0],
	       (unsigned long long)count[1]);
	return 0;
}
