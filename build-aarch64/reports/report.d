build-aarch64/reports/report.o: reports/report.c compat/syscalls.h \
 compat/sysnames.h reports/log.h filters/decide.h filters/policy.h \
 reports/report.h reports/logread.h
