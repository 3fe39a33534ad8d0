build-aarch64/reports/learn.o: reports/learn.c compat/names.h \
 filters/policy.h compat/syscalls.h compat/sysnames.h reports/learn.h \
 reports/logread.h filters/decide.h reports/replay.h
