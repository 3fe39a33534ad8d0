# A jail on a file system that keeps whole-second times (ext4 made with
# 128-byte inodes, as ext3 and old small file systems are), on a loop
# device: root only, about 2 s.
# passes: root

# coarse_fs: a fresh such file system at $T/mnt (unmounted at the end);
# else the test skips and says why.
coarse_fs() {
	command -v mkfs.ext4 >/dev/null || skip "no mkfs.ext4"
	truncate -s 32M "$T/img" && mkfs.ext4 -q -F -I 128 "$T/img" >/dev/null 2>&1 ||
		skip "mkfs.ext4 -I 128 makes no file system here"
	mkdir "$T/mnt"
	mount -o loop "$T/img" "$T/mnt" 2>/dev/null || skip "no loop mount here"
	trap 'umount "$T/mnt" 2>/dev/null; _cleanup' EXIT
}

# The view's own /tmp/x (on the way to --ro ...:/tmp/x/sub) stands in for a
# real one only while the jail has none: another run sharing the jail (here,
# the host as the jail's owner) makes /tmp/x in the very second the program
# looked and found none. The jail's /tmp keeps the same change time there,
# so that time cannot tell the program's view it changed: the real one must
# still be seen.
t_a_jail_directory_made_in_the_same_second_is_seen() {
	coarse_fs
	mkdir -p "$T/host/sub" "$T/sig" "$T/mnt/probe"
	# native: on this file system a directory made a moment later leaves its
	# parent's change time as it was (whole seconds), and is there to see
	touch "$T/mnt/probe/z"
	[ "$(stat -c %z "$T/mnt/probe")" = "$(stat -c %z "$T/mnt/probe" | sed 's/\.[0-9]*/.000000000/')" ] ||
		skip "this ext4 keeps times below the second (not the case this test is about)"
	native ls "$T/mnt/probe"
	grep -qx z "$T/nout" || native_fail "a file made on the file system is not seen"
	prog='import os, sys, time
sig = sys.argv[1]
for attempt in range(int(sys.argv[2])):
    while time.time() % 1 > 0.05: time.sleep(0.002)
    open("/tmp/z%d" % attempt, "w").close()
    time.sleep(0.22)
    os.stat("/tmp/x")
    open(sig + "/go%d" % attempt, "w").close()
    while not os.path.exists(sig + "/done%d" % attempt): time.sleep(0.002)
    if open(sig + "/done%d" % attempt).read() == "same": break
print("x:", " ".join(sorted(os.listdir("/tmp/x"))))'
	tries=10
	jt_bg --jail "$T/mnt/j" --rw "$T/sig" --ro "$T/host/sub:/tmp/x/sub" -- /usr/bin/python3 -c "$prog" "$T/sig" $tries
	same=""
	for ((a = 0; a < tries; a++)); do
		wait_until 10 test -e "$T/sig/go$a" || fail "the program did not look at /tmp/x"
		before=$(stat -c %z "$T/mnt/j/tmp")
		mkdir "$T/mnt/j/tmp/x"
		touch "$T/mnt/j/tmp/x/made"
		chown -R --reference="$T/mnt/j/tmp" "$T/mnt/j/tmp/x"
		if [ "$(stat -c %z "$T/mnt/j/tmp")" = "$before" ]; then
			same=1
			echo -n same >"$T/sig/done$a"
			break
		fi
		rm -rf "$T/mnt/j/tmp/x"
		echo -n other >"$T/sig/done$a"
	done
	jt_wait
	[ -n "$same" ] || race_lost "the jail's /tmp was never changed in the second the program looked"
	expect_rc 0
	[ -e "$T/mnt/j/tmp/x/made" ] || fail "the jail's /tmp/x/made is gone on the host"
	expect_out_line "x: made"
}
