/*
 * denyflood: makes calls the sandbox denies, fast, to flood the audit log.
 *
 * usage: denyflood MODE COUNT
 *   open-vary  open a missing 4000-byte path, a different one each time
 *   open-same  open the same missing 4000-byte path
 *   exec-argv  execve a missing path (a different one each time) with 100
 *              arguments of 4000 bytes
 * COUNT 0: forever. Prints "done N ENOENT" (N calls, all failing with
 * ENOENT) at the end, or "unexpected errno E" and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4200], arg[4001];
static char *argv_big[102];

int main(int argc, char **argv)
{
	long count = argc > 2 ? atol(argv[2]) : 0, i;
	const char *mode = argc > 1 ? argv[1] : "open-same";
	int n = snprintf(path, sizeof(path), "/nonexistent-denyflood/");

	memset(path + n, 'x', 4000 - (size_t)n);
	memset(arg, 'a', 4000);
	for (int k = 0; k < 101; k++)
		argv_big[k] = arg;
	for (i = 0; count == 0 || i < count; i++) {
		int r, e;

		if (strcmp(mode, "open-same"))
			snprintf(path + 3980, 20, "%019ld", i);
		if (!strcmp(mode, "exec-argv")) {
			r = execv(path, argv_big);
		} else {
			r = open(path, O_RDONLY);
		}
		e = errno;
		if (r >= 0 || e != ENOENT) {
			printf("unexpected errno %d\n", r >= 0 ? 0 : e);
			return 1;
		}
	}
	printf("done %ld ENOENT\n", i);
	return 0;
}
