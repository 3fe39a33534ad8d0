/* Blocking opens of FIFOs, without blocking the tracer (fifo.c). */
#ifndef JT_TRACER_FIFO_H
#define JT_TRACER_FIFO_H

#include <sys/stat.h>

struct jt_task;

/*
 * Open the FIFO @name in @dirfd (@st: its stat) for @t, with @flags that
 * ask to block. @return the descriptor, -EWOULDBLOCK while the other end
 * is missing (the program is to issue the call again), or -errno.
 */
int jt_fifo_open(struct jt_task *t, int dirfd, const char *name, int flags, const struct stat *st);

/* Drop what a task kept while waiting (it gave up, or ended). */
void jt_fifo_forget(struct jt_task *t);

#endif
