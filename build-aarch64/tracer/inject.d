build-aarch64/tracer/inject.o: tracer/inject.c compat/regs.h \
 tracer/internal.h compat/probe.h filters/policy.h compat/syscalls.h \
 compat/sysnames.h reports/log.h filters/decide.h tracer/jailtrace.h \
 tracer/proc.h tracer/view.h
