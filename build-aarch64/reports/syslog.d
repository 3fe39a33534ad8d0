build-aarch64/reports/syslog.o: reports/syslog.c reports/syslog.h
