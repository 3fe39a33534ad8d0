/*
 * memhog: grows resident memory, or address space until it runs out.
 *
 * usage: memhog grow MB HOLD [NPROC]
 *          NPROC processes (default 1: this one, plus NPROC-1 forks) each map
 *          and touch MB megabytes in 4 MB steps, print "PID reached MB MB",
 *          hold the memory HOLD seconds, exit 0. The parent waits for all.
 *        memhog enomem MAXMB
 *          maps (without touching) 1 MB at a time until mmap fails or MAXMB
 *          is reached; prints "ENOMEM after N MB" or "reached MAXMB MB".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MB (1024L * 1024L)

static int grow(long mb, double hold)
{
	struct timespec ts = { (time_t)hold, (long)((hold - (time_t)hold) * 1e9) };

	for (long done = 0; done < mb; done += 4) {
		char *p = mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("%d mmap failed after %ld MB: %s\n", (int)getpid(), done,
			       strerrorname_np(errno));
			return 1;
		}
		memset(p, 0x5a, 4 * MB);
		struct timespec step = { 0, 2000000 };
		nanosleep(&step, NULL);
	}
	printf("%d reached %ld MB\n", (int)getpid(), mb);
	fflush(stdout);
	nanosleep(&ts, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "grow") == 0) {
		long mb = atol(argv[2]);
		double hold = atof(argv[3]);
		int nproc = argc == 5 ? atoi(argv[4]) : 1;
		int failed = 0;

		fflush(stdout);
		for (int i = 1; i < nproc; i++)
			if (fork() == 0)
				_exit(grow(mb, hold));
		failed = grow(mb, hold);
		for (int st; wait(&st) > 0;)
			failed |= !WIFEXITED(st) || WEXITSTATUS(st);
		return failed;
	}
	if (argc == 3 && strcmp(argv[1], "enomem") == 0) {
		long max = atol(argv[2]), n;
		for (n = 0; n < max; n++)
			if (mmap(NULL, MB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
				break;
		if (n < max)
			printf("%s after %ld MB\n", strerrorname_np(errno), n);
		else
			printf("reached %ld MB\n", max);
		return 0;
	}
	fprintf(stderr, "usage: memhog grow MB HOLD [NPROC] | memhog enomem MAXMB\n");
	return 2;
}
