/*
 * A JSON writer into a caller's fixed buffer: no allocation, so it can run
 * at every stop. Output that does not fit is cut at a value boundary and
 * jt_json_ok() says so. Strings are written as UTF-8; bytes that are not
 * valid UTF-8 become U+DC80..U+DCFF (Python's "surrogateescape"), so paths
 * that are not text survive a round trip.
 */
#ifndef JT_REPORTS_JSON_H
#define JT_REPORTS_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JT_JSON_DEPTH 8

struct jt_json {
	char *buf;
	size_t cap, len;
	int depth;
	int overflow;
	unsigned char first[JT_JSON_DEPTH];	/* no comma needed yet */
	char closer[JT_JSON_DEPTH];		/* '}' or ']' */
	int after_key;
};

void jt_json_init(struct jt_json *j, char *buf, size_t cap);
void jt_json_object(struct jt_json *j);	/* { */
void jt_json_array(struct jt_json *j);	/* [ */
void jt_json_end(struct jt_json *j);	/* } or ] of the innermost */
void jt_json_key(struct jt_json *j, const char *key);
void jt_json_str(struct jt_json *j, const char *s);
void jt_json_strn(struct jt_json *j, const char *s, size_t n);
void jt_json_int(struct jt_json *j, long long v);
void jt_json_uint(struct jt_json *j, unsigned long long v);
void jt_json_hex(struct jt_json *j, unsigned long long v);	/* "0x1f" */
void jt_json_null(struct jt_json *j);
void jt_json_bool(struct jt_json *j, int v);
void jt_json_raw(struct jt_json *j, const char *s);	/* a literal value */
/* "t": seconds.microseconds */
void jt_json_seconds(struct jt_json *j, uint64_t usec);
/* Close the top value and add '\n'. @return 0, or -ENOBUFS if cut. */
int jt_json_finish(struct jt_json *j);

#endif
