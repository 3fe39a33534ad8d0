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

# pid_of PROG: the pid of the PROG process whose command line holds $T.
pid_of() {
	local p
	for p in $(survivors); do
		[ "$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -n 1)" = "$1" ] && { echo "$p"; return 0; }
	done
	return 1
}
su_waiting() { SU=$(pid_of /usr/bin/su) && grep -q '^Uid:' "/proc/$SU/status"; }
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

sh_running() { SH=$(pid_of /bin/sh); }
# caps_of PID: its capability sets, one line
caps_of() { awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ { printf "%s%s ", $1, $2 }' "/proc/$1/status"; }

t_root_inside_holds_no_capability_even_in_its_bounding_set() {
	[ "$(id -u)" = 0 ] || skip "only root has capabilities to lose"
	# native control: a root shell started the same way has them all
	(/bin/sh -c "/bin/sleep 3; : $T") &
	wait_until 2 sh_running || native_fail "the shell did not start natively"
	c=$(caps_of "$SH")
	kill -KILL "$SH"
	wait
	case "$c" in *"CapEff:0000000000000000"* | *"CapBnd:0000000000000000"*)
		native_fail "natively root already lacks capabilities: $c" ;; esac
	# inside: the program, after its exec, has none left to use or regain
	jt_bg -- /bin/sh -c "/bin/sleep 3; : $T"
	wait_until 3 sh_running || { kill -KILL "$JT_PID"; fail "the shell did not start inside"; }
	c=$(caps_of "$SH")
	kill -KILL "$SH"
	jt_wait
	want="CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 "
	[ "$c" = "$want" ] || fail "capabilities inside: $c"
}
