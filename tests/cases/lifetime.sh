# Nothing outlives the run: not a daemonized grandchild when the program
# exits, not the program or its daemon when jailtrace itself is SIGKILLed.
# Judged from the host: the process list (by a marker in the command line,
# immune to pid reuse) and the heartbeat file the program keeps rewriting.

# native_daemon_outlives_parent DIR: control; the double-forked daemon keeps
# running after the program that made it exited.
native_daemon_outlives_parent() {
	mkdir -p "$1"
	native "$PROGS/daemonize" daemon "$1" 20
	[ "$NRC" = 0 ] && has_line "$1/pid" || native_fail "daemonize did not start a daemon"
	heartbeat_advances "$1/heartbeat" || native_fail "the daemon died with its parent"
	[ -n "$(survivors "$1")" ] || native_fail "no daemon process found"
	kill -KILL $(survivors "$1")
}

t_daemonized_grandchild_does_not_outlive_the_run() {
	native_daemon_outlives_parent "$T/native"
	mkdir "$T/in"
	jt --timeout 5s -- "$PROGS/daemonize" daemon "$T/in" 20
	has_line "$T/in/pid" || fail "the daemon never started inside (cannot judge)"
	wait_until 1 no_survivors "$T/in" || fail "the daemon outlived the run:
$(describe_survivors "$T/in")"
	heartbeat_stopped "$T/in/heartbeat" || fail "the heartbeat goes on after the run"
}

t_run_ends_with_the_programs_status_when_it_exits_leaving_a_daemon() {
	mkdir "$T/in"
	jt --timeout 5s -- "$PROGS/daemonize" daemon "$T/in" 20
	has_line "$T/in/pid" || fail "the daemon never started inside (cannot judge)"
	expect_rc 0
	expect_result status exited
	expect_jq "$T/result.json" '.wall_ms < 4000'
}

t_sigkill_of_jailtrace_kills_the_program() {
	# native control: a program outlives its SIGKILLed parent
	mkdir "$T/native" "$T/in"
	/bin/sh -c '"$1" plain "$2" 20 & wait' sh "$PROGS/daemonize" "$T/native" &
	parent=$!
	wait_until 3 has_line "$T/native/pid" || native_fail "the program did not start"
	kill -KILL "$parent"
	heartbeat_advances "$T/native/heartbeat" || native_fail "the program died with its parent"
	kill -KILL $(survivors "$T/native") 2>/dev/null

	jt_bg --timeout 15s -- "$PROGS/daemonize" plain "$T/in" 20
	wait_until 5 has_line "$T/in/pid" || { kill -KILL "$JT_PID"; fail "the program did not start inside"; }
	kill -KILL "$JT_PID"
	jt_wait
	wait_until 2 no_survivors "$T/in" || fail "the program outlived jailtrace:
$(describe_survivors "$T/in")"
	heartbeat_stopped "$T/in/heartbeat" || fail "the heartbeat goes on after jailtrace died"
}

t_sigkill_of_jailtrace_kills_a_daemonized_grandchild() {
	# native control: the daemon outlives its SIGKILLed ancestor
	mkdir "$T/native" "$T/in"
	"$PROGS/daemonize" daemon-stay "$T/native" 20 >/dev/null 2>&1 &
	parent=$!
	wait_until 3 has_line "$T/native/pid" || native_fail "no daemon started"
	kill -KILL "$parent"
	heartbeat_advances "$T/native/heartbeat" || native_fail "the daemon died with its ancestor"
	kill -KILL $(survivors "$T/native") 2>/dev/null

	jt_bg --timeout 15s -- "$PROGS/daemonize" daemon-stay "$T/in" 20
	wait_until 5 has_line "$T/in/pid" || { kill -KILL "$JT_PID"; fail "the daemon did not start inside"; }
	heartbeat_advances "$T/in/heartbeat" || { kill -KILL "$JT_PID"; fail "the daemon is not running inside"; }
	kill -KILL "$JT_PID"
	jt_wait
	wait_until 2 no_survivors "$T/in" || fail "the sandbox outlived jailtrace:
$(describe_survivors "$T/in")"
	heartbeat_stopped "$T/in/heartbeat" || fail "the heartbeat goes on after jailtrace died"
}

# A leftover in any state is killed at the end of the run: stopped, blocked
# in the kernel, or in a session of its own. Each native control shows the
# same leftover outliving the program that made it.

# leftover_sh KIND DIR: the program of the tests below; it starts a
# leftover of KIND whose command line holds DIR, waits until it is in that
# state, and exits 0.
leftover_sh() {
	case $1 in
	stopped)
		echo '"$1" plain "$2" 20 & while [ ! -s "$2/pid" ]; do sleep 0.02; done; kill -STOP $!; sleep 0.2; exit 0' ;;
	fifo)
		echo 'mkfifo "$2/fifo" && /bin/sh -c '\''read x <>"$1"; echo read >"$1.done"'\'' reader "$2/fifo" & sleep 0.3; exit 0' ;;
	setsid)
		echo 'setsid "$1" plain "$2" 20 & while [ ! -s "$2/pid" ]; do sleep 0.02; done; exit 0' ;;
	esac
}

# native_leftover KIND DIR STATE_CHECK: runs the program natively and
# checks that its leftover lives on, in the state STATE_CHECK PID says.
native_leftover() {
	local p
	mkdir -p "$2"
	native /bin/sh -c "$(leftover_sh "$1")" sh "$PROGS/daemonize" "$2"
	[ "$NRC" = 0 ] || native_fail "the program failed"
	p=$(survivors "$2")
	[ -n "$p" ] || native_fail "no leftover outlived the program"
	"$3" $p || native_fail "the leftover $p is not as intended: $(cut -d' ' -f3 /proc/$p/stat) $(cat /proc/$p/wchan)"
	kill -KILL $p
}

is_stopped() { [ "$(stat_state "$1")" = T ]; }
is_blocked_in_pipe_read() { [ "$(stat_state "$1")" = S ] && grep -q pipe_read "/proc/$1/wchan"; }
leads_its_session() { [ "$(ps -o sid= -p "$1" | tr -d ' ')" = "$1" ]; }
stat_state() { local s; s=$(cat "/proc/$1/stat") && s=${s##*) } && echo "${s%% *}"; }

# jt_leftover KIND: the same program inside; its leftover must be gone.
jt_leftover() {
	mkdir "$T/in"
	jt --timeout 5s -- /bin/sh -c "$(leftover_sh "$1")" sh "$PROGS/daemonize" "$T/in"
	expect_rc 0
	expect_result status exited
	wait_until 1 no_survivors "$T/in" || fail "the leftover outlived the run:
$(describe_survivors "$T/in")"
}

t_a_stopped_leftover_is_killed_at_the_end_of_the_run() {
	native_leftover stopped "$T/native" is_stopped
	jt_leftover stopped
	has_line "$T/in/pid" || fail "the leftover never started inside (cannot judge)"
}

t_a_leftover_blocked_reading_a_fifo_is_killed_at_the_end_of_the_run() {
	native_leftover fifo "$T/native" is_blocked_in_pipe_read
	jt_leftover fifo
	[ -p "$T/in/fifo" ] || fail "the fifo was never made inside (cannot judge)"
	[ ! -e "$T/in/fifo.done" ] || fail "the reader's read returned"
}

t_a_setsid_leftover_is_killed_at_the_end_of_the_run() {
	native_leftover setsid "$T/native" leads_its_session
	jt_leftover setsid
	has_line "$T/in/pid" || fail "the leftover never started inside (cannot judge)"
	heartbeat_stopped "$T/in/heartbeat" || fail "the heartbeat goes on after the run"
}
