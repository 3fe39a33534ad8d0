build-aarch64/tracer/syscall.o: tracer/syscall.c compat/regs.h \
 filters/decide.h compat/syscalls.h compat/sysnames.h filters/policy.h \
 filters/seccomp.h tracer/fs.h tracer/internal.h compat/probe.h \
 reports/log.h tracer/jailtrace.h tracer/proc.h tracer/view.h
