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
