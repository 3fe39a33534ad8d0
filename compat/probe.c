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
	if (at_least(k, 5, 9))
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
