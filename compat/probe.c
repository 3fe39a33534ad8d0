#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <linux/seccomp.h>
#include "compat/probe.h"

static const char *const names[JT_FEAT_COUNT] = {
	"seccomp", "exitkill", "vm_readv", "skip_at_seccomp", "syscall_info",
	"openat2", "pidfd_getfd", "close_range", "user_notif", "landlock",
};

const char *jt_feature_name(unsigned feat)
{
	for (int i = 0; i < JT_FEAT_COUNT; i++)
		if (feat == 1u << i)
			return names[i];
	return "?";
}

static int at_least(const struct jt_kernel *k, int major, int minor)
{
	return k->major > major || (k->major == major && k->minor >= minor);
}

/* A syscall that exists fails with anything but ENOSYS on bad arguments. */
static int syscall_exists(long nr, long a, long b, long c)
{
	return syscall(nr, a, b, c, 0, 0, 0) >= 0 || errno != ENOSYS;
}

static int have_seccomp_trace(void)
{
	unsigned action = SECCOMP_RET_TRACE;

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
		return 0;
	/* SECCOMP_GET_ACTION_AVAIL arrived in 4.14; before it, 3.5+ has RET_TRACE */
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
		return 1;
	return errno == EINVAL || errno == ENOSYS;
}

static int have_vm_readv(void)
{
	char src[8] = "probe", dst[8] = "";
	struct iovec l = { dst, sizeof(dst) }, r = { src, sizeof(src) };

	return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == sizeof(src);
}

static int yama_scope(void)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int jt_kernel_probe(struct jt_kernel *k)
{
	struct utsname u;

	memset(k, 0, sizeof(*k));
	if (uname(&u) < 0)
		return -errno;
	snprintf(k->release, sizeof(k->release), "%s", u.release);
	if (sscanf(u.release, "%d.%d", &k->major, &k->minor) != 2)
		return -EINVAL;
	if (have_seccomp_trace())
		k->have |= JT_FEAT_SECCOMP;
	if (at_least(k, 3, 8))
		k->have |= JT_FEAT_EXITKILL;
	if (have_vm_readv())
		k->have |= JT_FEAT_VM_READV;
	if (at_least(k, 4, 8))
		k->have |= JT_FEAT_SKIP_AT_SECCOMP;
	if (at_least(k, 5, 3))
		k->have |= JT_FEAT_SYSCALL_INFO;
#ifdef SYS_openat2
	if (syscall_exists(SYS_openat2, -1, 0, 0))
		k->have |= JT_FEAT_OPENAT2;
#endif
#ifdef SYS_pidfd_getfd
	if (syscall_exists(SYS_pidfd_getfd, -1, -1, 0))
		k->have |= JT_FEAT_PIDFD_GETFD;
#endif
#ifdef SYS_close_range
	/* an empty range that closes nothing */
	if (syscall_exists(SYS_close_range, ~0L, ~0L, 0))
		k->have |= JT_FEAT_CLOSE_RANGE;
#endif
	if (at_least(k, 5, 14))
		k->have |= JT_FEAT_USER_NOTIF;
#ifdef SYS_landlock_create_ruleset
	if (syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* VERSION */) > 0)
		k->have |= JT_FEAT_LANDLOCK;
#endif
	k->yama_ptrace_scope = yama_scope();
	return 0;
}

int jt_kernel_disable(struct jt_kernel *k, const char *list)
{
	char *copy = strdup(list), *save = NULL, *w;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		int i;

		if (!strcmp(w, "i386")) {
			k->pretend_no_i386 = 1;
			continue;
		}
		for (i = 0; i < JT_FEAT_COUNT && strcmp(w, names[i]); i++)
			;
		if (i == JT_FEAT_COUNT) {
			r = -EINVAL;
			break;
		}
		k->disabled |= 1u << i;
	}
	free(copy);
	return r;
}

#if defined(__x86_64__)
#include <elf.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* The status of a child that ran @fn, or -errno. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(fn());
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return st;
}

static int int80_getpid(void)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L /* i386 getpid */) : "memory");
	return ret == getpid() ? 42 : 1;
}

/* A static i386 program whose only instructions are exit(42). */
static size_t tiny_i386_program(unsigned char *b, size_t len)
{
	static const unsigned char code[] = {
		0xb8, 0x01, 0x00, 0x00, 0x00,	/* mov $1, %eax (exit) */
		0xbb, 0x2a, 0x00, 0x00, 0x00,	/* mov $42, %ebx */
		0xcd, 0x80,			/* int $0x80 */
	};
	const uint32_t base = 0x08048000;
	size_t n = sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr) + sizeof(code);
	Elf32_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS32, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
		.e_entry = base + sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr),
		.e_phoff = sizeof(Elf32_Ehdr), .e_ehsize = sizeof(Elf32_Ehdr),
		.e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1,
	};
	Elf32_Phdr ph = {
		.p_type = PT_LOAD, .p_vaddr = base, .p_paddr = base,
		.p_filesz = (uint32_t)n, .p_memsz = (uint32_t)n,
		.p_flags = PF_R | PF_X, .p_align = 0x1000,
	};

	if (len < n)
		return 0;
	memcpy(b, &eh, sizeof(eh));
	memcpy(b + sizeof(eh), &ph, sizeof(ph));
	memcpy(b + sizeof(eh) + sizeof(ph), code, sizeof(code));
	return n;
}

static unsigned char i386_prog[256];
static size_t i386_len;
static char i386_path[64];

/* In the child: a memfd (3.17) needs no directory that allows exec; before
 * it, the temporary file the parent wrote. */
static int exec_i386(void)
{
	char *argv[] = { "jailtrace-i386-probe", NULL }, *envp[] = { NULL };
	int fd = (int)syscall(SYS_memfd_create, "jailtrace-i386-probe", 0);

	if (fd >= 0) {
		if (write(fd, i386_prog, i386_len) != (ssize_t)i386_len)
			return 3;
		fexecve(fd, argv, envp);
		if (errno == ENOENT) {
			/* kernels whose execveat(fd, "", AT_EMPTY_PATH) says ENOENT
			 * (Debian 11's 5.10) run it by its /proc path */
			char path[64];

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			execve(path, argv, envp);
		}
	} else if (i386_path[0]) {
		execve(i386_path, argv, envp);
	} else {
		return 3;
	}
	return errno == ENOEXEC ? 2 : 3;
}

/* exit 42: it ran; killed by a signal or exit 2: the kernel refused it. */
static int verdict(int st)
{
	if (st < 0)
		return st;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 42)
		return 1;
	if (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 2))
		return 0;
	return -EIO;
}

void jt_probe_i386(int *programs, int *int80)
{
	int fd = -1;

	i386_len = tiny_i386_program(i386_prog, sizeof(i386_prog));
	i386_path[0] = '\0';
	if (!syscall_exists(SYS_memfd_create, 0, ~0L, 0)) {
		snprintf(i386_path, sizeof(i386_path), "/tmp/jailtrace-i386-probe.XXXXXX");
		fd = mkstemp(i386_path);
		if (fd < 0 || write(fd, i386_prog, i386_len) != (ssize_t)i386_len || fchmod(fd, 0700) < 0)
			i386_path[0] = '\0';
		if (fd >= 0)
			close(fd);
	}
	*programs = verdict(in_child(exec_i386));
	if (fd >= 0)
		unlink(i386_path);
	*int80 = verdict(in_child(int80_getpid));
}
#else
void jt_probe_i386(int *programs, int *int80)
{
	*programs = *int80 = -ENOSYS;
}
#endif
