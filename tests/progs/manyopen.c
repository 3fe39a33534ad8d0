/*
 * manyopen: opens /dev/null until it cannot.
 *
 * usage: manyopen MAX
 * Opens /dev/null up to MAX times, keeping every descriptor. Prints
 * "opened N: ENAME" when an open failed after N successes, or
 * "opened MAX: ok"; exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int max = argc > 1 ? atoi(argv[1]) : 0, n;

	for (n = 0; n < max; n++)
		if (open("/dev/null", O_RDONLY) < 0) {
			printf("opened %d: %s\n", n, strerrorname_np(errno));
			return 0;
		}
	printf("opened %d: ok\n", n);
	return 0;
}
