# Parity: the calls the tracer performs for the program answer what the
# kernel answers natively, errno for errno, and leave the same tree. Each
# test runs one program natively in one directory and inside in another
# (both writable), and compares the two outputs line for line.
# (The wide differential tester these come from: /work/rt/s22par.)

# parity_same PROGRAM: runs the python PROGRAM with a fresh directory as
# its argument, natively and inside; the outputs must be equal.
parity_same() {
	mkdir -p "$T/nat" "$T/in"
	printf '%s\n' "$1" >"$T/prog.py"
	native /usr/bin/python3 "$T/prog.py" "$T/nat"
	[ "$NRC" = 0 ] || native_fail "the program fails natively"
	jt --quiet -- /usr/bin/python3 "$T/prog.py" "$T/in"
	expect_rc 0
	cmp -s "$T/out" "$T/nout" ||
		fail "inside differs from native: $(diff "$T/nout" "$T/out" | head -n 20)"
}

# The last name of mkdir, mknod, symlink, link, unlink, rmdir and rename is
# the entry itself, never where a link or a trailing slash leads: "link/"
# is not its target, "name/" is no file, "dir/." and ".." are not names.
# Before, rename("link/", ...) renamed the link's target, mkdir("dangling/")
# made the target, rename("f", "new/") renamed f to "new", and rmdir("e/.")
# and rmdir(".") removed the directory.
t_the_last_name_of_a_change_is_the_entry_itself_as_natively() {
	parity_same 'import os, sys
os.chdir(sys.argv[1])
os.mkdir("d"); os.mkdir("e"); os.mkdir("e2"); open("f", "w").close(); open("d/g", "w").close()
os.symlink("d", "sld"); os.symlink("nonexist", "dang"); os.symlink("f", "sl")
def t(name, call):
    try: call(); print(name, "ok")
    except OSError as e: print(name, e.errno)
t("mkdir dang/", lambda: os.mkdir("dang/"))
t("mkdir f/", lambda: os.mkdir("f/"))
t("mkdir sl/", lambda: os.mkdir("sl/"))
t("mkdir d1/", lambda: os.mkdir("d1/"))
t("mkfifo p/", lambda: os.mkfifo("p/"))
t("mkdir d/..", lambda: os.mkdir("d/.."))
t("rename f rb/", lambda: os.rename("f", "rb/"))
t("rename f/ rb", lambda: os.rename("f/", "rb"))
t("rename sld/ x", lambda: os.rename("sld/", "x"))
t("rename sl/ x", lambda: os.rename("sl/", "x"))
t("rename e/. x", lambda: os.rename("e/.", "x"))
t("rename f d/..", lambda: os.rename("f", "d/.."))
t("rename e x/", lambda: os.rename("e", "x/"))
t("rename x/ e", lambda: os.rename("x/", "e"))
t("unlink d/", lambda: os.unlink("d/"))
t("unlink sld/", lambda: os.unlink("sld/"))
t("unlink f/", lambda: os.unlink("f/"))
t("unlink d/.", lambda: os.unlink("d/."))
t("unlink ..", lambda: os.unlink(".."))
t("rmdir e/.", lambda: os.rmdir("e/."))
t("rmdir e/..", lambda: os.rmdir("e/.."))
t("rmdir sld/", lambda: os.rmdir("sld/"))
t("rmdir d1/", lambda: os.rmdir("d1/"))
os.chdir("e2")
t("rmdir . (empty)", lambda: os.rmdir("."))
os.chdir("..")
t("symlink x sy/", lambda: os.symlink("x", "sy/"))
t("symlink x f/", lambda: os.symlink("x", "f/"))
t("symlink x d/.", lambda: os.symlink("x", "d/."))
t("link f lk/", lambda: os.link("f", "lk/"))
t("link f d/.", lambda: os.link("f", "d/."))
t("link f/ lk", lambda: os.link("f/", "lk"))
for top, dirs, files in sorted(os.walk(".")):
    print(top, sorted(dirs), sorted(files))'
}

# Flags and modes the kernel refuses with EINVAL are refused inside too,
# never performed with the bits the tracer does not read: before,
# unlinkat(AT_FDCWD, "f", 0x1) unlinked f, utimensat(fd, NULL, NULL,
# AT_SYMLINK_NOFOLLOW) set the times, statx with a reserved mask bit
# answered, openat(O_TMPFILE | O_CREAT) made a file.
t_flags_the_kernel_refuses_are_refused_as_natively() {
	parity_same 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
os.chdir(sys.argv[1])
open("f", "w").close(); os.symlink("f", "sl")
fd = os.open("f", os.O_RDONLY)
buf = ctypes.create_string_buffer(512)
def t(name, *args):
    r = libc.syscall(*args)
    print(name, r, ctypes.get_errno() if r < 0 else 0)
t("unlinkat 0x1", 263, -100, b"f", 0x1)
t("utimensat fd NULL NOFOLLOW", 280, fd, None, None, 0x100)
t("utimensat f 0x8000", 280, -100, b"f", None, 0x8000)
t("fchownat f 0x8000", 260, -100, b"f", -1, -1, 0x8000)
t("faccessat mode 8", 269, -100, b"f", 8)
t("faccessat2 flags 0x8000", 439, -100, b"f", 4, 0x8000)
t("statx reserved mask", 332, -100, b"f", 0, 0x80000000, buf)
t("statx force and dont sync", 332, -100, b"f", 0x6000, 0x7ff, buf)
t("newfstatat 0x8000", 262, -100, b"f", buf, 0x8000)
t("linkat 0x8000", 265, -100, b"f", -100, b"x", 0x8000)
t("readlink size above INT_MAX", 89, b"sl", buf, 0x80000000)
t("openat TMPFILE CREAT", 257, -100, b".", os.O_TMPFILE | os.O_CREAT | os.O_RDWR, 0o600)
t("openat TMPFILE RDONLY", 257, -100, b".", os.O_TMPFILE | os.O_RDONLY, 0o600)
print(sorted(os.listdir(".")))'
}

# A descriptor's "." is the descriptor's directory itself: for a directory
# removed since it was opened, fstatat(fd, ".") answers its stat (nlink 0),
# as natively (before: ENOENT); a file's descriptor is no directory to start
# from, even for "." (before: the file's stat) or ".."; an empty path
# without AT_EMPTY_PATH is ENOENT whatever the descriptor.
t_a_descriptors_dot_is_its_directory_removed_or_not_as_natively() {
	parity_same 'import os, sys
os.chdir(sys.argv[1])
os.mkdir("gone"); open("f", "w").close()
gfd = os.open("gone", os.O_RDONLY | os.O_DIRECTORY)
ffd = os.open("f", os.O_RDONLY)
os.rmdir("gone")
def t(name, call):
    try: st = call(); print(name, "ok", oct(st.st_mode), st.st_nlink)
    except OSError as e: print(name, e.errno)
t("stat gone .", lambda: os.stat(".", dir_fd=gfd))
t("stat gone ./.", lambda: os.stat("./.", dir_fd=gfd))
t("stat gone x", lambda: os.stat("x", dir_fd=gfd))
t("stat f .", lambda: os.stat(".", dir_fd=ffd))
t("stat f ..", lambda: os.stat("..", dir_fd=ffd))
t("stat f x", lambda: os.stat("x", dir_fd=ffd))
t("open f .", lambda: os.stat(os.open(".", os.O_RDONLY, dir_fd=ffd)))
t("stat f empty", lambda: os.stat("", dir_fd=ffd))
t("stat -5 empty", lambda: os.stat("", dir_fd=1000))'
}
