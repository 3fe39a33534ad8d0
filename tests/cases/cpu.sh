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
	jt -- /usr/bin/python3 -c '
import multiprocessing as mp
def spin(n):
    s = 0
    for i in range(n): s += i
    return s
with mp.Pool(2) as p: p.map(spin, [3000000] * 8)
print(open("/proc/self/status").read().split("Cpus_allowed_list:")[1].split()[0])'
	expect_rc 0
	grep -q '[-,]' "$T/out" || fail "still on one CPU after a busy pool: $(cat "$T/out")"
}

t_a_quiet_program_stays_on_the_tracer_cpu_and_no_pin_gives_it_all() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: nothing to pin"
	jt -- /bin/grep Cpus_allowed_list /proc/self/status
	grep -q 'Cpus_allowed_list:[[:space:]]*[0-9]*$' "$T/out" || fail "not on one CPU: $(cat "$T/out")"
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

# A pipeline whose every process waits for the tracer, reading 6000 files.
STOP_BOUND='find /usr/share -type f -print0 | head -z -n 6000 | xargs -0 cat >/dev/null
grep Cpus_allowed_list /proc/self/status'

t_a_pipeline_bound_by_its_stops_stays_on_the_tracer_cpu() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: nothing to pin"
	# natively first: the files then come from the page cache, so the run
	# inside waits for the tracer, not for the disk
	native /bin/sh -c "$STOP_BOUND"
	grep -q '[-,]' "$T/nout" || native_fail "natively not on every CPU: $(cat "$T/nout")"
	# its tasks are often runnable, but waiting for the tracer: more CPUs
	# would make each stop cross them, and the run slower
	jt -- /bin/sh -c "$STOP_BOUND"
	expect_rc 0
	grep -q 'Cpus_allowed_list:[[:space:]]*[0-9]*$' "$T/out" || fail "spread: $(cat "$T/out")"
}

CROWDED='end=$(($(date +%s) + 2))
while [ "$(date +%s)" -lt "$end" ]; do
	find /usr/share -type f -print0 | head -z -n 200 | xargs -0 cat >/dev/null
done
grep Cpus_allowed_list /proc/self/status'

t_a_cpu_crowded_by_others_spreads_the_run() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: nothing to spread"
	# the files in the page cache first, so that only the crowd can spread it
	native /bin/sh -c "$STOP_BOUND"
	hog_every_cpu
	# for two seconds, however fast: sharing each CPU with a busy loop (and
	# in the noseccomp pass with every call a stop) a count of files would
	# take too long there and be over too soon elsewhere
	jt --timeout 18s -- /bin/sh -c "$CROWDED"
	kill -KILL "${HOGS[@]}"
	wait 2>/dev/null
	expect_rc 0
	grep -q '[-,]' "$T/out" || fail "still on one CPU of a crowded host: $(cat "$T/out")"
}
