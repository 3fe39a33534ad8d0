/*
 * --syslog: some records also go to the local syslog daemon, one line
 * each, facility user, tagged "jailtrace[PID]", as glibc's syslog() would
 * send them. The socket is non-blocking: a stalled or absent daemon loses
 * lines, it never stalls the tracer. A token bucket keeps a program that
 * makes denied calls in a loop from flooding the host's log.
 */
#ifndef JT_REPORTS_SYSLOG_H
#define JT_REPORTS_SYSLOG_H

#include <stddef.h>

#define JT_SYSLOG_BURST 100	/* lines sent at once before the rate applies */
#define JT_SYSLOG_RATE 20	/* lines per second after that */

/**
 * Send @msg (@len bytes, no newline) with @severity (LOG_WARNING...).
 * @always: not subject to the rate (the end record).
 */
void jt_syslog(int severity, const char *msg, size_t len, int always);

/**
 * Name the run on every later line: "run_id", "user" and "argv" (each
 * argument cut at 200 bytes, the list at about 700) go first in each
 * JSON record sent, so a line read alone in the host's log says whose
 * program it was. Call after the run header is sent (it has them).
 */
void jt_syslog_context(const char *run_id, const char *user, char *const argv[]);

/** Close the socket (at the end of a run), and forget the context. */
void jt_syslog_close(void);

#endif
