# The audit log: created 0600, never through a symlink, one documented JSON
# record per line, and complete on disk even when jailtrace is SIGKILLed.

t_log_file_is_created_with_mode_0600() {
	umask 022
	jt -- /bin/true
	expect_rc 0
	[ "$(file_mode "$T/log.jsonl")" = 600 ] || fail "log mode is $(file_mode "$T/log.jsonl"), expected 600"
}

t_log_through_a_symlink_is_refused_and_its_target_untouched() {
	echo original >"$T/target"
	ln -s "$T/target" "$T/link"
	# native control: writing through the link reaches the target
	echo native >"$T/link"
	grep -qx native "$T/target" || native_fail "writing through the symlink did not reach the target"
	echo original >"$T/target"
	jt_plain --log "$T/link" -- /bin/true
	expect_rc 125
	grep -qx original "$T/target" || fail "the symlink's target was written: $(head -c 200 "$T/target")"
	[ -L "$T/link" ] || fail "the symlink was replaced"
}

t_log_through_a_dangling_symlink_creates_nothing() {
	ln -s "$T/planted" "$T/link"
	# native control: writing through a dangling link creates its target
	echo native >"$T/link"
	[ -e "$T/planted" ] || native_fail "writing through the dangling symlink created nothing"
	rm -f "$T/planted"
	jt_plain --log "$T/link" -- /bin/true
	expect_rc 125
	[ ! -e "$T/planted" ] || fail "jailtrace created the symlink's target"
}

t_a_log_left_by_an_earlier_run_holds_only_the_new_run() {
	jt_plain --log "$T/again.jsonl" -- /bin/sh -c 'kill -0 1; exit 3'
	jt_plain --log "$T/again.jsonl" -- /bin/true
	expect_rc 0
	[ "$(jq -c 'select(.type == "run")' "$T/again.jsonl" | wc -l)" = 1 ] || fail "more than one run in the log"
	jq -e 'select(.type == "end") | .exit_code == 0' "$T/again.jsonl" >/dev/null || fail "the end is not the new run's"
	[ "$(file_mode "$T/again.jsonl")" = 600 ] || fail "log mode is $(file_mode "$T/again.jsonl")"
}

t_a_log_with_a_second_link_is_rewritten_in_place() {
	echo "old text" >"$T/linked.jsonl"
	ln "$T/linked.jsonl" "$T/other-name"
	jt_plain --log "$T/linked.jsonl" -- /bin/true
	expect_rc 0
	cmp -s "$T/linked.jsonl" "$T/other-name" || fail "the log's other link was left with the old text"
	! grep -q "old text" "$T/linked.jsonl" || fail "the old text is still in the log"
}

t_run_header_has_the_documented_fields() {
	jt -- /bin/echo hello
	expect_rc 0
	USER_NAME=$(id -un) USER_ID=$(id -u) GROUP_ID=$(id -g) HOST=$(uname -n) KERNEL=$(uname -r) \
	CWD=$(pwd -P) expect_jq "$T/log.jsonl" \
		'.type == "run"' \
		'.v == 2' \
		'.run_id | test("^[0-9a-f]{32}$")' \
		'.start | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")' \
		'(.start | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) - now | fabs < 300' \
		'.user == $ENV.USER_NAME' \
		'.uid == ($ENV.USER_ID | tonumber)' \
		'.gid == ($ENV.GROUP_ID | tonumber)' \
		'.host == $ENV.HOST' \
		'.argv | type == "array" and all(type == "string") and .[-2:] == ["/bin/echo", "hello"]' \
		'.cwd == $ENV.CWD' \
		'.policy == "default"' \
		'.policy_digest | test("^sha256:[0-9a-f]{64}$")' \
		'.kernel == $ENV.KERNEL' \
		'.jailtrace | type == "string" and length > 0' \
		'.mechanism | type == "object"'
	version=$(jq -r .jailtrace "$T/log.jsonl" | head -n 1)
	jt_cmd version
	grep -qF -- "$version" "$T/out" || fail "header says jailtrace $version, 'jailtrace version' says $(head -c 100 "$T/out")"
}

t_each_run_has_its_own_run_id() {
	jt -- /bin/true
	a=$(head -n 1 "$T/log.jsonl" | jq -r .run_id)
	jt -- /bin/true
	b=$(head -n 1 "$T/log.jsonl" | jq -r .run_id)
	[ -n "$a" ] && [ "$a" != "$b" ] || fail "run ids '$a' and '$b'"
}

t_every_log_line_is_a_documented_record_from_run_to_end() {
	start_victim
	jt -- "$PROGS/proctree" "$VICTIM"
	expect_rc 0
	problems=$(check_log_lines "$T/log.jsonl") || fail "malformed log:
$problems"
	[ "$(head -n 1 "$T/log.jsonl" | jq -r .type)" = run ] || fail "first record is not the run header"
	[ "$(tail -n 1 "$T/log.jsonl" | jq -r .type)" = end ] || fail "last record is not the end record"
}

t_end_record_holds_the_result_fields() {
	jt -- /bin/sh -c 'exit 5'
	expect_rc 5
	end=$(tail -n 1 "$T/log.jsonl" | jq -cS 'del(.type, .t)')
	# (the result file alone also names the denials with their grants)
	res=$(jq -cS 'del(.hints, .hints_more)' "$T/result.json")
	jq -e '(.hints | type == "array") and (.hints_more | type == "number")' "$T/result.json" >/dev/null ||
		fail "the result lacks hints: $(cat "$T/result.json")"
	[ "$end" = "$res" ] || fail "end record and result differ:
  end:    $end
  result: $res"
	tail -n 1 "$T/log.jsonl" | jq -e '.type == "end" and (.t | type == "number")' >/dev/null ||
		fail "end record lacks type/t"
}

t_denied_call_is_logged_with_decoded_arguments_rule_and_errno() {
	start_victim
	jt -- "$PROGS/killer" kill "$VICTIM" 15
	expect_out_line "kill: EPERM"
	expect_log ".type == \"syscall\" and .abi == \"x86_64\" and .nr == 62 and .name == \"kill\"
		and .args[0] == $VICTIM and .args[1] == \"SIGTERM\" and .pid > 0 and .tid == .pid
		and .facts.target == \"outside\" and .decision == \"deny\"
		and .rule == \"builtin:target-outside\" and .errno == \"EPERM\""
}

# glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH): no decision, no path,
# so no record (as the kernel's fstat, musl's and Go's, has none); the same
# empty path from AT_FDCWD is a lookup of the working directory and has one.
# Judged by the sizes the program saw (the host's) and the log's records.
t_the_stat_of_a_held_descriptor_has_no_record_a_lookup_has_one() {
	printf 'twelve bytes' >"$T/f"
	prog='import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
st = ctypes.create_string_buffer(256)
fd = os.open(sys.argv[1], os.O_RDONLY)
for dirfd in (fd, -100):
    r = libc.syscall(262, dirfd, b"", st, 0x1000)
    size = int.from_bytes(st.raw[48:56], "little")
    print("fd" if dirfd >= 0 else "cwd", r, size if dirfd >= 0 else os.stat(".").st_size == size)'
	native /usr/bin/python3 -c "$prog" "$T/f"
	grep -qx "fd 0 12" "$T/nout" && grep -qx "cwd 0 True" "$T/nout" ||
		native_fail "newfstatat with an empty path: $(cat "$T/nout" "$T/nerr")"
	jt -- /usr/bin/python3 -c "$prog" "$T/f"
	expect_rc 0
	expect_out_line "fd 0 12"
	expect_out_line "cwd 0 True"
	expect_log '.type == "syscall" and .name == "newfstatat" and .args[0] == "AT_FDCWD" and .args[1] == ""
		and .decision == "allow"'
	n=$(log_count '.type == "syscall" and .name == "newfstatat" and .args[0] != "AT_FDCWD" and .args[1] == ""')
	[ "$n" = 0 ] || fail "the stat of the program's own descriptor has $n records: $(
		jq -c 'select(.type == "syscall" and .name == "newfstatat" and .args[1] == "")' "$T/log.jsonl" | head -3)"
}

# spam_and_kill: runs spammer against an outside process under jailtrace,
# lets it make at least 300 calls, SIGKILLs jailtrace and waits until the
# sandbox is gone. COUNT is then the number of calls whose result the
# program saw.
spam_and_kill() {
	start_victim
	# spammer calls until the test SIGKILLs jailtrace, however slow the host
	jt_bg --timeout 60s -- "$PROGS/spammer" "$VICTIM" "$T/count" 50
	wait_until 20 count_at_least 300 || fail "spammer did not make 300 calls in 20 s (count $(read_count))"
	kill -KILL "$JT_PID"
	jt_wait
	[ "$RC" = 137 ] || fail "jailtrace was SIGKILLed but exited $RC"
	wait_until 10 no_survivors || fail "the sandbox outlived jailtrace:
$(describe_survivors)"
	COUNT=$(read_count)
}

read_count() { od -An -tu8 -N8 "$T/count" 2>/dev/null | tr -d ' '; }
count_at_least() { local c; c=$(read_count); [ -n "$c" ] && [ "$c" -ge "$1" ]; }

t_log_survives_sigkill_of_jailtrace_with_every_line_complete_but_an_unacted_last() {
	spam_and_kill
	problems=$(check_log_lines "$T/log.jsonl" cut-tail-ok) || fail "malformed log after SIGKILL:
$problems"
	n=$(log_calls ".type == \"syscall\" and .name == \"kill\" and .args[0] == $VICTIM") || exit 1
	[ "$n" -ge 300 ] || fail "only $n kill calls in the log"
}

t_every_decision_the_program_saw_is_on_disk_after_sigkill() {
	# with the watchdog (no PTRACE_O_EXITKILL) the program runs on for a
	# moment after jailtrace died: its decided calls fail with ENOSYS, undecided
	# and unlogged, and one that was waiting at its stop runs (docs/design.md)
	case ,${JAILTRACE_DISABLE:-}, in *,exitkill,*) skip "without PTRACE_O_EXITKILL calls return undecided once jailtrace is dead" ;; esac
	# native control: the calls reach the outside process
	start_victim
	native "$PROGS/spammer" "$VICTIM" "$T/native-count" 1
	grep -qE '^calls [1-9][0-9]* ok [1-9]' "$T/nout" || native_fail "kill(outside, 0) did not succeed natively"
	spam_and_kill
	n=$(log_calls ".type == \"syscall\" and .name == \"kill\" and .args[0] == $VICTIM and .decision == \"deny\"") || exit 1
	[ "$n" -ge "$COUNT" ] || fail "the program saw $COUNT decided calls return, the log holds only $n"
}

# --log-fd N: the log is a descriptor whoever started jailtrace opened (the
# Slurm plugin opens it as root before the task drops to its user); the
# program never gets it.
t_log_fd_writes_the_log_to_its_callers_descriptor() {
	# control: a descriptor the shell opened is inherited by what it runs
	( exec 7>"$T/control"; ls /proc/self/fd ) | grep -qx 7 ||
		fail "NATIVE CONTROL FAILED: descriptor 7 is not inherited natively"
	exec 7>"$T/fd.jsonl"
	jt_plain --log-fd 7 -- /bin/sh -c 'ls /proc/self/fd; cat /etc/shadow'
	exec 7>&-
	expect_rc 1
	grep -qx 7 "$T/out" && fail "the program got the log's descriptor: $(cat "$T/out")"
	jq -s -e 'any(.[]; .type == "end")' "$T/fd.jsonl" >/dev/null || fail "no end record in the log"
	jq -s -e 'any(.[]; .type == "syscall" and .decision == "deny" and (.facts.path // "" | test("shadow")))' \
		"$T/fd.jsonl" >/dev/null || fail "the denied open is not in the log"
}

# attach PID: can this process ptrace-attach PID (a process of its own
# user)? Prints "attach: 0" (then detaches) or "attach: ERRNO".
attach() {
	/usr/bin/python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
if libc.ptrace(16, pid, 0, 0) < 0:
    print("attach:", ctypes.get_errno())
    sys.exit()
os.waitpid(pid, 0)
libc.ptrace(17, pid, 0, 0)
print("attach: 0")' "$1"
}

t_log_fd_no_process_of_the_user_can_attach_to_jailtrace() {
	[ "$(id -u)" != 0 ] || skip "as root the log's reader and writer is root (the jtuser pass shows it)"
	# control: a process of this user attaches to another of its own
	sleep 30 &
	local victim=$! native inside pid
	native=$(attach "$victim")
	kill "$victim"
	[ "$native" = "attach: 0" ] ||
		skip "this host does not let a process attach to another of its user ($native: Yama's ptrace_scope or the like)"
	# jailtrace from its start, holding the log, held before its run by its
	# policy, which it reads from a FIFO only the test writes
	mkfifo "$T/policy"
	exec 8<>"$T/policy" 7>"$T/fd.jsonl"
	"$JT" run --log-fd 7 --policy - -- /bin/true <"$T/policy" >"$T/out" 2>"$T/err" 8>&- &
	pid=$!
	exec 7>&-
	wait_until 10 eval '[ "$(cut -d" " -f2-3 /proc/$pid/stat)" = "(jailtrace) S" ]' ||
		fail "jailtrace did not start: $(cat /proc/$pid/stat)"
	inside=$(attach "$pid")
	echo "include default" >&8
	exec 8>&-
	wait "$pid"
	RC=$?
	expect_rc 0
	# EPERM: attached, it could have written through the log's descriptor
	[ "$inside" = "attach: 1" ] || fail "a process of the user attached to jailtrace holding the log: $inside"
}

t_log_fd_refuses_a_descriptor_it_cannot_write() {
	echo x >"$T/ro"
	exec 7<"$T/ro"
	jt_plain --log-fd 7 -- /bin/true
	exec 7<&-
	expect_rc 125
	grep -q 'cannot open log 7' "$T/err" || fail "no reason given: $(cat "$T/err")"
	[ "$(cat "$T/ro")" = x ] || fail "the file changed"
}

# --jail DIR --ephemeral: DIR is made by the run (never an existing one
# reused) and removed at its end (the Slurm plugin's jail per task).
t_jail_dir_ephemeral_is_made_fresh_and_removed() {
	jt_plain --jail "$T/j" --ephemeral -- /bin/sh -c 'echo out >/work/f && cat /work/f'
	expect_rc 0
	expect_out_line out
	[ -e "$T/j" ] && fail "the jail is still there: $(ls -la "$T/j")"
	mkdir "$T/j2" && echo keep >"$T/j2/mine"
	jt_plain --jail "$T/j2" --ephemeral -- /bin/true
	expect_rc 125
	[ "$(cat "$T/j2/mine")" = keep ] || fail "an existing directory was used or removed"
}
