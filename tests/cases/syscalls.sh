# Forbidden system calls: each gets its documented errno (and a log record
# where documented) while natively the same call works or at least exists.

# forbidden_natively_not ERRNO CALL: control; natively CALL does not fail
# with ERRNO (so the errno seen inside comes from jailtrace).
forbidden_natively_not() {
	native "$PROGS/forbidden" "$2"
	grep -q "^$2: " "$T/nout" || native_fail "forbidden $2 printed nothing"
	! grep -qx "$2: $1" "$T/nout" || native_fail "$2 fails with $1 natively too"
}

# forbidden_natively_works CALL: control; natively CALL succeeds.
forbidden_natively_works() {
	native "$PROGS/forbidden" "$1"
	grep -qx "$1: ok" "$T/nout" || native_fail "$1 does not work natively"
}

# expect_denied CALL ERRNO SYSCALL [RULE]: inside, CALL fails with ERRNO
# and the log has a deny record for SYSCALL with that errno (and RULE).
expect_denied() {
	jt -- "$PROGS/forbidden" "$1"
	expect_rc 0
	expect_out_line "$1: $2"
	expect_log ".type == \"syscall\" and .name == \"$3\" and .decision == \"deny\" and .errno == \"$2\"
		${4:+and .rule == \"$4\"}"
}

# syslog is named by no rule: default deny, ENOSYS, and a record.
t_syslog_fails_with_ENOSYS_and_is_logged() {
	forbidden_natively_not ENOSYS syslog
	expect_denied syslog ENOSYS syslog default-deny
}

# acct is denied by a rule: EPERM in the kernel, without a stop.
t_acct_fails_with_EPERM() {
	forbidden_natively_not ENOSYS acct
	jt -- "$PROGS/forbidden" acct
	expect_out_line "acct: EPERM"
}

t_unshare_of_a_user_namespace_fails_with_EPERM() {
	forbidden_natively_works unshare-user
	jt -- "$PROGS/forbidden" unshare-user
	expect_out_line "unshare-user: EPERM"
}

t_clone3_fails_with_ENOSYS() {
	forbidden_natively_works clone3
	jt -- "$PROGS/forbidden" clone3
	expect_out_line "clone3: ENOSYS"
}

t_clone_with_a_new_namespace_flag_fails_with_EPERM_and_is_logged() {
	forbidden_natively_works clone-newuser
	expect_denied clone-newuser EPERM clone
}

t_untraced_clone_fails_with_EPERM_and_is_logged() {
	forbidden_natively_works clone-untraced
	expect_denied clone-untraced EPERM clone
}

t_tiocsti_fails_with_ENOTTY_and_is_logged() {
	forbidden_natively_not ENOTTY tiocsti
	expect_denied tiocsti ENOTTY ioctl
}

t_netlink_socket_fails_with_EAFNOSUPPORT_and_is_logged() {
	forbidden_natively_works socket-netlink
	expect_denied socket-netlink EAFNOSUPPORT socket
}

t_unix_socketpair_works_inside() {
	jt -- "$PROGS/forbidden" socketpair-unix
	expect_rc 0
	expect_out_line "socketpair-unix: ok"
}
