# Processes outside the sandbox: the program can neither signal nor ptrace
# them (nor jailtrace itself). Each test first shows the attack working
# natively on one victim, then failing under jailtrace on another, judged by
# whether the victim still lives.

victim_dies() { ! victim_alive; }

# native_attack CMD...: runs the attack natively against a fresh $VICTIM
# (started by the caller) and checks the victim died.
native_attack() {
	native "$@"
	wait_until 10 victim_dies || native_fail "the victim survived the native attack"
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
# known address; sets MV (pid) and MV_ADDR, output in $T/victim.out. It
# waits (up to 50 s) until end_mem_victim, which makes it print its buffer.
start_mem_victim() {
	"$PROGS/procmem" victim 50 >"$T/victim.out" 2>&1 &
	MV=$!
	wait_until 10 test -s "$T/victim.out" || fail "memory victim did not start"
	VICTIMS+=("$MV:$(proc_start "$MV")")
	MV_ADDR=$(head -n 1 "$T/victim.out")
}
end_mem_victim() {
	kill -USR1 "$MV"
	wait "$MV"
}

t_writing_an_outside_process_memory_through_proc_fails() {
	# as root the program has no capabilities; otherwise Landlock keeps it out
	[ "$(id -u)" = 0 ] || "$JT" doctor --json | grep -q '"landlock":{"kernel_has":true' ||
		skip "no Landlock on this kernel: the file-system view will hide /proc/PID of outside processes"
	start_mem_victim
	native "$PROGS/procmem" write "$MV" "$MV_ADDR"
	grep -qx "write: ok" "$T/nout" || native_fail "could not write the victim's memory natively"
	end_mem_victim
	grep -qx "WRITTEN FROM SANDBOX" "$T/victim.out" || native_fail "the native write did not land"
	start_mem_victim
	jt -- "$PROGS/procmem" write "$MV" "$MV_ADDR"
	expect_no_out "write: ok"
	end_mem_victim
	grep -qx "host data, untouched" "$T/victim.out" || fail "the outside process's memory changed: $(cat "$T/victim.out")"
}

t_jailtrace_own_environment_is_not_readable_from_inside() {
	native /bin/sh -c "$PROGS/procmem environ \$PPID"
	grep -qx "environ: ok" "$T/nout" || native_fail "a child cannot read its parent's environ natively"
	jt -- /bin/sh -c "exec $PROGS/procmem environ \$PPID"
	expect_no_out "environ: ok"
	grep -q "^environ: " "$T/out" || fail "procmem printed nothing"
}

# Calls that change another process (its limits, priority, CPUs, policy,
# memory): natively they change an outside process of the same user; inside
# they fail with EPERM and the victim, read from the host, is as it was.

# stat_field PID N: field N of /proc/PID/stat (1-based, as proc(5) counts).
stat_field() {
	local stat n=$2
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- $stat
	shift $((n - 3))
	echo "$1"
}
nofile_limits() { grep '^Max open files' "/proc/$1/limits" | awk '{ print $4, $5 }'; }
cpus_allowed() { awk '$1 == "Cpus_allowed_list:" { print $2 }' "/proc/$1/status"; }

t_prlimit_of_an_outside_process_fails_and_its_limits_stay() {
	start_victim
	native "$PROGS/killer" prlimit "$VICTIM" 77
	[ "$(nofile_limits "$VICTIM")" = "77 77" ] || native_fail "the victim's limits did not change: $(nofile_limits "$VICTIM")"
	start_victim
	before=$(nofile_limits "$VICTIM")
	[ "$before" != "77 77" ] || fail "the victim starts with 77 descriptors"
	jt -- "$PROGS/killer" prlimit "$VICTIM" 77
	expect_out_line "prlimit: EPERM"
	[ "$(nofile_limits "$VICTIM")" = "$before" ] || fail "the victim's limits changed: $(nofile_limits "$VICTIM")"
}

t_python_prlimit_of_an_outside_process_fails_and_its_limits_stay() {
	local py="import resource, sys
try:
    resource.prlimit(int(sys.argv[1]), resource.RLIMIT_NOFILE, (77, 77)); print('prlimit: ok')
except OSError as e:
    print('prlimit:', e.errno)"
	start_victim
	native /usr/bin/python3 -c "$py" "$VICTIM"
	[ "$(nofile_limits "$VICTIM")" = "77 77" ] || native_fail "the victim's limits did not change"
	start_victim
	before=$(nofile_limits "$VICTIM")
	jt -- /usr/bin/python3 -c "$py" "$VICTIM"
	expect_out_line "prlimit: 1"
	[ "$(nofile_limits "$VICTIM")" = "$before" ] || fail "the victim's limits changed: $(nofile_limits "$VICTIM")"
}

t_setpriority_of_an_outside_process_fails_and_its_nice_stays() {
	start_victim
	before=$(stat_field "$VICTIM" 19)
	want=$((before + 5 > 19 ? 19 : before + 5))
	[ "$want" != "$before" ] || skip "the victim already runs at nice 19"
	native "$PROGS/killer" nice "$VICTIM" "$want"
	[ "$(stat_field "$VICTIM" 19)" = "$want" ] || native_fail "the victim's nice did not change"
	start_victim
	jt -- "$PROGS/killer" nice "$VICTIM" "$want"
	expect_out_line "nice: EPERM"
	[ "$(stat_field "$VICTIM" 19)" = "$before" ] || fail "the victim's nice changed to $(stat_field "$VICTIM" 19)"
}

t_sched_setaffinity_of_an_outside_process_fails_and_its_cpus_stay() {
	start_victim
	before=$(cpus_allowed "$VICTIM")
	cpu=$(taskset -pc "$VICTIM" | sed 's/.*: //' | tr ',' '\n' | sed 's/.*-//' | tail -n 1)
	[ "$before" != "$cpu" ] || skip "the victim may run on one CPU only ($before)"
	native "$PROGS/killer" affinity "$VICTIM" "$cpu"
	[ "$(cpus_allowed "$VICTIM")" = "$cpu" ] || native_fail "the victim's CPUs did not change: $(cpus_allowed "$VICTIM")"
	start_victim
	jt -- "$PROGS/killer" affinity "$VICTIM" "$cpu"
	expect_out_line "affinity: EPERM"
	[ "$(cpus_allowed "$VICTIM")" = "$before" ] || fail "the victim's CPUs changed to $(cpus_allowed "$VICTIM")"
}

t_sched_setscheduler_of_an_outside_process_fails_and_its_policy_stays() {
	start_victim
	before=$(stat_field "$VICTIM" 41)
	[ "$before" != 3 ] || skip "the victim already runs under SCHED_BATCH"
	native "$PROGS/killer" batch "$VICTIM"
	[ "$(stat_field "$VICTIM" 41)" = 3 ] || native_fail "the victim's policy did not become SCHED_BATCH"
	start_victim
	jt -- "$PROGS/killer" batch "$VICTIM"
	expect_out_line "batch: EPERM"
	[ "$(stat_field "$VICTIM" 41)" = "$before" ] || fail "the victim's policy changed to $(stat_field "$VICTIM" 41)"
}

t_process_vm_writev_to_an_outside_process_fails_and_its_memory_stays() {
	start_mem_victim
	native "$PROGS/killer" vmwrite "$MV" "$MV_ADDR"
	grep -qx "vmwrite: ok" "$T/nout" || native_fail "process_vm_writev failed natively"
	end_mem_victim
	grep -qx "WRITTEN FROM SANDBOX" "$T/victim.out" || native_fail "the native write did not land"
	start_mem_victim
	jt -- "$PROGS/killer" vmwrite "$MV" "$MV_ADDR"
	expect_out_line "vmwrite: EPERM"
	end_mem_victim
	grep -qx "host data, untouched" "$T/victim.out" || fail "the outside process's memory changed: $(cat "$T/victim.out")"
}
