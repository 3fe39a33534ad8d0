/*
 * The file-system view: what the program sees at which inside path. Each
 * grant of the policy becomes a mount: an inside path and a descriptor of
 * the host object, opened once at the start. Paths that lead to mounts
 * ("/", "/home" when "/home/ann" is a mount) are synthetic, read-only
 * directories; everything else does not exist.
 */
#ifndef JT_TRACER_VIEW_H
#define JT_TRACER_VIEW_H

#include <stddef.h>
#include <sys/types.h>
#include "filters/policy.h"

enum {
	JT_MNT_RW = 1 << 0,	/* the program may change what is below */
	JT_MNT_DIR = 1 << 1,	/* a directory, not a single file */
	JT_MNT_LINK = 1 << 2,	/* the host path is a symbolic link: shown as one (link) */
	JT_MNT_PROC = 1 << 3,	/* /proc/PID of a sandboxed process: links read back inside */
	JT_MNT_LAZY = 1 << 4,	/* a fresh jail's directory: made at its first use */
	JT_MNT_JAIL = 1 << 5,	/* the jail's: reached as its user (jt_view_as) */
};

struct jt_mount {
	char *inside;
	size_t len;		/* strlen(inside) */
	char *host;
	int fd;			/* O_PATH descriptor of the host object; -1 for a link */
	char *link;		/* JT_MNT_LINK: the link's text, read back inside the view */
	unsigned flags;
	int rule;		/* the policy line that granted it */
};

struct jt_view {
	struct jt_mount *m;
	size_t n;
};

/**
 * Two file-system identities for the tracer (root's program as the sandbox
 * user): the jail's mounts are reached as @jail_uid, every other as
 * @host_uid. On: the host's now, switched by jt_view_as. Off: the host's;
 * a jail directory made meanwhile is given to @jail_uid.
 */
void jt_view_ids(int on, uid_t host_uid, gid_t host_gid, uid_t jail_uid, gid_t jail_gid);
/** The run is over: forget the identities and the jail's descriptor. */
void jt_view_ids_done(void);
/** Work as @m's identity from now on (NULL: unchanged). */
void jt_view_as(const struct jt_mount *m);
/**
 * Are @a and @b reached as two users (the jail's and a grant's, in a root
 * run)? Then no one identity can rename or hard-link between them: to the
 * program they are two file systems (EXDEV). NULL (synthetic): no.
 */
int jt_view_apart(const struct jt_mount *a, const struct jt_mount *b);
/** Work as the jail's identity: for what the program makes that no grant
 * holds, and its /proc/TID. @return what it was, for jt_view_as_back. */
int jt_view_as_jail(void);
void jt_view_as_back(int was);
/** The jail @path opened for reading by the descriptor kept of it (its user
 * may not walk the path to it), or -1 with errno. */
int jt_view_jail_dir(const char *path);
/** Mark the mounts whose host path is @jail or below it JT_MNT_JAIL. */
void jt_view_mark_jail(struct jt_view *v, const char *jail);

/**
 * Open every grant of @p. A later grant of the same inside path replaces
 * an earlier one. A host path that does not exist is skipped when
 * @skip_missing (the built-in grants name what many hosts lack), else an error.
 * @return 0, or -errno with a message in @err.
 */
int jt_view_build(struct jt_view *v, const struct jt_policy *p, int skip_missing,
		  char *err, size_t errlen);
/** Add @p's grants to a view already built. Same rules as jt_view_build. */
int jt_view_add(struct jt_view *v, const struct jt_policy *p, int skip_missing,
		char *err, size_t errlen);
/**
 * Add a writable directory @host that does not exist yet: made 0700 (with
 * the tracer's file-system identity, so the program's) when a walk first
 * reaches it. A fresh jail's /tmp, home and /dev/shm, which most short
 * runs never touch: each made and removed costs a disk inode.
 */
int jt_view_add_lazy(struct jt_view *v, const char *host, const char *inside);
/** The mount's descriptor, its directory made first if it is lazy; -1 for a link. */
int jt_mount_fd(const struct jt_mount *m);
void jt_view_free(struct jt_view *v);

/** The mount at exactly @inside (@len bytes), or NULL. */
const struct jt_mount *jt_view_mount(const struct jt_view *v, const char *inside, size_t len);

/** Is @inside a synthetic directory: a proper ancestor of some mount? */
int jt_view_is_ancestor(const struct jt_view *v, const char *inside, size_t len);

/**
 * The inside path of host path @host: the longest mount whose host path is
 * a prefix, read back through it. @return the length written, or -ENOENT
 * when no mount holds it, -ENAMETOOLONG when @out is too small.
 */
int jt_view_inside_of(const struct jt_view *v, const char *host, char *out, size_t outlen);

#endif
