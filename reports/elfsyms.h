/*
 * What a stack needs from a mapped ELF file: its loadable segments (to
 * turn an address into the file's own numbering), where its unwind table
 * is, its build id and its function symbols (.symtab, else .dynsym).
 * The file is the tracee's choice and hostile: sizes are capped, offsets
 * checked, and it is read (never mapped: a truncated mapping would fault
 * in the tracer). Objects are cached per run by (device, inode), within a
 * count and a byte budget.
 */
#ifndef JT_REPORTS_ELFSYMS_H
#define JT_REPORTS_ELFSYMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JT_ELF_LOADS 16		/* PT_LOAD segments kept */
#define JT_ELF_BUILD_ID 32	/* bytes of a build id kept */

struct jt_elf_sym {
	uint64_t addr, size;
	uint32_t name;		/* offset in names */
	uint32_t rank;		/* lower is the better name among aliases */
};

struct jt_elf {
	struct jt_elf *prev, *next;	/* most recently used first */
	dev_t dev;
	ino_t ino;
	int failed;			/* not usable ELF: cached so as not to retry */
	int nload;
	struct {
		uint64_t off, vaddr, filesz;
	} load[JT_ELF_LOADS];
	uint64_t eh_frame_hdr;		/* p_vaddr of PT_GNU_EH_FRAME; 0: none */
	char build_id[2 * JT_ELF_BUILD_ID + 1];	/* hex; "" when none */
	uint64_t py_runtime, py_version;	/* CPython's _PyRuntime, Py_Version; 0: none */
	struct jt_elf_sym *sym;		/* sorted by address */
	size_t nsym;
	char *names;
	size_t bytes;			/* counted against the cache's budget */
};

struct jt_elf_cache {
	struct jt_elf *head, *tail;
	size_t count, bytes;
};

void jt_elf_cache_free(struct jt_elf_cache *c);

/** The object (@dev, @ino) if cached (failed ones too), made most recent. */
struct jt_elf *jt_elf_cached(struct jt_elf_cache *c, dev_t dev, ino_t ino);

/**
 * Read the ELF file open on @fd and cache it as (@dev, @ino); a file that
 * is not usable is cached as failed. @fd == -1: cache a failure. Past
 * @deadline_us (CLOCK_MONOTONIC) the reading stops and nothing is cached.
 * @return the object, or NULL when there is none to use.
 */
struct jt_elf *jt_elf_load(struct jt_elf_cache *c, int fd, dev_t dev, ino_t ino,
			   uint64_t deadline_us);

/** The address, in the file's numbering, of file offset @off. @return 0 or -1. */
int jt_elf_vaddr(const struct jt_elf *e, uint64_t off, uint64_t *vaddr);

/** The function holding @vaddr, and its start; NULL when none does. */
const char *jt_elf_symbol(const struct jt_elf *e, uint64_t vaddr, uint64_t *start);

/** The calling thread's CPU time in microseconds (the clock of the deadlines). */
uint64_t jt_elf_now_us(void);

#endif
