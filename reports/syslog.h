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

/** Close the socket (at the end of a run). */
void jt_syslog_close(void);

#endif
