/* Network calls performed by the tracer (net.c); the proxy is proxy.c. */
#ifndef JT_TRACER_NET_H
#define JT_TRACER_NET_H

#include <sys/socket.h>

struct jt_run;
struct jt_task;
struct jt_request;
struct jt_fs_result;

/**
 * connect or bind of an inet address already read (once) from the program,
 * on the tracer's @copy of descriptor @fd (connect and bind of every other
 * family than unix come here; the sends' inet addresses too).
 */
void jt_net_sock(struct jt_run *run, struct jt_task *t, int fd, int copy, const void *sa,
		 socklen_t len, int is_bind, struct jt_fs_result *res);

#endif
