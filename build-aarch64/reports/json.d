build-aarch64/reports/json.o: reports/json.c reports/json.h
