/*
 * hostfilter: stands in for a host that lacks or forbids a kernel feature.
 * Installs a small seccomp filter (raw BPF, NO_NEW_PRIVS) and execs PROGRAM,
 * which inherits it with everything it starts.
 *
 * usage: hostfilter WHAT[,WHAT...] PROGRAM [ARGS...]
 *   noptrace       ptrace(2) fails with EPERM (ptrace forbidden, as under a
 *                  container profile that refuses it)
 *   nosyscallinfo  ptrace(PTRACE_GET_SYSCALL_INFO, ...) fails with EIO, as
 *                  on a kernel before 5.3
 *   noaddfd        ioctl(SECCOMP_IOCTL_NOTIF_ADDFD) fails with EINVAL, as
 *                  on a kernel before 5.9
 * Other calls, and calls of other ABIs, are allowed. Exits 2 on bad usage,
 * 1 when the filter cannot be installed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif
#define ADDFD_IOCTL 0x40182103u	/* SECCOMP_IOCTL_NOTIF_ADDFD */

#define LD(off) ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define RET(v) ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v)))
#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))

int main(int argc, char **argv)
{
	struct sock_filter f[64];
	int n = 0, noptrace = 0, noinfo = 0, noaddfd = 0;
	char *what, *w, *save = NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: hostfilter noptrace|nosyscallinfo|noaddfd[,...] PROGRAM [ARGS...]\n");
		return 2;
	}
	what = strdup(argv[1]);
	for (w = strtok_r(what, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "noptrace"))
			noptrace = 1;
		else if (!strcmp(w, "nosyscallinfo"))
			noinfo = 1;
		else if (!strcmp(w, "noaddfd"))
			noaddfd = 1;
		else {
			fprintf(stderr, "hostfilter: unknown %s\n", w);
			return 2;
		}
	}
	f[n++] = LD(offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = RET(SECCOMP_RET_ALLOW);
	f[n++] = LD(offsetof(struct seccomp_data, nr));
	if (noptrace) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ptrace, 0, 1);
		f[n++] = RET(SECCOMP_RET_ERRNO | EPERM);
	}
	if (noinfo) {
		/* nr == ptrace && request == GET_SYSCALL_INFO: EIO (A is reloaded after) */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ptrace, 0, 3);
		f[n++] = LD(ARG_LO(0));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PTRACE_GET_SYSCALL_INFO, 0, 1);
		f[n++] = RET(SECCOMP_RET_ERRNO | EIO);
		f[n++] = LD(offsetof(struct seccomp_data, nr));
	}
	if (noaddfd) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3);
		f[n++] = LD(ARG_LO(1));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ADDFD_IOCTL, 0, 1);
		f[n++] = RET(SECCOMP_RET_ERRNO | EINVAL);
		f[n++] = LD(offsetof(struct seccomp_data, nr));
	}
	f[n++] = RET(SECCOMP_RET_ALLOW);

	struct sock_fprog prog = { (unsigned short)n, f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("hostfilter: seccomp");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
