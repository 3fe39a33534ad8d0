# Process trees: every task the program makes (fork, vfork+exec, pthreads,
# clone(CLONE_VM)) is traced, its calls decided and logged under its tid.

# run_proctree: proctree natively (control: every task reaches the outside
# process) and under jailtrace; TASKS lists "KIND TID" from the latter.
run_proctree() {
	start_victim
	native "$PROGS/proctree" "$VICTIM"
	[ "$NRC" = 0 ] && [ "$(grep -c 'kill=0 errno=0$' "$T/nout")" = 8 ] ||
		native_fail "not all 8 tasks could signal the outside process natively"
	jt -- "$PROGS/proctree" "$VICTIM"
	expect_rc 0
	expect_out_line "tasks done 8"
	TASKS=$(sed -n 's/^task \([^ ]*\) tid=\([0-9]*\) .*/\1 \2/p' "$T/out")
	[ "$(wc -l <<<"$TASKS")" = 8 ] || fail "expected 8 task lines"
}

t_every_task_of_a_fork_vfork_thread_clone_tree_is_traced() {
	run_proctree
	while read -r kind tid; do
		grep -q "^task $kind tid=$tid kill=-1 errno=EPERM$" "$T/out" ||
			fail "task $kind ($tid) was not refused: $(grep "^task $kind " "$T/out")"
		expect_log ".type == \"syscall\" and .tid == $tid and .name == \"kill\" and .decision == \"deny\"" \
			"decision record for task $kind, tid $tid"
	done <<<"$TASKS"
	victim_alive || fail "the outside process died"
}

t_every_new_task_has_a_spawn_record_of_its_kind() {
	run_proctree
	while read -r kind tid; do
		case $kind in
		main) continue ;;
		fork|fork2) want=fork ;;
		vfork-exec) want=vfork ;;
		thread1|thread2|fork-thread) want=thread ;;
		clone-vm) want=clone ;;
		esac
		expect_log ".type == \"spawn\" and .pid == $tid and .kind == \"$want\"" "task $kind"
	done <<<"$TASKS"
}

t_exec_is_logged_with_exe_and_argv() {
	run_proctree
	tid=$(awk '$1 == "vfork-exec" { print $2 }' <<<"$TASKS")
	exe=$(readlink -f "$PROGS/proctree")
	expect_log ".type == \"exec\" and .pid == $tid and .exe == \"$exe\"
		and .argv[1:] == [\"--exec-child\", \"$VICTIM\"]" "exec of the vfork child"
}

t_every_task_exit_is_logged() {
	run_proctree
	while read -r kind tid; do
		expect_log ".type == \"exit\" and .tid == $tid" "task $kind"
	done <<<"$TASKS"
}

t_concurrent_decided_calls_from_many_threads_are_all_refused_and_logged() {
	start_victim
	native "$PROGS/callstorm" "$VICTIM" 16 50
	[ "$(grep -c 'ok=50 failed=0$' "$T/nout")" = 16 ] || native_fail "not every call reached the outside process"
	jt -- "$PROGS/callstorm" "$VICTIM" 16 50
	expect_rc 0
	expect_out_line "threads done 16"
	[ "$(grep -c '^tid=[0-9]* ok=0 failed=50$' "$T/out")" = 16 ] || fail "not every call was refused"
	for tid in $(sed -n 's/^tid=\([0-9]*\) .*/\1/p' "$T/out"); do
		n=$(log_calls ".type == \"syscall\" and .tid == $tid and .name == \"kill\" and .decision == \"deny\"") || exit 1
		[ "$n" = 50 ] || fail "thread $tid made 50 refused calls, the log has $n records for it"
	done
	victim_alive || fail "the outside process died"
}

t_a_child_that_exited_unreaped_is_the_programs_and_a_reaped_pid_is_gone() {
	prog='import os, errno, time
pid = os.fork()
if pid == 0:
    os._exit(0)
time.sleep(0.3)
fd = os.pidfd_open(pid); print("pidfd of the zombie: ok"); os.close(fd)
os.waitpid(pid, 0)
try: os.kill(pid, 0); print("kill: alive")
except OSError as e: print("kill:", errno.errorcode[e.errno])'
	native /usr/bin/python3 -c "$prog"
	grep -qx "kill: ESRCH" "$T/nout" || native_fail "natively: $(cat "$T/nout")"
	jt -- /usr/bin/python3 -c "$prog"
	expect_out_line "pidfd of the zombie: ok"
	expect_out_line "kill: ESRCH"
}
