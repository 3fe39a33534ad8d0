# The --result file: one JSON object with the documented fields, telling
# how the run ended and what it used.

t_result_file_has_the_documented_fields() {
	jt -- /bin/true
	expect_rc 0
	expect_jq "$T/result.json" \
		'.status == "exited"' \
		'.exit_code == 0' \
		'.program_exit_code == 0' \
		'has("signal") and .signal == null' \
		'has("signal_name") and .signal_name == null' \
		'.wall_ms | type == "number" and . >= 0' \
		'.cpu_ms | type == "number" and . >= 0' \
		'.peak_memory_kb | type == "number" and . > 0' \
		'.denials | type == "number" and . >= 0' \
		'has("message") and (.message == null or (.message | type == "string"))'
}

t_result_counts_the_logged_denials() {
	start_victim
	jt -- /bin/sh -c "kill -0 $VICTIM; kill -0 $VICTIM; kill -0 $VICTIM; exit 0"
	expect_rc 0
	n=$(log_calls '.type == "syscall" and .decision == "deny"') || exit 1
	[ "$n" -ge 3 ] || fail "only $n deny records for 3 denied kills"
	expect_result denials "$n"
}

t_result_measures_cpu_time_of_the_program() {
	jt -- "$PROGS/cpuhog" spin 0.4
	expect_rc 0
	expect_jq "$T/result.json" '.cpu_ms >= 350' '.wall_ms >= .cpu_ms * 0.9'
}

t_result_measures_peak_memory_of_the_program() {
	jt -- "$PROGS/memhog" grow 64 0.2
	expect_rc 0
	expect_jq "$T/result.json" '.peak_memory_kb >= 60000'
}

# jailtrace's own errors (exit 125) are results too: a caller reading only
# the result file must learn that the program never ran, and why.
t_result_says_error_when_the_policy_file_is_missing() {
	jt --policy "$T/no-such.policy" -- /bin/true
	expect_rc 125
	[ "$(wc -l <"$T/err")" = 1 ] || fail "expected one line on stderr"
	expect_result status error
	expect_result exit_code 125
	expect_result program_exit_code null
	expect_jq "$T/result.json" '.message | contains("no-such.policy")'
}

t_result_says_error_for_a_bad_option_value() {
	jt --memory lots -- /bin/true
	expect_rc 125
	expect_result status error
	expect_result exit_code 125
	expect_jq "$T/result.json" '.message | contains("--memory")'
}

t_log_ends_with_an_error_record_when_jailtrace_refuses_the_run() {
	# a host where jailtrace cannot contain a program: neither seccomp
	# filters nor PTRACE_GET_SYSCALL_INFO (forced absent)
	jt --disable seccomp,syscall_info -- /bin/sh -c 'echo ran >"$0"/ran' "$T"
	expect_rc 125
	[ ! -e "$T/ran" ] || fail "the program ran"
	expect_result status error
	problems=$(check_log_lines "$T/log.jsonl") || fail "bad log: $problems"
	tail -n 1 "$T/log.jsonl" >"$T/last"
	expect_jq "$T/last" '.type == "end"' '.status == "error"' '.exit_code == 125' \
		'.message | contains("cannot contain a program here")'
	expect_jq "$T/log.jsonl" '.type == "run"'
}

t_result_names_the_denials_with_their_grants() {
	[ -e /etc/hostname ] || skip "no /etc/hostname on this host"
	jt -- /bin/sh -c 'cat /etc/hostname; cat /etc/hostname; exit 0'
	expect_rc 0
	expect_jq "$T/result.json" \
		'.hints | length >= 1' \
		'[.hints[] | select(.text | contains("/etc/hostname") and contains("--ro /etc/hostname"))][0].count == 2' \
		'.hints_more | type == "number"'
}
