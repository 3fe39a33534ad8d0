/*
 * The ELF reader of stacks: names this program's own functions, finds its
 * unwind table and build id, and survives damaged copies of itself (the
 * files a sandboxed program maps are hostile) with bounded memory.
 */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "reports/elfsyms.h"
#include "tests/unit/harness.h"

#define FOREVER (~(uint64_t)0)

__attribute__((noinline)) int elfsyms_known_function(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

static uintptr_t main_bias;
static char main_build_id[80];

static int find_main(struct dl_phdr_info *info, size_t size, void *arg)
{
	static const char hex[] = "0123456789abcdef";

	(void)size;
	(void)arg;
	main_bias = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		size_t off = 0;

		if (ph->p_type != PT_NOTE)
			continue;
		while (off + sizeof(ElfW(Nhdr)) <= ph->p_memsz) {
			const ElfW(Nhdr) *nh = (const void *)(p + off);
			size_t name = off + sizeof(*nh), desc = name + ((nh->n_namesz + 3) & ~3u);

			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && nh->n_descsz <= 32) {
				for (unsigned k = 0; k < nh->n_descsz; k++) {
					main_build_id[2 * k] = hex[p[desc + k] >> 4];
					main_build_id[2 * k + 1] = hex[p[desc + k] & 15];
				}
				return 1;
			}
			off = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 1;	/* the first object is the program */
}

static const struct jt_elf *load_self(struct jt_elf_cache *c)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;
	const struct jt_elf *e;

	ASSERT_TRUE(fd >= 0 && fstat(fd, &st) == 0);
	e = jt_elf_load(c, fd, st.st_dev, st.st_ino, FOREVER);
	close(fd);
	return e;
}

TEST(own_functions_are_named_with_their_start)
{
	struct jt_elf_cache c = { 0 };
	const struct jt_elf *e = load_self(&c);
	uint64_t start = 0, v;
	const char *name;

	ASSERT_TRUE(e != NULL);
	dl_iterate_phdr(find_main, NULL);
	v = (uint64_t)(uintptr_t)elfsyms_known_function - main_bias;
	name = jt_elf_symbol(e, v + 3, &start);
	ASSERT_TRUE(name != NULL);
	EXPECT_STREQ(name, "elfsyms_known_function");
	EXPECT_EQ(start, v);
	EXPECT_TRUE(e->eh_frame_hdr != 0);
	EXPECT_TRUE(jt_elf_symbol(e, 0, &start) == NULL);
	jt_elf_cache_free(&c);
}

TEST(build_id_is_the_one_in_the_note)
{
	struct jt_elf_cache c = { 0 };
	const struct jt_elf *e = load_self(&c);

	ASSERT_TRUE(e != NULL);
	dl_iterate_phdr(find_main, NULL);
	ASSERT_TRUE(main_build_id[0] != '\0');
	EXPECT_STREQ(e->build_id, main_build_id);
	jt_elf_cache_free(&c);
}

TEST(cached_by_device_and_inode)
{
	struct jt_elf_cache c = { 0 };
	const struct jt_elf *e = load_self(&c);
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;

	/* fstat, not stat: under valgrind only open() leads to the program */
	ASSERT_TRUE(e != NULL && fd >= 0 && fstat(fd, &st) == 0);
	close(fd);
	EXPECT_TRUE(jt_elf_cached(&c, st.st_dev, st.st_ino) == e);
	EXPECT_TRUE(jt_elf_cached(&c, st.st_dev, st.st_ino + 1) == NULL);
	EXPECT_EQ(c.count, 1);
	jt_elf_cache_free(&c);
}

/* A copy of this program in a memory file, for damaging. */
static unsigned char *self_bytes(size_t *n)
{
	static unsigned char *buf;
	static size_t len;
	int fd;
	ssize_t r;

	if (!buf) {
		struct stat st;

		fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		ASSERT_TRUE(fd >= 0 && fstat(fd, &st) == 0);
		buf = malloc((size_t)st.st_size);
		ASSERT_TRUE(buf != NULL);
		r = read(fd, buf, (size_t)st.st_size);
		ASSERT_TRUE(r == st.st_size);
		len = (size_t)r;
		close(fd);
	}
	*n = len;
	return buf;
}

static int memfile(const unsigned char *b, size_t n)
{
	int fd = memfd_create("elf", MFD_CLOEXEC);

	ASSERT_TRUE(fd >= 0 && write(fd, b, n) == (ssize_t)n);
	return fd;
}

static unsigned long long lcg(unsigned long long *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

TEST(lying_headers_are_refused)
{
	struct jt_elf_cache c = { 0 };
	size_t n;
	unsigned char *orig = self_bytes(&n), *b = malloc(n);
	Elf64_Ehdr *h = (Elf64_Ehdr *)b;
	int fd;

	ASSERT_TRUE(b != NULL);
	for (int k = 0; k < 5; k++) {
		memcpy(b, orig, n);
		switch (k) {
		case 0: h->e_shnum = 0; break;		/* a section count held elsewhere */
		case 1: h->e_phnum = 0xffff; break;
		case 2: b[EI_CLASS] = ELFCLASS32; break;
		case 3: h->e_machine = EM_ARM; break;
		case 4: h->e_shentsize = 7; break;
		}
		fd = memfile(b, n);
		EXPECT_TRUE(jt_elf_load(&c, fd, 1, (ino_t)(100 + k), FOREVER) == NULL);
		close(fd);
	}
	/* refused files are remembered as such, not read again */
	EXPECT_TRUE(jt_elf_cached(&c, 1, 100) != NULL && jt_elf_cached(&c, 1, 100)->failed);
	EXPECT_TRUE(jt_elf_load(&c, -1, 1, 200, FOREVER) == NULL);
	fd = open("/dev/null", O_RDONLY);
	EXPECT_TRUE(jt_elf_load(&c, fd, 1, 201, FOREVER) == NULL);
	close(fd);
	free(b);
	jt_elf_cache_free(&c);
}

TEST(a_passed_deadline_caches_nothing)
{
	struct jt_elf_cache c = { 0 };
	size_t n;
	unsigned char *b = self_bytes(&n);
	int fd = memfile(b, n);

	EXPECT_TRUE(jt_elf_load(&c, fd, 1, 1, 0) == NULL);
	EXPECT_TRUE(jt_elf_cached(&c, 1, 1) == NULL);
	close(fd);
	jt_elf_cache_free(&c);
}

/*
 * Damaged copies: bytes overwritten at random, half of them in the
 * headers and tables that steer the reader. Each load must end, in
 * bounds (ASan and valgrind judge), and the cache must keep its limits.
 */
TEST(damaged_copies_never_crash_and_the_cache_stays_bounded)
{
	struct jt_elf_cache c = { 0 };
	unsigned long long seed = 12345;
	size_t n;
	unsigned char *orig = self_bytes(&n), *b = malloc(n);
	Elf64_Ehdr *h = (Elf64_Ehdr *)orig;
	int usable = 0, named = 0;

	ASSERT_TRUE(b != NULL);
	for (int i = 0; i < 400; i++) {
		const struct jt_elf *e;
		uint64_t start;
		int fd;

		memcpy(b, orig, n);
		for (int k = 0; k < 1 + i % 40; k++) {
			size_t at;

			switch (lcg(&seed) % 4) {
			case 0: at = lcg(&seed) % 64; break;
			case 1: at = h->e_phoff + lcg(&seed) % (h->e_phnum * sizeof(Elf64_Phdr)); break;
			case 2: at = h->e_shoff + lcg(&seed) % (h->e_shnum * sizeof(Elf64_Shdr)); break;
			default: at = lcg(&seed) % n; break;
			}
			if (at < n)
				b[at] = (unsigned char)lcg(&seed);
		}
		fd = memfile(b, n);
		e = jt_elf_load(&c, fd, 2, (ino_t)(1000 + i), FOREVER);
		close(fd);
		if (e) {
			usable++;
			named += e->nsym > 0;
			for (uint64_t v = 0; v < 0x40000; v += 0x100)
				jt_elf_symbol(e, v, &start);
			EXPECT_TRUE(strlen(e->build_id) <= 64);
		}
		EXPECT_TRUE(c.count <= 64);
	}
	/* much damage still leaves a file worth reading: the reader was exercised */
	EXPECT_TRUE(usable > 40 && named > 20);
	free(b);
	jt_elf_cache_free(&c);
}
