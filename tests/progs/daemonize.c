/*
 * daemonize: a program that tries to outlive its run.
 *
 * usage: daemonize MODE DIR SECONDS
 *   plain        this process writes its pid to DIR/pid and heartbeats.
 *   daemon       classic double fork: fork, setsid, fork, middle exits; the
 *                grandchild (stdio on /dev/null) writes DIR/pid and heartbeats.
 *                The original waits until DIR/pid exists, prints
 *                "daemon PID" and exits 0.
 *   daemon-stay  as daemon, but the original then sleeps SECONDS and exits 0.
 *   hop          four chains of processes that never stop forking: each
 *                process forks (the child calls setsid) and exits, about
 *                every 10 ms, so the live ones change pid all the time and
 *                are always orphans; every one adds 1 to DIR/heartbeat. The
 *                original writes DIR/pid, starts them and sleeps SECONDS.
 *   stopped      this process forks a child that ignores SIGHUP, writes its
 *                pid to DIR/stopped and stops itself with SIGSTOP (if ever
 *                continued, it makes DIR/continued and sleeps SECONDS); then
 *                it heartbeats itself.
 * Heartbeat: the process rewrites DIR/heartbeat every 10 ms with an
 * increasing counter ("%020lu\n"), for at most SECONDS, then exits 0; so a
 * leaked process cleans itself up eventually. DIR/pid holds "PID\n", written
 * with one write.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[4096];
static double seconds;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static int heartbeat(void)
{
	char p[4200], line[64];
	double end = now() + seconds;
	unsigned long count = 0;
	int fd, n;

	path(p, sizeof p, "heartbeat");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 1;
	path(p, sizeof p, "pid");
	{
		int pf = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (pf < 0)
			return 1;
		n = snprintf(line, sizeof line, "%d\n", (int)getpid());
		if (write(pf, line, n) != n)
			return 1;
		close(pf);
	}
	while (now() < end) {
		n = snprintf(line, sizeof line, "%020lu\n", ++count);
		if (pwrite(fd, line, n, 0) != n)
			return 1;
		nap_ms(10);
	}
	return 0;
}

static int write_pid(const char *name)
{
	char p[4200], line[64];
	int fd, n;

	path(p, sizeof p, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	n = snprintf(line, sizeof line, "%d\n", (int)getpid());
	if (write(fd, line, n) != n)
		return -1;
	close(fd);
	return 0;
}

static int hop(void)
{
	char p[4200], line[64];
	double end = now() + seconds;
	int fd, n;

	path(p, sizeof p, "heartbeat");
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write_pid("pid") < 0)
		return 1;
	for (int i = 0; i < 4; i++) {
		pid_t c = fork();

		if (c == 0)
			break;
		if (i == 3) {
			/* the original stays: a run ends when its first process does */
			nap_ms((long)(seconds * 1000));
			return 0;
		}
	}
	while (now() < end) {
		pid_t c = fork();
		unsigned long count = 0;

		if (c > 0)
			_exit(0);
		if (c < 0) {
			nap_ms(10);
			continue;
		}
		setsid();
		/* a counter shared by the chains: only that it changes matters */
		if (pread(fd, line, 20, 0) == 20) {
			line[20] = 0;
			count = strtoul(line, NULL, 10);
		}
		n = snprintf(line, sizeof line, "%020lu\n", count + 1);
		if (pwrite(fd, line, n, 0) != n)
			_exit(1);
		nap_ms(10);
	}
	return 0;
}

static int stopped(void)
{
	pid_t c = fork();

	if (c < 0)
		return 1;
	if (c == 0) {
		signal(SIGHUP, SIG_IGN);
		if (write_pid("stopped") < 0)
			_exit(1);
		raise(SIGSTOP);
		/* continued: say so if it still can, and live on without files */
		snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/continued");
		mkdir(dir, 0755);
		nap_ms((long)(seconds * 1000));
		_exit(0);
	}
	return heartbeat();
}

int main(int argc, char **argv)
{
	char p[4200], line[64];
	pid_t mid;
	int st, fd;

	if (argc != 4) {
		fprintf(stderr, "usage: daemonize plain|daemon|daemon-stay|hop|stopped DIR SECONDS\n");
		return 2;
	}
	snprintf(dir, sizeof dir, "%s", argv[2]);
	seconds = atof(argv[3]);

	if (strcmp(argv[1], "plain") == 0)
		return heartbeat();
	if (strcmp(argv[1], "hop") == 0)
		return hop();
	if (strcmp(argv[1], "stopped") == 0)
		return stopped();

	fflush(stdout);
	mid = fork();
	if (mid < 0) {
		perror("fork");
		return 1;
	}
	if (mid == 0) {
		if (setsid() < 0)
			_exit(1);
		if (fork() != 0)
			_exit(0);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		_exit(heartbeat());
	}
	waitpid(mid, &st, 0);

	path(p, sizeof p, "pid");
	for (int i = 0; i < 400; i++) {
		fd = open(p, O_RDONLY);
		if (fd >= 0) {
			ssize_t n = read(fd, line, sizeof line - 1);
			close(fd);
			if (n > 0 && line[n - 1] == '\n') {
				line[n] = 0;
				printf("daemon %s", line);
				break;
			}
		}
		nap_ms(5);
	}
	fflush(stdout);
	if (strcmp(argv[1], "daemon-stay") == 0)
		nap_ms((long)(seconds * 1000));
	return 0;
}
