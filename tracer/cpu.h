/* Where the sandbox runs: on the tracer's CPU until it wants more (cpu.c). */
#ifndef JT_TRACER_CPU_H
#define JT_TRACER_CPU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct jt_run;
struct jt_task;

/** Pin jailtrace to the CPU it runs on, when the run may use several. @return 0 or -errno. */
int jt_cpu_setup(struct jt_run *run);
/** Put task @tid (0: the caller) on @cpu alone. @return 0 or -errno. */
int jt_cpu_pin(pid_t tid, int cpu);
/** The periodic check: spread the run when two of its tasks want a CPU. */
void jt_cpu_tick(struct jt_run *run);
/** Spread the run over its CPUs now (and for good). */
void jt_cpu_spread(struct jt_run *run, const char *why);
/** A new task of the run: give it the run's CPUs if the run was spread. */
void jt_cpu_new_task(struct jt_run *run, pid_t tid);
/** At the end of the run: jailtrace's thread on the CPUs it had. */
void jt_cpu_done(struct jt_run *run);
/** sched_getaffinity of the program: the run's CPUs. @return bytes written or -errno. */
long jt_cpu_getaffinity(struct jt_run *run, struct jt_task *t, size_t len, uint64_t buf);

#endif
