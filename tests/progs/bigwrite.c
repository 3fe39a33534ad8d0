/*
 * bigwrite: writes a big file.
 *
 * usage: bigwrite FILE BYTES [ignore-xfsz]
 * Creates FILE and writes BYTES bytes in 4096-byte chunks. Prints
 * "wrote N bytes" and exits 0, or "write failed after N bytes: ENAME" and
 * exits 1. With ignore-xfsz, SIGXFSZ is ignored first, so going past
 * RLIMIT_FSIZE gives EFBIG instead of death by SIGXFSZ.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4096];
	long total, done = 0;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: bigwrite FILE BYTES [ignore-xfsz]\n");
		return 2;
	}
	if (argc > 3 && strcmp(argv[3], "ignore-xfsz") == 0)
		signal(SIGXFSZ, SIG_IGN);
	total = atol(argv[2]);
	memset(buf, 'y', sizeof buf);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("open failed: %s\n", strerrorname_np(errno));
		return 1;
	}
	while (done < total) {
		ssize_t w = write(fd, buf, total - done < 4096 ? total - done : 4096);
		if (w < 0) {
			printf("write failed after %ld bytes: %s\n", done, strerrorname_np(errno));
			return 1;
		}
		done += w;
	}
	printf("wrote %ld bytes\n", done);
	return 0;
}
