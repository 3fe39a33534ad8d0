build-aarch64/reports/report_text.o: reports/report_text.c \
 compat/syscalls.h compat/sysnames.h reports/report.h reports/logread.h \
 filters/decide.h filters/policy.h
