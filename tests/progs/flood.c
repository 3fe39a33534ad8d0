/*
 * flood: writes a lot of output.
 *
 * usage: flood OUTBYTES [ERRBYTES]
 * Writes OUTBYTES 'x' bytes to stdout and ERRBYTES (default 0) 'x' bytes to
 * stderr, alternating in 4096-byte chunks, then exits 0. Prints nothing else.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int put(int fd, long *left, const char *buf)
{
	long n = *left < 4096 ? *left : 4096;
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0)
			return -1;
		n -= w;
		*left -= w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[4096];
	long out = argc > 1 ? atol(argv[1]) : 0;
	long err = argc > 2 ? atol(argv[2]) : 0;

	memset(buf, 'x', sizeof buf);
	while (out > 0 || err > 0) {
		if (out > 0 && put(1, &out, buf) < 0)
			return 1;
		if (err > 0 && put(2, &err, buf) < 0)
			return 1;
	}
	return 0;
}
