build-aarch64/tracer/result.o: tracer/result.c compat/names.h \
 reports/json.h tracer/internal.h compat/probe.h filters/policy.h \
 compat/syscalls.h compat/sysnames.h reports/log.h filters/decide.h \
 tracer/jailtrace.h tracer/proc.h compat/regs.h tracer/view.h
