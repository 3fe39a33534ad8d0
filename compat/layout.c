/*
 * Per-ABI layouts of what the tracer writes into or reads from a program
 * (see layout.h). The native ABI's are the host's own structures; i386's
 * are spelled out below as the kernel's compat code lays them out.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "compat/layout.h"

/* arch/x86/include/uapi/asm/stat.h, __i386__: what stat64 and fstatat64 write */
struct i386_stat64 {
	uint64_t st_dev;
	unsigned char pad0[4];
	uint32_t st_ino32;
	uint32_t st_mode;
	uint32_t st_nlink;
	uint32_t st_uid;
	uint32_t st_gid;
	uint64_t st_rdev;
	unsigned char pad3[4];
	int64_t st_size;
	uint32_t st_blksize;
	uint64_t st_blocks;
	uint32_t st_atime_s, st_atime_ns;
	uint32_t st_mtime_s, st_mtime_ns;
	uint32_t st_ctime_s, st_ctime_ns;
	uint64_t st_ino;
} __attribute__((packed));

_Static_assert(sizeof(struct i386_stat64) == 96, "i386 struct stat64 is 96 bytes");
_Static_assert(offsetof(struct i386_stat64, st_size) == 44, "i386 stat64 st_size at 44");
_Static_assert(offsetof(struct i386_stat64, st_ino) == 88, "i386 stat64 st_ino at 88");

/* struct compat_statfs64 of x86: packed to 4 bytes, so 84 long */
struct i386_statfs64 {
	uint32_t f_type;
	uint32_t f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	uint32_t f_namelen;
	uint32_t f_frsize;
	uint32_t f_flags;
	uint32_t f_spare[4];
} __attribute__((packed, aligned(4)));

_Static_assert(sizeof(struct i386_statfs64) == 84, "i386 struct statfs64 is 84 bytes");
_Static_assert(JT_LAYOUT_MAX >= sizeof(struct stat) && JT_LAYOUT_MAX >= sizeof(struct statfs),
	       "JT_LAYOUT_MAX holds the native layouts");

static int is_i386(const struct jt_abi *abi)
{
	return abi == &jt_abi_i386;
}

int jt_layout_stat(const struct jt_abi *abi, int sys, const struct stat *st, void *out)
{
	struct i386_stat64 s;

	if (!is_i386(abi)) {
		if (abi != jt_abi_native())
			return -ENOSYS;
		memcpy(out, st, sizeof(*st));
		return (int)sizeof(*st);
	}
	/* the old 32-bit struct stat (stat, lstat): libc has used stat64 since 2.1 */
	if (sys != JT_SYS_stat64 && sys != JT_SYS_lstat64 && sys != JT_SYS_fstatat64)
		return -ENOSYS;
	/* cp_stat64(): dev_t is new_encode_dev()'d on both sides; times are cut to 32 bits */
	memset(&s, 0, sizeof(s));
	s.st_dev = (uint64_t)st->st_dev;
	s.st_ino32 = (uint32_t)st->st_ino;
	s.st_ino = (uint64_t)st->st_ino;
	s.st_mode = st->st_mode;
	s.st_nlink = (uint32_t)st->st_nlink;
	s.st_uid = st->st_uid;
	s.st_gid = st->st_gid;
	s.st_rdev = (uint64_t)st->st_rdev;
	s.st_size = (int64_t)st->st_size;
	s.st_blksize = (uint32_t)st->st_blksize;
	s.st_blocks = (uint64_t)st->st_blocks;
	s.st_atime_s = (uint32_t)st->st_atim.tv_sec;
	s.st_atime_ns = (uint32_t)st->st_atim.tv_nsec;
	s.st_mtime_s = (uint32_t)st->st_mtim.tv_sec;
	s.st_mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
	s.st_ctime_s = (uint32_t)st->st_ctim.tv_sec;
	s.st_ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
	memcpy(out, &s, sizeof(s));
	return (int)sizeof(s);
}

int jt_layout_statfs(const struct jt_abi *abi, int sys, uint64_t size, const struct statfs *sf,
		     void *out)
{
	struct i386_statfs64 s;

	if (!is_i386(abi)) {
		if (abi != jt_abi_native() || sys != JT_SYS_statfs)
			return -ENOSYS;
		memcpy(out, sf, sizeof(*sf));
		return (int)sizeof(*sf);
	}
	/* the old statfs with 32-bit counts: libc uses statfs64 */
	if (sys != JT_SYS_statfs64)
		return -ENOSYS;
	if (size != sizeof(s))
		return -EINVAL;
	/* put_compat_statfs64() */
	if (((uint64_t)sf->f_bsize | (uint64_t)sf->f_frsize) >> 32)
		return -EOVERFLOW;
	memset(&s, 0, sizeof(s));
	s.f_type = (uint32_t)sf->f_type;
	s.f_bsize = (uint32_t)sf->f_bsize;
	s.f_blocks = sf->f_blocks;
	s.f_bfree = sf->f_bfree;
	s.f_bavail = sf->f_bavail;
	s.f_files = sf->f_files;
	s.f_ffree = sf->f_ffree;
	memcpy(s.f_fsid, &sf->f_fsid, sizeof(s.f_fsid));
	s.f_namelen = (uint32_t)sf->f_namelen;
	s.f_frsize = (uint32_t)sf->f_frsize;
	s.f_flags = (uint32_t)sf->f_flags;
	memcpy(out, &s, sizeof(s));
	return (int)sizeof(s);
}

/* i386 utimensat takes old_timespec32 (two 32-bit words); utimensat_time64 the 64-bit one */
static int timespec32(const struct jt_abi *abi, int sys)
{
	return is_i386(abi) && sys != JT_SYS_utimensat_time64;
}

size_t jt_layout_timespec2_size(const struct jt_abi *abi, int sys)
{
	return timespec32(abi, sys) ? 16 : 2 * sizeof(struct timespec);
}

void jt_layout_timespec2(const struct jt_abi *abi, int sys, const void *raw, struct timespec ts[2])
{
	if (!timespec32(abi, sys)) {
		memcpy(ts, raw, 2 * sizeof(struct timespec));
		return;
	}
	for (int i = 0; i < 2; i++) {
		int32_t w[2];

		/* get_old_timespec32(): both fields sign-extended */
		memcpy(w, (const char *)raw + i * 8, sizeof(w));
		ts[i].tv_sec = w[0];
		ts[i].tv_nsec = w[1];
	}
}

void jt_layout_ptr_put(const struct jt_abi *abi, void *out, uint64_t ptr)
{
	uint32_t p32 = (uint32_t)ptr;

	if (abi->ptr_size == 4)
		memcpy(out, &p32, 4);
	else
		memcpy(out, &ptr, 8);
}

uint64_t jt_layout_ptr_get(const struct jt_abi *abi, const void *in)
{
	uint32_t p32;
	uint64_t p;

	if (abi->ptr_size == 4) {
		memcpy(&p32, in, 4);
		return p32;
	}
	memcpy(&p, in, 8);
	return p;
}

/*
 * struct compat_msghdr: seven 32-bit words (name, namelen, iov, iovlen,
 * control, controllen, flags); compat_iovec two; compat_cmsghdr three,
 * its data aligned to 4 bytes (net/compat.c, CMSG_COMPAT_*).
 */
void jt_layout_msg(const struct jt_abi *abi, struct jt_layout_msg *l)
{
	if (is_i386(abi)) {
		*l = (struct jt_layout_msg){ .msg_size = 28, .iov_size = 8, .control_len = 16,
					     .cmsg_len = 16, .cmsg_data = 12 };
		return;
	}
	*l = (struct jt_layout_msg){ .msg_size = sizeof(struct msghdr), .iov_size = sizeof(struct iovec),
				     .control_len = CMSG_SPACE(sizeof(int)),
				     .cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_data = CMSG_LEN(0) };
}

void jt_layout_msg_put(const struct jt_abi *abi, void *msg, void *iov, uint64_t iov_addr,
		       uint64_t base, uint64_t len, uint64_t control, uint64_t controllen)
{
	if (is_i386(abi)) {
		uint32_t m[7] = { 0, 0, (uint32_t)iov_addr, 1, (uint32_t)control, (uint32_t)controllen, 0 };
		uint32_t v[2] = { (uint32_t)base, (uint32_t)len };

		memcpy(msg, m, sizeof(m));
		memcpy(iov, v, sizeof(v));
		return;
	}
	struct msghdr m = { .msg_iov = (struct iovec *)(uintptr_t)iov_addr, .msg_iovlen = 1,
			    .msg_control = (void *)(uintptr_t)control, .msg_controllen = controllen };
	struct iovec v = { (void *)(uintptr_t)base, len };

	memcpy(msg, &m, sizeof(m));
	memcpy(iov, &v, sizeof(v));
}

void jt_layout_msg_get(const struct jt_abi *abi, const void *msg, uint64_t *controllen, int *flags)
{
	if (is_i386(abi)) {
		uint32_t m[7];

		memcpy(m, msg, sizeof(m));
		*controllen = m[5];
		*flags = (int)m[6];
		return;
	}
	struct msghdr m;

	memcpy(&m, msg, sizeof(m));
	*controllen = m.msg_controllen;
	*flags = m.msg_flags;
}

void jt_layout_cmsg_rights(const struct jt_abi *abi, void *buf, int fd)
{
	struct jt_layout_msg l;

	jt_layout_msg(abi, &l);
	memset(buf, 0, l.control_len);
	if (is_i386(abi)) {
		uint32_t c[3] = { (uint32_t)l.cmsg_len, SOL_SOCKET, SCM_RIGHTS };

		memcpy(buf, c, sizeof(c));
	} else {
		struct cmsghdr c = { .cmsg_len = l.cmsg_len, .cmsg_level = SOL_SOCKET,
				     .cmsg_type = SCM_RIGHTS };

		memcpy(buf, &c, sizeof(c));
	}
	memcpy((char *)buf + l.cmsg_data, &fd, sizeof(fd));
}

void jt_layout_cmsg_get(const struct jt_abi *abi, const void *buf, uint64_t *len, int *level,
			int *type)
{
	if (is_i386(abi)) {
		uint32_t c[3];

		memcpy(c, buf, sizeof(c));
		*len = c[0];
		*level = (int)c[1];
		*type = (int)c[2];
		return;
	}
	struct cmsghdr c;

	memcpy(&c, buf, sizeof(c));
	*len = c.cmsg_len;
	*level = c.cmsg_level;
	*type = c.cmsg_type;
}
