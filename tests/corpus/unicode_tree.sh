# Deep trees with Unicode and non-UTF-8 names, and a path longer than
# PATH_MAX reached through relative steps.
python3 - <<'PY'
import os, shutil
names = ["données", "日本語", "emoji-😀", "Ελληνικά", "a b c", "x" * 255]
for n in names:
    os.makedirs(os.path.join("tree", n, "sub"), exist_ok=True)
    with open(os.path.join("tree", n, "sub", "ф.txt"), "w", encoding="utf-8") as f:
        f.write(n)
bad = b"tree/latin1-\xe9\xff"
os.mkdir(bad); open(bad + b"/f", "w").close()
print(sorted(os.fsdecode(e) for e in os.listdir(b"tree")) == sorted(os.listdir("tree")))
print(len(os.listdir("tree")), os.path.exists(bad + b"/f"))
for root, dirs, files in sorted(os.walk("tree")):
    for f in files:
        p = os.path.join(root, f)
        if f == "ф.txt":
            assert open(p, encoding="utf-8").read() in names
print("walk ok", sum(len(f) for _, _, f in os.walk("tree")))
# deeper than PATH_MAX: 40 levels of 200-character names, one chdir at a time
top = os.getcwd(); os.mkdir("deep"); os.chdir("deep")
for i in range(40):
    d = "%03d" % i + "d" * 197
    os.mkdir(d); os.chdir(d)
with open("leaf.txt", "w") as f: f.write("leaf")
depth_len = 40 * 201
try:
    cwd = os.getcwd()
    print("getcwd", len(cwd) > 4096 and cwd.endswith("d" * 197))
except OSError as e:
    print("getcwd", e.errno)
os.chdir(top)
n = 0
for root, dirs, files in os.walk("deep"):
    n += len(files)
print("deep files", n)
shutil.rmtree("deep"); shutil.rmtree("tree")
print(os.listdir("."))
PY
find . -print0 | sort -z | tr '\0' '\n'
