# What programs do in their own directory: links, rename over a directory,
# *at calls on directory descriptors, O_TMPFILE, mmap, utimes and chmod,
# and the program's picture of itself in /proc.
python3 - <<'PY'
import mmap, os, stat, tempfile
os.makedirs("a/b"); open("a/b/f", "w").write("data")
os.symlink("b/f", "a/ln"); os.link("a/b/f", "a/hard")
print(open("a/ln").read(), os.stat("a/hard").st_nlink, os.readlink("a/ln"), os.path.realpath("a/ln") == os.path.abspath("a/b/f"))
os.makedirs("old/x"); os.makedirs("new"); os.rename("old", "new"); print(os.listdir("new"))
d = os.open("a", os.O_RDONLY | os.O_DIRECTORY)
fd = os.open("made", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=d); os.write(fd, b"at"); os.close(fd)
os.rename("made", "moved", src_dir_fd=d, dst_dir_fd=d)
print(sorted(os.listdir(d)), os.stat("moved", dir_fd=d).st_size)
os.unlink("moved", dir_fd=d); os.close(d)
try:
    fd = os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600); os.write(fd, b"tmp")
    os.link("/proc/self/fd/%d" % fd, "from-tmpfile"); os.close(fd)
    print("tmpfile", open("from-tmpfile").read())
except OSError as e:
    print("tmpfile errno", e.errno)
with open("m", "wb") as f: f.write(b"\0" * 4096)
with open("m", "r+b") as f:
    mm = mmap.mmap(f.fileno(), 4096); mm[:5] = b"mmap!"; mm.flush(); mm.close()
print(open("m", "rb").read(5))
os.utime("m", (1000000000, 1000000000)); os.chmod("m", 0o640)
st = os.stat("m"); print(int(st.st_mtime), oct(stat.S_IMODE(st.st_mode)))
print(os.getcwd() == os.path.realpath(".") == os.readlink("/proc/self/cwd"))
fd = os.open("m", os.O_RDONLY); print(os.readlink("/proc/self/fd/%d" % fd) == os.path.abspath("m")); os.close(fd)
r, w = os.pipe(); print(os.readlink("/proc/self/fd/%d" % r).startswith("pipe:"))
print(os.readlink("/proc/self/exe") == os.path.realpath("/usr/bin/python3"))
status = open("/proc/self/status").read(); print("Pid:\t%d" % os.getpid() in status)
maps = open("/proc/self/maps").read(); print("python" in maps or "libpython" in maps)
print(os.cpu_count() >= 1, len(os.sched_getaffinity(0)) >= 1, os.sysconf("SC_PAGE_SIZE"))
print(tempfile.gettempdir(), os.path.expanduser("~") == os.environ["HOME"])
with tempfile.NamedTemporaryFile(dir=".") as t: print(os.path.dirname(t.name) == os.getcwd())
PY
