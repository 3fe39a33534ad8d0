# What a first-time user meets on the command line: grants that name
# nothing, outputs that cannot be kept, help, and messages that say what
# the shell would say.
# The command line and signals to jailtrace: noseccomp (every call a stop)
# adds nothing to them that the ptrace and legacy passes do not show.
# passes: root,jtuser,asan,legacy,ptrace

# expect_refused WHAT: the last run exited 125 with one line on stderr
# naming WHAT, and ran nothing (no $T/ran).
expect_refused() {
	expect_rc 125
	[ "$(wc -l <"$T/err")" = 1 ] || fail "expected exactly one line on stderr"
	grep -qF -- "$1" "$T/err" || fail "stderr does not name '$1'"
	[ ! -e "$T/ran" ] || fail "the program ran"
}

t_ro_of_a_missing_host_path_is_an_error_before_the_run() {
	jt_plain --ro "$JT_AUX/nonexistent" -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "--ro $JT_AUX/nonexistent: No such file or directory"
	echo a,b >"$JT_AUX/data.csv"
	# a typo in HOST of HOST:INSIDE
	jt_plain --ro "$JT_AUX/dta.csv:/data/data.csv" -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "--ro $JT_AUX/dta.csv: No such file or directory"
	jt_plain --rw "$JT_AUX/nodir:/out" -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "--rw $JT_AUX/nodir: No such file or directory"
	# the same grant spelled right runs
	jt_plain --ro "$JT_AUX/data.csv:/data/data.csv" -- /bin/cat /data/data.csv
	expect_rc 0
	expect_out_line a,b
}

t_a_relative_grant_is_taken_from_jailtraces_working_directory() {
	local -a JT_VIEW=(--ro "$PROGS") # no --cwd: where the program starts is the test
	mkdir -p "$JT_AUX/proj" && echo 1,2 >"$JT_AUX/proj/in.csv"
	cd "$JT_AUX/proj" || fail "no $JT_AUX/proj"
	# native control: the shell reads in.csv and writes out.txt there
	native /bin/sh -c 'cat in.csv && echo made >out.txt'
	[ "$NRC" = 0 ] && [ "$(cat out.txt)" = made ] || native_fail "the shell does not work in $JT_AUX/proj"
	rm -f out.txt
	# `--rw .` grants this directory, at its own path: the program starts there
	jt_plain --rw . -- /bin/sh -c 'pwd && cat in.csv && echo made >out.txt'
	expect_rc 0
	expect_out_line "$JT_AUX/proj"
	expect_out_line 1,2
	[ "$(cat "$JT_AUX/proj/out.txt" 2>/dev/null)" = made ] || fail "out.txt was not written in the granted directory"
	# a relative path is named as the absolute one it meant
	jt_plain --ro nope -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "--ro $JT_AUX/proj/nope: No such file or directory"
	# HOST may be relative, INSIDE is a path of the view
	jt_plain --ro in.csv:data.csv -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "--ro in.csv:data.csv: the path inside needs to be absolute"
	jt_plain --ro in.csv:/data/in.csv -- /bin/cat /data/in.csv
	expect_rc 0
	expect_out_line 1,2
	jt_plain --ro '' -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "--ro needs a path"
}

t_the_program_starts_where_jailtrace_is_when_a_command_line_grant_shows_it() {
	local -a JT_VIEW=(--ro "$PROGS") # no --cwd: where the program starts is the test
	mkdir -p "$JT_AUX/w/sub"
	cd "$JT_AUX/w/sub" || fail "no $JT_AUX/w/sub"
	native /bin/pwd
	[ "$(cat "$T/nout")" = "$JT_AUX/w/sub" ] || native_fail "pwd natively: $(cat "$T/nout")"
	jt_plain -- /bin/pwd
	expect_out_line /work
	# a grant of it or of a directory above it, at its own path
	jt_plain --ro "$JT_AUX/w" -- /bin/pwd
	expect_rc 0
	expect_out_line "$JT_AUX/w/sub"
	# not shown at its own path, or shown by a policy file only, or --cwd
	# says otherwise: the jail's /work
	jt_plain --ro "$JT_AUX/w:/data" -- /bin/pwd
	expect_out_line /work
	printf 'include default\nro %s\n' "$JT_AUX/w" >"$T/p.policy"
	jt_plain --policy "$T/p.policy" -- /bin/pwd
	expect_out_line /work
	jt_plain --ro "$JT_AUX/w" --cwd /tmp -- /bin/pwd
	expect_out_line /tmp
}

t_cwd_that_is_not_in_the_view_is_an_error_before_the_run() {
	jt_plain --cwd /nope -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "--cwd /nope: No such file or directory"
	jt_plain --cwd /etc/passwd -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "--cwd /etc/passwd: Not a directory"
	jt_plain --cwd /usr/bin -- /bin/pwd
	expect_rc 0
	expect_out_line /usr/bin
}

t_policy_file_grants_of_missing_paths_run_and_policy_check_lists_them() {
	printf 'include default\nro %s\nro /etc/hostname\n' "$JT_AUX/not-here" >"$T/p.policy"
	jt_cmd policy check "$T/p.policy"
	expect_rc 0
	grep -qF "$T/p.policy:2: $JT_AUX/not-here: not on this host" "$T/out" ||
		fail "policy check does not list the missing grant: $(cat "$T/out")"
	! grep -q '/etc/hostname' "$T/out" || fail "policy check lists a path the host has"
	# policies are shared between hosts: the run goes on without it
	jt --policy "$T/p.policy" -- /bin/sh -c "echo ran >'$T/ran'"
	expect_rc 0
	[ -e "$T/ran" ] || fail "the program did not run"
}

t_keep_to_an_existing_host_path_is_refused_before_the_run() {
	echo mine >"$T/exists"
	jt_plain --keep "out.txt:$T/exists" -- /bin/sh -c "echo ran >'$T/ran'; echo theirs >out.txt"
	expect_refused "$T/exists exists"
	[ "$(cat "$T/exists")" = mine ] || fail "the host file was changed"
	jt_plain --keep "out.txt:$JT_AUX/no-dir/out.txt" -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "$JT_AUX/no-dir/out.txt"
}

t_keep_says_what_it_skipped() {
	jt_plain --keep "d:$T/kept" -- /bin/sh -c 'mkdir d; echo a >d/a; ln -s /etc/passwd d/link'
	expect_rc 0
	[ "$(cat "$T/kept/a")" = a ] || fail "the regular file was not kept"
	[ ! -e "$T/kept/link" ] && [ ! -L "$T/kept/link" ] || fail "the link was copied"
	grep -q -- "--keep d:$T/kept: skipped 1 symbolic link" "$T/err" || fail "--keep does not say what it skipped"
}

t_result_in_a_missing_directory_is_refused_before_the_run() {
	jt_plain --result "$JT_AUX/no-dir/r.json" -- /bin/sh -c "echo ran >'$T/ran'"
	expect_refused "--result $JT_AUX/no-dir/r.json"
}

t_help_of_doctor_and_policy_prints_usage_and_exits_0() {
	jt_cmd doctor --help
	expect_rc 0
	grep -q '^usage: jailtrace doctor' "$T/out" || fail "no usage on stdout"
	jt_cmd policy --help
	expect_rc 0
	grep -q '^usage: jailtrace policy' "$T/out" || fail "no usage on stdout"
}

t_a_directory_as_the_program_is_a_directory_as_the_shell_says() {
	native /bin/sh -c "exec '$T'"
	grep -q 'Is a directory\|Permission denied' "$T/nerr" || native_fail "no message natively"
	jt_plain -- "$T"
	expect_rc 126
	grep -qF "$T: Is a directory" "$T/err" || fail "not 'Is a directory'"
}

# jt_stdin FILE ARGS...: jailtrace ARGS with FILE as its standard input
# (a background job's own would be /dev/null).
jt_stdin() {
	local f=$1
	shift
	LAST_CMD="jailtrace $* <$f"
	run_guarded "$T/out" "$T/err" sh -c '"$@" <"$0"' "$f" "$JT" "$@"
	check_sanitizers "$T/err"
	[ -z "$GUARD_FIRED" ] || fail "jailtrace did not end within ${GUARD_SECS}s"
}

t_policy_from_standard_input() {
	printf 'include default\nro /etc/hostname\n' >"$T/p.policy"
	jt_stdin "$T/p.policy" run --timeout 10s --policy - -- /bin/cat /etc/hostname
	expect_rc 0
	expect_out_line "$(cat /etc/hostname)"
	printf 'include defualt\n' >"$T/bad.policy"
	jt_stdin "$T/bad.policy" policy check -
	expect_rc 125
	grep -qF 'did you mean `include default`' "$T/err" || fail "no suggestion"
}

t_summary_says_the_exit_status_once() {
	jt_plain -- /bin/sh -c 'exit 3'
	expect_rc 3
	grep -q '^jailtrace: exited 3;' "$T/err" || fail "no summary"
	! grep -q 'exit 3$' "$T/err" || fail "the summary says the exit status twice"
}

# ---------------------------------------------------------------- stopping

# handler_py: $T/h.py, a program whose SIGTERM/SIGINT/SIGHUP handler writes
# "handled N" to $T/mark and exits 0; it writes $T/ready once it waits, and
# a child of it, in its process group, sleeps with $T in its command line.
handler_py() {
	cat >"$T/h.py" <<PY
import signal, subprocess, sys, time
def h(sig, frame):
    open("$T/mark", "w").write("handled %d" % sig)
    sys.exit(0)
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, h)
subprocess.Popen(["/bin/sh", "-c", "trap '' TERM INT HUP; while :; do sleep 0.1; done", "$T/child"])
open("$T/ready", "w").write("x")
while True:
    time.sleep(0.05)
PY
}

# the python program (and its child) gone from the host after the run
expect_no_survivors() {
	wait_until 10 test -z "$(survivors "$T/")" || fail "processes outlived the run: $(survivors "$T/")"
}

t_timeout_sends_sigterm_and_the_programs_handler_runs() {
	local py=/usr/bin/python3
	[ -x "$py" ] || skip "no $py"
	handler_py
	# the timeouts leave python (slower to start on a busy host) the time to
	# set its handler first; whether it had is $T/ready or $T/mark
	native timeout -k 5s 4s "$py" "$T/h.py"
	[ "$(cat "$T/mark" 2>/dev/null)" = "handled 15" ] || native_fail "the handler did not run under timeout(1)"
	# timeout(1) leaves the trapping child behind: not ours to judge
	kill -KILL $(survivors "$T/child") 2>/dev/null
	rm -f "$T/mark" "$T/ready"
	jt --timeout 4s -- "$py" "$T/h.py"
	expect_rc 124
	[ -e "$T/ready" ] || [ -e "$T/mark" ] || fail "the program had not set its handler when the timeout came (cannot judge)"
	[ "$(cat "$T/mark" 2>/dev/null)" = "handled 15" ] || fail "the program's SIGTERM handler did not run"
	grep -q 'SIGTERM sent to the program' "$T/err" || fail "the summary does not say SIGTERM was sent"
	expect_no_survivors
}

t_stop_signals_to_jailtrace_reach_the_program_first() {
	local py=/usr/bin/python3 sig n
	[ -x "$py" ] || skip "no $py"
	handler_py
	for sig in INT TERM HUP; do
		n=$(kill -l "$sig")
		rm -f "$T/mark" "$T/ready"
		jt_bg -- "$py" "$T/h.py"
		wait_until 20 test -e "$T/ready" || { kill -KILL "$JT_PID"; fail "the program did not start"; }
		kill -"$sig" "$JT_PID"
		jt_wait
		expect_rc $((128 + n))
		[ "$(cat "$T/mark" 2>/dev/null)" = "handled $n" ] || fail "the program's SIG$sig handler did not run"
		grep -q "jailtrace got SIG$sig; SIG$sig sent to the program" "$T/err" ||
			fail "the summary does not name SIG$sig: $(head -1 "$T/err")"
		expect_no_survivors
	done
}

t_a_program_that_ignores_sigterm_is_killed_after_the_grace() {
	jt --timeout 1s --grace 1s -- /bin/sh -c "trap '' TERM; echo \$\$ >'$T/pid'; while :; do sleep 0.1; done"
	expect_rc 124
	[ -s "$T/pid" ] || fail "the program had not set its trap when the timeout came (cannot judge)"
	grep -q 'SIGTERM sent to the program; killed after the grace period of 1s' "$T/err" ||
		fail "the summary does not say it was killed after the grace: $(head -1 "$T/err")"
	! is_running "$(cat "$T/pid")" || fail "the program outlived the run"
	expect_no_survivors
}

t_grace_0_kills_at_once() {
	local py=/usr/bin/python3
	[ -x "$py" ] || skip "no $py"
	handler_py
	jt --timeout 4s --grace 0 -- "$py" "$T/h.py"
	expect_rc 124
	[ -e "$T/ready" ] || fail "the program had not started when the timeout came (cannot judge)"
	[ ! -e "$T/mark" ] || fail "the program was signalled first: $(cat "$T/mark")"
	expect_no_survivors
}

# ---------------------------------------------------------------- the summary

t_summary_leaves_out_by_design_refusals_and_lookups_that_fail_natively() {
	local py=/usr/bin/python3
	[ -x "$py" ] || skip "no $py"
	# python's subprocess closes every descriptor, jailtrace's handover one too
	jt -- "$py" -c 'import os, subprocess; subprocess.run(["/bin/true"]); os.stat("/no-such-path-jt") if False else None
try:
    os.stat("/no-such-dir-jt/x")
except FileNotFoundError:
    pass'
	expect_rc 0
	n=$(log_count '.type == "syscall" and .rule == "builtin:handover-descriptor"') || exit 1
	[ "$n" -ge 1 ] || fail "no refusal of the handover descriptor in the log: the test shows nothing"
	grep -q '^jailtrace: exited 0; .* 0 denials$' "$T/err" || fail "the summary counts them: $(head -1 "$T/err")"
	! grep -q 'handover-descriptor\|lacks too' "$T/err" || fail "the summary names them"
	# the log and the result still count every one
	[ "$(result_field denials)" -ge "$n" ] || fail "the result does not count them"
	jt_cmd report --html "$T/r.html" "$T/log.jsonl"
	expect_rc 0
	grep -q '<span class="ok">0 denied</span>' "$T/r.html" || fail "the page shows them as denied"
	! grep -q 'fill="#cf222e"' "$T/r.html" || fail "the page shows them as red dots"
}

t_summary_hints_allow_dns_for_name_lookups() {
	jt -- /usr/bin/getent hosts example.com
	grep -q 'no name lookups .* --allow-dns' "$T/err" || fail "no --allow-dns hint: $(cat "$T/err")"
}

t_limits_are_named_by_their_option_in_the_units_given() {
	jt --output 1K -- /usr/bin/yes
	expect_rc 137
	grep -q -- '--output 1K reached' "$T/err" || fail "not named as given: $(head -1 "$T/err")"
	jt --procs 3 -- /bin/sh -c 'sleep 50 & sleep 50 & sleep 50 & sleep 50 & wait'
	expect_rc 137
	grep -q -- '--procs 3 reached' "$T/err" || fail "not named as given: $(head -1 "$T/err")"
	jt_cmd report --html "$T/r.html" "$T/log.jsonl"
	expect_rc 0
	! grep -qE '[0-9]e\+[0-9]' "$T/r.html" || fail "the page shows $(grep -oE '[0-9.]+e\+[0-9]+' "$T/r.html" | head -1)"
	grep -q 'memory 2.0 GiB' "$T/r.html" || fail "the page does not show the memory limit in units"
}
