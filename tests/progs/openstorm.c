/*
 * openstorm [FILE]: 16 threads open and close FILE (default: libc, found
 * through the loader) 300 times each, fork
 * now and then (the child opens another file), and pass a bad pointer as a
 * path every time. Under the view every open is a handover from the tracer;
 * this checks they all arrive, in order, under contention. Prints
 * "fails=N" (0 when every open and every child succeeded).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

static int fails;
static const char *file;

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 300; i++) {
		int fd = open(file, O_RDONLY);

		if (fd < 0)
			__sync_fetch_and_add(&fails, 1);
		else
			close(fd);
		if (i % 50 == 0) {
			pid_t p = fork();
			int st;

			if (p == 0)
				_exit(open("/etc/passwd", O_RDONLY) < 0);
			waitpid(p, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				__sync_fetch_and_add(&fails, 1);
		}
		if (open((const char *)8, O_RDONLY) >= 0)	/* a bad pointer: EFAULT */
			__sync_fetch_and_add(&fails, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[16];
	Dl_info info;

	/* (libc's own path, whatever the machine's multiarch directory) */
	file = argc > 1 ? argv[1] : dladdr(dlsym(RTLD_DEFAULT, "printf"), &info) && info.dli_fname ? info.dli_fname : "/etc/passwd";
	printf("file=%s\n", file);
	for (int i = 0; i < 16; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	printf("fails=%d\n", fails);
	return 0;
}
