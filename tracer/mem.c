/*
 * Reading tracee memory. The tracee chose every address: reads are
 * bounded, never cross into an unmapped page unnoticed, and a fault is an
 * error to report, not a crash. Reads here are for logging and for facts
 * about arguments the kernel does not re-read from the tracee.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include "tracer/internal.h"

#define PAGE 4096u

/* /proc/TID/mem, read or written at @addr: the fallback of process_vm_*. */
static ssize_t proc_mem(pid_t tid, uint64_t addr, void *buf, size_t len, int write)
{
	char path[64];
	ssize_t n;
	int fd;

	int as = jt_view_as_jail();	/* the sandbox's /proc/TID/mem is its user's */

	snprintf(path, sizeof(path), "/proc/%d/mem", tid);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	jt_view_as_back(as);
	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, buf, len, (off_t)addr) : pread(fd, buf, len, (off_t)addr);
	/* an unmapped address reads as EIO here; the kernel would say EFAULT */
	if (n < 0)
		n = errno == EIO ? -EFAULT : -errno;
	close(fd);
	return n == 0 ? -EFAULT : n;
}

char *jt_proc_stat(pid_t tid, char *buf, size_t len)
{
	char path[64], *s;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		errno = EIO;
		return NULL;
	}
	buf[n] = '\0';
	/* the command name may hold anything, even ") ": after the last ')' */
	if (!(s = strrchr(buf, ')'))) {
		errno = EIO;
		return NULL;
	}
	return s + 1;
}

long jt_proc_status(pid_t tid, const char *key, int base, long missing)
{
	char path[64], buf[2048], *s;
	size_t kl = strlen(key);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return missing;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return missing;
	buf[n] = '\0';
	for (s = buf; (s = strstr(s, key)); s += kl)
		if (s == buf || s[-1] == '\n')
			return strtol(s + kl, NULL, base);
	return missing;
}

ssize_t jt_mem_read(const struct jt_run *run, pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (len == 0)
		return 0;
	if (addr == 0)
		return -EFAULT;
	if (!jt_kernel_has(&run->kernel, JT_FEAT_VM_READV))
		return proc_mem(tid, addr, buf, len, 0);
	n = process_vm_readv(tid, &l, 1, &r, 1, 0);
	return n < 0 ? -errno : n;
}

/* The first read of a string: most paths are short, and a read to the page
 * end copies (and searches) up to 4 KiB for a name of 30 bytes. */
#define STRING_FIRST 256u

/*
 * A NUL-terminated string of at most @max - 1 bytes, read a page at a time
 * (the first read shorter) so that a string ending just before an unmapped
 * page still reads; no read crosses a page end.
 * @return its length; *cut is set when no NUL came within @max - 1 bytes.
 */
ssize_t jt_mem_string(const struct jt_run *run, pid_t tid, uint64_t addr, char *buf,
		      size_t max, int *cut)
{
	size_t len = 0;

	*cut = 0;
	if (max == 0)
		return -EINVAL;
	while (len < max - 1) {
		size_t chunk = PAGE - (size_t)((addr + len) % PAGE);
		ssize_t n;
		char *nul;

		if (len == 0 && chunk > STRING_FIRST)
			chunk = STRING_FIRST;
		if (chunk > max - 1 - len)
			chunk = max - 1 - len;
		n = jt_mem_read(run, tid, addr + len, buf + len, chunk);
		if (n < 0) {
			buf[len] = '\0';
			*cut = len > 0;	/* unterminated before a fault */
			return len ? (ssize_t)len : n;
		}
		nul = memchr(buf + len, '\0', (size_t)n);
		if (nul)
			return nul - buf;
		len += (size_t)n;
		if ((size_t)n < chunk)
			break;
	}
	buf[len] = '\0';
	*cut = 1;
	return (ssize_t)len;
}

/*
 * The length of a string the record cut: how far its NUL lies from @addr,
 * looked for a page at a time up to @max bytes. @return the length, or
 * @max when there is no NUL within it (or memory ends first: then the
 * bytes readable), for "len" beside a cut string in the record.
 */
size_t jt_mem_strlen(const struct jt_run *run, pid_t tid, uint64_t addr, size_t from, size_t max)
{
	char buf[4096];
	size_t len = from;

	while (len < max) {
		size_t chunk = sizeof(buf) - (size_t)((addr + len) % sizeof(buf));
		ssize_t n;
		char *nul;

		if (chunk > max - len)
			chunk = max - len;
		n = jt_mem_read(run, tid, addr + len, buf, chunk);
		if (n <= 0)
			return len;
		nul = memchr(buf, '\0', (size_t)n);
		if (nul)
			return len + (size_t)(nul - buf);
		len += (size_t)n;
		if ((size_t)n < chunk)
			return len;
	}
	return max;
}

/* Write into the tracee: process_vm_writev, else /proc/PID/mem. @return 0 or -errno. */
int jt_mem_write(const struct jt_run *run, pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec l = { (void *)buf, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (addr == 0)
		return -EFAULT;
	if (jt_kernel_has(&run->kernel, JT_FEAT_VM_READV)) {
		n = process_vm_writev(tid, &l, 1, &r, 1, 0);
		return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EFAULT;
	}
	n = proc_mem(tid, addr, (void *)buf, len, 1);
	return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EFAULT;
}
