build-aarch64/filters/decide.o: filters/decide.c filters/decide.h \
 compat/syscalls.h compat/sysnames.h filters/policy.h
