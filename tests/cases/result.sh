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
	n=$(log_count '.type == "syscall" and .decision == "deny"') || exit 1
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
