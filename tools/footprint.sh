#!/usr/bin/env bash
# tools/footprint.sh BUILD_DIR   (`make bench-footprint`, and the end of `make bench`)
#
# jailtrace's own footprint on a node, for sizing a cluster (docs/slurm.md):
# - the tracer's resident memory (VmRSS of `jailtrace run`) with a program
#   that sleeps, with one of THREADS sleeping threads and with one of PROCS
#   sleeping processes, each sampled once every one of them is up (the
#   program says so in a file of a granted directory); per thread and per
#   process: the difference to the sleeper's, divided by their number;
# - how many sandboxes of a pandas workload (a 200k-row frame grouped and
#   plotted to a PNG with matplotlib's Agg backend) the node completes per
#   minute, RUNS of them with as many at once as the node has CPUs, against
#   the same natively.
# A measurement, never a pass/fail test: exits 0 whatever it measures (2
# only when it cannot measure at all). About a minute on 2 CPUs.
#   FOOTPRINT_THREADS (200), FOOTPRINT_PROCS (50), FOOTPRINT_RUNS (8)

set -u -o pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "footprint: $1: no such directory" >&2; exit 2; }
JT=$BUILD/jailtrace
PY=/usr/bin/python3
THREADS=${FOOTPRINT_THREADS:-200}
PROCS=${FOOTPRINT_PROCS:-50}
RUNS=${FOOTPRINT_RUNS:-8}
[ -x "$JT" ] && [ -x "$PY" ] || { echo "footprint: needs $JT and $PY" >&2; exit 2; }
D=$(mktemp -d /tmp/jt-footprint.XXXXXX) || exit 2
chmod 777 "$D"
trap 'rm -rf "$D"' EXIT

# rss KIND N: the tracer's VmRSS in KiB once the program's N threads or
# processes are up; "?" when they did not come up within 30 s
rss() {
	local kind=$1 n=$2 pid i v="?"
	rm -f "$D/ready"
	"$JT" run --quiet --log /dev/null --timeout 60s --rw "$D:/out" -- "$PY" -c '
import os, sys, threading, time
kind, n = sys.argv[1], int(sys.argv[2])
if kind == "threads":
    for _ in range(n):
        threading.Thread(target=time.sleep, args=(8,), daemon=True).start()
elif kind == "procs":
    for _ in range(n):
        if os.fork() == 0:
            time.sleep(8); os._exit(0)
open("/out/ready", "w").close()
time.sleep(6)' "$kind" "$n" >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		[ -e "$D/ready" ] && break
		sleep 0.1
	done
	if [ -e "$D/ready" ]; then
		sleep 0.5
		v=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "${v:-?}"
}

cat >"$D/workload.py" <<'EOF'
import matplotlib
matplotlib.use("Agg")
import numpy as np, pandas as pd
import matplotlib.pyplot as plt
rng = np.random.default_rng(1)
df = pd.DataFrame({"k": rng.integers(0, 50, 200000), "v": rng.random(200000)})
g = df.groupby("k")["v"].agg(["mean", "count"])
g["mean"].plot()
plt.savefig("out.png")
print(len(g))
EOF
chmod 644 "$D/workload.py"

# per_minute jt|native: RUNS pandas runs, nproc at once; sandboxes per minute
per_minute() {
	local how=$1 start end i ok=0
	start=$(date +%s.%N)
	for ((i = 0; i < RUNS; i++)); do
		if [ "$how" = jt ]; then
			"$JT" run --quiet --log /dev/null --ro "$D/workload.py" -- "$PY" "$D/workload.py" >"$D/out.$i" 2>&1 &
		else
			(mkdir -p "$D/n$i" && cd "$D/n$i" && "$PY" "$D/workload.py") >"$D/out.$i" 2>&1 &
		fi
		while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
	done
	wait
	end=$(date +%s.%N)
	for ((i = 0; i < RUNS; i++)); do [ "$(cat "$D/out.$i")" = 50 ] && ok=$((ok + 1)); done
	[ "$ok" = "$RUNS" ] || { echo "?"; tail -c 300 "$D/out.0" >&2; echo "footprint: $how: $ok of $RUNS pandas runs gave the right output" >&2; return; }
	awk -v n="$RUNS" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", n * 60 / (e - s) }'
}

echo "jailtrace footprint, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs, kernel $(uname -r)"
base=$(rss threads 0)
th=$(rss threads "$THREADS")
pr=$(rss procs "$PROCS")
echo "tracer resident memory: ${base} KiB with a sleeper; ${th} KiB with $THREADS threads; ${pr} KiB with $PROCS processes"
if [ "$base" != "?" ] && [ "$th" != "?" ] && [ "$pr" != "?" ]; then
	awk -v b="$base" -v t="$th" -v p="$pr" -v nt="$THREADS" -v np="$PROCS" \
		'BEGIN { printf "  per traced thread %.1f KiB, per traced process %.1f KiB\n", (t - b) / nt, (p - b) / np }'
fi
if "$PY" -c 'import pandas, matplotlib' 2>/dev/null; then
	n=$(per_minute native)
	j=$(per_minute jt)
	echo "pandas sandboxes per minute, $(nproc) at once: $j under jailtrace, $n natively ($RUNS runs each)"
else
	echo "pandas sandboxes per minute: not measured (no python3-pandas python3-matplotlib)"
fi
exit 0
