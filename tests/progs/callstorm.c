/*
 * callstorm: many threads making decided system calls at the same moment.
 *
 * usage: callstorm OUTSIDE_PID THREADS CALLS
 * Starts THREADS threads (at most 64) that wait on a barrier, then each calls
 * kill(OUTSIDE_PID, 0) CALLS times. Each thread prints one line
 *   tid=TID ok=K failed=F
 * (K calls returned 0, F failed), and at the end "threads done N".
 * Exits 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_barrier_t barrier;
static pid_t outside;
static int calls;

static void *storm(void *arg)
{
	char line[96];
	int ok = 0, failed = 0, n;

	(void)arg;
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < calls; i++) {
		if (kill(outside, 0) == 0)
			ok++;
		else
			failed++;
	}
	n = snprintf(line, sizeof line, "tid=%ld ok=%d failed=%d\n",
		     (long)syscall(SYS_gettid), ok, failed);
	if (write(1, line, n) != n)
		return NULL;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	int threads, started = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: callstorm OUTSIDE_PID THREADS CALLS\n");
		return 2;
	}
	outside = atoi(argv[1]);
	threads = atoi(argv[2]);
	calls = atoi(argv[3]);
	if (threads < 1 || threads > 64)
		threads = 64;
	pthread_barrier_init(&barrier, NULL, threads);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, storm, NULL) == 0)
			started++;
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	printf("threads done %d\n", started);
	return 0;
}
