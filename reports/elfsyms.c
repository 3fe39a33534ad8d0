/*
 * ELF objects for stacks: segments, unwind table, build id and function
 * symbols of a file the tracee mapped. The file is hostile: the header is
 * checked before libelf sees it (libelf allocates per section, and a
 * crafted count would make that unbounded), tables are capped, every
 * string goes through elf_strptr's bounds checks, and the file is read,
 * never mapped, so that a tracee truncating it cannot fault the tracer.
 */
#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "reports/elfsyms.h"

#define MAX_OBJECTS 64			/* objects cached per run */
#define CACHE_BYTES (64u << 20)		/* their symbols, per run */
#define MAX_FILE (1ull << 30)
#define MAX_TABLE (16u << 20)		/* bytes of a symbol or string table read */
#define MAX_SYMS (256u << 10)		/* function symbols kept per object */
#define MAX_NAMES (8u << 20)		/* bytes of their names */
#define NAME_KEPT 127			/* bytes of one name */
#define MAX_PHDRS 128
#define MAX_NOTE (64u << 10)
#define MAX_NOTES 64			/* notes looked at in one section */
#define TIMEOUT (-ETIME)

#if defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#else
#error "add this architecture's ELF machine"
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

uint64_t jt_elf_now_us(void)
{
	struct timespec ts;

	/* the deadlines bound the tracer's work on hostile input: its own CPU
	 * time, which a busy host does not stretch as it does the wall clock */
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void free_obj(struct jt_elf *e)
{
	free(e->sym);
	free(e->names);
	free(e);
}

static void unlink_obj(struct jt_elf_cache *c, struct jt_elf *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(struct jt_elf_cache *c, struct jt_elf *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

void jt_elf_cache_free(struct jt_elf_cache *c)
{
	while (c->head) {
		struct jt_elf *e = c->head;

		unlink_obj(c, e);
		free_obj(e);
	}
	c->count = c->bytes = 0;
}

struct jt_elf *jt_elf_cached(struct jt_elf_cache *c, dev_t dev, ino_t ino)
{
	for (struct jt_elf *e = c->head; e; e = e->next) {
		if (e->dev == dev && e->ino == ino) {
			unlink_obj(c, e);
			push_front(c, e);
			return e;
		}
	}
	return NULL;
}

/* Add @e, then drop the least recently used objects beyond the budget. */
static void insert(struct jt_elf_cache *c, struct jt_elf *e)
{
	push_front(c, e);
	c->count++;
	c->bytes += e->bytes;
	while ((c->count > MAX_OBJECTS || c->bytes > CACHE_BYTES) && c->tail != e) {
		struct jt_elf *old = c->tail;

		unlink_obj(c, old);
		c->count--;
		c->bytes -= old->bytes;
		free_obj(old);
	}
}

/* Is this a native ELF object libelf may be given? */
static int header_ok(int fd, const struct stat *st)
{
	Elf64_Ehdr h;

	if (!S_ISREG(st->st_mode) || st->st_size < (off_t)sizeof(h) ||
	    (uint64_t)st->st_size > MAX_FILE)
		return 0;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return 0;
	if (memcmp(h.e_ident, ELFMAG, SELFMAG) || h.e_ident[EI_CLASS] != ELFCLASS64 ||
	    h.e_ident[EI_DATA] != NATIVE_DATA || h.e_machine != NATIVE_MACHINE ||
	    (h.e_type != ET_EXEC && h.e_type != ET_DYN))
		return 0;
	if (h.e_phentsize != sizeof(Elf64_Phdr) || h.e_phnum == 0 || h.e_phnum > MAX_PHDRS)
		return 0;
	/* e_shnum 0 with sections means a count held elsewhere, unbounded */
	if (h.e_shoff && (h.e_shnum == 0 || h.e_shentsize != sizeof(Elf64_Shdr)))
		return 0;
	return 1;
}

static void build_id(struct jt_elf *e, Elf_Data *d)
{
	static const char hex[] = "0123456789abcdef";
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	if (!d || !d->d_buf)
		return;
	for (int k = 0; k < MAX_NOTES && off < d->d_size; k++, off = next) {
		next = gelf_getnote(d, off, &nh, &name_off, &desc_off);
		if (next == 0 || next <= off)
			return;
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || nh.n_descsz == 0 ||
		    name_off + 4 > d->d_size || desc_off + nh.n_descsz > d->d_size ||
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4))
			continue;
		const unsigned char *b = (const unsigned char *)d->d_buf + desc_off;
		size_t n = nh.n_descsz < JT_ELF_BUILD_ID ? nh.n_descsz : JT_ELF_BUILD_ID;

		for (size_t i = 0; i < n; i++) {
			e->build_id[2 * i] = hex[b[i] >> 4];
			e->build_id[2 * i + 1] = hex[b[i] & 15];
		}
		e->build_id[2 * n] = '\0';
		return;
	}
}

/* Lower is the better name for an address several symbols share:
 * "kill" before "__kill", global before weak before local. */
static uint32_t rank(const char *name, unsigned bind)
{
	uint32_t under = 0;

	while (name[under] == '_' && under < 3)
		under++;
	return under * 4 + (bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2);
}

static int by_addr(const void *a, const void *b)
{
	const struct jt_elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

/* The function symbols of table @scn. @return 0, or TIMEOUT past the deadline. */
/* The two objects a Python stack starts from (reports/pyframes.c). */
static void python_object(struct jt_elf *e, Elf *elf, size_t strtab, const GElf_Sym *s)
{
	const char *name = elf_strptr(elf, strtab, s->st_name);

	if (!name || (name[0] != '_' && name[0] != 'P'))
		return;
	if (!strcmp(name, "_PyRuntime"))
		e->py_runtime = s->st_value;
	else if (!strcmp(name, "Py_Version"))
		e->py_version = s->st_value;
}

static int symbols(struct jt_elf *e, Elf *elf, Elf_Scn *scn, uint64_t deadline)
{
	GElf_Shdr sh, strsh;
	Elf_Scn *str;
	Elf_Data *d;
	size_t count, n = 0, cap = 0, len = 0, cap_names = 0;

	if (!gelf_getshdr(scn, &sh) || sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_size > MAX_TABLE)
		return 0;
	str = elf_getscn(elf, sh.sh_link);
	if (!str || !gelf_getshdr(str, &strsh) || strsh.sh_type != SHT_STRTAB ||
	    strsh.sh_size > MAX_TABLE)
		return 0;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return 0;
	count = d->d_size / sizeof(Elf64_Sym);
	for (size_t i = 0; i < count && n < MAX_SYMS; i++) {
		GElf_Sym s;
		const char *name;
		unsigned type;
		size_t nl;

		if ((i & 1023) == 0 && jt_elf_now_us() > deadline)
			return TIMEOUT;
		if (!gelf_getsym(d, (int)i, &s))
			continue;
		type = GELF_ST_TYPE(s.st_info);
		if (type == STT_OBJECT && s.st_shndx != SHN_UNDEF && s.st_value)
			python_object(e, elf, sh.sh_link, &s);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
		    !s.st_value)
			continue;
		name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		nl = strnlen(name, NAME_KEPT);
		if (len + nl + 1 > MAX_NAMES)
			break;
		if (n == cap) {
			size_t c2 = cap ? 2 * cap : 1024;
			struct jt_elf_sym *p = realloc(e->sym, c2 * sizeof(*p));

			if (!p)
				break;
			e->sym = p;
			cap = c2;
		}
		if (len + nl + 1 > cap_names) {
			size_t c2 = cap_names ? 2 * cap_names : 16384;
			char *p;

			while (c2 < len + nl + 1)
				c2 *= 2;
			if (!(p = realloc(e->names, c2)))
				break;
			e->names = p;
			cap_names = c2;
		}
		memcpy(e->names + len, name, nl);
		e->names[len + nl] = '\0';
		e->sym[n].addr = s.st_value;
		e->sym[n].size = s.st_size;
		e->sym[n].name = (uint32_t)len;
		e->sym[n].rank = rank(e->names + len, GELF_ST_BIND(s.st_info));
		len += nl + 1;
		n++;
	}
	e->nsym = n;
	e->bytes += cap * sizeof(*e->sym) + cap_names;
	if (n)
		qsort(e->sym, n, sizeof(*e->sym), by_addr);
	return 0;
}

static int read_elf(struct jt_elf *e, Elf *elf, uint64_t deadline)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Phdr ph;
	size_t nph;
	int r = 0;

	if (elf_getphdrnum(elf, &nph) < 0)
		return -1;
	for (size_t i = 0; i < nph && i < MAX_PHDRS; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph))
			return -1;
		if (ph.p_type == PT_LOAD && e->nload < JT_ELF_LOADS) {
			e->load[e->nload].off = ph.p_offset;
			e->load[e->nload].vaddr = ph.p_vaddr;
			e->load[e->nload].filesz = ph.p_filesz;
			e->nload++;
		} else if (ph.p_type == PT_GNU_EH_FRAME) {
			e->eh_frame_hdr = ph.p_vaddr;
		}
	}
	if (e->nload == 0)
		return -1;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !symtab)
			symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM && !dynsym)
			dynsym = scn;
		else if (sh.sh_type == SHT_NOTE && !e->build_id[0] && sh.sh_size <= MAX_NOTE)
			build_id(e, elf_getdata(scn, NULL));
	}
	/* a file without section headers still has its notes in a segment */
	for (size_t i = 0; !e->build_id[0] && i < nph && i < MAX_PHDRS; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_NOTE && ph.p_filesz <= MAX_NOTE)
			build_id(e, elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
							 ELF_T_NHDR));
	if (symtab)
		r = symbols(e, elf, symtab, deadline);
	if (r == 0 && e->nsym == 0 && dynsym)
		r = symbols(e, elf, dynsym, deadline);
	return r;
}

struct jt_elf *jt_elf_load(struct jt_elf_cache *c, int fd, dev_t dev, ino_t ino,
			   uint64_t deadline_us)
{
	static int libelf_ready = -1;
	struct jt_elf *e = calloc(1, sizeof(*e));
	struct stat st;
	int r = -1;

	if (!e)
		return NULL;
	e->dev = dev;
	e->ino = ino;
	e->bytes = sizeof(*e);
	if (libelf_ready < 0)
		libelf_ready = elf_version(EV_CURRENT) != EV_NONE;
	if (fd >= 0 && libelf_ready && fstat(fd, &st) == 0 && header_ok(fd, &st)) {
		Elf *elf = elf_begin(fd, ELF_C_READ, NULL);

		if (elf && elf_kind(elf) == ELF_K_ELF)
			r = read_elf(e, elf, deadline_us);
		elf_end(elf);
	}
	if (r == TIMEOUT) {
		free_obj(e);
		return NULL;
	}
	if (r < 0) {
		free(e->sym);
		free(e->names);
		e->sym = NULL;
		e->names = NULL;
		e->nsym = 0;
		e->bytes = sizeof(*e);
		e->failed = 1;
	}
	insert(c, e);
	return e->failed ? NULL : e;
}

int jt_elf_vaddr(const struct jt_elf *e, uint64_t off, uint64_t *vaddr)
{
	for (int i = 0; i < e->nload; i++) {
		if (off >= e->load[i].off && off - e->load[i].off < e->load[i].filesz) {
			*vaddr = off - e->load[i].off + e->load[i].vaddr;
			return 0;
		}
	}
	return -1;
}

const char *jt_elf_symbol(const struct jt_elf *e, uint64_t vaddr, uint64_t *start)
{
	size_t lo = 0, hi = e->nsym, i;
	uint64_t a;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->sym[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	i = lo - 1;
	a = e->sym[i].addr;
	while (i > 0 && e->sym[i - 1].addr == a)
		i--;
	/* aliases come best first; a size of 0 means "unknown", taken as enclosing */
	for (; i < e->nsym && e->sym[i].addr == a; i++) {
		if (e->sym[i].size == 0 || vaddr - a < e->sym[i].size) {
			*start = a;
			return e->names + e->sym[i].name;
		}
	}
	return NULL;
}
