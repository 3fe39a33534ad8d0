/*
 * The Python frames of a stopped thread, read from outside the process as
 * py-spy does: from CPython's _PyRuntime (found in the ELF symbols of the
 * mapped interpreter) to the interpreter states, the thread state whose
 * native thread id is the thread's, and its chain of frames, each named
 * "file:line in function". Only CPython 3.11 (Debian 12's), checked by
 * reading Py_Version: the offsets below are that version's, measured with
 * offsetof() against its own internal headers (Py_BUILD_CORE). Every
 * pointer is the tracee's and hostile: reads go through the caller's
 * bounded reader, and the walks are bounded in count.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "reports/pyframes.h"

/* CPython 3.11, LP64 */
#define RUNTIME_INTERP_HEAD 40	/* _PyRuntimeState.interpreters.head */
#define INTERP_NEXT 0		/* PyInterpreterState.next */
#define INTERP_TSTATE_HEAD 16	/* PyInterpreterState.threads.head */
#define TSTATE_NEXT 8		/* PyThreadState.next */
#define TSTATE_CFRAME 56	/* PyThreadState.cframe */
#define TSTATE_NATIVE_TID 160	/* PyThreadState.native_thread_id */
#define CFRAME_CURRENT 8	/* _PyCFrame.current_frame */
#define FRAME_CODE 32		/* _PyInterpreterFrame.f_code */
#define FRAME_PREVIOUS 48	/* _PyInterpreterFrame.previous */
#define FRAME_PREV_INSTR 56	/* _PyInterpreterFrame.prev_instr */
#define CODE_FIRSTLINENO 72	/* PyCodeObject.co_firstlineno */
#define CODE_FILENAME 112	/* PyCodeObject.co_filename */
#define CODE_QUALNAME 128	/* PyCodeObject.co_qualname */
#define CODE_LINETABLE 136	/* PyCodeObject.co_linetable */
#define CODE_CODE 184		/* PyCodeObject.co_code_adaptive */
#define BYTES_SIZE 16		/* PyVarObject.ob_size */
#define BYTES_DATA 32		/* PyBytesObject.ob_sval */
#define STR_LENGTH 16		/* PyASCIIObject.length */
#define STR_STATE 32		/* PyASCIIObject.state */
#define STR_ASCII_DATA 48	/* sizeof(PyASCIIObject) */
#define STR_COMPACT_DATA 72	/* sizeof(PyCompactUnicodeObject) */

#define MAX_INTERPS 16
#define MAX_THREADS 1024
#define LINETABLE_MAX 65536

static int rd_ptr(jt_py_read rd, void *arg, uint64_t addr, uint64_t *out)
{
	return addr ? rd(arg, addr, out, sizeof(*out)) : -1;
}

/* A str object as text: compact ASCII or Latin-1 only, else "?". */
static void str_of(jt_py_read rd, void *arg, uint64_t obj, char *out, size_t len)
{
	uint64_t n;
	uint32_t state;
	size_t want;

	snprintf(out, len, "?");
	if (rd(arg, obj + STR_LENGTH, &n, sizeof(n)) < 0 || rd(arg, obj + STR_STATE, &state, 4) < 0)
		return;
	/* state: interned:2 kind:3 compact:1 ascii:1 ready:1 */
	if (!(state & (1u << 5)) || ((state >> 2) & 7) != 1)
		return;
	want = n < len - 1 ? (size_t)n : len - 1;
	if (rd(arg, obj + ((state & (1u << 6)) ? STR_ASCII_DATA : STR_COMPACT_DATA), out, want) < 0) {
		snprintf(out, len, "?");
		return;
	}
	out[want] = '\0';
	for (size_t i = 0; i < want; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
}

static unsigned varint(const uint8_t *p, const uint8_t *end, const uint8_t **next)
{
	unsigned v = 0, shift = 0, b;

	do {
		if (p >= end || shift > 28)
			break;
		b = *p++;
		v |= (b & 63) << shift;
		shift += 6;
	} while (b & 64);
	*next = p;
	return v;
}

/*
 * The line of the instruction at code unit @lasti, from the 3.11 location
 * table (Objects/locations.md): each entry starts with a byte whose top
 * bit is set, holding a kind (bits 3-6) and a length in code units - 1
 * (bits 0-2); kinds 13 and 14 carry a signed varint line delta, 10-12 a
 * delta of 0-2, 15 no line at all. -1 when not found.
 */
int jt_py_line(const uint8_t *t, size_t n, int first, int lasti)
{
	const uint8_t *p = t, *end = t + n;
	int line = first, at = 0, result = -1;

	while (p < end && at <= lasti) {
		uint8_t b = *p;
		int kind = (b >> 3) & 15, delta = 0;
		const uint8_t *q = p + 1;

		if (!(b & 128))
			return -1;
		if (kind == 13 || kind == 14) {
			unsigned u = varint(q, end, &q);

			delta = (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
		} else if (kind >= 10 && kind <= 12) {
			delta = kind - 10;
		}
		line += delta;
		result = kind == 15 ? -1 : line;
		at += (b & 7) + 1;
		p++;
		while (p < end && !(*p & 128))
			p++;
	}
	return at > lasti ? result : -1;
}

static void frame_text(jt_py_read rd, void *arg, uint64_t frame, char *out, size_t len)
{
	uint64_t code, fname, qname, table, prev;
	int32_t first;
	uint64_t tlen;
	char file[160], func[80];
	static uint8_t lt[LINETABLE_MAX];
	int line = -1;

	snprintf(out, len, "?");
	if (rd_ptr(rd, arg, frame + FRAME_CODE, &code) < 0 || !code)
		return;
	if (rd_ptr(rd, arg, code + CODE_FILENAME, &fname) < 0 ||
	    rd_ptr(rd, arg, code + CODE_QUALNAME, &qname) < 0 ||
	    rd(arg, code + CODE_FIRSTLINENO, &first, sizeof(first)) < 0)
		return;
	str_of(rd, arg, fname, file, sizeof(file));
	str_of(rd, arg, qname, func, sizeof(func));
	if (rd_ptr(rd, arg, code + CODE_LINETABLE, &table) == 0 &&
	    rd(arg, table + BYTES_SIZE, &tlen, sizeof(tlen)) == 0 && tlen <= sizeof(lt) &&
	    rd(arg, table + BYTES_DATA, lt, (size_t)tlen) == 0 &&
	    rd(arg, frame + FRAME_PREV_INSTR, &prev, sizeof(prev)) == 0) {
		int64_t lasti = ((int64_t)prev - (int64_t)(code + CODE_CODE)) / 2;

		line = lasti < 0 ? first : lasti < (1 << 24) ? jt_py_line(lt, (size_t)tlen, first, (int)lasti) : -1;
	}
	if (line >= 0)
		snprintf(out, len, "%.110s:%d in %.70s", file, line, func);
	else
		snprintf(out, len, "%.110s in %.70s", file, func);
}

/* The current frame of the thread whose native id is @tid; 0 if none. */
static uint64_t current_frame(jt_py_read rd, void *arg, uint64_t runtime, pid_t tid)
{
	uint64_t interp, ts, cframe, frame;
	int ninterp = 0, nthread = 0;

	if (rd_ptr(rd, arg, runtime + RUNTIME_INTERP_HEAD, &interp) < 0)
		return 0;
	for (; interp && ninterp < MAX_INTERPS; ninterp++) {
		if (rd_ptr(rd, arg, interp + INTERP_TSTATE_HEAD, &ts) < 0)
			return 0;
		for (; ts && nthread < MAX_THREADS; nthread++) {
			uint64_t native;

			if (rd(arg, ts + TSTATE_NATIVE_TID, &native, sizeof(native)) < 0)
				return 0;
			if (native == (uint64_t)tid)
				return rd_ptr(rd, arg, ts + TSTATE_CFRAME, &cframe) == 0 &&
				       rd_ptr(rd, arg, cframe + CFRAME_CURRENT, &frame) == 0 ? frame : 0;
			if (rd_ptr(rd, arg, ts + TSTATE_NEXT, &ts) < 0)
				return 0;
		}
		if (rd_ptr(rd, arg, interp + INTERP_NEXT, &interp) < 0)
			return 0;
	}
	return 0;
}

int jt_py_version_ok(uint64_t py_version)
{
	return (py_version >> 16) == 0x030b;	/* 3.11 */
}

int jt_py_frames(jt_py_read rd, void *arg, uint64_t runtime, pid_t tid,
		 char (*out)[JT_PY_FRAME], int max)
{
	uint64_t frame = current_frame(rd, arg, runtime, tid), seen[JT_PY_DEPTH];
	int n = 0;

	while (frame && n < max && n < JT_PY_DEPTH) {
		for (int i = 0; i < n; i++)
			if (seen[i] == frame)
				return n;	/* a loop: hostile memory */
		seen[n] = frame;
		frame_text(rd, arg, frame, out[n], JT_PY_FRAME);
		n++;
		if (rd_ptr(rd, arg, frame + FRAME_PREVIOUS, &frame) < 0)
			break;
	}
	return n;
}
