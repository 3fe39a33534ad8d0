# Descriptors: the program starts with 0, 1 and 2 only; whatever jailtrace
# inherited (a secret file) or opened itself (the log) stays outside.

t_inherited_descriptor_is_not_readable_inside() {
	echo TOPSECRET-4242 >"$T/secret"
	exec 7<"$T/secret"
	native "$PROGS/fdprobe"
	grep -qx 'fd 7 read: TOPSECRET-4242' "$T/nout" || native_fail "fd 7 is not readable natively"
	exec 7<"$T/secret"
	jt -- "$PROGS/fdprobe"
	expect_rc 0
	expect_no_out TOPSECRET
	expect_no_out "fd 7 "
}

# Besides 0, 1 and 2 the program holds one descriptor: the socket through
# which jailtrace hands it the files it opens for it (docs/design.md).
t_program_starts_with_descriptors_0_1_2_and_the_handover_socket_only() {
	exec 8</dev/null
	native "$PROGS/fdprobe"
	grep -qx 'fd 8 open' "$T/nout" || native_fail "fd 8 is not inherited natively"
	jt -- /bin/sh -c "exec $PROGS/fdprobe; "
	expect_rc 0
	expect_out_line "open fds above 2: 1"
	expect_out_line "fd 1023 open"
	jt -- /bin/sh -c 'readlink /proc/self/fd/1023 2>/dev/null || ls -l /dev/null >/dev/null; exec 2>&-; echo ok'
	expect_out_line ok
}
