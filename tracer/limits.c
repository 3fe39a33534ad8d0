/*
 * The periodic check (every JT_TICK_MS, driven by SIGALRM): wall time, and
 * the CPU time and memory of the whole tree, read from /proc without
 * cgroups. Memory is the sum of resident sizes, or, once that sum is over
 * the limit, the proportional set size that counts shared pages once; to
 * it is added what the tree holds that no process maps (memfd and tmpfs
 * files, pipe buffers, a jail in memory: disk.c). The jail's disk usage is
 * walked from here too (disk.c). Process and output limits are counted
 * where they happen (loop.c, relay.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include "tracer/internal.h"

uint64_t jt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* utime+stime+cutime+cstime in ticks, rss in pages, and the state letter of one process. */
static int read_stat(pid_t pid, uint64_t *ticks, uint64_t *rss_pages, char *state)
{
	char buf[1024], *s = jt_proc_stat(pid, buf, sizeof(buf));
	unsigned long long f[24];

	if (!s)
		return -1;
	/* fields from 3 (state) on; f[i] is field i + 3 */
	s += 1;
	*state = *s == ' ' ? s[1] : *s;
	for (int i = 0; i < 22; i++) {
		while (*s == ' ')
			s++;
		f[i] = i == 0 ? 0 : strtoull(s, &s, 10);
		if (i == 0)
			while (*s && *s != ' ')
				s++;
	}
	*ticks = f[11] + f[12] + f[13] + f[14];	/* utime stime cutime cstime */
	*rss_pages = f[21];			/* rss */
	return 0;
}

/* CPU time and resident memory of the tree now. */
static void measure(const struct jt_run *run, uint64_t *cpu_ms, uint64_t *rss_kb)
{
	static long hz, page_kb;
	uint64_t ticks = 0, pages = 0;
	struct rusage ru;

	if (!hz) {
		hz = sysconf(_SC_CLK_TCK);
		page_kb = sysconf(_SC_PAGESIZE) / 1024;
	}
	jt_ptable_each(&run->tasks, p) {
		uint64_t t, r, r2;
		pid_t live;
		char st, st2;

		if (!jt_group_first(&run->tasks, p) || read_stat(p->tid, &t, &r, &st) < 0)
			continue;
		/* the group's CPU time, the leader's too, is the first one's to say */
		ticks += t;
		if (p->tid == p->tgid && (st == 'Z' || st == 'X'))
			p->flags |= JT_TASK_LEADER_GONE;
		/* an exited leader has no memory map left: its threads' is read */
		if ((p->flags & JT_TASK_LEADER_GONE) || p->tid != p->tgid) {
			r = 0;
			if ((live = jt_group_live(&run->tasks, p)) > 0 && read_stat(live, &t, &r2, &st2) == 0)
				r = r2;
		}
		pages += r;
	}
	*cpu_ms = ticks * 1000 / (uint64_t)hz;
	/* processes the watchdog reaped (without PTRACE_O_EXITKILL it is their parent) */
	*cpu_ms += jt_watchdog_cpu_ms(run);
	/* processes already reaped by jailtrace (orphans, and the first one) */
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		*cpu_ms += (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
			   (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
	*rss_kb = pages * (uint64_t)page_kb;
}

/*
 * Proportional set size of the tree in KiB (4.14+), or 0 when the kernel
 * cannot say. Pages shared after fork count once in all, not once per
 * process; it walks page tables, so it is asked only when the cheap
 * resident sum is over the limit.
 */
static uint64_t measure_pss(const struct jt_run *run)
{
	uint64_t total = 0;

	jt_ptable_each(&run->tasks, p) {
		char path[64], buf[2048], *s;
		ssize_t n;
		int fd;

		pid_t live;

		if (!jt_group_first(&run->tasks, p) || !(live = jt_group_live(&run->tasks, p)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", live);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && access("/proc/self/smaps_rollup", R_OK) < 0)
				return 0;
			continue;	/* the process is gone */
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		s = strstr(buf, "\nPss:");
		if (s)
			total += strtoull(s + 5, NULL, 10);
	}
	return total;
}

void jt_log_limit_check(struct jt_run *run, pid_t stopped)
{
	uint64_t max = run->limit[JT_LIMIT_LOG];

	if (!run->log.over || run->stop != JT_STOP_NONE)
		return;
	/* the limit record goes in the room the log keeps for the end of a run */
	jt_limit_event(run, "log", max, run->log.wanted, stopped);
	jt_stop_run(run, JT_STOP_LOG, "audit log limit of %llu bytes", (unsigned long long)max);
}

void jt_log_failed(struct jt_run *run, int err, pid_t stopped)
{
	if (err == -EFBIG && run->log.over)
		jt_log_limit_check(run, stopped);
	else
		jt_stop_run(run, JT_STOP_ERROR, "audit log: %s", strerror(-err));
}

void jt_limits_tick(struct jt_run *run)
{
	uint64_t now = jt_now_us(), timeout = run->limit[JT_LIMIT_TIMEOUT_MS];
	uint64_t cpu, rss, maxmem = run->limit[JT_LIMIT_MEMORY], maxcpu = run->limit[JT_LIMIT_CPU_MS];
	char text[48];

	if (run->killing)
		return;
	if (timeout && run->stop == JT_STOP_NONE && now - run->start_us >= timeout * 1000) {
		jt_limit_text(JT_LIMIT_TIMEOUT_MS, timeout, text, sizeof(text));
		jt_limit_event(run, "timeout", timeout, (now - run->start_us) / 1000, 0);
		jt_stop_run(run, JT_STOP_TIMEOUT, "%s reached (wall time)", text);
		return;
	}
	if (run->use_view && jt_disk_tick(run, 0))
		return;
	measure(run, &cpu, &rss);
	run->cpu_ms = cpu;
	/* what the tree holds in memory outside its processes' pages */
	rss += jt_held_memory(run) / 1024;
	if (maxmem && rss * 1024 > maxmem) {
		uint64_t pss = measure_pss(run);

		if (pss)
			rss = pss + jt_held_memory(run) / 1024;
	}
	if (rss > run->peak_rss_kb)
		run->peak_rss_kb = rss;
	if (maxmem && rss * 1024 > maxmem && !jt_grace_cut(run, "memory")) {
		jt_limit_text(JT_LIMIT_MEMORY, maxmem, text, sizeof(text));
		jt_limit_event(run, "memory", maxmem, rss * 1024, 0);
		jt_stop_run(run, JT_STOP_MEMORY, "%s reached (resident, and held in memfd, pipes, tmpfs)", text);
	} else if (maxcpu && cpu > maxcpu && !jt_grace_cut(run, "cpu")) {
		jt_limit_text(JT_LIMIT_CPU_MS, maxcpu, text, sizeof(text));
		jt_limit_event(run, "cpu", maxcpu, cpu, 0);
		jt_stop_run(run, JT_STOP_CPU, "%s reached (CPU time of the tree)", text);
	}
}
