/*
 * hostlock HOW PATH DONE: takes a lock, lease or dnotify watch of one kind
 * on PATH (opened read-only), prints "HOW ok" or "HOW errno NAME", then
 * "ready", and holds it until the file DONE exists (30 s at most). For
 * dnotify it then prints how many notices came. Built 64- and 32-bit
 * (hostlock32: fcntl64 and the i386 F_SETLK64), to show from the host side
 * what a held lock does to the host's own processes.
 *   HOW: flock-sh flock-ex posix-rd posix-wr ofd-rd lease-rd lease-wr dnotify
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>

static volatile sig_atomic_t notices;

static void on_notice(int sig)
{
	(void)sig;
	notices++;
}

static int record_lock(int fd, int cmd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	return fcntl(fd, cmd, &fl);
}

static int take(const char *how, int fd)
{
	if (!strcmp(how, "flock-sh"))
		return flock(fd, LOCK_SH | LOCK_NB);
	if (!strcmp(how, "flock-ex"))
		return flock(fd, LOCK_EX | LOCK_NB);
	if (!strcmp(how, "posix-rd"))
		return record_lock(fd, F_SETLK, F_RDLCK);
	if (!strcmp(how, "posix-wr"))
		return record_lock(fd, F_SETLK, F_WRLCK);
	if (!strcmp(how, "ofd-rd"))
		return record_lock(fd, F_OFD_SETLK, F_RDLCK);
	if (!strcmp(how, "lease-rd"))
		return fcntl(fd, F_SETLEASE, F_RDLCK);
	if (!strcmp(how, "lease-wr"))
		return fcntl(fd, F_SETLEASE, F_WRLCK);
	if (!strcmp(how, "dnotify"))
		return fcntl(fd, F_NOTIFY, DN_CREATE | DN_MODIFY | DN_MULTISHOT);
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_notice };
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: hostlock HOW PATH DONE\n");
		return 2;
	}
	/* a lease holder is told of a host open by SIGIO, which would end it:
	 * one that holds on is what keeps the host waiting */
	sigaction(SIGIO, &sa, NULL);
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("open errno %s\n", strerrorname_np(errno));
		return 1;
	}
	if (take(argv[1], fd) == 0)
		printf("%s ok\n", argv[1]);
	else
		printf("%s errno %s\n", argv[1], strerrorname_np(errno));
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < 1500 && access(argv[3], F_OK) != 0; i++)
		usleep(20000);
	if (!strcmp(argv[1], "dnotify"))
		printf("notices %d\n", (int)notices);
	return 0;
}
