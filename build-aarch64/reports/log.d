build-aarch64/reports/log.o: reports/log.c compat/names.h \
 reports/backtrace.h reports/json.h reports/log.h compat/syscalls.h \
 compat/sysnames.h filters/decide.h filters/policy.h reports/syslog.h
