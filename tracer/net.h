/* Network calls performed by the tracer (net.c); the proxy is proxy.c. */
#ifndef JT_TRACER_NET_H
#define JT_TRACER_NET_H

#include <sys/socket.h>

struct jt_run;
struct jt_task;
struct jt_request;
struct jt_fs_result;

/* Is @sys (enum jt_sys) a network call the tracer decides and performs? */
int jt_net_handles(int sys);

/** Decide and perform connect, bind, listen, sendto, sendmsg, sendmmsg. @return 0 or -errno. */
int jt_net_call(struct jt_run *run, struct jt_task *t, const struct jt_request *rq,
		struct jt_fs_result *res);

/**
 * connect or bind of an inet address already read (once) from the program,
 * on the tracer's @copy of descriptor @fd; the view's unix path handling
 * (fs.c) hands other families here.
 */
void jt_net_sock(struct jt_run *run, struct jt_task *t, int fd, int copy, const void *sa,
		 socklen_t len, int is_bind, struct jt_fs_result *res);

#endif
