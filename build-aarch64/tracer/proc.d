build-aarch64/tracer/proc.o: tracer/proc.c tracer/proc.h compat/regs.h
