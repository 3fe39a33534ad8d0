# Extended attributes and inotify watches go through the view like every
# path call: in the jail they work as on a plain directory; on a read-only
# grant they read but do not change (EROFS); outside the view the path does
# not exist. Each containment test first shows natively what the call
# reaches, then judges from the host side.

# xattr_fs DIR: skips the test when DIR's file system keeps no user
# attributes (tmpfs before 6.6 keeps none), since nothing could be judged.
xattr_fs() {
	touch "$1/.xattr-probe"
	/usr/bin/python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.probe", b"1")' "$1/.xattr-probe" 2>/dev/null ||
		skip "$1 keeps no user extended attributes"
	rm -f "$1/.xattr-probe"
}

# What a program does with attributes of its own files, in DIR (argv[1]).
XATTR_PROG='import os, sys
d = sys.argv[1]
os.chdir(d)
open("f", "w").write("x")
os.symlink("f", "lnk")
def t(label, fn):
    try:
        print(label, fn())
    except OSError as e:
        print(label, "errno", e.errno)
t("get-unset", lambda: os.getxattr("f", "user.a"))
t("set", lambda: os.setxattr("f", "user.a", b"hello"))
t("set-create-again", lambda: os.setxattr("f", "user.a", b"x", os.XATTR_CREATE))
t("get", lambda: os.getxattr("f", "user.a"))
t("get-through-link", lambda: os.getxattr("lnk", "user.a"))
t("lget-of-link", lambda: os.getxattr("lnk", "user.a", follow_symlinks=False))
t("lset-of-link", lambda: os.setxattr("lnk", "user.b", b"x", follow_symlinks=False))
t("list", sorted(os.listxattr("f")).__str__)
t("llist-of-link", lambda: [a for a in os.listxattr("lnk", follow_symlinks=False) if a.startswith("user.")])
t("name-too-long", lambda: os.getxattr("f", "user." + "a" * 300))
t("value-too-big", lambda: os.setxattr("f", "user.big", b"v" * 70000))
t("remove", lambda: os.removexattr("f", "user.a"))
t("remove-again", lambda: os.removexattr("f", "user.a"))
t("list-after", lambda: os.listxattr("f"))
'

t_xattrs_in_the_jail_behave_as_on_a_plain_directory() {
	mkdir "$T/nat"
	xattr_fs "$T/nat"
	native /usr/bin/python3 -c "$XATTR_PROG" "$T/nat"
	[ "$NRC" = 0 ] && grep -q "^get b'hello'" "$T/nout" || native_fail "attributes do not work natively"
	jt --quiet -- /usr/bin/python3 -c "$XATTR_PROG" /tmp
	expect_rc 0
	diff "$T/nout" "$T/out" >"$T/diff" || fail "inside differs from native:
$(cat "$T/diff")"
}

t_shutil_copy2_keeps_xattrs_inside_as_natively() {
	prog='import os, shutil, sys
os.chdir(sys.argv[1])
open("a", "w").write("data")
os.setxattr("a", "user.origin", b"model")
shutil.copy2("a", "b")
print(os.getxattr("b", "user.origin"))'
	mkdir "$T/nat"
	xattr_fs "$T/nat"
	native /usr/bin/python3 -c "$prog" "$T/nat"
	[ "$(cat "$T/nout")" = "b'model'" ] || native_fail "copy2 does not keep attributes natively"
	jt --quiet -- /usr/bin/python3 -c "$prog" /work
	expect_rc 0
	expect_out_line "b'model'"
}

t_setxattr_on_a_read_only_grant_fails_with_EROFS_and_the_host_file_keeps_none() {
	mkdir "$JT_AUX/ro" && echo data >"$JT_AUX/ro/f"
	xattr_fs "$JT_AUX/ro"
	prog='import os, sys
for label, fn in (("set", lambda: os.setxattr(sys.argv[1], "user.planted", b"1")),
                  ("remove", lambda: os.removexattr(sys.argv[1], "user.kept")),
                  ("get", lambda: os.getxattr(sys.argv[1], "user.kept"))):
    try:
        print(label, fn())
    except OSError as e:
        print(label, "errno", e.errno)'
	# native control: the file is this user's, so natively the set lands
	native /usr/bin/python3 -c "$prog" "$JT_AUX/ro/f"
	grep -q "^set None" "$T/nout" || native_fail "setxattr does not work natively: $(cat "$T/nout")"
	/usr/bin/python3 -c 'import os,sys; os.removexattr(sys.argv[1], "user.planted"); os.setxattr(sys.argv[1], "user.kept", b"yes")' "$JT_AUX/ro/f"
	jt --quiet --ro "$JT_AUX/ro" -- /usr/bin/python3 -c "$prog" "$JT_AUX/ro/f"
	expect_rc 0
	expect_out_line "set errno 30"
	expect_out_line "remove errno 30"
	expect_out_line "get b'yes'"
	attrs=$(/usr/bin/python3 -c 'import os,sys; print(sorted(os.listxattr(sys.argv[1])))' "$JT_AUX/ro/f")
	[ "$attrs" = "['user.kept']" ] || fail "the host file's attributes changed: $attrs"
	expect_log '.type == "syscall" and .name == "setxattr" and .decision == "deny" and .errno == "EROFS"'
}

t_xattrs_of_a_path_outside_the_view_do_not_exist() {
	mkdir "$JT_AUX/hidden" && echo data >"$JT_AUX/hidden/f"
	xattr_fs "$JT_AUX/hidden"
	/usr/bin/python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.secret", b"TOPSECRET")' "$JT_AUX/hidden/f"
	prog='import os, sys
for fn in (lambda: os.getxattr(sys.argv[1], "user.secret"), lambda: os.listxattr(sys.argv[1]),
           lambda: os.setxattr(sys.argv[1], "user.planted", b"1")):
    try:
        print(fn())
    except OSError as e:
        print("errno", e.errno)'
	native /usr/bin/python3 -c "$prog" "$JT_AUX/hidden/f"
	grep -q TOPSECRET "$T/nout" || native_fail "the attribute is not readable natively"
	/usr/bin/python3 -c 'import os,sys; os.removexattr(sys.argv[1], "user.planted")' "$JT_AUX/hidden/f"
	jt --quiet -- /usr/bin/python3 -c "$prog" "$JT_AUX/hidden/f"
	expect_no_out TOPSECRET
	[ "$(grep -c '^errno 2$' "$T/out")" = 3 ] || fail "expected ENOENT three times: $(cat "$T/out")"
	attrs=$(/usr/bin/python3 -c 'import os,sys; print(sorted(os.listxattr(sys.argv[1])))' "$JT_AUX/hidden/f")
	[ "$attrs" = "['user.secret']" ] || fail "the hidden file's attributes changed: $attrs"
}

# A watch on DIR (argv[1]); then "touch" argv[2] (a path to create, or "-"
# to wait for someone else) and print the first event's mask and name.
INOTIFY_PROG='import ctypes, os, select, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_CLOEXEC)
wd = libc.inotify_add_watch(fd, sys.argv[1].encode(), 0x100 | 0x200)  # IN_CREATE | IN_DELETE
if wd < 0:
    print("add_watch errno", ctypes.get_errno()); sys.exit(0)
print("watching", flush=True)
if sys.argv[2] != "-":
    open(sys.argv[2], "w").close(); os.unlink(sys.argv[2])
if not select.select([fd], [], [], float(sys.argv[3]))[0]:
    print("no event"); sys.exit(0)
buf = os.read(fd, 4096)
while buf:
    w, mask, cookie, n = struct.unpack("iIII", buf[:16])
    print("event", hex(mask), buf[16:16 + n].rstrip(b"\0").decode())
    buf = buf[16 + n:]
'

t_inotify_on_a_jail_directory_reports_events_as_natively() {
	mkdir "$T/nat"
	native /usr/bin/python3 -c "$INOTIFY_PROG" "$T/nat" "$T/nat/new" 5
	grep -q "event 0x100 new" "$T/nout" || native_fail "inotify does not work natively: $(cat "$T/nout" "$T/nerr")"
	jt --quiet -- /usr/bin/python3 -c "$INOTIFY_PROG" /tmp /tmp/new 5
	expect_rc 0
	diff <(grep -v watching "$T/nout") <(grep -v watching "$T/out") >"$T/diff" || fail "events differ from native:
$(cat "$T/diff")"
}

t_without_pidfd_getfd_inotify_watches_are_added_on_a_fetched_copy() {
	mkdir "$T/nat"
	native /usr/bin/python3 -c "$INOTIFY_PROG" "$T/nat" "$T/nat/new" 5
	grep -q "event 0x100 new" "$T/nout" || native_fail "inotify does not work natively: $(cat "$T/nout" "$T/nerr")"
	jt --quiet --disable pidfd_getfd -- /usr/bin/python3 -c "$INOTIFY_PROG" /tmp /tmp/new 5
	expect_rc 0
	diff <(grep -v watching "$T/nout") <(grep -v watching "$T/out") >"$T/diff" || fail "events differ from native:
$(cat "$T/diff")"
}

t_inotify_cannot_watch_a_host_directory_outside_the_view() {
	mkdir "$JT_AUX/hidden"
	# native control: a watch on the host directory sees what the host does
	# there once it is set ("watching" in the output the native run writes)
	native /bin/sh -c '/usr/bin/python3 -c "$1" "$2" - 15 & until grep -q watching "$3" || ! kill -0 $!; do sleep 0.02; done
		touch "$2/host-activity"; wait' sh "$INOTIFY_PROG" "$JT_AUX/hidden" "$T/nout"
	grep -q "event 0x100 host-activity" "$T/nout" || native_fail "the watch saw nothing natively: $(cat "$T/nout" "$T/nerr")"
	rm -f "$JT_AUX/hidden/host-activity"
	jt_bg --quiet -- /usr/bin/python3 -c "$INOTIFY_PROG" "$JT_AUX/hidden" - 15
	wait_until 20 grep -q 'watching\|add_watch' "$T/out"
	touch "$JT_AUX/hidden/host-activity"
	jt_wait
	expect_no_out host-activity
	expect_out_line "add_watch errno 2"
	expect_log '.type == "syscall" and .name == "inotify_add_watch" and .decision == "deny" and .rule == "builtin:not-in-view"'
}
