build-aarch64/reports/logread.o: reports/logread.c compat/syscalls.h \
 compat/sysnames.h reports/log.h filters/decide.h filters/policy.h \
 reports/logread.h
