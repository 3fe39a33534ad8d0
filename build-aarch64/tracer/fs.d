build-aarch64/tracer/fs.o: tracer/fs.c compat/regs.h filters/decide.h \
 compat/syscalls.h compat/sysnames.h filters/policy.h tracer/fs.h \
 tracer/internal.h compat/probe.h reports/log.h tracer/jailtrace.h \
 tracer/proc.h tracer/view.h tracer/path.h
