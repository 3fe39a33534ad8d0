/*
 * int80probe WHAT ARGS: one attempt through the i386 ABI from 64-bit code
 * (`int $0x80`, its arguments in memory below 4 GiB), reported as
 * "WHAT: ok ..." or "WHAT: -ERRNO" (the raw return value).
 *   read PATH           i386 open + read: "read: ok FIRST-LINE"
 *   create PATH         i386 creat + write of "int80\n": "create: ok"
 *   connect ADDR PORT   i386 socketcall(SOCKET), socketcall(CONNECT) to an
 *                       IPv4 address, then a write of "int80\n": "connect: ok"
 *   work DIR            ordinary i386 calls in DIR: mkdir, stat64, symlink,
 *                       readlink, lstat64, rename, unlink, rmdir, getpid;
 *                       a line each
 * Exits 0, or 2 on a usage error.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
#define NR_read 3
#define NR_write 4
#define NR_open 5
#define NR_close 6
#define NR_creat 8
#define NR_unlink 10
#define NR_rename 38
#define NR_mkdir 39
#define NR_rmdir 40
#define NR_socketcall 102
#define NR_getpid 20
#define NR_symlink 83
#define NR_readlink 85
#define NR_stat64 195
#define NR_lstat64 196

static long i386_call(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* memory the i386 ABI can address: its pointers are 32 bits */
static char *low;

static long lowstr(size_t off, const char *s)
{
	snprintf(low + off, 1024, "%s", s);
	return (long)(uintptr_t)(low + off);
}

static void say(const char *what, long r)
{
	if (r < 0)
		printf("%s: %ld\n", what, r);
	else
		printf("%s: ok\n", what);
}

int main(int argc, char **argv)
{
	char *buf;
	long fd, r;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 3)
		return 2;
	low = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return 1;
	buf = low + 32768;
	if (!strcmp(argv[1], "read")) {
		fd = i386_call(NR_open, lowstr(0, argv[2]), 0, 0);
		if (fd < 0)
			return say("read", fd), 0;
		r = i386_call(NR_read, fd, (long)(uintptr_t)buf, 255);
		if (r < 0)
			return say("read", r), 0;
		buf[r] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		printf("read: ok %s\n", buf);
	} else if (!strcmp(argv[1], "create")) {
		fd = i386_call(NR_creat, lowstr(0, argv[2]), 0644, 0);
		if (fd < 0)
			return say("create", fd), 0;
		r = i386_call(NR_write, fd, lowstr(4096, "int80\n"), 6);
		say("create", r < 0 ? r : 0);
	} else if (!strcmp(argv[1], "connect") && argc == 4) {
		uint32_t *args = (uint32_t *)(low + 8192);
		struct sockaddr_in *sa = (struct sockaddr_in *)(low + 12288);

		args[0] = AF_INET, args[1] = SOCK_STREAM, args[2] = 0;
		fd = i386_call(NR_socketcall, 1 /* SYS_SOCKET */, (long)(uintptr_t)args, 0);
		if (fd < 0)
			return say("connect", fd), 0;
		memset(sa, 0, sizeof(*sa));
		sa->sin_family = AF_INET;
		sa->sin_port = htons((unsigned short)atoi(argv[3]));
		inet_pton(AF_INET, argv[2], &sa->sin_addr);
		args[0] = (uint32_t)fd, args[1] = (uint32_t)(uintptr_t)sa, args[2] = sizeof(*sa);
		r = i386_call(NR_socketcall, 3 /* SYS_CONNECT */, (long)(uintptr_t)args, 0);
		if (r == 0)
			r = i386_call(NR_write, fd, lowstr(4096, "int80\n"), 6);
		say("connect", r < 0 ? r : 0);
	} else if (!strcmp(argv[1], "work")) {
		char path[4096];
		long long size;

		snprintf(path, sizeof(path), "%s/d", argv[2]);
		say("mkdir", i386_call(NR_mkdir, lowstr(0, path), 0755, 0));
		/* struct stat64 of i386: st_mode at offset 16 */
		r = i386_call(NR_stat64, lowstr(0, path), (long)(uintptr_t)buf, 0);
		printf("stat64: %s, a directory: %s\n", r < 0 ? "failed" : "ok",
		       r == 0 && (*(uint32_t *)(buf + 16) & 0170000) == 0040000 ? "yes" : "no");
		snprintf(path, sizeof(path), "%s/d/l", argv[2]);
		say("symlink", i386_call(NR_symlink, lowstr(4096, "target-text"), lowstr(0, path), 0));
		r = i386_call(NR_readlink, lowstr(0, path), (long)(uintptr_t)buf, 255);
		buf[r > 0 ? r : 0] = '\0';
		printf("readlink: %s\n", r > 0 ? buf : "failed");
		r = i386_call(NR_lstat64, lowstr(0, path), (long)(uintptr_t)buf, 0);
		/* st_size at offset 44 */
		memcpy(&size, buf + 44, sizeof(size));
		printf("lstat64: %s size %lld\n", r < 0 ? "failed" : "ok", r < 0 ? -1LL : size);
		snprintf(path, sizeof(path), "%s/d/m", argv[2]);
		snprintf(low + 8192, 4096, "%s/d/l", argv[2]);
		say("rename", i386_call(NR_rename, (long)(uintptr_t)(low + 8192), lowstr(0, path), 0));
		say("unlink", i386_call(NR_unlink, lowstr(0, path), 0, 0));
		snprintf(path, sizeof(path), "%s/d", argv[2]);
		say("rmdir", i386_call(NR_rmdir, lowstr(0, path), 0, 0));
		say("getpid", i386_call(NR_getpid, 0, 0, 0) == getpid() ? 0 : -1);
	} else {
		return 2;
	}
	return 0;
}
