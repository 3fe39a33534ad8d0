/*
 * escape32 WHAT PATH: one file-system attempt by a 32-bit program (libc's
 * i386 calls), reported as "WHAT: ok ..." or "WHAT: ERRNO-NAME", for the
 * i386 ABI tests (the network ones use netprobe32).
 *   read PATH     open and read it: "read: ok FIRST-LINE"
 *   create PATH   create it and write "escape32\n": "create: ok"
 *   stat PATH     stat it: "stat: ok SIZE"
 *   oldstat PATH  the i386 stat call with the old 32-bit struct stat (nr 106),
 *                 which no libc uses any more: "oldstat: ok SIZE"
 * Exits 0, or 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report(const char *what, int e)
{
	printf("%s: %s\n", what, e == ENOENT ? "ENOENT" : e == EACCES ? "EACCES" : e == EROFS ? "EROFS"
			   : e == ENOSYS ? "ENOSYS" : e == EPERM ? "EPERM" : strerror(e));
	return 0;
}

int main(int argc, char **argv)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int fd;

	_Static_assert(sizeof(void *) == 4, "escape32 is a 32-bit program");
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 3)
		return 2;
	if (!strcmp(argv[1], "read")) {
		if ((fd = open(argv[2], O_RDONLY)) < 0)
			return report("read", errno);
		n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0)
			return report("read", errno);
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		printf("read: ok %s\n", buf);
	} else if (!strcmp(argv[1], "create")) {
		if ((fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
			return report("create", errno);
		if (write(fd, "escape32\n", 9) != 9)
			return report("create", errno);
		close(fd);
		printf("create: ok\n");
	} else if (!strcmp(argv[1], "stat")) {
		if (stat(argv[2], &st) < 0)
			return report("stat", errno);
		printf("stat: ok %lld\n", (long long)st.st_size);
	} else if (!strcmp(argv[1], "oldstat")) {
		/* struct stat of the i386 kernel (compat_stat): st_size at offset 20 */
		unsigned char k[64];
		unsigned int size;

		if (syscall(SYS_stat, argv[2], k) < 0)
			return report("oldstat", errno);
		memcpy(&size, k + 20, sizeof(size));
		printf("oldstat: ok %u\n", size);
	} else {
		return 2;
	}
	return 0;
}
