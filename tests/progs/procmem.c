/*
 * Reaching another process through /proc, as a program of the same user can
 * on a host without Yama restrictions.
 *   procmem victim SECS   prints the address of a buffer holding
 *                         "host data, untouched", sleeps SECS (or until a
 *                         SIGUSR1), prints the buffer
 *   procmem write PID ADDR  writes "WRITTEN FROM SANDBOX" at ADDR through
 *                         /proc/PID/mem; prints "write: ok" or "write: ERRNO"
 *   procmem environ PID   reads /proc/PID/environ; prints "environ: ok" or
 *                         "environ: ERRNO"
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buffer[64] = "host data, untouched";

static void wake(int sig)
{
	(void)sig;
}

static const char *ename(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	default: return strerror(e);
	}
}

int main(int argc, char **argv)
{
	char path[64], buf[4096];
	int fd;

	if (argc == 3 && !strcmp(argv[1], "victim")) {
		signal(SIGUSR1, wake);	/* ends the sleep early */
		printf("%lu\n", (unsigned long)buffer);
		fflush(stdout);
		sleep((unsigned)atoi(argv[2]));
		printf("%s\n", buffer);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "write")) {
		snprintf(path, sizeof(path), "/proc/%s/mem", argv[2]);
		fd = open(path, O_RDWR);
		if (fd < 0 || pwrite(fd, "WRITTEN FROM SANDBOX", 21, (off_t)strtoul(argv[3], NULL, 10)) != 21)
			printf("write: %s\n", ename(errno));
		else
			printf("write: ok\n");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "environ")) {
		snprintf(path, sizeof(path), "/proc/%s/environ", argv[2]);
		fd = open(path, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
			printf("environ: %s\n", ename(errno));
		else
			printf("environ: ok\n");
		return 0;
	}
	fprintf(stderr, "usage: procmem victim SECS | write PID ADDR | environ PID\n");
	return 2;
}
