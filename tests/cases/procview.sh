# /proc/self (and /proc/PID, /proc/PID/task/TID, /proc/net, /proc/mounts)
# answers for the sandbox, never the host: no host sockets, unix socket
# paths or interfaces under net/, the view's mounts, not the host's, and
# mapped files named by their inside paths, not the jail's host path.

PV_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)

# pv_listen NAME KIND ADDRESS: a host listener (tests/tools/listen.py); its
# port or path is in $JT_AUX/NAME.port
pv_listen() {
	local pid
	/usr/bin/python3 "$PV_TOOLS/listen.py" "$2" "$3" "$JT_AUX/$1.port" "$JT_AUX/$1.rec" \
		</dev/null >"$JT_AUX/$1.log" 2>&1 &
	pid=$!
	wait_until 20 test -s "$JT_AUX/$1.port" || fail "listener $1 did not start: $(cat "$JT_AUX/$1.log")"
	VICTIMS+=("$pid:$(proc_start "$pid")")
}

# every /proc path that names the net tables of the reader
NET_DIRS='/proc/self/net /proc/net /proc/thread-self/net /proc/$$/net /proc/$$/task/$$/net'

t_proc_net_unix_does_not_show_host_unix_sockets() {
	pv_listen u unix "$JT_AUX/host-secret.sock"
	# native control: the host's socket path is listed
	native cat /proc/self/net/unix
	grep -qF "$JT_AUX/host-secret.sock" "$T/nout" || native_fail "/proc/self/net/unix does not list the host socket"
	jt -- /bin/sh -c "for d in $NET_DIRS; do echo \"== \$d\"; cat \$d/unix; done"
	expect_rc 0
	! grep -qF "host-secret.sock" "$T/out" || fail "the host's unix socket path is visible inside: $(grep -F host-secret "$T/out" | head -2)"
	[ "$(grep -c '^Num ' "$T/out")" = 5 ] || fail "expected the header line from each of 5 paths: $(head -c 400 "$T/out")"
	[ "$(grep -vc -e '^Num ' -e '^== ' "$T/out")" = 0 ] || fail "sockets listed inside: $(grep -v -e '^Num ' -e '^== ' "$T/out" | head -3)"
}

t_proc_net_tcp_does_not_show_host_listeners() {
	pv_listen t tcp 127.0.0.1
	hexport=$(printf '%04X' "$(cat "$JT_AUX/t.port")")
	native cat /proc/self/net/tcp /proc/self/net/tcp6
	grep -q ":$hexport " "$T/nout" || native_fail "/proc/self/net/tcp does not list the host listener on port $hexport"
	jt -- /bin/sh -c "for d in $NET_DIRS; do for f in tcp tcp6 udp udp6 raw packet; do cat \$d/\$f; done; done 2>&1"
	expect_rc 0
	! grep -q ":$hexport " "$T/out" || fail "the host's listener is visible inside"
	[ "$(grep -vc -e 'local_address' -e '^sk ' -e 'Inode' "$T/out")" = 0 ] || fail "table rows inside: $(grep -v -e local_address -e '^sk ' -e Inode "$T/out" | head -3)"
}

t_proc_net_dev_and_interfaces_are_not_the_hosts() {
	native /bin/sh -c 'cat /proc/self/net/dev; ls /proc/self/net/dev_snmp6 2>/dev/null; cat /proc/self/net/if_inet6 2>/dev/null'
	grep -q '^ *lo:' "$T/nout" || native_fail "/proc/self/net/dev does not list lo natively"
	jt -- /bin/sh -c 'cat /proc/net/dev /proc/self/net/if_inet6 /proc/self/net/route; ls /proc/self/net/dev_snmp6 2>&1; cat /proc/self/net/stat/rt_cache 2>&1; true'
	expect_rc 0
	! grep -qE '^ *(lo|eth[0-9]*|ens[0-9a-z]*):' "$T/out" || fail "host interfaces inside: $(grep -E ':' "$T/out" | head -3)"
	grep -q 'Inter-|' "$T/out" || fail "no header of /proc/net/dev"
	! grep -qE '\blo$' "$T/out" || fail "an interface name is listed inside (if_inet6 or dev_snmp6)"
	grep -q "dev_snmp6.*No such file" "$T/out" || fail "/proc/self/net/dev_snmp6 is listed inside"
}

t_proc_mountinfo_shows_the_view_not_the_host() {
	native /bin/sh -c 'cat /proc/self/mountinfo /proc/self/mounts /proc/self/mountstats'
	grep -q ' /sys ' "$T/nout" || native_fail "the host mount table has no /sys"
	jt -- /bin/sh -c 'cat /proc/self/mountinfo; echo ==; cat /proc/mounts; echo ==; cat /proc/self/mountstats; echo ==; cat /proc/$$/task/$$/mountinfo'
	expect_rc 0
	! grep -qE ' /sys |sysfs|devtmpfs|cgroup' "$T/out" || fail "the host's mounts are visible inside: $(grep -E ' /sys |sysfs|devtmpfs|cgroup' "$T/out" | head -3)"
	! grep -qF "$T" "$T/out" || true	# a --rw grant of the test's directory is a mount of the view
	grep -qE '^[0-9]+ 1 [0-9:]+ / /work rw,nosuid,nodev,noexec - jailtrace' "$T/out" || fail "no writable noexec /work in mountinfo: $(head -c 500 "$T/out")"
	grep -q '^jailtrace /usr jailtrace ro' "$T/out" || fail "no read-only /usr in /proc/mounts"
	grep -q 'mounted on /tmp with fstype jailtrace' "$T/out" || fail "no /tmp in mountstats"
}

t_proc_maps_names_mapped_jail_files_by_their_inside_path() {
	prog='import mmap, sys
p = sys.argv[1]
open(p, "w").write("x" * 4096)
f = open(p)
m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ)
for f in ("maps", "smaps", "numa_maps"):
    try:
        print(f, [l.strip() for l in open("/proc/self/" + f) if "mapme" in l])
    except OSError as e:
        print(f, "error", e.errno)'
	# native control: maps shows the host path of a mapped file
	native /usr/bin/python3 -c "$prog" "$T/native-mapme"
	grep -qF "$T/native-mapme" "$T/nout" || native_fail "maps does not name the mapped file natively"
	mkdir "$T/jail"
	jt --jail "$T/jail" -- /usr/bin/python3 -c "$prog" /work/mapme
	expect_rc 0
	! grep -qF "$T/jail" "$T/out" || fail "the jail's host path is visible inside: $(grep -F "$T/jail" "$T/out" | head -2)"
	grep -q "^maps .*/work/mapme" "$T/out" || fail "maps does not name /work/mapme: $(head -c 400 "$T/out")"
	grep -q "^smaps .*/work/mapme" "$T/out" || fail "smaps does not name /work/mapme"
	grep -q "^numa_maps .*error\|^numa_maps .*file=/work/mapme" "$T/out" || fail "numa_maps: $(grep numa "$T/out")"
	# an unlinked file, through task/TID, and through /proc/PID of a child
	# (the wait for the child's exec is bounded in time, not in greps: a
	# grep under TCG takes tens of milliseconds; and no busy loop of stats
	# for its pid, which at ptrace stops under TCG outlasted two minutes)
	GUARD_SECS=$(slow 40)
	jt --timeout 30s --jail "$T/jail" --exec-jail -- /bin/sh -c "cp /bin/sleep /work/s || exit 1; /work/s 50 & p=\$!; timeout $(slow 10) sh -c 'until grep -q \" /work/s\\\$\" /proc/\$1/maps; do :; done' sh \$p; cat /proc/\$p/maps /proc/\$p/task/\$p/maps; kill \$p; wait; true"
	expect_rc 0
	! grep -qF "$T/jail" "$T/out" "$T/err" || fail "the jail's host path is visible through /proc/PID/maps"
	grep -q ' /work/s$' "$T/out" || fail "/proc/PID/maps of a child does not name /work/s: $(head -c 300 "$T/out")"
}

# Listing /proc shows the sandbox's own processes (natively a process lists
# at least its own, as under hidepid=2), so ps, pgrep and psutil work; and
# never a process outside: the suite's own shell, listed natively, is not
# listed inside, nor is pid 1.
PS_PROG='sleep 30 & s=$!
ps -o pid=,comm= -p $s | awk "{print \"ps\", \$2}"
ls /proc | grep -qx "$s" && echo listed-child
ls /proc | grep -qx "$$" && echo listed-self
ls /proc | grep -qx "$1" && echo listed-outside
ls /proc | grep -qx 1 && echo listed-init
kill $s'
t_proc_lists_the_sandboxs_own_processes_and_ps_works() {
	native /bin/sh -c "$PS_PROG" sh $$
	[ "$(tr '\n' ' ' <"$T/nout")" = "ps sleep listed-child listed-self listed-outside listed-init " ] ||
		native_fail "natively ps and a listing of /proc do not show these processes"
	jt -- /bin/sh -c "$PS_PROG" sh $$
	expect_rc 0
	expect_no_out listed-outside
	expect_no_out listed-init
	[ "$(tr '\n' ' ' <"$T/out")" = "ps sleep listed-child listed-self " ] ||
		fail "ps or the listing of /proc differ from native: $(tr '\n' ' ' <"$T/out") $(head -c 300 "$T/err")"
}

# /proc/self, thread-self, net and mounts are links: lstat says so and
# readlink reads the caller's pid, as natively (`readlink /proc/self`).
t_proc_self_is_a_link_to_lstat_and_readlink() {
	local prog='import os, stat
for p in ("/proc/self", "/proc/thread-self", "/proc/net", "/proc/mounts"):
    print(p, stat.S_ISLNK(os.lstat(p).st_mode), stat.S_ISLNK(os.stat(p).st_mode))
pid, tid = os.getpid(), __import__("threading").get_native_id()
print(os.readlink("/proc/self") == str(pid), os.readlink("/proc/thread-self") == "%d/task/%d" % (pid, tid))
print(os.readlink("/proc/net"), os.readlink("/proc/mounts"))
fd = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
print(os.readlink("self", dir_fd=fd) == str(pid), "self" in os.listdir(fd))'
	native /usr/bin/python3 -c "$prog"
	[ "$NRC" = 0 ] || native_fail "the program fails natively"
	jt -- /usr/bin/python3 -c "$prog"
	expect_rc 0
	cmp -s "$T/nout" "$T/out" || fail "inside differs from native: $(diff "$T/nout" "$T/out")"
}
