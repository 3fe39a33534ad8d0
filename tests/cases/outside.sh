# Processes outside the sandbox: the program can neither signal nor ptrace
# them (nor jailtrace itself). Each test first shows the attack working
# natively on one victim, then failing under jailtrace on another, judged by
# whether the victim still lives.

victim_dies() { ! victim_alive; }

# native_attack CMD...: runs the attack natively against a fresh $VICTIM
# (started by the caller) and checks the victim died.
native_attack() {
	native "$@"
	wait_until 2 victim_dies || native_fail "the victim survived the native attack"
}

t_signal_to_an_outside_process_fails_and_it_lives() {
	start_victim
	native_attack "$PROGS/killer" kill "$VICTIM" 15
	start_victim
	jt -- "$PROGS/killer" kill "$VICTIM" 15
	expect_out_line "kill: EPERM"
	victim_alive || fail "the outside process died"
}

t_signal_to_an_outside_process_group_fails_and_it_lives() {
	start_victim setsid
	native_attack "$PROGS/killer" killpg "$VICTIM" 15
	start_victim setsid
	jt -- "$PROGS/killer" killpg "$VICTIM" 15
	expect_out_line "killpg: EPERM"
	victim_alive || fail "the outside process died"
}

t_tgkill_of_an_outside_thread_fails_and_it_lives() {
	start_victim
	native_attack "$PROGS/killer" tgkill "$VICTIM" "$VICTIM" 15
	start_victim
	jt -- "$PROGS/killer" tgkill "$VICTIM" "$VICTIM" 15
	expect_out_line "tgkill: EPERM"
	victim_alive || fail "the outside process died"
}

t_sigqueue_to_an_outside_process_fails_and_it_lives() {
	start_victim
	native_attack "$PROGS/killer" sigqueue "$VICTIM" 15
	start_victim
	jt -- "$PROGS/killer" sigqueue "$VICTIM" 15
	expect_out_line "sigqueue: EPERM"
	victim_alive || fail "the outside process died"
}

t_pidfd_signal_to_an_outside_process_fails_and_it_lives() {
	start_victim
	native_attack "$PROGS/killer" pidfd "$VICTIM" 15
	start_victim
	jt -- "$PROGS/killer" pidfd "$VICTIM" 15
	expect_no_out "pidfd: ok"
	victim_alive || fail "the outside process died"
}

t_ptrace_of_an_outside_process_fails_and_it_lives() {
	start_victim
	native_attack "$PROGS/killer" ptrace "$VICTIM"
	start_victim
	jt -- "$PROGS/killer" ptrace "$VICTIM"
	expect_out_line "ptrace: EPERM"
	victim_alive || fail "the outside process died"
	grep -q '^TracerPid:[[:space:]]*0$' "/proc/$VICTIM/status" ||
		fail "the outside process is being traced: $(grep TracerPid "/proc/$VICTIM/status")"
}

t_program_cannot_kill_jailtrace() {
	# native control: a program kills its parent
	native /bin/sh -c 'sh -c "kill -KILL \$PPID"; echo parent-survived'
	[ "$NRC" = 137 ] && ! grep -q parent-survived "$T/nout" || native_fail "the child did not kill its parent"
	jt -- /bin/sh -c 'kill -KILL $PPID; echo still-here'
	[ "$RC" != 137 ] || fail "jailtrace died of SIGKILL"
	expect_out_line still-here
	expect_result status exited
}

# start_mem_victim: an outside process of the same user with a buffer at a
# known address; sets MV (pid) and MV_ADDR, output in $T/victim.out.
start_mem_victim() {
	"$PROGS/procmem" victim 3 >"$T/victim.out" 2>&1 &
	MV=$!
	wait_until 2 test -s "$T/victim.out" || fail "memory victim did not start"
	MV_ADDR=$(head -n 1 "$T/victim.out")
}

t_writing_an_outside_process_memory_through_proc_fails() {
	# as root the program has no capabilities; otherwise Landlock keeps it out
	[ "$(id -u)" = 0 ] || "$JT" doctor --json | grep -q '"landlock":{"kernel_has":true' ||
		skip "no Landlock on this kernel: the file-system view will hide /proc/PID of outside processes"
	start_mem_victim
	native "$PROGS/procmem" write "$MV" "$MV_ADDR"
	grep -qx "write: ok" "$T/nout" || native_fail "could not write the victim's memory natively"
	wait "$MV"
	grep -qx "WRITTEN FROM SANDBOX" "$T/victim.out" || native_fail "the native write did not land"
	start_mem_victim
	jt -- "$PROGS/procmem" write "$MV" "$MV_ADDR"
	expect_no_out "write: ok"
	wait "$MV"
	grep -qx "host data, untouched" "$T/victim.out" || fail "the outside process's memory changed: $(cat "$T/victim.out")"
}

t_jailtrace_own_environment_is_not_readable_from_inside() {
	native /bin/sh -c "$PROGS/procmem environ \$PPID"
	grep -qx "environ: ok" "$T/nout" || native_fail "a child cannot read its parent's environ natively"
	jt -- /bin/sh -c "exec $PROGS/procmem environ \$PPID"
	expect_no_out "environ: ok"
	grep -q "^environ: " "$T/out" || fail "procmem printed nothing"
}
