# Exit status: jailtrace exits with the program's own status, 128+N when
# signal N killed it, 126/127 when it could not be started, 125 for
# jailtrace's own errors (one line on stderr).

t_program_exit_code_is_jailtraces_exit_code() {
	jt -- /bin/sh -c 'exit 3'
	expect_rc 3
	expect_result status exited
	expect_result exit_code 3
	expect_result program_exit_code 3
}

t_death_by_signal_exits_128_plus_the_signal_number() {
	jt -- /bin/sh -c 'kill -USR1 $$'
	expect_rc 138
	expect_result status signaled
	expect_result exit_code 138
	expect_result signal 10
	expect_result signal_name SIGUSR1
	expect_result program_exit_code null
}

t_program_that_is_not_executable_exits_126() {
	printf '#!/bin/sh\necho ran\n' >"$T/script"
	chmod 644 "$T/script"
	jt -- "$T/script"
	expect_rc 126
	expect_no_out ran
}

t_program_that_does_not_exist_exits_127() {
	jt -- "$T/no-such-program"
	expect_rc 127
}

t_unknown_option_exits_125_with_one_line_on_stderr_and_runs_nothing() {
	jt_plain --no-such-option -- /bin/sh -c "echo ran >'$T/ran'"
	expect_rc 125
	[ "$(wc -l <"$T/err")" = 1 ] || fail "expected exactly one line on stderr"
	grep -q '^jailtrace: ' "$T/err" || fail "stderr does not start with 'jailtrace: '"
	[ ! -e "$T/ran" ] || fail "the program ran"
}

t_bad_limit_value_exits_125_with_one_line_on_stderr() {
	jt_plain --memory lots -- /bin/true
	expect_rc 125
	[ "$(wc -l <"$T/err")" = 1 ] || fail "expected exactly one line on stderr"
	grep -q '^jailtrace: ' "$T/err" || fail "stderr does not start with 'jailtrace: '"
}

# pipe_status PROGRAM...: runs `jailtrace run -- PROGRAM... | head -1` (or,
# with NATIVE=1, PROGRAM alone in the pipe); prints the writer's exit status.
pipe_status() {
	local out=$1
	shift
	if [ -n "${NATIVE:-}" ]; then
		run_guarded "$out" "$out.err" bash -c '"$@" | head -1 >/dev/null; echo "${PIPESTATUS[0]}"' _ "$@"
	else
		run_guarded "$out" "$out.err" bash -c '"$@" | head -1 >/dev/null; echo "${PIPESTATUS[0]}"' _ \
			"$JT" run --timeout 10s "${JT_VIEW[@]}" -- "$@"
	fi
	[ -z "$GUARD_FIRED" ] || fail "the pipe into head -1 did not end within ${GUARD_SECS}s"
}

t_a_closed_pipe_ends_the_writer_with_sigpipe_as_natively() {
	NATIVE=1 pipe_status "$T/nout" yes
	[ "$(cat "$T/nout")" = 141 ] || native_fail "yes | head -1 did not end with SIGPIPE natively"
	pipe_status "$T/out" yes
	cp "$T/out.err" "$T/err"
	[ "$(cat "$T/out")" = 141 ] || fail "jailtrace run -- yes | head -1 exited $(cat "$T/out"), natively 141"
	grep -q 'killed by SIGPIPE' "$T/err" || fail "the summary does not say SIGPIPE"
	! grep -q 'output_limit\|--output' "$T/err" || fail "it ran into the output limit"
}

t_a_closed_pipe_gives_the_writer_epipe_as_natively() {
	local py=/usr/bin/python3
	[ -x "$py" ] || skip "no $py"
	cat >"$T/w.py" <<PY
import sys
try:
    for i in range(2000000):
        sys.stdout.write("%d\n" % i)
        sys.stdout.flush()
    open("$T/mark", "w").write("finished")
except BrokenPipeError:
    open("$T/mark", "w").write("EPIPE")
    sys.stderr.close()
    import os; os._exit(3)
PY
	NATIVE=1 pipe_status "$T/nout" "$py" "$T/w.py"
	[ "$(cat "$T/mark" 2>/dev/null)" = EPIPE ] || native_fail "python got no BrokenPipeError natively"
	[ "$(cat "$T/nout")" = 3 ] || native_fail "the native writer exited $(cat "$T/nout")"
	rm -f "$T/mark"
	pipe_status "$T/out" "$py" "$T/w.py"
	cp "$T/out.err" "$T/err"
	[ "$(cat "$T/mark" 2>/dev/null)" = EPIPE ] || fail "inside, python saw: $(cat "$T/mark" 2>/dev/null || echo nothing)"
	[ "$(cat "$T/out")" = 3 ] || fail "jailtrace exited $(cat "$T/out"), not the program's 3"
}
