#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <linux/fs.h>
#include <linux/sockios.h>
#include "compat/names.h"

struct name { const char *name; long value; };
#define N(x) { #x, x }

static const struct name errnos[] = {
	N(EPERM), N(ENOENT), N(ESRCH), N(EINTR), N(EIO), N(ENXIO), N(E2BIG),
	N(ENOEXEC), N(EBADF), N(ECHILD), N(EAGAIN), N(ENOMEM), N(EACCES),
	N(EFAULT), N(EBUSY), N(EEXIST), N(EXDEV), N(ENODEV), N(ENOTDIR),
	N(EISDIR), N(EINVAL), N(ENFILE), N(EMFILE), N(ENOTTY), N(ETXTBSY),
	N(EFBIG), N(ENOSPC), N(ESPIPE), N(EROFS), N(EMLINK), N(EPIPE),
	N(ERANGE), N(EDEADLK), N(ENAMETOOLONG), N(ENOLCK), N(ENOSYS),
	N(ENOTEMPTY), N(ELOOP), N(ENOMSG), N(ENODATA), N(ENOTSUP),
	N(EOPNOTSUPP), N(EAFNOSUPPORT), N(EPROTONOSUPPORT), N(EADDRINUSE),
	N(EADDRNOTAVAIL), N(ENETDOWN), N(ENETUNREACH), N(ECONNREFUSED),
	N(ECONNRESET), N(EHOSTUNREACH), N(ETIMEDOUT), N(EALREADY),
	N(EINPROGRESS), N(ENOTSOCK), N(EDESTADDRREQ), N(EMSGSIZE),
	N(EPROTOTYPE), N(ENOPROTOOPT), N(EISCONN), N(ENOTCONN), N(EDQUOT),
	N(EOVERFLOW), N(ECANCELED), N(EOWNERDEAD), N(ENOKEY), N(EKEYREJECTED),
};

static const struct name signals[] = {
	N(SIGHUP), N(SIGINT), N(SIGQUIT), N(SIGILL), N(SIGTRAP), N(SIGABRT),
	N(SIGBUS), N(SIGFPE), N(SIGKILL), N(SIGUSR1), N(SIGSEGV), N(SIGUSR2),
	N(SIGPIPE), N(SIGALRM), N(SIGTERM), N(SIGSTKFLT), N(SIGCHLD),
	N(SIGCONT), N(SIGSTOP), N(SIGTSTP), N(SIGTTIN), N(SIGTTOU), N(SIGURG),
	N(SIGXCPU), N(SIGXFSZ), N(SIGVTALRM), N(SIGPROF), N(SIGWINCH),
	N(SIGIO), N(SIGPWR), N(SIGSYS),
};

static const struct name ioctls[] = {
	N(TCGETS), N(TCSETS), N(TCSETSW), N(TCSETSF), N(TCGETA), N(TCSETA),
	N(TCSETAW), N(TCSETAF), N(TCSBRK), N(TCXONC), N(TCFLSH), N(TIOCEXCL),
	N(TIOCNXCL), N(TIOCSCTTY), N(TIOCGPGRP), N(TIOCSPGRP), N(TIOCOUTQ),
	N(TIOCSTI), N(TIOCGWINSZ), N(TIOCSWINSZ), N(TIOCMGET), N(TIOCMSET),
	N(FIONREAD), N(TIOCLINUX), N(TIOCCONS), N(TIOCGSERIAL), N(TIOCSSERIAL),
	N(TIOCPKT), N(FIONBIO), N(TIOCNOTTY), N(TIOCSETD), N(TIOCGETD),
	N(TCSBRKP), N(TIOCSBRK), N(TIOCCBRK), N(TIOCGSID),
	N(TIOCGPTN), N(TIOCSPTLCK),
	N(TIOCGDEV), N(TIOCGPKT), N(TIOCGPTLCK), N(TIOCGEXCL), N(TIOCGPTPEER),
	N(FIONCLEX), N(FIOCLEX), N(FIOASYNC), N(FIOQSIZE), N(TIOCSERGETLSR),
	N(FIOSETOWN), N(FIOGETOWN), N(SIOCSPGRP), N(SIOCGPGRP), N(SIOCATMARK),
	N(SIOCGSTAMP), N(SIOCGIFNAME), N(SIOCGIFCONF), N(SIOCGIFFLAGS),
	N(SIOCGIFADDR), N(SIOCGIFINDEX), N(SIOCGIFMTU), N(SIOCGIFHWADDR),
	N(SIOCOUTQ), N(SIOCINQ),
	N(FS_IOC_GETFLAGS), N(FS_IOC_SETFLAGS), N(FS_IOC_GETVERSION),
	N(FICLONE), N(FICLONERANGE), N(FIDEDUPERANGE),
	N(FS_IOC_GETFSLABEL), N(BLKGETSIZE64), N(BLKSSZGET), N(FIGETBSZ),
	N(FIBMAP), N(FIFREEZE), N(FITHAW), N(FS_IOC_FSGETXATTR),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const struct name *t, size_t n, long v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

static int value_of(const struct name *t, size_t n, const char *s, long *v)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, s) == 0) {
			*v = t[i].value;
			return 0;
		}
	return -ENOENT;
}

const char *jt_errno_name(int err)
{
	return name_of(errnos, COUNT(errnos), err);
}

int jt_errno_by_name(const char *name)
{
	long v;

	return value_of(errnos, COUNT(errnos), name, &v) ? -ENOENT : (int)v;
}

const char *jt_signal_name(int sig)
{
	return name_of(signals, COUNT(signals), sig);
}

int jt_signal_by_name(const char *name)
{
	long v;

	return value_of(signals, COUNT(signals), name, &v) ? -ENOENT : (int)v;
}

const char *jt_ioctl_name(uint32_t code)
{
	return name_of(ioctls, COUNT(ioctls), (long)code);
}

int jt_ioctl_by_name(const char *name, uint32_t *code)
{
	long v;
	char *end;

	if (value_of(ioctls, COUNT(ioctls), name, &v) == 0) {
		*code = (uint32_t)v;
		return 0;
	}
	if (name[0] < '0' || name[0] > '9')
		return -ENOENT;
	errno = 0;
	unsigned long long u = strtoull(name, &end, 0);
	if (errno || *end || u > 0xffffffffULL)
		return -ENOENT;
	*code = (uint32_t)u;
	return 0;
}
