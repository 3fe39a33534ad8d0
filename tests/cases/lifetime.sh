# Nothing outlives the run: not a daemonized grandchild when the program
# exits, not the program or its daemon when jailtrace itself is SIGKILLed.
# Judged from the host: the process list (by a marker in the command line,
# immune to pid reuse) and the heartbeat file the program keeps rewriting.
# Killing a native fork chain takes seconds, many on a busy host: the tests
# of this file get twice the usual bound of a hung test.
# test-timeout: 2

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
	jt --timeout 15s -- "$PROGS/daemonize" daemon "$T/in" 20
	has_line "$T/in/pid" || fail "the daemon never started inside (cannot judge)"
	wait_until 10 no_survivors "$T/in" || fail "the daemon outlived the run:
$(describe_survivors "$T/in")"
	heartbeat_stopped "$T/in/heartbeat" || fail "the heartbeat goes on after the run"
}

t_run_ends_with_the_programs_status_when_it_exits_leaving_a_daemon() {
	mkdir "$T/in"
	# the run waiting for the daemon (20 s) would reach its --timeout
	jt --timeout 15s -- "$PROGS/daemonize" daemon "$T/in" 20
	has_line "$T/in/pid" || fail "the daemon never started inside (cannot judge)"
	expect_rc 0
	expect_result status exited
	expect_jq "$T/result.json" '.wall_ms < 12000'
}

t_sigkill_of_jailtrace_kills_the_program() {
	# native control: a program outlives its SIGKILLed parent
	mkdir "$T/native" "$T/in"
	/bin/sh -c '"$1" plain "$2" 20 & wait' sh "$PROGS/daemonize" "$T/native" &
	parent=$!
	wait_until 10 has_line "$T/native/pid" || native_fail "the program did not start"
	kill -KILL "$parent"
	heartbeat_advances "$T/native/heartbeat" || native_fail "the program died with its parent"
	kill -KILL $(survivors "$T/native") 2>/dev/null

	jt_bg --timeout 15s -- "$PROGS/daemonize" plain "$T/in" 20
	wait_until 10 has_line "$T/in/pid" || { kill -KILL "$JT_PID"; fail "the program did not start inside"; }
	kill -KILL "$JT_PID"
	jt_wait
	wait_until 10 no_survivors "$T/in" || fail "the program outlived jailtrace:
$(describe_survivors "$T/in")"
	heartbeat_stopped "$T/in/heartbeat" || fail "the heartbeat goes on after jailtrace died"
}

t_sigkill_of_jailtrace_kills_a_daemonized_grandchild() {
	# native control: the daemon outlives its SIGKILLed ancestor
	mkdir "$T/native" "$T/in"
	"$PROGS/daemonize" daemon-stay "$T/native" 20 >/dev/null 2>&1 &
	parent=$!
	wait_until 10 has_line "$T/native/pid" || native_fail "no daemon started"
	kill -KILL "$parent"
	heartbeat_advances "$T/native/heartbeat" || native_fail "the daemon died with its ancestor"
	kill -KILL $(survivors "$T/native") 2>/dev/null

	jt_bg --timeout 15s -- "$PROGS/daemonize" daemon-stay "$T/in" 20
	wait_until 10 has_line "$T/in/pid" || { kill -KILL "$JT_PID"; fail "the daemon did not start inside"; }
	heartbeat_advances "$T/in/heartbeat" || { kill -KILL "$JT_PID"; fail "the daemon is not running inside"; }
	kill -KILL "$JT_PID"
	jt_wait
	wait_until 10 no_survivors "$T/in" || fail "the sandbox outlived jailtrace:
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
		echo '"$1" plain "$2" 20 & while [ ! -s "$2/pid" ]; do sleep 0.02; done; kill -STOP $!
			i=0; until grep -q "^State:[[:space:]]*[Tt]" /proc/$!/status || [ $i -gt 500 ]; do sleep 0.02; i=$((i+1)); done; exit 0' ;;
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
	# a busy host may not yet have run it into that state
	wait_until 10 "$3" $p || native_fail "the leftover $p is not as intended: $(cut -d' ' -f3 /proc/$p/stat) $(cat /proc/$p/wchan)"
	kill -KILL $p
}

is_blocked_in_pipe_read() { [ "$(stat_state "$1")" = S ] && grep -q pipe_read "/proc/$1/wchan"; }
leads_its_session() { [ "$(ps -o sid= -p "$1" | tr -d ' ')" = "$1" ]; }
stat_state() { local s; s=$(cat "/proc/$1/stat") && s=${s##*) } && echo "${s%% *}"; }

# jt_leftover KIND: the same program inside; its leftover must be gone.
jt_leftover() {
	mkdir "$T/in"
	jt --timeout 15s -- /bin/sh -c "$(leftover_sh "$1")" sh "$PROGS/daemonize" "$T/in"
	expect_rc 0
	expect_result status exited
	wait_until 10 no_survivors "$T/in" || fail "the leftover outlived the run:
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

# The same kills without PTRACE_O_EXITKILL: the watchdog stands in (the
# legacy pass runs every test of this file that way; these run it in every
# pass).
watchdog_mode() {
	JAILTRACE_DISABLE=${JAILTRACE_DISABLE:+$JAILTRACE_DISABLE,}exitkill
	JAILTRACE_WATCHDOG=1
	export JAILTRACE_DISABLE JAILTRACE_WATCHDOG
}

t_without_exitkill_jailtrace_refuses_unless_the_watchdog_is_asked_for() {
	mkdir "$T/in"
	JAILTRACE_DISABLE=exitkill JAILTRACE_WATCHDOG= jt -- "$PROGS/daemonize" plain "$T/in" 1
	expect_rc 125
	grep -q 'PTRACE_O_EXITKILL.*undecided.*JAILTRACE_WATCHDOG=1' "$T/err" || fail "no reason given: $(head -c 400 "$T/err")"
	[ ! -e "$T/in/pid" ] || fail "the program ran"
}

# proc_state PID: the state letter of /proc/PID/stat (T stopped, t traced).
proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	echo "${stat%% *}"
}

is_stopped() { case $(proc_state "$1") in T|t) return 0 ;; esac; return 1; }

# kill_marked DIR: kills every process with DIR in its command line, again
# and again until none is left and DIR/heartbeat (if any) stands still (a
# fork chain makes new ones meanwhile, and may hide between two looks).
kill_marked() {
	local i p
	for ((i = 0; i < 300; i++)); do
		p=$(survivors "$1")
		[ -n "$p" ] && { kill -KILL $p 2>/dev/null; continue; }
		[ -e "$1/heartbeat" ] && ! _still "$1/heartbeat" && continue
		[ -z "$(survivors "$1")" ] && return 0
	done
	return 1
}

_still() {
	local a
	a=$(cat "$1" 2>/dev/null)
	sleep 0.1
	[ "$a" = "$(cat "$1" 2>/dev/null)" ]
}

# native_chain_outlives_parent DIR: control; a chain of processes that fork
# and exit all the time (each in a new session) goes on after the shell
# that started it is killed.
native_chain_outlives_parent() {
	mkdir -p "$1"
	/bin/sh -c '"$1" hop "$2" 20 & wait' sh "$PROGS/daemonize" "$1" &
	local parent=$!
	wait_until 10 has_line "$1/pid" || native_fail "the chain did not start"
	kill -KILL "$parent"
	heartbeat_advances "$1/heartbeat" || native_fail "the chain died with its parent"
	kill_marked "$1" || native_fail "cannot kill the native chain"
}

sigkill_kills_a_fork_chain() {
	native_chain_outlives_parent "$T/native"
	mkdir "$T/in"
	jt_bg --timeout 15s -- "$PROGS/daemonize" hop "$T/in" 20
	wait_until 10 has_line "$T/in/pid" || { kill -KILL "$JT_PID"; fail "the chain did not start inside"; }
	heartbeat_advances "$T/in/heartbeat" || { kill -KILL "$JT_PID"; fail "the chain does not run inside"; }
	sleep 0.3
	kill -KILL "$JT_PID"
	jt_wait
	# the chain's processes live 10 ms each, too short for survivors to see
	# them all: its heartbeat is the judge (and the watchdog, with the
	# marker in its command line, must be gone too)
	wait_until 10 chain_gone "$T/in" || fail "the chain outlived jailtrace:
$(describe_survivors "$T/in")
heartbeat $(cat "$T/in/heartbeat"), then $(sleep 0.3; cat "$T/in/heartbeat")"
}

chain_gone() { no_survivors "$1" && heartbeat_stopped "$1/heartbeat"; }

t_sigkill_of_jailtrace_kills_a_fork_chain_that_never_stops() {
	sigkill_kills_a_fork_chain
}

t_watchdog_sigkill_of_jailtrace_kills_a_fork_chain_that_never_stops() {
	watchdog_mode
	sigkill_kills_a_fork_chain
}

sigkill_kills_a_stopped_process() {
	local s
	# native control: a stopped process outlives its SIGKILLed parent
	mkdir "$T/native" "$T/in"
	/bin/sh -c '"$1" stopped "$2" 8 & wait' sh "$PROGS/daemonize" "$T/native" &
	parent=$!
	wait_until 10 has_line "$T/native/stopped" || native_fail "the stopped child did not start"
	s=$(cat "$T/native/stopped")
	wait_until 10 is_stopped "$s" || native_fail "the child did not stop"
	kill -KILL "$parent"
	sleep 0.3
	is_running "$s" || native_fail "the stopped child died with its parent"
	kill_marked "$T/native"

	jt_bg --timeout 15s -- "$PROGS/daemonize" stopped "$T/in" 20
	wait_until 10 has_line "$T/in/stopped" || { kill -KILL "$JT_PID"; fail "the child did not start inside"; }
	s=$(cat "$T/in/stopped")
	wait_until 10 is_stopped "$s" || { kill -KILL "$JT_PID"; fail "the child did not stop inside"; }
	kill -KILL "$JT_PID"
	jt_wait
	wait_until 10 no_survivors "$T/in" || fail "the sandbox outlived jailtrace:
$(describe_survivors "$T/in")"
	[ ! -e "$T/in/continued" ] || fail "the stopped process was continued"
}

t_sigkill_of_jailtrace_kills_a_stopped_process() {
	sigkill_kills_a_stopped_process
}

t_watchdog_sigkill_of_jailtrace_kills_a_stopped_process() {
	watchdog_mode
	sigkill_kills_a_stopped_process
}

t_watchdog_sigkill_of_jailtrace_kills_a_daemonized_grandchild() {
	watchdog_mode
	mkdir "$T/in"
	jt_bg --timeout 15s -- "$PROGS/daemonize" daemon-stay "$T/in" 20
	wait_until 10 has_line "$T/in/pid" || { kill -KILL "$JT_PID"; fail "the daemon did not start inside"; }
	heartbeat_advances "$T/in/heartbeat" || { kill -KILL "$JT_PID"; fail "the daemon is not running inside"; }
	kill -KILL "$JT_PID"
	jt_wait
	wait_until 10 no_survivors "$T/in" || fail "the sandbox outlived jailtrace:
$(describe_survivors "$T/in")"
	heartbeat_stopped "$T/in/heartbeat" || fail "the heartbeat goes on after jailtrace died"
}

# children PID: the pids whose parent is PID.
children() {
	local f stat
	for f in /proc/[0-9]*/stat; do
		read -r stat 2>/dev/null <"$f" || continue
		stat=${stat##*) }
		set -- "$1" $stat
		[ "$3" = "$1" ] && { f=${f#/proc/}; echo "${f%/stat}"; }
	done
}

t_watchdog_is_the_programs_parent_and_ends_with_the_run() {
	local wd prog
	watchdog_mode
	mkdir "$T/in"
	# the program lives until the test ends it (SIGTERM), however long a
	# busy host takes to look at the tree
	jt_bg --timeout 60s -- "$PROGS/daemonize" plain "$T/in" 50
	wait_until 10 has_line "$T/in/pid" || { kill -KILL "$JT_PID"; fail "the program did not start inside"; }
	prog=$(cat "$T/in/pid")
	wd=$(children "$JT_PID")
	[ -n "$wd" ] && [ "$wd" != "$prog" ] || { kill -KILL "$JT_PID"; fail "jailtrace's child is '$wd', not a watchdog (program $prog)"; }
	[ "$(children "$wd")" = "$prog" ] || { kill -KILL "$JT_PID"; fail "the watchdog $wd is not the program's parent: its children are '$(children "$wd")'"; }
	grep -q '^Seccomp:[[:space:]]*0' "/proc/$wd/status" || fail "the watchdog runs under the sandbox's filter"
	grep -q '^TracerPid:[[:space:]]*0' "/proc/$wd/status" || fail "the watchdog is traced"
	is_running "$prog" || fail "the program ended before the test looked at the tree (cannot judge)"
	kill -TERM "$prog"
	jt_wait
	expect_rc 143
	is_running "$wd" && fail "the watchdog $wd outlived the run"
	no_survivors "$T/in" || fail "something outlived the run:
$(describe_survivors "$T/in")"
}

t_watchdog_killed_ends_the_run_with_an_error() {
	local wd
	watchdog_mode
	mkdir "$T/in"
	jt_bg --timeout 15s -- "$PROGS/daemonize" daemon-stay "$T/in" 20
	wait_until 10 has_line "$T/in/pid" || { kill -KILL "$JT_PID"; fail "the daemon did not start inside"; }
	wd=$(children "$JT_PID")
	[ -n "$wd" ] || { kill -KILL "$JT_PID"; fail "no watchdog"; }
	kill -KILL "$wd"
	jt_wait
	expect_rc 125
	grep -q 'watchdog' "$T/err" || fail "jailtrace does not say the watchdog died: $(head -c 300 "$T/err")"
	expect_result status error
	wait_until 10 no_survivors "$T/in" || fail "the sandbox outlived the run:
$(describe_survivors "$T/in")"
}

t_no_watchdog_with_exitkill() {
	local prog
	case ,${JAILTRACE_DISABLE:-}, in *,exitkill,*) skip "exitkill is disabled in this pass" ;; esac
	mkdir "$T/in"
	# the program lives until the test ends it (SIGTERM)
	jt_bg --timeout 60s -- "$PROGS/daemonize" plain "$T/in" 50
	wait_until 10 has_line "$T/in/pid" || { kill -KILL "$JT_PID"; fail "the program did not start inside"; }
	prog=$(cat "$T/in/pid")
	[ "$(children "$JT_PID")" = "$prog" ] || { kill -KILL "$JT_PID"; fail "jailtrace's children are '$(children "$JT_PID")', not just the program $prog"; }
	is_running "$prog" || fail "the program ended before the test looked at the tree (cannot judge)"
	kill -TERM "$prog"
	jt_wait
	expect_rc 143
}

# With PTRACE_O_EXITKILL a call waiting at its seccomp stop when jailtrace
# is killed never runs (the kernel queues SIGKILL before it resumes). Without
# it, it runs undecided: that is why the watchdog is not the default
# (docs/design.md, "When jailtrace dies").
t_sigkill_of_jailtrace_lets_no_waiting_call_run() {
	case ,${JAILTRACE_DISABLE:-}, in *,exitkill,*) skip "without PTRACE_O_EXITKILL a waiting call runs undecided (documented)" ;; esac
	printf 'TOPSECRET\n' >"$JT_AUX/secret"
	# native control: the file opens (grabber runs until it is killed)
	"$PROGS/grabber" "$JT_AUX/secret" "$T/native-out" </dev/null >/dev/null 2>&1 &
	wait_until 10 grep -q TOPSECRET "$T/native-out"
	kill -KILL $! 2>/dev/null
	wait $! 2>/dev/null
	grep -q TOPSECRET "$T/native-out" || native_fail "the file does not open natively"
	for i in 1 2 3 4 5; do
		mkdir "$T/in$i"
		jt_bg --timeout 15s -- "$PROGS/grabber" "$JT_AUX/secret" "$T/in$i/out"
		wait_until 10 test -e "$T/in$i/out" || { kill -KILL "$JT_PID"; fail "the program did not start inside"; }
		sleep 0.3
		kill -KILL "$JT_PID"
		jt_wait
		wait_until 10 no_survivors "$T/in$i" || fail "the program outlived jailtrace"
		! grep -q TOPSECRET "$T/in$i/out" || fail "a call waiting when jailtrace died ran undecided (run $i)"
	done
}
