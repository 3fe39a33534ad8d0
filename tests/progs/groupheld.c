/*
 * groupheld WHAT MB HOW: a thread holds MB MiB, then 3 s, then the whole
 * process exits 0 (the limits of a run must end it first).
 *   WHAT mem       anonymous memory, touched
 *        memfd     written into a memfd, held by its descriptor only
 *        unlinked  written into /tmp/groupheld.tmp, unlinked first (the jail)
 *   HOW  stay      the thread shares the leader's table; the leader waits
 *        leadexit  the same, and the leader exits at once (SYS_exit): the
 *                  group's memory map and table live on in the thread only
 *        own       a thread with a table of its own (no CLONE_FILES)
 * Prints "held N MiB" and "done". Raw system calls only in the thread.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static char stack[256 * 1024] __attribute__((aligned(16)));
static char buf[1 << 20];
static char **args;

static void say(const char *s)
{
	syscall(SYS_write, 1, s, strlen(s));
}

static int holder(void *unused)
{
	long mb = atol(args[2]), fd = -1, i;
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	char line[64];

	(void)unused;
	syscall(SYS_nanosleep, &ts, NULL);	/* a leader that exits is gone by then */
	if (!strcmp(args[1], "mem")) {
		char *p = (char *)syscall(SYS_mmap, NULL, mb << 20, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			syscall(SYS_exit_group, 3);
		for (i = 0; i < mb; i++)
			memset(p + (i << 20), 1, 1 << 20);
	} else {
		if (!strcmp(args[1], "memfd")) {
			fd = syscall(SYS_memfd_create, "groupheld", 0);
		} else {
			fd = syscall(SYS_openat, AT_FDCWD, "/tmp/groupheld.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
			syscall(SYS_unlinkat, AT_FDCWD, "/tmp/groupheld.tmp", 0);
		}
		for (i = 0; i < mb; i++)
			if (syscall(SYS_write, fd, buf, sizeof(buf)) != (long)sizeof(buf))
				syscall(SYS_exit_group, 4);
	}
	snprintf(line, sizeof(line), "held %ld MiB\n", mb);
	say(line);
	ts.tv_sec = 3;
	ts.tv_nsec = 0;
	syscall(SYS_nanosleep, &ts, NULL);
	say("done\n");
	syscall(SYS_exit_group, 0);
	return 0;
}

int main(int argc, char **argv)
{
	int flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;

	if (argc < 4)
		return 2;
	args = argv;
	memset(buf, 'a', sizeof(buf));
	if (strcmp(argv[3], "own"))
		flags |= CLONE_FILES;
	if (clone(holder, stack + sizeof(stack), flags, NULL) < 0) {
		perror("clone");
		return 1;
	}
	if (!strcmp(argv[3], "leadexit"))
		syscall(SYS_exit, 0);
	for (;;)
		pause();
}
