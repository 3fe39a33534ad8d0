/*
 * diskhog: holds disk or memory in ways no process maps.
 *
 * usage:
 *   diskhog files DIR N KIB       N files of KIB KiB each in DIR ("made I files"
 *                                 after each; "failed at file I: ENAME")
 *   diskhog sparse DIR MIB LINKS  one file with MIB MiB allocated beyond its
 *                                 end (fallocate KEEP_SIZE) and LINKS hard links
 *                                 to it ("allocated N MiB")
 *   diskhog deep DIR N            a chain of N nested directories made by renames
 *                                 (each step is short paths), with a mode-0
 *                                 directory, a 255-byte name and a 1 MiB file
 *                                 at the bottom ("depth N")
 *   diskhog memfd MIB SECS HOW    a memfd with MIB MiB written into it (HOW:
 *                                 write, pwrite, ftruncate-mmap, fallocate),
 *                                 never mapped except by ftruncate-mmap; prints
 *                                 "held N MiB" each MiB, then sleeps SECS
 *   diskhog pipes N SECS          N pipes of 1 MiB (F_SETPIPE_SZ) filled, then
 *                                 sleeps SECS ("piped N KiB")
 *   diskhog mapped N MIB SECS     N memfds of MIB MiB, each written, one page of
 *                                 it mapped and its descriptor closed ("held
 *                                 I MiB" after each), then sleeps SECS
 *   diskhog unlinked DIR N MIB SECS  N files of MIB MiB, each unlinked once
 *                                 opened and kept open ("held I MiB" after
 *                                 each), then sleeps SECS
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define MIB (1024L * 1024)

static char buf[MIB];

static int fail(const char *what, long i)
{
	printf("failed at %s %ld: %s\n", what, i, strerrorname_np(errno));
	fflush(stdout);
	return 1;
}

static int files(const char *dir, long n, long kib)
{
	for (long i = 0; i < n; i++) {
		char path[4096];
		long left = kib * 1024;
		int fd;

		snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return fail("file", i);
		while (left > 0) {
			ssize_t w = write(fd, buf, left > MIB ? MIB : (size_t)left);

			if (w <= 0) {
				close(fd);
				return fail("file", i);
			}
			left -= w;
		}
		close(fd);
		printf("made %ld files\n", i + 1);
		fflush(stdout);
	}
	return 0;
}

static int sparse(const char *dir, long mib, long links)
{
	char path[4096], lpath[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/sparse", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return fail("open", 0);
	if (write(fd, "x", 1) != 1)
		return fail("write", 0);
	/* a hole of 100 MiB, then one byte: the size says 100 MiB, the disk not */
	if (pwrite(fd, "y", 1, 100 * MIB) != 1)
		return fail("pwrite", 0);
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 101 * MIB, mib * MIB) < 0)
		return fail("fallocate", 0);
	close(fd);
	for (long i = 0; i < links; i++) {
		snprintf(lpath, sizeof(lpath), "%s/link%ld", dir, i);
		if (link(path, lpath) < 0)
			return fail("link", i);
	}
	printf("allocated %ld MiB\n", mib);
	return 0;
}

static int deep(const char *dir, long n)
{
	char name[256];
	int fd;

	if (chdir(dir) < 0)
		return fail("chdir", 0);
	if (mkdir("top", 0700) < 0)
		return fail("mkdir", 0);
	/* the bottom: a file of 1 MiB, a directory of mode 0 holding a file, a long name */
	if ((fd = open("top/data", O_WRONLY | O_CREAT, 0600)) < 0 || write(fd, buf, MIB) != MIB)
		return fail("data", 0);
	close(fd);
	memset(name, 'n', 255);
	name[255] = '\0';
	if (mkdir("top/locked", 0700) < 0 || close(open("top/locked/f", O_CREAT | O_WRONLY, 0600)) < 0 ||
	    chmod("top/locked", 0) < 0)
		return fail("locked", 0);
	if (chdir("top") < 0 || mkdir(name, 0700) < 0 || chdir("..") < 0)
		return fail("long name", 0);
	/* each step puts the chain one level down: new/d = top, then top = new */
	for (long i = 1; i < n; i++) {
		if (mkdir("new", 0700) < 0 || rename("top", "new/d") < 0 || rename("new", "top") < 0)
			return fail("depth", i);
		if (i % 1000 == 0)
			chmod("top/d", 0500);	/* some levels not writable */
	}
	printf("depth %ld\n", n);
	return 0;
}

static int memfd(long mib, int secs, const char *how)
{
	int fd = memfd_create("hog", 0);
	char *map = NULL;

	if (fd < 0)
		return fail("memfd_create", 0);
	memset(buf, 'm', sizeof(buf));
	if (!strcmp(how, "ftruncate-mmap")) {
		if (ftruncate(fd, mib * MIB) < 0)
			return fail("ftruncate", 0);
		map = mmap(NULL, (size_t)(mib * MIB), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			return fail("mmap", 0);
	}
	for (long i = 0; i < mib; i++) {
		ssize_t w = MIB;

		if (!strcmp(how, "write"))
			w = write(fd, buf, MIB);
		else if (!strcmp(how, "pwrite"))
			w = pwrite(fd, buf, MIB, i * MIB);
		else if (!strcmp(how, "fallocate"))
			w = fallocate(fd, 0, i * MIB, MIB) < 0 ? -1 : MIB;
		else if (map)
			memset(map + i * MIB, 'm', MIB);
		if (w != MIB)
			return fail("MiB", i);
		/* the program's own pages stay few: the memfd pages are not mapped */
		if (map)
			munmap(map + i * MIB, MIB);
		printf("held %ld MiB\n", i + 1);
		fflush(stdout);
	}
	sleep(secs);
	return 0;
}

static int pipes(long n, int secs)
{
	long total = 0;

	for (long i = 0; i < n; i++) {
		int p[2];
		ssize_t w;

		if (pipe2(p, O_NONBLOCK) < 0)
			return fail("pipe", i);
		fcntl(p[1], F_SETPIPE_SZ, (int)MIB);
		while ((w = write(p[1], buf, 65536)) > 0)
			total += w;
	}
	printf("piped %ld KiB\n", total / 1024);
	fflush(stdout);
	sleep(secs);
	return 0;
}

static int mapped(long n, long mib, int secs)
{
	memset(buf, 'p', sizeof(buf));
	for (long i = 0; i < n; i++) {
		int fd = memfd_create("chunk", 0);

		if (fd < 0)
			return fail("memfd", i);
		for (long j = 0; j < mib; j++)
			if (write(fd, buf, MIB) != MIB)
				return fail("memfd", i);
		if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
			return fail("mmap", i);
		close(fd);
		printf("held %ld MiB\n", (i + 1) * mib);
		fflush(stdout);
	}
	sleep(secs);
	return 0;
}

static int unlinked(const char *dir, long n, long mib, int secs)
{
	memset(buf, 'u', sizeof(buf));
	for (long i = 0; i < n; i++) {
		char path[4096];
		int fd;

		snprintf(path, sizeof(path), "%s/u%ld", dir, i);
		if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0 || unlink(path) < 0)
			return fail("file", i);
		for (long j = 0; j < mib; j++)
			if (write(fd, buf, MIB) != MIB)
				return fail("file", i);
		printf("held %ld MiB\n", (i + 1) * mib);
		fflush(stdout);
	}
	sleep(secs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "files"))
		return files(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc >= 5 && !strcmp(argv[1], "sparse"))
		return sparse(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc >= 4 && !strcmp(argv[1], "deep"))
		return deep(argv[2], atol(argv[3]));
	if (argc >= 5 && !strcmp(argv[1], "memfd"))
		return memfd(atol(argv[2]), atoi(argv[3]), argv[4]);
	if (argc >= 4 && !strcmp(argv[1], "pipes"))
		return pipes(atol(argv[2]), atoi(argv[3]));
	if (argc >= 5 && !strcmp(argv[1], "mapped"))
		return mapped(atol(argv[2]), atol(argv[3]), atoi(argv[4]));
	if (argc >= 6 && !strcmp(argv[1], "unlinked"))
		return unlinked(argv[2], atol(argv[3]), atol(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: see the comment at the top of diskhog.c\n");
	return 2;
}
