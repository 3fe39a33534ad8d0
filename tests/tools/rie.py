#!/usr/bin/python3
"""rie.py FILE: sets READ_IMPLIES_EXEC (personality), maps FILE PROT_READ and
says whether the mapping came out executable ("exec"/"noexec"); prints
what personality() answered ("personality ok" or "personality EPERM")."""
import ctypes, mmap, sys
libc = ctypes.CDLL(None, use_errno=True)
r = libc.personality(0x0400000)
print("personality", "ok" if r != -1 else "EPERM" if ctypes.get_errno() == 1 else ctypes.get_errno())
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
f = open(sys.argv[1])
a = libc.mmap(None, 4096, 1, 2, f.fileno(), 0)
print("exec" if any(l.startswith("%x-" % a) and l.split()[1][2] == "x" for l in open("/proc/self/maps")) else "noexec")
print("query", hex(libc.personality(0xffffffff)))
