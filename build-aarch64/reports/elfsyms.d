build-aarch64/reports/elfsyms.o: reports/elfsyms.c reports/elfsyms.h
