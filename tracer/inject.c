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
#include "compat/layout.h"
#include "compat/regs.h"
#include "tracer/internal.h"

/* Scratch below the tracee's stack pointer and its red zone. */
#define SCRATCH_BELOW 1024
#define OFF_MSG 0
#define OFF_IOV 64
#define OFF_DATA 96
#define OFF_CMSG 128
#define OFF_ARGS 160	/* i386: socketcall's argument words */
#define SYS_RECVMSG 17	/* socketcall's call number of recvmsg (<linux/net.h>) */

struct jt_inject {
	struct jt_regs_saved regs;
	uint64_t scratch;
	const struct jt_abi *abi;	/* of the stopped call: the layouts the kernel writes */
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

/*
 * The receiving call in the program's ABI: recvmsg on x86_64 and aarch64;
 * on i386 socketcall(SYS_RECVMSG, args), which every kernel has (the
 * direct i386 recvmsg came with 4.3), its three argument words in the
 * scratch area. @return 0 or -errno.
 */
static int receive_call(struct jt_run *run, struct jt_task *t, struct jt_inject *inj, int cloexec)
{
	uint64_t args[6] = { (uint64_t)run->chan_fd, inj->scratch + OFF_MSG,
			     MSG_DONTWAIT | (cloexec ? MSG_CMSG_CLOEXEC : 0) };
	long nr;

	if (inj->abi == &jt_abi_i386) {
		uint32_t w[3] = { (uint32_t)args[0], (uint32_t)args[1], (uint32_t)args[2] };
		int r = jt_mem_write(run, t->tid, inj->scratch + OFF_ARGS, w, sizeof(w));

		if (r < 0)
			return r;
		args[0] = SYS_RECVMSG;
		args[1] = inj->scratch + OFF_ARGS;
		args[2] = 0;
		nr = jt_abi_nr(inj->abi, JT_SYS_socketcall);
	} else {
		nr = jt_abi_nr(inj->abi, JT_SYS_recvmsg);
	}
	return jt_regs_set_call(t->tid, &inj->regs, inj->abi->audit_arch, nr, args);
}

int jt_inject_fd(struct jt_run *run, struct jt_task *t, const struct jt_abi *abi, int fd,
		 int cloexec)
{
	struct jt_inject *inj = calloc(1, sizeof(*inj));
	struct jt_layout_msg l;
	unsigned char msg[64], iov[32];
	int r;

	if (!inj) {
		close(fd);
		return -ENOMEM;
	}
	inj->abi = abi;
	jt_layout_msg(abi, &l);
	r = jt_regs_save(t->tid, &inj->regs);
	if (r == 0) {
		inj->scratch = (jt_regs_sp(&inj->regs) - SCRATCH_BELOW) & ~(uint64_t)15;
		jt_layout_msg_put(abi, msg, iov, inj->scratch + OFF_IOV, inj->scratch + OFF_DATA, 1,
				  inj->scratch + OFF_CMSG, l.control_len);
		r = jt_mem_write(run, t->tid, inj->scratch + OFF_MSG, msg, l.msg_size);
	}
	if (r == 0)
		r = jt_mem_write(run, t->tid, inj->scratch + OFF_IOV, iov, l.iov_size);
	if (r == 0) {
		/* no stale descriptor number from an earlier handover at this address */
		char zero[CMSG_SPACE(sizeof(int))] = { 0 };

		r = jt_mem_write(run, t->tid, inj->scratch + OFF_CMSG, zero, l.control_len);
	}
	if (r == 0)
		r = send_fd(run->chan[0], fd);
	close(fd);
	if (r == 0) {
		r = receive_call(run, t, inj, cloexec);
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
		struct jt_layout_msg l;
		unsigned char m[64], buf[CMSG_SPACE(sizeof(int))];
		uint64_t controllen, clen;
		int flags, level, type;

		/* the tracee's own memory, in its ABI's layout: check what the kernel
		 * wrote, trust nothing else */
		jt_layout_msg(inj->abi, &l);
		if (jt_mem_read(run, t->tid, inj->scratch + OFF_MSG, m, l.msg_size) == (ssize_t)l.msg_size &&
		    (jt_layout_msg_get(inj->abi, m, &controllen, &flags), !(flags & MSG_CTRUNC)) &&
		    controllen >= l.cmsg_len &&
		    jt_mem_read(run, t->tid, inj->scratch + OFF_CMSG, buf, l.control_len) ==
		    (ssize_t)l.control_len) {
			jt_layout_cmsg_get(inj->abi, buf, &clen, &level, &type);
			if (level == SOL_SOCKET && type == SCM_RIGHTS && clen == l.cmsg_len)
				memcpy(&fd, buf + l.cmsg_data, sizeof(int));
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
