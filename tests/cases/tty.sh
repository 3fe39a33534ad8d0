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
	local prog='import os,signal,shutil
signal.signal(signal.SIGWINCH, lambda s, f: os.write(1, b"size %d %d\n" % os.get_terminal_size(1)))
print("ready", flush=True)
signal.pause()'
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
