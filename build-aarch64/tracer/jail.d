build-aarch64/tracer/jail.o: tracer/jail.c tracer/fs.h compat/regs.h \
 filters/decide.h compat/syscalls.h compat/sysnames.h filters/policy.h \
 tracer/internal.h compat/probe.h reports/log.h tracer/jailtrace.h \
 tracer/proc.h tracer/view.h
