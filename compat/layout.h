/*
 * Structures the tracer writes into, or reads from, a program's memory,
 * per ABI. A call the tracer performs for the program (tracer/fs.c) gets
 * its result in the layout of the ABI it came through: an i386 program's
 * stat64 is 96 packed bytes with 32-bit times, not x86_64's struct stat.
 * Each function follows the kernel's own compat code (fs/stat.c,
 * fs/statfs.c, arch/x86/kernel/sys_ia32.c, net/compat.c), so a program
 * sees what the kernel would have written.
 */
#ifndef JT_COMPAT_LAYOUT_H
#define JT_COMPAT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "compat/syscalls.h"

/* Large enough for any stat or statfs layout below. */
#define JT_LAYOUT_MAX 160

/**
 * @st as stat call @sys (stat, lstat, newfstatat, stat64, lstat64,
 * fstatat64) of @abi writes it. @return its size, -ENOSYS for a layout
 * not translated (i386's old 32-bit stat), or -EOVERFLOW.
 */
int jt_layout_stat(const struct jt_abi *abi, int sys, const struct stat *st, void *out);

/**
 * @sf as statfs call @sys (statfs, statfs64) of @abi writes it; @size is
 * statfs64's size argument, which the kernel checks. @return its size,
 * -EINVAL (a wrong size), -ENOSYS or -EOVERFLOW.
 */
int jt_layout_statfs(const struct jt_abi *abi, int sys, uint64_t size, const struct statfs *sf,
		     void *out);

/** Bytes of the two timespecs utimensat call @sys of @abi reads. */
size_t jt_layout_timespec2_size(const struct jt_abi *abi, int sys);

/** Decode them (@raw holds jt_layout_timespec2_size bytes). */
void jt_layout_timespec2(const struct jt_abi *abi, int sys, const void *raw, struct timespec ts[2]);

/** A pointer in @abi's memory, as @abi->ptr_size bytes at @out. */
void jt_layout_ptr_put(const struct jt_abi *abi, void *out, uint64_t ptr);
uint64_t jt_layout_ptr_get(const struct jt_abi *abi, const void *in);

/*
 * A msghdr with one iovec and room for one SCM_RIGHTS descriptor, for the
 * handover's recvmsg (tracer/inject.c), in @abi's layout.
 */
struct jt_layout_msg {
	size_t msg_size, iov_size;	/* bytes of struct msghdr and struct iovec */
	size_t control_len;		/* CMSG_SPACE(sizeof(int)) */
	size_t cmsg_len;		/* CMSG_LEN(sizeof(int)) */
	size_t cmsg_data;		/* CMSG_LEN(0): where the descriptor is */
};

void jt_layout_msg(const struct jt_abi *abi, struct jt_layout_msg *l);

/** Encode struct msghdr and its one iovec (the sizes jt_layout_msg gives). */
void jt_layout_msg_put(const struct jt_abi *abi, void *msg, void *iov, uint64_t iov_addr,
		       uint64_t base, uint64_t len, uint64_t control, uint64_t controllen);

/** What recvmsg left in struct msghdr: msg_controllen and msg_flags. */
void jt_layout_msg_get(const struct jt_abi *abi, const void *msg, uint64_t *controllen, int *flags);

/** Encode one SCM_RIGHTS cmsghdr carrying @fd (control_len bytes at @buf). */
void jt_layout_cmsg_rights(const struct jt_abi *abi, void *buf, int fd);

/** A cmsghdr at @buf: its length, level, type. */
void jt_layout_cmsg_get(const struct jt_abi *abi, const void *buf, uint64_t *len, int *level,
			int *type);

#endif
