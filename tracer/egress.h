/*
 * The forward proxy of `net domain` rules (egress.c): the program reaches
 * the names a policy grants over HTTP(S) through it, and nothing else.
 */
#ifndef JT_TRACER_EGRESS_H
#define JT_TRACER_EGRESS_H

#include <stddef.h>
#include <stdint.h>

struct jt_run;
struct jt_policy;
struct jt_net_dest;

/**
 * With domain rules in @p: listen on loopback, grant the sandbox that port
 * (a `net connect` of the first domain rule) and serve. Nothing to do
 * without them. @return 0, or -errno with @err set.
 */
int jt_egress_start(struct jt_run *run, struct jt_policy *p, char *err, size_t errlen);

/** "HTTPS_PROXY=http://127.0.0.1:PORT" and the rest for the program, or NULL past the last. */
const char *jt_egress_env(const struct jt_run *run, size_t i);

/** The proxy's port, 0 without one. */
uint16_t jt_egress_port(const struct jt_run *run);

/** The tracer connected the program's socket @copy to @d: the proxy serves it if it is its port. */
void jt_egress_connected(struct jt_run *run, int copy, const struct jt_net_dest *d);

/** Write the queued records (the tracer's thread). */
void jt_egress_drain(struct jt_run *run);

/** End every connection, write their records, free. */
void jt_egress_stop(struct jt_run *run);

#endif
