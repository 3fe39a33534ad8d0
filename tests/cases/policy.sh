# Policy files: the built-in policy round-trips through `policy check`, and
# a policy with an unknown directive is refused with FILE:LINE, exit 125.

# bad_policy: writes $T/policy (the built-in policy plus one unknown
# directive at its end) and sets BAD_LINE to that directive's line number.
bad_policy() {
	jt_cmd policy default
	expect_rc 0
	cp "$T/out" "$T/policy"
	[ -z "$(tail -c 1 "$T/policy")" ] || echo >>"$T/policy"
	echo "frobnicate all the things" >>"$T/policy"
	BAD_LINE=$(wc -l <"$T/policy")
}

t_builtin_policy_passes_policy_check() {
	jt_cmd policy default
	expect_rc 0
	[ -s "$T/out" ] || fail "policy default printed nothing"
	cp "$T/out" "$T/policy"
	jt_cmd policy check "$T/policy"
	expect_rc 0
}

t_unknown_policy_directive_is_an_error_with_file_and_line() {
	bad_policy
	jt_cmd policy check "$T/policy"
	expect_rc 125
	[ "$(wc -l <"$T/err")" = 1 ] || fail "expected exactly one line on stderr"
	grep -q "^$T/policy:$BAD_LINE: " "$T/err" || fail "stderr does not start with '$T/policy:$BAD_LINE: '"
}

t_run_with_a_bad_policy_exits_125_and_runs_nothing() {
	bad_policy
	jt --policy "$T/policy" -- /bin/sh -c "echo ran >'$T/ran'"
	expect_rc 125
	grep -q "^$T/policy:$BAD_LINE: " "$T/err" || fail "stderr does not name $T/policy:$BAD_LINE"
	[ ! -e "$T/ran" ] || fail "the program ran"
}

t_run_with_a_policy_file_names_it_in_the_run_header() {
	jt_cmd policy default
	cp "$T/out" "$T/policy"
	jt --policy "$T/policy" -- /bin/echo hi
	expect_rc 0
	expect_out_line hi
	POLICY="$T/policy" expect_jq "$T/log.jsonl" '.type == "run"' '.policy == $ENV.POLICY' \
		'.policy_digest | test("^sha256:[0-9a-f]{64}$")'
}
