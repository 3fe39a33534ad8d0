/* Path syscalls performed by the tracer in the view (fs.c), and the view's skeleton. */
#ifndef JT_TRACER_FS_H
#define JT_TRACER_FS_H

#include <limits.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "compat/regs.h"
#include "filters/decide.h"

struct jt_run;
struct jt_task;

struct jt_fs_result {
	struct jt_verdict verdict;
	long ret;		/* the call's result, when the tracer performed it */
	int inject_fd;		/* >= 0: a descriptor to hand over as the result */
	int cloexec;
	int to_kernel;		/* let the kernel run the call (rewritten, for an exec) */
	uint64_t exec_path, exec_argv;	/* an exec: the arguments to give the kernel */
	int exec_fd;			/* ... and the program's descriptor of it, or -1 */
	struct jt_regs_saved regs;	/* ... and the registers they go into */
	char path[PATH_MAX + 1];	/* the inside path resolved, for the log */
	char addr[96];		/* a network address as decided, for the log */
	int restart;		/* the program issues the call again (it would block) */
	int unrecorded;		/* no decision and no path: the stat of a descriptor the
				 * program holds (glibc's fstat), as unrecorded as the
				 * fstat the kernel answers itself (--audit full records it) */
	long rewrite_nr;	/* > 0: the kernel runs this call instead ... */
	uint64_t rewrite_args[6];	/* ... with these arguments */
	/* The path arguments as read to decide, whole (not cut): the record
	 * shows these rather than read the program's memory again, which
	 * costs a read per call and may show what another thread wrote since.
	 * read_str is last and left out of the per-call clearing (fs_stop). */
	uint64_t read_addr[2];	/* the address each was read at; 0: none */
	size_t read_len[2];
	char read_str[2][PATH_MAX + 1];
};

/**
 * The unix address @addr of a datagram, resolved in the view as connect's
 * (abstract names refused): @to gets "/proc/self/fd/N" of the checked
 * socket, which the tracer sends to. @return N (closed by the caller after
 * the send), or -1 with @res's verdict and ret the answer. @res's path is
 * the inside path, for the record.
 */
struct sockaddr_un;
int jt_fs_unix_dest(struct jt_run *run, struct jt_task *t, const void *addr, socklen_t len,
		    struct sockaddr_un *to, struct jt_fs_result *res);

/**
 * The tracer's own copy of the program's descriptor @fd (pidfd_getfd, or
 * /proc/TID/fd/N for files, or one fetched over the handover pair), so
 * another thread's dup2 cannot swap the object after the check.
 * @return the copy, -EBADF (no such descriptor), -EACCES (out of reach).
 * Without pidfd_getfd, a socket or an inotify descriptor not fetched yet is
 * -EACCES with t->fetch_want set: the caller's answer is then dropped, the
 * descriptor fetched and the call issued again (syscall.c, fs_stop).
 */
int jt_fs_fd_copy(struct jt_run *run, struct jt_task *t, int fd);
/** The text of the program's @fd's /proc link (a host path, "pipe:[N]"...)
 * into @out, NUL-terminated. @return its length, -EBADF (no such
 * descriptor), or another -errno (unreadable). */
ssize_t jt_fs_fd_link(struct jt_run *run, struct jt_task *t, int fd, char *out, size_t len);
struct stat;
/** Is @st jailtrace's own log, result directory or a directory above one (run.c's guards)? */
int jt_guarded(const struct jt_run *run, const struct stat *st);
/** The program's @fd as the very same open file description (for SCM_RIGHTS):
 * -EACCES with t->fetch_want set when it must be fetched first. */
int jt_fs_fd_same(struct jt_run *run, struct jt_task *t, int fd);

/**
 * At the exec event of a file the program wrote (JT_TASK_EXEC_MAPS): is
 * every file mapped in the new image the checked program or the loader
 * its check found? @return 1 yes, 0 no (@why says what), -errno unreadable.
 */
int jt_exec_maps_ok(const struct jt_task *t, char *why, size_t len);

/*
 * hostshare.c: what the sandbox shares with the host's processes.
 * Is the program's descriptor @fd a file host processes can reach (a path
 * outside every writable grant, still linked)? @rule is the grant's line.
 * @return 1 yes, 0 no (the jail, a pipe, a socket, a memfd), -EBADF.
 */
int jt_fd_host_file(const struct jt_run *run, pid_t tid, int fd, int *rule);
/** The open flags of the program's descriptor (its fdinfo), or -EBADF. */
int jt_fd_flags(pid_t tid, int fd);

/* inotify instances and watches a run may hold: at most these, and at most
 * a quarter of the host's per-user maximum (fs.inotify.max_user_*) */
#define JT_INOTIFY_INSTANCES 32
#define JT_PTYS 64	/* ptys a run holds: of kernel.pty.max, one pool for the host */
#define JT_INOTIFY_WATCHES 8192
unsigned jt_inotify_instance_cap(void);
unsigned jt_pty_cap(void);
unsigned jt_inotify_watch_cap(void);
/* epoll watches (fs.epoll.max_user_watches, per user): the same rule */
#define JT_EPOLL_WATCHES 65536
unsigned jt_epoll_watch_cap(void);
/**
 * Live instances of the run whose descriptors read @kind in /proc
 * ("anon_inode:inotify", "anon_inode:[eventpoll]"), each counted once,
 * and their watches: the lines of their fdinfo that start with @tag.
 */
void jt_anon_count(const struct jt_run *run, const char *kind, const char *tag,
		   unsigned *instances, unsigned long *watches);

/*
 * skeleton.c: real, read-only directories that stand for the synthetic
 * ones, and the passwd, group and hosts files the program is shown (their
 * grants go into @etc). After the view holds every other mount.
 */
int jt_skeleton_build(struct jt_run *run, struct jt_policy *etc, char *err, size_t errlen);
void jt_skeleton_remove(struct jt_run *run);
/** Where the kept skeletons are (the directory), or -errno: none are kept. */
int jt_skeleton_base(char *base, size_t len);
/** Remove every kept skeleton no run holds. @return how many are left. */
int jt_skeleton_wipe(void);
int jt_skeleton_open(struct jt_run *run, const char *inside);
int jt_skeleton_inside(struct jt_run *run, const char *host, char *out, size_t len);
/** An O_PATH descriptor of what /proc lists: its grants, self, thread-self
 * and the sandbox's own processes, brought up to date now; or -errno. */
int jt_proc_listing_open(struct jt_run *run);

#endif
