build-aarch64/reports/rebuild.o: reports/rebuild.c compat/names.h \
 reports/replay.h filters/decide.h compat/syscalls.h compat/sysnames.h \
 filters/policy.h reports/logread.h
