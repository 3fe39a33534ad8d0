build-aarch64/compat/names.o: compat/names.c compat/names.h
