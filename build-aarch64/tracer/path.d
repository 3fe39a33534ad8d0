build-aarch64/tracer/path.o: tracer/path.c tracer/path.h tracer/view.h \
 filters/policy.h compat/syscalls.h compat/sysnames.h
