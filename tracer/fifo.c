/*
 * A blocking open of a FIFO, performed by the tracer, which must never block
 * on one tracee: the open is tried without blocking, and while the other end
 * is missing the program issues its call again (res->restart), as the
 * kernel would have kept it waiting.
 *
 * A writer may go on once a reader exists (a non-blocking O_WRONLY open
 * says so: ENXIO until then). A reader may go on once a writer has opened
 * since it started waiting: its non-blocking read end, kept across the
 * retries, sees the writer's data (POLLIN) or its close (POLLHUP). A writer
 * that opens and then writes nothing keeps the reader waiting (natively the
 * reader's open would return): a known difference.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tracer/fifo.h"
#include "tracer/proc.h"

struct jt_fifo_wait {
	int fd;			/* the read end, O_NONBLOCK, kept while the reader waits */
	dev_t dev;
	ino_t ino;
};

void jt_fifo_forget(struct jt_task *t)
{
	if (!t->fifo)
		return;
	close(t->fifo->fd);
	free(t->fifo);
	t->fifo = NULL;
}

/* The descriptor as the program asked for it: blocking from here on. */
static int blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int jt_fifo_open(struct jt_task *t, int dirfd, const char *name, int flags, const struct stat *st)
{
	int acc = flags & O_ACCMODE, fd;
	struct pollfd p;

	flags |= O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC;
	if (acc == O_WRONLY) {
		jt_fifo_forget(t);
		fd = openat(dirfd, name, flags);
		if (fd < 0)
			return errno == ENXIO ? -EWOULDBLOCK : -errno;	/* no reader yet */
		return blocking(fd);
	}
	/* a reader: one read end across the retries, for this FIFO only */
	if (t->fifo && (t->fifo->dev != st->st_dev || t->fifo->ino != st->st_ino))
		jt_fifo_forget(t);
	if (!t->fifo) {
		struct jt_fifo_wait *w = malloc(sizeof(*w));

		if (!w)
			return -ENOMEM;
		if ((w->fd = openat(dirfd, name, flags)) < 0) {
			free(w);
			return -errno;
		}
		w->dev = st->st_dev;
		w->ino = st->st_ino;
		t->fifo = w;
	}
	p = (struct pollfd){ .fd = t->fifo->fd, .events = POLLIN };
	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
		return -EWOULDBLOCK;	/* no writer has come yet */
	fd = t->fifo->fd;
	free(t->fifo);
	t->fifo = NULL;
	return blocking(fd);
}
