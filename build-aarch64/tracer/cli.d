build-aarch64/tracer/cli.o: tracer/cli.c filters/policy.h \
 compat/syscalls.h compat/sysnames.h reports/forensics.h \
 tracer/internal.h compat/probe.h reports/log.h filters/decide.h \
 tracer/jailtrace.h tracer/proc.h compat/regs.h tracer/view.h
