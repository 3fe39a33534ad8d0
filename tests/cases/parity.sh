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
t("newfstatat force and dont sync", 262, -100, b"f", buf, 0x6000)
t("newfstatat dont sync", 262, -100, b"f", buf, 0x4000)
t("linkat 0x8000", 265, -100, b"f", -100, b"x", 0x8000)
t("readlink size above INT_MAX", 89, b"sl", buf, 0x80000000)
t("openat TMPFILE CREAT", 257, -100, b".", os.O_TMPFILE | os.O_CREAT | os.O_RDWR, 0o600)
t("openat TMPFILE RDONLY", 257, -100, b".", os.O_TMPFILE | os.O_RDONLY, 0o600)
print(sorted(os.listdir(".")))'
}

# A descriptor's "." is the descriptor's directory itself: for a directory
# removed since it was opened, fstatat(fd, ".") answers its stat (nlink 0),
# and faccessat, openat, fchmodat, utimensat act on it, as natively
# (before: ENOENT); a file's descriptor is no directory to start
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
t("stat -5 empty", lambda: os.stat("", dir_fd=1000))
def u(name, call):
    try: call(); print(name, "ok")
    except OSError as e: print(name, e.errno)
u("access gone .", lambda: os.access(".", os.R_OK | os.X_OK, dir_fd=gfd) or 1 / 0)
u("open gone .", lambda: os.close(os.open(".", os.O_RDONLY, dir_fd=gfd)))
u("chmod gone .", lambda: os.chmod(".", 0o700, dir_fd=gfd))
u("utime gone .", lambda: os.utime(".", dir_fd=gfd))
u("readlink gone .", lambda: os.readlink(".", dir_fd=gfd))
u("mkdir gone x", lambda: os.mkdir("x", dir_fd=gfd))
t("stat gone . after", lambda: os.stat(".", dir_fd=gfd))'
}

# fchownat, fchmodat2 and utimensat with AT_EMPTY_PATH and "" act on the
# descriptor's own file (an O_PATH one too), or the cwd's for AT_FDCWD, as
# natively (before: ENOENT); utimensat(AT_FDCWD, NULL) is EFAULT (was EBADF).
t_an_empty_path_with_AT_EMPTY_PATH_changes_the_descriptors_file_as_natively() {
	parity_same 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
os.chdir(sys.argv[1])
open("f", "w").close()
fd = os.open("f", os.O_RDONLY); pfd = os.open("f", os.O_PATH)
class TS(ctypes.Structure): _fields_ = [("s", ctypes.c_long), ("ns", ctypes.c_long)]
ts = (TS * 2)((1000000000, 5), (1100000000, 7))
def t(name, *args):
    r = libc.syscall(*args)
    print(name, r, ctypes.get_errno() if r < 0 else 0)
t("fchownat fd empty", 260, fd, b"", -1, -1, 0x1000)
t("fchownat O_PATH empty", 260, pfd, b"", -1, -1, 0x1000)
t("fchownat cwd empty", 260, -100, b"", -1, -1, 0x1000)
t("fchownat fd empty no flag", 260, fd, b"", -1, -1, 0)
t("utimensat fd empty", 280, fd, b"", ts, 0x1000)
print("mtime", os.stat("f").st_mtime_ns)
t("utimensat O_PATH empty", 280, pfd, b"", None, 0x1000)
t("utimensat cwd NULL", 280, -100, None, None, 0)
r = libc.syscall(452, fd, b"", 0o600, 0x1000)	# fchmodat2, Linux 6.6
e = ctypes.get_errno()
if not (r < 0 and e == 38):
    print("fchmodat2 fd empty", r, e if r < 0 else 0, oct(os.stat("f").st_mode))'
}

# ... and a file of a read-only grant stays as it is: EROFS, judged on the host.
t_an_empty_path_with_AT_EMPTY_PATH_never_changes_a_read_only_file() {
	prog='import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY)
for name, args in [("utimensat", (280, fd, b"", None, 0x1000)), ("fchownat", (260, fd, b"", 0, 0, 0x1000)),
                   ("fchmodat2", (452, fd, b"", 0o4777, 0x1000))]:
    r = libc.syscall(*args)
    print(name, r, ctypes.get_errno() if r < 0 else 0)'
	mkdir "$T/ro" "$T/nat"
	echo x >"$T/ro/file"; echo x >"$T/nat/file"
	touch -d 2001-01-01 "$T/ro/file" "$T/nat/file"; chmod 644 "$T/ro/file" "$T/nat/file"
	native /usr/bin/python3 -c "$prog" "$T/nat/file"
	grep -qx 'utimensat 0 0' "$T/nout" || native_fail "utimensat(fd, \"\", AT_EMPTY_PATH) does not change the file natively"
	jt --ro "$T/ro" -- /usr/bin/python3 -c "$prog" "$T/ro/file"
	expect_rc 0
	expect_out_line "utimensat -1 30"
	expect_out_line "fchownat -1 30"
	grep -qx 'fchmodat2 -1 38' "$T/out" || expect_out_line "fchmodat2 -1 30"
	[ "$(stat -c %a.%Y "$T/ro/file")" = "644.$(date -d 2001-01-01 +%s)" ] ||
		fail "the read-only file changed: $(stat -c '%a %y' "$T/ro/file")"
}

# An O_TMPFILE file is made visible as open(2) shows: linkat(fd, "", ...,
# AT_EMPTY_PATH) or linkat of "/proc/self/fd/N" with AT_SYMLINK_FOLLOW
# (before: ENOENT, ENOTDIR); one opened with O_EXCL never is (the tracer
# dropped O_EXCL: it became linkable). readlinkat(fd, "") reads the link an
# O_PATH descriptor holds (before: ENOENT).
t_an_o_tmpfile_is_linked_as_natively_and_an_exclusive_one_never() {
	native /usr/bin/python3 -c 'import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600)
print(libc.syscall(265, fd, b"", -100, b"probe", 0x1000))'
	rm -f "$T/probe"
	[ "$(cat "$T/nout")" = 0 ] || skip "natively linkat(fd, \"\", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH here (Linux before 6.10): inside it links, as through /proc/self/fd/N"
	parity_same 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
os.chdir(sys.argv[1])
def t(name, *args):
    r = libc.syscall(*args)
    print(name, r, ctypes.get_errno() if r < 0 else 0)
for excl in (0, os.O_EXCL):
    fd = os.open(".", os.O_TMPFILE | os.O_RDWR | excl, 0o600)
    os.write(fd, b"tmp")
    t("linkat empty excl=%d" % excl, 265, fd, b"", -100, b"a%d" % excl, 0x1000)
    t("linkat proc excl=%d" % excl, 265, -100, b"/proc/self/fd/%d" % fd, -100, b"b%d" % excl, 0x400)
    os.close(fd)
os.symlink("target", "sl")
pfd = os.open("sl", os.O_PATH | os.O_NOFOLLOW)
buf = ctypes.create_string_buffer(100)
t("readlinkat O_PATH link", 267, pfd, b"", buf, 100)
print("text", buf.value)
t("readlinkat file", 267, os.open("a0" if os.path.exists("a0") else "b0", os.O_RDONLY), b"", buf, 100)
for n in sorted(os.listdir(".")):
    print(n, os.lstat(n).st_nlink, open(n).read() if n[0] in "ab" else "")'
}

# ... but a file of a read-only grant gets no new name (EPERM), judged on the host.
t_a_descriptor_of_a_read_only_file_is_not_linked_anywhere() {
	prog='import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY)
for name, args in [("empty", (265, fd, b"", -100, sys.argv[2].encode() + b"/x", 0x1000)),
                   ("proc", (265, -100, b"/proc/self/fd/%d" % fd, -100, sys.argv[2].encode() + b"/y", 0x400))]:
    r = libc.syscall(*args)
    print(name, r, ctypes.get_errno() if r < 0 else 0)'
	mkdir "$T/ro" "$T/nat" "$T/dst"
	echo x >"$T/ro/file"; echo x >"$T/nat/file"
	native /usr/bin/python3 -c "$prog" "$T/nat/file" "$T/nat"
	grep -qx 'proc 0 0' "$T/nout" || native_fail "linkat of /proc/self/fd/N does not link natively"
	jt --ro "$T/ro" -- /usr/bin/python3 -c "$prog" "$T/ro/file" "$T/dst"
	expect_rc 0
	expect_out_line "empty -1 1"
	expect_out_line "proc -1 1"
	[ -z "$(ls -A "$T/dst")" ] && [ "$(stat -c %h "$T/ro/file")" = 1 ] ||
		fail "the read-only file got a name: $(ls -l "$T/dst")"
}

# What the kernel checks before it looks at a path, in its order: two
# UTIME_OMIT do nothing (before: ENOENT for a missing name), a mknod type
# it does not know is EINVAL (was EPERM), execveat's unknown flags EINVAL
# (was EACCES), a path that runs into unmapped memory before its NUL EFAULT
# (was ENAMETOOLONG).
t_what_the_kernel_checks_first_is_answered_as_natively() {
	parity_same 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
os.chdir(sys.argv[1])
open("f", "w").close()
def t(name, *args):
    r = libc.syscall(*args)
    print(name, r, ctypes.get_errno() if r < 0 else 0)
class TS(ctypes.Structure): _fields_ = [("s", ctypes.c_long), ("ns", ctypes.c_long)]
omit = (TS * 2)((0, (1 << 30) - 2), (0, (1 << 30) - 2))
t("utimensat missing OMIT OMIT", 280, -100, b"missing", omit, 0)
t("utimensat missing OMIT OMIT bad flags", 280, -100, b"missing", omit, 0x8000)
t("mknod type 0170000", 133, b"m", 0o170644, 0)
t("mknodat type 0150000", 259, -100, b"m", 0o150644, 0)
argv = (ctypes.c_char_p * 2)(b"f", None)
t("execveat flags 0x4", 322, -100, b"f", argv, None, 0x4)
page = libc.mmap(None, 8192, 3, 0x22, -1, 0)
libc.munmap(ctypes.c_void_p(page + 4096), 4096)
ctypes.memmove(page + 4093, b"fff", 3)
t("stat unterminated at unmapped", 4, ctypes.c_void_p(page + 4093), ctypes.create_string_buffer(256))
t("open unterminated at unmapped", 2, ctypes.c_void_p(page + 4093), 0)
print(sorted(os.listdir(".")))'
}

# O_CREAT of a directory that is there is EISDIR, and O_CREAT | O_DIRECTORY
# is EINVAL where the kernel refuses it (6.4+), as natively: before, the
# tracer dropped O_CREAT for what is there and opened the directory.
t_o_creat_of_a_directory_is_refused_as_natively() {
	parity_same 'import os, sys
os.chdir(sys.argv[1])
os.mkdir("d"); os.symlink("d", "sld")
for name, flags in [("d", os.O_CREAT | os.O_RDONLY), ("sld", os.O_CREAT | os.O_RDONLY), (".", os.O_CREAT | os.O_RDONLY),
                    ("d", os.O_CREAT | os.O_EXCL | os.O_RDONLY),
                    ("d", os.O_CREAT | os.O_DIRECTORY | os.O_RDONLY), ("new", os.O_CREAT | os.O_DIRECTORY | os.O_RDONLY),
                    ("d", os.O_CREAT | os.O_PATH)]:
    try: os.close(os.open(name, flags, 0o644)); print(name, flags, "ok")
    except OSError as e: print(name, flags, e.errno)
print(sorted(os.listdir(".")))'
}

# "." and ".." are looked up in their directory, which needs its search
# permission, as natively: stat("dir/.") of a directory without it is
# EACCES (before: the directory's stat, the walk skipped "."). The program
# inside never runs privileged; natively root would pass every check, so
# the native control is a non-root run's (skipped as root: the expected
# answers are the kernel's for a user, shown in the jtuser pass).
t_dot_and_dotdot_need_the_search_permission_as_natively() {
	prog='import os, sys
os.chdir(sys.argv[1])
os.mkdir("px"); open("px/f", "w").close(); os.mkdir("px/sub")
os.chmod("px", 0o644)
for p in ["px/.", "px/./", "px/..", "px/./f", "px/sub/..", "px/", "px"]:
    try: os.stat(p); print(p, "ok")
    except OSError as e: print(p, e.errno)
os.chmod("px", 0o755)'
	want='px/. 13
px/./ 13
px/.. 13
px/./f 13
px/sub/.. 13
px/ ok
px ok'
	mkdir -p "$T/nat" "$T/in"
	if [ "$(id -u)" != 0 ]; then
		native /usr/bin/python3 -c "$prog" "$T/nat"
		[ "$(cat "$T/nout")" = "$want" ] || native_fail "natively a user's answers are not these: $(cat "$T/nout")"
	fi
	jt --quiet -- /usr/bin/python3 -c "$prog" "$T/in"
	expect_rc 0
	[ "$(cat "$T/out")" = "$want" ] || fail "inside: $(cat "$T/out")"
}

# A name that exists is EEXIST before any write check: natively for a
# directory the user cannot write (and on a read-only mount), inside for a
# read-only grant and jailtrace's own guarded outputs. Before, EROFS: a
# `try: os.mkdir(p) except FileExistsError` on a granted directory raised.
t_making_a_name_that_exists_in_a_read_only_grant_is_eexist_as_natively() {
	parity_same 'import os, sys
def t(name, call):
    try: call(); print(name, "ok")
    except OSError as e: print(name, e.errno)
t("mkdir /usr", lambda: os.mkdir("/usr"))
t("mkdir /usr/lib/", lambda: os.mkdir("/usr/lib/"))
t("mkdir /usr/bin/env", lambda: os.mkdir("/usr/bin/env"))
t("mkfifo /usr/bin/env", lambda: os.mkfifo("/usr/bin/env"))
t("symlink /usr/lib", lambda: os.symlink("x", "/usr/lib"))'
	grep -qx "mkdir /usr 17" "$T/nout" || native_fail "mkdir /usr is not EEXIST natively: $(cat "$T/nout")"
}
