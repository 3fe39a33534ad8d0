/*
 * Audit log records. This is where every record of a run is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "compat/names.h"
#include "reports/backtrace.h"
#include "reports/json.h"
#include "reports/log.h"
#include "reports/syslog.h"

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void jt_log_none(struct jt_log *log)
{
	log->fd = -1;
	log->start_us = mono_us();
	log->pending = 0;
	log->failed = 0;
	log->max = log->size = 0;
	log->over = 0;
	log->wanted = log->dropped = log->repeats = 0;
	log->seekable = 0;
	log->repeat_off = -1;
	log->last_len = 0;
}

void jt_log_set_max(struct jt_log *log, uint64_t max)
{
	log->max = max;
}

/*
 * A log an earlier run left is replaced, not truncated: on ext4 truncating
 * frees its blocks at once and makes the close write the new ones out (a
 * guard against empty files after a crash), 0.2-0.4 ms of every run here;
 * a new file costs neither. Only for a plain file of ours with one link:
 * a FIFO, /dev/stdout, a file linked elsewhere or someone else's, and a
 * directory that forbids it, are written in place as before.
 */
static int replace(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_size == 0 ||
	    st.st_uid != geteuid() || unlink(path) < 0)
		return -1;
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
}

int jt_log_open(struct jt_log *log, const char *path)
{
	struct stat st;
	int fd;

	jt_log_none(log);
	fd = replace(path);
	if (fd < 0)
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return errno == ELOOP ? -ELOOP : -errno;
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
		close(fd);
		return -EINVAL;
	}
	/* an existing file keeps its mode on open: the log is private either way */
	if (S_ISREG(st.st_mode) && (st.st_mode & 077) && fchmod(fd, 0600) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	log->fd = fd;
	/* written from offset 0 (a new or truncated file): offsets are sizes */
	log->seekable = S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) == 0;
	return 0;
}

int jt_log_open_fd(struct jt_log *log, int fd)
{
	struct stat st;

	jt_log_none(log);
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) ||
	    (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	log->fd = fd;
	log->seekable = S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) == 0;
	return 0;
}

uint64_t jt_log_now(const struct jt_log *log)
{
	return mono_us() - log->start_us;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int jt_log_flush(struct jt_log *log)
{
	int r;


	if (log->fd < 0 || log->pending == 0)
		return log->failed;
	r = write_all(log->fd, log->batch, log->pending);
	log->pending = 0;
	if (r < 0 && !log->failed)
		log->failed = r;
	return log->failed;
}

enum kind { DECISION, OTHER, END };

/*
 * Whether a record of @len bytes may go in under the bound. Ordinary
 * records fill the log up to its tail; the first that does not fit marks
 * the log over, which ends the run. A decision is then never written:
 * the call is refused and not acted on, so no decision goes unrecorded.
 * What ends the run (the limit record, exits, repeats) goes in the tail,
 * the end record in the last JT_LOG_END_ROOM bytes of it; past that a
 * record is counted in "dropped", which the end says.
 */
static int fits(struct jt_log *log, size_t len, enum kind kind)
{
	uint64_t tail = JT_LOG_TAIL(log->max);

	if (!log->max)
		return 1;
	if (!log->over && log->size + len <= log->max - tail)
		return 1;
	if (!log->over)
		log->wanted = log->size + len;
	log->over = 1;
	if (kind == DECISION)
		return 0;
	return log->size + len <= log->max - (kind == END ? 0 : JT_LOG_END_ROOM);
}

static int append(struct jt_log *log, const char *rec, size_t len, int write_through,
		  enum kind kind)
{
	if (log->fd < 0)
		return 0;
	/* a record after a repeat record: the next repeat starts a new one */
	log->repeat_off = -1;
	if (!fits(log, len, kind)) {
		if (kind == DECISION)
			return -EFBIG;
		log->dropped++;
		return log->failed;
	}
	log->size += len;
	if (log->pending + len > sizeof(log->batch))
		jt_log_flush(log);
	if (len > sizeof(log->batch)) {
		int r = write_all(log->fd, rec, len);

		if (r < 0 && !log->failed)
			log->failed = r;
	} else {
		memcpy(log->batch + log->pending, rec, len);
		log->pending += len;
	}
	return write_through ? jt_log_flush(log) : log->failed;
}

int jt_log_append(struct jt_log *log, const char *rec, size_t len, int write_through)
{
	return append(log, rec, len, write_through, OTHER);
}

/*
 * {"type":"repeat","t":T,"count":N}: the last "syscall" record before it
 * came again N times, the last of them at T; the same pid, call, arguments
 * as read, decision and rule. T and N have a fixed width (padded with
 * spaces, which JSON allows), so each repeat rewrites them in place: the
 * count is on disk before the program acts on the repeated decision, and
 * a flood of one call does not grow the log.
 */
#define REPEAT_HEAD "{\"type\":\"repeat\",\"t\":"
#define REPEAT_W 20	/* the width of T, and of N */
#define REPEAT_LEN (sizeof(REPEAT_HEAD) - 1 + REPEAT_W + sizeof(",\"count\":") - 1 + REPEAT_W + 2)

static int repeat(struct jt_log *log)
{
	char rec[REPEAT_LEN + 1];
	uint64_t t = jt_log_now(log), count = log->repeat_off < 0 ? 1 : log->repeats + 1;
	size_t head = sizeof(REPEAT_HEAD) - 1, n;
	int64_t off = log->repeat_off;
	ssize_t w;
	int r;

	snprintf(rec, sizeof(rec), REPEAT_HEAD "%-*s,\"count\":%-*llu}\n", REPEAT_W, "", REPEAT_W,
		 (unsigned long long)count);
	n = (size_t)snprintf(rec + head, REPEAT_W + 1, "%llu.%06llu", (unsigned long long)(t / 1000000),
			     (unsigned long long)(t % 1000000));
	rec[head + n] = ' ';
	if (off < 0) {
		off = (int64_t)log->size;
		r = append(log, rec, REPEAT_LEN, 1, DECISION);
		if (r == 0) {
			log->repeat_off = off;
			log->repeats = 1;
		}
		return r;
	}
	/* the record was written through and nothing came after it: T and N
	 * are rewritten on disk, from where T starts to the closing brace */
	n = REPEAT_LEN - head - 2;
	w = pwrite(log->fd, rec + head, n, off + (int64_t)head);
	if (w != (ssize_t)n) {
		log->failed = w < 0 ? -errno : -EIO;
		return log->failed;
	}
	log->repeats = count;
	return 0;
}

int jt_log_append_end(struct jt_log *log, const char *rec, size_t len)
{
	if (log->fd < 0)
		return 0;
	if (log->dropped) {
		/* {"type":"dropped","t":T,"records":N}: records the bound left out */
		struct jt_json j;
		char buf[128];

		jt_json_init(&j, buf, sizeof(buf));
		jt_json_object(&j);
		jt_json_key(&j, "type");
		jt_json_str(&j, "dropped");
		jt_json_key(&j, "t");
		jt_json_seconds(&j, jt_log_now(log));
		jt_json_key(&j, "records");
		jt_json_uint(&j, log->dropped);
		jt_json_finish(&j);
		if (log->max && log->size + j.len + len <= log->max)
			append(log, j.buf, j.len, 0, END);
	}
	return append(log, rec, len, 1, END);
}

int jt_log_close(struct jt_log *log)
{
	int r = jt_log_flush(log);

	if (log->fd >= 0 && close(log->fd) < 0 && r == 0)
		r = -errno;
	log->fd = -1;
	return r;
}

/* Open a record: {"type":TYPE,"t":SECONDS */
static void head(struct jt_log *log, struct jt_json *j, const char *type)
{
	jt_json_init(j, log->rec, sizeof(log->rec));
	jt_json_object(j);
	jt_json_key(j, "type");
	jt_json_str(j, type);
	jt_json_key(j, "t");
	jt_json_seconds(j, jt_log_now(log));
}

static int emit(struct jt_log *log, struct jt_json *j, int write_through)
{
	jt_json_finish(j);
	return append(log, j->buf, j->len, write_through, OTHER);
}

/* emit(), written through, and the same line to syslog with --syslog */
static int emit_syslog(struct jt_log *log, struct jt_json *j, int severity)
{
	jt_json_finish(j);
	if (log->syslog)
		jt_syslog(severity, j->buf, j->len - 1, 0);
	return append(log, j->buf, j->len, 1, OTHER);
}

/* "stack", "build_ids", "stack_error", "py_stack" (docs/audit-log.md) */
static void json_stack(struct jt_json *j, const struct jt_stack *s)
{
	if (!s)
		return;
	jt_json_key(j, "stack");
	jt_json_array(j);
	for (int i = 0; i < s->n; i++)
		jt_json_str(j, s->frame[i]);
	jt_json_end(j);
	if (s->nobj) {
		jt_json_key(j, "build_ids");
		jt_json_object(j);
		for (int i = 0; i < s->nobj; i++) {
			jt_json_key(j, s->obj[i].name);	/* plain: made so by backtrace.c */
			jt_json_str(j, s->obj[i].build_id);
		}
		jt_json_end(j);
	}
	if (s->error[0]) {
		jt_json_key(j, "stack_error");
		jt_json_str(j, s->error);
	}
	if (s->npy) {
		jt_json_key(j, "py_stack");
		jt_json_array(j);
		for (int i = 0; i < s->npy; i++)
			jt_json_str(j, s->py[i]);
		jt_json_end(j);
	}
}

struct flag {
	uint64_t bit;
	const char *name;
};

/* Append @s (and a '|' before it unless first) at *@len of @b; cut at @cap. */
static void flag_put(char *b, size_t cap, size_t *len, const char *s)
{
	if (*len && *len + 1 < cap)
		b[(*len)++] = '|';
	while (*s && *len + 1 < cap)
		b[(*len)++] = *s++;
	b[*len] = '\0';
}

/* "A|B|0x40" for the bits of @v named in @t; @zero leads when not NULL.
 * On every record of an open: no printf. */
static void flags_str(char *b, size_t cap, uint64_t v, const struct flag *t, size_t n,
		      const char *zero)
{
	size_t len = 0;

	b[0] = '\0';
	if (zero)
		flag_put(b, cap, &len, zero);
	for (size_t i = 0; i < n; i++) {
		if (!t[i].bit || (v & t[i].bit) != t[i].bit)
			continue;
		v &= ~t[i].bit;
		flag_put(b, cap, &len, t[i].name);
	}
	if (v) {
		char hex[24], *h = hex + sizeof(hex);

		*--h = '\0';
		do
			*--h = "0123456789abcdef"[v & 15];
		while (v >>= 4);
		*--h = 'x';
		*--h = '0';
		flag_put(b, cap, &len, h);
	}
	if (len == 0)
		flag_put(b, cap, &len, "0");
}

/* Composite flags first, so their bits are named once. */
#define F(x) { x, #x }
static const struct flag oflags[] = {
	F(O_WRONLY), F(O_RDWR), F(O_CREAT), F(O_EXCL), F(O_NOCTTY), F(O_TRUNC),
	F(O_APPEND), F(O_NONBLOCK), F(O_SYNC), F(O_DSYNC), F(O_ASYNC), F(O_DIRECT),
	F(O_LARGEFILE), F(O_TMPFILE), F(O_DIRECTORY), F(O_NOFOLLOW), F(O_NOATIME),
	F(O_CLOEXEC), F(O_PATH),
};
static const struct flag protflags[] = {
	F(PROT_READ), F(PROT_WRITE), F(PROT_EXEC), F(PROT_GROWSDOWN), F(PROT_GROWSUP),
};
/* the sharing type is a value in the low bits, the rest are bits */
static const struct flag mapflags[] = {
	F(MAP_SHARED_VALIDATE), F(MAP_SHARED), F(MAP_PRIVATE), F(MAP_FIXED), F(MAP_ANONYMOUS),
#ifdef MAP_32BIT
	F(MAP_32BIT),
#endif
	F(MAP_GROWSDOWN), F(MAP_DENYWRITE), F(MAP_EXECUTABLE), F(MAP_LOCKED),
	F(MAP_NORESERVE), F(MAP_POPULATE), F(MAP_NONBLOCK), F(MAP_STACK), F(MAP_HUGETLB),
	F(MAP_SYNC), F(MAP_FIXED_NOREPLACE),
};
static const struct flag sockflags[] = { F(SOCK_NONBLOCK), F(SOCK_CLOEXEC) };
static const char *const socktypes[] = {
	[SOCK_STREAM] = "SOCK_STREAM", [SOCK_DGRAM] = "SOCK_DGRAM", [SOCK_RAW] = "SOCK_RAW",
	[SOCK_RDM] = "SOCK_RDM", [SOCK_SEQPACKET] = "SOCK_SEQPACKET", [SOCK_DCCP] = "SOCK_DCCP",
	[SOCK_PACKET] = "SOCK_PACKET",
};
static const struct flag cloneflags[] = {
	F(CLONE_VM), F(CLONE_FS), F(CLONE_FILES), F(CLONE_SIGHAND), F(CLONE_PIDFD),
	F(CLONE_PTRACE), F(CLONE_VFORK), F(CLONE_PARENT), F(CLONE_THREAD),
	F(CLONE_NEWNS), F(CLONE_SYSVSEM), F(CLONE_SETTLS), F(CLONE_PARENT_SETTID),
	F(CLONE_CHILD_CLEARTID), F(CLONE_DETACHED), F(CLONE_UNTRACED),
	F(CLONE_CHILD_SETTID), F(CLONE_NEWCGROUP), F(CLONE_NEWUTS), F(CLONE_NEWIPC),
	F(CLONE_NEWUSER), F(CLONE_NEWPID), F(CLONE_NEWNET), F(CLONE_IO),
};
#undef F
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *af_name(int af)
{
	switch (af) {
	case AF_UNIX: return "AF_UNIX";
	case AF_INET: return "AF_INET";
	case AF_INET6: return "AF_INET6";
	case AF_NETLINK: return "AF_NETLINK";
	case AF_PACKET: return "AF_PACKET";
	case AF_VSOCK: return "AF_VSOCK";
	case AF_BLUETOOTH: return "AF_BLUETOOTH";
	case AF_ALG: return "AF_ALG";
	default: return NULL;
	}
}

static void json_logstr(struct jt_json *j, const struct jt_log_str *s)
{
	if (!s->s) {
		const char *e = jt_errno_name(-s->err);

		jt_json_object(j);
		jt_json_key(j, "unreadable");
		jt_json_str(j, e ? e : "EFAULT");
		jt_json_end(j);
		return;
	}
	if (!s->cut) {
		jt_json_strn(j, s->s, s->len);
		return;
	}
	jt_json_object(j);
	jt_json_key(j, "cut");
	jt_json_strn(j, s->s, s->len);
	if (s->full_len > s->len) {
		jt_json_key(j, "len");	/* the string's length in the program */
		jt_json_uint(j, s->full_len);
	}
	jt_json_end(j);
}

/* One argument, decoded by its kind. */
static void json_arg(struct jt_json *j, const struct jt_log_call *c, int i, int kind)
{
	uint64_t v = c->args[i];
	const char *name;

	switch (kind) {
	case JT_ARG_INT:
	case JT_ARG_FD:
	case JT_ARG_PID:
		jt_json_int(j, (int)v);
		return;
	case JT_ARG_DIRFD:
		if ((int)v == AT_FDCWD)
			jt_json_str(j, "AT_FDCWD");
		else
			jt_json_int(j, (int)v);
		return;
	case JT_ARG_UINT:
	case JT_ARG_SIZE:
		jt_json_uint(j, v);
		return;
	case JT_ARG_PATH:
	case JT_ARG_STR:
	case JT_ARG_BUFIN:
	case JT_ARG_BUFOUT:
		if (c->str[i].s || c->str[i].err)
			json_logstr(j, &c->str[i]);
		else
			jt_json_hex(j, v);
		return;
	case JT_ARG_ARGV:
		if (!c->argv || i != 1) {
			jt_json_hex(j, v);
			return;
		}
		jt_json_array(j);
		for (int k = 0; k < c->argc; k++)
			json_logstr(j, &c->argv[k]);
		if (c->argv_cut)
			jt_json_str(j, "...");
		jt_json_end(j);
		return;
	case JT_ARG_SIG:
		name = jt_signal_name((int)v);
		if (name)
			jt_json_str(j, name);
		else
			jt_json_int(j, (int)v);
		return;
	case JT_ARG_OFLAGS: {
		char b[512];

		flags_str(b, sizeof(b), v & 0xffffffff, oflags, COUNT(oflags),
			  (v & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : NULL);
		jt_json_str(j, b);
		return;
	}
	case JT_ARG_CLONEFLAGS: {
		const char *sig = jt_signal_name((int)(v & CSIGNAL));
		char b[512];
		size_t len;

		flags_str(b, sizeof(b), v & ~(uint64_t)CSIGNAL, cloneflags, COUNT(cloneflags), NULL);
		/* the exit signal rides in the low byte */
		len = strlen(b);
		if (v & CSIGNAL)
			snprintf(b + len, sizeof(b) - len, "|%s", sig ? sig : "?");
		jt_json_str(j, b);
		return;
	}
	case JT_ARG_PROT: {
		char b[128];

		flags_str(b, sizeof(b), v & 0xffffffff, protflags, COUNT(protflags),
			  (v & 0xffffffff) ? NULL : "PROT_NONE");
		jt_json_str(j, b);
		return;
	}
	case JT_ARG_MMAPFLAGS: {
		char b[512];
		uint64_t type = v & MAP_TYPE, rest = v & 0xffffffff & ~(uint64_t)MAP_TYPE;
		size_t len;

		/* the type (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE) is a value */
		snprintf(b, sizeof(b), "%s", type == MAP_SHARED ? "MAP_SHARED" : type == MAP_PRIVATE ? "MAP_PRIVATE"
			 : type == MAP_SHARED_VALIDATE ? "MAP_SHARED_VALIDATE" : "");
		if (type > MAP_SHARED_VALIDATE)
			snprintf(b, sizeof(b), "0x%llx", (unsigned long long)type);
		len = strlen(b);
		if (rest || !len) {
			char r[448];

			flags_str(r, sizeof(r), rest, mapflags + 3, COUNT(mapflags) - 3, NULL);
			snprintf(b + len, sizeof(b) - len, "%s%s", len ? "|" : "", r);
		}
		jt_json_str(j, b);
		return;
	}
	case JT_ARG_SOCKTYPE: {
		unsigned t = (unsigned)v & 0xf;
		char b[160], r[128];

		flags_str(r, sizeof(r), v & 0xffffffff & ~(uint64_t)0xf, sockflags, COUNT(sockflags), NULL);
		if (t < COUNT(socktypes) && socktypes[t])
			snprintf(b, sizeof(b), "%s", socktypes[t]);
		else
			snprintf(b, sizeof(b), "%u", t);
		if (v & 0xffffffff & ~(uint64_t)0xf) {
			size_t len = strlen(b);

			snprintf(b + len, sizeof(b) - len, "|%s", r);
		}
		jt_json_str(j, b);
		return;
	}
	case JT_ARG_MODE: {
		char b[16], *s = b + sizeof(b);
		unsigned m = (unsigned)(v & 07777);

		/* "0%o" */
		*--s = '\0';
		do
			*--s = (char)('0' + (m & 7));
		while (m >>= 3);
		*--s = '0';
		jt_json_str(j, s);
		return;
	}
	case JT_ARG_IOCTL:
		name = jt_ioctl_name((uint32_t)v);
		if (name)
			jt_json_str(j, name);
		else
			jt_json_hex(j, (uint32_t)v);
		return;
	case JT_ARG_AF:
		name = af_name((int)v);
		if (name)
			jt_json_str(j, name);
		else
			jt_json_int(j, (int)v);
		return;
	default:
		jt_json_hex(j, v);
		return;
	}
}

static void call_record(struct jt_log *log, struct jt_json *j, const struct jt_log_call *c,
			const char *type)
{
	const struct jt_sysinfo *si = c->sys >= 0 ? &jt_sysinfo[c->sys] : NULL;
	const char *e;

	head(log, j, type);
	jt_json_key(j, "pid");
	jt_json_int(j, c->pid);
	jt_json_key(j, "tid");
	jt_json_int(j, c->tid);
	jt_json_key(j, "abi");
	if (c->abi) {
		jt_json_str(j, c->abi->name);
	} else {
		char b[32];

		snprintf(b, sizeof(b), "arch-0x%x", c->audit_arch);
		jt_json_str(j, b);
	}
	jt_json_key(j, "nr");
	jt_json_int(j, c->nr);
	jt_json_key(j, "name");
	jt_json_str(j, si ? si->name : NULL);
	/* raw values first and decoded arguments last: a record too long for
	 * its buffer is cut at the end, and loses only argument text */
	jt_json_key(j, "raw");
	jt_json_array(j);
	for (int i = 0; i < (si ? si->nargs : 6); i++)
		jt_json_hex(j, c->args[i]);
	jt_json_end(j);
	if (c->has_target || c->first_exec || c->path || c->addr) {
		jt_json_key(j, "facts");
		jt_json_object(j);
		if (c->has_target) {
			jt_json_key(j, "target");
			jt_json_str(j, jt_target_name(c->target));
		}
		if (c->path) {
			jt_json_key(j, "path");
			jt_json_str(j, c->path);
		}
		if (c->addr) {
			jt_json_key(j, "addr");
			jt_json_str(j, c->addr);
		}
		if (c->first_exec) {
			jt_json_key(j, "first_exec");
			jt_json_bool(j, 1);
		}
		jt_json_end(j);
	}
	jt_json_key(j, "decision");
	jt_json_str(j, c->verdict->allow ? "allow" : "deny");
	jt_json_key(j, "rule");
	jt_json_str(j, c->rule);
	jt_json_key(j, "errno");
	e = c->verdict->allow ? NULL : jt_errno_name(c->verdict->err);
	if (e)
		jt_json_str(j, e);
	else if (c->verdict->allow)
		jt_json_null(j);
	else
		jt_json_int(j, c->verdict->err);
	json_stack(j, c->stack);
	if (c->has_result) {
		jt_json_key(j, "result");
		jt_json_int(j, c->result);
		if (c->result < 0 && c->result > -4096) {
			const char *n = jt_errno_name((int)-c->result);

			jt_json_key(j, "result_errno");
			if (n)
				jt_json_str(j, n);
			else
				jt_json_int(j, -c->result);
		}
	}
	if (c->argv_cut && c->argv_total > (size_t)c->argc) {
		/* before the arguments: a record cut for room keeps it */
		jt_json_key(j, "argc");
		jt_json_uint(j, c->argv_total);
	}
	jt_json_key(j, "args");
	jt_json_array(j);
	for (int i = 0; i < (si ? si->nargs : 6); i++)
		json_arg(j, c, i, si ? si->arg[i] : JT_ARG_HEX);
	jt_json_end(j);
}

/*
 * A decision, written through. The same decision as the last one (same
 * pid, tid, call, arguments as read, decision, rule, stack) is counted in
 * a repeat record, not written again: a loop of one refused call costs
 * the log one record, not a record per call.
 */
int jt_log_call(struct jt_log *log, const struct jt_log_call *c)
{
	struct jt_json j;
	/* a lookup of a path the host lacks too (the loader probing
	 * /etc/ld.so.preload) fails natively the same way: it stays in the log */
	int to_syslog = log->syslog && !c->verdict->allow && !c->as_natively;
	const char *key;
	size_t klen;
	int r;

	if (log->fd < 0 && !to_syslog)
		return 0;
	call_record(log, &j, c, "syscall");
	jt_json_finish(&j);
	key = strstr(j.buf, ",\"pid\":");
	klen = key ? j.len - (size_t)(key - j.buf) : 0;
	if (log->seekable && key && klen == log->last_len && !memcmp(key, log->last, klen))
		return repeat(log);
	if (to_syslog)
		jt_syslog(LOG_WARNING, j.buf, j.len - 1, 0);
	r = append(log, j.buf, j.len, 1, DECISION);
	log->last_len = 0;
	log->repeat_off = -1;
	log->repeats = 0;
	if (r == 0 && key && klen <= sizeof(log->last)) {
		memcpy(log->last, key, klen);
		log->last_len = klen;
	}
	return r;
}

void jt_log_audit(struct jt_log *log, const struct jt_log_call *c)
{
	struct jt_json j;

	if (log->fd < 0)
		return;
	call_record(log, &j, c, "call");
	emit(log, &j, 0);
}

int jt_log_run_header(struct jt_log *log, const struct jt_log_run *r)
{
	struct jt_json j;
	char hex[65];

	if (log->fd < 0 && !log->syslog)
		return 0;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->digest[i]);
	jt_json_init(&j, log->rec, sizeof(log->rec));
	jt_json_object(&j);
	jt_json_key(&j, "type");
	jt_json_str(&j, "run");
	jt_json_key(&j, "v");
	jt_json_int(&j, JT_LOG_VERSION);
	jt_json_key(&j, "run_id");
	jt_json_str(&j, r->run_id);
	jt_json_key(&j, "start");
	jt_json_str(&j, r->start);
	jt_json_key(&j, "user");
	jt_json_str(&j, r->user);
	jt_json_key(&j, "uid");
	jt_json_int(&j, r->uid);
	jt_json_key(&j, "gid");
	jt_json_int(&j, r->gid);
	jt_json_key(&j, "program_uid");
	jt_json_int(&j, r->program_uid);
	jt_json_key(&j, "program_gid");
	jt_json_int(&j, r->program_gid);
	jt_json_key(&j, "host");
	jt_json_str(&j, r->host);
	jt_json_key(&j, "argv");
	jt_json_array(&j);
	for (int i = 0; r->argv[i]; i++)
		jt_json_str(&j, r->argv[i]);
	jt_json_end(&j);
	jt_json_key(&j, "cwd");
	jt_json_str(&j, r->cwd);
	jt_json_key(&j, "policy");
	jt_json_str(&j, r->policy);
	jt_json_key(&j, "policy_digest");
	{
		char d[80];

		snprintf(d, sizeof(d), "sha256:%s", hex);
		jt_json_str(&j, d);
	}
	jt_json_key(&j, "kernel");
	jt_json_str(&j, r->kernel);
	jt_json_key(&j, "jailtrace");
	jt_json_str(&j, JT_VERSION);
	jt_json_key(&j, "mechanism");
	jt_json_raw(&j, r->mechanism);
	if (r->limits_json) {
		jt_json_key(&j, "limits");
		jt_json_object(&j);
		for (int i = 0; r->limits_json[i]; i += 2) {
			jt_json_key(&j, r->limits_json[i]);
			jt_json_raw(&j, r->limits_json[i + 1]);
		}
		jt_json_end(&j);
	}
	/* the header goes to syslog too, always: the lines after it name its run_id */
	jt_json_finish(&j);
	if (log->syslog)
		jt_syslog(LOG_NOTICE, j.buf, j.len - 1, 1);
	return jt_log_append(log, j.buf, j.len, 1);
}

void jt_log_spawn(struct jt_log *log, pid_t pid, pid_t tgid, pid_t parent, const char *kind)
{
	struct jt_json j;

	if (log->fd < 0)
		return;
	head(log, &j, "spawn");
	jt_json_key(&j, "pid");
	jt_json_int(&j, pid);
	jt_json_key(&j, "tgid");
	jt_json_int(&j, tgid);
	jt_json_key(&j, "parent");
	jt_json_int(&j, parent);
	jt_json_key(&j, "kind");
	jt_json_str(&j, kind);
	emit(log, &j, 0);
}

void jt_log_exec(struct jt_log *log, pid_t pid, const char *exe, const char *cmdline, size_t len)
{
	struct jt_json j;

	if (log->fd < 0)
		return;
	head(log, &j, "exec");
	jt_json_key(&j, "pid");
	jt_json_int(&j, pid);
	jt_json_key(&j, "exe");
	jt_json_str(&j, exe);
	jt_json_key(&j, "argv");
	jt_json_array(&j);
	for (size_t i = 0; i < len;) {
		size_t n = strnlen(cmdline + i, len - i);

		jt_json_strn(&j, cmdline + i, n);
		i += n + 1;
	}
	jt_json_end(&j);
	emit(log, &j, 0);
}

void jt_log_exit(struct jt_log *log, pid_t pid, pid_t tid, int status)
{
	jt_log_exit_stack(log, pid, tid, status, NULL);
}

void jt_log_exit_stack(struct jt_log *log, pid_t pid, pid_t tid, int status,
		       const struct jt_stack *stack)
{
	struct jt_json j;

	if (log->fd < 0)
		return;
	head(log, &j, "exit");
	jt_json_key(&j, "pid");
	jt_json_int(&j, pid);
	jt_json_key(&j, "tid");
	jt_json_int(&j, tid);
	if (WIFEXITED(status)) {
		jt_json_key(&j, "exit_code");
		jt_json_int(&j, WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *s = jt_signal_name(WTERMSIG(status));

		jt_json_key(&j, "signal");
		if (s)
			jt_json_str(&j, s);
		else
			jt_json_int(&j, WTERMSIG(status));
	}
	json_stack(&j, stack);
	emit(log, &j, 0);
}

void jt_log_limit(struct jt_log *log, const char *limit, uint64_t value, uint64_t observed)
{
	jt_log_limit_stack(log, limit, value, observed, NULL);
}

void jt_log_limit_stack(struct jt_log *log, const char *limit, uint64_t value, uint64_t observed,
			const struct jt_stack *stack)
{
	struct jt_json j;

	if (log->fd < 0 && !log->syslog)
		return;
	head(log, &j, "limit");
	jt_json_key(&j, "limit");
	jt_json_str(&j, limit);
	jt_json_key(&j, "value");
	jt_json_uint(&j, value);
	jt_json_key(&j, "observed");
	jt_json_uint(&j, observed);
	json_stack(&j, stack);
	emit_syslog(log, &j, LOG_WARNING);
}

void jt_log_egress(struct jt_log *log, const struct jt_log_egress *e)
{
	struct jt_json j;

	if (log->fd < 0)
		return;
	head(log, &j, "egress");
	jt_json_key(&j, "method");
	jt_json_str(&j, e->method);
	if (e->name) {
		jt_json_key(&j, "name");
		jt_json_str(&j, e->name);
	}
	jt_json_key(&j, "port");
	jt_json_uint(&j, e->port);
	if (e->addr) {
		jt_json_key(&j, "addr");
		jt_json_str(&j, e->addr);
	}
	jt_json_key(&j, "decision");
	jt_json_str(&j, e->allowed ? "allow" : "deny");
	jt_json_key(&j, "status");
	jt_json_int(&j, e->status);
	if (e->reason) {
		jt_json_key(&j, "reason");
		jt_json_str(&j, e->reason);
	}
	if (e->rule) {
		jt_json_key(&j, "rule");
		jt_json_str(&j, e->rule);
	}
	if (e->sni) {
		jt_json_key(&j, "sni");
		jt_json_str(&j, e->sni);
	}
	jt_json_key(&j, "bytes_up");
	jt_json_uint(&j, e->bytes_up);
	jt_json_key(&j, "bytes_down");
	jt_json_uint(&j, e->bytes_down);
	jt_json_key(&j, "duration_ms");
	jt_json_uint(&j, e->duration_ms);
	if (e->allowed)
		emit(log, &j, 0);
	else
		emit_syslog(log, &j, LOG_WARNING);
}

void jt_log_proxy(struct jt_log *log, const struct jt_log_proxy *p)
{
	struct jt_json j;

	if (log->fd < 0)
		return;
	head(log, &j, "proxy");
	if (p->name) {
		jt_json_key(&j, "name");
		jt_json_str(&j, p->name);
	}
	jt_json_key(&j, "method");
	jt_json_str(&j, p->method);
	jt_json_key(&j, "path");
	jt_json_str(&j, p->path);
	jt_json_key(&j, "status");
	jt_json_int(&j, p->status);
	if (p->upstream_status) {
		jt_json_key(&j, "upstream_status");
		jt_json_int(&j, p->upstream_status);
	}
	jt_json_key(&j, "bytes_in");
	jt_json_uint(&j, p->bytes_in);
	jt_json_key(&j, "bytes_out");
	jt_json_uint(&j, p->bytes_out);
	if (p->error) {
		jt_json_key(&j, "error");
		jt_json_str(&j, p->error);
	}
	if (p->rule) {
		jt_json_key(&j, "rule");
		jt_json_str(&j, p->rule);
	}
	emit(log, &j, 0);
}
