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
	[ "$(stat -c '%u %A' /usr/bin/su 2>/dev/null | cut -c 1,6)" = "0s" ] ||
		skip "/usr/bin/su is not setuid root here"
	# native control: run by a user who is not root (as root: the sandbox
	# user's uid), su runs as root (euid 0) while it waits for the password
	local ids as=()
	ids=$(sandbox_ids)
	[ "$(id -u)" = 0 ] && as=(setpriv --reuid "${ids%%:*}" --regid "${ids#*:}" --clear-groups)
	# su waits for the password until its input ends: the sleep feeding it
	# lasts until the test has looked (and is then killed with su)
	(sleep 50 | "${as[@]}" /usr/bin/su -c "touch $T/made-by-root" root >/dev/null 2>&1) &
	sub=$!
	wait_until 10 su_waiting || native_fail "su did not start natively"
	e=$(euid_of "$SU")
	kill -KILL "$SU"
	pkill -KILL -P "$sub" -x sleep
	wait
	[ "$e" = 0 ] || native_fail "natively su ran with euid $e, not 0"
	# inside: the same su, with the PAM configuration it needs granted, so it
	# gets as far as asking for the password; SIGTERM to jailtrace ends the
	# sleep once the test has looked
	jt_bg --timeout 60s --ro /etc/pam.d --ro /etc/security --ro /etc/login.defs -- \
		/bin/sh -c "sleep 50 | /usr/bin/su -c 'touch $T/made-by-root' root"
	wait_until 20 su_waiting || { kill -KILL "$JT_PID"; fail "su did not start inside (cannot judge)"; }
	uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$SU/status")
	nnp=$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$SU/status")
	kill -KILL "$SU"
	kill -TERM "$JT_PID"
	jt_wait
	me=$(sandbox_ids)
	me=${me%%:*}
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
	(/bin/sh -c "/bin/sleep 50; : $T") &
	wait_until 10 sh_running || native_fail "the shell did not start natively"
	c=$(caps_of "$SH")
	kill -KILL "$SH"
	wait
	case "$c" in *"CapEff:0000000000000000"* | *"CapBnd:0000000000000000"*)
		native_fail "natively root already lacks capabilities: $c" ;; esac
	# inside: the program, after its exec, has none left to use or regain
	jt_bg --timeout 60s -- /bin/sh -c "/bin/sleep 50; : $T"
	wait_until 20 sh_running || { kill -KILL "$JT_PID"; fail "the shell did not start inside"; }
	c=$(caps_of "$SH")
	kill -KILL "$SH"
	jt_wait
	want="CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 "
	[ "$c" = "$want" ] || fail "capabilities inside: $c"
}

# ------------------------------------------------ whom the program runs as
# As root the program runs as the user "sandbox", an unprivileged uid of the
# sandbox range, not as uid 0, which owns root's files and processes. The
# jail is that user's; the grants are reached as jailtrace's own uid (with
# no capability), so what is granted is there as granted. As any other user
# the program runs as that user.

# uids_of PID: its real, effective, saved and file-system uid
uids_of() { awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$1/status"; }

t_as_root_the_program_runs_as_an_unprivileged_user_who_owns_the_jail() {
	me=$(id -u)
	# native control: started the same way, the shell has the test's uid
	(/bin/sh -c "/bin/sleep 50; : $T") &
	wait_until 10 sh_running || native_fail "the shell did not start natively"
	n=$(uids_of "$SH")
	kill -KILL "$SH"
	wait
	[ "$n" = "$me $me $me $me" ] || native_fail "natively the shell ran with uids $n"
	jt_bg --timeout 60s -- /bin/sh -c "id -un; echo made >/work/f; /bin/sleep 50; : $T"
	wait_until 20 sh_running || { kill -KILL "$JT_PID"; fail "the shell did not start inside"; }
	# the jail is made when the program first uses it: after the shell started
	wait_until 20 sh -c 'test -s "$1"/jailtrace-jail-"$2"-*/work/f' sh "${TMPDIR:-/tmp}/jailtrace-$me" "$JT_PID"
	jail=$(ls -d "${TMPDIR:-/tmp}/jailtrace-$me/jailtrace-jail-$JT_PID-"* 2>/dev/null | head -n 1)
	u=$(uids_of "$SH")
	owner=$(stat -c %u "$jail/work/f" 2>/dev/null)
	kill -KILL "$SH"
	jt_wait
	set -- $u
	if [ "$me" = 0 ]; then
		[ "$1" != 0 ] && [ "$u" = "$1 $1 $1 $1" ] || fail "inside the uids are $u, not one unprivileged uid"
		[ "$1:$1" = "$(sandbox_ids)" ] || fail "uid $1 is not the sandbox user's $(sandbox_ids)"
		expect_out_line sandbox
	else
		[ "$u" = "$me $me $me $me" ] || fail "inside the uids are $u, not the user's $me"
	fi
	[ "$owner" = "$1" ] || fail "the jail's file is owned by ${owner:-no one found} (jail ${jail:-not found}), not by the program's uid $1"
}

t_grants_are_reached_as_jailtraces_own_user_with_nothing_more() {
	mkdir -m 700 "$T/g"
	echo private >"$T/g/secret"
	chmod 600 "$T/g/secret"
	# natively the test's own user reads its private file and writes there
	native /bin/sh -c "cat $T/g/secret && echo n >$T/g/native"
	[ "$NRC" = 0 ] && grep -qx private "$T/nout" || native_fail "the private file is not the test's own"
	jt --ro "$T/g:/ro" -- /bin/sh -c "cat /ro/secret; cat $T/g/secret; echo new >$T/g/new; id -u"
	expect_rc 0
	[ "$(grep -cx private "$T/out")" = 2 ] || fail "the granted private file was not read in both grants: $(cat "$T/out")"
	[ "$(stat -c %u "$T/g/new" 2>/dev/null)" = "$(id -u)" ] || fail "the file made in the grant is not jailtrace's user's"
	# nothing more than that user may: a file only another user may write
	# stays as it is (as root: with no capability, root's uid is no key)
	[ "$(id -u)" = 0 ] || return 0
	echo theirs >"$T/g/other"
	chown 65534:65534 "$T/g/other"
	chmod 644 "$T/g/other"
	# natively root writes it
	native /bin/sh -c "echo changed >$T/g/other"
	[ "$(cat "$T/g/other")" = changed ] || native_fail "root could not write another user's file natively"
	echo theirs >"$T/g/other"
	jt -- /bin/sh -c "echo changed >$T/g/other"
	[ "$(cat "$T/g/other")" = theirs ] || fail "another user's file in the grant was changed"
}

# tar.py SRC DEST: extract SRC into DEST, print each member's mode and mtime
TAR_PY='import tarfile, os, sys
tarfile.open(sys.argv[1]).extractall(sys.argv[2])
for n in ("pkg", "pkg/f"):
    st = os.stat(os.path.join(sys.argv[2], n))
    print(n, oct(st.st_mode & 0o7777), int(st.st_mtime))'

t_tar_extraction_keeps_modes_and_times_as_natively() {
	/usr/bin/python3 - "$T/t.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    d = tarfile.TarInfo("pkg"); d.type = tarfile.DIRTYPE; d.mode = 0o755; d.mtime = 1000000000
    d.uid = d.gid = 4321; t.addfile(d)
    f = tarfile.TarInfo("pkg/f"); f.mode = 0o640; f.mtime = 1100000000; f.uid = f.gid = 4321
    f.size = 6; t.addfile(f, io.BytesIO(b"hello\n"))
PY
	mkdir "$T/n" "$T/i"
	native /usr/bin/python3 -c "$TAR_PY" "$T/t.tar" "$T/n"
	grep -qx "pkg 0o755 1000000000" "$T/nout" || native_fail "natively: $(cat "$T/nout")"
	# in the jail (as the program sees it) and in a writable grant (as the host sees it)
	jt -- /usr/bin/python3 -c "$TAR_PY" "$T/t.tar" /work
	expect_rc 0
	cmp -s "$T/out" "$T/nout" || fail "inside: $(cat "$T/out"); natively: $(cat "$T/nout")"
	jt -- /usr/bin/python3 -c "$TAR_PY" "$T/t.tar" "$T/i"
	expect_rc 0
	for f in pkg pkg/f; do
		[ "$(stat -c %a:%Y "$T/i/$f")" = "$(stat -c %a:%Y "$T/n/$f")" ] ||
			fail "$f from the host: $(stat -c %a:%Y "$T/i/$f") inside, $(stat -c %a:%Y "$T/n/$f") natively"
	done
}

t_uid_0_inside_only_when_asked_for_by_name() {
	jt --user root --ephemeral -- /usr/bin/id -u
	expect_rc 0
	# as any other user, asking for root gives nothing: the user's own uid
	expect_out_line "$(id -u)"
	jt -- /usr/bin/id -u
	expect_rc 0
	[ "$(id -u)" = 0 ] || return 0
	grep -qx 0 "$T/out" && fail "uid 0 inside without --user root"
	true
}

# The tracer switches its file-system uid between root (grants) and the
# sandbox user (jail) only with SECBIT_NO_SETUID_FIXUP, or a switch back to
# 0 would make its file capabilities effective again. Where it cannot set
# that bit (no CAP_SETPCAP), the run is refused before the program runs.
t_a_root_run_that_cannot_keep_its_capabilities_off_refuses() {
	[ "$(id -u)" = 0 ] || skip "only root has capabilities to keep off"
	command -v capsh >/dev/null || skip "no capsh on this host"
	# native control: without CAP_SETPCAP the program still runs and makes its file
	native capsh --drop=cap_setpcap -- -c "touch $T/made-natively"
	[ -e "$T/made-natively" ] || native_fail "capsh could not run a program without CAP_SETPCAP"
	native capsh --drop=cap_setpcap -- -c "exec $JT run --rw $T -- /bin/touch $T/made-inside"
	[ "$NRC" = 125 ] || fail "jailtrace without CAP_SETPCAP exited $NRC, not 125: $(cat "$T/nerr")"
	[ "$(wc -l <"$T/nerr")" = 1 ] && grep -q SECBIT_NO_SETUID_FIXUP "$T/nerr" ||
		fail "not one line naming the securebit: $(cat "$T/nerr")"
	[ ! -e "$T/made-inside" ] || fail "the program ran"
}
