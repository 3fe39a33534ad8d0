/*
 * The sandbox's own pseudo-terminals. /dev/ptmx inside is the host's (a
 * grant): opening it makes a new pty on the host's devpts, whose slave is
 * /dev/pts/N there, next to the host's own terminals. Which of those the
 * program may open is decided here, never by the number alone: when the
 * tracer opens a master for the program it keeps, before the program has
 * it, an O_PATH descriptor of that master's slave (TIOCGPTPEER, 4.13+),
 * which pins the slave's devpts entry. /dev/pts/N inside is a reopening of
 * that entry, never a lookup of N on the host: once the pty is freed the
 * entry is dead (no link, reopening it fails EIO) even when the host gives
 * N to a terminal of its own. The pty jailtrace makes for the program
 * (tty.c) is in the table too. The tracer holds no tty open: the program's
 * close of its last master or slave hangs up as natively.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "tracer/internal.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

#define PTS_MAJOR 136	/* UNIX98_PTY_SLAVE_MAJOR: pty N is 136:N (minors are 20 bits) */

struct jt_pty {
	unsigned index;
	int path_fd;		/* O_PATH of the slave's devpts entry */
};

/* Is the entry's pty still there (its devpts entry linked)? */
static int alive(int path_fd)
{
	struct stat st;

	return fstat(path_fd, &st) == 0 && st.st_nlink > 0;
}

/* Forget the ptys that were freed: their entries cannot name them again. */
static void prune(struct jt_run *run)
{
	size_t k = 0;

	for (size_t i = 0; i < run->n_ptys; i++) {
		if (alive(run->ptys[i].path_fd))
			run->ptys[k++] = run->ptys[i];
		else
			close(run->ptys[i].path_fd);
	}
	run->n_ptys = k;
}

int jt_pty_is_master(int fd)
{
	struct stat st;

	/* /dev/ptmx and devpts' own ptmx are both 5:2 */
	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 2);
}

/*
 * @master is a master the tracer holds and the program does not yet: its
 * slave becomes one the program may open. @return 0 or -errno (the caller
 * then does not hand the master over).
 */
int jt_pty_track(struct jt_run *run, int master)
{
	unsigned n;
	int pfd;

	if (ioctl(master, TIOCGPTN, &n) < 0)
		return -errno;
	pfd = ioctl(master, TIOCGPTPEER, O_PATH | O_CLOEXEC);
	if (pfd < 0) {
		/* before 4.13: the entry by name, while the index is held by
		 * @master, which no one but the tracer has yet */
		char p[64];

		snprintf(p, sizeof(p), "/dev/pts/%u", n);
		pfd = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (pfd < 0)
			return -errno;
	}
	prune(run);	/* an entry of the same index is a freed pty's */
	if (run->n_ptys == run->cap_ptys) {
		size_t cap = run->cap_ptys ? 2 * run->cap_ptys : 8;
		struct jt_pty *p = realloc(run->ptys, cap * sizeof(*p));

		if (!p) {
			close(pfd);
			return -ENOMEM;
		}
		run->ptys = p;
		run->cap_ptys = cap;
	}
	run->ptys[run->n_ptys++] = (struct jt_pty){ n, pfd };
	return 0;
}

size_t jt_pty_count(struct jt_run *run)
{
	prune(run);
	return run->n_ptys;
}

int jt_pty_slave(struct jt_run *run, unsigned index)
{
	for (size_t i = 0; i < run->n_ptys; i++)
		if (run->ptys[i].index == index && alive(run->ptys[i].path_fd))
			return fcntl(run->ptys[i].path_fd, F_DUPFD_CLOEXEC, 3);
	return -1;
}

/*
 * The controlling terminal of @tid when it is a pty of the sandbox's (for
 * /dev/tty): an O_PATH descriptor of its slave, or -1.
 */
int jt_pty_ctty(struct jt_run *run, pid_t tid)
{
	char buf[1024], *s = jt_proc_stat(tid, buf, sizeof(buf));
	unsigned long long tty_nr;
	unsigned maj, min;

	/* state ppid pgrp session tty_nr */
	if (!s || sscanf(s, " %*c %*d %*d %*d %llu", &tty_nr) != 1)
		return -1;
	maj = (unsigned)((tty_nr >> 8) & 0xfff);
	min = (unsigned)((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
	if (maj != PTS_MAJOR)
		return -1;
	return jt_pty_slave(run, min);
}

void jt_ptys_free(struct jt_run *run)
{
	for (size_t i = 0; i < run->n_ptys; i++)
		close(run->ptys[i].path_fd);
	free(run->ptys);
	run->ptys = NULL;
	run->n_ptys = run->cap_ptys = 0;
}
