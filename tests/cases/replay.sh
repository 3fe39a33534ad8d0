# jailtrace replay: the recorded requests decided again, by the tracer's
# own decision code, under another policy. Exit 0 when nothing the run
# needed would be denied, 1 when something would, 125 for bad input.
# Replay decides from the log alone: the root, jtuser and asan passes.
# passes: root,jtuser,asan

# a_run: a shell that runs programs (execs after the first), is denied a
# signal to a host process and a syslog read
a_run() {
	jt -- /bin/sh -c "kill -0 1 2>/dev/null; /bin/true; '$PROGS/forbidden' syslog; exit 0"
	expect_rc 0
}

policy() {
	printf '%s\n' "$@" >"$T/policy"
}

t_replay_under_the_runs_own_policy_changes_nothing() {
	a_run
	jt_cmd policy default
	cp "$T/out" "$T/policy"
	jt_cmd replay "$T/log.jsonl" --policy "$T/policy"
	expect_rc 0
	grep -qE '^  ([0-9]+) recorded decisions: \1 the same, 0 newly denied, 0 newly allowed, 0 denied with another errno$' "$T/out" ||
		fail "the run's own policy changes something: $(sed -n 2p "$T/out")"
}

t_replay_under_a_stricter_policy_exits_1_and_names_what_the_run_needed() {
	a_run
	policy "include default" "process exec deny"
	jt_cmd replay "$T/log.jsonl" --policy "$T/policy"
	expect_rc 1
	grep -qE '^newly denied' "$T/out" || fail "no 'newly denied' section"
	grep -qE "^  execve +[0-9]+x  was allowed by .*; now EACCES by $T/policy:2" "$T/out" ||
		fail "the execve of /bin/true is not shown as newly denied by $T/policy:2"
	grep -qF 'execve("/bin/true", ["/bin/true"]' "$T/out" || fail "no example of the call"
	# the program's first exec is jailtrace's own: still allowed
	jt_cmd replay --format json "$T/log.jsonl" --policy "$T/policy"
	expect_rc 1
	expect_jq "$T/out" '.newly_denied == 2' '.exit_status == 1' \
		'all(.changes[]; .kind == "newly_denied" and .name == "execve" and .now.errno == "EACCES")'
}

t_replay_under_a_looser_policy_shows_newly_allowed_and_exits_0() {
	a_run
	policy "include default" "allow syslog"
	jt_cmd replay "$T/log.jsonl" --policy "$T/policy"
	expect_rc 0
	grep -qE "^  syslog +1x  was ENOSYS by default-deny; now allowed by $T/policy:2 \(in the kernel: no record\)" "$T/out" ||
		fail "syslog is not shown as newly allowed"
	grep -q "1 newly allowed" "$T/out" || fail "the count of newly allowed calls is wrong"
}

# the built-in default without one of its lines
default_without() {
	jt_cmd policy default
	grep -vxF -- "$1" "$T/out" >"$T/policy"
	! cmp -s "$T/out" "$T/policy" || fail "the default has no line '$1'"
}

t_replay_without_a_grant_the_run_used_is_newly_denied_and_exits_1() {
	jt -- /bin/true
	expect_rc 0
	n=$(log_count '.type == "syscall" and .name == "openat" and .facts.path == "/etc/ld.so.cache" and .decision == "allow"') || exit 1
	[ "$n" -ge 1 ] || fail "the run did not open /etc/ld.so.cache"
	default_without "ro /etc/ld.so.cache"
	jt_cmd replay "$T/log.jsonl" --policy "$T/policy"
	expect_rc 1
	grep -qE "^  openat +${n}x  was allowed by default:[0-9]+; now ENOENT by builtin:not-in-view$" "$T/out" ||
		fail "the opens of /etc/ld.so.cache are not newly denied: $(cat "$T/out")"
	grep -qF 'openat(AT_FDCWD, "/etc/ld.so.cache"' "$T/out" || fail "no example of the open"
	jt_cmd replay --format json "$T/log.jsonl" --policy "$T/policy"
	expect_rc 1
	expect_jq "$T/out" ".newly_denied == $n" '.exit_status == 1' \
		'all(.changes[]; .name == "openat" and .now.rule == "builtin:not-in-view" and .was.rule != null)'
}

t_replay_with_a_grant_of_a_denied_path_is_newly_allowed() {
	[ -e /etc/shadow ] || skip "this host has no /etc/shadow"
	jt -- /bin/sh -c 'cat /etc/shadow >/dev/null 2>&1; exit 0'
	expect_rc 0
	expect_log '.type == "syscall" and .name == "openat" and .facts.path == "/etc/shadow" and .rule == "builtin:not-in-view"'
	policy "include default" "ro /etc/shadow"
	jt_cmd replay "$T/log.jsonl" --policy "$T/policy"
	expect_rc 0
	grep -qE "^  openat +1x  was ENOENT by builtin:not-in-view; now allowed by $T/policy:2$" "$T/out" ||
		fail "the open of /etc/shadow is not newly allowed: $(cat "$T/out")"
	grep -qE '^  [0-9]+ recorded decisions: [0-9]+ the same, 0 newly denied, 1 newly allowed' "$T/out" ||
		fail "other changes than the open of /etc/shadow: $(sed -n 2p "$T/out")"
}

t_replay_of_a_denial_with_another_errno_is_not_a_failure() {
	a_run
	# kill is no longer allowed at all: the host-process signal fails with
	# ENOSYS instead of EPERM, which the run never needed
	policy "include default" "deny kill ENOSYS"
	jt_cmd replay "$T/log.jsonl" --policy "$T/policy"
	expect_rc 0
	grep -qE "^  kill +1x  was EPERM by builtin:target-outside; now ENOSYS by $T/policy:2" "$T/out" ||
		fail "kill is not shown as denied with another errno"
}

t_replay_with_a_bad_policy_or_no_policy_exits_125() {
	a_run
	policy "include default" "frobnicate"
	jt_cmd replay "$T/log.jsonl" --policy "$T/policy"
	expect_rc 125
	grep -q "^$T/policy:2: unknown directive" "$T/err" || fail "stderr does not name $T/policy:2"
	jt_cmd replay "$T/log.jsonl"
	expect_rc 125
}

t_replay_of_a_log_cut_by_sigkill_replays_what_was_decided() {
	a_run
	policy "include default" "process exec deny"
	# no end record, and the last line cut in the middle
	grep -v '"type":"end"' "$T/log.jsonl" | head -c -7 >"$T/cut.jsonl"
	jt_cmd replay "$T/cut.jsonl" --policy "$T/policy"
	expect_rc 1
	grep -q "the last line is cut" "$T/err" || fail "no warning about the cut last line"
}
