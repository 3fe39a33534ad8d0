# The program's own seccomp filters (issue 15). When two filters return
# SECCOMP_RET_TRACE the kernel reports the newest one's data, so a filter
# of the program's could name any ABI for any call where the tracer reads
# the ABI from that data (no PTRACE_GET_SYSCALL_INFO: kernels before 5.3,
# the legacy pass). There the program may add none (EINVAL, logged as
# builtin:own-seccomp-filter); where the kernel itself says which call
# stopped (syscall_info, and the noseccomp pass's entry stops) its filters
# are installed and every call is decided as what it is. Either way a host
# file outside the view is neither read nor written, judged from the host.

# ownfilter's filters name x86_64's calls and ABIs (open, creat, int 0x80,
# x32): it is built for x86_64 only (GNUmakefile X86_ONLY_PROGS)
[ -x "$PROGS/ownfilter" ] || skip "no ownfilter here: its filters are x86_64's, this is $(uname -m)"

# own_filters_refused: the run whose log is $T/log.jsonl read the ABI from
# the filter's data (seccomp stops, registers), where own filters are refused.
own_filters_refused() {
	[ "$(head -n 1 "$T/log.jsonl" | jq -r '.mechanism.stops + "/" + .mechanism.syscall_info')" = seccomp/registers ]
}

# root_only FILE: a secret only its owner may read, outside every grant.
root_only() {
	echo "TOPSECRET-$$" >"$1"
	chmod 600 "$1"
}

# spoof_native_control HOW WHAT: natively the program reads the secret and
# writes a host file (without a filter), and its filter installs.
spoof_native_control() {
	root_only "$JT_AUX/secret"
	native "$PROGS/ownfilter" none "$2" "$JT_AUX/secret" "$JT_AUX/natively"
	if [ "$2" = native ] && grep -qx 'read: -38' "$T/nout"; then
		skip "int 0x80 from 64-bit code is not available on this kernel (ENOSYS natively)"
	fi
	if [ "$2" = x32 ] && grep -qx 'read: -38' "$T/nout"; then
		skip "x32 calls are not available on this kernel (ENOSYS natively)"
	fi
	grep -q TOPSECRET "$T/nout" || native_fail "the secret is not readable natively"
	grep -q PWNED "$JT_AUX/natively" 2>/dev/null || native_fail "the host file is not written natively"
	native "$PROGS/ownfilter" "$1" "$2" "$JT_AUX/secret" "$JT_AUX/natively2"
	grep -qx 'filter: installed' "$T/nout" || native_fail "the $1 $2 filter does not install natively"
}

# spoof_inside HOW WHAT: the same program with its filter, inside. Nothing of
# the host is read or written; the log says why.
spoof_inside() {
	jt -- "$PROGS/ownfilter" "$1" "$2" "$JT_AUX/secret" "$JT_AUX/inside"
	expect_rc 0
	expect_no_out TOPSECRET
	grep -q '^read: -' "$T/out" || fail "the open of the secret did not fail"
	[ -e "$JT_AUX/inside" ] && fail "a host file outside the view was created"
	check_log_lines "$T/log.jsonl" || fail "the log is malformed"
	local name=seccomp
	[ "$1" = prctl ] && name=prctl
	if own_filters_refused; then
		expect_out_line 'filter: refused EINVAL'
		expect_log ".type == \"syscall\" and .name == \"$name\" and .decision == \"deny\" and .errno == \"EINVAL\" and .rule == \"builtin:own-seccomp-filter\"" \
			"the refusal of the program's filter"
	else
		expect_out_line 'filter: installed'
	fi
}

# the opens are recorded as what they are: the marker did not rename them
expect_opens_decided_as_themselves() {
	own_filters_refused && return 0
	case $1 in
	native) expect_log '.type == "syscall" and .abi == "i386" and .name == "open" and .decision == "deny"' ;;
	*) expect_log '.type == "syscall" and .abi == "x86_64" and .name == "openat" and .decision == "deny"' ;;
	esac
}

t_own_filter_with_the_i386_marker_cannot_open_a_host_file() {
	local how
	for how in seccomp prctl tsync; do
		rm -f "$JT_AUX"/natively* "$JT_AUX/inside"
		spoof_native_control "$how" i386
		spoof_inside "$how" i386
		expect_opens_decided_as_themselves i386
	done
}

t_own_filter_with_the_unlisted_abi_marker_cannot_open_a_host_file() {
	spoof_native_control seccomp badarch
	spoof_inside seccomp badarch
	expect_opens_decided_as_themselves badarch
}

t_own_filter_with_data_naming_another_call_cannot_open_a_host_file() {
	spoof_native_control prctl other
	spoof_inside prctl other
	expect_opens_decided_as_themselves other
}

# Every x86_64 call (but write and exit_group) stops with the i386 marker,
# calls the tracer's filter allows in the kernel too: each is decided as
# what it is, none allowed blindly.
t_own_filter_that_stops_every_call_cannot_open_a_host_file() {
	spoof_native_control seccomp all
	jt -- "$PROGS/ownfilter" seccomp all "$JT_AUX/secret" "$JT_AUX/inside"
	expect_no_out TOPSECRET
	[ -e "$JT_AUX/inside" ] && fail "a host file outside the view was created"
	expect_rc 0
	grep -q '^read: -' "$T/out" || fail "the open of the secret did not fail"
	if own_filters_refused; then
		expect_out_line 'filter: refused EINVAL'
	else
		expect_out_line 'filter: installed'
		expect_opens_decided_as_themselves all
	fi
}

# The reverse: i386 calls (int 0x80 from 64-bit code) stop with the native
# marker, so that i386 open (5) would be read as x86_64 fstat (5).
t_own_filter_with_the_native_marker_cannot_open_a_host_file_through_int80() {
	spoof_native_control seccomp native
	spoof_inside seccomp native
	expect_opens_decided_as_themselves native
}

# x32 calls (x86_64's arch, the x32 bit in the number) with the i386 marker:
# the number keeps its bit, so they stay x32 calls, which are refused.
t_own_filter_with_the_i386_marker_on_x32_calls_cannot_open_a_host_file() {
	spoof_native_control seccomp x32
	spoof_inside seccomp x32
	own_filters_refused || expect_log '.type == "syscall" and .abi == "x32" and .decision == "deny"'
}

# Precedence: TRAP outranks jailtrace's TRACE, so the opens never run and
# the program's handler gets SIGSYS for each, inside as natively (without a
# filter of jailtrace's, the tracer answers first, at the entry stop).
t_own_filter_that_traps_the_opens_reads_nothing() {
	spoof_native_control seccomp trap
	grep -qx 'sigsys: 2' "$T/nout" || native_fail "the opens did not raise SIGSYS natively"
	jt -- "$PROGS/ownfilter" seccomp trap "$JT_AUX/secret" "$JT_AUX/inside"
	expect_rc 0
	expect_no_out TOPSECRET
	[ -e "$JT_AUX/inside" ] && fail "a host file outside the view was created"
	if own_filters_refused; then
		expect_out_line 'filter: refused EINVAL'
	elif [ "$(head -n 1 "$T/log.jsonl" | jq -r .mechanism.stops)" = ptrace_syscall ]; then
		expect_out_line 'read: -2'
	else
		expect_out_line 'sigsys: 2'
	fi
}

# A user-notification filter outranks SECCOMP_RET_TRACE, and its supervisor
# (a thread of the program) could let the open run unseen: refused everywhere.
t_own_filter_with_a_listener_is_refused_on_every_path() {
	root_only "$JT_AUX/secret"
	native "$PROGS/ownfilter" listener notif "$JT_AUX/secret" "$JT_AUX/natively"
	grep -qx 'filter: installed' "$T/nout" || skip "no seccomp user notification here: $(head -n 1 "$T/nout")"
	grep -q TOPSECRET "$T/nout" || native_fail "the supervisor's CONTINUE did not let the open run natively"
	jt -- "$PROGS/ownfilter" listener notif "$JT_AUX/secret" "$JT_AUX/inside"
	expect_rc 0
	expect_no_out TOPSECRET
	[ -e "$JT_AUX/inside" ] && fail "a host file outside the view was created"
	expect_out_line 'filter: refused EPERM'
	expect_log '.type == "syscall" and .name == "seccomp" and .decision == "deny" and .rule == "builtin:forbidden-flags"'
}

# Strict mode: under jailtrace's filter the kernel refuses it itself (a task
# in filter mode cannot switch); without a filter it only narrows the program.
t_own_strict_mode_neither_hangs_nor_escapes() {
	native "$PROGS/ownfilter" strict x x x
	grep -qx 'strict: alive' "$T/nout" || native_fail "strict mode does not work natively"
	jt -- "$PROGS/ownfilter" strict x x x
	expect_rc 0
	if [ "$(head -n 1 "$T/log.jsonl" | jq -r .mechanism.stops)" = ptrace_syscall ]; then
		expect_out_line 'strict: alive'
	else
		expect_out_line 'filter: refused EINVAL'
	fi
}

# Usefulness: an ordinary filter (one unrelated call fails with E2BIG) is
# kept where the tracer reads the call from the kernel, and the program's
# files in the view work beside it; where it is refused the program goes on.
t_program_with_an_ordinary_filter_of_its_own_works() {
	echo "granted-$$" >"$T/granted"
	native "$PROGS/ownfilter" seccomp errno "$T/granted" "$T/written-natively"
	grep -qx 'getppid: E2BIG' "$T/nout" || native_fail "the filter does not work natively"
	jt -- "$PROGS/ownfilter" seccomp errno "$T/granted" "$T/written"
	expect_rc 0
	expect_out_line "read: granted-$$"
	expect_out_line 'write: 0'
	grep -qx PWNED "$T/written" || fail "the file in the jail was not written"
	if own_filters_refused; then
		expect_out_line 'filter: refused EINVAL'
		grep -qx 'getppid: [0-9]*' "$T/out" || fail "getppid failed without the filter"
		expect_log '.type == "syscall" and .name == "seccomp" and .rule == "builtin:own-seccomp-filter"'
	else
		expect_out_line 'filter: installed'
		expect_out_line 'getppid: E2BIG'
	fi
}

# A filter that sends every call to the tracer: a shell that forks, pipes
# and execs under it reads its granted file and nothing outside the view.
t_program_whose_filter_stops_every_call_runs_correctly() {
	echo "granted-$$" >"$T/granted"
	root_only "$JT_AUX/secret"
	jt -- "$PROGS/ownfilter" seccomp all --exec /bin/sh -c \
		'cat "$0/granted" | tr a-z A-Z; echo sub-$(echo shell); cat "$1"; echo made >"$1.new"; echo done' \
		"$T" "$JT_AUX/secret"
	[ -e "$JT_AUX/secret.new" ] && fail "a host file outside the view was created"
	expect_no_out TOPSECRET
	if [ "$(head -n 1 "$T/log.jsonl" | jq -r .mechanism.stops)" = ptrace_syscall ]; then
		return 0	# without a filter of jailtrace's: ENOSYS for every call, as natively
	fi
	expect_rc 0
	expect_out_line "GRANTED-$$"
	expect_out_line sub-shell
	expect_out_line done
	if ! own_filters_refused; then
		expect_out_line 'filter: installed'
		expect_log '.type == "syscall" and .name == "openat" and .decision == "deny"'
	fi
}
