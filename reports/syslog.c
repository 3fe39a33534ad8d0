/*
 * A small syslog client instead of glibc's syslog(): glibc's socket
 * blocks when the daemon's queue is full, and a tracer blocked in send()
 * stops every tracee with it. The wire format is the same ("<PRI>Mmm dd
 * hh:mm:ss jailtrace[PID]: MSG" on the /dev/log datagram socket), so
 * journald and rsyslog file it as they would a syslog() call.
 * JAILTRACE_SYSLOG_SOCKET names another socket (the tests use one).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "reports/json.h"
#include "reports/syslog.h"

#define MSG_MAX (32 * 1024)	/* bytes of one line; a longer record is cut */

static int sock = -1;
static uint64_t milli_tokens = JT_SYSLOG_BURST * 1000, last_us;
static unsigned long dropped;
static char line[MSG_MAX];
static char context[1024];	/* "\"run_id\":...,\"argv\":[...]," or "" */
static size_t context_len;

void jt_syslog_context(const char *run_id, const char *user, char *const argv[])
{
	char buf[sizeof(context) + 2];
	struct jt_json j;

	jt_json_init(&j, buf, sizeof(buf));
	jt_json_object(&j);
	jt_json_key(&j, "run_id");
	jt_json_str(&j, run_id);
	jt_json_key(&j, "user");
	jt_json_str(&j, user);
	jt_json_key(&j, "argv");
	jt_json_array(&j);
	for (size_t i = 0; argv && argv[i]; i++) {
		if (j.len > 700) {
			jt_json_str(&j, "...");
			break;
		}
		jt_json_strn(&j, argv[i], strnlen(argv[i], 200));
	}
	jt_json_end(&j);
	jt_json_finish(&j);
	context_len = 0;
	context[0] = '\0';
	/* {A} -> "A," : the fields go in front of each record's own */
	if (j.overflow || j.len < 3 || j.len - 3 + 1 >= sizeof(context))
		return;
	context_len = j.len - 3;
	memcpy(context, buf + 1, context_len);
	context[context_len++] = ',';
	context[context_len] = '\0';
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int open_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("JAILTRACE_SYSLOG_SOCKET");

	if (!path || !*path)
		path = "/dev/log";
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (sock < 0)
		sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sock < 0)
		return -1;
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(sock);
		sock = -1;
		return -1;
	}
	return 0;
}

/* Send one line; a daemon that went away and came back gets one reconnect. */
static void send_line(int severity, const char *msg, size_t len)
{
	char stamp[32];
	struct tm tm;
	time_t t = time(NULL);
	int n;

	if (!localtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm))
		snprintf(stamp, sizeof(stamp), "Jan  1 00:00:00");
	n = snprintf(line, sizeof(line), "<%d>%s jailtrace[%d]: ", LOG_USER | severity, stamp,
		     (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if (context_len && len > 1 && msg[0] == '{' && msg[1] != '}' &&
	    (size_t)n + 1 + context_len < sizeof(line)) {
		/* the run's name first: {"run_id":...,"argv":[...],"type":... */
		line[n++] = '{';
		memcpy(line + n, context, context_len);
		n += (int)context_len;
		msg++;
		len--;
	}
	if (len > sizeof(line) - (size_t)n)
		len = sizeof(line) - (size_t)n;
	memcpy(line + n, msg, len);
	len += (size_t)n;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (sock < 0 && open_socket() < 0)
			break;
		if (send(sock, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return;
		if (errno == EAGAIN || errno == ENOBUFS)
			break;
		close(sock);
		sock = -1;
	}
	dropped++;
}

void jt_syslog(int severity, const char *msg, size_t len, int always)
{
	uint64_t now = now_us();

	milli_tokens += (now - last_us) * JT_SYSLOG_RATE / 1000;
	if (milli_tokens > JT_SYSLOG_BURST * 1000 || !last_us)
		milli_tokens = JT_SYSLOG_BURST * 1000;
	last_us = now;
	if (!always && milli_tokens < 1000) {
		dropped++;
		return;
	}
	if (!always)
		milli_tokens -= 1000;
	if (dropped) {
		char note[96];
		int n = snprintf(note, sizeof(note), "%lu lines not sent to syslog (rate limit or "
				 "daemon not reading)", dropped);

		dropped = 0;
		send_line(LOG_WARNING, note, (size_t)n);
	}
	send_line(severity, msg, len);
}

void jt_syslog_close(void)
{
	if (sock >= 0)
		close(sock);
	sock = -1;
	context_len = 0;
	context[0] = '\0';
	milli_tokens = JT_SYSLOG_BURST * 1000;
	last_us = 0;
	dropped = 0;
}
