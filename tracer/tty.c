/*
 * A terminal for the program when jailtrace's stdout is one: a pty pair
 * jailtrace makes, the program's stdin, stdout and stderr on its slave
 * (the controlling terminal of the program's own session), and a thread
 * that relays between the master and jailtrace's real terminal, with the
 * output cap of the pipe relay (relay.c). The program never holds a
 * descriptor of the real terminal: only the slave, whose TIOCSTI (not
 * allowed by the default policy anyway) would type into the pty, which
 * jailtrace only copies to its stdout, never reads as commands of its own.
 *
 * The real terminal is put in raw mode while the program runs, so that
 * ^C, ^Z and every key reach the pty, whose line discipline makes the
 * signals for the program's foreground group as a native terminal would;
 * it is restored on every way out of jt_run (and at exit as a backstop).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "tracer/internal.h"

static struct termios saved_termios;
static int raw_fd = -1;		/* the terminal put in raw mode, until restored */
static int winch_pipe[2] = { -1, -1 };
static int done_pipe[2] = { -1, -1 };	/* written when the program is gone */
static pthread_t tty_thread;
static int tty_running;

/* ---------------------------------------------------------------- setup */

/*
 * Does the program get a pty? When jailtrace's stdout is a terminal, unless
 * JAILTRACE_PTY=0 asks for the pipes of a non-terminal run.
 */
int jt_tty_wanted(void)
{
	const char *e = getenv("JAILTRACE_PTY");

	if (e && !strcmp(e, "0"))
		return 0;
	return isatty(1);
}

/* The terminal jailtrace reads keys from (stdin), or writes to (stdout): -1 if none. */
static int real_tty(void)
{
	return isatty(0) ? 0 : isatty(1) ? 1 : -1;
}

/*
 * Make the pair: the master (jailtrace's, close-on-exec, non-blocking) and
 * the slave (for the program), with the real terminal's settings and size.
 */
int jt_tty_open(struct jt_run *run)
{
	struct termios tio;
	struct winsize ws;
	int m, s, s2, unlock = 0;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -errno;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 ||
	    (s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		int e = errno;

		close(m);
		return -e;
	}
	/* the program's user owns its terminal, as login(1) makes it: opened
	 * again as /dev/tty, it is opened with that user's rights (fs.c) */
	if (run->switch_user && fchown(s, run->run_uid, (gid_t)-1) < 0) {
		int e = errno;

		close(s);
		close(m);
		return -e;
	}
	/* its slave is the sandbox's: /dev/tty and ttyname inside (ptys.c) */
	if ((s2 = jt_pty_track(run, m)) < 0) {
		close(s);
		close(m);
		return s2;
	}
	if (tcgetattr(real_tty(), &tio) == 0)
		tcsetattr(s, TCSANOW, &tio);
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 || ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(m, TIOCSWINSZ, &ws);
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	run->pty_master = m;
	run->pty_slave = s;
	return 0;
}

/* In the child: a session of its own whose terminal is the slave, on 0, 1 and 2. */
int jt_tty_child(int slave)
{
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return -errno;
	return 0;
}

/* ---------------------------------------------------------------- raw mode */

void jt_tty_restore(void)
{
	if (raw_fd < 0)
		return;
	/* TCSADRAIN: what was relayed is shown with the settings it was written for */
	tcsetattr(raw_fd, TCSADRAIN, &saved_termios);
	raw_fd = -1;
}

/*
 * Raw mode on the terminal keys come from: stdin. Not when only stdout is
 * a terminal (no key is relayed, and ^C there must still stop jailtrace),
 * nor when jailtrace runs in the background of its terminal (a change
 * there would stop it with SIGTTOU).
 */
static void make_raw(void)
{
	static int registered;
	struct termios raw;
	int fd = isatty(0) ? 0 : -1;

	if (fd < 0 || tcgetpgrp(fd) != getpgrp() || tcgetattr(fd, &saved_termios) < 0)
		return;
	if (!registered && atexit(jt_tty_restore) == 0)
		registered = 1;
	raw = saved_termios;
	cfmakeraw(&raw);
	raw_fd = fd;
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		raw_fd = -1;
}

/* ---------------------------------------------------------------- relay */

struct tty_relay {
	int master;
	int in;			/* jailtrace's stdin, or -1 once at its end (or not relayed) */
	uint64_t cap, total;
	int out_ok;
	char pending[4096];	/* read from stdin, not yet taken by the master */
	size_t n_pending, off_pending;
	int eof_pending;	/* stdin ended: send the slave's end-of-file character */
};

static struct tty_relay tr;

static void on_winch(int sig)
{
	int e = errno;
	char c = 1;

	(void)sig;
	if (write(winch_pipe[1], &c, 1) < 0) {
		/* full: a size change is already on its way */
	}
	errno = e;
}

/* The program's output to jailtrace's stdout, within the output cap. */
static void tty_forward(struct tty_relay *r, const char *buf, size_t n)
{
	n = jt_output_room(&r->total, r->cap, n);
	while (n > 0 && r->out_ok) {
		ssize_t w = write(1, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { 1, POLLOUT, 0 };

			poll(&p, 1, -1);
			continue;
		}
		if (w <= 0) {
			r->out_ok = 0;	/* our reader went away: keep draining */
			break;
		}
		buf += w;
		n -= (size_t)w;
	}
}

/*
 * The character that ends a read on the slave now (the program may have
 * changed it): the master has settings of its own, so asked of a copy of
 * the slave, opened through the master for this only.
 */
static char slave_eof_char(int master)
{
	struct termios t;
	int s = ioctl(master, TIOCGPTPEER, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	char c = 4;	/* ^D, the default */

	if (s < 0)
		return c;
	if (tcgetattr(s, &t) == 0)
		c = (char)t.c_cc[VEOF];
	close(s);
	return c;
}

/* Keys (or piped input) to the master, as far as the slave takes them. */
static void tty_feed(struct tty_relay *r)
{
	while (r->off_pending < r->n_pending) {
		ssize_t w = write(r->master, r->pending + r->off_pending,
				  r->n_pending - r->off_pending);

		if (w <= 0)
			return;	/* full (EAGAIN): poll says when it takes more */
		r->off_pending += (size_t)w;
	}
	r->n_pending = r->off_pending = 0;
	if (r->eof_pending) {
		r->eof_pending = 0;
		if ((r->pending[0] = slave_eof_char(r->master)) != _POSIX_VDISABLE)
			r->n_pending = 1;
	}
}

static void read_input(struct tty_relay *r)
{
	ssize_t got = read(r->in, r->pending, sizeof(r->pending));

	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (got <= 0) {
		/* a terminal does not end; a pipe or file does: ^D once, as script(1) */
		r->in = -1;
		r->eof_pending = 1;
		tty_feed(r);
		return;
	}
	r->n_pending = (size_t)got;
	r->off_pending = 0;
	tty_feed(r);
}

static void copy_size(struct tty_relay *r)
{
	struct winsize ws;
	char drain[64];

	while (read(winch_pipe[0], drain, sizeof(drain)) > 0)
		;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 || ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(r->master, TIOCSWINSZ, &ws);	/* the kernel signals the program */
}

/* Whatever the master still holds, without waiting (the program is gone). */
static void drain(struct tty_relay *r, char *buf, size_t len)
{
	ssize_t got;

	while ((got = read(r->master, buf, len)) > 0)
		tty_forward(r, buf, (size_t)got);
}

/*
 * Until jt_tty_finish says the program is gone (done_pipe). The master
 * reads EIO while no slave is open, which is not the end: a program that
 * closed its 0-2 may open /dev/tty again; then it is polled every 50 ms
 * (poll says POLLHUP at once while it lasts).
 */
static void *tty_main(void *arg)
{
	struct tty_relay *r = arg;
	static char buf[65536];
	int hung_up = 0;

	for (;;) {
		struct pollfd p[4] = {
			{ hung_up ? -1 : r->master, POLLIN | (r->n_pending ? POLLOUT : 0), 0 },
			{ r->n_pending || r->eof_pending ? -1 : r->in, POLLIN, 0 },
			{ winch_pipe[0], POLLIN, 0 },
			{ done_pipe[0], POLLIN, 0 },
		};
		ssize_t got;
		int n = poll(p, 4, hung_up ? 50 : -1);

		if (n < 0 && errno != EINTR)
			break;
		if (n < 0)
			continue;
		if (p[3].revents) {
			drain(r, buf, sizeof(buf));
			break;
		}
		if (p[2].revents & POLLIN)
			copy_size(r);
		if (p[0].revents & POLLOUT)
			tty_feed(r);
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			read_input(r);
		if (!hung_up && !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		got = read(r->master, buf, sizeof(buf));
		if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
			hung_up = 0;	/* a slave is open again, with nothing to say yet */
			continue;
		}
		hung_up = got <= 0;
		if (got > 0)
			tty_forward(r, buf, (size_t)got);
	}
	return NULL;
}

/*
 * Start relaying: raw mode, the SIGWINCH handler, the thread. Stdin is
 * relayed when it is not a terminal, or is one and jailtrace has its
 * foreground (reading it from the background would stop jailtrace).
 */
int jt_tty_start(struct jt_run *run)
{
	struct sigaction sa = { 0 };
	sigset_t block, old;
	int relay_in = !isatty(0) || tcgetpgrp(0) == getpgrp();
	int e;

	if (pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(done_pipe, O_CLOEXEC) < 0)
		return -errno;
	tr = (struct tty_relay){ .master = run->pty_master, .in = relay_in ? 0 : -1,
				 .cap = run->limit[JT_LIMIT_OUTPUT], .out_ok = 1 };
	if (relay_in && fcntl(0, F_GETFL) < 0)
		tr.in = -1;	/* no stdin at all */
	make_raw();
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	copy_size(&tr);	/* a change between the pair's making and the handler */
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	e = pthread_create(&tty_thread, NULL, tty_main, &tr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		jt_tty_restore();
		return -e;
	}
	tty_running = 1;
	return 0;
}

/* The program is gone: wait for the relay to drain the master, restore the terminal. */
void jt_tty_finish(struct jt_run *run)
{
	struct sigaction sa = { 0 };

	if (tty_running) {
		char c = 1;

		if (write(done_pipe[1], &c, 1) != 1) {
			/* cannot happen on an empty pipe; the join would wait */
		}
		pthread_join(tty_thread, NULL);
	}
	tty_running = 0;
	jt_tty_restore();
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	for (int i = 0; i < 2; i++) {
		if (winch_pipe[i] >= 0)
			close(winch_pipe[i]);
		if (done_pipe[i] >= 0)
			close(done_pipe[i]);
		winch_pipe[i] = done_pipe[i] = -1;
	}
	if (run->pty_master >= 0)
		close(run->pty_master);
	if (run->pty_slave >= 0)
		close(run->pty_slave);
	run->pty_master = run->pty_slave = -1;
}
