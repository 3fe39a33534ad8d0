/*
 * grabber: eight threads open a file again and again; whenever an open
 * succeeds, its first bytes are appended to OUT (opened at start). Under the
 * view the file is outside it, so every open waits at its seccomp stop for
 * the tracer, which refuses it: this is what a call that is waiting when
 * jailtrace is killed would do if it ran undecided.
 *
 * usage: grabber FILE OUT
 * Runs until killed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static const char *file;
static int out;

static void *grab(void *arg)
{
	char buf[64];

	(void)arg;
	for (;;) {
		int fd = open(file, O_RDONLY);
		ssize_t n;

		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (write(out, "GOT ", 4) < 0 || (n > 0 && write(out, buf, (size_t)n) < 0))
			return NULL;
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 3)
		return 2;
	file = argv[1];
	out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (out < 0)
		return 1;
	for (int i = 0; i < 7; i++)
		pthread_create(&t, NULL, grab, NULL);
	grab(NULL);
	return 0;
}
