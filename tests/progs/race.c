/*
 * Races against path checks, for the file-system view's tests.
 *
 *   race flip GOOD BAD SECS
 *       One thread flips a path buffer between GOOD and BAD while another
 *       opens whatever it holds and reads it. Prints "read: CONTENT" once
 *       for each distinct content it got, then "done".
 *   race swap DIR TARGET SECS
 *       A child process keeps swapping directory DIR with a symbolic link
 *       to TARGET; the parent opens DIR/x and reads it. Prints each distinct
 *       content, then "done".
 *   race conn GOOD BAD SECS
 *       Listens on unix socket path GOOD (answering "JAIL"); one thread flips
 *       an address between GOOD and BAD while another connects to it and
 *       prints each distinct greeting it gets ("read: ..."), then "done".
 *   race empty - BAD SECS
 *       One thread flips a path buffer between "" and BAD while another
 *       stats its standard output through it with AT_EMPTY_PATH (fstatat
 *       and statx in turn: glibc's fstat is such a call). Prints "ino: N"
 *       once for each distinct inode it got, then "done".
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char path[4096];
static const char *good, *bad;
static volatile int stop;
static char seen[8][64];
static int n_seen;
static const char *kind = "read";

static void note(const char *content)
{
	for (int i = 0; i < n_seen; i++)
		if (!strcmp(seen[i], content))
			return;
	if (n_seen < 8) {
		snprintf(seen[n_seen++], sizeof(seen[0]), "%s", content);
		printf("%s: %s\n", kind, content);
		fflush(stdout);
	}
}

static void read_once(const char *p)
{
	char buf[64];
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	note(buf);
}

static void *flipper(void *arg)
{
	(void)arg;
	while (!stop) {
		snprintf(path, sizeof(path), "%s", good);
		snprintf(path, sizeof(path), "%s", bad);
	}
	return NULL;
}

static void *empty_flipper(void *arg)
{
	volatile char *p = path;

	(void)arg;
	while (!stop) {
		p[0] = bad[0];
		for (volatile int k = 0; k < 500; k++)
			;
		p[0] = '\0';
		for (volatile int k = 0; k < 500; k++)
			;
	}
	return NULL;
}

static struct sockaddr_un addr = { .sun_family = AF_UNIX };

static void *addr_flipper(void *arg)
{
	(void)arg;
	while (!stop) {
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", good);
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", bad);
	}
	return NULL;
}

static void *jail_server(void *arg)
{
	int l = *(int *)arg;

	for (;;) {
		int c = accept(l, NULL, NULL);

		if (c < 0)
			return NULL;
		if (write(c, "JAIL", 4) != 4) {
			/* the client went away */
		}
		close(c);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double end;

	if (argc != 5)
		return 2;
	end = now() + atof(argv[4]);
	if (!strcmp(argv[1], "flip")) {
		pthread_t t;

		good = argv[2], bad = argv[3];
		snprintf(path, sizeof(path), "%s", good);
		pthread_create(&t, NULL, flipper, NULL);
		while (now() < end)
			read_once(path);
		stop = 1;
		pthread_join(t, NULL);
	} else if (!strcmp(argv[1], "empty")) {
		pthread_t t;
		char ino[32];

		bad = argv[3];
		kind = "ino";
		snprintf(path, sizeof(path), "%s", bad);
		path[0] = '\0';
		pthread_create(&t, NULL, empty_flipper, NULL);
		for (unsigned i = 0; now() < end; i++) {
			struct stat st;
			struct statx stx;

			if (i & 1) {
				if (statx(1, path, AT_EMPTY_PATH, STATX_INO, &stx) == 0) {
					snprintf(ino, sizeof(ino), "%llu", (unsigned long long)stx.stx_ino);
					note(ino);
				}
			} else if (fstatat(1, path, &st, AT_EMPTY_PATH) == 0) {
				snprintf(ino, sizeof(ino), "%llu", (unsigned long long)st.st_ino);
				note(ino);
			}
		}
		stop = 1;
		pthread_join(t, NULL);
	} else if (!strcmp(argv[1], "conn")) {
		struct sockaddr_un me = { .sun_family = AF_UNIX };
		pthread_t t, srv;
		int l = socket(AF_UNIX, SOCK_STREAM, 0);

		good = argv[2], bad = argv[3];
		snprintf(me.sun_path, sizeof(me.sun_path), "%s", good);
		unlink(good);
		if (bind(l, (struct sockaddr *)&me, sizeof(me)) < 0 || listen(l, 64) < 0) {
			perror("listen");
			return 1;
		}
		pthread_create(&srv, NULL, jail_server, &l);
		pthread_create(&t, NULL, addr_flipper, NULL);
		while (now() < end) {
			int c = socket(AF_UNIX, SOCK_STREAM, 0);
			char buf[16];
			ssize_t n;

			if (connect(c, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
			    (n = read(c, buf, sizeof(buf) - 1)) > 0) {
				buf[n] = '\0';
				note(buf);
			}
			close(c);
		}
		stop = 1;
		pthread_join(t, NULL);
	} else if (!strcmp(argv[1], "swap")) {
		char real[4200], x[4200];
		pid_t pid;

		snprintf(real, sizeof(real), "%s.real", argv[2]);
		snprintf(x, sizeof(x), "%s/x", argv[2]);
		pid = fork();
		if (pid == 0) {
			while (now() < end + 1) {
				rename(argv[2], real);
				symlink(argv[3], argv[2]);
				unlink(argv[2]);
				rename(real, argv[2]);
			}
			_exit(0);
		}
		while (now() < end)
			read_once(x);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	} else {
		return 2;
	}
	printf("done\n");
	return 0;
}
