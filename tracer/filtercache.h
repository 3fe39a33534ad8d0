/* Compiled seccomp programs kept between runs, per user (filtercache.c). */
#ifndef JT_TRACER_FILTERCACHE_H
#define JT_TRACER_FILTERCACHE_H

#include <linux/filter.h>

struct jt_run;

/**
 * May this run use the cache? Not when the program could write into it: a
 * writable grant or the jail at or above the cache directory.
 */
int jt_filtercache_safe(const struct jt_run *run);

/** The same question for any directory jailtrace keeps between runs. */
int jt_cache_dir_safe(const struct jt_run *run, const char *dir);

/** The program cached under @key (from jt_seccomp_key). @return 0 (free prog->filter) or -errno. */
int jt_filtercache_get(const unsigned char key[32], struct sock_fprog *prog);

/** Keep @prog under @key; a failure only means the next run builds it again. */
void jt_filtercache_put(const unsigned char key[32], const struct sock_fprog *prog);

#endif
