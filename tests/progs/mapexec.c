/*
 * mapexec: tries to make memory executable that FILE backs, the ways a
 * loader or a dlopen would, and anonymous memory, the way a JIT does.
 *
 * usage: mapexec FILE   (or "-": the file open on standard input)
 * Prints one line per attempt, "NAME ok" or "NAME ERRNO-NAME":
 *   mmap-exec      mmap(FILE, PROT_READ|PROT_EXEC, MAP_PRIVATE)
 *   mprotect-exec  mmap(FILE, PROT_READ), then mprotect(PROT_READ|PROT_EXEC)
 *   pkey-exec      the same through pkey_mprotect(..., -1)
 *   anon-exec      an anonymous RWX page, a "ret" written to it and called
 *   old-mmap-exec  (i386 build only) the old mmap (number 90), its
 *                  arguments in memory, PROT_READ|PROT_EXEC of FILE
 * and "jit ran" once the anonymous page's code returned. Built 64- and
 * 32-bit (mapexec32).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static void say(const char *what, int ok)
{
	const char *e = strerrorname_np(errno);

	if (ok)
		printf("%s ok\n", what);
	else
		printf("%s %s\n", what, e ? e : "?");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	/* "-": the file open on standard input (one unlinked since) */
	int fd = argc > 1 ? (strcmp(argv[1], "-") ? open(argv[1], O_RDONLY) : 0) : -1;
	void *p;
	long r;

	if (fd < 0) {
		printf("cannot open %s: %s\n", argc > 1 ? argv[1] : "(none)", strerror(errno));
		return 2;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	say("mmap-exec", p != MAP_FAILED);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		say("mmap-read", 0);
		return 2;
	}
	say("mprotect-exec", mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	r = syscall(SYS_pkey_mprotect, p, 4096, PROT_READ | PROT_EXEC, -1);
	say("pkey-exec", r == 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	say("anon-exec", p != MAP_FAILED);
	if (p != MAP_FAILED) {
#if defined(__x86_64__) || defined(__i386__)
		*(unsigned char *)p = 0xc3;	/* ret */
#elif defined(__aarch64__)
		*(uint32_t *)p = 0xd65f03c0;	/* ret */
		__builtin___clear_cache((char *)p, (char *)p + 4);
#endif
		((void (*)(void))p)();
		printf("jit ran\n");
	}
#ifdef __i386__
	{
		uint32_t a[6] = { 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, (uint32_t)fd, 0 };

		r = syscall(90, a);
		say("old-mmap-exec", r != -1 && (unsigned long)r < 0xfffff000ul);
	}
#endif
	return 0;
}
