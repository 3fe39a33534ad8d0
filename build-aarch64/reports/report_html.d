build-aarch64/reports/report_html.o: reports/report_html.c \
 compat/syscalls.h compat/sysnames.h reports/report.h reports/logread.h \
 filters/decide.h filters/policy.h
