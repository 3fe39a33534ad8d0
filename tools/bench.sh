#!/usr/bin/env bash
# tools/bench.sh BUILD_DIR   (`make bench`)
#
# Measures what jailtrace costs: wall time of a few workloads run natively
# and as `BUILD_DIR/jailtrace run --quiet --log FILE -- CMD` (and, when PRoot
# is installed, `proot -r / CMD`), in the same run, as medians of N runs with
# native and sandboxed runs interleaved so that drift hits all of them.
# Prints a table of medians and ratios to native. A measurement, never a
# pass/fail test: it exits 0 unless it cannot measure at all.
#
# Timer: hyperfine when installed (in rounds, so runs still interleave),
# otherwise a posix_spawn loop in /usr/bin/python3.
#   BENCH_TIMER=python|hyperfine   force one
#   BENCH_SCALE=F                  multiply every run count by F (e.g. 0.3)
# Takes about 30 s here (2-CPU VM); well under 2 minutes with PRoot.

set -u -o pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
JT=$BUILD/jailtrace
PY=/usr/bin/python3
CC=${CC:-cc}

[ -x "$JT" ] || { echo "bench: $JT: not built (run make)" >&2; exit 2; }
[ -x "$PY" ] || { echo "bench: $PY is needed" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jailtrace-bench.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ programs
# Small C programs of the bench itself, built into BUILD_DIR/bench.
mkdir -p "$BUILD/bench" || exit 2

cat >"$TMP/spin.c" <<'EOF'
/* spin [N]: N dependent multiply-adds (default 6e8, ~0.6 s), no syscalls. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 10) : 600000000ULL, x = 1;
	for (unsigned long long i = 0; i < n; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	printf("%llu\n", x);
	return 0;
}
EOF
cat >"$TMP/calls.c" <<'EOF'
/*
 * calls getppid N: N getppid() calls, which the policy allows outright, so
 *                  the seccomp filter decides them in the kernel (no stop).
 * calls kill N:    N kill(self, 0) calls, which the tracer must decide
 *                  (target inside or outside the sandbox?): one stop each.
 * calls deny N:    N kill(1, 0) calls, which the tracer denies (init is
 *                  outside): one stop and, unless --no-backtrace, one stack each.
 * Raw syscall(2), so libc caches nothing. Exits 1 if a call fails.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 100000;
	long self = syscall(SYS_getpid), bad = 0;

	if (argc > 1 && strcmp(argv[1], "deny") == 0)
		for (long i = 0; i < n; i++)
			syscall(SYS_kill, 1, 0);
	else if (argc > 1 && strcmp(argv[1], "kill") == 0)
		for (long i = 0; i < n; i++)
			bad |= syscall(SYS_kill, self, 0);
	else
		for (long i = 0; i < n; i++)
			bad |= syscall(SYS_getppid) <= 0;
	return bad != 0;
}
EOF
for p in spin calls; do
	if ! "$CC" -O2 -o "$BUILD/bench/$p" "$TMP/$p.c"; then
		echo "bench: cannot build $p with $CC" >&2
		exit 2
	fi
done

# ------------------------------------------------------------ header
TIMER=${BENCH_TIMER:-}
if [ -z "$TIMER" ]; then
	if command -v hyperfine >/dev/null 2>&1; then TIMER=hyperfine; else TIMER=python; fi
fi
if [ "$TIMER" = hyperfine ] && ! command -v hyperfine >/dev/null 2>&1; then
	echo "bench: BENCH_TIMER=hyperfine but hyperfine is not installed" >&2
	exit 2
fi
PROOT=$(command -v proot 2>/dev/null || true)

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "jailtrace bench, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:   $(uname -n), $(nproc) CPUs${cpu:+ ($cpu)}, $(uname -m), kernel $(uname -r)"
echo "           load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "jailtrace: $("$JT" version 2>&1 | head -n 1) ($JT)"
if [ "$TIMER" = hyperfine ]; then
	echo "timer:     $(hyperfine --version), wall time, -N (no shell)"
else
	if command -v hyperfine >/dev/null 2>&1; then why="BENCH_TIMER=python"; else why="hyperfine not installed"; fi
	echo "timer:     /usr/bin/python3 posix_spawn + waitpid, wall time ($why)"
fi
echo "proot:     ${PROOT:-not installed (apt-get install proot adds a column)}"

# ------------------------------------------------------------ measure
export BENCH_JT=$JT BENCH_TMP=$TMP BENCH_TIMER_KIND=$TIMER BENCH_PROOT=$PROOT
export BENCH_BIN=$BUILD/bench BENCH_SCALE=${BENCH_SCALE:-1}
"$PY" - <<'PYEOF'
import json, math, os, shlex, signal, statistics, subprocess, sys, time

JT = os.environ["BENCH_JT"]
TMP = os.environ["BENCH_TMP"]
TIMER = os.environ["BENCH_TIMER_KIND"]
PROOT = os.environ["BENCH_PROOT"]
BIN = os.environ["BENCH_BIN"]
SCALE = float(os.environ["BENCH_SCALE"])
GUARD_S = 60          # one run that takes longer is killed and counted as failed
CALLS = 100000        # calls that need no decision
DECIDED = 20000       # calls that do (one stop each, so fewer)

# Every variant gets the environment the sandbox gives its program.
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "TERM": "dumb"}

PIPELINE = "for i in $(seq 300); do cat /etc/hostname | wc -c >/dev/null; done"
# name, runs, argv
WORKLOADS = [
    ("start-up: /bin/true", 101, ["/bin/true"]),
    ("compute: spin 6e8 mul-adds", 5, [BIN + "/spin"]),
    ("sh: 300 x cat | wc (fork/exec/pipe)", 11, ["/bin/sh", "-c", PIPELINE]),
    ("%d getppid (no decision)" % CALLS, 21, [BIN + "/calls", "getppid", str(CALLS)]),
    ("%d kill(self,0) (decided)" % DECIDED, 7, [BIN + "/calls", "kill", str(DECIDED)]),
]


def variants(slug, argv):
    v = [("native", argv),
         ("jailtrace", [JT, "run", "--quiet", "--log", "%s/%s.jsonl" % (TMP, slug), "--"] + argv)]
    if PROOT:
        v.append(("proot", [PROOT, "-r", "/"] + argv))
    return v


class Guard(Exception):
    pass


def on_alarm(signum, frame):
    raise Guard()


signal.signal(signal.SIGALRM, on_alarm)
DEVNULL_ACTIONS = [
    (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
    (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
    (os.POSIX_SPAWN_DUP2, 1, 2),
]


def time_python(argv):
    """One run: (seconds, exit status or None when the guard killed it)."""
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, ENV, file_actions=DEVNULL_ACTIONS)
    signal.alarm(GUARD_S)
    try:
        _, st = os.waitpid(pid, 0)
    except Guard:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return time.perf_counter() - t0, None
    finally:
        signal.alarm(0)
    return time.perf_counter() - t0, os.waitstatus_to_exitcode(st)


def round_python(vs, k):
    out = {name: ([], []) for name, _ in vs}
    for _ in range(k):
        for name, argv in vs:
            t, rc = time_python(argv)
            out[name][0].append(t)
            out[name][1].append(rc)
    return out


def round_hyperfine(vs, k):
    js = os.path.join(TMP, "round.json")
    cmd = ["hyperfine", "-N", "--style", "none", "-i", "--runs", str(k), "--export-json", js]
    cmd += [shlex.join(argv) for _, argv in vs]
    p = subprocess.run(cmd, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=GUARD_S * k * len(vs) + 30)
    if p.returncode != 0:
        sys.exit("bench: hyperfine failed: " + p.stderr.strip()[-500:])
    with open(js) as f:
        res = json.load(f)["results"]
    return {name: (r["times"], r["exit_codes"]) for (name, _), r in zip(vs, res)}


def measure(argvs, runs):
    """Interleaved runs of all variants; returns name -> (times, exit codes)."""
    names = [n for n, _ in argvs]
    acc = {n: ([], []) for n in names}
    # one untimed warm-up run of each (page cache, dynamic loader)
    for _, argv in argvs:
        time_python(argv)
    if TIMER == "hyperfine":
        rounds = min(runs, 10)
        per = math.ceil(runs / rounds)
    else:
        rounds, per = runs, 1
    for r in range(rounds):
        order = argvs[r % len(argvs):] + argvs[:r % len(argvs)]   # rotate who goes first
        got = round_hyperfine(order, per) if TIMER == "hyperfine" else round_python(order, per)
        for n in names:
            acc[n][0].extend(got[n][0])
            acc[n][1].extend(got[n][1])
    return acc


def fmt(t):
    if t is None:
        return "-"
    if t < 0.01:
        return "%.2f ms" % (t * 1e3)
    if t < 1:
        return "%.1f ms" % (t * 1e3)
    return "%.2f s" % t


def spread(ts):
    """Half the interquartile range, as a percentage of the median."""
    if len(ts) < 4:
        return ""
    q = statistics.quantiles(ts, n=4)
    return "±%d%%" % round(50 * (q[2] - q[0]) / statistics.median(ts))


def log_facts(slug):
    """Stops (syscall records) and end status of the last sandboxed run."""
    stops, end = 0, None
    try:
        with open("%s/%s.jsonl" % (TMP, slug)) as f:
            for line in f:
                rec = json.loads(line)
                if rec.get("type") == "syscall":
                    stops += 1
                elif rec.get("type") == "end":
                    end = rec
    except (OSError, ValueError):
        return None, None
    return stops, end


t_start = time.monotonic()
scale_note = "" if SCALE == 1 else " (run counts x%g)" % SCALE
print("runs:      per workload, as shown; one warm-up run of each variant first%s" % scale_note)
print()
rows, notes, med = [], [], {}
for i, (title, runs, argv) in enumerate(WORKLOADS):
    runs = max(3, round(runs * SCALE))
    slug = "w%d" % i
    vs = variants(slug, argv)
    print("  measuring %-40s %3d runs each ..." % (title, runs), end="", flush=True, file=sys.stderr)
    t0 = time.monotonic()
    acc = measure(vs, runs)
    print(" %.1f s" % (time.monotonic() - t0), file=sys.stderr)
    m = {}
    for name, (ts, rcs) in acc.items():
        m[name] = statistics.median(ts)
        bad = [rc for rc in rcs if rc != 0]
        if bad:
            notes.append("%s, %s: %d of %d runs failed (exit %s)%s" % (
                title, name, len(bad), len(rcs), sorted(set(bad), key=str)[:3],
                "; guard of %d s fired" % GUARD_S if None in bad else ""))
            m[name + "!"] = True
    stops, end = log_facts(slug)
    if end is not None and end.get("status") != "exited":
        notes.append("%s, jailtrace: last run ended %s: %s" % (title, end.get("status"), end.get("message")))
    med[i] = m
    m["spread"] = {name: spread(ts) for name, (ts, _) in acc.items()}
    rows.append((title, runs, m, stops))
hdr = ["workload", "runs", "native", "jailtrace", "ratio", "proot", "ratio", "stops/run"]
table = []
for title, runs, m, stops in rows:
    def cell(name):
        sp = m["spread"].get(name)
        return fmt(m.get(name)) + ("!" if m.get(name + "!") else "") + (" " + sp if sp else "")
    nat = m["native"]
    jt = m["jailtrace"]
    pr = m.get("proot")
    table.append([title, str(runs), cell("native"), cell("jailtrace"),
                  "%.2fx" % (jt / nat),
                  cell("proot") if PROOT else "not installed",
                  "%.2fx" % (pr / nat) if pr else "-",
                  "-" if stops is None else str(stops)])
widths = [max(len(r[c]) for r in [hdr] + table) for c in range(len(hdr))]
def line(r):
    return "  ".join(r[c].ljust(widths[c]) if c == 0 else r[c].rjust(widths[c]) for c in range(len(r)))
print(line(hdr))
print("  ".join("-" * w for w in widths))
for r in table:
    print(line(r))
print()
print("native/jailtrace/proot: median wall time, ± half the interquartile range (>= 4 runs);")
print("ratio: median / native median; stops/run: syscall records in the last jailtrace")
print("run's log (every tracer stop writes one).")

# Per-call cost of the two call workloads, the start-up difference taken out.
start_extra = med[0]["jailtrace"] - med[0]["native"]
print()
print("per call, start-up overhead (%s) subtracted:" % fmt(start_extra))
for i, n in ((3, CALLS), (4, DECIDED)):
    title, _, m, stops = rows[i]
    extra = (m["jailtrace"] - m["native"] - start_extra) / n
    native = m["native"] / n
    print("  %-32s native %.3f us, jailtrace %+.3f us per call%s" % (
        title, native * 1e6, extra * 1e6,
        "" if stops is None else " (%d stop%s per run)" % (stops, "" if stops == 1 else "s")))

# What a stack costs: the same denied calls with and without --no-backtrace.
DENIED = 3000
deny = [BIN + "/calls", "deny", str(DENIED)]
dvs = [("stacks", [JT, "run", "--quiet", "--log", TMP + "/deny.jsonl", "--"] + deny),
       ("none", [JT, "run", "--quiet", "--no-backtrace", "--log", TMP + "/deny-nb.jsonl", "--"] + deny)]
druns = max(3, round(7 * SCALE))
print("  measuring %-40s %3d runs each ..." % ("stacks at denials", druns), end="", flush=True,
      file=sys.stderr)
t0 = time.monotonic()
dacc = measure(dvs, druns)
print(" %.1f s" % (time.monotonic() - t0), file=sys.stderr)
with_st, without = (statistics.median(dacc[n][0]) / DENIED for n in ("stacks", "none"))
print("  %-32s %.1f us per denied call with its stack, %.1f us with --no-backtrace:" % (
    "%d kill(1,0) (denied)" % DENIED, with_st * 1e6, without * 1e6))
print("  %-32s a stack (5 frames) costs %.1f us" % ("", (with_st - without) * 1e6))
if notes:
    print()
    print("notes (a ! above marks these):")
    for n in notes:
        print("  " + n)
print()
print("bench took %.0f s; load average %s at the end" % (
    time.monotonic() - t_start, " ".join(open("/proc/loadavg").read().split()[:3])))
PYEOF
exit $?
