/*
 * Where the sandbox runs. A stop is a round trip tracee -> tracer -> tracee;
 * on one CPU it is two context switches (about 20 us here), across two it
 * is two wake-up interrupts as well (about 55 us). So a run starts with the
 * program on the tracer's CPU, which is what a program that mostly waits
 * for the tracer wants, and is spread out again, for good, once it shows
 * it wants more than one CPU: two of its tasks runnable at two ticks in a
 * row. Meanwhile sched_getaffinity answers the CPUs the run was given, so
 * programs size their pools as they would natively (and so make the
 * demand that spreads them). A CPU crowded by others (other runs pinned
 * there too) spreads the run as well: the tracer's own wait for that CPU
 * (run_delay in /proc/thread-self/schedstat) is watched, against its own
 * time on it, since a busy program keeps its tracer waiting too.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "tracer/cpu.h"
#include "tracer/internal.h"

#define SAMPLE_MAX 256	/* tasks looked at per tick */
#define JT_CPU_CROWDED_NS 10000000ULL	/* a fifth of the 50 ms tick */

int jt_cpu_setup(struct jt_run *run)
{
	int cpu;

	run->pin_cpu = -1;
	if (sched_getaffinity(0, sizeof(run->cpus_all), &run->cpus_all) < 0)
		return 0;
	if (run->cfg->no_pin || CPU_COUNT(&run->cpus_all) < 2)
		return 0;
	cpu = sched_getcpu();
	if (cpu < 0 || !CPU_ISSET(cpu, &run->cpus_all))
		return 0;
	run->pin_cpu = cpu;
	return jt_cpu_pin(0, cpu);
}

int jt_cpu_pin(pid_t tid, int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(tid, sizeof(one), &one) < 0 ? -errno : 0;
}

/* 'R' in /proc/TID/stat: running or waiting for a CPU (a ptrace stop is 't'). */
static int runnable(pid_t tid)
{
	char buf[512], *s = jt_proc_stat(tid, buf, sizeof(buf));

	return s && s[0] == ' ' && s[1] == 'R';
}

/* Every task back on the run's CPUs, unless it chose its own since. */
void jt_cpu_spread(struct jt_run *run, const char *why)
{
	cpu_set_t cur;

	if (run->pin_cpu < 0)
		return;
	run->pin_cpu = -1;
	run->spread_why = why;
	run->spread_at = 1;
	sched_setaffinity(0, sizeof(run->cpus_all), &run->cpus_all);
	jt_ptable_each(&run->tasks, p) {
		if (sched_getaffinity(p->tid, sizeof(cur), &cur) == 0 && CPU_COUNT(&cur) == 1)
			sched_setaffinity(p->tid, sizeof(run->cpus_all), &run->cpus_all);
	}
}

/* Nanoseconds the tracer's thread has run and waited for a CPU; 0 and 0 if unknown. */
static void sched_times(uint64_t *run, uint64_t *wait)
{
	char buf[128];
	unsigned long long r, w;
	ssize_t n;
	int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);

	*run = *wait = 0;
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &r, &w) == 2)
		*run = r, *wait = w;
}

void jt_cpu_tick(struct jt_run *run)
{
	int n = 0, seen = 0, crowded = 0;
	uint64_t delay, ran;

	if (run->pin_cpu < 0)
		return;
	jt_ptable_each(&run->tasks, p) {
		if (seen++ == SAMPLE_MAX || n == 2)
			break;
		n += runnable(p->tid);
	}
	sched_times(&ran, &delay);
	/* a tracer busy half the tick is what the program waits for: its tasks
	 * are runnable because they wait for it, and would still, each stop
	 * then crossing CPUs (a run bound by its stops, like a shell pipeline) */
	if (run->last_run && ran - run->last_run > JT_TICK_MS * 1000000ULL / 2)
		n = 0;
	/* waiting for the CPU a fifth of a tick or more, and longer than it ran:
	 * others crowd it. A tracer that ran longer was kept waiting by its own
	 * program, which more CPUs would not speed up but slow down */
	if (run->last_delay && delay - run->last_delay > JT_CPU_CROWDED_NS &&
	    delay - run->last_delay > ran - run->last_run)
		n = 2, crowded = 1;
	run->last_delay = delay;
	run->last_run = ran;
	/* a streak one crowded tick began is the crowd's doing: on the next
	 * tick the program's own tasks still wait for that CPU, and look like
	 * demand */
	run->busy_ticks = n >= 2 ? run->busy_ticks + 1 : 0;
	run->crowded_ticks = n >= 2 ? run->crowded_ticks + crowded : 0;
	if (run->busy_ticks >= 2)
		jt_cpu_spread(run, run->crowded_ticks ? "crowded" : "demand");
}

void jt_cpu_new_task(struct jt_run *run, pid_t tid)
{
	cpu_set_t cur;

	/* made while the run was being spread: it may carry the old mask */
	if (run->pin_cpu < 0 && run->spread_at && sched_getaffinity(tid, sizeof(cur), &cur) == 0 &&
	    CPU_COUNT(&cur) == 1 && CPU_COUNT(&run->cpus_all) > 1)
		sched_setaffinity(tid, sizeof(run->cpus_all), &run->cpus_all);
}

long jt_cpu_getaffinity(struct jt_run *run, struct jt_task *t, size_t len, uint64_t buf)
{
	unsigned char mask[sizeof(cpu_set_t)];
	long r;

	/* the kernel's answer for the size (and EINVAL for a short buffer) ... */
	r = syscall(SYS_sched_getaffinity, 0, len < sizeof(mask) ? len : sizeof(mask), mask);
	if (r < 0)
		return -errno;
	/* ... and the run's CPUs for the bits */
	memcpy(mask, &run->cpus_all, (size_t)r);
	if (jt_mem_write(run, t->tid, buf, mask, (size_t)r) < 0)
		return -EFAULT;
	return r;
}

void jt_cpu_done(struct jt_run *run)
{
	/* the caller of jt_run gets its thread back as it was */
	if (CPU_COUNT(&run->cpus_all) > 0)
		sched_setaffinity(0, sizeof(run->cpus_all), &run->cpus_all);
}
