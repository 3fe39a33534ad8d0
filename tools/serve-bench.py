#!/usr/bin/python3
"""tools/serve-bench.py JAILTRACE [USERS]   (the end of `make bench`)

What jailtrace serve costs, through the Python client on a unix socket: a
run_code("print(1)") round trip against `python3 -c 'print(1)'` natively
and `jailtrace run` alone; a stateful run_code after the first; exec of
/bin/true; a 1 MB file put and taken; then USERS sandboxes of USERS users
(default 20), each running print(1), 4 at a time: completed per minute,
the server's memory per idle sandbox, and what is left after they are
destroyed (processes, ephemeral jails, the server's descriptors). Medians; a measurement, never a test.
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
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 20
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
        done = []
        t0 = time.perf_counter()
        lock = threading.Lock()
        queue = list(boxes)

        def worker():
            while True:
                with lock:
                    if not queue:
                        return
                    sb = queue.pop()
                r = sb.run_code("print(1)")
                with lock:
                    done.append(r.exit_code == 0)
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - t0
        for sb in boxes:
            sb.destroy()
        time.sleep(0.5)
        left = os.listdir(os.path.join(d, "data", "ephemeral"))
        kids = subprocess.run(["pgrep", "-P", str(srv.pid)], capture_output=True, text=True).stdout.split()
        fds1 = len(os.listdir("/proc/%d/fd" % srv.pid))
        print("serve: %d users, a sandbox each, print(1) 4 at a time: %d ok, %.0f per minute; "
              "server memory %.1f KiB per idle sandbox; after destroy: %d ephemeral jails, "
              "%d child processes, descriptors %d -> %d" % (
                  users, sum(done), len(done) / took * 60, (rss1 - rss0) / users, len(left),
                  len(kids), fds0, fds1))
    finally:
        srv.terminate()
        srv.wait()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
