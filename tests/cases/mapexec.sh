# "Like a noexec mount": without `exec jail` a file the program wrote is
# not run by the loader on the command line, not loaded by dlopen/ctypes
# and not mapped or re-protected executable; anonymous executable memory
# (JITs) still works, and --exec-jail lets it all run.

# a_written DIR NAME: copies /bin/touch to DIR/NAME (a program the run "wrote")
LDSO=/lib64/ld-linux-x86-64.so.2

need_ldso() {
	[ -x "$LDSO" ] || skip "no $LDSO on this host"
}

t_noexec_mount_natively_fails_the_loader_on_the_command_line() {
	need_ldso
	# what jailtrace imitates, shown where the host allows a mount (root)
	mkdir "$T/nx"
	mount -t tmpfs -o noexec,size=8m none "$T/nx" 2>/dev/null || skip "cannot mount a noexec tmpfs here (not root)"
	cp /bin/touch "$T/nx/touch"
	"$LDSO" "$T/nx/touch" "$T/nx/ran" 2>"$T/nerr"
	rc=$?
	[ -e "$T/nx/ran" ] && ran=1 || ran=0
	umount "$T/nx"
	[ "$ran" = 0 ] && [ "$rc" != 0 ] || fail "the loader ran a file of a noexec mount (rc $rc)"
	grep -q 'failed to map segment' "$T/nerr" || fail "expected 'failed to map segment' natively: $(head -c 300 "$T/nerr")"
}

t_loader_on_the_command_line_does_not_run_a_written_file() {
	need_ldso
	# native control: on a normal directory the loader runs it
	cp /bin/touch "$T/ntouch"
	native "$LDSO" "$T/ntouch" "$T/native-ran"
	[ -e "$T/native-ran" ] || native_fail "ld.so ./touch did not run natively"
	mkdir "$T/w"
	jt -- /bin/sh -c "cp /bin/touch $T/w/touch && $LDSO $T/w/touch $T/w/ran; echo rc=\$?"
	expect_rc 0
	[ ! -e "$T/w/ran" ] || fail "the loader ran a file the program wrote: $T/w/ran exists"
	grep -q 'failed to map segment' "$T/out" "$T/err" || fail "expected the loader's 'failed to map segment'"
	expect_log '.type == "syscall" and .name == "mmap" and .decision == "deny" and .errno == "EPERM" and .rule == "builtin:exec-written-map"'
	# and in the jail proper (/work, /tmp), not only a --rw grant
	jt --jail "$T/jail" -- /bin/sh -c "cp /bin/touch /tmp/touch && $LDSO /tmp/touch /tmp/ran; cp /bin/touch /work/touch && $LDSO /work/touch /work/ran; true"
	expect_rc 0
	[ -z "$(find "$T/jail" -name ran)" ] || fail "the loader ran a written file in the jail: $(find "$T/jail" -name ran)"
}

# a library whose constructor leaves a mark at $1 when it is loaded
marker_lib() {
	command -v gcc >/dev/null || skip "no gcc to build a shared library"
	printf '#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void mark(void) { close(open("%s", O_WRONLY|O_CREAT, 0600)); }\n' "$1" >"$T/mark.c"
	gcc -shared -fPIC -o "$2" "$T/mark.c" || skip "gcc cannot build a shared library here"
}

t_ctypes_does_not_load_a_written_library() {
	command -v python3 >/dev/null || skip "no python3"
	marker_lib "$T/native-loaded" "$T/native.so"
	native python3 -c "import ctypes; ctypes.CDLL('$T/native.so')"
	[ -e "$T/native-loaded" ] || native_fail "ctypes did not load a written library natively"
	marker_lib "$T/loaded" "$T/lib.so"
	mkdir "$T/w"
	jt -- /bin/sh -c "cp $T/lib.so $T/w/lib.so && python3 -c \"import ctypes; ctypes.CDLL('$T/w/lib.so')\""
	[ ! -e "$T/loaded" ] || fail "a library the program wrote was loaded: its constructor ran"
	grep -q 'failed to map segment' "$T/err" || fail "expected ctypes' 'failed to map segment': $(head -c 300 "$T/err")"
	# a read-only grant's library loads as before
	jt --ro "$T/lib.so" -- python3 -c "import ctypes; ctypes.CDLL('$T/lib.so')"
	expect_rc 0
	[ -e "$T/loaded" ] || fail "a library from a read-only grant did not load"
}

# expect_mapexec FILE: mapexec's lines as a noexec mount gives them
expect_noexec_lines() {
	expect_out_line "mmap-exec EPERM"
	expect_out_line "mprotect-exec EACCES"
	expect_out_line "pkey-exec EACCES"
	expect_out_line "anon-exec ok"
	expect_out_line "jit ran"
}

t_mmap_and_mprotect_exec_of_a_written_file_fail_as_on_noexec() {
	cp /bin/true "$T/ntrue"
	native "$PROGS/mapexec" "$T/ntrue"
	for l in "mmap-exec ok" "mprotect-exec ok" "anon-exec ok" "jit ran"; do
		grep -qx "$l" "$T/nout" || native_fail "natively: no line '$l'"
	done
	grep -qx "pkey-exec ok" "$T/nout" || skip "no pkey_mprotect here: $(grep pkey "$T/nout")"
	jt -- /bin/sh -c "cp /bin/true /work/w && $PROGS/mapexec /work/w"
	expect_rc 0
	expect_noexec_lines
	expect_log '.type == "syscall" and .name == "mprotect" and .errno == "EACCES" and .rule == "builtin:exec-written-map"'
	expect_log '.type == "syscall" and .name == "pkey_mprotect" and .errno == "EACCES"'
	# an unlinked written file is still one
	jt -- /bin/sh -c "cp /bin/true /tmp/w && exec 3</tmp/w && rm /tmp/w && $PROGS/mapexec - <&3"
	expect_noexec_lines
	# a host file of a read-only grant maps as natively
	jt -- "$PROGS/mapexec" /bin/true
	for l in "mmap-exec ok" "mprotect-exec ok" "pkey-exec ok" "anon-exec ok"; do expect_out_line "$l"; done
}

t_mmap_exec_of_a_written_file_fails_for_i386_too() {
	needs_i386_programs
	"$PROGS/mapexec32" /bin/true >"$T/nout" 2>&1 || native_fail "mapexec32 fails natively"
	grep -qx "old-mmap-exec ok" "$T/nout" || native_fail "the old mmap did not map natively: $(cat "$T/nout")"
	jt -- /bin/sh -c "cp /bin/true /work/w && $PROGS/mapexec32 /work/w"
	expect_rc 0
	expect_noexec_lines
	# its arguments are in memory another thread may rewrite: refused
	expect_out_line "old-mmap-exec ENOSYS"
	expect_log '.type == "syscall" and .abi == "i386" and .name == "mmap2" and .errno == "EPERM"'
}

t_exec_jail_flag_lets_written_files_run_and_map() {
	need_ldso
	jt --exec-jail -- /bin/sh -c "cp /bin/touch $T/touch && $LDSO $T/touch $T/ran && cp /bin/true /work/w && $PROGS/mapexec /work/w"
	expect_rc 0
	[ -e "$T/ran" ] || fail "--exec-jail: the loader did not run the written file"
	expect_out_line "mmap-exec ok"
	expect_out_line "mprotect-exec ok"
	jt --exec-jail -- /bin/sh -c "cp /bin/true /work/t && /work/t"
	expect_rc 0
}

t_a_jit_still_runs_under_the_default() {
	command -v node >/dev/null || skip "no node"
	native node -e 'let s = 0; for (let i = 0; i < 1e6; i++) s += i; console.log(s)'
	grep -qx 499999500000 "$T/nout" || native_fail "node did not run natively"
	jt -- node -e 'let s = 0; for (let i = 0; i < 1e6; i++) s += i; console.log(s)'
	expect_rc 0
	expect_out_line 499999500000
}

t_read_implies_exec_does_not_make_a_written_file_executable() {
	tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)
	# native control: with READ_IMPLIES_EXEC a PROT_READ mapping is executable
	cp /bin/true "$T/ntrue"
	native /usr/bin/python3 "$tools/rie.py" "$T/ntrue"
	grep -qx exec "$T/nout" || native_fail "READ_IMPLIES_EXEC did not make the mapping executable natively"
	jt --ro "$tools" -- /bin/sh -c "cp /bin/true /work/w && /usr/bin/python3 $tools/rie.py /work/w"
	expect_rc 0
	expect_out_line "personality EPERM"
	expect_out_line "noexec"
	expect_log '.type == "syscall" and .name == "personality" and .errno == "EPERM" and .rule == "builtin:read-implies-exec"'
	jt --ro "$tools" --exec-jail -- /bin/sh -c "cp /bin/true /work/w && /usr/bin/python3 $tools/rie.py /work/w"
	expect_out_line "personality ok"
}
