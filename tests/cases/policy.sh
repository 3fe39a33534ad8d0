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

# --within SITE: a policy that gives what SITE does not is refused before
# anything runs, in one line naming its widening line; a stricter one runs,
# and its narrowing shows.
t_run_within_refuses_a_wider_policy_and_applies_a_stricter_one() {
	# outside $T, which jt shows writable
	secret="jt-secret-$RANDOM$RANDOM" file="$JT_AUX/within-secret-$RANDOM"
	echo "$secret" >"$file" && chmod 644 "$file"
	printf 'include default\n' >"$T/site.policy"
	printf 'include default\nro %s\n' "$file" >"$T/wide.policy"
	printf 'include default\ndeny uname\n' >"$T/strict.policy"
	# controls: the wider policy alone shows the secret; the site's does not
	jt --policy "$T/wide.policy" -- /bin/cat "$file"
	expect_rc 0
	grep -qx "$secret" "$T/out" || fail "CONTROL FAILED: the wider policy does not show the file: $(cat "$T/out" "$T/err")"
	jt --policy "$T/site.policy" -- /bin/cat "$file"
	grep -q "$secret" "$T/out" && fail "CONTROL FAILED: the site's policy shows the file"
	jt --policy "$T/wide.policy" --within "$T/site.policy" -- /bin/sh -c "cat '$file'; echo ran >'$T/ran'"
	expect_rc 125
	grep -q "$secret" "$T/out" && fail "the wider policy ran: $(cat "$T/out")"
	[ ! -e "$T/ran" ] || fail "the program ran"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "expected one line on stderr: $(cat "$T/err")"
	grep -qx "jailtrace: the policy is not within $T/site.policy: $T/wide.policy:2: ro $file:$file: the site grants no such path" "$T/err" ||
		fail "the reason does not name the line: $(cat "$T/err")"
	# the stricter policy runs; uname works under the site's, not under it
	jt --policy "$T/site.policy" --within "$T/site.policy" -- /bin/uname -s
	expect_rc 0
	expect_out_line Linux
	jt --policy "$T/strict.policy" --within "$T/site.policy" -- /bin/uname -s
	expect_rc 1
	grep -q 'uname: cannot get system name' "$T/err" || fail "uname was not denied: $(cat "$T/out" "$T/err")"
	# a site file that cannot be read is jailtrace's own error
	jt --policy "$T/strict.policy" --within "$T/missing.policy" -- /bin/true
	expect_rc 125
	grep -q "^jailtrace: --within: $T/missing.policy: cannot read policy" "$T/err" || fail "$(cat "$T/err")"
	rm -f "$file"
}
