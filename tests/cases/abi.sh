# The i386 ABI on x86_64: 32-bit programs (built with gcc -m32) and
# `int 0x80` from 64-bit code go through the same policy as 64-bit calls:
# the same view, network rules and log, with the ABI named in each record,
# and a policy can refuse the ABI outright. Each attack is shown working
# natively, then judged from the host side.

secret() {
	echo "TOPSECRET-$$" >"$1"
	chmod 644 "$1"
}


# ---------------------------------------------------------------- 32-bit programs

t_a_32bit_program_cannot_read_a_host_file_outside_the_view() {
	needs_i386_programs
	secret "$JT_AUX/secret"
	native "$PROGS/escape32" read "$JT_AUX/secret"
	grep -q TOPSECRET "$T/nout" || native_fail "the 32-bit program cannot read the file natively"
	jt -- "$PROGS/escape32" read "$JT_AUX/secret"
	expect_out_line "read: ENOENT"
	expect_no_out TOPSECRET
	expect_log ".type == \"syscall\" and .abi == \"i386\" and .decision == \"deny\" and .rule == \"builtin:not-in-view\"
		and .facts.path == \"$JT_AUX/secret\""
}

t_a_32bit_program_cannot_create_a_host_file() {
	needs_i386_programs
	native "$PROGS/escape32" create "$JT_AUX/made-natively"
	[ -f "$JT_AUX/made-natively" ] || native_fail "the 32-bit program cannot create the file natively"
	jt -- "$PROGS/escape32" create "$JT_AUX/made-inside"
	expect_out_line "create: ENOENT"
	[ -e "$JT_AUX/made-inside" ] && fail "the 32-bit program created a host file"
	expect_log '.abi == "i386" and .decision == "deny" and .errno == "ENOENT"'
}

t_a_32bit_program_cannot_reach_a_loopback_listener_without_a_rule() {
	needs_i386_programs
	listen l tcp 127.0.0.1
	native "$PROGS/netprobe32" connect 127.0.0.1 "$(port l)"
	caught_up l
	grep -qx "connect: ok" "$T/nout" && reached l ||
		native_fail "the 32-bit program does not reach the listener natively"
	forget l
	jt -- "$PROGS/netprobe32" connect 127.0.0.1 "$(port l)"
	expect_out_line "connect: ECONNREFUSED"
	caught_up l
	reached l && fail "the 32-bit program reached the host listener: $(cat "$JT_AUX/l.rec")"
	# libc's i386 connect is socketcall(SYS_CONNECT): decided as the connect it carries
	expect_log ".abi == \"i386\" and .nr == 102 and .name == \"connect\" and .decision == \"deny\"
		and .facts.addr == \"tcp 127.0.0.1:$(port l)\""
}

t_a_32bit_program_reaches_a_granted_listener() {
	needs_i386_programs
	listen l tcp 127.0.0.1
	jt --allow-net "127.0.0.1:$(port l)" -- "$PROGS/netprobe32" connect 127.0.0.1 "$(port l)"
	expect_out_line "connect: ok"
	caught_up l
	reached l || fail "the granted listener was not reached"
}

t_a_32bit_programs_ordinary_work_gives_the_same_output_inside_as_natively() {
	needs_i386_programs
	mkdir "$T/native" "$T/inside"
	native "$PROGS/work32" "$T/native"
	[ "$NRC" = 0 ] || native_fail "work32 fails natively"
	jt -- "$PROGS/work32" "$T/inside"
	expect_rc 0
	diff "$T/nout" "$T/out" >"$T/diff" || fail "inside, work32 printed something else: $(cat "$T/diff")"
	# the steps that matter, spelled out
	expect_out_line "read back: hello, 32 bits"
	expect_out_line "stat64 agrees with stat: yes (size 15 mode 100644 nlink 1)"
	expect_out_line "statfs64 agrees: yes"
	expect_out_line "mtime 1100000002.700"
	expect_out_line "bound name is the path: yes"
	expect_out_line "child exit 7"
	expect_out_line "hello from a 32-bit exec"
	# what the tracer performed was recorded as i386 calls
	expect_log '.type == "syscall" and .abi == "i386" and .name == "stat64" and .decision == "allow"'
	expect_log '.type == "syscall" and .abi == "i386" and .name == "execve" and .decision == "allow"'
}

t_a_32bit_program_a_64bit_one_starts_works_with_each_of_its_calls_decided() {
	needs_i386_programs
	mkdir "$T/native" "$T/inside"
	native /bin/sh -c '"$1" "$2"' sh "$PROGS/work32" "$T/native"
	[ "$NRC" = 0 ] || native_fail "work32 fails natively under sh"
	# the run starts a 64-bit shell: its seccomp program has no i386 rules
	jt -- /bin/sh -c '"$1" "$2"' sh "$PROGS/work32" "$T/inside"
	expect_rc 0
	diff "$T/nout" "$T/out" >"$T/diff" || fail "inside, work32 printed something else: $(cat "$T/diff")"
	expect_out_line "hello from a 32-bit exec"
	expect_log '.type == "syscall" and .abi == "i386" and .name == "execve" and .decision == "allow"'
}

t_a_32bit_call_whose_layout_the_tracer_does_not_write_is_refused_not_answered_in_64bit() {
	needs_i386_programs
	# i386's old stat (nr 106) has a struct stat the tracer does not translate:
	# refused, never answered with x86_64's larger struct stat
	echo 12345 >"$T/file"
	native "$PROGS/escape32" oldstat "$T/file"
	grep -qx "oldstat: ok 6" "$T/nout" || native_fail "the old stat does not work natively"
	jt -- "$PROGS/escape32" oldstat "$T/file"
	expect_out_line "oldstat: ENOSYS"
	expect_log '.abi == "i386" and .name == "stat" and .decision == "deny" and .rule == "builtin:abi-layout-not-handled"'
}

# ---------------------------------------------------------------- int 0x80 from 64-bit code

t_int80_from_64bit_code_cannot_read_a_host_file_outside_the_view() {
	needs_int80
	secret "$JT_AUX/secret"
	native "$PROGS/int80probe" read "$JT_AUX/secret"
	grep -q TOPSECRET "$T/nout" || native_fail "int 0x80 cannot read the file natively"
	jt -- "$PROGS/int80probe" read "$JT_AUX/secret"
	expect_no_out TOPSECRET
	grep -qx "read: -[0-9]*" "$T/out" || fail "the int 0x80 open did not fail"
	expect_log '.type == "syscall" and .abi == "i386" and .name == "open" and .decision == "deny"'
}

t_int80_from_64bit_code_cannot_create_a_host_file() {
	needs_int80
	native "$PROGS/int80probe" create "$JT_AUX/made-natively"
	[ -f "$JT_AUX/made-natively" ] || native_fail "int 0x80 cannot create the file natively"
	jt -- "$PROGS/int80probe" create "$JT_AUX/made-inside"
	[ -e "$JT_AUX/made-inside" ] && fail "int 0x80 created a host file"
	expect_log '.abi == "i386" and .name == "creat" and .decision == "deny"'
}

t_int80_from_64bit_code_cannot_reach_a_loopback_listener() {
	needs_int80
	listen l tcp 127.0.0.1
	native "$PROGS/int80probe" connect 127.0.0.1 "$(port l)"
	caught_up l
	grep -qx "connect: ok" "$T/nout" && reached l ||
		native_fail "int 0x80 socketcall does not reach the listener natively"
	forget l
	jt -- "$PROGS/int80probe" connect 127.0.0.1 "$(port l)"
	expect_out_line "connect: -111"
	caught_up l
	reached l && fail "int 0x80 reached the host listener: $(cat "$JT_AUX/l.rec")"
	expect_log ".abi == \"i386\" and .name == \"connect\" and .facts.addr == \"tcp 127.0.0.1:$(port l)\""
}

t_int80_from_64bit_code_does_ordinary_work_in_the_jail() {
	needs_int80
	mkdir "$T/native" "$T/inside"
	native "$PROGS/int80probe" work "$T/native"
	[ "$NRC" = 0 ] && ! grep -q ": -" "$T/nout" || native_fail "int80probe work fails natively"
	jt -- "$PROGS/int80probe" work "$T/inside"
	expect_rc 0
	diff "$T/nout" "$T/out" >"$T/diff" || fail "inside, int80probe printed something else: $(cat "$T/diff")"
	expect_out_line "readlink: target-text"
	expect_log '.abi == "i386" and .name == "symlink" and .decision == "allow"'
}

t_int80_from_64bit_code_opens_nothing_it_cannot_hand_over() {
	needs_int80
	# a new descriptor is handed over through memory below the stack, which an
	# i386 call cannot address from a 64-bit stack: refused before anything is done
	jt -- "$PROGS/int80probe" create "$T/new"
	expect_out_line "create: -38"
	[ -e "$T/new" ] && fail "the refused creat created the file"
	expect_log '.abi == "i386" and .name == "creat" and .rule == "builtin:no-handover-below-4g"'
}

t_int80_getpid_and_write_run_and_their_text_arrives() {
	needs_int80
	native "$PROGS/int80"
	grep -qx 'int80 getpid: ok' "$T/nout" && grep -qx 'int80-write-reached-fd1' "$T/nout" ||
		native_fail "int 0x80 system calls do not work natively"
	jt -- "$PROGS/int80"
	expect_rc 0
	expect_out_line "int80 getpid: ok"
	expect_out_line "int80-write-reached-fd1"
	expect_out_line "int80 write: 24"
}

# ---------------------------------------------------------------- refusing the ABI

t_a_policy_can_refuse_the_i386_abi_outright() {
	needs_i386_programs
	needs_int80
	printf 'include default\nabi i386 deny\n' >"$T/no32.policy"
	mkdir "$T/inside"
	jt --policy "$T/no32.policy" -- "$PROGS/work32" "$T/inside"
	[ "$RC" = 0 ] && fail "the 32-bit program ran to its end"
	expect_no_out "mkdir: ok"
	[ -e "$T/inside/d" ] && fail "the 32-bit program made a directory"
	expect_log ".type == \"syscall\" and .abi == \"i386\" and .decision == \"deny\" and .errno == \"ENOSYS\"
		and .rule == \"$T/no32.policy:2\""
	jt --policy "$T/no32.policy" -- "$PROGS/int80"
	expect_rc 0
	expect_no_out int80-write-reached-fd1
	expect_out_line "int80 getpid: -38"
	expect_out_line "int80 write: -38"
	# the 64-bit program itself is unaffected
	jt --policy "$T/no32.policy" -- /bin/sh -c 'echo still-64'
	expect_out_line still-64
}

t_a_policy_that_refuses_the_native_abi_or_allows_x32_is_an_error() {
	# (the native ABI is the machine's: x86_64, or aarch64 in the arm64 VM)
	printf 'include default\nabi %s deny\n' "$(uname -m)" >"$T/bad.policy"
	jt --policy "$T/bad.policy" -- /bin/true
	expect_rc 125
	grep -q "bad.policy:2: the native ABI" "$T/err" || fail "no clear message: $(cat "$T/err")"
	printf 'include default\nabi x32 allow\n' >"$T/bad.policy"
	jt --policy "$T/bad.policy" -- /bin/true
	expect_rc 125
	grep -q "bad.policy:2: calls through x32 are not handled" "$T/err" || fail "no clear message: $(cat "$T/err")"
}
