/*
 * Path resolution in the view: where a path is resolved.
 *
 * The tracer walks a path one component at a time on its own descriptors
 * (openat with O_PATH|O_NOFOLLOW), interprets every symbolic link inside
 * the view (an absolute target starts again at the view's root, never the
 * host's), clamps ".." at "/", and answers with the parent directory as a
 * descriptor plus the last name. The operation is then done on that
 * descriptor with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so no string is ever
 * resolved twice: a program that swaps a directory for a symbolic link
 * between two steps only changes which object inside the view it gets.
 */
#ifndef JT_TRACER_PATH_H
#define JT_TRACER_PATH_H

#include <sys/stat.h>
#include "tracer/view.h"

enum {
	JT_WALK_NOFOLLOW = 1 << 0,	/* do not follow a link in the last component */
	JT_WALK_CREATE = 1 << 1,	/* the last component need not exist */
};

#define JT_WALK_MAX_LINKS 40	/* as the kernel's MAXSYMLINKS */
#define JT_WALK_MAX_PATH (1 << 16)	/* inside paths longer than PATH_MAX, up to this */

/* Who is asking: for /proc/self and which /proc/PID exist. NULL: no /proc. */
struct jt_walk_ctx {
	pid_t tgid, tid;
	int (*inside)(void *arg, pid_t pid);	/* is @pid a process of the sandbox? */
	void *arg;
	const char *skeleton;	/* host directory standing for synthetic ones */
	const char *(*cwd_of)(void *arg, pid_t pid);	/* the inside cwd of a process */
	/* openat2 may resolve the directories before the last name in one
	 * call (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, 5.6+), where the walk
	 * would take each in turn: the same result, or the walk takes over */
	int beneath;
	/* the sandbox's own ptys (ptys.c): an O_PATH descriptor of the slave
	 * of pty @index, or of @tid's controlling terminal, when it is one of
	 * them; else -1. NULL: no /dev/pts/N, no /dev/tty */
	int (*pty)(void *arg, unsigned index);
	int (*ctty)(void *arg, pid_t tid);
};

/**
 * The inside text of a link under /proc/PID (@dir is its inside directory,
 * "/proc/PID" or below): host paths read back through the view, "root" is
 * "/", "cwd" the cwd the tracer keeps; "pipe:[...]" and the like as they are.
 * @return 0, or -ENOENT when it leads out of the view.
 */
/** The text of /proc's own link @name (self, thread-self, net, mounts) for
 * the thread @tid of @tgid; -ENOENT: not one of them. */
int jt_proc_link_text(const char *name, pid_t tgid, pid_t tid, char *out, size_t len);
int jt_proc_link_inside(const struct jt_view *v, const struct jt_walk_ctx *ctx,
			const char *dir, const char *name, const char *text, char *out, size_t len);
/* Is the /proc link @name in @dirfd, whose text is @text, a memfd (no host path)? */
int jt_proc_is_memfd(int dirfd, const char *name, const char *text);

struct jt_walk {
	const struct jt_mount *mount;	/* the grant holding the result; NULL: synthetic */
	int dirfd;		/* O_PATH descriptor of the parent directory; -1 if none */
	int dirfd_borrowed;	/* dirfd is its grant's own (not closed by jt_walk_done); 0: owned */
	int fd;			/* for a mount root or a single-file grant: its descriptor (not owned); else -1 */
	char *name;		/* the last component; "" for a mount root or a synthetic directory */
	char *inside;		/* the canonical inside path of the result */
	int exists;		/* the last component is there */
	int is_link;		/* it is a symbolic link (only with JT_WALK_NOFOLLOW) */
	int is_dir;		/* it is a directory (synthetic, mount root, or found) */
	mode_t mode;		/* its st_mode when the walk looked at it; 0: not looked at */
	struct stat st;		/* with mode: what that look (an lstat) found */
	int denied;		/* on ENOENT: the path leaves the view (not merely missing) */
	int fd_owned;		/* fd is the walk's own (closed by jt_walk_done); 0: not */
};

/**
 * Resolve @path against the inside directory @base (for relative paths).
 * @return 0 and @w filled (free with jt_walk_done), or -errno: ENOENT
 * (missing, or not in the view), ENOTDIR, ELOOP, ENAMETOOLONG, EACCES.
 */
int jt_walk(const struct jt_view *v, const char *base, const char *path, unsigned flags,
	    struct jt_walk *w);
/** The same, with /proc: /proc/self, /proc/PID of the sandbox, links read inside the view. */
int jt_walk_ctx(const struct jt_view *v, const struct jt_walk_ctx *ctx, const char *base,
		const char *path, unsigned flags, struct jt_walk *w);
void jt_walk_done(struct jt_walk *w);

struct jt_run;
/**
 * procfs.c: an open of /proc/PID/{net/FILE,mountinfo,mounts,mountstats,maps,
 * smaps,numa_maps} (and under task/TID), answered for the sandbox.
 * @return 1 with *@fd a read-only descriptor of the answer (or -errno), 0
 * when @w is none of them.
 */
int jt_procfs_open(const struct jt_run *run, const struct jt_walk *w, int flags, int *fd);
/** Is @inside /proc/PID/net (or /proc/PID/task/TID/net)? Its subdirectories are hidden. */
int jt_procfs_net_dir(const char *inside);

#endif
