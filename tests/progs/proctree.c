/*
 * proctree: a process tree in which every task probes a process outside it.
 *
 * usage: proctree OUTSIDE_PID
 *
 * Tasks: the main task; a forked child and, inside it, a thread and a forked
 * grandchild; a vfork child that execs proctree again (--exec-child); two
 * pthreads of the main task; a clone(CLONE_VM) child that is not a thread.
 * Every task calls kill(OUTSIDE_PID, 0) and prints one line (one write):
 *   task KIND tid=TID kill=RC errno=NAME
 * KIND is main, fork, fork-thread, fork2, vfork-exec, thread1, thread2 or
 * clone-vm; RC is the return value; NAME is "0" or the errno name (EPERM...).
 * Prints "tasks done N" and exits 0 when all 8 tasks ran, 1 otherwise.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t outside;

static void probe(const char *kind)
{
	char line[160];
	long tid = syscall(SYS_gettid);
	long rc = syscall(SYS_kill, outside, 0);
	int e = rc < 0 ? errno : 0;
	int n = snprintf(line, sizeof line, "task %s tid=%ld kill=%ld errno=%s\n",
			 kind, tid, rc, e ? strerrorname_np(e) : "0");
	if (write(1, line, n) != n)
		_exit(3);
}

static void *thread_fn(void *arg)
{
	probe(arg);
	return NULL;
}

static int clone_fn(void *arg)
{
	probe(arg);
	return 0;
}

static int wait_ok(pid_t pid);

/* vfork a child that re-executes this program; 1 when it exited 0. */
static __attribute__((noinline)) int vfork_exec(char *self, char *outside_arg)
{
	char *exec_argv[] = { self, "--exec-child", outside_arg, NULL };
	pid_t pid = vfork();

	if (pid == 0) {
		execv(self, exec_argv);
		_exit(127);
	}
	return wait_ok(pid);
}

static int wait_ok(pid_t pid)
{
	int st;
	if (pid < 0 || waitpid(pid, &st, __WALL) != pid)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
	static char stack[256 * 1024] __attribute__((aligned(16)));
	pthread_t th[2];
	int done = 0;
	pid_t pid;

	if (argc == 3 && strcmp(argv[1], "--exec-child") == 0) {
		outside = atoi(argv[2]);
		probe("vfork-exec");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: proctree OUTSIDE_PID\n");
		return 2;
	}
	outside = atoi(argv[1]);

	probe("main");
	done++;

	pid = fork();
	if (pid == 0) {
		pthread_t t;
		pid_t gc;
		int ok = 1;

		probe("fork");
		if (pthread_create(&t, NULL, thread_fn, "fork-thread") != 0)
			_exit(1);
		pthread_join(t, NULL);
		gc = fork();
		if (gc == 0) {
			probe("fork2");
			_exit(0);
		}
		ok = wait_ok(gc);
		_exit(ok ? 0 : 1);
	}
	if (wait_ok(pid))
		done += 3;

	if (vfork_exec(argv[0], argv[1]))
		done++;

	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, thread_fn, i ? "thread2" : "thread1") == 0) {
			pthread_join(th[i], NULL);
			done++;
		}

	pid = clone(clone_fn, stack + sizeof stack, CLONE_VM | SIGCHLD, "clone-vm");
	if (wait_ok(pid))
		done++;

	printf("tasks done %d\n", done);
	return done == 8 ? 0 : 1;
}
