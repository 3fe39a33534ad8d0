build-aarch64/reports/replay.o: reports/replay.c compat/names.h \
 reports/replay.h filters/decide.h compat/syscalls.h compat/sysnames.h \
 filters/policy.h reports/logread.h
