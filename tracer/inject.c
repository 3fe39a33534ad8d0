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
 *
 * Without pidfd_getfd (before 5.6) the same pair carries descriptors the
 * other way: a handler that needs its own copy of a program's socket or
 * inotify descriptor (which /proc cannot reopen) asks for it, and the
 * stopped call is turned into sendmsg(chan_fd, SCM_RIGHTS [fd]); at the
 * syscall-exit stop the tracer takes the copy off its end, restores every
 * register and rewinds the call, which the program then issues again. At
 * that second stop the handler finds the copy (jt_fetched_take) and
 * decides and acts on it alone.
 */
#include <errno.h>
#include <fcntl.h>
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
#define SYS_SENDMSG 16	/* socketcall's call numbers (<linux/net.h>) */
#define SYS_RECVMSG 17

struct jt_inject {
	struct jt_regs_saved regs;
	uint64_t scratch;
	const struct jt_abi *abi;	/* of the stopped call: the layouts the kernel writes */
	int stops;			/* syscall stops until the exit stop */
	long rewind_nr;			/* an exec's file given: the call to issue again */
	int sys;			/* ... its JT_SYS_* and arguments */
	uint64_t args[3];
};

/* A fetch in flight: the call to issue again, and the descriptor asked for. */
struct jt_fetch {
	struct jt_regs_saved regs;
	long nr;			/* the stopped call's number, in its ABI */
	uint64_t args[6];		/* ... and its arguments */
	int fd;
	int stops;
};

/*
 * The scratch area as one block, message header, iovec, data byte and
 * control data at their offsets (zero between), so it goes into the
 * tracee in one write instead of one per piece.
 */
struct scratch_block {
	unsigned char b[OFF_CMSG + CMSG_SPACE(sizeof(int))];
};

/* The block for a message of @l whose control data is @ctl (NULL: zeros);
 * @return how many bytes of it to write. */
static size_t scratch_fill(struct scratch_block *s, const struct jt_abi *abi,
			   const struct jt_layout_msg *l, uint64_t scratch, const void *ctl)
{
	memset(s, 0, sizeof(*s));
	jt_layout_msg_put(abi, s->b + OFF_MSG, s->b + OFF_IOV, scratch + OFF_IOV,
			  scratch + OFF_DATA, 1, scratch + OFF_CMSG, l->control_len);
	s->b[OFF_DATA] = 'j';
	if (ctl)
		memcpy(s->b + OFF_CMSG, ctl, l->control_len);
	return OFF_CMSG + l->control_len;
}

/*
 * Syscall stops between resuming a rewritten call at its seccomp stop and
 * its exit: one, but a kernel before 4.8 reports the syscall entry after
 * the seccomp stop; without a filter this is the entry stop already.
 */
static int stops_to_exit(const struct jt_run *run)
{
	if (!jt_kernel_has(&run->kernel, JT_FEAT_SECCOMP))
		return 1;
	return (run->kernel.have & JT_FEAT_SKIP_AT_SECCOMP) ? 1 : 2;
}

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

/*
 * One message from @sock, without waiting: the first descriptor it carried
 * in *@fd (-1 if none, or if the kernel cut the control data), every other
 * one closed. @return what recvmsg returned.
 */
static ssize_t recv_fd(int sock, int *fd)
{
	char data;
	struct iovec iov = { &data, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	*fd = -1;
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; CMSG_LEN((i + 1) * sizeof(int)) <= c->cmsg_len; i++) {
			int one;

			memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = one;
			else
				close(one);
		}
	}
	if (*fd >= 0 && (m.msg_flags & MSG_CTRUNC)) {
		close(*fd);
		*fd = -1;
	}
	return n;
}

/* Take back a message no tracee received, and close what it carried. */
static void drain(struct jt_run *run)
{
	int fd;

	while (recv_fd(run->chan[1], &fd) > 0)
		if (fd >= 0)
			close(fd);
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
	struct scratch_block blk;
	int r;

	if (!inj) {
		close(fd);
		return -ENOMEM;
	}
	inj->abi = abi;
	inj->stops = stops_to_exit(run);
	jt_layout_msg(abi, &l);
	r = jt_regs_save(t->tid, &inj->regs);
	if (r == 0) {
		size_t len;

		inj->scratch = (jt_regs_sp(&inj->regs) - SCRATCH_BELOW) & ~(uint64_t)15;
		/* control data zero: no stale descriptor number from an earlier
		 * handover at this address */
		len = scratch_fill(&blk, abi, &l, inj->scratch, NULL);
		r = jt_mem_write(run, t->tid, inj->scratch + OFF_MSG, blk.b, len);
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

int jt_give_start(struct jt_run *run, struct jt_task *t, const struct jt_abi *abi, long nr,
		  int sys, const uint64_t args[6], int fd)
{
	int r = jt_inject_fd(run, t, abi, fd, 1);

	if (r < 0)
		return r;
	t->inject->rewind_nr = nr;
	t->inject->sys = sys;
	memcpy(t->inject->args, args, sizeof(t->inject->args));
	return 0;
}

int jt_given_take(struct jt_task *t, int sys, const uint64_t args[6])
{
	int g = t->given;

	if (!g || t->given_sys != sys || memcmp(t->given_args, args, sizeof(t->given_args)))
		return -ENOENT;
	t->given = 0;
	return g > 0 ? g - 1 : g;
}

struct jt_task *jt_inject_next(struct jt_run *run)
{
	while (!run->inject_busy && !run->killing && run->n_deferred) {
		pid_t tid = run->deferred[0];
		struct jt_task *t;

		memmove(run->deferred, run->deferred + 1, --run->n_deferred * sizeof(pid_t));
		t = jt_ptable_find(&run->tasks, tid);
		if (!t || !(t->flags & JT_TASK_DEFERRED))
			continue;
		t->flags &= ~JT_TASK_DEFERRED;
		return t;
	}
	return NULL;
}

void jt_inject_exit(struct jt_run *run, struct jt_task *t)
{
	struct jt_inject *inj = t->inject;
	long ret = -EIO;
	int fd = -1;

	if (!inj || --inj->stops > 0)
		return;
	if (jt_regs_result(t->tid, jt_kernel_has(&run->kernel, JT_FEAT_SYSCALL_INFO), &ret) == 0 &&
	    ret == 1) {
		struct jt_layout_msg l;
		struct scratch_block blk;
		const unsigned char *buf = blk.b + OFF_CMSG;
		uint64_t controllen, clen;
		size_t len;
		int flags, level, type;

		/* the tracee's own memory, in its ABI's layout: check what the kernel
		 * wrote, trust nothing else. Header to control data in one read. */
		jt_layout_msg(inj->abi, &l);
		len = OFF_CMSG + l.control_len;
		if (jt_mem_read(run, t->tid, inj->scratch + OFF_MSG, blk.b, len) == (ssize_t)len &&
		    (jt_layout_msg_get(inj->abi, blk.b + OFF_MSG, &controllen, &flags),
		     !(flags & MSG_CTRUNC)) &&
		    controllen >= l.cmsg_len) {
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
	if (inj->rewind_nr) {
		/* the number (or why not) for the exec, which the program issues again */
		t->given = ret >= 0 ? (int)ret + 1 : (int)ret;
		t->given_sys = inj->sys;
		memcpy(t->given_args, inj->args, sizeof(t->given_args));
		jt_regs_restart(t->tid, &inj->regs, inj->rewind_nr);
	} else {
		jt_regs_restore(t->tid, &inj->regs, ret);
	}
	free(inj);
	t->inject = NULL;
	run->inject_busy = 0;
}

void jt_inject_gone(struct jt_run *run, struct jt_task *t)
{
	if (t->inject || t->fetch) {
		free(t->inject);
		t->inject = NULL;
		free(t->fetch);
		t->fetch = NULL;
		drain(run);
		run->inject_busy = 0;
	}
	jt_fetched_clear(t);
	t->flags &= ~JT_TASK_DEFERRED;
}

/* ---------------------------------------------------------------- fetching */

/* Keep @copy (or -errno) as what descriptor @fd of @t was. Takes @copy. */
static void fetched_put(struct jt_task *t, int fd, int copy)
{
	struct jt_fetched *f = t->fetched;

	if (!f || f->n == f->cap) {
		size_t cap = f ? f->cap * 2 : 4;
		struct jt_fetched *g = realloc(f, sizeof(*f) + cap * sizeof(f->e[0]));

		if (!g) {
			if (copy >= 0)
				close(copy);
			return;	/* not kept: the handler asks again, or answers EACCES */
		}
		if (!f) {
			g->n = 0;
			g->nr = -1;
		}
		g->cap = cap;
		t->fetched = f = g;
	}
	f->e[f->n].fd = fd;
	f->e[f->n].copy = copy;
	f->n++;
}

int jt_fetched_take(struct jt_task *t, int fd)
{
	struct jt_fetched *f = t->fetched;

	for (size_t i = 0; f && i < f->n; i++) {
		if (f->e[i].fd != fd)
			continue;
		if (f->e[i].copy < 0)
			return f->e[i].copy;
		/* a copy of the copy: the handler closes what it gets */
		int c = fcntl(f->e[i].copy, F_DUPFD_CLOEXEC, 0);

		return c >= 0 ? c : -EACCES;
	}
	return -ENOENT;
}

void jt_fetched_check(struct jt_task *t, long nr, const uint64_t args[6])
{
	struct jt_fetched *f = t->fetched;

	if (f && (f->nr != nr || memcmp(f->args, args, sizeof(f->args))))
		jt_fetched_clear(t);
}

/* Keep what @fd was for call @nr (@args) of @t, among what was kept for it. */
static void fetched_keep(struct jt_task *t, long nr, const uint64_t args[6], int fd, int copy)
{
	jt_fetched_check(t, nr, args);
	fetched_put(t, fd, copy);
	if (t->fetched) {
		t->fetched->nr = nr;
		memcpy(t->fetched->args, args, sizeof(t->fetched->args));
	}
}

void jt_fetch_fail(struct jt_task *t, long nr, const uint64_t args[6], int fd, int err)
{
	fetched_keep(t, nr, args, fd, err);
}


/*
 * The sending call in the program's ABI: sendmsg(chan_fd, msg, MSG_DONTWAIT
 * | MSG_NOSIGNAL), on i386 through socketcall(SYS_SENDMSG, args).
 */
static int send_call(struct jt_run *run, struct jt_task *t, const struct jt_abi *abi,
		     const struct jt_regs_saved *regs, uint64_t scratch)
{
	uint64_t args[6] = { (uint64_t)run->chan_fd, scratch + OFF_MSG, MSG_DONTWAIT | MSG_NOSIGNAL };
	long nr;

	if (abi == &jt_abi_i386) {
		uint32_t w[3] = { (uint32_t)args[0], (uint32_t)args[1], (uint32_t)args[2] };
		int r = jt_mem_write(run, t->tid, scratch + OFF_ARGS, w, sizeof(w));

		if (r < 0)
			return r;
		args[0] = SYS_SENDMSG;
		args[1] = scratch + OFF_ARGS;
		args[2] = 0;
		nr = jt_abi_nr(abi, JT_SYS_socketcall);
	} else {
		nr = jt_abi_nr(abi, JT_SYS_sendmsg);
	}
	if (nr < 0)
		return -ENOSYS;
	return jt_regs_set_call(t->tid, regs, abi->audit_arch, nr, args);
}

int jt_fetch_start(struct jt_run *run, struct jt_task *t, const struct jt_abi *abi, long nr,
		   const uint64_t args[6], int fd)
{
	struct jt_fetch *f;
	struct jt_layout_msg l;
	struct scratch_block blk;
	unsigned char ctl[CMSG_SPACE(sizeof(int))];
	uint64_t sp, scratch;
	int r;

	if (!run->use_view || fd < 0 || fd == run->chan_fd)
		return -EACCES;
	if (run->inject_busy)
		return defer(run, t);
	if (!(f = calloc(1, sizeof(*f))))
		return -ENOMEM;
	f->nr = nr;
	memcpy(f->args, args, sizeof(f->args));
	f->fd = fd;
	f->stops = stops_to_exit(run);
	jt_layout_msg(abi, &l);
	r = jt_regs_save(t->tid, &f->regs);
	sp = jt_regs_sp(&f->regs);
	/* an i386 call addresses the low 4 GiB only (int 0x80 from 64-bit code
	 * may run on a stack above them) */
	if (r == 0 && (sp < 4096 + SCRATCH_BELOW || (abi->ptr_size == 4 && sp > 0xffffffffULL)))
		r = -EFAULT;
	scratch = (sp - SCRATCH_BELOW) & ~(uint64_t)15;
	if (r == 0) {
		size_t len;

		jt_layout_cmsg_rights(abi, ctl, fd);
		len = scratch_fill(&blk, abi, &l, scratch, ctl);
		r = jt_mem_write(run, t->tid, scratch + OFF_MSG, blk.b, len);
	}
	if (r == 0)
		r = send_call(run, t, abi, &f->regs, scratch);
	if (r < 0) {
		free(f);
		return r;
	}
	/* what the program itself may have sent into the pair is no answer */
	drain(run);
	t->fetch = f;
	run->inject_busy = t->tid;
	return 0;
}

/* The copy the kernel queued on the tracer's end, or -errno. */
static int receive_copy(struct jt_run *run)
{
	int fd;

	if (recv_fd(run->chan[0], &fd) != 1) {
		if (fd >= 0)
			close(fd);
		return -EACCES;
	}
	return fd >= 0 ? fd : -EACCES;
}

int jt_fetch_exit(struct jt_run *run, struct jt_task *t)
{
	struct jt_fetch *f = t->fetch;
	long ret = -EIO;
	int copy;

	if (!f || --f->stops > 0)
		return 0;
	if (jt_regs_result(t->tid, jt_kernel_has(&run->kernel, JT_FEAT_SYSCALL_INFO), &ret) < 0)
		ret = -EIO;
	if (ret == 1)
		copy = receive_copy(run);
	else
		/* a bad descriptor is EBADF, as natively; anything else: out of reach */
		copy = ret == -EBADF ? -EBADF : -EACCES;
	drain(run);
	fetched_keep(t, f->nr, f->args, f->fd, copy);
	/* every register as it was, the call rewound: the program issues it again */
	jt_regs_restart(t->tid, &f->regs, f->nr);
	free(f);
	t->fetch = NULL;
	run->inject_busy = 0;
	return 1;
}
