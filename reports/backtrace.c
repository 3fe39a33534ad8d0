/*
 * Unwinding a stopped tracee thread with libunwind-ptrace.
 *
 * Registers come from _UPT_access_reg. The rest of _UPT_accessors is not
 * used, because the tracee controls what it would read: _UPT_find_proc_info
 * opens the paths named in /proc/PID/maps (a path the tracee swapped for a
 * FIFO blocks the tracer in open), maps those files (truncating one faults
 * the tracer) and calls abort() on an unwind table of an unexpected
 * encoding. Here the unwind table is located from the object's program
 * headers (reports/elfsyms.c, files read with bounds) and read, with every
 * other byte, from the tracee's memory through a small cache, under a
 * budget of reads and a deadline; libunwind's own table search then does
 * the rest (UNW_INFO_FORMAT_REMOTE_TABLE, as for a local unwind).
 */
#ifndef JT_STATIC
#include <dlfcn.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <libunwind.h>
#include <libunwind-ptrace.h>
#include "reports/backtrace.h"
#include "reports/elfsyms.h"

#define LINE 4096			/* bytes of tracee memory per cache line: a page */
#define NLINE 64
#define MAX_READS 50000			/* memory reads for one stack */
#define MAX_MAPS 512			/* executable mappings kept */
#define MAPS_BYTES (8u << 20)		/* of /proc/PID/maps read */
#define PATHS (64u << 10)		/* bytes of mapped file names kept */
#define MAPS_BUF 8192			/* longer lines (names) are skipped */
#define MAX_FDES (1u << 24)		/* entries of an unwind table searched */

/* .eh_frame_hdr encodings (LSB pointer encoding) */
#define PE_OMIT 0xff
#define PE_ABSPTR 0x00
#define PE_UDATA4 0x03
#define PE_UDATA8 0x04
#define PE_SDATA4 0x0b
#define PE_SDATA8 0x0c
#define PE_DATAREL 0x30

/* exported by libunwind for libunwind-ptrace itself; not in its headers */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t, unw_word_t, unw_dyn_info_t *,
					      unw_proc_info_t *, int, void *);

/*
 * libunwind is loaded at the first stack, not linked: its libraries
 * (libunwind-ptrace, libunwind-ARCH, libunwind, liblzma) would be mapped
 * at every start-up, and most runs never take a stack. Its static
 * archives are not PIC, so they cannot go in the (PIE) binary either.
 * The calls below go through this table; the names are the arch-specific
 * symbols the unw_* macros of the headers expand to.
 */
static struct {
	int state;		/* 0 not tried, 1 loaded, -1 failed */
	__typeof__(unw_create_addr_space) *create_addr_space;
	__typeof__(unw_set_caching_policy) *set_caching_policy;
	__typeof__(unw_destroy_addr_space) *destroy_addr_space;
	__typeof__(unw_init_remote) *init_remote;
	__typeof__(unw_get_reg) *get_reg;
	__typeof__(unw_step) *step;
	__typeof__(unw_is_signal_frame) *is_signal_frame;
	__typeof__(unw_strerror) *error_text;
	__typeof__(UNW_OBJ(dwarf_search_unwind_table)) *search_table;
	__typeof__(_UPT_create) *upt_create;
	__typeof__(_UPT_destroy) *upt_destroy;
	__typeof__(_UPT_access_reg) *upt_access_reg;
	__typeof__(_UPT_access_fpreg) *upt_access_fpreg;
} lu;

#define STR_(x) #x
#define STR(x) STR_(x)

#ifdef JT_STATIC
/* The static build (make static) has libunwind linked in. */
static int load_unwind(void)
{
	lu.create_addr_space = unw_create_addr_space;
	lu.set_caching_policy = unw_set_caching_policy;
	lu.destroy_addr_space = unw_destroy_addr_space;
	lu.init_remote = unw_init_remote;
	lu.get_reg = unw_get_reg;
	lu.step = unw_step;
	lu.is_signal_frame = unw_is_signal_frame;
	lu.error_text = unw_strerror;
	lu.search_table = UNW_OBJ(dwarf_search_unwind_table);
	lu.upt_create = _UPT_create;
	lu.upt_destroy = _UPT_destroy;
	lu.upt_access_reg = _UPT_access_reg;
	lu.upt_access_fpreg = _UPT_access_fpreg;
	lu.state = 1;
	return 0;
}
#else
/* dlsym's void * into a function pointer (POSIX allows it; C does not say) */
static int sym(void *h, const char *name, void *fn, size_t size)
{
	void *p = dlsym(h, name);

	memcpy(fn, &p, size);
	return p ? 0 : -1;
}

/* @return 0 when libunwind is there, -1 (for good) when it is not */
static int load_unwind(void)
{
	void *arch, *upt;

	if (lu.state)
		return lu.state > 0 ? 0 : -1;
	lu.state = -1;
	/*
	 * Debian's libunwind-ptrace.so.0 names no library it needs: the
	 * arch library must be global before it loads, as when linked.
	 */
	arch = dlopen("libunwind-" STR(UNW_TARGET) ".so.8", RTLD_NOW | RTLD_GLOBAL);
	upt = arch ? dlopen("libunwind-ptrace.so.0", RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!upt)
		return -1;
#define SYM(h, field, name) sym(h, STR(name), &lu.field, sizeof(lu.field))
	if (SYM(arch, create_addr_space, unw_create_addr_space) ||
	    SYM(arch, set_caching_policy, unw_set_caching_policy) ||
	    SYM(arch, destroy_addr_space, unw_destroy_addr_space) ||
	    SYM(arch, init_remote, unw_init_remote) || SYM(arch, get_reg, unw_get_reg) ||
	    SYM(arch, step, unw_step) || SYM(arch, is_signal_frame, unw_is_signal_frame) ||
	    SYM(arch, error_text, unw_strerror) ||
	    SYM(arch, search_table, UNW_OBJ(dwarf_search_unwind_table)) ||
	    SYM(upt, upt_create, _UPT_create) || SYM(upt, upt_destroy, _UPT_destroy) ||
	    SYM(upt, upt_access_reg, _UPT_access_reg) || SYM(upt, upt_access_fpreg, _UPT_access_fpreg))
		return -1;
#undef SYM
	lu.state = 1;
	return 0;
}
#endif

int jt_bt_available(void)
{
	return load_unwind();
}

struct map {
	uint64_t start, end, off;
	uint64_t base;		/* where the file's first mapping starts */
	dev_t dev;
	ino_t ino;
	uint32_t path;		/* offset in paths; 0 is "" */
	int deleted;
};

struct line {
	uint64_t base;
	int state;		/* 0 empty, 1 read, -1 unreadable */
	unsigned char b[LINE];
};

struct jt_bt {
	unw_addr_space_t as;
	struct jt_elf_cache cache;
	/* one stack */
	pid_t tid;
	int vm_readv;
	int memfd;		/* /proc/PID/mem when process_vm_readv is not used */
	uint64_t deadline;
	unsigned reads;
	uint64_t unreadable;	/* the last address that could not be read, +1 */
	const char *error;
	void *upt;
	int nmap;
	size_t npaths;
	struct map map[MAX_MAPS];
	struct line line[NLINE];
	char paths[PATHS];
	char buf[MAPS_BUF];
};

static void set_error(struct jt_bt *bt, const char *why)
{
	if (!bt->error)
		bt->error = why;
}

/* ---------------------------------------------------------------- memory */

/* Without process_vm_readv: word by word, only the words asked for. */
static int peek(struct jt_bt *bt, uint64_t addr, unsigned char *out, size_t len)
{
	while (len > 0) {
		uint64_t word = addr & ~(uint64_t)(sizeof(long) - 1);
		size_t off = (size_t)(addr - word), n = sizeof(long) - off < len ? sizeof(long) - off : len;
		long w;

		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, bt->tid, (void *)(uintptr_t)word, 0);
		if (errno) {
			bt->unreadable = addr + 1;
			return -1;
		}
		memcpy(out, (unsigned char *)&w + off, n);
		out += n;
		len -= n;
		addr += n;
	}
	return 0;
}

/*
 * A line is one page: it reads whole or not at all. process_vm_readv, or
 * /proc/PID/mem where it is missing (or disabled); PTRACE_PEEKDATA, word
 * by word, when neither works.
 */
static void fill(struct jt_bt *bt, struct line *l, uint64_t base)
{
	struct iovec lo = { l->b, LINE }, re = { (void *)(uintptr_t)base, LINE };
	char name[64];

	l->base = base;
	if (bt->vm_readv) {
		l->state = process_vm_readv(bt->tid, &lo, 1, &re, 1, 0) == LINE ? 1 : -1;
		if (l->state > 0 || (errno != ENOSYS && errno != EPERM))
			return;
		bt->vm_readv = 0;
	}
	if (bt->memfd < 0) {
		snprintf(name, sizeof(name), "/proc/%d/mem", bt->tid);
		bt->memfd = open(name, O_RDONLY | O_CLOEXEC);
	}
	l->state = bt->memfd >= 0 && pread(bt->memfd, l->b, LINE, (off_t)base) == LINE ? 1 : -1;
	if (bt->memfd < 0)
		l->state = 0;	/* peek() it is */
}

/* Read @len bytes of the tracee at @addr. @return 0 or -1. */
static int mem_read(struct jt_bt *bt, uint64_t addr, void *out, size_t len)
{
	unsigned char *o = out;

	if (bt->error)
		return -1;
	/* hostile unwind data can loop over readable memory: bound the work */
	if (++bt->reads > MAX_READS) {
		set_error(bt, "read-limit");
		return -1;
	}
	if ((bt->reads & 255) == 0 && jt_elf_now_us() > bt->deadline) {
		set_error(bt, "deadline");
		return -1;
	}
	while (len > 0) {
		uint64_t base = addr & ~(uint64_t)(LINE - 1);
		size_t off = (size_t)(addr - base), n = LINE - off < len ? LINE - off : len;
		struct line *l = &bt->line[(base / LINE) % NLINE];

		if (l->state == 0 || l->base != base)
			fill(bt, l, base);
		if (l->state == 0)
			return peek(bt, addr, o, len);
		if (l->state < 0) {
			bt->unreadable = addr + 1;
			return -1;
		}
		memcpy(o, l->b + off, n);
		o += n;
		len -= n;
		addr += n;
		if (addr == 0 && len > 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- maps */

static void map_line(struct jt_bt *bt, char *s, struct map *last0)
{
	unsigned long long start, end, off, ino;
	unsigned maj, min;
	char perms[8];
	int n = 0;
	struct map *m;
	char *path;
	size_t plen;

	if (sscanf(s, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj, &min,
		   &ino, &n) < 7 || n <= 0 || end <= start)
		return;
	/* the file's first mapping: where its addresses start */
	if (off == 0 && ino) {
		last0->start = start;
		last0->dev = makedev(maj, min);
		last0->ino = (ino_t)ino;
	}
	if (perms[0] == '\0' || perms[1] == '\0' || perms[2] != 'x' || bt->nmap == MAX_MAPS)
		return;
	m = &bt->map[bt->nmap++];
	m->start = start;
	m->end = end;
	m->off = off;
	m->dev = makedev(maj, min);
	m->ino = (ino_t)ino;
	m->base = ino && last0->dev == m->dev && last0->ino == m->ino ? last0->start : start - off;
	m->path = 0;
	m->deleted = 0;
	path = s + n;
	plen = strlen(path);
	if (plen > 10 && !strcmp(path + plen - 10, " (deleted)")) {
		plen -= 10;
		m->deleted = 1;
	}
	if (plen && bt->npaths + plen + 1 <= PATHS) {
		memcpy(bt->paths + bt->npaths, path, plen);
		bt->paths[bt->npaths + plen] = '\0';
		m->path = (uint32_t)bt->npaths;
		bt->npaths += plen + 1;
	}
}

/* The executable mappings of the thread's process. @return 0 or -1. */
static int read_maps(struct jt_bt *bt)
{
	char name[64];
	struct map last0 = { 0 };
	size_t have = 0, total = 0;
	int fd, skipping = 0;

	bt->nmap = 0;
	bt->paths[0] = '\0';
	bt->npaths = 1;
	snprintf(name, sizeof(name), "/proc/%d/maps", bt->tid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t got = read(fd, bt->buf + have, sizeof(bt->buf) - 1 - have);
		char *p = bt->buf, *nl;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		have += (size_t)got;
		total += (size_t)got;
		while ((nl = memchr(p, '\n', (size_t)(bt->buf + have - p)))) {
			*nl = '\0';
			if (!skipping)
				map_line(bt, p, &last0);
			skipping = 0;
			p = nl + 1;
		}
		have = (size_t)(bt->buf + have - p);
		memmove(bt->buf, p, have);
		if (have == sizeof(bt->buf) - 1) {
			/* a line longer than the buffer: a name too long to keep */
			have = 0;
			skipping = 1;
		}
		if (total > MAPS_BYTES || jt_elf_now_us() > bt->deadline) {
			set_error(bt, total > MAPS_BYTES ? "maps-too-long" : "deadline");
			break;
		}
	}
	close(fd);
	return bt->nmap ? 0 : -1;
}

static const struct map *map_of(const struct jt_bt *bt, uint64_t addr)
{
	int lo = 0, hi = bt->nmap;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (bt->map[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < bt->nmap && bt->map[lo].start <= addr ? &bt->map[lo] : NULL;
}

/*
 * The mapped file itself: /proc/PID/map_files when allowed (root), which
 * is the very file mapped even when renamed or deleted; else its path, as
 * a plain file with the same device and inode. Non-blocking and no
 * controlling terminal, whatever the tracee put at that path meanwhile.
 */
static int open_mapped(const struct jt_bt *bt, const struct map *m)
{
	const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	const char *path = bt->paths + m->path;
	char name[80];
	struct stat st;
	int fd;

	snprintf(name, sizeof(name), "/proc/%d/map_files/%llx-%llx", bt->tid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	fd = open(name, flags);
	if (fd < 0 && path[0] == '/' && !m->deleted)
		fd = open(path, flags | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != m->dev || st.st_ino != m->ino) {
		close(fd);
		return -1;
	}
	return fd;
}

static const struct jt_elf *object(struct jt_bt *bt, const struct map *m)
{
	struct jt_elf *e;
	int fd;

	if (!m->ino)
		return NULL;
	e = jt_elf_cached(&bt->cache, m->dev, m->ino);
	if (e)
		return e->failed ? NULL : e;
	if (jt_elf_now_us() > bt->deadline) {
		set_error(bt, "deadline");
		return NULL;
	}
	fd = open_mapped(bt, m);
	e = jt_elf_load(&bt->cache, fd, m->dev, m->ino, bt->deadline);
	if (fd >= 0)
		close(fd);
	return e;
}

/* ---------------------------------------------------------------- libunwind */

static int encoded_size(unsigned enc)
{
	switch (enc & 0x0f) {
	case PE_ABSPTR: return 8;
	case PE_UDATA4: case PE_SDATA4: return 4;
	case PE_UDATA8: case PE_SDATA8: return 8;
	default: return -1;
	}
}

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			      int need_unwind_info, void *arg)
{
	struct jt_bt *bt = arg;
	const struct map *m = map_of(bt, ip);
	const struct jt_elf *e;
	unsigned char h[4];
	uint64_t vaddr, hdr, p, count = 0;
	unw_dyn_info_t di;
	int ptr, cnt;

	if (!m || !(e = object(bt, m)) || !e->eh_frame_hdr ||
	    jt_elf_vaddr(e, ip - m->start + m->off, &vaddr) < 0)
		return -UNW_ENOINFO;
	/* .eh_frame_hdr: version, encodings of eh_frame_ptr, fde_count and the table */
	hdr = ip - vaddr + e->eh_frame_hdr;
	if (mem_read(bt, hdr, h, sizeof(h)) < 0 || h[0] != 1 || h[2] == PE_OMIT ||
	    h[3] != (PE_DATAREL | PE_SDATA4))
		return -UNW_ENOINFO;
	ptr = encoded_size(h[1]);
	cnt = encoded_size(h[2]);
	if (ptr < 0 || cnt < 0 || mem_read(bt, hdr + 4 + (unsigned)ptr, &count, (size_t)cnt) < 0)
		return -UNW_ENOINFO;
	p = hdr + 4 + (unsigned)ptr + (unsigned)cnt;
	if (count > MAX_FDES)
		count = MAX_FDES;
	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = m->start;
	di.end_ip = m->end;
	di.u.rti.segbase = hdr;
	di.u.rti.table_data = p;
	di.u.rti.table_len = count * 8 / sizeof(unw_word_t);	/* entries are two int32 */
	return lu.search_table(as, ip, &di, pi, need_unwind_info, arg);
}

/* libunwind frees the table-format unwind info it got from the search itself */
static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
}

/* No dynamically registered unwind info: it is a list in the tracee's memory. */
static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	return -UNW_ENOINFO;
}

static int acc_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
			  void *arg)
{
	if (write)
		return -UNW_EINVAL;
	return mem_read(arg, addr, val, sizeof(*val)) < 0 ? -UNW_EINVAL : 0;
}

static int acc_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write,
			  void *arg)
{
	struct jt_bt *bt = arg;

	if (write)
		return -UNW_EINVAL;
	return lu.upt_access_reg(as, reg, val, 0, bt->upt);
}

static int acc_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
			    int write, void *arg)
{
	struct jt_bt *bt = arg;

	if (write)
		return -UNW_EINVAL;
	return lu.upt_access_fpreg(as, reg, val, 0, bt->upt);
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;
}

static int acc_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			     unw_word_t *off, void *arg)
{
	return -UNW_ENOINFO;
}

static unw_accessors_t accessors = {
	.find_proc_info = acc_find_proc_info,
	.put_unwind_info = acc_put_unwind_info,
	.get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
	.access_mem = acc_access_mem,
	.access_reg = acc_access_reg,
	.access_fpreg = acc_access_fpreg,
	.resume = acc_resume,
	.get_proc_name = acc_get_proc_name,
};

/* ---------------------------------------------------------------- frames */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void add_build_id(struct jt_stack *st, const char *name, const char *id)
{
	char key[JT_BT_OBJECT];
	size_t i;

	/* a JSON key: only characters that need no escaping */
	for (i = 0; name[i] && i < sizeof(key) - 1; i++) {
		unsigned char c = (unsigned char)name[i];

		key[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '.' || c == '_' || c == '+' || c == '-' ? (char)c : '_';
	}
	key[i] = '\0';
	for (int k = 0; k < st->nobj; k++)
		if (!strcmp(st->obj[k].name, key))
			return;
	if (st->nobj == JT_BT_DEPTH)
		return;
	snprintf(st->obj[st->nobj].name, sizeof(st->obj[0].name), "%s", key);
	snprintf(st->obj[st->nobj].build_id, sizeof(st->obj[0].build_id), "%s", id);
	st->nobj++;
}

/*
 * "object!function+0xoff", else "object+0xaddr" (the address as the file
 * numbers it, for addr2line), else "0xaddr". A return address is looked
 * up one byte back: a call may be the last instruction of its function.
 */
static void frame(struct jt_bt *bt, uint64_t ip, int exact, struct jt_stack *st)
{
	char *out = st->frame[st->n];
	const size_t len = sizeof(st->frame[0]);
	uint64_t look = exact ? ip : ip - 1, vaddr, start;
	const struct map *m = map_of(bt, look);
	const struct jt_elf *e;
	const char *name, *fn;

	if (!m) {
		snprintf(out, len, "0x%llx", (unsigned long long)ip);
		return;
	}
	name = base_name(bt->paths + m->path);
	if (!*name)
		name = "?";
	e = object(bt, m);
	if (!e || jt_elf_vaddr(e, look - m->start + m->off, &vaddr) < 0) {
		snprintf(out, len, "%.63s+0x%llx", name, (unsigned long long)(ip - m->base));
		return;
	}
	fn = jt_elf_symbol(e, vaddr, &start);
	vaddr += ip - look;
	if (fn)
		snprintf(out, len, "%.63s!%s+0x%llx", name, fn, (unsigned long long)(vaddr - start));
	else
		snprintf(out, len, "%.63s+0x%llx", name, (unsigned long long)vaddr);
	if (e->build_id[0])
		add_build_id(st, name, e->build_id);
}

/* ---------------------------------------------------------------- Python */

#define PY_DEADLINE_US 5000

static int py_read(void *arg, uint64_t addr, void *out, size_t len)
{
	return mem_read(arg, addr, out, len);
}

/* The thread's Python frames, when an interpreter of a known version is mapped. */
static void python_frames(struct jt_bt *bt, struct jt_stack *st)
{
	for (int i = 0; i < bt->nmap; i++) {
		const struct map *m = &bt->map[i];
		const struct jt_elf *e;
		uint64_t vaddr, bias, version = 0;

		if (!m->ino || !strstr(base_name(bt->paths + m->path), "python"))
			continue;
		e = object(bt, m);
		if (!e || !e->py_runtime || !e->py_version || jt_elf_vaddr(e, m->off, &vaddr) < 0)
			continue;
		bias = m->start - vaddr;
		if (mem_read(bt, bias + e->py_version, &version, sizeof(version)) < 0 ||
		    !jt_py_version_ok(version))
			return;
		st->npy = jt_py_frames(py_read, bt, bias + e->py_runtime, bt->tid, st->py, JT_PY_DEPTH);
		return;
	}
}

struct jt_bt *jt_bt_new(void)
{
	return calloc(1, sizeof(struct jt_bt));
}

void jt_bt_free(struct jt_bt *bt)
{
	if (!bt)
		return;
	if (bt->as)
		lu.destroy_addr_space(bt->as);
	jt_elf_cache_free(&bt->cache);
	free(bt);
}

/* The address space, made at the first stack. @return NULL or why not. */
static const char *address_space(struct jt_bt *bt)
{
	if (bt->as)
		return NULL;
	if (load_unwind() < 0)
		return "no-libunwind";
	bt->as = lu.create_addr_space(&accessors, 0);
	if (!bt->as)
		return "out-of-memory";
	/* its cache would hold one process's unwind rules for the next one's
	 * addresses; without it, no locking (two sigprocmask calls) per frame */
	lu.set_caching_policy(bt->as, UNW_CACHE_NONE);
	return NULL;
}

void jt_bt_take(struct jt_bt *bt, pid_t tid, int vm_readv, struct jt_stack *st)
{
	unw_cursor_t cur;
	unw_word_t last_ip = 0, last_sp = 0;
	const char *why;
	int r, exact = 1;

	st->n = 0;
	st->nobj = 0;
	st->npy = 0;
	st->error[0] = '\0';
	if ((why = address_space(bt))) {
		snprintf(st->error, sizeof(st->error), "%s", why);
		return;
	}
	bt->tid = tid;
	bt->vm_readv = vm_readv;
	bt->deadline = jt_elf_now_us() + JT_BT_DEADLINE_US;
	bt->memfd = -1;
	bt->reads = 0;
	bt->unreadable = 0;
	bt->error = NULL;
	for (int i = 0; i < NLINE; i++)
		bt->line[i].state = 0;
	if (read_maps(bt) < 0) {
		snprintf(st->error, sizeof(st->error), "%s", bt->error ? bt->error : "no-maps");
		return;
	}
	bt->upt = lu.upt_create(tid);
	if (!bt->upt) {
		snprintf(st->error, sizeof(st->error), "out-of-memory");
		return;
	}
	r = lu.init_remote(&cur, bt->as, bt);
	if (r < 0)
		set_error(bt, "no-registers");
	while (r >= 0) {
		unw_word_t ip = 0, sp = 0;

		if (lu.get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		lu.get_reg(&cur, UNW_REG_SP, &sp);
		if (st->n > 0 && ip == last_ip && sp == last_sp) {
			set_error(bt, "loop");
			break;
		}
		if (st->n == JT_BT_DEPTH) {
			set_error(bt, "depth");
			break;
		}
		frame(bt, ip, exact, st);
		st->n++;
		last_ip = ip;
		last_sp = sp;
		if (bt->error)
			break;
		if (jt_elf_now_us() > bt->deadline) {
			set_error(bt, "deadline");
			break;
		}
		/* the frame a signal interrupted holds the exact address, not a return address */
		exact = lu.is_signal_frame(&cur) > 0;
		bt->unreadable = 0;
		r = lu.step(&cur);
		if (r < 0 && !bt->error && bt->unreadable)
			snprintf(st->error, sizeof(st->error), "unreadable 0x%llx",
				 (unsigned long long)(bt->unreadable - 1));
		else if (r < 0 && !bt->error)
			snprintf(st->error, sizeof(st->error), "unwind: %s", lu.error_text(r));
		if (r <= 0)
			break;
	}
	if (bt->error && !st->error[0])
		snprintf(st->error, sizeof(st->error), "%s", bt->error);
	/* with a budget of its own: a deep C stack must not hide the script's */
	bt->error = NULL;
	bt->reads = 0;
	bt->deadline = jt_elf_now_us() + PY_DEADLINE_US;
	python_frames(bt, st);
	lu.upt_destroy(bt->upt);
	bt->upt = NULL;
	if (bt->memfd >= 0)
		close(bt->memfd);
}
