/*
 * killer: tries to signal or ptrace a given process.
 *
 * usage: killer kill PID SIG        kill(PID, SIG)
 *        killer killpg PGID SIG     kill(-PGID, SIG)
 *        killer tgkill TGID TID SIG tgkill(TGID, TID, SIG)
 *        killer sigqueue PID SIG    sigqueue(PID, SIG) (rt_sigqueueinfo)
 *        killer pidfd PID SIG       pidfd_open(PID) + pidfd_send_signal
 *        killer ptrace PID          PTRACE_ATTACH, wait for the stop, PTRACE_KILL
 *        killer prlimit PID N       prlimit(PID, RLIMIT_NOFILE, N/N) (lowers it)
 *        killer nice PID N          setpriority(PRIO_PROCESS, PID, N)
 *        killer affinity PID CPU    sched_setaffinity(PID) to CPU alone
 *        killer batch PID           sched_setscheduler(PID, SCHED_BATCH)
 *        killer vmwrite PID ADDR    process_vm_writev of "WRITTEN FROM SANDBOX"
 *                                   at ADDR (decimal) of PID
 * SIG is a number. Prints one line "MODE: ok" or "MODE: ENAME" (the errno
 * name of the first step that failed; pidfd prints "pidfd_open: E" when the
 * open fails). Exits 0 when the call succeeded, 1 otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char *what, long rc)
{
	if (rc < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: ok\n", what);
	return rc < 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (argc == 4 && strcmp(mode, "kill") == 0)
		return report(mode, kill(atoi(argv[2]), atoi(argv[3])));
	if (argc == 4 && strcmp(mode, "killpg") == 0)
		return report(mode, kill(-atoi(argv[2]), atoi(argv[3])));
	if (argc == 5 && strcmp(mode, "tgkill") == 0)
		return report(mode, syscall(SYS_tgkill, atoi(argv[2]), atoi(argv[3]),
					    atoi(argv[4])));
	if (argc == 4 && strcmp(mode, "sigqueue") == 0) {
		union sigval v = { .sival_int = 1 };
		return report(mode, sigqueue(atoi(argv[2]), atoi(argv[3]), v));
	}
	if (argc == 4 && strcmp(mode, "pidfd") == 0) {
		long fd = syscall(SYS_pidfd_open, atoi(argv[2]), 0);
		if (fd < 0)
			return report("pidfd_open", fd);
		return report(mode, syscall(SYS_pidfd_send_signal, (int)fd,
					    atoi(argv[3]), NULL, 0));
	}
	if (argc == 3 && strcmp(mode, "ptrace") == 0) {
		pid_t pid = atoi(argv[2]);
		int st;
		if (ptrace(PTRACE_ATTACH, pid, 0, 0) < 0)
			return report(mode, -1);
		waitpid(pid, &st, __WALL);
		ptrace(PTRACE_KILL, pid, 0, 0);
		return report(mode, 0);
	}
	if (argc == 4 && strcmp(mode, "prlimit") == 0) {
		struct rlimit rl = { (rlim_t)atol(argv[3]), (rlim_t)atol(argv[3]) };
		return report(mode, prlimit(atoi(argv[2]), RLIMIT_NOFILE, &rl, NULL));
	}
	if (argc == 4 && strcmp(mode, "nice") == 0)
		return report(mode, setpriority(PRIO_PROCESS, (id_t)atoi(argv[2]), atoi(argv[3])));
	if (argc == 4 && strcmp(mode, "affinity") == 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(atoi(argv[3]), &set);
		return report(mode, sched_setaffinity(atoi(argv[2]), sizeof(set), &set));
	}
	if (argc == 3 && strcmp(mode, "batch") == 0) {
		struct sched_param sp = { .sched_priority = 0 };
		return report(mode, sched_setscheduler(atoi(argv[2]), SCHED_BATCH, &sp));
	}
	if (argc == 4 && strcmp(mode, "vmwrite") == 0) {
		static char text[] = "WRITTEN FROM SANDBOX";
		struct iovec local = { text, sizeof(text) };
		struct iovec remote = { (void *)strtoul(argv[3], NULL, 10), sizeof(text) };
		return report(mode, process_vm_writev(atoi(argv[2]), &local, 1, &remote, 1, 0));
	}
	fprintf(stderr, "usage: killer kill|killpg|tgkill|sigqueue|pidfd|ptrace|prlimit|nice|affinity|batch|vmwrite ...\n");
	return 2;
}
