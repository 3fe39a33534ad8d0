build-aarch64/reports/report_json.o: reports/report_json.c \
 compat/syscalls.h compat/sysnames.h reports/report.h reports/logread.h \
 filters/decide.h filters/policy.h
