/*
 * A sidecar: a server in jailtrace's own process that the sandbox reaches
 * on a loopback port of its own (the secrets proxy, proxy.c; the forward
 * proxy, egress.c). What they share lives here: the listening socket and
 * its grant, the peers it serves (only sockets the tracer connected for
 * the program), a bounded number of connection threads, records queued
 * for the tracer's thread (which owns the log), and a stop that leaves no
 * thread behind. Nothing here runs on the tracer's stop path but
 * jt_sidecar_connected (a lock and a store) and jt_sidecar_drain.
 */
#ifndef JT_TRACER_SIDECAR_H
#define JT_TRACER_SIDECAR_H

#include <stddef.h>
#include <stdint.h>

struct jt_sidecar;
struct jt_run;
struct jt_policy;
struct jt_net_dest;

/* A record made on a sidecar's thread; the tracer's thread calls write, then free(). */
struct jt_sidecar_rec {
	struct jt_sidecar_rec *next;
	void (*write)(struct jt_run *run, const struct jt_sidecar_rec *r);
};

struct jt_sidecar_ops {
	/* serve connection @fd (a peer of this sandbox) on a thread of its own; fd is closed after */
	void (*serve)(void *arg, int fd);
	/* answer and record a connection not served: @status 403 (not the sandbox's), 503 (too many) */
	void (*refuse)(void *arg, int fd, int status, const char *why);
};

/** Listen on 127.0.0.1 (an ephemeral port) and serve. @return 0, or -errno with @err set. */
int jt_sidecar_start(struct jt_sidecar **out, const char *what, const struct jt_sidecar_ops *ops,
		     void *arg, char *err, size_t errlen);

uint16_t jt_sidecar_port(const struct jt_sidecar *sc);

/** Grant the sandbox a TCP connect to 127.0.0.1:@port in @p, made by rule @rule. */
int jt_sidecar_grant(struct jt_policy *p, uint16_t port, int rule);

/**
 * The tracer connected the program's socket @copy to @d: if that is this
 * sidecar, remember the socket's local port, the only peers it serves.
 */
void jt_sidecar_connected(struct jt_sidecar *sc, const struct jt_policy *p, int copy,
			  const struct jt_net_dest *d);

/**
 * A connection's other socket (its upstream), shut down too at stop.
 * @return a slot for jt_sidecar_close_tracked (-1: none free; still usable).
 */
int jt_sidecar_track(struct jt_sidecar *sc, int fd);
/** Forget slot @slot and close @fd (under the lock: stop never shuts a reused number). */
void jt_sidecar_close_tracked(struct jt_sidecar *sc, int slot, int fd);

/** Readable once the sidecar stops: a connection's polls include it and end. */
int jt_sidecar_stop_fd(const struct jt_sidecar *sc);
/** Nonzero once the sidecar stops (for loops that cannot poll, e.g. libcurl's). */
int jt_sidecar_stopping(const struct jt_sidecar *sc);

/** Queue @r for the log (taken over; the tracer's thread writes and frees it). */
void jt_sidecar_record(struct jt_sidecar *sc, struct jt_sidecar_rec *r);

/** Write the queued records (the tracer's thread). */
void jt_sidecar_drain(struct jt_sidecar *sc, struct jt_run *run);

/**
 * Accept no more, tell every connection to end, wait up to 5 s for them,
 * write their records, free. A thread still running then (a resolver that
 * does not answer) keeps the memory; jailtrace is about to exit.
 * @return 1 when such a thread remains (what it uses must not be freed), else 0.
 */
int jt_sidecar_stop(struct jt_sidecar *sc, struct jt_run *run);

/* ---- HTTP pieces both sidecars speak */

/** Send all of @p (no SIGPIPE). @return 0, or -1 when the peer is gone. */
int jt_sidecar_send_all(int fd, const void *p, size_t n);

/** A short plain-text answer with @status and @why, Connection: close. */
void jt_sidecar_reply(int fd, int status, const char *why);

/**
 * Read up to @cap bytes until the blank line ending an HTTP head; @got
 * says how many came (what follows the head is the body's start).
 * @return the head's length, or -1 (closed, timed out, too long).
 */
long jt_sidecar_read_head(int fd, char *buf, size_t cap, size_t *got);

/**
 * "METHOD TARGET HTTP/1.x\r\n" at @head, exactly: one space each, a method
 * of capitals, a target without controls or spaces. @return 0; -1 a bad
 * line; -2 a target of @tlen bytes or more (414), the method copied.
 */
int jt_sidecar_request_line(const char *head, char *method, size_t mlen, char *target, size_t tlen);

#endif
