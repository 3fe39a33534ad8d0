/*
 * The secrets proxy (proxy.c): `proxy NAME UPSTREAM header "K: ${SECRET}"`
 * serves http://127.0.0.1:PORT/NAME/... to this sandbox only and forwards
 * to UPSTREAM with the headers added on the host side.
 */
#ifndef JT_TRACER_PROXY_H
#define JT_TRACER_PROXY_H

#include <stddef.h>

struct jt_run;
struct jt_policy;
struct jt_net_dest;

/**
 * Expand the headers (${VAR} from jailtrace's environment, ${file:PATH}),
 * listen on loopback, grant the port to the sandbox (a `net connect` rule
 * of the proxy's line) and start serving. Nothing to do without proxies.
 * @return 0, or -errno with @err set.
 */
/* Can a proxy rule be served (libcurl loads; never in the static build)?
 * 0, or -errno and why not in @err. */
int jt_proxy_available(char *err, size_t errlen);
int jt_proxy_start(struct jt_run *run, struct jt_policy *p, char *err, size_t errlen);

/** "NAME_BASE_URL=http://127.0.0.1:PORT/NAME" of proxy @i, or NULL past the last. */
const char *jt_proxy_env(const struct jt_run *run, size_t i);

/**
 * The tracer connected the program's socket @copy to @d: if that is the
 * proxy, remember the socket's port, the only peers the proxy serves.
 */
void jt_proxy_connected(struct jt_run *run, int copy, const struct jt_net_dest *d);

/** Write the proxy's queued records to the log (the tracer's thread owns the log). */
void jt_proxy_drain(struct jt_run *run);

/** Stop serving, wait briefly for requests in flight, drain, free. */
void jt_proxy_stop(struct jt_run *run);

#endif
