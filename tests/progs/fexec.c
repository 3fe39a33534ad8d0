/*
 * fexecve of a descriptor, for the exec tests.
 *
 *   fexec memfd SRC [ARGS...]    copies SRC into a memfd (close-on-exec)
 *                                and runs it with fexecve, argv[0] "memfd"
 *   fexec memfd-open SRC [ARGS...]  the same, the memfd not close-on-exec
 *   fexec fd PATH [ARGS...]      opens PATH read-only and runs it with fexecve
 *
 * Prints "fexecve: ERRNO-NAME" and exits 1 when fexecve fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

extern char **environ;

int main(int argc, char **argv)
{
	char buf[65536];
	int fd, src;
	ssize_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: fexec memfd|memfd-open|fd FILE [ARGS...]\n");
		return 2;
	}
	if (!strncmp(argv[1], "memfd", 5)) {
		fd = memfd_create("prog", strcmp(argv[1], "memfd-open") ? MFD_CLOEXEC : 0);
		src = open(argv[2], O_RDONLY);
		if (fd < 0 || src < 0) {
			perror("memfd/open");
			return 1;
		}
		while ((n = read(src, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)n) != n) {
				perror("write");
				return 1;
			}
		close(src);
	} else {
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror("open");
			return 1;
		}
	}
	argv[2] = argv[1];	/* argv[0] of the new program: the mode */
	fexecve(fd, argv + 2, environ);
	printf("fexecve: %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	return 1;
}
