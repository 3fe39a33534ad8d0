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
