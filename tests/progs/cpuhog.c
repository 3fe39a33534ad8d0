/*
 * cpuhog: burns CPU time.
 *
 * usage: cpuhog spin SECONDS    spin until this process has used SECONDS of
 *                               CPU, print "spun SECONDS", exit 0.
 *        cpuhog relay SECONDS   until SECONDS of wall time passed: fork a
 *                               child that spins 0.2 s of CPU and exits, wait
 *                               for it, repeat. No single process ever uses
 *                               much CPU; the tree does. Prints
 *                               "relayed N children", exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin(double seconds)
{
	volatile unsigned long x = 0;
	while (clock_s(CLOCK_PROCESS_CPUTIME_ID) < seconds)
		for (int i = 0; i < 100000; i++)
			x += i;
}

int main(int argc, char **argv)
{
	double s = argc == 3 ? atof(argv[2]) : 0;

	if (argc == 3 && strcmp(argv[1], "spin") == 0) {
		spin(s);
		printf("spun %s\n", argv[2]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "relay") == 0) {
		double end = clock_s(CLOCK_MONOTONIC) + s;
		int n = 0;
		while (clock_s(CLOCK_MONOTONIC) < end) {
			pid_t pid = fork();
			if (pid == 0) {
				spin(0.2);
				_exit(0);
			}
			if (pid < 0)
				return 1;
			waitpid(pid, NULL, 0);
			n++;
		}
		printf("relayed %d children\n", n);
		return 0;
	}
	fprintf(stderr, "usage: cpuhog spin|relay SECONDS\n");
	return 2;
}
