/*
 * Races against exec checks, for the `exec jail` tests.
 *
 *   execrace swap TARGET GOOD EVIL SECS
 *       Keeps replacing TARGET (rename of a fresh hard link) with GOOD and
 *       with EVIL, in turn, for SECS seconds.
 *   execrace patch TARGET OFFSET GOOD EVIL SECS
 *       Keeps rewriting, in place (same inode), the bytes at OFFSET of
 *       TARGET with the string GOOD and with the string EVIL (same length).
 *   execrace exec TARGET SECS [ARGS...]
 *       Runs TARGET ARGS... again and again for SECS seconds (fork, execv,
 *       wait); prints "runs: N" (how many ended with status 0), then "done".
 *   execrace scratch GOOD EVIL SECS [ARGS...]
 *       Again and again for SECS seconds, a child execs the path in a buffer
 *       (once its second thread runs) while that thread flips the buffer
 *       between GOOD and EVIL (same length) and rewrites every copy of
 *       GOOD it finds on the main stack (where a tracer might have put the
 *       path it hands the kernel) with EVIL. Prints "runs: N" and "done" like exec.
 *   execrace interp SRC DST NEW
 *       Copies ELF SRC to DST (mode 0755) with its PT_INTERP replaced by
 *       NEW, which must have the same length; prints the string's offset
 *       and the old string. NEW "-" copies it unchanged.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int put(const char *target, const char *from)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s.tmp", target);
	unlink(tmp);
	if (link(from, tmp) < 0)
		return -1;
	return rename(tmp, target);
}

static int interp(const char *src, const char *dst, const char *new)
{
	static char buf[1 << 24];
	Elf64_Ehdr *e = (Elf64_Ehdr *)buf;
	int fd = open(src, O_RDONLY), out;
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));

	if (n < (ssize_t)sizeof(*e) || memcmp(buf, ELFMAG, SELFMAG)) {
		fprintf(stderr, "%s: not an ELF file\n", src);
		return 1;
	}
	for (int i = 0; i < e->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(buf + e->e_phoff + (size_t)i * e->e_phentsize);

		if (ph->p_type != PT_INTERP)
			continue;
		printf("%lu %s\n", (unsigned long)ph->p_offset, buf + ph->p_offset);
		if (!strcmp(new, "-"))
			new = buf + ph->p_offset;
		if (strlen(new) + 1 != ph->p_filesz) {
			fprintf(stderr, "the new loader must have %lu characters\n",
				(unsigned long)ph->p_filesz - 1);
			return 1;
		}
		memmove(buf + ph->p_offset, new, ph->p_filesz);
		out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
		if (out < 0 || write(out, buf, (size_t)n) != n) {
			perror(dst);
			return 1;
		}
		close(out);
		return 0;
	}
	fprintf(stderr, "%s: no PT_INTERP\n", src);
	return 1;
}

static char buf[4096], good_s[4096], evil_s[4096];	/* not on the stack it scans */
static char *stack_lo, *stack_hi;
static volatile int flipping;	/* the flipper has been round its loop once */

static void *flipper(void *arg)
{
	size_t len = strlen(good_s);

	(void)arg;
	for (unsigned long i = 0;; i++) {
		memcpy(buf, i & 1 ? evil_s : good_s, len + 1);
		for (char *p = stack_lo; p && p + len <= stack_hi; p++) {
			p = memmem(p, (size_t)(stack_hi - p), good_s, len);
			if (!p)
				break;
			memcpy(p, evil_s, len);
		}
		if (i == 1)
			flipping = 1;
	}
	return NULL;
}

static void find_stack(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			stack_lo = (char *)lo;
			stack_hi = (char *)hi;
		}
	}
	if (f)
		fclose(f);
}

static int scratch(char **argv, double secs)
{
	unsigned long runs = 0, tries = 0;
	double end = now() + secs;

	if (strlen(argv[2]) != strlen(argv[3]) || strlen(argv[2]) >= sizeof(buf))
		return 2;
	memcpy(good_s, argv[2], strlen(argv[2]) + 1);
	memcpy(evil_s, argv[3], strlen(argv[3]) + 1);
	argv[4] = buf;	/* argv[0] of the new program */
	while (now() < end) {
		int st;
		pid_t pid = fork();

		if (pid == 0) {
			pthread_t th;

			memcpy(buf, good_s, strlen(good_s) + 1);
			find_stack();
			if (pthread_create(&th, NULL, flipper, NULL) != 0)
				_exit(126);
			/* exec before the new thread has a CPU and it never
			 * races: a busy or single CPU would make every try lose */
			while (!flipping)
				sched_yield();
			for (;;) {
				execv(buf, argv + 4);
				if (errno != ENOENT)
					_exit(127);
			}
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0)
			break;
		tries++;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			runs++;
	}
	printf("tries: %lu\nruns: %lu\ndone\n", tries, runs);
	return 0;
}

int main(int argc, char **argv)
{
	double end;

	if (argc >= 6 && !strcmp(argv[1], "swap")) {
		end = now() + atof(argv[5]);
		while (now() < end)
			if (put(argv[2], argv[3]) < 0 || put(argv[2], argv[4]) < 0) {
				perror("swap");
				return 1;
			}
		put(argv[2], argv[3]);
		return 0;
	}
	if (argc >= 7 && !strcmp(argv[1], "patch")) {
		off_t off = atol(argv[3]);
		size_t len = strlen(argv[4]);

		if (strlen(argv[5]) != len)
			return 2;
		end = now() + atof(argv[6]);
		while (now() < end) {
			for (int k = 4; k <= 5; k++) {
				int fd = open(argv[2], O_WRONLY);

				/* ETXTBSY while it runs, on kernels that refuse that: try again */
				if (fd < 0 && errno != ETXTBSY) {
					perror("patch");
					return 1;
				}
				if (fd >= 0) {
					if (pwrite(fd, argv[k], len, off) != (ssize_t)len)
						perror("pwrite");
					close(fd);
				}
			}
		}
		int fd = open(argv[2], O_WRONLY);

		if (fd >= 0) {
			if (pwrite(fd, argv[4], len, off) != (ssize_t)len)
				perror("pwrite");
			close(fd);
		}
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "exec")) {
		unsigned long runs = 0, tries = 0;

		end = now() + atof(argv[3]);
		argv[3] = argv[2];
		while (now() < end) {
			int st;
			pid_t pid = fork();

			if (pid == 0) {
				execv(argv[2], argv + 3);
				_exit(127);
			}
			if (pid < 0 || waitpid(pid, &st, 0) < 0)
				break;
			tries++;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				runs++;
		}
		printf("tries: %lu\nruns: %lu\ndone\n", tries, runs);
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "scratch"))
		return scratch(argv, atof(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "interp"))
		return interp(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: execrace swap|patch|exec|interp ...\n");
	return 2;
}
