/*
 * int80: makes i386 system calls with `int $0x80` from 64-bit code.
 *
 * usage: int80
 * 1. i386 getpid (nr 20): prints "int80 getpid: ok" when it returned this
 *    process's pid, else "int80 getpid: RET" (e.g. -38 for -ENOSYS).
 * 2. i386 write (nr 4) of "int80-write-reached-fd1\n" to fd 1, from a buffer
 *    mapped below 4 GB: the text appears on stdout only if the call ran; then
 *    prints "int80 write: RET" (24 when it ran).
 * Exits 0.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long i386_call3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

int main(void)
{
	static const char msg[] = "int80-write-reached-fd1\n";
	char *low;
	long r;

	setvbuf(stdout, NULL, _IONBF, 0);
	r = i386_call3(20, 0, 0, 0);
	if (r == getpid())
		printf("int80 getpid: ok\n");
	else
		printf("int80 getpid: %ld\n", r);

	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED) {
		printf("mmap MAP_32BIT failed\n");
		return 1;
	}
	memcpy(low, msg, sizeof msg - 1);
	r = i386_call3(4, 1, (long)low, sizeof msg - 1);
	printf("int80 write: %ld\n", r);
	return 0;
}
