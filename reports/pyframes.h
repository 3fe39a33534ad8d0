/*
 * Python frames of a stopped thread of CPython 3.11, read from outside the
 * process (reports/pyframes.c), for the stacks in the log.
 */
#ifndef JT_REPORTS_PYFRAMES_H
#define JT_REPORTS_PYFRAMES_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#define JT_PY_DEPTH 32		/* frames kept */
#define JT_PY_FRAME 200		/* bytes of one frame's text */

/** Read @len bytes of the tracee at @addr into @out. @return 0 or -1. */
typedef int (*jt_py_read)(void *arg, uint64_t addr, void *out, size_t len);

/** Is @py_version (the interpreter's Py_Version) one whose layout is known? */
int jt_py_version_ok(uint64_t py_version);

/**
 * The line of code unit @lasti from a 3.11 location table @t of @n bytes
 * (co_linetable) of a code object starting at line @first. -1 when the
 * table gives none.
 */
int jt_py_line(const uint8_t *t, size_t n, int first, int lasti);

/**
 * Fill @out with up to @max frames ("file:line in function", innermost
 * first) of thread @tid, from the interpreter's _PyRuntime at @runtime.
 * @return the number of frames (0 when the thread runs no Python code).
 */
int jt_py_frames(jt_py_read rd, void *arg, uint64_t runtime, pid_t tid,
		 char (*out)[JT_PY_FRAME], int max);

#endif
