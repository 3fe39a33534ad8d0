/*
 * Handing the tracee a descriptor the tracer opened.
 *
 * Every sandboxed process holds one end of a unix socket pair at a fixed
 * descriptor number (run->chan_fd), inherited from the first process. To
 * answer an open, the tracer sends its own descriptor over the pair with
 * SCM_RIGHTS and turns the stopped call into recvmsg(chan_fd, ...) with
 * MSG_DONTWAIT; at the syscall-exit stop it reads the descriptor number the
 * kernel installed, and restores every register with that number as the
 * result. This works on every kernel jailtrace supports (3.10+); the
 * kernel resolves no path from the program's memory on the way.
 *
 * The pair is shared by the whole sandbox, so one handover is in flight
 * at a time; other tasks that need one wait at their seccomp stop. If the
 * task in flight dies first, the tracer drains the message itself.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include "compat/regs.h"
#include "tracer/internal.h"

/* Scratch below the tracee's stack pointer and its red zone. */
#define SCRATCH_BELOW 1024
#define OFF_MSG 0
#define OFF_IOV 64
#define OFF_DATA 96
#define OFF_CMSG 128

struct jt_inject {
	struct jt_regs_saved regs;
	uint64_t scratch;
};

int jt_inject_setup(struct jt_run *run)
{
	struct rlimit rl;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, run->chan) < 0)
		return -errno;
	/* high, where programs seldom look, and within what they may open */
	run->chan_fd = 1023;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max <= 1023)
		run->chan_fd = (int)rl.rlim_max - 1;
	return 0;
}

static int send_fd(int sock, int fd)
{
	char data = 'j';
	struct iovec iov = { &data, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(u.buf, 0, sizeof(u.buf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

/* Take back a message no tracee received, and close what it carried. */
static void drain(struct jt_run *run)
{
	for (;;) {
		char data;
		struct iovec iov = { &data, 1 };
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *c;

		if (recvmsg(run->chan[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			int fd;

			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				memcpy(&fd, CMSG_DATA(c), sizeof(int));
				close(fd);
			}
		}
	}
}

static int defer(struct jt_run *run, struct jt_task *t)
{
	pid_t *q;

	if (run->n_deferred == run->cap_deferred) {
		size_t cap = run->cap_deferred ? run->cap_deferred * 2 : 16;

		q = realloc(run->deferred, cap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		run->deferred = q;
		run->cap_deferred = cap;
	}
	run->deferred[run->n_deferred++] = t->tid;
	t->flags |= JT_TASK_DEFERRED;
	return 1;
}

int jt_inject_busy(struct jt_run *run, struct jt_task *t)
{
	if (!run->inject_busy)
		return 0;
	return defer(run, t);
}

int jt_inject_fd(struct jt_run *run, struct jt_task *t, int fd, int cloexec)
{
	struct jt_inject *inj = calloc(1, sizeof(*inj));
	struct msghdr m = { 0 };
	struct iovec iov;
	uint64_t args[6] = { 0 };
	int r;

	if (!inj) {
		close(fd);
		return -ENOMEM;
	}
	r = jt_regs_save(t->tid, &inj->regs);
	if (r == 0) {
		inj->scratch = (jt_regs_sp(&inj->regs) - SCRATCH_BELOW) & ~(uint64_t)15;
		iov.iov_base = (void *)(uintptr_t)(inj->scratch + OFF_DATA);
		iov.iov_len = 1;
		m.msg_iov = (struct iovec *)(uintptr_t)(inj->scratch + OFF_IOV);
		m.msg_iovlen = 1;
		m.msg_control = (void *)(uintptr_t)(inj->scratch + OFF_CMSG);
		m.msg_controllen = CMSG_SPACE(sizeof(int));
		r = jt_mem_write(run, t->tid, inj->scratch + OFF_MSG, &m, sizeof(m));
	}
	if (r == 0)
		r = jt_mem_write(run, t->tid, inj->scratch + OFF_IOV, &iov, sizeof(iov));
	if (r == 0) {
		/* no stale descriptor number from an earlier handover at this address */
		char zero[CMSG_SPACE(sizeof(int))] = { 0 };

		r = jt_mem_write(run, t->tid, inj->scratch + OFF_CMSG, zero, sizeof(zero));
	}
	if (r == 0)
		r = send_fd(run->chan[0], fd);
	close(fd);
	if (r == 0) {
		args[0] = (uint64_t)run->chan_fd;
		args[1] = inj->scratch + OFF_MSG;
		args[2] = MSG_DONTWAIT | (cloexec ? MSG_CMSG_CLOEXEC : 0);
		r = jt_regs_set_call(t->tid, &inj->regs, SYS_recvmsg, args);
		if (r < 0)
			drain(run);
	}
	if (r < 0) {
		free(inj);
		return r;
	}
	t->inject = inj;
	run->inject_busy = t->tid;
	return 0;
}

/* The next task waiting for the pair gets its stop handled again. */
static void next_waiting(struct jt_run *run)
{
	while (!run->inject_busy && run->n_deferred) {
		pid_t tid = run->deferred[0];
		struct jt_task *t;

		memmove(run->deferred, run->deferred + 1, --run->n_deferred * sizeof(pid_t));
		t = jt_ptable_find(&run->tasks, tid);
		if (!t || !(t->flags & JT_TASK_DEFERRED))
			continue;
		t->flags &= ~JT_TASK_DEFERRED;
		if (jt_syscall_stop(run, t, 0) < 0)
			kill(t->tid, SIGKILL);
	}
}

void jt_inject_exit(struct jt_run *run, struct jt_task *t)
{
	struct jt_inject *inj = t->inject;
	long ret = -EIO;
	int fd = -1;

	if (!inj)
		return;
	if (jt_regs_result(t->tid, jt_kernel_has(&run->kernel, JT_FEAT_SYSCALL_INFO), &ret) == 0 &&
	    ret == 1) {
		struct cmsghdr c;
		struct msghdr m;
		char buf[CMSG_SPACE(sizeof(int))];

		/* the tracee's own memory: check what the kernel wrote, trust nothing else */
		if (jt_mem_read(run, t->tid, inj->scratch + OFF_MSG, &m, sizeof(m)) == (ssize_t)sizeof(m) &&
		    !(m.msg_flags & MSG_CTRUNC) && m.msg_controllen >= CMSG_LEN(sizeof(int)) &&
		    jt_mem_read(run, t->tid, inj->scratch + OFF_CMSG, buf, sizeof(buf)) ==
		    (ssize_t)sizeof(buf)) {
			memcpy(&c, buf, sizeof(c));
			if (c.cmsg_level == SOL_SOCKET && c.cmsg_type == SCM_RIGHTS &&
			    c.cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&fd, buf + CMSG_LEN(0), sizeof(int));
		}
		/* no descriptor arrived: the program's table is full */
		ret = fd >= 0 ? fd : -EMFILE;
	} else if (ret >= 0) {
		ret = -EIO;
	} else {
		/* not received (a full descriptor table: EMFILE): take it back */
		drain(run);
	}
	jt_regs_restore(t->tid, &inj->regs, ret);
	free(inj);
	t->inject = NULL;
	run->inject_busy = 0;
	next_waiting(run);
}

void jt_inject_gone(struct jt_run *run, struct jt_task *t)
{
	if (t->inject) {
		free(t->inject);
		t->inject = NULL;
		drain(run);
		run->inject_busy = 0;
	}
	t->flags &= ~JT_TASK_DEFERRED;
	if (!run->killing)
		next_waiting(run);
}
