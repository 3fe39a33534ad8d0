/*
 * The program's stdout and stderr reach the caller through pipes that a
 * thread of jailtrace relays, so output can be counted and capped. The
 * thread never touches ptrace; it only raises a flag the loop reads.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include "tracer/internal.h"

volatile sig_atomic_t jt_output_exceeded;

static pthread_t relay_thread;
static int relay_running;

struct relay {
	int in[2];
	uint64_t cap;		/* 0: no cap */
	uint64_t total;
	int out_ok[2];		/* 0 once writing to our own fd failed */
};

/*
 * Our reader went away (EPIPE): so has the program's, as it would natively.
 * Closing the read end of its pipe makes its next write fail with EPIPE
 * and SIGPIPE, and `jailtrace run -- yes | head -1` ends as `yes | head -1`
 * does (141), not with the output limit. Any other error (EIO on a
 * terminal gone, ENOSPC): drain and drop the rest, so the program runs on.
 */
static void reader_gone(struct relay *r, int i, int err)
{
	r->out_ok[i] = 0;
	if (err == EPIPE && r->in[i] >= 0) {
		close(r->in[i]);
		r->in[i] = -1;
	}
}

static struct relay relay;

size_t jt_output_room(uint64_t *total, uint64_t cap, size_t n)
{
	uint64_t room;

	if (!cap)
		return n;
	room = *total >= cap ? 0 : cap - *total;
	*total += n;
	if (*total > cap)
		jt_output_exceeded = 1;
	return n > room ? (size_t)room : n;
}

static void forward(struct relay *r, int i, const char *buf, size_t n)
{
	n = jt_output_room(&r->total, r->cap, n);
	while (n > 0 && r->out_ok[i]) {
		ssize_t w = write(1 + i, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			reader_gone(r, i, w < 0 ? errno : EIO);
			break;
		}
		buf += w;
		n -= (size_t)w;
	}
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	char buf[65536];
	struct pollfd pfd[2];

	for (;;) {
		int n = 0;

		for (int i = 0; i < 2; i++) {
			pfd[i].fd = r->in[i];
			pfd[i].events = POLLIN;
			n += r->in[i] >= 0;
		}
		if (n == 0)
			break;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t got;

			if (r->in[i] < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(r->in[i], buf, sizeof(buf));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				close(r->in[i]);
				r->in[i] = -1;
				continue;
			}
			forward(r, i, buf, (size_t)got);
		}
	}
	return NULL;
}

int jt_relay_start(struct jt_run *run)
{
	sigset_t block, old;
	int e;

	relay = (struct relay){ .in = { run->out_fd[0], run->out_fd[1] },
				.cap = run->limit[JT_LIMIT_OUTPUT], .out_ok = { 1, 1 } };
	/* signals for jailtrace go to the loop thread, never to this one */
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	e = pthread_create(&relay_thread, NULL, relay_main, &relay);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e)
		return -e;
	relay_running = 1;
	return 0;
}

void jt_relay_join(struct jt_run *run)
{
	(void)run;
	if (relay_running)
		pthread_join(relay_thread, NULL);
	relay_running = 0;
}
