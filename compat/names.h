/* Names of errno values, signals and ioctl request codes, both ways. */
#ifndef JT_COMPAT_NAMES_H
#define JT_COMPAT_NAMES_H

#include <stdint.h>

/* "EPERM" for EPERM; NULL when unknown. */
const char *jt_errno_name(int err);
/* EPERM for "EPERM"; -ENOENT when unknown. */
int jt_errno_by_name(const char *name);

/* "SIGKILL" for SIGKILL; NULL when unknown. */
const char *jt_signal_name(int sig);
int jt_signal_by_name(const char *name);

/* "TCGETS" for TCGETS; NULL when unknown. */
const char *jt_ioctl_name(uint32_t code);
/* @return 0 and *code, or -ENOENT. Accepts names and 0x/decimal numbers. */
int jt_ioctl_by_name(const char *name, uint32_t *code);

#endif
