/*
 * One call the tracer performs, as its performers see it (tracer/calls.c
 * picks the performer; fs.c, exec.c and net.c hold them). A performer reads
 * the call's arguments, resolves and decides (filters/), performs, and
 * leaves the answer here: the verdict, the result or a descriptor to hand
 * over. It never applies it: the transport does (syscall.c, notify.c).
 */
#ifndef JT_TRACER_OP_H
#define JT_TRACER_OP_H

#include <limits.h>
#include <stdint.h>
#include "compat/regs.h"
#include "filters/decide.h"
#include "tracer/fs.h"
#include "tracer/path.h"

struct jt_op {
	struct jt_run *run;
	struct jt_task *t;
	const struct jt_request *rq;
	char path[2][PATH_MAX + 1];
	struct jt_walk w[2];
	struct jt_path_facts facts;
	struct jt_verdict v;
	long ret;		/* the result of the performed call */
	int inject_fd;		/* >= 0: hand it to the program as the result */
	int cloexec;
	int to_kernel;		/* the kernel runs it: no path after all, or an exec */
	uint64_t exec_path, exec_argv;	/* an exec: its rewritten arguments */
	int exec_fd;			/* ... the program's descriptor of its file, or -1 */
	struct jt_regs_saved regs;
	struct jt_fs_result *res;	/* what network performers write (net.c) */
};

/* The call's argument @i, as the kernel gave it. */
#define A(i) (op->rq->args[i])

/* fs.c: what every path performer does, for exec.c too */
int jt_op_result(struct jt_op *op, long r);
int jt_op_read_path(struct jt_op *op, int which, uint64_t addr);
int jt_op_walk(struct jt_op *op, int which, int dirfd, unsigned flags);
int jt_op_decide(struct jt_op *op, enum jt_path_access a);
int jt_op_walk_failed(struct jt_op *op, int which, int r);
int jt_op_object(struct jt_op *op, int which, int links);
int jt_op_fd_copy(struct jt_op *op, int fd);
const struct jt_walk_ctx *jt_op_ctx(struct jt_op *op);
void jt_op_proc_fd(char *buf, size_t len, int fd);

/* The performers (one function per call or family; calls.c decodes the
 * arguments of each call and picks one). */
int jt_fs_open(struct jt_op *op, int dirfd, uint64_t path, int flags, mode_t mode);
int jt_fs_memfd(struct jt_op *op, uint64_t name, unsigned flags);
int jt_fs_stat(struct jt_op *op, int dirfd, uint64_t path, int flags, uint64_t buf, int statx_mask);
int jt_fs_access(struct jt_op *op, int dirfd, uint64_t path, int mode, int flags);
int jt_fs_readlink(struct jt_op *op, int dirfd, uint64_t path, uint64_t buf, size_t size);
int jt_fs_getcwd(struct jt_op *op, uint64_t buf, size_t size);
int jt_fs_chdir(struct jt_op *op, uint64_t path);
int jt_fs_fchdir(struct jt_op *op, int fd);
int jt_fs_create(struct jt_op *op, int dirfd, uint64_t path, int kind, mode_t mode, uint64_t target);
int jt_fs_unlink(struct jt_op *op, int dirfd, uint64_t path, int flags);
int jt_fs_rename(struct jt_op *op, int olddir, uint64_t oldpath, int newdir, uint64_t newpath,
		 unsigned flags);
int jt_fs_link(struct jt_op *op, int olddir, uint64_t oldpath, int newdir, uint64_t newpath,
	       int flags);
int jt_fs_meta(struct jt_op *op, int dirfd, uint64_t path, int nofollow, char what);
int jt_fs_utimensat(struct jt_op *op);
int jt_fs_fdmeta(struct jt_op *op, int fd, char what);
int jt_fs_xattr(struct jt_op *op, uint64_t path, int nofollow, char what);
int jt_fs_inotify(struct jt_op *op, int fd, uint64_t path, uint32_t mask);
int jt_fs_inotify_init(struct jt_op *op);
int jt_fs_epoll_add(struct jt_op *op);
int jt_fs_flock(struct jt_op *op, int fd, int how);
int jt_fs_fcntl(struct jt_op *op, int fd, int cmd, uint64_t arg);
int jt_fs_sockname(struct jt_op *op, int fd, uint64_t addr, uint64_t lenp, int peer);
/* connect and bind of a unix address under the view (net.c reads it) */
struct sockaddr_un;
int jt_fs_unix_sock(struct jt_op *op, int fd, const struct sockaddr_un *sa, socklen_t len,
		    int is_bind);
/* fcntl's commands fs.c performs (locks, leases, dnotify): the rest are the kernel's */
int jt_fs_lock_cmd(const struct jt_request *rq);
/* exec.c */
int jt_exec(struct jt_op *op, int dirfd, uint64_t path, uint64_t argv, int at_flags);
/* net.c: connect, bind, listen and the sends, on every socket family */
int jt_net_connect(struct jt_op *op, int is_bind);
int jt_net_listen(struct jt_op *op);
int jt_net_send(struct jt_op *op);

#endif
