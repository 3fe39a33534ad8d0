build-aarch64/filters/checks.o: filters/checks.c filters/decide.h \
 compat/syscalls.h compat/sysnames.h filters/policy.h
