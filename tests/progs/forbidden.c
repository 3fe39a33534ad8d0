/*
 * forbidden: makes one system call that a sandbox should refuse.
 *
 * usage: forbidden CALL
 *   syslog          syslog(SYSLOG_ACTION_SIZE_BUFFER)
 *   acct            acct(NULL)
 *   unshare-user    unshare(CLONE_NEWUSER)
 *   clone3          clone3({.exit_signal = SIGCHLD}); the child exits at once
 *   clone-newuser   clone(CLONE_NEWUSER|SIGCHLD); the child exits at once
 *   clone-untraced  clone(CLONE_UNTRACED|SIGCHLD); the child exits at once
 *   tiocsti         ioctl(pty, TIOCSTI, "x") on a fresh pseudo-terminal
 *                   (fd 0 if no pty could be opened)
 *   socket-inet     socket(AF_INET, SOCK_STREAM)
 *   socket-inet6    socket(AF_INET6, SOCK_STREAM)
 *   socket-netlink  socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)
 *   socketpair-unix socketpair(AF_UNIX, SOCK_STREAM)
 * Prints "CALL: ok" or "CALL: ENAME" (errno name) and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <termios.h>
#include <unistd.h>

static long raw_clone(unsigned long flags)
{
	long rc = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (rc == 0)
		syscall(SYS_exit_group, 0);
	if (rc > 0)
		waitpid(rc, NULL, 0);
	return rc;
}

static long do_clone3(void)
{
	struct clone_args args;
	long rc;

	memset(&args, 0, sizeof args);
	args.exit_signal = SIGCHLD;
	rc = syscall(SYS_clone3, &args, sizeof args);
	if (rc == 0)
		syscall(SYS_exit_group, 0);
	if (rc > 0)
		waitpid(rc, NULL, 0);
	return rc;
}

static long tiocsti(void)
{
	char c = 'x';
	int fd = 0, m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0) {
		int s = open(ptsname(m), O_RDWR | O_NOCTTY);
		if (s >= 0)
			fd = s;
	}
	return ioctl(fd, TIOCSTI, &c);
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	int sv[2];
	long rc;

	if (!strcmp(c, "syslog"))
		rc = syscall(SYS_syslog, 10, NULL, 0);
	else if (!strcmp(c, "acct"))
		rc = syscall(SYS_acct, NULL);
	else if (!strcmp(c, "unshare-user"))
		rc = unshare(CLONE_NEWUSER);
	else if (!strcmp(c, "clone3"))
		rc = do_clone3();
	else if (!strcmp(c, "clone-newuser"))
		rc = raw_clone(CLONE_NEWUSER);
	else if (!strcmp(c, "clone-untraced"))
		rc = raw_clone(CLONE_UNTRACED);
	else if (!strcmp(c, "tiocsti"))
		rc = tiocsti();
	else if (!strcmp(c, "socket-inet"))
		rc = socket(AF_INET, SOCK_STREAM, 0);
	else if (!strcmp(c, "socket-inet6"))
		rc = socket(AF_INET6, SOCK_STREAM, 0);
	else if (!strcmp(c, "socket-netlink"))
		rc = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	else if (!strcmp(c, "socketpair-unix"))
		rc = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	else {
		fprintf(stderr, "forbidden: unknown call %s\n", c);
		return 2;
	}
	if (rc < 0)
		printf("%s: %s\n", c, strerrorname_np(errno));
	else
		printf("%s: ok\n", c);
	return 0;
}
