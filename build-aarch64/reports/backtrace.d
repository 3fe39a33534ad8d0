build-aarch64/reports/backtrace.o: reports/backtrace.c \
 reports/backtrace.h reports/elfsyms.h
