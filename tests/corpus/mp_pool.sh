# multiprocessing (from a file: spawn and forkserver import __main__ again): a process pool, a queue between processes, a lock and a
# shared value (POSIX semaphores in /dev/shm), shared memory, a manager.
cat > pool.py <<'PY'
import multiprocessing as mp
from multiprocessing import shared_memory

def sq(n):
    return n * n

def worker(q, lock, total, n):
    with lock:
        total.value += n
    q.put(n * 10)

if __name__ == "__main__":
    for method in ("fork", "forkserver", "spawn"):
        ctx = mp.get_context(method)
        with ctx.Pool(3) as p:
            print(method, "pool", sum(p.map(sq, range(200))), p.apply(sq, (12,)))
    ctx = mp.get_context("fork")
    q, lock, total = ctx.Queue(), ctx.Lock(), ctx.Value("i", 0)
    ps = [ctx.Process(target=worker, args=(q, lock, total, n)) for n in range(1, 6)]
    for p in ps: p.start()
    got = sorted(q.get() for _ in ps)
    for p in ps: p.join()
    print("queue", got, "total", total.value, "exitcodes", [p.exitcode for p in ps])
    shm = shared_memory.SharedMemory(create=True, size=64)
    try:
        shm.buf[:5] = b"hello"
        other = shared_memory.SharedMemory(name=shm.name)
        print("shm", bytes(other.buf[:5]))
        other.close()
    finally:
        shm.close(); shm.unlink()
    with ctx.Manager() as m:
        d = m.dict(); l = m.list(range(3))
        d["k"] = "v"; l.append(3)
        print("manager", dict(d), list(l))
PY
python3 pool.py
