/*
 * work32 DIR: the ordinary work of a 32-bit program, in DIR (writable),
 * one line per step, with nothing in the output that depends on where DIR
 * is or which inodes it got: run natively and in the sandbox, the output
 * must be the same. Besides libc's calls (which on i386 are statx,
 * socketcall, truncate64, utimensat_time64, ...) it makes the older i386
 * calls directly (stat64, lstat64, fstatat64, statfs64, truncate,
 * utimensat with 32-bit times), since other libcs and older programs use
 * them, and checks that they agree with libc's answers.
 *   work32 DIR        the work
 *   work32 -hello     what the exec step runs: prints "hello from a 32-bit exec"
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* the i386 kernel's struct stat64 (arch/x86/include/uapi/asm/stat.h) */
struct kstat64 {
	unsigned long long st_dev;
	unsigned char pad0[4];
	unsigned long ino32;
	unsigned int st_mode;
	unsigned int st_nlink;
	unsigned long st_uid, st_gid;
	unsigned long long st_rdev;
	unsigned char pad3[4];
	long long st_size;
	unsigned long st_blksize;
	unsigned long long st_blocks;
	unsigned long st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec, st_ctime_, st_ctime_nsec;
	unsigned long long st_ino;
} __attribute__((packed));

/* struct statfs64 of i386 (packed to 4 bytes: 84) */
struct kstatfs64 {
	uint32_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	uint32_t f_namelen, f_frsize, f_flags, f_spare[4];
} __attribute__((packed, aligned(4)));

static const char *dir;

static const char *at(const char *name)
{
	static char buf[4][4096];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void step(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: ok\n", what);
}

/* the raw stat64 agrees with libc's stat (statx on this libc) */
static void agrees(const char *what, const struct kstat64 *k, const struct stat *st)
{
	int same = k->st_size == st->st_size && k->st_mode == st->st_mode &&
		   k->st_nlink == st->st_nlink && k->st_ino == st->st_ino &&
		   k->ino32 == (unsigned long)st->st_ino && k->st_dev == st->st_dev &&
		   k->st_uid == st->st_uid && k->st_mtime_ == (unsigned long)st->st_mtime &&
		   k->st_mtime_nsec == (unsigned long)st->st_mtim.tv_nsec &&
		   k->st_blocks == (unsigned long long)st->st_blocks;

	printf("%s agrees with stat: %s (size %lld mode %o nlink %u)\n", what, same ? "yes" : "NO",
	       k->st_size, k->st_mode, k->st_nlink);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	struct stat st;
	struct kstat64 k;
	struct kstatfs64 kf;
	struct statfs sf;
	char buf[256], *names[16];
	int fd, n = 0, sv[2], status;
	DIR *d;
	struct dirent *e;
	pid_t pid;

	_Static_assert(sizeof(void *) == 4, "work32 is a 32-bit program");
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && !strcmp(argv[1], "-hello")) {
		printf("hello from a 32-bit exec\n");
		return 0;
	}
	if (argc != 2)
		return 2;
	dir = argv[1];

	step("mkdir", mkdir(at("d"), 0755));
	fd = open(at("d/f"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	step("create", fd);
	step("write", write(fd, "hello, 32 bits\n", 15) == 15 ? 0 : -1);
	close(fd);
	fd = open(at("d/f"), O_RDONLY);
	memset(buf, 0, sizeof(buf));
	printf("read back: %s", read(fd, buf, sizeof(buf) - 1) > 0 ? buf : "nothing\n");
	step("fstat", fstat(fd, &st));
	printf("fstat size %lld mode %o\n", (long long)st.st_size, st.st_mode & 07777);
	close(fd);

	step("stat", stat(at("d/f"), &st));
	step("stat64", syscall(SYS_stat64, at("d/f"), &k));
	agrees("stat64", &k, &st);
	step("fstatat64", syscall(SYS_fstatat64, AT_FDCWD, at("d/f"), &k, 0));
	agrees("fstatat64", &k, &st);
	step("symlink", symlink("f", at("d/l")));
	step("lstat", lstat(at("d/l"), &st));
	step("lstat64", syscall(SYS_lstat64, at("d/l"), &k));
	agrees("lstat64", &k, &st);

	step("truncate64", truncate(at("d/f"), 5));
	step("truncate", syscall(SYS_truncate, at("d/f"), 3));
	stat(at("d/f"), &st);
	printf("size after truncate: %lld\n", (long long)st.st_size);
	{
		struct timespec ts[2] = { { 1000000000, 0 }, { 1000000001, 500 } };
		int32_t ts32[4] = { 1100000000, 0, 1100000002, 700 };

		step("utimensat", utimensat(AT_FDCWD, at("d/f"), ts, 0));
		stat(at("d/f"), &st);
		printf("mtime %lld.%ld\n", (long long)st.st_mtime, st.st_mtim.tv_nsec);
		step("utimensat32", syscall(SYS_utimensat, AT_FDCWD, at("d/f"), ts32, 0));
		stat(at("d/f"), &st);
		printf("mtime %lld.%ld\n", (long long)st.st_mtime, st.st_mtim.tv_nsec);
	}
	step("chmod", chmod(at("d/f"), 0600));
	stat(at("d/f"), &st);
	printf("mode %o\n", st.st_mode & 07777);
	step("chown32", chown(at("d/f"), -1, -1));
	step("statfs", statfs(at("d"), &sf));
	step("statfs64", syscall(SYS_statfs64, at("d"), sizeof(kf), &kf));
	printf("statfs64 agrees: %s\n",
	       kf.f_bsize == (uint32_t)sf.f_bsize && kf.f_type == (uint32_t)sf.f_type &&
	       kf.f_namelen == (uint32_t)sf.f_namelen ? "yes" : "NO");
	step("rename", rename(at("d/f"), at("d/g")));
	step("access", access(at("d/g"), R_OK));

	d = opendir(at("d"));
	while (d && (e = readdir(d)) && n < 16)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp);
	printf("listing:");
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");

	step("chdir", chdir(at("d")));
	printf("cwd ends in /d: %s\n", getcwd(buf, sizeof(buf)) && !strcmp(strrchr(buf, '/'), "/d") ? "yes" : "no");

	/* sockets: libc's i386 calls go through socketcall */
	step("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	step("send", send(sv[0], "ping", 4, 0));
	memset(buf, 0, sizeof(buf));
	printf("recv: %s\n", recv(sv[1], buf, sizeof(buf) - 1, 0) == 4 ? buf : "nothing");
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX }, got;
		socklen_t len = sizeof(got);
		int s = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("d/sock"));
		step("unix bind", bind(s, (struct sockaddr *)&sa, sizeof(sa)));
		step("unix listen", listen(s, 1));
		step("unix connect", connect(c, (struct sockaddr *)&sa, sizeof(sa)));
		step("getsockname", getsockname(s, (struct sockaddr *)&got, &len));
		printf("bound name is the path: %s\n", !strcmp(got.sun_path, sa.sun_path) ? "yes" : "no");
	}
	step("unlink", unlink(at("d/g")));

	pid = fork();
	if (pid == 0) {
		printf("child runs\n");
		_exit(7);
	}
	waitpid(pid, &status, 0);
	printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "-hello", (char *)NULL);
		execl(argv[0], argv[0], "-hello", (char *)NULL);
		printf("exec: %s\n", strerror(errno));
		_exit(1);
	}
	waitpid(pid, &status, 0);
	printf("exec exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
