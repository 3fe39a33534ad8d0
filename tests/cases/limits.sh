# Limits: each run-ending limit ends the run with its exit status and result
# status and leaves nothing running; the per-process rlimits (--fsize,
# --nofile, --vmem) behave as they do natively. Each test first shows the
# program going past the limit without jailtrace.

# expect_limit STATUS LIMIT: the run ended by the named limit: exit 137 (124
# for timeout), result status STATUS, a "limit" record, no survivor.
expect_limit() {
	local code=137
	[ "$1" = timeout ] && code=124
	expect_rc $code
	expect_result status "$1"
	expect_result exit_code $code
	expect_log ".type == \"limit\" and .limit == \"$2\""
	wait_until 10 no_survivors || fail "processes outlived the run:
$(describe_survivors)"
}

t_timeout_ends_the_run_with_124_and_status_timeout() {
	mkdir "$T/native" "$T/in"
	native timeout 0.5 "$PROGS/daemonize" plain "$T/native" 20
	[ "$NRC" = 124 ] || native_fail "the program did not run for 0.5 s"
	jt --timeout 1s -- "$PROGS/daemonize" plain "$T/in" 20
	expect_limit timeout timeout
	expect_jq "$T/result.json" '.wall_ms >= 900 and .wall_ms < 5000'
}

# 1 s of CPU takes many seconds of wall time on a busy host (the program
# gets a share of a CPU): the --timeout and the relay's wall time leave it
# room, and the run ends at 1 s of CPU anyway.
t_cpu_limit_ends_the_run_with_137_and_status_cpu_limit() {
	native timeout 0.5 "$PROGS/cpuhog" spin 10
	[ "$NRC" = 124 ] || native_fail "the program did not spin for 0.5 s"
	GUARD_SECS=$(slow 60)
	jt --cpu 1s --timeout 50s -- "$PROGS/cpuhog" spin 10
	expect_limit cpu_limit cpu
}

t_cpu_limit_counts_the_cpu_of_exited_children() {
	native timeout 0.5 "$PROGS/cpuhog" relay 10
	[ "$NRC" = 124 ] || native_fail "the program did not run for 0.5 s"
	GUARD_SECS=$(slow 60)
	jt --cpu 1s --timeout 50s -- "$PROGS/cpuhog" relay 45
	expect_limit cpu_limit cpu
}

t_memory_limit_ends_the_run_with_137_and_status_memory_limit() {
	native "$PROGS/memhog" grow 128 0
	grep -q ' reached 128 MB$' "$T/nout" || native_fail "the program could not use 128 MB"
	jt --memory 48M -- "$PROGS/memhog" grow 128 30
	expect_limit memory_limit memory
}

t_memory_limit_counts_the_whole_tree() {
	native "$PROGS/memhog" grow 32 0 4
	[ "$(grep -c ' reached 32 MB$' "$T/nout")" = 4 ] || native_fail "4 processes could not use 32 MB each"
	jt --memory 80M -- "$PROGS/memhog" grow 32 30 4
	expect_limit memory_limit memory
}

t_vmem_limit_makes_allocation_fail_with_ENOMEM() {
	native "$PROGS/memhog" enomem 2048
	grep -qx 'reached 2048 MB' "$T/nout" || native_fail "the program could not map 2048 MB"
	jt --vmem 256M -- "$PROGS/memhog" enomem 2048
	expect_rc 0
	grep -qE '^ENOMEM after [0-9]+ MB$' "$T/out" || fail "expected ENOMEM from mmap"
}

# x_bytes FILE...: how many 'x' bytes the files hold, not counting any line
# jailtrace itself wrote (from "jailtrace" to the end of that line).
x_bytes() {
	cat "$@" | /usr/bin/python3 -c 'import re, sys
data = re.sub(rb"jailtrace[^\n]*", b"", sys.stdin.buffer.read())
print(data.count(b"x"))'
}

t_output_limit_ends_the_run_with_137_and_status_output_limit() {
	native "$PROGS/flood" 1000000
	[ "$(x_bytes "$T/nout")" = 1000000 ] || native_fail "the program did not write 1000000 bytes"
	jt --quiet --output 100000 -- "$PROGS/flood" 1000000
	expect_limit output_limit output
}

t_output_limit_relays_no_more_than_the_cap() {
	native "$PROGS/flood" 1000000
	[ "$(x_bytes "$T/nout")" = 1000000 ] || native_fail "the program did not write 1000000 bytes"
	jt --quiet --output 100000 -- "$PROGS/flood" 1000000
	got=$(x_bytes "$T/out" "$T/err")
	[ "$got" -le 100000 ] || fail "the host received $got bytes past a 100000-byte cap"
}

t_output_limit_counts_stdout_and_stderr_together() {
	native "$PROGS/flood" 300000 300000
	[ "$(x_bytes "$T/nout" "$T/nerr")" = 600000 ] || native_fail "the program did not write 600000 bytes"
	jt --quiet --output 100000 -- "$PROGS/flood" 300000 300000
	expect_rc 137
	got=$(x_bytes "$T/out" "$T/err")
	[ "$got" -le 100000 ] || fail "the host received $got bytes (stdout+stderr) past a 100000-byte cap"
}

t_fork_bomb_ends_the_run_with_137_and_status_procs_limit() {
	native "$PROGS/bomb" fork 64 0 "$T/native"
	expect_native_line "made 64"
	jt --procs 16 -- "$PROGS/bomb" fork 64 5 "$T/in"
	expect_limit procs_limit procs
}

t_thread_bomb_ends_the_run_with_137_and_status_procs_limit() {
	native "$PROGS/bomb" thread 64 0 "$T/native"
	expect_native_line "made 64"
	jt --procs 16 -- "$PROGS/bomb" thread 64 5 "$T/in"
	expect_limit procs_limit procs
}

expect_native_line() {
	grep -qxF -- "$1" "$T/nout" || native_fail "expected '$1' natively"
}

t_fsize_limit_kills_with_SIGXFSZ_as_natively() {
	native /bin/bash -c 'ulimit -f 64 && exec "$@"' sh "$PROGS/bigwrite" "$T/native.dat" 200000
	[ "$NRC" = 153 ] || native_fail "natively, the write past RLIMIT_FSIZE did not raise SIGXFSZ"
	jt --fsize 65536 -- "$PROGS/bigwrite" "$T/in.dat" 200000
	expect_rc 153
	expect_result status signaled
	expect_result signal_name SIGXFSZ
	size=$(stat -c %s "$T/in.dat")
	[ "$size" = "$(stat -c %s "$T/native.dat")" ] || fail "file has $size bytes inside, $(stat -c %s "$T/native.dat") natively"
}

t_fsize_limit_gives_EFBIG_when_SIGXFSZ_is_ignored_as_natively() {
	native /bin/bash -c 'ulimit -f 64 && exec "$@"' sh "$PROGS/bigwrite" "$T/native.dat" 200000 ignore-xfsz
	expect_native_line "write failed after 65536 bytes: EFBIG"
	jt --fsize 65536 -- "$PROGS/bigwrite" "$T/in.dat" 200000 ignore-xfsz
	expect_rc 1
	expect_out_line "write failed after 65536 bytes: EFBIG"
}

t_nofile_limit_gives_EMFILE() {
	native "$PROGS/manyopen" 200
	expect_native_line "opened 200: ok"
	jt --nofile 32 -- "$PROGS/manyopen" 200
	expect_rc 0
	n=$(sed -n 's/^opened \([0-9]*\): EMFILE$/\1/p' "$T/out")
	[ -n "$n" ] || fail "no EMFILE"
	[ "$n" -ge 20 ] && [ "$n" -le 29 ] || fail "EMFILE after $n opens with a limit of 32"
}

# 32-bit programs (the i386 ABI) are held to the same limits.
t_a_32bit_fork_bomb_ends_the_run_with_137_and_status_procs_limit() {
	needs_i386_programs
	native "$PROGS/bomb32" fork 64 0 "$T/native"
	expect_native_line "made 64"
	jt --procs 16 -- "$PROGS/bomb32" fork 64 5 "$T/in"
	expect_limit procs_limit procs
	expect_log '.type == "syscall" and .abi == "i386"' "the program ran as i386"
}

t_a_32bit_memory_hog_ends_the_run_with_137_and_status_memory_limit() {
	needs_i386_programs
	native "$PROGS/memhog32" grow 128 0
	grep -q ' reached 128 MB$' "$T/nout" || native_fail "the 32-bit program could not use 128 MB"
	jt --memory 48M -- "$PROGS/memhog32" grow 128 30
	expect_limit memory_limit memory
	expect_log '.type == "syscall" and .abi == "i386"' "the program ran as i386"
}

# What a thread group holds counts whoever holds it: its leader may have
# exited (its memory map and descriptor table then live on in its threads
# only, and /proc/TGID shows neither), or a thread may hold a descriptor
# table of its own (clone without CLONE_FILES).
t_memory_held_by_a_group_whose_leader_exited_or_a_threads_own_table_counts() {
	GUARD_SECS=$(slow 60)
	native "$PROGS/groupheld" mem 150 leadexit
	grep -qx done "$T/nout" || native_fail "the holder did not finish natively: $(cat "$T/nout")"
	for how in "mem 300 stay" "mem 300 leadexit" "memfd 300 leadexit" "memfd 300 own"; do
		jt --memory 100M -- "$PROGS/groupheld" $how
		expect_limit memory_limit memory
		expect_no_out done
	done
}

t_disk_held_by_an_unlinked_file_of_a_group_whose_leader_exited_or_a_threads_own_table_counts() {
	GUARD_SECS=$(slow 60)
	native /bin/sh -c "cd $T && exec $PROGS/groupheld unlinked 80 leadexit"
	grep -qx done "$T/nout" || native_fail "the holder did not finish natively: $(cat "$T/nout")"
	for how in "unlinked 120 stay" "unlinked 120 leadexit" "unlinked 120 own"; do
		jt --disk 50M -- "$PROGS/groupheld" $how
		expect_limit disk_limit disk
		expect_no_out done
	done
}
