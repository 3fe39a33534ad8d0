build-aarch64/reports/forensics.o: reports/forensics.c filters/policy.h \
 compat/syscalls.h compat/sysnames.h reports/forensics.h reports/learn.h \
 reports/logread.h filters/decide.h reports/replay.h reports/report.h
