/*
 * bomb: a bounded fork bomb or thread bomb.
 *
 * usage: bomb fork|thread N HOLD [MARKER]
 * Creates N child processes (fork) or N threads (thread, 64 KB stacks), one
 * after the other; each sleeps HOLD seconds and ends. Prints "made N" when
 * all were created, or "failed after I: ENAME" when creation failed, then
 * waits for them and exits 0 (1 on failure). MARKER is ignored: it only
 * tags the command line so the host can find stray processes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double hold;

static void nap(void)
{
	struct timespec ts = { (time_t)hold, (long)((hold - (time_t)hold) * 1e9) };
	nanosleep(&ts, NULL);
}

static void *thread_fn(void *arg)
{
	(void)arg;
	nap();
	return NULL;
}

int main(int argc, char **argv)
{
	static pthread_t th[4096];
	int n, i, err = 0, thread;
	pthread_attr_t attr;

	if (argc < 4 || (strcmp(argv[1], "fork") && strcmp(argv[1], "thread"))) {
		fprintf(stderr, "usage: bomb fork|thread N HOLD [MARKER]\n");
		return 2;
	}
	thread = strcmp(argv[1], "thread") == 0;
	n = atoi(argv[2]);
	if (n > 4096)
		n = 4096;
	hold = atof(argv[3]);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	fflush(stdout);

	for (i = 0; i < n; i++) {
		if (thread) {
			err = pthread_create(&th[i], &attr, thread_fn, NULL);
			if (err)
				break;
		} else {
			pid_t pid = fork();
			if (pid == 0) {
				nap();
				_exit(0);
			}
			if (pid < 0) {
				err = errno;
				break;
			}
		}
	}
	if (i < n)
		printf("failed after %d: %s\n", i, strerrorname_np(err));
	else
		printf("made %d\n", n);
	fflush(stdout);
	if (thread)
		for (int j = 0; j < i; j++)
			pthread_join(th[j], NULL);
	else
		while (wait(NULL) > 0)
			;
	return i < n;
}
