build-aarch64/compat/regs.o: compat/regs.c compat/regs.h
