# jailtrace learn: the tightest policy under which the same run gets the
# same decisions. Run the program again under it: no denial that the first
# run did not have; and it is tighter than the policy the run had.

# denials FILE: the denials of a log as "name errno kind" lines, sorted
# (kind: the rule, except that policy lines "file:N" are just "policy")
denials() {
	jq -r 'select(.type == "syscall" and .decision == "deny")
		| [.name, .errno, (.rule | if test("^(builtin:|default-deny)") then . else "policy" end)] | join(" ")' "$1" | sort -u
}

# learn_round_trip PROGRAM...: run, learn, replay, run again under the
# learned policy; leaves the learned policy in $T/learned.policy
learn_round_trip() {
	jt -- "$@"
	first_rc=$RC
	cp "$T/log.jsonl" "$T/first.jsonl"
	jt_cmd learn "$T/first.jsonl"
	expect_rc 0
	cp "$T/out" "$T/learned.policy"
	jt_cmd policy check "$T/learned.policy"
	expect_rc 0
	jt_cmd replay "$T/first.jsonl" --policy "$T/learned.policy"
	expect_rc 0
	grep -qE "^  ([0-9]+) recorded decisions: \1 the same, 0 newly denied, 0 newly allowed, 0 denied with another errno" "$T/out" ||
		fail "the learned policy does not decide the run as it was decided: $(sed -n 2p "$T/out")"
	jt --policy "$T/learned.policy" -- "$@"
	[ "$RC" = "$first_rc" ] || fail "the program exited $first_rc, under the learned policy $RC"
	new=$(comm -13 <(denials "$T/first.jsonl") <(denials "$T/log.jsonl"))
	[ -z "$new" ] || fail "under the learned policy the run got new denials:
$new"
}

t_learned_policy_gives_the_same_run_no_new_denial() {
	learn_round_trip /bin/sh -c "kill -0 1 2>/dev/null; ls / >/dev/null; '$PROGS/forbidden' syslog;
		/usr/bin/python3 -c 'import threading, subprocess; t = threading.Thread(target=print); t.start(); t.join(); subprocess.run([\"/bin/true\"])'; exit 4"
	grep -qx 'process fork allow .*' "$T/learned.policy" || fail "the run forked, the policy says $(grep '^process fork' "$T/learned.policy")"
	grep -qx 'process thread allow .*' "$T/learned.policy" || fail "the run started a thread"
	# the signal it tried is still refused by the check, with the same errno
	grep -q '^allow kill ' "$T/learned.policy" || fail "kill is not kept for its check"
	denials "$T/log.jsonl" | grep -qx 'kill EPERM builtin:target-outside' || fail "the denied kill is not denied again"
}

t_learned_policy_is_tighter_than_the_runs_own() {
	learn_round_trip /bin/echo hello
	expect_out_line hello
	for want in 'process fork deny' 'process thread deny' 'process exec deny'; do
		grep -q "^$want" "$T/learned.policy" || fail "the learned policy lacks '$want'"
	done
	grep -qE '^#.* tgkill' "$T/learned.policy" || fail "tgkill, never used, is not left out"
	# what the run did not do is now refused, and logged
	jt --policy "$T/learned.policy" -- /bin/sh -c '/bin/true; exit 0'
	expect_log '.type == "syscall" and .decision == "deny" and (.name == "execve" or .name == "clone" or .name == "vfork" or .name == "fork")' \
		"a program that forks or execs is refused under a policy learned from echo"
	jt --policy "$T/learned.policy" -- /usr/bin/python3 -c 'import threading; threading.Thread(target=print).start()'
	expect_log '.type == "syscall" and .name == "clone" and .decision == "deny" and .errno == "EAGAIN"' \
		"a thread is refused under a policy learned from a run without one"
}

t_learned_policy_keeps_only_the_grants_the_run_used() {
	learn_round_trip /bin/sh -c 'cat /etc/os-release >/dev/null; ls /usr/share >/dev/null'
	# used: the programs under /usr (through the links /bin and /lib), the file it read
	for want in 'ro /usr' 'ro /bin' 'ro /etc/os-release' 'ro /etc/ld.so.cache'; do
		grep -qE "^$want( |$)" "$T/learned.policy" || fail "the learned policy lacks '$want'"
	done
	grep -qE '^ro /usr +# [0-9]+ paths used, e[.]g[.] /' "$T/learned.policy" ||
		fail "the /usr grant has no comment saying what used it"
	# not used: grants of the base the run never touched are left out, and named
	for gone in /etc/ssl /etc/fonts /etc/python3.11 /proc/cpuinfo /dev/urandom; do
		! grep -qE "^(ro|rw) $gone( |$|:)" "$T/learned.policy" || fail "the learned policy grants $gone, which the run did not use"
		sed -n '/^# -- grants of the base the run did not use/,/^$/p' "$T/learned.policy" | grep -qE "[ ]$gone( |$)" ||
			fail "$gone is not named among the grants left out"
	done
	# and left out, they are not in the view of a run under it
	jt --policy "$T/learned.policy" -- /bin/sh -c 'test -e /etc/ssl || echo gone'
	expect_out_line gone
}

t_learn_from_a_full_audit_allows_only_the_syscalls_that_ran() {
	jt --audit full -- /bin/echo hello
	expect_rc 0
	grep -q '"type":"call"' "$T/log.jsonl" || skip "this jailtrace writes no call records"
	cp "$T/log.jsonl" "$T/first.jsonl"
	jt_cmd learn "$T/first.jsonl"
	expect_rc 0
	cp "$T/out" "$T/learned.policy"
	grep -q '^allow write ' "$T/learned.policy" || fail "echo wrote, the policy does not allow write"
	! grep -qE '^allow.* (socket|connect|kill)( |$)' "$T/learned.policy" || fail "the policy allows calls echo never made"
	jt --policy "$T/learned.policy" -- /bin/echo hello
	expect_rc 0
	expect_out_line hello
	new=$(comm -13 <(denials "$T/first.jsonl") <(denials "$T/log.jsonl"))
	[ -z "$new" ] || fail "under the policy learned from it, echo got new denials:
$new"
}

t_learn_of_a_run_with_another_policy_file_uses_that_file() {
	printf 'include default\nenv set FOO=bar\n' >"$T/run.policy"
	jt --policy "$T/run.policy" -- /bin/sh -c 'echo $FOO'
	expect_out_line bar
	cp "$T/log.jsonl" "$T/first.jsonl"
	jt_cmd learn "$T/first.jsonl"
	expect_rc 0
	grep -qx 'env set FOO=bar' "$T/out" || fail "the run's env rule is not kept"
	grep -q "^# base: $T/run.policy" "$T/out" || fail "the base is not the run's policy file"
	rm "$T/run.policy"
	jt_cmd learn "$T/first.jsonl"
	expect_rc 125
	grep -q -- "--base" "$T/err" || fail "without the run's policy, learn does not say to name it with --base"
}
