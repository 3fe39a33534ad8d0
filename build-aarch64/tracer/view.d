build-aarch64/tracer/view.o: tracer/view.c tracer/view.h filters/policy.h \
 compat/syscalls.h compat/sysnames.h
