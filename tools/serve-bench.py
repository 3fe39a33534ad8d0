#!/usr/bin/python3
"""tools/serve-bench.py JAILTRACE [USERS]   (the end of `make bench`)

What jailtrace serve costs, through the Python client on a unix socket: a
run_code("print(1)") round trip against `python3 -c 'print(1)'` natively
and `jailtrace run` alone; a stateful run_code after the first; exec of
/bin/true; a 1 MB file put and taken; then USERS sandboxes of USERS users
(default 50), each running print(1), then each the pandas snippet (a CSV
written and read, describe(), a PNG plot), 4 at a time: completed per
minute (the snippet also natively, 4 at a time, in directories of its
own), the server's memory per idle sandbox, and what is left after they
are destroyed (processes, ephemeral jails, the server's descriptors).
Medians; a measurement, never a test.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from jailtrace import Sandbox  # noqa: E402

RUNS = 20

# issue 18's snippet: read a CSV, describe it, plot a PNG
PANDAS = """import os
import numpy as np, pandas as pd
import matplotlib
matplotlib.use("Agg")
df = pd.DataFrame({"x": np.arange(2000), "y": np.sin(np.arange(2000) / 50.0)})
df.to_csv("data.csv", index=False)
d = pd.read_csv("data.csv")
s = d.describe()
d.plot(x="x", y="y").figure.savefig("plot.png")
print(int(s.loc["count", "x"]), os.path.getsize("plot.png") > 1000)
"""


def per_minute(jobs, fn, width=4):
    """Runs fn(job) for each job, width at a time: (how many gave True, per minute)."""
    lock, queue, done = threading.Lock(), list(jobs), []

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            ok = fn(job)
            with lock:
                done.append(ok)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(width)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), len(done) / (time.perf_counter() - t0) * 60


def median_ms(fn, runs=RUNS):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    jt = os.path.abspath(sys.argv[1])
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    d = tempfile.mkdtemp(prefix="jt-serve-bench-")
    os.chmod(d, 0o711)
    tokens = os.path.join(d, "tokens")
    with open(tokens, "w") as f:
        f.write("tok-bench-0123456789abcdef bench\n")
    sock = os.path.join(d, "s.sock")
    srv = subprocess.Popen([jt, "serve", "--tokens", tokens, "--data", os.path.join(d, "data"),
                            "--listen", "unix:" + sock, "--max-sandboxes", str(users + 8)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    srv.stdout.readline()
    server, token = "unix:" + sock, "tok-bench-0123456789abcdef"
    try:
        native = median_ms(lambda: subprocess.run(["/usr/bin/python3", "-c", "print(1)"],
                                                  capture_output=True))
        alone = median_ms(lambda: subprocess.run([jt, "run", "--quiet", "--", "/usr/bin/python3", "-c",
                                                  "print(1)"], capture_output=True))
        with Sandbox(user="solo", server=server, token=token, ephemeral=True) as sb:
            first = time.perf_counter()
            sb.run_code("print(1)")
            first = (time.perf_counter() - first) * 1000
            code = median_ms(lambda: sb.run_code("print(1)"))
            true = median_ms(lambda: sb.exec(["/bin/true"]))
            blob = os.urandom(1 << 20)
            put = median_ms(lambda: sb.files.write("/work/blob", blob))
            get = median_ms(lambda: sb.files.read("/work/blob"))
            first_s = time.perf_counter()
            sb.run_code("x = 1", stateful=True)
            first_s = (time.perf_counter() - first_s) * 1000
            stateful = median_ms(lambda: sb.run_code("x += 1\nprint(x)", stateful=True))
            sb.stop_interpreter()
        print("serve: a stateful run_code after the first %.1f ms (the first, which starts the "
              "interpreter, %.1f ms)" % (stateful, first_s))
        print("serve: run_code(print(1)) %.1f ms (first %.1f ms), %.2fx native python3 -c (%.1f ms); "
              "jailtrace run alone %.1f ms" % (code, first, code / native, native, alone))
        print("serve: exec /bin/true %.1f ms; a 1 MB file put %.1f ms, taken %.1f ms" % (true, put, get))

        fds0 = len(os.listdir("/proc/%d/fd" % srv.pid))
        rss0 = rss_kb(srv.pid)
        boxes = [Sandbox(user="u%d" % i, server=server, token=token, ephemeral=True) for i in range(users)]
        rss1 = rss_kb(srv.pid)
        ok, rate = per_minute(boxes, lambda sb: sb.run_code("print(1)").exit_code == 0)
        pd_ok, pd_rate = per_minute(boxes, lambda sb: sb.run_code(PANDAS).stdout.strip() == "2000 True")

        def native_pandas(i):
            w = os.path.join(d, "native-%d" % i)
            os.mkdir(w)
            r = subprocess.run(["/usr/bin/python3", "-c", PANDAS], cwd=w, capture_output=True, text=True,
                               env={"PATH": "/usr/bin:/bin", "HOME": w, "LANG": "C.UTF-8"})
            return r.stdout.strip() == "2000 True"
        n_ok, n_rate = per_minute(range(users), native_pandas)
        for sb in boxes:
            sb.destroy()
        time.sleep(0.5)
        left = os.listdir(os.path.join(d, "data", "ephemeral"))
        kids = subprocess.run(["pgrep", "-P", str(srv.pid)], capture_output=True, text=True).stdout.split()
        fds1 = len(os.listdir("/proc/%d/fd" % srv.pid))
        print("serve: %d users, a sandbox each, 4 at a time: print(1) %d ok, %.0f per minute; "
              "the pandas snippet %d ok, %.1f per minute (natively %d ok, %.1f per minute; through serve "
              "%.2f of native's rate); "
              "server memory %.1f KiB per idle sandbox; after destroy: %d ephemeral jails, "
              "%d child processes, descriptors %d -> %d" % (
                  users, ok, rate, pd_ok, pd_rate, n_ok, n_rate, pd_rate / n_rate if n_rate else 0,
                  (rss1 - rss0) / users, len(left), len(kids), fds0, fds1))
    finally:
        srv.terminate()
        srv.wait()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
