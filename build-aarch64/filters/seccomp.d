build-aarch64/filters/seccomp.o: filters/seccomp.c filters/decide.h \
 compat/syscalls.h compat/sysnames.h filters/policy.h filters/seccomp.h
