# A threaded file workload: 16 threads write, rename, re-read and hash 400 files.
python3 - <<'PY'
import hashlib, os, threading
from concurrent.futures import ThreadPoolExecutor
os.makedirs("data/in", exist_ok=True); os.makedirs("data/out", exist_ok=True)
def job(i):
    p = "data/in/f%03d.txt" % i
    with open(p + ".tmp", "w") as f:
        f.write(("line %d\n" % i) * (i % 50 + 1))
    os.replace(p + ".tmp", p)
    with open(p, "rb") as f:
        h = hashlib.sha256(f.read()).hexdigest()
    with open("data/out/f%03d.sha" % i, "w") as f:
        f.write(h)
    st = os.stat(p)
    return st.st_size
with ThreadPoolExecutor(16) as ex:
    sizes = list(ex.map(job, range(400)))
total = hashlib.sha256()
for name in sorted(os.listdir("data/out")):
    total.update(open(os.path.join("data/out", name)).read().encode())
print(len(os.listdir("data/in")), sum(sizes), total.hexdigest()[:16], threading.active_count())
PY
