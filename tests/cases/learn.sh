# jailtrace learn: the tightest policy under which the same run gets the
# same decisions. Run the program again under it: no denial that the first
# run did not have; and it is tighter than the policy the run had.
# test-timeout: 3
# Learning reads the log; the learned policy's reruns are worth one
# transport besides the default: the ptrace pass (legacy and noseccomp
# stop as it does).
# passes: root,jtuser,asan,ptrace

# denials FILE: the denials of a log as "name errno kind" lines, sorted
# (kind: the rule, except that policy lines "file:N" are just "policy").
# Left out: what the timing of the run's own processes decides, not a
# policy (a signal to a process that has just exited, ESRCH; /proc/PID of
# one that is gone), which a second run may or may not meet.
denials() {
	jq -r 'select(.type == "syscall" and .decision == "deny")
		| select(.rule != "builtin:no-such-process" and ((.facts.path // "") | test("^/proc/[0-9]") | not))
		| [.name, .errno, (.rule | if test("^(builtin:|default-deny)") then . else "policy" end)] | join(" ")' "$1" | sort -u
}

# predicted FILE: what `replay --format json` says the run under the new
# policy would be denied anew, as denials() lines
predicted() {
	jq -r '.changes[] | select(.kind == "newly_denied" or .kind == "other_errno")
		| [.name, .now.errno, (.now.rule | if test("^(builtin:|default-deny)") then . else "policy" end)] | join(" ")' "$1" | sort -u
}

# rerun_as_replay_says OPTS... -- PROGRAM...: replays $T/first.jsonl under
# $T/learned.policy, runs PROGRAM again under it, and compares: the denials
# the rerun got that the first run did not are exactly those replay
# predicted (none predicted, none happens). Sets $new.
rerun_as_replay_says() {
	jt_cmd replay --format json "$T/first.jsonl" --policy "$T/learned.policy"
	cp "$T/out" "$T/replay.json"
	jt "$@"
	new=$(comm -13 <(denials "$T/first.jsonl") <(denials "$T/log.jsonl"))
	[ "$new" = "$(predicted "$T/replay.json" | grep -vxF -f <(denials "$T/first.jsonl"))" ] ||
		fail "replay predicted other new denials than the rerun got; predicted:
$(predicted "$T/replay.json")
the rerun got:
$new"
}

# learn_round_trip [OPTS... --] PROGRAM...: run, learn, replay, run again
# under the learned policy (with the same OPTS): the same stdout and exit
# status, no denial that the first run did not have, and replay says so
# beforehand. Leaves the learned policy in $T/learned.policy.
learn_round_trip() {
	local opts=() a
	for a in "$@"; do [ "$a" = -- ] && { while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift; break; }; done
	jt "${opts[@]}" -- "$@"
	first_rc=$RC
	cp "$T/log.jsonl" "$T/first.jsonl"
	cp "$T/out" "$T/first.out"
	jt_cmd learn "$T/first.jsonl"
	expect_rc 0
	cp "$T/out" "$T/learned.policy"
	jt_cmd policy check "$T/learned.policy"
	expect_rc 0
	jt_cmd replay "$T/first.jsonl" --policy "$T/learned.policy"
	expect_rc 0
	grep -qE "^  ([0-9]+) recorded decisions: \1 the same, 0 newly denied, 0 newly allowed, 0 denied with another errno" "$T/out" ||
		fail "the learned policy does not decide the run as it was decided: $(sed -n 2p "$T/out")"
	rerun_as_replay_says "${opts[@]}" --policy "$T/learned.policy" -- "$@"
	[ "$RC" = "$first_rc" ] || fail "the program exited $first_rc, under the learned policy $RC"
	cmp -s "$T/first.out" "$T/out" || fail "under the learned policy the program printed otherwise:
$(diff "$T/first.out" "$T/out" | head -n 10)"
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

# The log's paths are the program's: one with a newline, printed into a
# comment of the learned policy, began a line of the program's choosing.
t_a_path_the_program_names_never_becomes_a_line_of_the_learned_policy() {
	local payload="ro $JT_AUX/secret"
	echo "TOPSECRET-learn-$$" >"$JT_AUX/secret"
	# native control: the line the program smuggles is a grant that shows
	# the secret; without it the secret is not in the view
	printf 'include default\n%s\n' "$payload" >"$T/control.policy"
	jt --policy "$T/control.policy" -- /bin/cat "$JT_AUX/secret"
	grep -q "TOPSECRET-learn-$$" "$T/out" || native_fail "the smuggled line grants nothing: $(cat "$T/err")"
	jt -- /bin/cat "$JT_AUX/secret"
	grep -q "TOPSECRET-learn" "$T/out" && native_fail "the secret is in the view without the line"
	# its first path under /etc/ssl (and one in the jail) carry the line
	jt -- /bin/sh -c 'for p in "/etc/ssl/a
$1
#" "/tmp/b
$1
#"; do cat "$p" 2>/dev/null; echo x >"$p"; cat "$p" >/dev/null; done; ls /etc/ssl/certs >/dev/null; echo asked' sh "$payload"
	expect_out_line asked
	mv "$T/log.jsonl" "$T/first.jsonl"
	jt_cmd learn "$T/first.jsonl"
	cp "$T/out" "$T/learned.policy"
	grep -q '^ro /etc/ssl ' "$T/learned.policy" || fail "the learned policy does not grant /etc/ssl, which the run used"
	grep -qxF "$payload" "$T/learned.policy" && fail "the learned policy has the program's line: $(grep -n -B1 -F "$payload" "$T/learned.policy")"
	jt --policy "$T/learned.policy" -- /bin/cat "$JT_AUX/secret"
	grep -q "TOPSECRET-learn" "$T/out" && fail "a run under the learned policy read the secret"
	true
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

# What the default view gives without naming it must be carried over:
# /proc/self (the run's own processes) is reached through the view's
# /proc, a directory only while some grant lies under it.
t_learned_policy_keeps_proc_of_the_run() {
	learn_round_trip /usr/bin/python3 -c 'import os; print(len(os.listdir("/proc/self/fd")) > 2); print(os.readlink("/proc/self/exe"))'
	expect_out_line True
	grep -qE '^ro /proc/' "$T/learned.policy" || fail "no grant under /proc is kept: /proc/self is not in the view"
	learn_round_trip /bin/sh -c 'ls /proc/self/fd >/dev/null && echo listed; echo piped | cat /dev/stdin'
	expect_out_line listed
	expect_out_line piped
}

# A script under --ro of a directory looks up the grant's parent (realpath
# reads /opt as a link): the directory is in the view for the command-line
# grant, and the log names that grant, so learn needs nothing for it.
t_learned_policy_reruns_a_script_under_a_command_line_grant() {
	mkdir -p "$T/x"
	cat >"$T/x/s.py" <<-'PY'
	import os, subprocess, sys
	print(os.path.realpath(__file__), os.path.realpath("/opt"), sorted(os.listdir("/opt/x")))
	r = subprocess.run([sys.executable, "-c", "import os; print(os.getcwd())"], capture_output=True, text=True)
	print(r.stdout.strip(), subprocess.call(["/bin/sh", "-c", "exit 3"]))
	PY
	chmod -R a+rX "$T/x"
	learn_round_trip --ro "$T/x:/opt/x" -- /usr/bin/python3 /opt/x/s.py
	expect_out_line "/opt/x/s.py /opt ['s.py']"
	expect_out_line "/work 3"
	expect_log '.type == "syscall" and .name == "readlink" and .facts.path == "/opt" and .decision == "allow" and .rule == "--ro"'
	! grep -q '"decision":"allow","rule":"default-deny"' "$T/first.jsonl" ||
		fail "an allow is logged as by default-deny: $(grep -m1 '"decision":"allow","rule":"default-deny"' "$T/first.jsonl")"
}

# Tasks of the everyday corpus (tests/corpus), run as corpus.sh runs them.
# Three of them, each run twice, take about 8 s on a quiet machine: the
# file's line "# test-timeout: 3" gives a busy one room.
learn_corpus_task() {
	local corpus
	corpus=$(cd "$(dirname "$TEST_CASE")/../corpus" && pwd) || fail "no tests/corpus"
	cp "$corpus/$1.sh" "$T/task.sh"
	chmod a+r "$T/task.sh"
	GUARD_SECS=$(slow 50)
	learn_round_trip --quiet --timeout 45s -- /bin/bash "$T/task.sh"
}

t_learned_policy_reruns_corpus_tasks() {
	for task in shell_text threads_files mp_pool; do
		learn_corpus_task $task
	done
}

t_learned_policy_reruns_corpus_build_tasks() {
	command -v gcc >/dev/null || skip "no gcc on this host"
	command -v make >/dev/null || skip "no make on this host"
	learn_corpus_task c_build
	learn_corpus_task make_parallel
}

# Replay predicts what a run under another policy is denied: without any
# grant under /proc the run's /proc/self is gone, and replay says so.
t_replay_predicts_the_rerun_of_a_policy_without_proc() {
	jt -- /usr/bin/python3 -c 'import os; print(len(os.listdir("/proc/self/fd")) > 2)'
	expect_rc 0
	cp "$T/log.jsonl" "$T/first.jsonl"
	jt_cmd policy default
	grep -v '^ro /proc/' "$T/out" >"$T/learned.policy"
	jt_cmd replay "$T/first.jsonl" --policy "$T/learned.policy"
	expect_rc 1
	grep -qE '^  openat +1x  was allowed by builtin:proc-of-run; now ENOENT by builtin:not-in-view$' "$T/out" ||
		fail "replay does not predict the lost /proc/self: $(cat "$T/out")"
	rerun_as_replay_says --policy "$T/learned.policy" -- /usr/bin/python3 -c 'import os; print(len(os.listdir("/proc/self/fd")) > 2)'
	expect_rc 1
	expect_log '.type == "syscall" and .name == "openat" and .decision == "deny" and .errno == "ENOENT" and (.facts.path | test("^/proc/(self|[0-9]+)/fd$"))' \
		"the denial replay predicted did not happen"
}

# The links a walk passes are decided again too: without `ro /lib64` (the
# link to the loader every dynamic program names) and without `ro /bin`
# (the link /bin/sh is asked through) the run cannot start, and replay
# says so before it happens.
t_replay_predicts_the_rerun_of_a_policy_without_a_link_grant() {
	local drop
	for drop in /lib64 /bin; do
		[ -L "$drop" ] || { echo "($drop is no link on this host: not a case here)"; continue; }
		jt -- /bin/sh -c 'echo hi'
		expect_rc 0
		cp "$T/log.jsonl" "$T/first.jsonl"
		default_without_grant "$drop"
		jt_cmd replay "$T/first.jsonl" --policy "$T/learned.policy"
		expect_rc 1
		grep -qE '^  execve +[0-9]+x  was allowed by default:[0-9]+; now ENOENT by builtin:not-in-view$' "$T/out" ||
			fail "without ro $drop, replay does not predict the exec's failure: $(cat "$T/out")"
		jt_cmd replay --format json "$T/first.jsonl" --policy "$T/learned.policy"
		cp "$T/out" "$T/replay.json"
		jt --policy "$T/learned.policy" -- /bin/sh -c 'echo hi'
		[ "$RC" != 0 ] || fail "without ro $drop the run still ran"
		new=$(comm -13 <(denials "$T/first.jsonl") <(denials "$T/log.jsonl"))
		[ -n "$new" ] || fail "without ro $drop the run failed without a logged denial"
		[ -z "$(comm -23 <(echo "$new") <(predicted "$T/replay.json"))" ] ||
			fail "the rerun got denials replay did not predict: $new"
	done
}

# A link through another grant: /usr/bin/awk -> /etc/alternatives/awk ->
# /usr/bin/mawk resolves into /usr, but its walk passes /etc/alternatives.
t_replay_predicts_the_rerun_of_a_policy_without_the_alternatives() {
	case $(readlink /usr/bin/awk) in
	/etc/alternatives/*) ;;
	*) skip "this host's awk is not reached through /etc/alternatives" ;;
	esac
	jt -- /bin/sh -c 'echo x y | awk "{print \$2}"'
	expect_rc 0
	expect_out_line y
	cp "$T/log.jsonl" "$T/first.jsonl"
	default_without_grant /etc/alternatives
	jt_cmd replay --format json "$T/first.jsonl" --policy "$T/learned.policy"
	expect_rc 1
	cp "$T/out" "$T/replay.json"
	predicted "$T/replay.json" | grep -qx 'newfstatat ENOENT builtin:not-in-view' ||
		fail "replay does not predict the lookup of awk failing: $(cat "$T/out")"
	jt --policy "$T/learned.policy" -- /bin/sh -c 'echo x y | awk "{print \$2}"'
	[ "$RC" != 0 ] || fail "without /etc/alternatives awk still ran"
	expect_log '.type == "syscall" and .decision == "deny" and .errno == "ENOENT" and .facts.path == "/usr/bin/awk"'
	# and learn keeps the link's grant
	jt_cmd learn "$T/first.jsonl"
	expect_rc 0
	grep -qE '^ro /etc/alternatives' "$T/out" || fail "learn drops /etc/alternatives, which awk's walk passed"
}

default_without_grant() {
	jt_cmd policy default
	grep -vxF -- "ro $1" "$T/out" >"$T/learned.policy"
	! cmp -s "$T/out" "$T/learned.policy" || fail "the default has no line 'ro $1'"
}

# A lookup of a directory that only leads to grants (/var leads to
# /var/cache/fontconfig) keeps one of them as it is, never mapped there.
t_learned_policy_keeps_a_grant_a_directory_leads_to_as_it_is() {
	[ -d /var/cache/fontconfig ] || skip "this host has no /var/cache/fontconfig"
	learn_round_trip /bin/sh -c 'ls -d /var && ls /var >/dev/null'
	expect_out_line /var
	grep -qE '^ro /var/cache/fontconfig( |$)' "$T/learned.policy" ||
		fail "the grant /var leads to is not kept as it is: $(grep -E '^ro /var' "$T/learned.policy")"
}
