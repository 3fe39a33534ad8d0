#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "reports/json.h"

/* Room kept for closing brackets and the newline, so a cut record still parses. */
#define RESERVE (JT_JSON_DEPTH + 8)

void jt_json_init(struct jt_json *j, char *buf, size_t cap)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->cap = cap;
}

static int room(struct jt_json *j, size_t n)
{
	if (j->overflow || j->len + n + RESERVE > j->cap) {
		j->overflow = 1;
		return 0;
	}
	return 1;
}

static void put(struct jt_json *j, const char *s, size_t n)
{
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

/* Start a value: a comma unless it is the first in its container or follows a key. */
static int begin(struct jt_json *j, size_t n)
{
	int comma = j->depth > 0 && !j->first[j->depth - 1] && !j->after_key;

	if (!room(j, n + (size_t)comma))
		return 0;
	if (comma)
		put(j, ",", 1);
	if (j->depth > 0)
		j->first[j->depth - 1] = 0;
	j->after_key = 0;
	return 1;
}

static void open_(struct jt_json *j, char open, char close)
{
	if (j->depth >= JT_JSON_DEPTH) {
		j->overflow = 1;
		return;
	}
	if (!begin(j, 1))
		return;
	put(j, &open, 1);
	j->first[j->depth] = 1;
	j->closer[j->depth++] = close;
}

void jt_json_object(struct jt_json *j) { open_(j, '{', '}'); }
void jt_json_array(struct jt_json *j) { open_(j, '[', ']'); }

void jt_json_end(struct jt_json *j)
{
	if (j->depth == 0)
		return;
	if (j->overflow)
		return;	/* jt_json_finish closes what is open */
	j->depth--;
	put(j, &j->closer[j->depth], 1);
}



/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* A byte that stands for itself in a JSON string. */
#define P(c) ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\')
#define R4(b) P(b), P((b) + 1), P((b) + 2), P((b) + 3)
#define R16(b) R4(b), R4((b) + 4), R4((b) + 8), R4((b) + 12)
#define R64(b) R16(b), R16((b) + 16), R16((b) + 32), R16((b) + 48)
static const unsigned char plain_tab[256] = { R64(0), R64(64), R64(128), R64(192) };
#undef P
#undef R4
#undef R16
#undef R64

static int plain(unsigned char c)
{
	return plain_tab[c];
}

void jt_json_key(struct jt_json *j, const char *key)
{
	size_t n = 0;

	if (j->after_key)
		jt_json_null(j);
	while (key[n] && plain((unsigned char)key[n]))
		n++;
	if (key[n]) {
		/* not plain (none of ours is): escaped as a string */
		jt_json_str(j, key);
	} else {
		/* copied as it is, quoted, in one step */
		if (!begin(j, n + 3))
			return;
		put(j, "\"", 1);
		put(j, key, n);
		put(j, "\"", 1);
	}
	if (!room(j, 1))
		return;
	put(j, ":", 1);
	j->after_key = 1;
}

/* Close a string cut for want of room, so the record parses. */
static void cut_string(struct jt_json *j)
{
	j->overflow = 0;
	put(j, "\"", 1);
	j->overflow = 1;
}

void jt_json_strn(struct jt_json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];

	if (!begin(j, 2))
		return;
	put(j, "\"", 1);
	for (size_t i = 0; i < n;) {
		size_t len, outlen, run = 0;
		const char *out = esc;

		/* a run of plain bytes (most of a path) in one copy: as many of
		 * them as one at a time would have found room for */
		while (i + run < n && plain(s[i + run]))
			run++;
		if (run) {
			size_t fit = j->len + 1 + RESERVE < j->cap ? j->cap - j->len - 1 - RESERVE : 0;

			if (fit < run) {
				put(j, (const char *)s + i, fit);
				cut_string(j);
				return;
			}
			put(j, (const char *)s + i, run);
			i += run;
			continue;
		}
		len = utf8_len(s + i, n - i);
		if (len == 0) {
			outlen = (size_t)snprintf(esc, sizeof(esc), "\\udc%02x", s[i]);
			len = 1;
		} else if (len > 1) {
			out = (const char *)s + i;
			outlen = len;
		} else if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\', esc[1] = (char)s[i];
			outlen = 2;
		} else if (s[i] == '\n') {
			out = "\\n", outlen = 2;
		} else if (s[i] == '\t') {
			out = "\\t", outlen = 2;
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			outlen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
		} else {
			out = (const char *)s + i;
			outlen = 1;
		}
		if (!room(j, outlen + 1)) {
			cut_string(j);
			return;
		}
		put(j, out, outlen);
		i += len;
	}
	put(j, "\"", 1);
}

void jt_json_str(struct jt_json *j, const char *s)
{
	if (!s)
		jt_json_null(j);
	else
		jt_json_strn(j, s, strlen(s));
}

void jt_json_raw(struct jt_json *j, const char *s)
{
	size_t n = strlen(s);

	if (begin(j, n))
		put(j, s, n);
}

/*
 * The digits of @v in @base (10 or 16), written backwards to end at @end.
 * Numbers go into every record: this is what snprintf would print, at a
 * fraction of its cost. @return where they start.
 */
static char *digits(char *end, unsigned long long v, unsigned base)
{
	do {
		*--end = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	return end;
}

/* @s up to the end of the buffer @b of @cap bytes, as a raw value. */
static void raw_tail(struct jt_json *j, const char *s, const char *b, size_t cap)
{
	size_t n = (size_t)(b + cap - s);

	if (begin(j, n))
		put(j, s, n);
}

void jt_json_int(struct jt_json *j, long long v)
{
	char b[24], *s;

	s = digits(b + sizeof(b), v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, 10);
	if (v < 0)
		*--s = '-';
	raw_tail(j, s, b, sizeof(b));
}

void jt_json_uint(struct jt_json *j, unsigned long long v)
{
	char b[24];

	raw_tail(j, digits(b + sizeof(b), v, 10), b, sizeof(b));
}

void jt_json_hex(struct jt_json *j, unsigned long long v)
{
	char b[24], *s = digits(b + sizeof(b), v, 16);

	*--s = 'x';
	*--s = '0';
	/* a string, as "0x%llx" was: nothing in it needs escaping */
	jt_json_strn(j, s, (size_t)(b + sizeof(b) - s));
}

void jt_json_seconds(struct jt_json *j, uint64_t usec)
{
	char b[32], *s = b + sizeof(b);
	unsigned long long frac = usec % 1000000;

	/* "%llu.%06llu" */
	for (int i = 0; i < 6; i++, frac /= 10)
		*--s = (char)('0' + frac % 10);
	*--s = '.';
	s = digits(s, usec / 1000000, 10);
	raw_tail(j, s, b, sizeof(b));
}

void jt_json_null(struct jt_json *j) { jt_json_raw(j, "null"); }
void jt_json_bool(struct jt_json *j, int v) { jt_json_raw(j, v ? "true" : "false"); }

int jt_json_finish(struct jt_json *j)
{
	int cut = j->overflow;

	/* RESERVE guarantees room for a dangling key's null, the closers and '\n' */
	if (j->after_key) {
		put(j, "null", 4);
		j->after_key = 0;
	}
	while (j->depth > 0) {
		j->depth--;
		put(j, &j->closer[j->depth], 1);
	}
	put(j, "\n", 1);
	return cut ? -ENOBUFS : 0;
}
