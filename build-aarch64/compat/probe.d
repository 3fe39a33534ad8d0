build-aarch64/compat/probe.o: compat/probe.c compat/probe.h
