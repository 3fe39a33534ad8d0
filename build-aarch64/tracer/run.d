build-aarch64/tracer/run.o: tracer/run.c tracer/fs.h compat/regs.h \
 filters/decide.h compat/syscalls.h compat/sysnames.h filters/policy.h \
 filters/seccomp.h reports/syslog.h tracer/internal.h compat/probe.h \
 reports/log.h tracer/jailtrace.h tracer/proc.h tracer/view.h
