# Disk and memory the sandbox holds outside any process: files of its jail
# (--disk, --inodes), memfd and pipe pages (--memory), and the removal of an
# ephemeral jail whatever shape the program gave it. Judged from the host:
# the jail's directory on the disk, its size (du), /proc/meminfo.

# A fresh jail of its own for each test, in a TMPDIR the test owns.
use_own_tmpdir() {
	export TMPDIR="$JT_AUX/tmpdir"
	mkdir -p "$TMPDIR"
	JAILS="$TMPDIR/jailtrace-$(id -u)"
}

t_an_ephemeral_jail_with_4300_nested_directories_made_by_renames_is_removed() {
	use_own_tmpdir
	mkdir "$T/native"
	native "$PROGS/diskhog" deep "$T/native" 4300
	grep -qx 'depth 4300' "$T/nout" || native_fail "the program did not make the chain"
	[ "$(find "$T/native" -type d | wc -l)" -gt 4300 ] || native_fail "no chain of 4300 directories on the host"
	chmod -R u+rwx "$T/native"
	jt -- "$PROGS/diskhog" deep /tmp 4300
	expect_rc 0
	expect_out_line 'depth 4300'
	! ls -d "$JAILS"/jailtrace-jail-* >/dev/null 2>&1 ||
		fail "the jail is still on the host: $(du -sh "$JAILS"/jailtrace-jail-* 2>&1)"
}

t_a_deep_locked_jail_a_killed_run_left_is_removed_by_the_next() {
	use_own_tmpdir
	local dead stale
	# a pid that is gone: a shell that has exited
	sh -c 'exit 0' & dead=$!
	wait "$dead"
	mkdir -p -m 711 "$JAILS"
	stale="$JAILS/jailtrace-jail-$dead-abcdef"
	mkdir -m 700 "$stale" "$stale/tmp"
	native "$PROGS/diskhog" deep "$stale/tmp" 4300
	grep -qx 'depth 4300' "$T/nout" || native_fail "the program did not make the chain"
	jt -- /bin/true
	expect_rc 0
	[ ! -e "$stale" ] || fail "the stale jail is still there: $(find "$stale" 2>/dev/null | wc -l) entries"
}
