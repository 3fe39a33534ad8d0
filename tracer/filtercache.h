/* Compiled seccomp programs kept between runs, per user (filtercache.c). */
#ifndef JT_TRACER_FILTERCACHE_H
#define JT_TRACER_FILTERCACHE_H

#include <stddef.h>
#include <linux/filter.h>

struct jt_run;

/**
 * May this run use the cache? Not when the program could write into it: a
 * writable grant or the jail at or above the cache directory.
 */
int jt_filtercache_safe(const struct jt_run *run);

/** The same question for any directory jailtrace keeps between runs. */
int jt_cache_dir_safe(const struct jt_run *run, const char *dir);
/**
 * Does the way to @path (its directories; with @leaf its last name too)
 * pass through a symbolic link that a writable grant or the jail holds,
 * one a program of an earlier run may have made? @return 1 and the link's
 * path in @link, else 0.
 */
int jt_way_through_program_link(const struct jt_run *run, const char *path, int leaf,
				char *link, size_t len);

/** The program cached under @key (from jt_seccomp_key). @return 0 (free prog->filter) or -errno. */
int jt_filtercache_get(const unsigned char key[32], struct sock_fprog *prog);

/**
 * Keep @prog under @key; a failure only means the next run builds it again.
 * The JT_FILTER_KEEP most recently used programs are kept, no more.
 */
void jt_filtercache_put(const unsigned char key[32], const struct sock_fprog *prog);

#define JT_FILTER_KEEP 64	/* compiled programs kept per user */

/*
 * (cachemark.c) A run whose writable grants or jail hold a cache (the compiled programs,
 * the view's skeletons) neither reads nor writes it, but its program can:
 * it could plant a program that allows everything for the next run. So
 * before its program starts such a run marks each cache it reaches
 * untrusted, in a file out of its program's reach (/dev/shm,
 * $XDG_RUNTIME_DIR or $TMPDIR: jailtrace-taint-UID-HASH, HASH of the cache's
 * directory), share-locked while it lasts. No run uses a cache while its
 * mark is locked; the last marking run to end, or the first run after one
 * that died, empties it and removes the mark.
 */

/** Mark the caches if this run's program could write them. @return 0, or -errno: no place to mark. */
int jt_cache_taint(struct jt_run *run);

/** At the end of a marking run: empty the caches and unmark, unless another marking run goes on. */
void jt_cache_untaint(struct jt_run *run);

enum { JT_CACHE_FILTERS, JT_CACHE_SKELETONS, JT_CACHES };

/** May cache @c be used now? Empties it after marking runs that died. */
int jt_cache_trusted(int c);

/* (cachemark.c) The directory of the compiled programs. @return 0 or -errno. */
int jt_filtercache_dir(char *out, size_t len);
/* Remove @path if it is a temporary file of a writer that died (".PID.KEY.bpf"). */
void jt_filtercache_unlink_stale(const char *path);

#include <time.h>

/* An entry of a cache directory: KEY (64 hex digits) and when it was last used. */
struct jt_cache_entry {
	char name[65];
	struct timespec used;
};

/**
 * The entries of directory @base named KEY@suffix (their modification time
 * is their last use), least recently used first, in *@out (free it).
 * Entries named @tmp_prefix... older than a minute are leftovers of a run
 * that died while making one: @stale (a path) removes them.
 * @return how many, or -errno.
 */
long jt_cache_by_age(const char *base, const char *suffix, const char *tmp_prefix,
		     void (*stale)(const char *path), struct jt_cache_entry **out);

#endif
