# No new privileges: the program runs with NO_NEW_PRIVS, so exec of a
# setuid-root binary gives it nothing. Judged from the host, in
# /proc/PID/status of the very processes.

t_no_new_privs_is_set_inside() {
	native /bin/grep '^NoNewPrivs:' /proc/self/status
	grep -qx 'NoNewPrivs:[[:space:]]*0' "$T/nout" || native_fail "the test runs with NO_NEW_PRIVS already"
	jt -- /bin/grep '^NoNewPrivs:' /proc/self/status
	expect_rc 0
	grep -qx 'NoNewPrivs:[[:space:]]*1' "$T/out" || fail "NO_NEW_PRIVS is not set inside: $(cat "$T/out")"
}

# su_pid: the pid of the su process whose command line holds $T.
su_pid() {
	local p
	for p in $(survivors); do
		[ "$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -n 1)" = /usr/bin/su ] && { echo "$p"; return 0; }
	done
	return 1
}
su_waiting() { SU=$(su_pid) && grep -q '^Uid:' "/proc/$SU/status"; }
# euid_of PID: the effective uid (second field of the Uid: line).
euid_of() { awk '$1 == "Uid:" { print $3 }' "/proc/$1/status"; }

t_setuid_root_su_gains_no_root_inside() {
	[ "$(id -u)" != 0 ] || skip "as root nothing is gained from setuid root"
	[ "$(stat -c '%u %A' /usr/bin/su 2>/dev/null | cut -c 1,6)" = "0s" ] ||
		skip "/usr/bin/su is not setuid root here"
	# native control: su runs as root (euid 0) while it waits for the password
	(sleep 4 | /usr/bin/su -c "touch $T/made-by-root" root >/dev/null 2>&1) &
	wait_until 3 su_waiting || native_fail "su did not start natively"
	e=$(euid_of "$SU")
	kill -KILL "$SU"
	[ "$e" = 0 ] || native_fail "natively su ran with euid $e, not 0"
	wait
	# inside: the same su, with the PAM configuration it needs granted, so it
	# gets as far as asking for the password
	jt_bg --timeout 8s --ro /etc/pam.d --ro /etc/security --ro /etc/login.defs -- \
		/bin/sh -c "sleep 4 | /usr/bin/su -c 'touch $T/made-by-root' root"
	wait_until 5 su_waiting || { kill -KILL "$JT_PID"; fail "su did not start inside (cannot judge)"; }
	uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$SU/status")
	nnp=$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$SU/status")
	kill -KILL "$SU"
	jt_wait
	me=$(id -u)
	[ "$uids" = "$me $me $me $me" ] || fail "su inside ran with uids $uids (real, effective, saved, fs)"
	[ "$nnp" = 1 ] || fail "su inside has NoNewPrivs $nnp"
	[ ! -e "$T/made-by-root" ] || fail "a file was made: $(stat -c '%U %n' "$T/made-by-root")"
}
