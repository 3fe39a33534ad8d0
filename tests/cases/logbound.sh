# The audit log is bounded (--log-max, policy `limit log`): a flood of
# decisions ends the run with status log_limit and a log that is complete
# JSON Lines under the bound; repeats of one decision are counted; one
# record never grows past its cap.

# log_bytes: the size of the log on the host's disk.
log_bytes() { stat -c %s "$T/log.jsonl"; }

# expect_log_ends_cleanly MAX: the log parses line by line, ends with the
# end record, and is no larger than MAX bytes.
expect_log_ends_cleanly() {
	local size problems
	size=$(log_bytes)
	[ "$size" -le "$1" ] || fail "the log is $size bytes, over the bound of $1"
	problems=$(check_log_lines "$T/log.jsonl") || fail "log lines: $problems"
	[ "$(tail -n 1 "$T/log.jsonl" | jq -r .type)" = end ] || fail "the last record is not the end: $(tail -c 300 "$T/log.jsonl")"
}

t_log_flood_of_varied_denials_ends_the_run_at_the_log_limit() {
	# native control: 20000 distinct denied-size opens run to the end
	native "$PROGS/denyflood" open-vary 20000
	grep -qx 'done 20000 ENOENT' "$T/nout" || native_fail "the flood did not run natively"
	jt --log-max 1M -- "$PROGS/denyflood" open-vary 0
	expect_limit log_limit log
	expect_log_ends_cleanly 1048576
	expect_result message "audit log limit of 1048576 bytes"
	grep -q 'log_limit: audit log limit of 1048576 bytes' "$T/err" || fail "no summary line naming the log limit: $(head -c 300 "$T/err")"
	# every decision the program acted on is in the log: the process was
	# killed right after its last recorded call, never past an unrecorded one
	expect_log '.type == "limit" and .limit == "log" and .value == 1048576 and .observed > 786432'
}

t_log_default_bound_holds_a_flood_under_64M() {
	jt --timeout 60s -- "$PROGS/denyflood" open-vary 0
	expect_limit log_limit log
	expect_log_ends_cleanly $((64 << 20))
	expect_result message "audit log limit of 67108864 bytes"
}

t_log_limit_from_the_policy_file() {
	printf 'include default\nlimit log 512K\n' >"$T/p.policy"
	jt --policy "$T/p.policy" -- "$PROGS/denyflood" open-vary 0
	expect_limit log_limit log
	expect_log_ends_cleanly 524288
}

t_log_max_below_256K_is_refused() {
	jt --log-max 1000 -- /bin/true
	expect_rc 125
	grep -q 'log limit of 1000 bytes is below the least, 256K' "$T/err" || fail "no message naming the bound: $(head -c 300 "$T/err")"
}

t_log_repeats_of_one_denial_are_counted_not_written() {
	native "$PROGS/denyflood" open-same 20000
	grep -qx 'done 20000 ENOENT' "$T/nout" || native_fail "the flood did not run natively"
	jt --timeout 60s --log-max 1M -- "$PROGS/denyflood" open-same 20000
	expect_rc 0
	expect_out_line 'done 20000 ENOENT'
	expect_log_ends_cleanly 1048576
	# every call is accounted for: its own record, or a count in a repeat
	n=$(jq -s '[.[] | select(.type == "syscall" and .name == "openat" and (.facts.path // "" | startswith("/nonexistent-denyflood")))] | length' "$T/log.jsonl")
	r=$(jq -s '[.[] | select(.type == "repeat") | .count] | add // 0' "$T/log.jsonl")
	[ $((n + r)) = 20000 ] || fail "$n records + $r repeats, expected 20000 calls"
	[ "$n" -lt 1000 ] || fail "$n records of one repeated call: not aggregated"
	jt_cmd report "$T/log.jsonl"
	grep -qE 'openat +ENOENT +20000x' "$T/out" || fail "the report does not count 20000 denials: $(grep -i openat "$T/out" | head -3)"
	printf 'include default\n' >"$T/p.policy"
	jt_cmd replay "$T/log.jsonl" --policy "$T/p.policy"
	expect_rc 0
	jt_cmd learn "$T/log.jsonl"
	expect_rc 0
}

t_log_huge_exec_argv_records_are_capped_and_say_their_size() {
	native "$PROGS/denyflood" exec-argv 50
	grep -qx 'done 50 ENOENT' "$T/nout" || native_fail "the exec flood did not run natively"
	jt --log-max 4M -- "$PROGS/denyflood" exec-argv 50
	expect_rc 0
	expect_log_ends_cleanly $((4 << 20))
	# each of 50 records of 100 x 4000 bytes of arguments is capped
	big=$(jq -cR 'length' "$T/log.jsonl" | sort -n | tail -n 1)
	[ "$big" -le 24576 ] || fail "a record of $big bytes, over the 24 KiB cap"
	expect_log '.type == "syscall" and .name == "execve" and .decision == "deny" and .argc == 101' "argc of a cut argv"
	expect_log '.type == "syscall" and .name == "execve" and (.args[1][1] | type == "object" and .len == 4000)' "len of a cut argument"
}

t_keep_copies_a_sparse_file_with_its_holes() {
	# native control: a plain copy of a sparse file writes its apparent size
	truncate -s 64M "$T/native-sparse"
	cat "$T/native-sparse" >"$T/native-copy"
	[ "$(du -k "$T/native-copy" | cut -f1)" -ge 60000 ] || native_fail "a plain copy of a 64M sparse file took $(du -k "$T/native-copy" | cut -f1) KiB"
	rm -f "$T/native-sparse" "$T/native-copy"
	jt --keep /work/s:"$T/kept" -- /bin/sh -c 'truncate -s 64M /work/s; printf abc >>/work/s'
	expect_rc 0
	[ "$(stat -c %s "$T/kept")" = $((64 * 1048576 + 3)) ] || fail "the kept file has $(stat -c %s "$T/kept") bytes"
	[ "$(tail -c 3 "$T/kept")" = abc ] || fail "the kept file lost its data"
	[ "$(du -k "$T/kept" | cut -f1)" -le 1024 ] || fail "the kept copy takes $(du -k "$T/kept" | cut -f1) KiB on the host"
}
