/*
 * The tracer's own signals, as flags the loop acts on (loop.c): the tick
 * (SIGALRM), the signals that stop a run, and SIGCHLD. Their handlers only
 * set flags; under user notifications they are blocked and read from a
 * signalfd (notify.c), which hands each to jt_signal_came.
 */
#include <signal.h>
#include <string.h>
#include "tracer/internal.h"

volatile sig_atomic_t jt_child_due = 1;
volatile sig_atomic_t jt_tick_due;
volatile sig_atomic_t jt_got_signal;
volatile sig_atomic_t jt_signal_count;

static void on_alarm(int sig)
{
	(void)sig;
	jt_tick_due = 1;
}

static void on_stop_signal(int sig)
{
	jt_got_signal = sig;
	jt_signal_count++;
}

/* Only a thread that does not block SIGCHLD runs it (none should): the
 * loop then collects at the next tick rather than never. */
static void on_child(int sig)
{
	(void)sig;
	jt_child_due = 1;
}

void jt_signal_came(int sig)
{
	if (sig == SIGCHLD)
		on_child(sig);	/* stops to collect: waitpid until it finds none (loop.c) */
	else if (sig == SIGALRM)
		on_alarm(sig);
	else
		on_stop_signal(sig);
}

/* Handlers without SA_RESTART, so a blocked waitpid returns to the loop. */
void jt_signals_install(int notif)
{
	struct sigaction sa = { 0 };

	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* (under notifications, a handler keeps a blocked SIGCHLD from
	 * counting as ignored) */
	sa.sa_handler = notif ? on_child : SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
}
