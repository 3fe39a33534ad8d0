build-aarch64/compat/syscalls.o: compat/syscalls.c compat/syscalls.h \
 compat/sysnames.h compat/x86_64/syscalls.h compat/i386/syscalls.h \
 compat/x32/syscalls.h compat/aarch64/syscalls.h
