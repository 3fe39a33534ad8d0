build-aarch64/filters/policy.o: filters/policy.c compat/names.h \
 filters/policy.h compat/syscalls.h compat/sysnames.h
