/*
 * The calls the tracer performs, one row each: how its arguments are read
 * and which performer takes them (fs.c, exec.c, net.c), and what a
 * transport must know of it. Adding a call is one row here and, if no
 * performer fits, one function. tests/unit/test_abi.c walks this table
 * against the checks of filters/checks.c, and the notified calls against
 * the filter's (filters/seccomp.c).
 *
 * Flags of a row:
 *   FD      its result may be a new descriptor, handed over (inject.c, or
 *           SECCOMP_IOCTL_NOTIF_ADDFD on the notification path)
 *   I386    the performer knows the call's i386 layouts (compat/layout.c);
 *           an i386 call without it is refused (ENOSYS) rather than read
 *           with the 64-bit layout
 *   NOTIFY  a user notification may carry it (jt_seccomp_notified)
 *   NET     performed without a view too (the network); the others only
 *           under one
 * A row may also name which of its calls are performed (fcntl: locks,
 * leases and dnotify; epoll_ctl: an added watch); the rest are the kernel's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include "filters/decide.h"
#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000
#define AT_STATX_DONT_SYNC 0x4000
#endif
#include "tracer/calls.h"
#include "tracer/internal.h"
#include "tracer/op.h"

#define FD JT_CALL_FD
#define I386 JT_CALL_I386
#define NOTIFY JT_CALL_NOTIFY
#define NET JT_CALL_NET

static int epoll_add(const struct jt_request *rq)
{
	return (int)rq->args[1] == EPOLL_CTL_ADD;
}

/* Flags and modes the kernel refuses (EINVAL) before it looks at a path:
 * refused here too, never performed with the bits a performer does not read
 * (unlinkat(fd, "f", 0x1) unlinked f). */
#define BAD(v, ok) (((unsigned)(v) & ~(unsigned)(ok)) != 0)
#define EINVAL_IF(cond, call) ((cond) ? jt_op_result(op, -EINVAL) : (call))
#define STATX_SYNC (AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC)
/* newfstatat takes statx's sync bits too, both at once (4.11+: vfs_statx;
 * before, the kernel's own fstatat, which the performer passes them to) */
#define STAT_OK (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | STATX_SYNC)
#define META_OK (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
#define ACCESS_OK (AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
/* mknod: a type the kernel knows (a directory is EPERM, as it says) */
#define MKNOD_BAD(m) ({ unsigned _t = (unsigned)(m) & S_IFMT; _t && _t != S_IFREG && _t != S_IFCHR && \
	_t != S_IFBLK && _t != S_IFIFO && _t != S_IFSOCK && _t != S_IFDIR; })

/* X(name, flags, which calls (NULL: all), performer call) */
#define CALLS(X) \
	X(open, FD | I386 | NOTIFY, NULL, jt_fs_open(op, AT_FDCWD, A(0), (int)A(1), (mode_t)A(2))) \
	X(openat, FD | I386 | NOTIFY, NULL, jt_fs_open(op, (int)A(0), A(1), (int)A(2), (mode_t)A(3))) \
	X(creat, FD | I386 | NOTIFY, NULL, jt_fs_open(op, AT_FDCWD, A(0), O_CREAT | O_WRONLY | O_TRUNC, (mode_t)A(1))) \
	X(memfd_create, FD, NULL, jt_fs_memfd(op, A(0), (unsigned)A(1))) \
	X(stat, NOTIFY, NULL, jt_fs_stat(op, AT_FDCWD, A(0), 0, A(1), -1)) \
	X(lstat, NOTIFY, NULL, jt_fs_stat(op, AT_FDCWD, A(0), AT_SYMLINK_NOFOLLOW, A(1), -1)) \
	X(newfstatat, NOTIFY, NULL, EINVAL_IF(BAD(A(3), STAT_OK), \
	  jt_fs_stat(op, (int)A(0), A(1), (int)A(3), A(2), -1))) \
	X(statx, I386 | NOTIFY, NULL, EINVAL_IF(BAD(A(2), STAT_OK) || \
	  ((unsigned)A(2) & STATX_SYNC) == STATX_SYNC || ((unsigned)A(3) & 0x80000000u), \
	  jt_fs_stat(op, (int)A(0), A(1), (int)A(2), A(4), (int)(A(3) & 0x7fffffff)))) \
	X(stat64, I386, NULL, jt_fs_stat(op, AT_FDCWD, A(0), 0, A(1), -1)) \
	X(lstat64, I386, NULL, jt_fs_stat(op, AT_FDCWD, A(0), AT_SYMLINK_NOFOLLOW, A(1), -1)) \
	X(fstatat64, I386, NULL, EINVAL_IF(BAD(A(3), STAT_OK), \
	  jt_fs_stat(op, (int)A(0), A(1), (int)A(3), A(2), -1))) \
	X(access, I386 | NOTIFY, NULL, EINVAL_IF(BAD(A(1), 7), jt_fs_access(op, AT_FDCWD, A(0), (int)A(1), 0))) \
	X(faccessat, I386 | NOTIFY, NULL, EINVAL_IF(BAD(A(2), 7), \
	  jt_fs_access(op, (int)A(0), A(1), (int)A(2), 0))) \
	X(faccessat2, I386 | NOTIFY, NULL, EINVAL_IF(BAD(A(2), 7) || BAD(A(3), ACCESS_OK), \
	  jt_fs_access(op, (int)A(0), A(1), (int)A(2), (int)A(3)))) \
	/* a size the kernel reads as an int: not above INT_MAX */ \
	X(readlink, I386 | NOTIFY, NULL, EINVAL_IF((int)A(2) <= 0, \
	  jt_fs_readlink(op, AT_FDCWD, A(0), A(1), (size_t)A(2)))) \
	X(readlinkat, I386 | NOTIFY, NULL, EINVAL_IF((int)A(3) <= 0, \
	  jt_fs_readlink(op, (int)A(0), A(1), A(2), (size_t)A(3)))) \
	X(getcwd, I386, NULL, jt_fs_getcwd(op, A(0), (size_t)A(1))) \
	X(chdir, I386, NULL, jt_fs_chdir(op, A(0))) \
	X(fchdir, I386, NULL, jt_fs_fchdir(op, (int)A(0))) \
	X(mkdir, I386, NULL, jt_fs_create(op, AT_FDCWD, A(0), 'd', (mode_t)A(1), 0)) \
	X(mkdirat, I386, NULL, jt_fs_create(op, (int)A(0), A(1), 'd', (mode_t)A(2), 0)) \
	X(mknod, I386, NULL, EINVAL_IF(MKNOD_BAD(A(1)), jt_fs_create(op, AT_FDCWD, A(0), 'n', (mode_t)A(1), 0))) \
	X(mknodat, I386, NULL, EINVAL_IF(MKNOD_BAD(A(2)), \
	  jt_fs_create(op, (int)A(0), A(1), 'n', (mode_t)A(2), 0))) \
	X(symlink, I386, NULL, jt_fs_create(op, AT_FDCWD, A(1), 's', 0, A(0))) \
	X(symlinkat, I386, NULL, jt_fs_create(op, (int)A(1), A(2), 's', 0, A(0))) \
	X(unlink, I386, NULL, jt_fs_unlink(op, AT_FDCWD, A(0), 0)) \
	X(unlinkat, I386, NULL, EINVAL_IF(BAD(A(2), AT_REMOVEDIR), jt_fs_unlink(op, (int)A(0), A(1), (int)A(2)))) \
	X(rmdir, I386, NULL, jt_fs_unlink(op, AT_FDCWD, A(0), AT_REMOVEDIR)) \
	X(rename, I386, NULL, jt_fs_rename(op, AT_FDCWD, A(0), AT_FDCWD, A(1), 0)) \
	X(renameat, I386, NULL, jt_fs_rename(op, (int)A(0), A(1), (int)A(2), A(3), 0)) \
	X(renameat2, I386, NULL, jt_fs_rename(op, (int)A(0), A(1), (int)A(2), A(3), (unsigned)A(4))) \
	X(link, I386, NULL, jt_fs_link(op, AT_FDCWD, A(0), AT_FDCWD, A(1), 0)) \
	X(linkat, I386, NULL, EINVAL_IF(BAD(A(4), AT_SYMLINK_FOLLOW | AT_EMPTY_PATH), \
	  jt_fs_link(op, (int)A(0), A(1), (int)A(2), A(3), (int)A(4)))) \
	X(chmod, I386, NULL, jt_fs_meta(op, AT_FDCWD, A(0), 0, 'm')) \
	X(fchmodat, I386, NULL, jt_fs_meta(op, (int)A(0), A(1), 0, 'm')) \
	X(fchmodat2, I386, NULL, EINVAL_IF(BAD(A(3), META_OK), \
	  jt_fs_meta(op, (int)A(0), A(1), (A(3) & AT_SYMLINK_NOFOLLOW) != 0, 'm'))) \
	X(chown, 0, NULL, jt_fs_meta(op, AT_FDCWD, A(0), 0, 'o')) \
	X(lchown, 0, NULL, jt_fs_meta(op, AT_FDCWD, A(0), 1, 'o')) \
	X(chown32, I386, NULL, jt_fs_meta(op, AT_FDCWD, A(0), 0, 'o')) \
	X(lchown32, I386, NULL, jt_fs_meta(op, AT_FDCWD, A(0), 1, 'o')) \
	X(fchownat, I386, NULL, EINVAL_IF(BAD(A(4), META_OK), \
	  jt_fs_meta(op, (int)A(0), A(1), (A(4) & AT_SYMLINK_NOFOLLOW) != 0, 'o'))) \
	X(truncate, I386, NULL, jt_fs_meta(op, AT_FDCWD, A(0), 0, 't')) \
	X(truncate64, I386, NULL, jt_fs_meta(op, AT_FDCWD, A(0), 0, 't')) \
	/* older layouts of times: utime(NULL) is utimensat(NULL), any other is refused */ \
	X(utime, I386, NULL, A(1) ? jt_op_result(op, -ENOSYS) : jt_fs_meta(op, AT_FDCWD, A(0), 0, 'u')) \
	X(utimes, I386, NULL, A(1) ? jt_op_result(op, -ENOSYS) : jt_fs_meta(op, AT_FDCWD, A(0), 0, 'u')) \
	/* utimensat(fd, NULL, ...) is futimens: a descriptor */ \
	X(utimensat, I386, NULL, jt_fs_utimensat(op)) \
	X(utimensat_time64, I386, NULL, jt_fs_utimensat(op)) \
	X(statfs, 0, NULL, jt_fs_meta(op, AT_FDCWD, A(0), 0, 'f')) \
	X(statfs64, I386, NULL, jt_fs_meta(op, AT_FDCWD, A(0), 0, 'f')) \
	X(fchmod, I386, NULL, jt_fs_fdmeta(op, (int)A(0), 'm')) \
	X(fchown, 0, NULL, jt_fs_fdmeta(op, (int)A(0), 'o')) \
	X(fchown32, I386, NULL, jt_fs_fdmeta(op, (int)A(0), 'o')) \
	X(fsetxattr, I386, NULL, jt_fs_fdmeta(op, (int)A(0), 'x')) \
	X(fremovexattr, I386, NULL, jt_fs_fdmeta(op, (int)A(0), 'r')) \
	X(getxattr, I386, NULL, jt_fs_xattr(op, A(0), 0, 'g')) \
	X(lgetxattr, I386, NULL, jt_fs_xattr(op, A(0), 1, 'g')) \
	X(setxattr, I386, NULL, jt_fs_xattr(op, A(0), 0, 's')) \
	X(lsetxattr, I386, NULL, jt_fs_xattr(op, A(0), 1, 's')) \
	X(listxattr, I386, NULL, jt_fs_xattr(op, A(0), 0, 'l')) \
	X(llistxattr, I386, NULL, jt_fs_xattr(op, A(0), 1, 'l')) \
	X(removexattr, I386, NULL, jt_fs_xattr(op, A(0), 0, 'r')) \
	X(lremovexattr, I386, NULL, jt_fs_xattr(op, A(0), 1, 'r')) \
	X(inotify_add_watch, I386, NULL, jt_fs_inotify(op, (int)A(0), A(1), (uint32_t)A(2))) \
	X(inotify_init, I386, NULL, jt_fs_inotify_init(op)) \
	X(inotify_init1, I386, NULL, jt_fs_inotify_init(op)) \
	X(flock, I386, NULL, jt_fs_flock(op, (int)A(0), (int)A(1))) \
	X(fcntl, I386, jt_fs_lock_cmd, jt_fs_fcntl(op, (int)A(0), (int)A(1), A(2))) \
	X(fcntl64, I386, jt_fs_lock_cmd, jt_fs_fcntl(op, (int)A(0), (int)A(1), A(2))) \
	X(epoll_ctl, I386, epoll_add, jt_fs_epoll_add(op)) \
	X(getsockname, I386, NULL, jt_fs_sockname(op, (int)A(0), A(1), A(2), 0)) \
	X(getpeername, I386, NULL, jt_fs_sockname(op, (int)A(0), A(1), A(2), 1)) \
	X(execve, FD | I386, NULL, jt_exec(op, AT_FDCWD, A(0), A(1), 0)) \
	X(execveat, FD | I386, NULL, EINVAL_IF(BAD(A(4), AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW), \
	  jt_exec(op, (int)A(0), A(1), A(2), (int)A(4)))) \
	/* every socket family, one route: net.c reads the address, a unix one \
	 * under a view is fs.c's to resolve */ \
	X(connect, NET | I386, NULL, jt_net_connect(op, 0)) \
	X(bind, NET | I386, NULL, jt_net_connect(op, 1)) \
	X(listen, NET | I386, NULL, jt_net_listen(op)) \
	X(sendto, NET | I386, NULL, jt_net_send(op)) \
	X(sendmsg, NET | I386, NULL, jt_net_send(op)) \
	X(sendmmsg, NET | I386, NULL, jt_net_send(op))

#define PERFORMER(name, flags, which, call) \
	static int perform_##name(struct jt_op *op) { return call; }
CALLS(PERFORMER)

#define ROW(name, flags, which, call) [JT_SYS_##name] = { perform_##name, which, flags },
static const struct jt_call table[JT_SYS_COUNT] = { CALLS(ROW) };

const struct jt_call *jt_call_of(int sys)
{
	return sys >= 0 && sys < JT_SYS_COUNT && table[sys].perform ? &table[sys] : NULL;
}

int jt_call_performs(const struct jt_run *run, const struct jt_request *rq)
{
	const struct jt_call *c = rq->abi ? jt_call_of(rq->sys) : NULL;

	if (!c || run->policy->action[rq->sys] != JT_ALLOW || run->policy->abi_refused[rq->abi->id])
		return 0;
	if (!(c->flags & JT_CALL_NET) && !run->use_view)
		return 0;
	return !c->which || c->which(rq);
}

int jt_call(struct jt_run *run, struct jt_task *t, const struct jt_request *rq,
	    struct jt_fs_result *res)
{
	const struct jt_call *c = jt_call_of(rq->sys);
	struct jt_op *op;
	int r;

	if (!c)
		return -ENOSYS;
	if (!(op = calloc(1, sizeof(*op))))
		return -ENOMEM;
	op->run = run;
	op->t = t;
	op->rq = rq;
	op->res = res;
	op->inject_fd = -1;
	op->exec_fd = -1;
	op->w[0].dirfd = op->w[0].fd = op->w[1].dirfd = op->w[1].fd = -1;
	op->facts.rule = -1;
	r = c->perform(op);
	if (r == 0 && (c->flags & JT_CALL_NET)) {
		/* net.c answers in res (and a unix address in the view in op too) */
		op->v = res->verdict;
		op->ret = res->ret;
	}
	if (r == 0) {
		res->verdict = op->v;
		res->ret = op->ret;
		res->inject_fd = op->inject_fd;
		res->cloexec = op->cloexec;
		res->to_kernel = op->to_kernel;
		res->exec_path = op->exec_path;
		res->exec_argv = op->exec_argv;
		res->exec_fd = op->exec_fd;
		res->regs = op->regs;
		/* (a datagram's unix address is named by net.c, in res) */
		if (!(c->flags & JT_CALL_NET) || op->w[0].inside || op->path[0][0])
			snprintf(res->path, sizeof(res->path), "%s",
				 op->w[0].inside ? op->w[0].inside : op->path[0]);
	} else if (op->inject_fd >= 0) {
		close(op->inject_fd);
	}
	jt_walk_done(&op->w[0]);
	jt_walk_done(&op->w[1]);
	free(op);
	return r;
}
