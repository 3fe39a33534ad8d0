/*
 * stacker: does something the sandbox records with a stack, from known
 * functions (not inlined, not static), or with a stack made to mislead.
 *
 * usage: stacker MODE [ARG]
 *   deny           do_forbidden_call(): kill(1, 0), denied (target outside)
 *   many N         do_forbidden_call() N times
 *   thread         a thread: thread_body() -> do_forbidden_call()
 *   segv           do_null_write(): a store through a null pointer (SIGSEGV)
 *   abort          do_abort(): abort() (SIGABRT)
 *   caught         do_null_write() with a SIGSEGV handler that exits 3
 *   segv-thread    a thread: thread_segv() -> do_null_write()
 *   spin           do_spin_forever(): a busy loop, for a time limit
 *   badsp ADDR     kill(1, 0) with the stack and frame pointers set to ADDR
 *   loopsp         kill(1, 0) with frames that point at themselves
 *   hostile DIR V  kill(1, 0) from a frame whose caller is inside a file
 *                  it mapped, crafted by variant V (0-3, or fuzz:SEED),
 *                  whose name is then a FIFO
 * Prints "kill: ok" or "kill: ENAME" for the kill modes; exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int *volatile null_pointer;
volatile unsigned long spins;

__attribute__((noinline)) long do_forbidden_call(void)
{
	long rc = kill(1, 0);

	__asm__ volatile("" ::: "memory");	/* no tail call: keep this frame */
	return rc < 0 ? -errno : rc;
}

/* A path outside the view: the errno is ENOENT whether the host has it or not. */
__attribute__((noinline)) long do_hidden_open(const char *path)
{
	long fd = open(path, O_RDONLY);

	__asm__ volatile("" ::: "memory");
	if (fd >= 0)
		close((int)fd);
	return fd < 0 ? -errno : 0;
}

__attribute__((noinline)) void do_null_write(void)
{
	*null_pointer = 1;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void do_abort(void)
{
	abort();
}

__attribute__((noinline)) void do_spin_forever(void)
{
	for (;;)
		spins++;
}

__attribute__((noinline)) void *thread_body(void *arg)
{
	(void)arg;
	long rc = do_forbidden_call();

	__asm__ volatile("" ::: "memory");
	return (void *)rc;
}

__attribute__((noinline)) void *thread_segv(void *arg)
{
	(void)arg;
	do_null_write();
	return NULL;
}

/* @rc: 0 or -errno */
static void report(long rc)
{
	if (rc < 0)
		printf("kill: %s\n", strerrorname_np((int)-rc));
	else
		printf("kill: ok\n");
}

static void on_segv(int sig)
{
	_exit(sig == SIGSEGV ? 3 : 4);
}

#if defined(__x86_64__)
/* kill(1, 0) made with rsp and rbp pointing at @sp: the unwinder starts
 * from whatever is there. The raw syscall needs no stack. */
__attribute__((noinline)) long kill_with_stack(uint64_t sp)
{
	long ret;

	__asm__ volatile("mov %%rsp, %%r12\n\t"
			 "mov %%rbp, %%r13\n\t"
			 "mov %[sp], %%rsp\n\t"
			 "mov %[sp], %%rbp\n\t"
			 "syscall\n\t"
			 "mov %%r12, %%rsp\n\t"
			 "mov %%r13, %%rbp\n\t"
			 : "=a"(ret)
			 : "a"((long)SYS_kill), "D"(1L), "S"(0L), [sp] "r"(sp)
			 : "rcx", "r11", "r12", "r13", "memory");
	return ret;
}
#else
long kill_with_stack(uint64_t sp)
{
	(void)sp;
	return do_forbidden_call();
}
#endif

/* Frames for kill_with_stack: saved frame pointer, then return address. */
static uint64_t frames[64] __attribute__((aligned(16)));

static void loop_frames(uint64_t ret)
{
	for (int i = 0; i < 64; i += 2) {
		frames[i] = (uint64_t)(uintptr_t)&frames[0];
		frames[i + 1] = ret;
	}
}

static unsigned long long lcg(unsigned long long *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* A copy of this program, damaged as variant @v says. */
static size_t craft(unsigned char *b, size_t n, const char *v)
{
	unsigned long long seed;

	if (n < 64)
		return n;
	if (!strcmp(v, "0")) {
		/* section headers everywhere with absurd offsets, sizes and links */
		uint64_t shoff;

		memcpy(&shoff, b + 0x28, 8);
		for (uint64_t o = shoff; o + 64 <= n; o += 64) {
			memset(b + o + 0x18, 0x7f, 16);	/* sh_offset, sh_size */
			memset(b + o + 0x28, 0x41, 4);	/* sh_link */
		}
	} else if (!strcmp(v, "1")) {
		/* an unwind table claiming 2^31 entries of noise */
		for (size_t i = 0; i + 16 < n; i++) {
			if (b[i] == 1 && b[i + 1] == 0x1b && b[i + 2] == 0x03 && b[i + 3] == 0x3b) {
				memset(b + i + 8, 0xff, 3);
				b[i + 11] = 0x7f;
				for (size_t k = i + 12; k < n && k < i + 4096; k++)
					b[k] = (unsigned char)(k * 37);
				break;
			}
		}
	} else if (!strcmp(v, "2")) {
		/* a plausible header over noise */
		seed = 7;
		for (size_t i = 64; i < n; i++)
			b[i] = (unsigned char)lcg(&seed);
	} else if (!strcmp(v, "3")) {
		/* a header that promises more program headers than fit */
		b[0x38] = 0x80;	/* e_phnum */
		memset(b + 0x20, 0xff, 7);	/* e_phoff */
	} else if (!strncmp(v, "fuzz:", 5)) {
		seed = strtoull(v + 5, NULL, 10);
		for (int k = 0; k < 400; k++)
			b[lcg(&seed) % n] = (unsigned char)lcg(&seed);
	}
	return n;
}

static long hostile(const char *dir, const char *variant)
{
	char path[4096], away[4096];
	static unsigned char buf[8 << 20];
	ssize_t n;
	int fd;
	unsigned char *m;

	fd = open("/proc/self/exe", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 4096)
		return -EIO;
	n = (ssize_t)craft(buf, (size_t)n, variant);
	snprintf(path, sizeof(path), "%s/evil.so", dir);
	snprintf(away, sizeof(away), "%s/evil.so.away", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0700);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		return -EIO;
	m = mmap(NULL, (size_t)n, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	/* the name now leads to a FIFO: opening it by name would block */
	if (rename(path, away) < 0 || mkfifo(path, 0600) < 0)
		return -errno;
	loop_frames((uint64_t)(uintptr_t)(m + 0x1100));
	return kill_with_stack((uint64_t)(uintptr_t)&frames[0]);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	pthread_t th;
	void *ret = NULL;

	if (!strcmp(mode, "deny")) {
		report(do_forbidden_call());
	} else if (!strcmp(mode, "open") && argc > 2) {
		report(do_hidden_open(argv[2]));
	} else if (!strcmp(mode, "many") && argc > 2) {
		long n = atol(argv[2]), rc = 0;

		for (long i = 0; i < n; i++)
			rc = do_forbidden_call();
		report(rc);
	} else if (!strcmp(mode, "thread")) {
		if (pthread_create(&th, NULL, thread_body, NULL) || pthread_join(th, &ret))
			return 1;
		report((long)ret);
	} else if (!strcmp(mode, "segv")) {
		do_null_write();
	} else if (!strcmp(mode, "abort")) {
		do_abort();
	} else if (!strcmp(mode, "caught")) {
		signal(SIGSEGV, on_segv);
		do_null_write();
	} else if (!strcmp(mode, "segv-thread")) {
		if (pthread_create(&th, NULL, thread_segv, NULL) || pthread_join(th, &ret))
			return 1;
	} else if (!strcmp(mode, "spin")) {
		do_spin_forever();
	} else if (!strcmp(mode, "badsp") && argc > 2) {
		report(kill_with_stack(strtoull(argv[2], NULL, 0)));
	} else if (!strcmp(mode, "loopsp")) {
		loop_frames((uint64_t)(uintptr_t)do_spin_forever + 4);
		report(kill_with_stack((uint64_t)(uintptr_t)&frames[0]));
	} else if (!strcmp(mode, "hostile") && argc > 3) {
		report(hostile(argv[2], argv[3]));
	} else {
		fprintf(stderr, "stacker: bad usage\n");
		return 2;
	}
	return 0;
}
