# Stacks at violations: a denied call, a fatal signal and a limit carry the
# stack of the thread, with the names of the program's own functions;
# --no-backtrace removes them; a stack made to mislead the unwinder (bad
# stack pointer, frames that loop, a caller inside a crafted ELF file)
# still gives its record, with no crash and no hang. --syslog sends
# denials, limits and the end record to syslog.
# Stacks are taken at ptrace stops in the ptrace, legacy and noseccomp passes
# alike: noseccomp (every call a stop) adds nothing to them.
# passes: root,jtuser,asan,legacy,ptrace

# frame_re FUNCTION: a frame of stacker's own FUNCTION.
frame_re() { printf '^stacker!%s[+]0x[0-9a-f]+$' "$1"; }

# has_frames FUNCTION...: jq condition: the stack holds these frames of
# stacker, innermost first, in this order.
has_frames() {
	local f res=""
	for f in "$@"; do
		res="$res${res:+,}\"$(frame_re "$f")\""
	done
	echo "((.stack | type == \"array\") and (.stack as \$s | [$res]
		| map(. as \$re | \$s | map(test(\$re)) | indices(true) | .[0])
		| all(. != null) and . == sort))"
}

stacker_build_id() { readelf -n "$PROGS/stacker" | awk '/Build ID/ { print $3 }'; }

t_denied_call_has_the_stack_of_the_function_that_made_it() {
	jt -- "$PROGS/stacker" deny
	expect_rc 0
	expect_out_line "kill: EPERM"
	BUILD_ID=$(stacker_build_id) expect_log ".type == \"syscall\" and .name == \"kill\" and .decision == \"deny\"
		and $(has_frames do_forbidden_call main)
		and (.stack[0] | test(\"^libc[.]so[.]6!kill[+]0x[0-9a-f]+$\"))
		and .build_ids.stacker == \$ENV.BUILD_ID and (.build_ids[\"libc.so.6\"] | test(\"^[0-9a-f]{40}$\"))
		and (has(\"stack_error\") | not)" "a whole stack through do_forbidden_call"
	# the stack comes before the arguments, which a long record loses first
	log_select '.type == "syscall" and .decision == "deny" and .name == "kill"' | head -n 1 |
		grep -q '"errno":"EPERM","stack":\[.*"args":' || fail "stack is not between errno and args"
	problems=$(check_log_lines "$T/log.jsonl") || fail "malformed log:
$problems"
}

t_denied_open_of_a_hidden_host_file_has_the_stack() {
	[ -e /etc/shadow ] || skip "this host has no /etc/shadow"
	jt -- "$PROGS/stacker" open /etc/shadow
	expect_rc 0
	expect_out_line "kill: ENOENT"
	expect_log ".type == \"syscall\" and .name == \"openat\" and .decision == \"deny\"
		and .rule == \"builtin:not-in-view\" and .args[1] == \"/etc/shadow\"
		and $(has_frames do_hidden_open main)" "the stack of the open of /etc/shadow"
}

t_lookup_of_a_path_the_host_lacks_takes_no_stack() {
	[ ! -e /etc/jailtrace-no-such-file ] || skip "this host has /etc/jailtrace-no-such-file"
	jt -- "$PROGS/stacker" open /etc/jailtrace-no-such-file
	expect_rc 0
	expect_out_line "kill: ENOENT"
	expect_log '.type == "syscall" and .name == "openat" and .decision == "deny"
		and .rule == "builtin:not-in-view" and .args[1] == "/etc/jailtrace-no-such-file"
		and (has("stack") or has("stack_error") | not)' "the open of a missing path, without a stack"
}

t_allowed_calls_take_no_stack() {
	jt -- /bin/sh -c "$PROGS/stacker deny"
	expect_rc 0
	n=$(log_count '.type == "syscall" and .decision == "allow"') || exit 1
	[ "$n" -ge 2 ] || fail "expected the two execve records (allowed), got $n"
	n=$(log_count '.type == "syscall" and .decision == "allow" and (has("stack") or has("stack_error"))') || exit 1
	[ "$n" = 0 ] || fail "$n allowed calls carry a stack"
	expect_log ".type == \"syscall\" and .decision == \"deny\" and $(has_frames do_forbidden_call main)"
}

t_denied_call_in_a_thread_has_the_thread_stack() {
	jt -- "$PROGS/stacker" thread
	expect_out_line "kill: EPERM"
	expect_log ".type == \"syscall\" and .name == \"kill\" and .tid != .pid
		and $(has_frames do_forbidden_call thread_body)
		and ([.stack[] | test(\"!main[+]\")] | any | not)"
}

t_denied_call_in_a_shell_names_the_shell_and_libc() {
	jt -- /bin/sh -c 'kill -0 1'
	expect_log '.type == "syscall" and .name == "kill" and .decision == "deny"
		and (.stack | length >= 3)
		and (.stack[0] | test("^libc[.]so[.]6!kill[+]0x"))
		and (.stack | any(test("^dash[!+]")))'
}

t_fatal_signal_exit_record_has_the_stack_of_the_faulting_function() {
	jt -- "$PROGS/stacker" segv
	expect_rc 139
	expect_log ".type == \"exit\" and .signal == \"SIGSEGV\" and .tid == .pid
		and (.stack[0] | test(\"$(frame_re do_null_write)\")) and $(has_frames do_null_write main)"
	jt -- "$PROGS/stacker" abort
	expect_rc 134
	expect_log ".type == \"exit\" and .signal == \"SIGABRT\" and $(has_frames do_abort main)
		and (.stack | any(test(\"^libc[.]so[.]6!abort[+]\")))"
	problems=$(check_log_lines "$T/log.jsonl") || fail "malformed log:
$problems"
}

t_fatal_signal_in_a_thread_goes_to_that_thread_exit_record() {
	jt -- "$PROGS/stacker" segv-thread
	expect_rc 139
	expect_log ".type == \"exit\" and .signal == \"SIGSEGV\" and .tid != .pid
		and $(has_frames do_null_write thread_segv)"
	n=$(log_count '.type == "exit" and has("stack")') || exit 1
	[ "$n" = 1 ] || fail "$n exit records carry a stack, expected only the faulting thread's"
}

t_a_signal_the_program_handles_takes_no_stack() {
	jt -- "$PROGS/stacker" caught
	expect_rc 3
	# lookups outside the file-system view are denials with stacks of their own
	n=$(log_count 'has("stack") and (.rule != "builtin:not-in-view")') || exit 1
	[ "$n" = 0 ] || fail "$n records carry a stack, yet the SIGSEGV was handled"
}

t_time_limit_record_has_the_stack_of_the_running_program() {
	jt --timeout 1s -- "$PROGS/stacker" spin
	expect_rc 124
	expect_log ".type == \"limit\" and .limit == \"timeout\" and $(has_frames do_spin_forever main)"
}

t_procs_limit_record_has_the_stack_of_a_forking_thread() {
	jt --procs 4 -- "$PROGS/bomb" fork 10 2
	expect_rc 137
	expect_log '.type == "limit" and .limit == "procs" and (.stack | any(test("^bomb!main[+]")))
		and (.stack | any(test("fork")))'
}

t_no_backtrace_removes_every_stack() {
	for args in "deny" "segv" "thread"; do
		jt --no-backtrace -- "$PROGS/stacker" $args
		n=$(log_count 'has("stack") or has("stack_error") or has("build_ids")') || exit 1
		[ "$n" = 0 ] || fail "stacker $args: $n records carry a stack under --no-backtrace"
	done
	jt --no-backtrace --timeout 1s -- "$PROGS/stacker" spin
	expect_rc 124
	expect_log '.type == "limit" and (has("stack") | not)'
	jt --no-backtrace -- "$PROGS/stacker" deny
	expect_log '.type == "syscall" and .decision == "deny" and .errno == "EPERM"' "the denial itself"
}

# expect_bounded_record WHAT [SIGNAL]: the run of a misleading stack ended
# by itself (or the program by SIGNAL after the call), the denial is logged
# with a stack of at most 32 frames starting in kill_with_stack, and the log
# is well formed.
expect_bounded_record() {
	if [ -n "${2:-}" ]; then
		expect_log ".type == \"exit\" and .signal == \"$2\"" "the program's end by $2 ($1)"
	else
		expect_rc 0
		expect_out_line "kill: EPERM"
	fi
	expect_log ".type == \"syscall\" and .name == \"kill\" and .decision == \"deny\"
		and (.stack | length >= 1 and length <= 32)
		and (.stack[0] | test(\"$(frame_re kill_with_stack)\"))" "$1"
	expect_jq "$T/result.json" '.wall_ms < 5000'
	problems=$(check_log_lines "$T/log.jsonl") || fail "malformed log ($1):
$problems"
}

t_corrupted_stack_pointer_still_gives_a_record() {
	[ "$(uname -m)" = x86_64 ] || skip "the corrupted stack is made with x86_64 assembly"
	for sp in 0x10 0 0xffffffffffff0000 0x8000000000000000; do
		jt -- "$PROGS/stacker" badsp "$sp"
		# a non-canonical stack pointer: some CPUs fault on the kernel's
		# return to it (SIGSEGV), after the decision judged here
		if [ "$sp" = 0x8000000000000000 ] && [ "$RC" = 139 ]; then
			expect_bounded_record "stack pointer $sp" SIGSEGV
		else
			expect_bounded_record "stack pointer $sp"
		fi
		expect_log '.type == "syscall" and .decision == "deny" and (.stack_error | test("^unreadable 0x"))' \
			"a stack cut at an unreadable address, for stack pointer $sp"
	done
	jt -- "$PROGS/stacker" loopsp
	expect_bounded_record "frames that point at themselves"
}

t_caller_inside_a_crafted_elf_file_still_gives_a_record() {
	[ "$(uname -m)" = x86_64 ] || skip "the crafted frames are made with x86_64 assembly"
	for v in 0 1 2 3 fuzz:1 fuzz:2 fuzz:3 fuzz:4 fuzz:5 fuzz:6 fuzz:7 fuzz:8 fuzz:9 fuzz:10; do
		mkdir "$T/h.$v"
		# the crafted file is one the program wrote and maps executable
		jt --exec-jail -- "$PROGS/stacker" hostile "$T/h.$v" "$v"
		expect_bounded_record "crafted file, variant $v"
	done
}

# syslog_receiver FILE: a syslog daemon stand-in on $T/syslog.sock that
# writes each datagram to FILE as a line, until syslog_stop (or the test's
# end: its command line holds $T).
syslog_receiver() {
	rm -f "$T/syslog.sock" "$1" "$1.ready"
	/usr/bin/python3 - "$T/syslog.sock" "$1" <<'PY' &
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
s.settimeout(0.1)
open(out + ".ready", "w").close()
with open(out, "ab") as f:
    stopping = False
    while True:
        stopping = not os.path.exists(out + ".ready")
        if stopping:
            s.setblocking(False)	# take what is queued, then end
        try:
            d = s.recv(1 << 20)
        except (socket.timeout, BlockingIOError):
            if stopping:
                break
            continue
        f.write(d.replace(b"\n", b" ") + b"\n")
        f.flush()
PY
	RECEIVER=$!
	wait_until 20 test -e "$1.ready" || fail "the syslog stand-in did not start"
	export JAILTRACE_SYSLOG_SOCKET="$T/syslog.sock"
}

# syslog_stop FILE: once the runs that send are over (every datagram they
# sent is queued at the socket), the stand-in takes what is queued and ends.
syslog_stop() {
	rm -f "$1.ready"
	wait "$RECEIVER" 2>/dev/null
}

# syslog_records FILE JQ_CONDITION: the JSON records in FILE's syslog lines
# that match.
syslog_records() {
	sed -n 's/^<[0-9]*>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} jailtrace\[[0-9]*\]: //p' "$1" |
		jq -cR "fromjson? | select($2)"
}

t_syslog_gets_denials_limits_and_the_end_record() {
	syslog_receiver "$T/syslog.txt"
	jt --syslog --timeout 1s -- /bin/sh -c "$PROGS/stacker deny; exec $PROGS/stacker spin"
	expect_rc 124
	syslog_stop "$T/syslog.txt"
	[ -s "$T/syslog.txt" ] || fail "nothing reached syslog"
	grep -qE '^<12>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} jailtrace\[[0-9]+\]: \{"run_id":"[0-9a-f]{32}","user":"[^"]+","argv":\[.*\],"type":"syscall"' "$T/syslog.txt" ||
		fail "no denial line with facility user, severity warning, naming its run: $(head -c 600 "$T/syslog.txt")"
	[ -n "$(syslog_records "$T/syslog.txt" '.type == "syscall" and .name == "kill" and .decision == "deny" and (.stack | length > 0)')" ] ||
		fail "the denial (with its stack) is not in syslog: $(head -c 600 "$T/syslog.txt")"
	[ -n "$(syslog_records "$T/syslog.txt" '.type == "limit" and .limit == "timeout"')" ] ||
		fail "the timeout is not in syslog: $(head -c 600 "$T/syslog.txt")"
	grep -qE '^<13>.*jailtrace\[[0-9]+\]: \{"run_id":.*"type":"end".*"status":"timeout"' "$T/syslog.txt" ||
		fail "no end record with severity notice: $(tail -c 600 "$T/syslog.txt")"
	# the run header first, and every line names the same run and program
	id=$(jq -r 'select(.type == "run") | .run_id' "$T/log.jsonl")
	[ -n "$(syslog_records "$T/syslog.txt" ".type == \"run\" and .run_id == \"$id\" and (.argv | length) == 3")" ] ||
		fail "the run header is not in syslog: $(head -c 600 "$T/syslog.txt")"
	[ "$(syslog_records "$T/syslog.txt" ".run_id == \"$id\" and .argv[0] == \"/bin/sh\" and .user != null" | wc -l)" = 4 ] ||
		fail "not every line names the run, its user and argv: $(cut -c 1-300 "$T/syslog.txt")"
	[ -z "$(syslog_records "$T/syslog.txt" '.type == "syscall" and .decision == "allow"')" ] ||
		fail "an allowed call went to syslog"
	[ "$(wc -l <"$T/syslog.txt")" = 4 ] || fail "expected 4 lines in syslog (run, denial, limit, end): $(cat "$T/syslog.txt" | cut -c 1-200)"
}

t_syslog_works_without_a_log_file_and_is_off_by_default() {
	syslog_receiver "$T/syslog.txt"
	jt_plain -- "$PROGS/stacker" deny
	expect_out_line "kill: EPERM"
	jt_plain --syslog -- "$PROGS/stacker" deny
	expect_out_line "kill: EPERM"
	syslog_stop "$T/syslog.txt"
	[ -n "$(syslog_records "$T/syslog.txt" '.type == "syscall" and .decision == "deny"')" ] ||
		fail "no denial in syslog with --syslog and no --log: $(head -c 600 "$T/syslog.txt")"
	[ "$(wc -l <"$T/syslog.txt")" = 3 ] ||
		fail "expected the run header, a denial and an end record, from the --syslog run only: $(cut -c 1-200 "$T/syslog.txt")"
}

# A path the view hides is the forensic case: it goes to syslog; a lookup
# of one the host lacks too fails natively the same way and stays in the log.
t_syslog_gets_paths_the_view_hides_not_lookups_of_absent_ones() {
	[ -e /etc/shadow ] || skip "no /etc/shadow on this host"
	syslog_receiver "$T/syslog.txt"
	jt --syslog -- /bin/sh -c 'cat /etc/shadow; cat /no-such-dir-jt/x; exit 0'
	expect_rc 0
	syslog_stop "$T/syslog.txt"
	[ -n "$(syslog_records "$T/syslog.txt" '.type == "syscall" and .facts.path == "/etc/shadow" and .decision == "deny"')" ] ||
		fail "the hidden /etc/shadow did not reach syslog: $(cut -c 1-300 "$T/syslog.txt")"
	[ -z "$(syslog_records "$T/syslog.txt" '.facts.path == "/no-such-dir-jt/x"')" ] ||
		fail "a lookup of an absent path went to syslog"
	[ -n "$(log_select '.facts.path == "/no-such-dir-jt/x"')" ] || fail "the absent lookup is not in the log"
}

t_syslog_is_not_flooded_by_a_program_denied_in_a_loop() {
	syslog_receiver "$T/syslog.txt"
	jt --syslog -- "$PROGS/stacker" many 1000
	expect_out_line "kill: EPERM"
	syslog_stop "$T/syslog.txt"
	n=$(log_calls '.type == "syscall" and .decision == "deny" and .name == "kill"') || exit 1
	[ "$n" = 1000 ] || fail "the log itself holds $n denials of kill, expected 1000"
	# the same denial again is counted in the log, not sent again
	n=$(syslog_records "$T/syslog.txt" '.type == "syscall"' | wc -l)
	[ "$n" -ge 1 ] && [ "$n" -le 110 ] || fail "$n denials reached syslog; expected at most a burst of about 100"
	[ -n "$(syslog_records "$T/syslog.txt" '.type == "end"')" ] || fail "the end record did not reach syslog"
}

# ---------------------------------------------------------------- Python frames

# needs_python311: Debian 12's CPython, whose frame layout jailtrace reads.
needs_python311() {
	[ "$(/usr/bin/python3 -c 'import sys; print(sys.version_info[:2] == (3, 11))' 2>/dev/null)" = True ] ||
		skip "/usr/bin/python3 is not CPython 3.11 (the one version whose frames are read)"
}

t_a_denial_in_python_names_the_scripts_functions_and_lines() {
	needs_python311
	cat >"$T/deny.py" <<'PY'
import os

def inner(path):
    return os.open(path, os.O_RDONLY)

def outer():
    try:
        inner("/etc/shadow")
    except OSError as e:
        print("denied", e.errno)

class K:
    def method(self):
        outer()

K().method()
PY
	jt -- /usr/bin/python3 "$T/deny.py"
	expect_rc 0
	expect_out_line "denied 2"
	expect_log ".type == \"syscall\" and .decision == \"deny\" and .facts.path == \"/etc/shadow\"
		and .py_stack == [\"$T/deny.py:4 in inner\", \"$T/deny.py:8 in outer\",
			\"$T/deny.py:14 in K.method\", \"$T/deny.py:16 in <module>\"]
		and (.stack | length > 0)" "the script's frames, innermost first, beside the C frames"
	# the report shows them, the script's first
	jt_cmd report "$T/log.jsonl"
	grep -q "at $T/deny.py:4 in inner" "$T/out" || fail "the report does not show the script's frame: $(grep -A6 shadow "$T/out")"
}

t_a_deep_python_stack_is_cut_at_32_frames_and_a_limit_record_has_one_too() {
	needs_python311
	printf 'import sys\nsys.setrecursionlimit(5000)\ndef r(n):\n    return open("/etc/shadow") if n == 0 else r(n - 1)\ntry:\n    r(200)\nexcept OSError:\n    pass\nwhile True:\n    pass\n' >"$T/deep.py"
	# the denial comes once python has started (slower on a busy host), the
	# timeout while it spins after
	jt --timeout 5s -- /usr/bin/python3 "$T/deep.py"
	expect_rc 124
	expect_log '.type == "syscall" and .decision == "deny" and (.py_stack | length == 32)
		and (.py_stack | all(test("deep.py:4 in r$")))' "32 frames of r"
	expect_log ".type == \"limit\" and .limit == \"timeout\" and (.py_stack | length >= 1)
		and (.py_stack[0] | test(\"deep.py:(9|10) in <module>\$\"))" "the spinning line"
}
