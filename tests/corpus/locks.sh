# flock and fcntl locks: ten processes increment a counter under a lock.
set -e
echo 0 > counter
for i in $(seq 1 10); do
	( for j in 1 2 3 4 5; do flock lockfile sh -c 'n=$(cat counter); echo $((n + 1)) > counter'; done ) &
done
wait
cat counter
flock -n lockfile true && echo free
( flock 9; sleep 1 ) 9>lockfile & sleep 0.3
flock -n lockfile true && echo not-held || echo held
wait
python3 - <<'PY'
import fcntl, os, multiprocessing as mp
def bump(_):
    with open("pcounter", "r+") as f:
        fcntl.lockf(f, fcntl.LOCK_EX)
        n = int(f.read() or 0); f.seek(0); f.write(str(n + 1)); f.truncate()
        fcntl.lockf(f, fcntl.LOCK_UN)
open("pcounter", "w").write("0")
with mp.Pool(4) as p: p.map(bump, range(40))
print(open("pcounter").read())
fd = os.open("pcounter", os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
if os.fork() == 0:
    try:
        fcntl.lockf(os.open("pcounter", os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB); os._exit(0)
    except OSError as e:
        os._exit(e.errno)
print("other process blocked:", os.waitstatus_to_exitcode(os.wait()[1]) in (11, 13))
PY
