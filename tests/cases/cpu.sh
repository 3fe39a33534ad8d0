# Where the sandbox runs: on the tracer's CPU until it wants more (tracer/cpu.c).

t_the_program_is_told_every_cpu_the_run_was_given() {
	native /usr/bin/python3 -c 'import os; print(sorted(os.sched_getaffinity(0)))'
	jt -- /usr/bin/python3 -c 'import os; print(sorted(os.sched_getaffinity(0)))'
	expect_rc 0
	[ "$(cat "$T/out")" = "$(cat "$T/nout")" ] || fail "inside $(cat "$T/out"), natively $(cat "$T/nout")"
	jt -- /usr/bin/nproc
	[ "$(cat "$T/out")" = "$(nproc)" ] || fail "nproc says $(cat "$T/out") inside, $(nproc) natively"
}

t_two_busy_processes_are_spread_over_the_cpus() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: nothing to spread"
	GUARD_SECS=$(slow 50)	# a second of CPU takes many on a busy host
	jt --timeout 40s -- /usr/bin/python3 -c '
import multiprocessing as mp
def spin(n):
    s = 0
    for i in range(n): s += i
    return s
with mp.Pool(2) as p: p.map(spin, [3000000] * 8)
print(open("/proc/self/status").read().split("Cpus_allowed_list:")[1].split()[0])'
	expect_rc 0
	grep -q '[-,]' "$T/out" || fail "still on one CPU after a busy pool: $(cat "$T/out")"
	expect_jq "$T/result.json" '.cpu_spread == "demand" or .cpu_spread == "crowded"'
}

t_a_quiet_program_stays_on_the_tracer_cpu_and_no_pin_gives_it_all() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: nothing to pin"
	jt -- /bin/grep Cpus_allowed_list /proc/self/status
	expect_on_one_cpu "a quiet program"
	jt --no-pin -- /bin/grep Cpus_allowed_list /proc/self/status
	grep -q '[-,]' "$T/out" || fail "--no-pin left it on one CPU: $(cat "$T/out")"
}

t_an_affinity_the_program_sets_reads_back_as_set() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU"
	prog='import os
cpu = max(os.sched_getaffinity(0))
os.sched_setaffinity(0, {cpu})
print(os.sched_getaffinity(0) == {cpu})'
	native /usr/bin/python3 -c "$prog"
	grep -qx True "$T/nout" || native_fail "the mask does not read back natively"
	jt -- /usr/bin/python3 -c "$prog"
	expect_out_line True
}

# expect_on_one_cpu WHAT: the run stayed on the tracer's CPU (its last
# line is its Cpus_allowed_list). A host whose other work kept the tracer
# waiting for that CPU spreads the run by another rule first ("crowded" in
# the result): then whether the run itself wanted more cannot be judged,
# and the test skips rather than let the load decide.
expect_on_one_cpu() {
	local why
	why=$(jq -r '.cpu_spread // ""' "$T/result.json")
	[ "$why" = crowded ] &&
		skip "the host was busy: others kept the tracer's CPU so the run was spread as crowded before $1 could show it stays"
	[ -z "$why" ] || fail "$1 was spread over the CPUs ($why): $(cat "$T/out")"
	grep -q 'Cpus_allowed_list:[[:space:]]*[0-9]*$' "$T/out" || fail "$1 is not on one CPU: $(cat "$T/out")"
}

# A pipeline whose every process waits for the tracer: find lists 6000
# one-byte files and cat opens each (a decided call), reading next to
# nothing, so the run is bound by its stops on any machine.
STOP_BOUND='find "$1" -type f -print0 | xargs -0 cat >/dev/null
grep Cpus_allowed_list /proc/self/status'

# tiny_files DIR: 6000 files of one byte in 60 directories.
tiny_files() {
	/usr/bin/python3 -c '
import os, sys
for i in range(6000):
    d = os.path.join(sys.argv[1], "d%02d" % (i % 60))
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "f%d" % i), "w").write("x")' "$1"
}

t_a_pipeline_bound_by_its_stops_stays_on_the_tracer_cpu() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: nothing to pin"
	tiny_files "$T/files"
	# natively first: the control, and the files then come from the page
	# cache, so the run inside waits for the tracer, not for the disk
	native /bin/sh -c "$STOP_BOUND" sh "$T/files"
	grep -q '[-,]' "$T/nout" || native_fail "natively not on every CPU: $(cat "$T/nout")"
	# its tasks are often runnable, but waiting for the tracer: more CPUs
	# would make each stop cross them, and the run slower (12000 stops: a
	# second or two here, many on a busy host)
	GUARD_SECS=$(slow 50)
	jt --timeout 40s -- /bin/sh -c "$STOP_BOUND" sh "$T/files"
	expect_rc 0
	expect_on_one_cpu "a pipeline bound by its stops"
}

CROWDED_WARM='find /usr/share -type f -print0 | head -z -n 6000 | xargs -0 cat >/dev/null'
CROWDED='end=$(($(date +%s) + 2))
while [ "$(date +%s)" -lt "$end" ]; do
	find /usr/share -type f -print0 | head -z -n 200 | xargs -0 cat >/dev/null
done
grep Cpus_allowed_list /proc/self/status'

t_a_cpu_crowded_by_others_spreads_the_run() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: nothing to spread"
	# the files in the page cache first, so that only the crowd can spread it
	native /bin/sh -c "$CROWDED_WARM"
	hog_every_cpu
	# for two seconds, however fast: sharing each CPU with a busy loop (and
	# in the noseccomp pass with every call a stop) a count of files would
	# take too long there and be over too soon elsewhere
	jt --timeout 18s -- /bin/sh -c "$CROWDED"
	kill -KILL "${HOGS[@]}"
	wait 2>/dev/null
	expect_rc 0
	grep -q '[-,]' "$T/out" || fail "still on one CPU of a crowded host: $(cat "$T/out")"
	expect_jq "$T/result.json" '.cpu_spread == "crowded"'
}
