# Exec of files the program wrote: by default the writable jail does not
# run (EACCES, for binaries, #! scripts and memfds alike); with `exec jail`
# in the policy they run as natively, and a file that changes between the
# tracer's check and the kernel's read never runs anything outside the view.
# Each containment test shows natively what the attack reaches, then what
# it reaches inside, and judges from the host side.

# exec_jail_policy: $T/policy, the built-in policy plus `exec jail`.
exec_jail_policy() {
	printf 'include default\nexec jail\n' >"$T/policy"
}

# evil_dir: a host directory outside the view, with a short path (a loader
# path must fit the PT_INTERP slot of a copied binary); removed at the end.
evil_dir() {
	EVIL=$(mktemp -d /tmp/jtev.XXXXXX) || fail "no temp directory"
	chmod 755 "$EVIL"
	trap '_cleanup; rm -rf "$EVIL"' EXIT
}

# evil_loader: $T/t, a copy of /bin/true; off and old, the offset and text
# of its PT_INTERP; new, a host path of the same length outside the view
# (in $EVIL) holding evilld, a "loader" that writes the marker it is given.
evil_loader() {
	evil_dir
	read -r off old < <("$PROGS/execrace" interp /bin/true "$T/t" -) || fail "cannot read PT_INTERP of /bin/true"
	[ "${#old}" -gt 18 ] || skip "PT_INTERP of /bin/true is too short: $old"
	new="$EVIL/$(printf '%*s' $((${#old} - ${#EVIL} - 1)) '' | tr ' ' x)"
	cp "$PROGS/evilld" "$new"
}

t_exec_of_a_script_written_in_the_jail_is_EACCES_by_default() {
	native /bin/sh -c "printf '#!/bin/sh\necho ran\n' >$T/s && chmod +x $T/s && $T/s"
	grep -qx ran "$T/nout" || native_fail "a written script does not run natively"
	jt -- /bin/sh -c 'printf "#!/bin/sh\necho ran\n" >/tmp/s; chmod +x /tmp/s; /tmp/s; echo rc=$?'
	expect_no_out ran
	expect_out_line rc=126
	expect_log '.type == "syscall" and .name == "execve" and .decision == "deny" and .errno == "EACCES" and .rule == "builtin:exec-from-writable"'
}

# access(X_OK) agrees with exec, as on a noexec mount: a file the program
# wrote is EACCES to both without `exec jail` (so `test -x` and
# shutil.which pass it over, and bash says "Permission denied" for a venv's
# pip, not "bad interpreter"), X_OK to both with it; a program of a
# read-only grant is X_OK either way.
t_x_ok_of_a_written_file_agrees_with_its_exec() {
	local prog='d=$1; printf "#!/bin/sh\necho ran\n" >$d/s; chmod +x $d/s
[ -x $d/s ] && echo x-ok || echo x-no; [ -x /bin/sh ] && echo sh-x-ok
/usr/bin/python3 -c "import shutil, sys; print(shutil.which(\"s\", path=sys.argv[1]) is not None)" $d
$d/s; echo rc=$?'
	mkdir "$T/n"
	native /bin/sh -c "$prog" sh "$T/n"
	[ "$(tr '\n' ' ' <"$T/nout")" = "x-ok sh-x-ok True ran rc=0 " ] || native_fail "a written script is not X_OK and run natively"
	jt -- /bin/sh -c "$prog" sh /tmp
	expect_rc 0
	[ "$(tr '\n' ' ' <"$T/out")" = "x-no sh-x-ok False rc=126 " ] ||
		fail "access(X_OK) says other than exec: $(tr '\n' ' ' <"$T/out")"
	exec_jail_policy
	jt --policy "$T/policy" -- /bin/sh -c "$prog" sh /tmp
	expect_rc 0
	[ "$(tr '\n' ' ' <"$T/out")" = "x-ok sh-x-ok True ran rc=0 " ] ||
		fail "with exec jail, inside differs from native: $(tr '\n' ' ' <"$T/out")"
}

# A program run through a link (python3 -> python3.11, sh -> dash) is named
# by the link, as natively: its comm, what ps -o comm and pgrep -x match.
t_a_program_run_through_a_link_is_named_by_the_link() {
	local prog='cat /proc/$$/comm; pgrep -x sh >/dev/null && echo pgrep-sh
/usr/bin/python3 -c "print(open(\"/proc/self/comm\").read().strip())"
exec /usr/bin/python3 -c "import os; print(os.path.basename(os.readlink(\"/proc/self/exe\")) != \"python3\")"'
	[ -L /bin/sh ] && [ -L /usr/bin/python3 ] || skip "/bin/sh or /usr/bin/python3 is not a link here"
	native /bin/sh -c "$prog"
	[ "$(tr '\n' ' ' <"$T/nout")" = "sh pgrep-sh python3 True " ] || native_fail "natively the links do not name the processes"
	jt -- /bin/sh -c "$prog"
	expect_rc 0
	cmp -s "$T/nout" "$T/out" || fail "inside differs from native: $(tr '\n' ' ' <"$T/out")"
}

t_fexecve_of_a_memfd_copy_of_a_binary_is_EACCES_by_default() {
	native "$PROGS/fexec" memfd /bin/echo hello
	grep -qx hello "$T/nout" || native_fail "fexecve of a memfd does not run natively"
	jt -- "$PROGS/fexec" memfd /bin/echo hello
	expect_no_out hello
	expect_out_line "fexecve: EACCES"
	expect_log '.type == "syscall" and .name == "execveat" and .decision == "deny" and .errno == "EACCES"'
}

t_fexecve_of_a_read_only_binary_runs_by_default() {
	native "$PROGS/fexec" fd /bin/echo hello
	jt -- "$PROGS/fexec" fd /bin/echo hello
	expect_rc 0
	diff "$T/nout" "$T/out" >/dev/null || fail "output differs from native: $(cat "$T/out")"
	expect_out_line hello
}

t_exec_jail_runs_a_copied_binary_as_natively() {
	exec_jail_policy
	native /bin/sh -c "cp /bin/echo $T/e && $T/e hello; cp /bin/false $T/f && $T/f; echo rc=\$?"
	jt --policy "$T/policy" -- /bin/sh -c 'cp /bin/echo /tmp/e && /tmp/e hello; cp /bin/false /work/f && /work/f; echo rc=$?'
	expect_rc 0
	diff "$T/nout" "$T/out" >/dev/null || fail "output differs from native: $(cat "$T/nout") / $(cat "$T/out")"
	expect_out_line hello
	expect_out_line rc=1
	expect_log '.type == "syscall" and .name == "execve" and .decision == "allow" and .facts.path == "/tmp/e" and (.rule | test("policy:2$"))'
}

t_exec_jail_runs_a_script_the_program_wrote() {
	exec_jail_policy
	jt --policy "$T/policy" -- /bin/sh -c 'printf "#!/bin/sh\necho \"ran \$0 \$1\"; exit 3\n" >/tmp/s; chmod +x /tmp/s; /tmp/s arg; echo rc=$?'
	expect_rc 0
	expect_out_line "ran /tmp/s arg"
	expect_out_line rc=3
}

t_exec_jail_runs_a_memfd_copy_of_a_binary_through_fexecve() {
	exec_jail_policy
	native "$PROGS/fexec" memfd /bin/echo hello
	jt --policy "$T/policy" -- "$PROGS/fexec" memfd /bin/echo hello
	expect_rc 0
	diff "$T/nout" "$T/out" >/dev/null || fail "output differs from native: $(cat "$T/out")"
	expect_out_line hello
}

t_exec_jail_runs_a_memfd_script_with_dev_fd_as_natively() {
	exec_jail_policy
	printf '#!/bin/sh\necho "script $0 $1"\n' >"$T/s.sh"
	chmod +x "$T/s.sh"
	# an open memfd: the interpreter reads /dev/fd/N; a close-on-exec one: ENOENT
	native /bin/sh -c "$PROGS/fexec memfd-open $T/s.sh a; $PROGS/fexec memfd $T/s.sh b"
	grep -q '^script /dev/fd/[0-9]* a$' "$T/nout" || native_fail "no memfd script ran natively"
	grep -qx 'fexecve: ENOENT' "$T/nout" || native_fail "a close-on-exec memfd script did not fail with ENOENT"
	jt --policy "$T/policy" -- /bin/sh -c "$PROGS/fexec memfd-open $T/s.sh a; $PROGS/fexec memfd $T/s.sh b"
	diff "$T/nout" "$T/out" >/dev/null || fail "output differs from native: $(cat "$T/nout") / $(cat "$T/out")"
}

t_exec_jail_proc_self_exe_reads_the_inside_path() {
	exec_jail_policy
	jt --policy "$T/policy" -- /bin/sh -c 'cp /bin/readlink /tmp/rl && /tmp/rl /proc/self/exe; cp /bin/readlink /work/rl && /work/rl /proc/self/exe'
	expect_rc 0
	expect_out_line /tmp/rl
	expect_out_line /work/rl
	expect_no_out jail
	# a memfd has no path: its name reads back as natively
	native "$PROGS/fexec" memfd /bin/readlink /proc/self/exe
	jt --policy "$T/policy" -- "$PROGS/fexec" memfd /bin/readlink /proc/self/exe
	diff "$T/nout" "$T/out" >/dev/null || fail "memfd exe differs from native: $(cat "$T/nout") / $(cat "$T/out")"
}

# judge_race MARKER: the marker never appeared, and the exec loop either
# ran to the end having run the good file, or was stopped by the exec check.
judge_race() {
	[ ! -e "$1" ] || fail "the file outside the view ran inside: $(head -3 "$1")"
	if grep -q "killed" "$T/err"; then
		expect_rc 125
	else
		expect_out_line done
		grep -q '^runs: [1-9]' "$T/out" || fail "the good file never ran"
	fi
}

t_exec_jail_a_file_swapped_for_a_host_script_never_runs_it() {
	evil_dir
	printf '#!/bin/sh\necho evil >>"$2"\n' >"$EVIL/evil"
	chmod 755 "$EVIL/evil"
	cp /bin/true "$T/good"
	printf '#!%s\n' "$EVIL/evil" >"$T/bad"
	chmod 755 "$T/bad"
	cp "$T/good" "$T/t"
	for _ in 1 2 3 4 5; do	# a few tries: the swapper needs a CPU beside the exec
		native /bin/sh -c "$PROGS/execrace swap $T/t $T/good $T/bad 2 & $PROGS/execrace exec $T/t 2 $T/marker-native; wait"
		[ -s "$T/marker-native" ] && break
		cp "$T/good" "$T/t"
	done
	[ -s "$T/marker-native" ] || race_lost "the host script never ran natively (5 tries)"
	exec_jail_policy
	jt --policy "$T/policy" -- /bin/sh -c "$PROGS/execrace swap $T/t $T/good $T/bad 3 & $PROGS/execrace exec $T/t 3 $T/marker; wait"
	judge_race "$T/marker"
}

t_exec_jail_a_loader_rewritten_in_place_to_a_host_file_never_runs() {
	local off old new
	evil_loader
	[ "${#new}" = "${#old}" ] || fail "loader path of the wrong length: $new"
	for _ in 1 2 3 4 5; do	# a few tries: the patcher needs a CPU beside the exec
		native /bin/sh -c "$PROGS/execrace patch $T/t $off $old $new 2 & $PROGS/execrace exec $T/t 2 $T/marker-native; wait"
		[ -s "$T/marker-native" ] && break
	done
	[ -s "$T/marker-native" ] || race_lost "the rewritten loader never ran natively (5 tries)"
	exec_jail_policy
	jt --policy "$T/policy" -- /bin/sh -c "$PROGS/execrace patch $T/t $off $old $new 3 & $PROGS/execrace exec $T/t 3 $T/marker; wait"
	judge_race "$T/marker"
}

t_exec_jail_a_program_naming_a_loader_outside_the_view_does_not_run() {
	local off old new
	evil_loader
	"$PROGS/execrace" interp /bin/true "$T/bad" "$new" >/dev/null || fail "cannot patch the copy"
	native "$T/bad" "$T/marker-native"
	[ -s "$T/marker-native" ] || native_fail "the loader outside the view never ran natively"
	exec_jail_policy
	jt --policy "$T/policy" -- /bin/sh -c "$T/bad $T/marker; echo rc=\$?"
	[ ! -e "$T/marker" ] || fail "the loader outside the view ran inside"
	expect_out_line rc=127
}

t_exec_jail_a_thread_rewriting_the_path_handed_to_the_kernel_never_runs_another_file() {
	# the tracer writes the checked file's host path below the stack for the
	# kernel; a thread rewrites every copy of it it finds there (and flips the
	# program's own buffer, which is what reaches the kernel natively)
	printf '#!/bin/sh\necho evil >>"$1"\n' >"$JT_AUX/evil"
	chmod 755 "$JT_AUX/evil"
	cp /bin/true "$T/ok"
	ln -s "$JT_AUX/evil" "$T/ev"
	# execrace waits for the flipper before each exec, so natively about
	# half the tries run the host script; a few runs in case the host is slow
	for _ in 1 2 3 4 5; do
		native "$PROGS/execrace" scratch "$T/ok" "$T/ev" 2 "$T/marker-native"
		[ -s "$T/marker-native" ] && break
	done
	[ -s "$T/marker-native" ] || race_lost "the flipped path never ran the host script natively (5 tries)"
	exec_jail_policy
	jt --policy "$T/policy" -- "$PROGS/execrace" scratch "$T/ok" "$T/ev" 3 "$T/marker"
	judge_race "$T/marker"
}

# As root the program's user may not walk the host path of a granted
# program below a directory only root enters (/root, a 0700 TMPDIR): the
# tracer gives it the file it checked, to run by descriptor (fs.c,
# unreachable). As any other user the directory is the user's own.
t_a_granted_program_below_a_directory_only_its_owner_enters_runs_as_natively() {
	mkdir -m 700 "$T/own"
	mkdir "$T/own/bin"
	cp /bin/echo "$T/own/bin/e"
	printf '#!/bin/sh\necho script "$@"\n' >"$T/own/bin/s"
	chmod 755 "$T/own/bin/s"
	native /bin/sh -c "$T/own/bin/e elf; $T/own/bin/s args"
	[ "$(cat "$T/nout")" = "$(printf 'elf\nscript args')" ] || native_fail "natively: $(cat "$T/nout")"
	jt --ro "$T/own/bin:/opt/bin" -- /bin/sh -c "/opt/bin/e elf; exec /opt/bin/s args"
	expect_rc 0
	expect_out_line elf
	expect_out_line "script args"
	# each exec decided and recorded once, as it ran
	[ "$(log_calls '.name == "execve" and .decision == "allow"')" = 3 ] ||
		fail "execve records: $(log_select '.name == "execve"' | head -n 8)"
	# a file that is not the owner's to run stays so inside
	chmod 700 "$T/own/bin/e"
	[ "$(id -u)" = 0 ] || return 0
	jt --ro "$T/own/bin:/opt/bin" -- /bin/sh -c "/opt/bin/e x; echo rc=\$?"
	expect_out_line rc=126
}
