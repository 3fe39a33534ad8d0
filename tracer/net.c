/*
 * Network calls: connect, bind, listen and the sends that carry an address.
 *
 * The address is read out of the program once, decided (filters/net.c),
 * and the tracer performs the call itself on its own copy of the program's
 * socket (pidfd_getfd, or fetched before 5.6: inject.c), with the bytes it
 * decided on: the kernel never
 * re-reads a sockaddr the program can rewrite, and another thread's dup2
 * cannot swap the socket after the check. Where the kernel ignores an
 * address (a send on a stream socket) the call runs with the address
 * pointer cleared, which no thread can change (it is a register).
 *
 * A connect that would block is started non-blocking by the tracer, and the
 * program then waits for it in the kernel with a zero-length send, which
 * blocks until the connection is made or fails and returns what connect
 * would. A send whose buffer is full makes the program issue it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include "filters/net.h"
#include "tracer/fs.h"
#include "tracer/internal.h"
#include "tracer/net.h"
#include "tracer/op.h"
#include "tracer/egress.h"
#include "tracer/proxy.h"

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

#define SEND_MAX (4 * 1024 * 1024)	/* bytes of one message the tracer carries */
#define CONTROL_MAX 4096
#define IOV_MAX_READ 1024


struct netop {
	struct jt_run *run;
	struct jt_task *t;
	const struct jt_request *rq;
	struct jt_fs_result *res;
};

/* The call's result; the verdict stays what the decision made it. */
static int done(struct netop *op, long ret)
{
	op->res->ret = ret;
	return 0;
}

static int refuse(struct netop *op, int err, const char *builtin)
{
	op->res->verdict = (struct jt_verdict){ .allow = 0, .err = err, .rule = -1, .builtin = builtin };
	op->res->ret = -err;
	return 0;
}

static int sock_int(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0 ? -errno : v;
}

static int blocking(int copy)
{
	int fl = fcntl(copy, F_GETFL);

	return fl >= 0 && !(fl & O_NONBLOCK);
}

/* Decide @d; the verdict and the decoded address go to the record. @return allowed. */
static int decide(struct netop *op, struct jt_net_dest *d)
{
	const char *proto = d->proto == JT_NET_UDP ? "udp" : "tcp";
	char a[80];

	jt_net_format(&d->addr, d->port, a, sizeof(a));
	snprintf(op->res->addr, sizeof(op->res->addr), "%s %s", proto, a);
	jt_decide_net(op->run->policy, d, &op->res->verdict);
	if (!op->res->verdict.allow)
		op->res->ret = -op->res->verdict.err;
	return op->res->verdict.allow;
}

static int proto_of(int copy)
{
	return sock_int(copy, SO_TYPE) == SOCK_DGRAM ? JT_NET_UDP : JT_NET_TCP;
}

static int copy_or_refuse(struct netop *op, int fd)
{
	int copy = jt_fs_fd_copy(op->run, op->t, fd);

	if (copy < 0)
		refuse(op, copy == -EBADF ? EBADF : EACCES, "no-socket-copy");
	return copy;
}

/* ---------------------------------------------------------------- connect, bind */

static int connect_inet(struct netop *op, int fd, int copy, const void *sa, socklen_t len,
			const struct jt_net_dest *d)
{
	int fl, r;

	fl = fcntl(copy, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(copy, F_SETFL, fl | O_NONBLOCK);
	r = connect(copy, sa, len) < 0 ? -errno : 0;
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(copy, F_SETFL, fl);
	op->res->ret = r;
	if (r == -EINPROGRESS && fl >= 0 && !(fl & O_NONBLOCK) &&
	    sock_int(copy, SO_TYPE) == SOCK_STREAM) {
		/* the connection is on its way to the decided address; the
		 * program waits for it without the tracer: send(fd, "", 0) */
		op->res->rewrite_nr = SYS_sendto;
		memset(op->res->rewrite_args, 0, sizeof(op->res->rewrite_args));
		op->res->rewrite_args[0] = (uint64_t)fd;
		op->res->rewrite_args[3] = MSG_NOSIGNAL;
	}
	if (r == 0 || r == -EINPROGRESS) {
		jt_proxy_connected(op->run, copy, d);
		jt_egress_connected(op->run, copy, d);
	}
	return 0;
}

static int bind_inet(struct netop *op, int copy, const void *sa, socklen_t len)
{
	op->res->ret = bind(copy, sa, len) < 0 ? -errno : 0;
	return 0;
}

void jt_net_sock(struct jt_run *run, struct jt_task *t, int fd, int copy, const void *sa,
		 socklen_t len, int is_bind, struct jt_fs_result *res)
{
	struct netop o = { run, t, NULL, res }, *op = &o;
	struct jt_net_dest d = { .kind = is_bind ? JT_NET_BIND : JT_NET_CONNECT };
	sa_family_t fam;
	int r;

	memcpy(&fam, sa, sizeof(fam));
	if (copy < 0 && fam == AF_UNSPEC) {
		refuse(op, EACCES, "no-socket-copy");
		return;
	}
	if (fam == AF_UNSPEC && !is_bind) {
		/* dissolves a datagram socket's association: reaches nothing */
		res->ret = connect(copy, sa, len) < 0 ? -errno : 0;
		done(op, res->ret);
		return;
	}
	r = jt_net_from_sockaddr(sa, len, &d);
	if (r < 0) {
		refuse(op, r == -EINVAL ? EINVAL : EAFNOSUPPORT, "network-family");
		return;
	}
	/* without a copy of the socket (no view to fetch it over) only denials are possible */
	d.proto = copy >= 0 ? proto_of(copy) : JT_NET_TCP;
	if (!decide(op, &d))
		return;
	if (copy < 0) {
		refuse(op, EACCES, "no-socket-copy");
		return;
	}
	if (is_bind)
		bind_inet(op, copy, sa, len);
	else
		connect_inet(op, fd, copy, sa, len, &d);
}

/* A unix address outside a view is the host's path: the bytes as read, on the copy. */
static void unix_as_read(struct netop *op, int copy, const void *sa, socklen_t len, int is_bind)
{
	int fl = fcntl(copy, F_GETFL), nb = fl >= 0 && !(fl & O_NONBLOCK) && !is_bind;

	/* never block the tracer: a full backlog answers EAGAIN */
	if (nb)
		fcntl(copy, F_SETFL, fl | O_NONBLOCK);
	done(op, (is_bind ? bind(copy, sa, len) : connect(copy, sa, len)) < 0 ? -errno : 0);
	if (nb) {
		fcntl(copy, F_SETFL, fl);
		if (op->res->ret == -EINPROGRESS)
			op->res->ret = -EAGAIN;
	}
}

/*
 * connect and bind, on every family: the address is read once, here, and
 * decided and performed on those bytes. A unix address under a view is
 * resolved in it (fs.c); without one, it is taken as read.
 */
static int do_sock(struct netop *op, struct jt_op *jo, int fd, uint64_t addr, socklen_t len,
		   int is_bind)
{
	struct sockaddr_storage sa;
	int copy;

	if (len < sizeof(sa_family_t) || len > sizeof(sa))
		return done(op, -EINVAL);
	memset(&sa, 0, sizeof(sa));
	if (jt_mem_read(op->run, op->t->tid, addr, &sa, len) != (ssize_t)len)
		return done(op, -EFAULT);
	if (sa.ss_family == AF_UNIX && op->run->use_view) {
		int r = jt_fs_unix_sock(jo, fd, (const struct sockaddr_un *)&sa, len, is_bind);

		op->res->verdict = jo->v;
		op->res->ret = jo->ret;
		return r;
	}
	copy = jt_fs_fd_copy(op->run, op->t, fd);
	if (sa.ss_family != AF_UNIX)
		jt_net_sock(op->run, op->t, fd, copy, &sa, len, is_bind, op->res);
	else if (copy >= 0)
		unix_as_read(op, copy, &sa, len, is_bind);
	else
		refuse(op, EACCES, "no-socket-copy");
	if (copy >= 0)
		close(copy);
	return 0;
}

/* ---------------------------------------------------------------- listen */

/*
 * listen on an unbound inet socket binds it to the wildcard address on a
 * port of the kernel's choice: decided as that bind. The tracer listens on
 * its copy, so the socket it checked is the one that listens.
 */
static int do_listen(struct netop *op, int fd, int backlog)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int copy = copy_or_refuse(op, fd);

	if (copy < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	if (getsockname(copy, (struct sockaddr *)&sa, &len) == 0 &&
	    (sa.ss_family == AF_INET || sa.ss_family == AF_INET6)) {
		struct jt_net_dest d = { .kind = JT_NET_BIND, .proto = JT_NET_TCP };

		if (jt_net_from_sockaddr(&sa, len, &d) == 0 && d.port == 0 && !decide(op, &d)) {
			close(copy);
			return 0;
		}
	}
	done(op, listen(copy, backlog) < 0 ? -errno : 0);
	close(copy);
	return 0;
}

/* ---------------------------------------------------------------- sends */

/* Raise SIGPIPE where the program's own send would have. */
static void epipe(struct netop *op, long r, int flags)
{
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		syscall(SYS_tgkill, op->t->tgid, op->t->tid, SIGPIPE);
}

/*
 * The tracer sends on its copy, never blocking itself; a blocking socket
 * whose buffer is full makes the program issue the call again.
 */
static int send_result(struct netop *op, int copy, long r, int flags)
{
	if (r == -EAGAIN && !(flags & MSG_DONTWAIT) && blocking(copy)) {
		op->res->restart = 1;
		return 0;
	}
	epipe(op, r, flags);
	return done(op, r);
}

/* An abstract name, printable, for the record: "unix @NAME". */
static void abstract_addr(struct netop *op, const void *name, socklen_t nlen)
{
	const char *p = (const char *)name + offsetof(struct sockaddr_un, sun_path) + 1;
	size_t n = nlen - offsetof(struct sockaddr_un, sun_path) - 1, o;

	o = (size_t)snprintf(op->res->addr, sizeof(op->res->addr), "unix @");
	for (size_t i = 0; i < n && o + 1 < sizeof(op->res->addr); i++)
		op->res->addr[o++] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
	op->res->addr[o] = '\0';
}

/*
 * A unix datagram's destination under the view: resolved in the view as a
 * connect's path (fs.c); @name becomes "/proc/self/fd/N" of the checked
 * socket, N in @obj for the caller to close after the send.
 */
static int unix_dest(struct netop *op, void *name, socklen_t *nlen, int *obj)
{
	struct sockaddr_un to;

	/* each entry of a sendmmsg is recorded afresh: the last one decided shows */
	op->res->addr[0] = '\0';
	if (*nlen > offsetof(struct sockaddr_un, sun_path) + 1 &&
	    ((char *)name)[offsetof(struct sockaddr_un, sun_path)] == '\0')
		abstract_addr(op, name, *nlen);
	*obj = jt_fs_unix_dest(op->run, op->t, name, *nlen, &to, op->res);
	if (*obj < 0)
		return -1;
	memcpy(name, &to, sizeof(to));
	*nlen = sizeof(to);
	return 1;
}

/*
 * Check a destination before the tracer sends to it. @return 1 to send with
 * the address, 0 to send without it (a stream socket ignores it), -1 when
 * the answer is already in @op (refused). The type is what the kernel made
 * of the socket (a unix SOCK_RAW is a datagram socket), read on the copy
 * the tracer sends on. @name may be replaced by what to send to instead,
 * with a descriptor in @obj to close after the send.
 */
static int check_dest(struct netop *op, int copy, void *name, socklen_t *nlen, int flags, int *obj)
{
	struct jt_net_dest d = { .kind = JT_NET_CONNECT };
	int type = sock_int(copy, SO_TYPE), r;
	sa_family_t fam;

	*obj = -1;
	if (!name || *nlen == 0)
		return 0;
	if (*nlen < sizeof(fam))
		return done(op, -EINVAL), -1;
	memcpy(&fam, name, sizeof(fam));
	if (type != SOCK_DGRAM && !(flags & MSG_FASTOPEN))
		return 0;
	if (fam == AF_UNIX)
		/* without a view the host's paths are the program's */
		return op->run->use_view ? unix_dest(op, name, nlen, obj) : 1;
	r = jt_net_from_sockaddr(name, *nlen, &d);
	if (r < 0)
		return refuse(op, r == -EINVAL ? EINVAL : EAFNOSUPPORT, "network-family"), -1;
	d.proto = type == SOCK_DGRAM ? JT_NET_UDP : JT_NET_TCP;
	if (!decide(op, &d))
		return -1;
	if (type != SOCK_DGRAM)
		return done(op, -EOPNOTSUPP), -1;	/* no TCP fast open: connect instead */
	return 1;
}

static int do_sendto(struct netop *op)
{
	const struct jt_request *rq = op->rq;
	struct sockaddr_storage sa;
	socklen_t nlen = (socklen_t)A(5);
	size_t len = (size_t)A(2);
	int flags = (int)A(3), copy, r, obj = -1;
	char *buf;

	if (nlen > sizeof(sa))
		return done(op, -EINVAL);
	if (jt_mem_read(op->run, op->t->tid, A(4), &sa, nlen) != (ssize_t)nlen)
		return done(op, -EFAULT);
	copy = jt_fs_fd_copy(op->run, op->t, (int)A(0));
	if (copy < 0 && !jt_net_may_udp(op->run->policy) && !(flags & MSG_FASTOPEN)) {
		/* every inet socket is a stream one: the kernel ignores the address */
		r = 0;
	} else if (copy < 0) {
		return refuse(op, EACCES, "no-socket-copy");
	} else {
		r = check_dest(op, copy, &sa, &nlen, flags, &obj);
	}
	if (r <= 0) {
		if (copy >= 0)
			close(copy);
		if (r == 0) {
			/* the kernel ignores the address here: run it without */
			op->res->rewrite_nr = SYS_sendto;
			memcpy(op->res->rewrite_args, rq->args, sizeof(op->res->rewrite_args));
			op->res->rewrite_args[4] = op->res->rewrite_args[5] = 0;
			op->res->rewrite_args[3] &= ~(uint64_t)MSG_FASTOPEN;
		}
		return 0;
	}
	if (len > SEND_MAX)
		len = SEND_MAX;	/* a datagram this long fails with EMSGSIZE anyway */
	buf = malloc(len ? len : 1);
	if (!buf) {
		close(copy);
		if (obj >= 0)
			close(obj);
		return done(op, -ENOMEM);
	}
	if (len && jt_mem_read(op->run, op->t->tid, A(1), buf, len) != (ssize_t)len)
		r = -EFAULT;
	else
		r = sendto(copy, buf, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, nlen) < 0
			    ? -errno : (int)len;
	free(buf);
	if (obj >= 0)
		close(obj);
	send_result(op, copy, r, flags);
	close(copy);
	return 0;
}

/* SCM_RIGHTS carries the program's descriptors: the tracer sends its copies. */
static int control_fds(struct netop *op, struct cmsghdr *c, int *copies, int *n)
{
	int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	int *fds = (int *)CMSG_DATA(c);

	for (int i = 0; i < k; i++) {
		int cp = jt_fs_fd_same(op->run, op->t, fds[i]);

		if (cp < 0)
			return -EBADF;	/* or to be fetched first: the call is issued again */
		copies[(*n)++] = cp;
		fds[i] = cp;
	}
	return 0;
}

/*
 * Control messages go out with the tracer's credentials: only those that
 * carry no privilege (descriptors, IP options the program could set on the
 * socket itself) are passed.
 */
static int check_control(struct netop *op, void *ctl, size_t clen, int *copies, int *n)
{
	struct msghdr m = { .msg_control = ctl, .msg_controllen = clen };

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			if (c->cmsg_len > CONTROL_MAX || *n + (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)) > 253)
				return -EINVAL;
			if (control_fds(op, c, copies, n) < 0)
				return -EBADF;
		} else if (c->cmsg_level != IPPROTO_IP && c->cmsg_level != IPPROTO_IPV6 &&
			   c->cmsg_level != IPPROTO_UDP) {
			return -EPERM;
		}
	}
	return 0;
}

/* ------------------------------------------- the i386 layouts (net/compat.c) */

/* Is the program's struct msghdr the 32-bit one (compat_msghdr)? */
static int compat(const struct netop *op)
{
	return op->rq->abi && op->rq->abi->ptr_size == 4;
}

/* The program's msghdr at @at, in its ABI's layout, as a native one (its
 * pointers widened, not followed). i386: seven 32-bit words. */
static int read_msghdr(struct netop *op, uint64_t at, struct msghdr *m)
{
	uint32_t w[7];

	if (!compat(op))
		return jt_mem_read(op->run, op->t->tid, at, m, sizeof(*m)) == sizeof(*m) ? 0 : -EFAULT;
	if (jt_mem_read(op->run, op->t->tid, at, w, sizeof(w)) != sizeof(w))
		return -EFAULT;
	*m = (struct msghdr){ .msg_name = (void *)(uintptr_t)w[0], .msg_namelen = w[1],
			      .msg_iov = (void *)(uintptr_t)w[2], .msg_iovlen = w[3],
			      .msg_control = (void *)(uintptr_t)w[4], .msg_controllen = w[5],
			      .msg_flags = (int)w[6] };
	return 0;
}

/* @n iovecs of the program's ABI at @at, as native ones. */
static int read_iovs(struct netop *op, uint64_t at, size_t n, struct iovec *iov)
{
	static uint32_t w[2 * IOV_MAX_READ];

	if (!compat(op))
		return jt_mem_read(op->run, op->t->tid, at, iov, n * sizeof(*iov)) == (ssize_t)(n * sizeof(*iov))
			       ? 0 : -EFAULT;
	if (jt_mem_read(op->run, op->t->tid, at, w, n * 8) != (ssize_t)(n * 8))
		return -EFAULT;
	for (size_t i = 0; i < n; i++)
		iov[i] = (struct iovec){ (void *)(uintptr_t)w[2 * i], w[2 * i + 1] };
	return 0;
}

/*
 * The program's control messages (@len bytes at @at) as native ones in
 * @out (CONTROL_MAX * 2 bytes). i386's have 12-byte headers and 4-byte
 * alignment, translated one by one as the kernel does; a malformed one is
 * EINVAL. @return the native length or -errno.
 */
static long read_control(struct netop *op, uint64_t at, size_t len, char *out)
{
	static char in[CONTROL_MAX];
	size_t off = 0, o = 0;

	if (jt_mem_read(op->run, op->t->tid, at, compat(op) ? in : out, len) != (ssize_t)len)
		return -EFAULT;
	if (!compat(op))
		return (long)len;
	while (off + 12 <= len) {
		uint32_t clen;
		int32_t level, type;
		struct cmsghdr *c = (struct cmsghdr *)(out + o);

		memcpy(&clen, in + off, 4);
		memcpy(&level, in + off + 4, 4);
		memcpy(&type, in + off + 8, 4);
		if (clen < 12 || clen > len - off || o + CMSG_SPACE(clen - 12) > 2 * CONTROL_MAX)
			return -EINVAL;
		c->cmsg_len = CMSG_LEN(clen - 12);
		c->cmsg_level = level;
		c->cmsg_type = type;
		memcpy(CMSG_DATA(c), in + off + 12, clen - 12);
		o += CMSG_SPACE(clen - 12);
		off += (clen + 3) & ~(size_t)3;
	}
	return (long)o;
}

/* What @mp's iovec and control hold, read once, sent to @name (NULL: none). */
static long send_checked(struct netop *op, int copy, struct msghdr *mp, void *name, int flags)
{
	struct msghdr m = *mp;
	static struct iovec iov[IOV_MAX_READ];
	static char ctl[2 * CONTROL_MAX] __attribute__((aligned(8)));
	struct iovec one;
	int copies[256], ncopies = 0;
	size_t total = 0, off = 0;
	char *buf = NULL;
	long r;

	if (m.msg_iovlen && read_iovs(op, (uint64_t)(uintptr_t)m.msg_iov, m.msg_iovlen, iov) < 0)
		return -EFAULT;
	for (size_t i = 0; i < m.msg_iovlen; i++)
		total += iov[i].iov_len < SEND_MAX ? iov[i].iov_len : SEND_MAX;
	if (total > SEND_MAX)
		total = SEND_MAX;	/* a stream send may be short; a datagram this long cannot be */
	if (!(buf = malloc(total ? total : 1)))
		return -ENOMEM;
	for (size_t i = 0; i < m.msg_iovlen && off < total; i++) {
		size_t n = iov[i].iov_len < total - off ? iov[i].iov_len : total - off;

		if (n && jt_mem_read(op->run, op->t->tid, (uint64_t)(uintptr_t)iov[i].iov_base, buf + off, n) !=
				 (ssize_t)n) {
			free(buf);
			return -EFAULT;
		}
		off += n;
	}
	r = 0;
	if (m.msg_controllen) {
		r = read_control(op, (uint64_t)(uintptr_t)m.msg_control, m.msg_controllen, ctl);
		m.msg_controllen = r > 0 ? (size_t)r : 0;
		r = r < 0 ? r : 0;
	}
	if (r == 0 && m.msg_controllen)
		r = check_control(op, ctl, m.msg_controllen, copies, &ncopies);
	if (r == 0) {
		one = (struct iovec){ buf, total };
		m.msg_iov = &one;
		m.msg_iovlen = 1;
		m.msg_name = name;
		m.msg_namelen = name ? m.msg_namelen : 0;
		m.msg_control = m.msg_controllen ? ctl : NULL;
		r = sendmsg(copy, &m, (flags & ~MSG_FASTOPEN) | MSG_DONTWAIT | MSG_NOSIGNAL);
		r = r < 0 ? -errno : r;
	}
	for (int i = 0; i < ncopies; i++)
		close(copies[i]);
	free(buf);
	return r;
}

/* One struct msghdr of the program, sent by the tracer. @return bytes or -errno. */
static long send_one(struct netop *op, int copy, uint64_t msg_addr, int flags, int *again)
{
	struct msghdr m;
	struct sockaddr_storage name;
	int with_name, obj;
	long r;

	if (read_msghdr(op, msg_addr, &m) < 0)
		return -EFAULT;
	if (m.msg_namelen > sizeof(name) || m.msg_iovlen > IOV_MAX_READ ||
	    m.msg_controllen > CONTROL_MAX)
		return m.msg_controllen > CONTROL_MAX ? -ENOBUFS : -EINVAL;
	if (m.msg_name && m.msg_namelen &&
	    jt_mem_read(op->run, op->t->tid, (uint64_t)(uintptr_t)m.msg_name, &name, m.msg_namelen) !=
		    (ssize_t)m.msg_namelen)
		return -EFAULT;
	/* the name decided on (or what stands for it) is the one sent: the
	 * program's msg_name is not read again */
	with_name = check_dest(op, copy, m.msg_name ? &name : NULL, &m.msg_namelen, flags, &obj);
	if (with_name < 0)
		return op->res->ret;
	r = send_checked(op, copy, &m, with_name ? &name : NULL, flags);
	if (obj >= 0)
		close(obj);
	*again = r == -EAGAIN;
	return r;
}

static int do_sendmsg(struct netop *op)
{
	int flags = (int)A(2), again = 0, copy = copy_or_refuse(op, (int)A(0));
	long r;

	if (copy < 0)
		return 0;
	r = send_one(op, copy, A(1), flags, &again);
	if (!op->res->verdict.allow && op->res->verdict.builtin) {
		close(copy);
		return 0;
	}
	send_result(op, copy, r, flags);
	close(copy);
	return 0;
}

/* struct mmsghdr: a msghdr, then the bytes sent, padded to 64 bytes; i386's
 * compat_mmsghdr: 28 bytes of msghdr, then the count */
#define MMSG_SIZE(op) (compat(op) ? 32 : sizeof(struct mmsghdr))
#define MMSG_LEN(op) (compat(op) ? 28 : offsetof(struct mmsghdr, msg_len))

static int do_sendmmsg(struct netop *op)
{
	unsigned vlen = (unsigned)A(2) > 1024 ? 1024 : (unsigned)A(2);
	int flags = (int)A(3), again = 0, copy = copy_or_refuse(op, (int)A(0));
	unsigned i;
	long r = 0;

	if (copy < 0)
		return 0;
	for (i = 0; i < vlen; i++) {
		uint64_t at = A(1) + i * MMSG_SIZE(op);
		unsigned sent;

		r = send_one(op, copy, at, flags, &again);
		if (r < 0 && i > 0 && op->t->fetch_want) {
			/* a descriptor of this entry must be fetched, which issues the
			 * call again: the entries sent so far are its answer instead */
			op->t->fetch_want = 0;
			r = 0;
			break;
		}
		if (r < 0)
			break;
		sent = (unsigned)r;
		if (jt_mem_write(op->run, op->t->tid, at + MMSG_LEN(op), &sent,
				 sizeof(sent)) < 0) {
			r = -EFAULT;
			break;
		}
	}
	if (i > 0) {
		done(op, i);
	} else if (!op->res->verdict.allow) {
		/* refused: the record says why */
	} else {
		send_result(op, copy, r, flags);
	}
	close(copy);
	return 0;
}

/* The performers calls.c names: the answer in op->res (op's verdict too). */
static struct netop netop_of(struct jt_op *jo)
{
	struct netop o = { jo->run, jo->t, jo->rq, jo->res };

	jo->res->verdict = (struct jt_verdict){ .allow = 1, .rule = -1, .builtin = "network" };
	return o;
}

int jt_net_connect(struct jt_op *jo, int is_bind)
{
	struct netop o = netop_of(jo);
	const struct jt_request *rq = jo->rq;

	return do_sock(&o, jo, (int)rq->args[0], rq->args[1], (socklen_t)rq->args[2], is_bind);
}

int jt_net_listen(struct jt_op *jo)
{
	struct netop o = netop_of(jo);

	return do_listen(&o, (int)jo->rq->args[0], (int)jo->rq->args[1]);
}

int jt_net_send(struct jt_op *jo)
{
	struct netop o = netop_of(jo);

	switch (jo->rq->sys) {
	case JT_SYS_sendto: return do_sendto(&o);
	case JT_SYS_sendmsg: return do_sendmsg(&o);
	case JT_SYS_sendmmsg: return do_sendmmsg(&o);
	}
	return -ENOSYS;
}
