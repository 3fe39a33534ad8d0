# Terminals: when jailtrace's stdout is a terminal the program gets a pty
# of its own (tracer/tty.c); tests/tools/ptyrun.py plays the user at a
# terminal (a pty of the test's, typed into when a marker shows).

TTY_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)

# ptyrun OUTFILE [ptyrun options] -- CMD...: output of the run in OUTFILE,
# the terminal's settings before and after and the exit in $T/out.
ptyrun() {
	local f=$1
	shift
	LAST_CMD="ptyrun $*"
	run_guarded "$T/out" "$T/err" /usr/bin/python3 "$TTY_TOOLS/ptyrun.py" "$f" "$@"
	[ -z "$GUARD_FIRED" ] || fail "the run on a terminal did not end within ${GUARD_SECS}s"
	check_sanitizers "$f"
}

# The settings after are those before: raw mode was undone.
expect_terminal_restored() {
	[ "$(sed -n 's/^before //p' "$T/out")" = "$(sed -n 's/^after //p' "$T/out")" ] ||
		fail "the terminal's settings changed: $(grep -E '^(before|after)' "$T/out")"
}

t_tty_program_on_a_terminal_gets_one() {
	local probe='import os,shutil; s=shutil.get_terminal_size((0, 0)); print("tty", *[int(os.isatty(i)) for i in range(3)], s.columns, s.lines, os.environ["TERM"], int(os.getsid(0)==os.getpid()), int(os.isatty(0) and os.tcgetpgrp(0)==os.getpgrp()))'
	native /usr/bin/python3 -c "$probe"
	grep -q '^tty 0 0 0' "$T/nout" || native_fail "with pipes, no descriptor is a terminal"
	TERM=xterm-256color ptyrun "$T/tty" --size 33x111 -- "$JT" run --timeout 10s "${JT_VIEW[@]}" -- \
		/usr/bin/python3 -c "$probe"
	grep -q '^exit 0' "$T/out" || fail "exit status: $(grep -E '^(exit|signal)' "$T/out")"
	# own session, its foreground group, the real terminal's size and type
	grep -aq '^tty 1 1 1 111 33 xterm-256color 1 1' "$T/tty" ||
		fail "inside: $(grep -a '^tty' "$T/tty" || head -c 300 "$T/tty")"
	expect_terminal_restored
	# tput asks the terminal's size of the terminal itself
	ptyrun "$T/tput" --size 20x77 -- "$JT" run --timeout 10s "${JT_VIEW[@]}" -- /usr/bin/tput cols
	grep -aq '^77' "$T/tput" || fail "tput cols: $(head -c 200 "$T/tput")"
	# stdout not a terminal: pipes as before
	ptyrun "$T/pipe" -- /bin/sh -c "\"$JT\" run --timeout 10s -- /usr/bin/python3 -c '$probe' | cat"
	grep -aq '^tty 1 0 0' "$T/pipe" || fail "stdout a pipe: $(grep -a '^tty' "$T/pipe" || head -c 300 "$T/pipe")"
}

t_tty_window_size_follows_the_real_terminal() {
	local prog='import os,signal,time
def h(s, f):
    os.write(1, b"size %d %d\n" % os.get_terminal_size(1)); os._exit(0)
signal.signal(signal.SIGWINCH, h)
print("ready", flush=True)
time.sleep(30)'
	ptyrun "$T/c" --size 20x70 --resize ready 40x132 -- "$JT" run --timeout 10s "${JT_VIEW[@]}" -- \
		/usr/bin/python3 -c "$prog"
	grep -aq 'size 132 40' "$T/c" || fail "no new size inside: $(head -c 300 "$T/c")"
	grep -q '^exit 0' "$T/out" || fail "exit status: $(grep -E '^(exit|signal)' "$T/out")"
}

t_tty_curses_program_works_on_the_pty() {
	local prog='import curses
def main(w):
    h, wd = w.getmaxyx()
    w.addstr(0, 0, "curses %dx%d" % (wd, h)); w.refresh()
    k = w.getkey()
    open("'"$T"'/key", "w").write("key " + k)
curses.wrapper(main)'
	TERM=xterm ptyrun "$T/c" --size 25x90 --keys 'curses 90x25' 'q' -- \
		"$JT" run --timeout 10s "${JT_VIEW[@]}" --ro /etc/terminfo -- /usr/bin/python3 -c "$prog"
	grep -q '^exit 0' "$T/out" || fail "exit status: $(grep -E '^(exit|signal)' "$T/out"); $(head -c 300 "$T/c")"
	[ "$(cat "$T/key" 2>/dev/null)" = "key q" ] || fail "the key typed did not reach the program"
	expect_terminal_restored
}

t_tty_ctrl_c_reaches_the_program_and_the_terminal_is_restored() {
	local prog='import os,signal,sys,time
def h(s, f):
    os.write(1, b"got SIGINT\n"); os._exit(3)
signal.signal(signal.SIGINT, h)
print("ready", flush=True)
time.sleep(30)'
	ptyrun "$T/c" --keys ready '\x03' -- "$JT" run --timeout 20s --result "$T/result.json" \
		"${JT_VIEW[@]}" -- /usr/bin/python3 -c "$prog"
	grep -aq 'got SIGINT' "$T/c" || fail "the program did not get ^C: $(head -c 300 "$T/c")"
	grep -q '^exit 3' "$T/out" || fail "exit status: $(grep -E '^(exit|signal)' "$T/out")"
	expect_result program_exit_code 3
	expect_terminal_restored
}

t_tty_output_cap_holds_and_terminal_is_restored() {
	ptyrun "$T/c" -- "$JT" run --timeout 10s --output 10K --result "$T/result.json" "${JT_VIEW[@]}" -- \
		/usr/bin/python3 -c 'import sys; [sys.stdout.write("x" * 1000 + "\n") for i in range(1000)]'
	expect_result status output_limit
	local n
	n=$(tr -cd x <"$T/c" | wc -c)
	[ "$n" -le 10240 ] || fail "$n bytes of output passed a cap of 10K"
	[ "$n" -ge 1000 ] || fail "only $n bytes of output before the cap"
	expect_terminal_restored
	# a timeout while the program waits for a key
	ptyrun "$T/c" -- "$JT" run --timeout 1s --result "$T/result.json" "${JT_VIEW[@]}" -- /bin/sh -c 'read x'
	expect_result status timeout
	expect_terminal_restored
	# jailtrace's own error, after the terminal was made
	ptyrun "$T/c" -- "$JT" run --timeout 10s "${JT_VIEW[@]}" -- /nonexistent/prog
	expect_terminal_restored
}

# The program holds only the pty: it cannot reach the real terminal, by a
# descriptor or by /dev/tty (its controlling terminal is the pty).
t_tty_program_holds_no_descriptor_of_the_real_terminal() {
	ptyrun "$T/c" -- /bin/sh -c "tty >\"$T/real\"; \"$JT\" run --timeout 10s -- /bin/sh -c 'for f in /proc/self/fd/*; do readlink \$f; done; echo end' "
	local real
	real=$(cat "$T/real")
	[ -n "$real" ] || fail "no terminal name"
	grep -aq end "$T/c" || fail "no listing: $(head -c 300 "$T/c")"
	! grep -aqx "$real" <(tr -d '\r' <"$T/c") || fail "the program holds the real terminal $real"
}

# ---------------------------------------------------------------- ptys inside
# /dev/ptmx makes ptys of the sandbox's own; /dev/pts shows only their
# slaves (tracer/ptys.c).

t_pty_openpty_spawn_and_script_work_inside() {
	local prog='import os, pty, sys
import tty
m, s = os.openpty()
tty.setraw(s)
name = os.ttyname(s)
os.write(m, b"to-slave\n")
print("read", os.read(s, 100))
fd = os.open(name, os.O_RDWR | os.O_NOCTTY)
os.write(fd, b"by-name\n")
print("master", os.read(m, 100))
print("listed", name.rsplit("/", 1)[1] in os.listdir("/dev/pts"))
try:
    print("pts-ptmx", os.isatty(os.open("/dev/pts/ptmx", os.O_RDWR | os.O_NOCTTY)))
except OSError as e:
    print("pts-ptmx", e.errno)	# natively mode 000 for all but root
sys.stdout.flush()
st = pty.spawn(["/bin/sh", "-c", "echo spawned; tty"])
print("spawn-status", st)'
	native /usr/bin/python3 -c "$prog" </dev/null
	grep -q "^spawned" "$T/nout" || native_fail "pty.spawn does not work natively"
	jt -- /usr/bin/python3 -c "$prog" </dev/null
	expect_rc 0
	expect_out_line "read b'to-slave\\n'"
	expect_out_line "master b'by-name\\n'"
	expect_out_line "pts-ptmx True"
	grep -q "^spawned" "$T/out" || fail "pty.spawn: no output of its child"
	grep -q "^/dev/pts/[0-9]" "$T/out" || fail "the spawned child has no terminal name"
	expect_out_line "spawn-status 0"
	jt -- /usr/bin/script -qc 'echo in-script; tty' /dev/null </dev/null
	expect_rc 0
	grep -q "^in-script" "$T/out" || fail "script(1) did not run its command"
	grep -q "^/dev/pts/[0-9]" "$T/out" || fail "script's command has no terminal name"
}

# /dev/tty is the program's controlling terminal when it is its own pty;
# without one (pipes), ENXIO as natively for a process without a terminal.
t_pty_dev_tty_is_the_programs_own_terminal() {
	local prog='import os
try:
    fd = os.open("/dev/tty", os.O_RDWR)
    os.write(fd, b"via-dev-tty\n"); print("tty ok", os.ttyname(fd) == os.ttyname(1))
except OSError as e:
    print("tty", e.errno)'
	ptyrun "$T/c" -- "$JT" run --timeout 10s "${JT_VIEW[@]}" -- /usr/bin/python3 -c "$prog"
	grep -aq 'via-dev-tty' "$T/c" || fail "/dev/tty: $(head -c 300 "$T/c")"
	grep -aq 'tty ok True' "$T/c" || fail "/dev/tty is not the program's terminal: $(head -c 300 "$T/c")"
	jt -- /bin/sh -c 'setsid /usr/bin/python3 -c "$1" </dev/null' sh "$prog"
	expect_out_line "tty 6"
}

# A host process holds a pty (an admin's terminal): natively the test's
# user can open its slave and write to it; inside, neither by its number,
# nor by listing /dev/pts, nor through /proc, nor by waiting for the
# number of a pty of the sandbox's own to be the host's. Judged from the
# host: what the host's master reads.
_host_pty() {
	rm -f "$JT_AUX/hostpty.name" "$JT_AUX/hostpty.got" "$T/hostpty.done"
	/usr/bin/python3 -c '
import os, sys, time, fcntl
aux, t = sys.argv[1], sys.argv[2]
m, s = os.openpty()
if len(sys.argv) > 3:
    # take the number the sandbox announces: open ptys until one has it
    want = int(open(sys.argv[3]).read())
    held = []
    while int(os.ttyname(s).rsplit("/", 1)[1]) != want and len(held) < 64:
        held.append((m, s)); m, s = os.openpty()
open(aux + "/hostpty.name.tmp", "w").write(os.ttyname(s))
os.rename(aux + "/hostpty.name.tmp", aux + "/hostpty.name")
for i in range(1000):
    if os.path.exists(t + "/hostpty.done"): break
    time.sleep(0.02)
fcntl.fcntl(m, fcntl.F_SETFL, os.O_NONBLOCK)
try: got = os.read(m, 4096)
except OSError: got = b""
open(aux + "/hostpty.got", "wb").write(got)
' "$JT_AUX" "$T" "$@" &
	HOSTPTY_PID=$!
	wait_until 10 test -s "$JT_AUX/hostpty.name" || fail "the host's pty was not made"
	HOSTPTY=$(cat "$JT_AUX/hostpty.name")
}

# _host_pty_got: what the host's master read, in HOSTPTY_GOT.
_host_pty_got() {
	touch "$T/hostpty.done"
	wait "$HOSTPTY_PID"
	[ -e "$JT_AUX/hostpty.got" ] || fail "the host's pty holder did not report"
	HOSTPTY_GOT=$(cat "$JT_AUX/hostpty.got")
}

t_pty_host_terminal_slaves_are_invisible_inside() {
	_host_pty
	native /bin/sh -c "echo NATIVE-MARK >$HOSTPTY"
	_host_pty_got
	[[ $HOSTPTY_GOT == *NATIVE-MARK* ]] || native_fail "natively the host's pty $HOSTPTY cannot be written"
	_host_pty
	local n=${HOSTPTY##*/}
	jt -- /usr/bin/python3 -c '
import os, sys
n, holder = sys.argv[1], sys.argv[2]
def tryopen(p):
    try:
        fd = os.open(p, os.O_WRONLY | os.O_NOCTTY); os.write(fd, b"JT-MARK\n"); print("OPENED", p)
    except OSError as e: print("no", p, e.errno)
tryopen("/dev/pts/" + n)
try: os.stat("/dev/pts/" + n); print("STAT", n)
except OSError as e: print("stat", e.errno)
print("listing", sorted(os.listdir("/dev/pts")))
for i in range(int(n) + 16): tryopen("/dev/pts/%d" % i)
for fd in range(0, 16): tryopen("/proc/%s/fd/%d" % (holder, fd))
tryopen("/dev/pts/../pts/" + n)
os.symlink("/dev/pts/" + n, "/tmp/hostpty-link"); tryopen("/tmp/hostpty-link")
os.chdir("/dev/pts"); tryopen(n)
' "$n" "$HOSTPTY_PID"
	expect_rc 0
	_host_pty_got
	[ -z "$HOSTPTY_GOT" ] || fail "the host's pty got: $HOSTPTY_GOT"
	expect_no_out OPENED
	expect_no_out STAT
	expect_out_line "listing ['ptmx']"
	expect_out_line "no /dev/pts/$n 2"
}

# The sandbox makes a pty, notes its number, frees it; the host then takes
# that number for a terminal of its own: the sandbox's old name for it
# leads nowhere.
t_pty_number_reused_by_the_host_is_not_the_sandboxs() {
	rm -f "$T/num" "$T/go"
	jt_bg -- /usr/bin/python3 -c '
import os, sys, time
t = sys.argv[1]
m, s = os.openpty()
name = os.ttyname(s)
os.close(s); os.close(m)
open(t + "/num.tmp", "w").write(name.rsplit("/", 1)[1]); os.rename(t + "/num.tmp", t + "/num")
for i in range(1000):
    if os.path.exists(t + "/go"): break
    time.sleep(0.02)
try:
    fd = os.open(name, os.O_WRONLY | os.O_NOCTTY); os.write(fd, b"JT-MARK\n"); print("OPENED", name)
except OSError as e: print("no", name, e.errno)
' "$T"
	wait_until 10 test -s "$T/num" || { jt_wait; fail "the sandbox made no pty"; }
	_host_pty "$T/num"
	[ "${HOSTPTY##*/}" = "$(cat "$T/num")" ] || { touch "$T/go"; jt_wait; _host_pty_got;
		skip "the host did not get the number the sandbox freed (another pty took it)"; }
	# natively that name now reaches the host's pty
	native /bin/sh -c "echo NATIVE-MARK >/dev/pts/$(cat "$T/num")"
	touch "$T/go"
	jt_wait
	expect_rc 0
	_host_pty_got
	[[ $HOSTPTY_GOT == *NATIVE-MARK* ]] || native_fail "natively the reused number does not reach the host's pty"
	[[ $HOSTPTY_GOT != *JT-MARK* ]] || fail "the host's pty got: $HOSTPTY_GOT"
	expect_no_out OPENED
	grep -q "^no /dev/pts/" "$T/out" || fail "no answer from the sandbox"
}

# Job control inside: a shell on the program's pty sets its terminal's
# foreground group (TIOCSPGRP, allowed in a session of the sandbox's own),
# so ^Z stops its foreground job and bg/kill work as natively.
t_tty_job_control_of_a_shell_inside() {
	printf '%s\n' 'import time' 'print("job-" "ready", flush=True)' 'time.sleep(30)' >"$T/job.py"
	ptyrun "$T/c" --keys '$ ' "/usr/bin/python3 $T/job.py\\r" \
		--keys 'job-ready' '\x1a' --keys 'Stopped' 'bg; echo running-$(jobs -r | wc -l)\r' \
		--keys 'running-' 'kill %1; wait; echo left-$(jobs -r | wc -l)\r' --keys 'left-' 'exit\r' -- \
		"$JT" run --timeout 15s --log "$T/log.jsonl" "${JT_VIEW[@]}" --env 'PS1=$ ' -- /bin/bash --norc -i
	grep -q '^exit 0' "$T/out" || fail "exit status: $(grep -E '^(exit|signal)' "$T/out"); $(tr -d '\r' <"$T/c" | head -c 600)"
	! grep -aq 'no job control' "$T/c" || fail "the shell has no job control: $(head -c 300 "$T/c")"
	grep -aq 'Stopped' "$T/c" || fail "^Z did not stop the job: $(tr -d '\r' <"$T/c" | head -c 600)"
	grep -aq 'running-1' "$T/c" || fail "bg did not continue the job: $(tr -d '\r' <"$T/c" | head -c 600)"
	grep -aq 'left-0' "$T/c" || fail "kill %1 did not end the job: $(tr -d '\r' <"$T/c" | head -c 600)"
	expect_terminal_restored
}

# Without a pty of its own (stdout not a terminal) the program is in
# jailtrace's session, whose terminal is the host's: it cannot make
# another group of that session (a job of the user's shell) the
# foreground one, which natively it can.
t_tty_foreground_group_of_the_hosts_terminal_stays() {
	local prog='import os, sys
try:
    os.tcsetpgrp(0, int(sys.argv[1])); print("SET")
except OSError as e:
    print("no", e.errno)'
	ptyrun "$T/n" -- /bin/bash -c 'set -m; sleep 30 & bg=$!
		/usr/bin/python3 -c "$1" $bg | cat; echo "fg-after $(ps -o tpgid= $$)"; kill $bg' sh "$prog"
	grep -aq '^SET' "$T/n" || native_fail "natively the foreground group cannot be set: $(head -c 300 "$T/n")"
	ptyrun "$T/c" -- /bin/bash -c 'set -m; sleep 30 & bg=$!
		"$1" run --timeout 10s --log "$2/log.jsonl" -- /usr/bin/python3 -c "$3" $bg | cat
		echo "bg $bg fg-after $(ps -o tpgid= $$)"; kill $bg' sh "$JT" "$T" "$prog"
	grep -aq '^no 25' "$T/c" || fail "inside: $(head -c 300 "$T/c")"
	local bgpid fg
	bgpid=$(sed -n 's/^bg \([0-9]*\) .*/\1/p' "$T/c" | tr -d '\r')
	fg=$(sed -n 's/.*fg-after *\([0-9]*\).*/\1/p' "$T/c" | tr -d '\r')
	[ -n "$bgpid" ] && [ "$fg" != "$bgpid" ] || fail "the host's terminal's foreground is the job $bgpid"
	expect_log "select(.type == \"syscall\" and .name == \"ioctl\" and .args[1] == \"TIOCSPGRP\" and .decision == \"deny\")"
}

# Only stdout a terminal (input from a pipe): the program still gets a pty
# and reads the pipe's data, but the real terminal is not made raw, so ^C
# typed there still stops jailtrace (and so the program).
t_tty_piped_input_and_a_terminal_for_output() {
	ptyrun "$T/c" -- /bin/sh -c 'printf "line1\nline2\n" | "$1" run --timeout 10s -- /usr/bin/python3 -c "
import os, sys
print(\"tty\", int(os.isatty(0)), int(os.isatty(1)))
print(\"lines\", [l.strip() for l in sys.stdin])"' sh "$JT"
	grep -aq 'tty 1 1' "$T/c" || fail "inside: $(head -c 300 "$T/c")"
	grep -aq "lines \['line1', 'line2'\]" "$T/c" || fail "the piped input: $(head -c 300 "$T/c")"
	expect_terminal_restored
	ptyrun "$T/c" --keys ready '\x03' -- /bin/sh -c 'echo | "$1" run --timeout 20s --result "$2/result.json" -- /usr/bin/python3 -c "
import time; print(\"ready\", flush=True); time.sleep(30)"' sh "$JT" "$T"
	expect_result status interrupted
	expect_terminal_restored
}

# Only stdin a terminal (output to a file): the program is handed the real
# terminal as its foreground group, as a shell hands it to a job; what it
# sets there (echo off, raw, output stopped) must not outlive the run.
# (argv[1] "stop": it stops the terminal's output too, which natively
# leaves the shell's next write waiting for ever)
TTY_SPOIL_PROG='import os, sys, termios
a = termios.tcgetattr(0)
a[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG)
termios.tcsetattr(0, termios.TCSANOW, a)
if sys.argv[1:] == ["stop"]:
    termios.tcflow(0, termios.TCOOFF)
print("spoiled", flush=True)'

t_tty_settings_the_program_made_on_the_real_terminal_are_undone() {
	# native control: the program's settings stay on the terminal after it
	ptyrun "$T/n" -- /bin/sh -c '/usr/bin/python3 -c "$1" >"$2/nout"; echo after-run' sh "$TTY_SPOIL_PROG" "$T"
	grep -q spoiled "$T/nout" || native_fail "the program did not run natively: $(head -c 300 "$T/n")"
	[ "$(sed -n 's/^before //p' "$T/out")" != "$(sed -n 's/^after //p' "$T/out")" ] ||
		native_fail "natively the terminal's settings did not change"
	ptyrun "$T/c" -- /bin/sh -c '"$1" run --timeout 10s --log "$2/log.jsonl" -- /usr/bin/python3 -c "$3" stop >"$2/out.txt"; echo after-run' \
		sh "$JT" "$T" "$TTY_SPOIL_PROG"
	grep -q spoiled "$T/out.txt" || fail "the program did not run inside: $(head -c 300 "$T/c") $(cat "$T/out.txt")"
	expect_terminal_restored
	grep -aq after-run "$T/c" || fail "the terminal's output stayed stopped after the run: $(head -c 300 "$T/c")"
}

# A program that closes 0-2 and opens its terminal again (/dev/tty) is
# still shown: no slave open for a while is not the end of the relay.
t_tty_output_after_the_terminal_was_closed_and_opened_again() {
	ptyrun "$T/c" -- "$JT" run --timeout 10s "${JT_VIEW[@]}" -- /bin/sh -c \
		'echo first; exec </dev/null >/dev/null 2>&1; sleep 0.3; echo again >/dev/tty'
	grep -aq '^first' "$T/c" || fail "no output: $(head -c 300 "$T/c")"
	grep -aq '^again' "$T/c" || fail "the output to /dev/tty after is lost: $(head -c 300 "$T/c")"
	grep -q '^exit 0' "$T/out" || fail "exit status: $(grep -E '^(exit|signal)' "$T/out")"
}
