/*
 * A fixed sequence of syscalls for comparing --audit full with strace:
 * no threads, no children, nothing that differs between runs but pids and
 * addresses. Prints "done".
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int main(void)
{
	char buf[64];
	struct stat st;
	int fd;

	syscall(SYS_getpid);
	fd = open("/nonexistent/jailtrace-auditee", O_RDONLY);
	fd = open("/etc/debian_version", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			return 1;
		fstat(fd, &st);
		close(fd);
	}
	close(12345);
#ifdef SYS_access
	syscall(SYS_access, "/", R_OK);
#else
	/* aarch64 has no access(2): its libc calls this */
	syscall(SYS_faccessat, AT_FDCWD, "/", R_OK);
#endif
	syscall(SYS_write, 1, "done\n", 5);
	return 0;
}
