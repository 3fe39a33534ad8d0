# What the sandbox shares with the host's own processes without writing a
# file: locks, leases and dnotify on files it may only read, inotify watches
# that report what the host does there, and the kernel's per-user and
# machine-wide counters (inotify instances, AIO contexts, SysV IPC). Each
# test shows natively that a program blocks, refuses or spies on a host
# process this way, then, from the host side, that it cannot inside.
# (docs/design.md, "What the sandbox shares with the host")

# ro_setup: $RO, a directory outside $T with a file f, granted read-only
# by jt_ro (the test's own $T is writable in every run: JT_VIEW).
ro_setup() {
	RO="$JT_AUX/ro"
	mkdir -p "$RO"
	echo "host data" >"$RO/f"
	chmod 755 "$RO"
	chmod 644 "$RO/f"
}

# hold_native PROG HOW PATH: hostlock holds HOW on PATH natively, in the
# background, until release_native.
hold_native() {
	rm -f "$T/done" "$T/nout"	# the background shell truncates it only after the fork
	"$PROGS/$1" "$2" "$3" "$T/done" >"$T/nout" 2>"$T/nerr" </dev/null &
	HOLDER=$!
	wait_until 10 grep -qx ready "$T/nout" || native_fail "$1 $2 did not get ready"
}
release_native() { touch "$T/done"; wait "$HOLDER"; }

# hold_inside PROG HOW PATH: the same under jailtrace, PATH's directory read-only.
hold_inside() {
	rm -f "$T/done" "$T/out"
	jt_bg --ro "$RO" -- "$PROGS/$1" "$2" "$3" "$T/done"
	wait_until 10 grep -qx ready "$T/out" || { touch "$T/done"; jt_wait; fail "$1 $2 did not get ready"; }
}
release_inside() { touch "$T/done"; jt_wait; expect_rc 0; }

# The 64-bit program, and the 32-bit one (fcntl64, F_SETLK64) where built.
lock_progs() {
	echo hostlock
	[ -x "$PROGS/hostlock32" ] && echo hostlock32
	return 0
}

# host_flock_ok PATH: can a host process take an exclusive flock at once?
host_flock_ok() { flock -n -x "$1" true; }

# host_lockf_ok PATH: can a host process take an exclusive lockf at once?
host_lockf_ok() {
	/usr/bin/python3 -c 'import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)' "$1" 2>/dev/null
}

t_a_lease_on_a_read_only_file_keeps_no_host_reader_or_writer_waiting() {
	local bt prog
	bt=$(cat /proc/sys/fs/lease-break-time 2>/dev/null) || skip "no /proc/sys/fs/lease-break-time"
	[ "$bt" -ge 5 ] || skip "lease-break-time is ${bt}s: a held lease cannot be told from a slow reader"
	ro_setup
	for prog in $(lock_progs); do
		# native control: a write lease makes a host reader wait, a read lease a writer
		hold_native "$prog" lease-wr "$RO/f"
		grep -qx "lease-wr ok" "$T/nout" || native_fail "no write lease natively"
		timeout 2 cat "$RO/f" >/dev/null
		[ $? = 124 ] || { release_native; native_fail "a host cat did not wait for the write lease"; }
		release_native
		hold_native "$prog" lease-rd "$RO/f"
		grep -qx "lease-rd ok" "$T/nout" || native_fail "no read lease natively"
		timeout 2 /bin/sh -c 'echo more >>"$1"' sh "$RO/f"
		[ $? = 124 ] || { release_native; native_fail "a host writer did not wait for the read lease"; }
		release_native
		echo "host data" >"$RO/f"

		hold_inside "$prog" lease-wr "$RO/f"
		timeout 20 cat "$RO/f" >"$T/cat.out"
		local rc=$?
		release_inside
		[ "$rc" = 0 ] && grep -qx "host data" "$T/cat.out" || fail "$prog: the host cat got $rc: $(cat "$T/cat.out")"
		expect_out_line "lease-wr errno EACCES"
		expect_log '.type == "syscall" and (.name == "fcntl" or .name == "fcntl64") and .decision == "deny" and .rule == "builtin:lease-host-file"'
		hold_inside "$prog" lease-rd "$RO/f"
		timeout 20 /bin/sh -c 'echo more >>"$1"' sh "$RO/f"
		rc=$?
		release_inside
		[ "$rc" = 0 ] || fail "$prog: the host writer got $rc"
		expect_out_line "lease-rd errno EACCES"
		echo "host data" >"$RO/f"
	done
	# the loader's cache, which every program start of the host reads
	[ -e /etc/ld.so.cache ] || return 0
	touch "$T/done"
	jt -- "$PROGS/hostlock" lease-wr /etc/ld.so.cache "$T/done"
	expect_rc 0
	expect_out_line "lease-wr errno EACCES"
}

t_flock_on_a_read_only_file_never_makes_host_flock_fail() {
	local prog
	command -v flock >/dev/null || skip "no flock(1) on this host"
	ro_setup
	for prog in $(lock_progs); do
		hold_native "$prog" flock-ex "$RO/f"
		grep -qx "flock-ex ok" "$T/nout" || native_fail "no exclusive flock natively"
		host_flock_ok "$RO/f" && { release_native; native_fail "host flock -n got the lock natively"; }
		release_native
		hold_native "$prog" flock-sh "$RO/f"
		host_flock_ok "$RO/f" && { release_native; native_fail "host flock -n got the lock beside a shared one"; }
		release_native

		# inside: a shared lock is not taken (nothing inside can conflict with
		# it), an exclusive one is refused as NFS refuses it on a read-only file
		hold_inside "$prog" flock-ex "$RO/f"
		host_flock_ok "$RO/f" || { release_inside; fail "$prog: host flock -n failed beside flock-ex"; }
		release_inside
		expect_out_line "flock-ex errno EBADF"
		expect_log '.type == "syscall" and .name == "flock" and .decision == "deny" and .rule == "builtin:lock-host-file"'
		hold_inside "$prog" flock-sh "$RO/f"
		host_flock_ok "$RO/f" || { release_inside; fail "$prog: host flock -n failed beside flock-sh"; }
		release_inside
		expect_out_line "flock-sh ok"
	done
}

t_fcntl_and_ofd_read_locks_on_a_read_only_file_never_make_host_lockf_fail() {
	local prog how
	ro_setup
	for prog in $(lock_progs); do
		for how in posix-rd ofd-rd; do
			hold_native "$prog" "$how" "$RO/f"
			grep -qx "$how ok" "$T/nout" || native_fail "no $how lock natively"
			host_lockf_ok "$RO/f" && { release_native; native_fail "host lockf got the lock beside $how"; }
			release_native

			hold_inside "$prog" "$how" "$RO/f"
			host_lockf_ok "$RO/f" || { release_inside; fail "$prog: host lockf failed beside $how"; }
			release_inside
			expect_out_line "$how ok"
		done
		# an exclusive record lock needs a descriptor open for writing, here as natively
		touch "$T/done"
		jt --ro "$RO" -- "$PROGS/$prog" posix-wr "$RO/f" "$T/done"
		expect_out_line "posix-wr errno EBADF"
	done
}

t_dnotify_on_a_read_only_directory_reports_nothing_the_host_does() {
	local prog
	ro_setup
	for prog in $(lock_progs); do
		hold_native "$prog" dnotify "$RO"
		grep -qx "dnotify ok" "$T/nout" || native_fail "no dnotify natively"
		touch "$RO/host-activity"
		release_native
		grep -q "^notices [1-9]" "$T/nout" || native_fail "dnotify saw nothing natively: $(cat "$T/nout")"
		rm -f "$RO/host-activity"

		hold_inside "$prog" dnotify "$RO"
		touch "$RO/host-activity"
		release_inside
		rm -f "$RO/host-activity"
		expect_out_line "dnotify errno EINVAL"
		expect_out_line "notices 0"
		expect_log '.type == "syscall" and .decision == "deny" and .rule == "builtin:dnotify-host-file"'
	done
}

# A watch on argv[1] (creations, opens, reads) until argv[2] exists; then
# the size of the events it got.
WATCH_PROG='import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
wd = libc.inotify_add_watch(fd, sys.argv[1].encode(), 0x100 | 0x20 | 0x1)
print("watch", "ok" if wd >= 0 else "errno %d" % ctypes.get_errno())
print("ready", flush=True)
for i in range(1500):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.02)
try:
    print("events", len(os.read(fd, 65536)))
except OSError:
    print("events 0")
'

t_inotify_on_a_read_only_grant_sees_nothing_the_host_does() {
	ro_setup
	rm -f "$T/done" "$T/nout"
	/usr/bin/python3 -c "$WATCH_PROG" "$RO" "$T/done" >"$T/nout" 2>"$T/nerr" </dev/null &
	HOLDER=$!
	wait_until 10 grep -qx ready "$T/nout" || native_fail "the watcher did not get ready"
	cat "$RO/f" >/dev/null
	touch "$RO/host-activity"
	release_native
	grep -q "^events [1-9]" "$T/nout" || native_fail "the watch saw nothing natively: $(cat "$T/nout" "$T/nerr")"
	rm -f "$RO/host-activity"

	rm -f "$T/done" "$T/out"
	jt_bg --ro "$RO" -- /usr/bin/python3 -c "$WATCH_PROG" "$RO" "$T/done"
	wait_until 10 grep -qx ready "$T/out" || { touch "$T/done"; jt_wait; fail "the watcher did not get ready"; }
	cat "$RO/f" >/dev/null
	touch "$RO/host-activity"
	release_inside
	expect_out_line "watch errno 13"
	expect_out_line "events 0"
	expect_log '.type == "syscall" and .name == "inotify_add_watch" and .decision == "deny" and .rule == "builtin:watch-read-only"'
	# the jail's own directories are watched as natively (xattr.sh has the events)
	touch "$T/done"
	jt -- /usr/bin/python3 -c "$WATCH_PROG" /tmp "$T/done"
	expect_out_line "watch ok"
}

# inotify instances until one fails (at most 2000), then holds them until
# stdin ends ("-") or the file argv[1] exists.
MANY_PROG='import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
n, err = 0, 0
while n < 2000:
    if libc.inotify_init1(os.O_CLOEXEC) < 0:
        err = ctypes.get_errno()
        break
    n += 1
print("held", n, "errno", err)
if n >= 4:
    for fd in range(3, 200):
        if os.path.islink("/proc/self/fd/%d" % fd) and os.readlink("/proc/self/fd/%d" % fd) == "anon_inode:inotify":
            os.close(fd); n -= 1
            if n % 4 == 0:
                break
    print("again", "ok" if libc.inotify_init1(os.O_CLOEXEC) >= 0 else "errno %d" % ctypes.get_errno())
    while n < 2000 and libc.inotify_init1(os.O_CLOEXEC) >= 0:	# all of them held again
        n += 1
print("ready", flush=True)
if sys.argv[1] == "-":
    sys.stdin.read()
else:
    for i in range(1500):
        if os.path.exists(sys.argv[1]):
            break
        time.sleep(0.02)
'

# host_inotify [SETPRIV...]: does a host process of that user get an instance?
host_inotify() {
	"$@" /usr/bin/python3 -c 'import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print("ok" if libc.inotify_init1(0) >= 0 else "errno %d" % ctypes.get_errno())'
}

# until_done: ends when $T/done exists (the stdin of a native holder).
until_done() { while [ ! -e "$T/done" ]; do sleep 0.05; done; }

t_inotify_instances_are_capped_so_the_host_user_keeps_its_own() {
	local max as=() probe
	max=$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null) || skip "no inotify on this host"
	[ "$max" -le 1000 ] || skip "max_user_instances is $max: more than a process may hold"
	# natively: as an unprivileged user, never root, whose instances the
	# host's own services need; it holds them for a moment
	[ "$(id -u)" = 0 ] && as=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	rm -f "$T/done" "$T/nout"
	"${as[@]}" /usr/bin/python3 -c "$MANY_PROG" - "$T" >"$T/nout" 2>"$T/nerr" < <(until_done) &
	HOLDER=$!
	wait_until 10 grep -qx ready "$T/nout" || { touch "$T/done"; native_fail "the holder did not get ready"; }
	probe=$(host_inotify "${as[@]}")
	release_native
	grep -q "^held [0-9]* errno 24$" "$T/nout" || native_fail "instances did not run out natively: $(cat "$T/nout")"
	[ "$probe" = "errno 24" ] || native_fail "the host user still got an instance natively: $probe"

	rm -f "$T/done" "$T/out"
	jt_bg -- /usr/bin/python3 -c "$MANY_PROG" "$T/done"
	wait_until 10 grep -qx ready "$T/out" || { touch "$T/done"; jt_wait; fail "the holder did not get ready"; }
	probe=$(host_inotify)
	release_inside
	[ "$probe" = ok ] || fail "the host user got no inotify instance: $probe"
	grep -q "^held [0-9]* errno 24$" "$T/out" || fail "expected EMFILE inside: $(cat "$T/out")"
	[ "$(sed -n 's/^held \([0-9]*\) .*/\1/p' "$T/out")" -le $((max / 4)) ] || fail "more than a quarter of the host's instances: $(cat "$T/out")"
	expect_log '.type == "syscall" and .name == "inotify_init1" and .decision == "deny" and .rule == "builtin:inotify-instances"'
	# what is closed is given back: the count at the cap is the live one
	expect_out_line "again ok"
}

# One instance, a watch on each file of argv[1] until one fails; then a new
# instance after closing that one, and a watch on it.
WATCHES_PROG='import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_CLOEXEC)
n, err = 0, 0
for name in sorted(os.listdir(sys.argv[1])):
    if libc.inotify_add_watch(fd, os.path.join(sys.argv[1], name).encode(), 0x2) < 0:
        err = ctypes.get_errno()
        break
    n += 1
print("watches", n, "errno", err)
os.close(fd)
fd = libc.inotify_init1(os.O_CLOEXEC)
w = libc.inotify_add_watch(fd, sys.argv[1].encode(), 0x2)
print("again", "ok" if w >= 0 else "errno %d" % ctypes.get_errno())
'

t_inotify_watches_are_capped_per_run_and_given_back_when_closed() {
	local max cap
	max=$(cat /proc/sys/fs/inotify/max_user_watches 2>/dev/null) || skip "no inotify on this host"
	cap=$((max / 4 < 8192 ? max / 4 : 8192))
	mkdir "$T/w"
	(cd "$T/w" && seq -f "f%05g" 1 $((cap + 50)) | xargs touch)
	# natively the user's whole allowance is there to take (a quarter of it is
	# what a run may hold)
	GUARD_SECS=$(slow 90)
	native /usr/bin/python3 -c "$WATCHES_PROG" "$T/w"
	grep -qx "watches $((cap + 50)) errno 0" "$T/nout" || native_fail "the watches were not all given natively: $(cat "$T/nout" "$T/nerr")"
	jt --timeout 80s -- /usr/bin/python3 -c "$WATCHES_PROG" "$T/w"
	expect_rc 0
	expect_out_line "watches $cap errno 28"
	expect_out_line "again ok"
	expect_log '.type == "syscall" and .name == "inotify_add_watch" and .decision == "deny" and .rule == "builtin:inotify-watches"'
}

# io_setup(argv[1] events), held until argv[2] exists.
# call_nr NAME: NAME's number on this machine (the probes make raw calls
# that glibc has no function for); none on another machine
call_nr() {
	case $(uname -m):$1 in
	x86_64:io_setup) echo 206 ;; x86_64:add_key) echo 248 ;;
	x86_64:mq_open) echo 240 ;; x86_64:mq_unlink) echo 241 ;;
	aarch64:io_setup) echo 0 ;; aarch64:add_key) echo 217 ;;
	aarch64:mq_open) echo 180 ;; aarch64:mq_unlink) echo 181 ;;
	*) return 1 ;;
	esac
}

# argv: the events, the file that ends the wait, io_setup's number
AIO_PROG='import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
ctx = ctypes.c_ulong(0)
r = libc.syscall(int(sys.argv[3]), int(sys.argv[1]), ctypes.byref(ctx))
print("io_setup", "ok" if r == 0 else "errno %d" % ctypes.get_errno())
print("ready", flush=True)
for i in range(1500):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.02)
'

# POSIX timers (each holds a queued signal) until timer_create fails; the
# count, then ready; holds them until argv[1] exists ("-": stdin ends).
TIMERS_PROG='import ctypes, os, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
ev = (ctypes.c_int * 16)()
ev[2] = int(signal.SIGRTMIN) + 3	# sigev_signo; sigev_notify 0: SIGEV_SIGNAL
t = ctypes.c_void_p()
n, err = 0, 0
while n < 1000000:
    if libc.timer_create(1, ev, ctypes.byref(t)) < 0:
        err = ctypes.get_errno()
        break
    n += 1
print("uid", os.getuid(), "held", n, "errno", err)
print("ready", flush=True)
if sys.argv[1] == "-":
    sys.stdin.read()
while sys.argv[1] != "-" and not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
'

# host_timer [AS...]: can a host process (as AS) make a POSIX timer and
# queue a real-time signal to itself?
host_timer() {
	"$@" /usr/bin/python3 -c 'import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
ev = (ctypes.c_int * 16)()
ev[2] = int(signal.SIGRTMIN) + 4
signal.pthread_sigmask(signal.SIG_BLOCK, [ev[2]])
if libc.timer_create(1, ev, ctypes.byref(ctypes.c_void_p())) < 0:
    print("timer_create errno %d" % ctypes.get_errno())
else:
    try:
        os.kill(os.getpid(), ev[2])
        print("ok")
    except OSError as e:
        print("kill errno %d" % e.errno)'
}

t_posix_timers_and_queued_signals_leave_the_users_own_count() {
	local as=() probe uid
	# natively: as an unprivileged user, never root, whose timers and
	# signals the host's own services need; it holds them for a moment
	[ "$(id -u)" = 0 ] && as=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	[ "$(host_timer "${as[@]}")" = ok ] || native_fail "the host user gets no timer before: $(host_timer "${as[@]}")"
	rm -f "$T/done" "$T/nout"
	"${as[@]}" /usr/bin/python3 -c "$TIMERS_PROG" - >"$T/nout" 2>"$T/nerr" < <(until_done) &
	HOLDER=$!
	wait_until 30 grep -qx ready "$T/nout" || { touch "$T/done"; native_fail "the holder did not get ready: $(cat "$T/nerr")"; }
	probe=$(host_timer "${as[@]}")
	release_native
	grep -q "^uid [0-9]* held [0-9]* errno 11$" "$T/nout" || native_fail "timers did not run out natively: $(cat "$T/nout")"
	[ "$probe" = "timer_create errno 11" ] || native_fail "the host user still got a timer natively: $probe"

	rm -f "$T/done" "$T/out"
	jt_bg -- /usr/bin/python3 -c "$TIMERS_PROG" "$T/done"
	wait_until 30 grep -qx ready "$T/out" || { touch "$T/done"; jt_wait; fail "the holder did not get ready"; }
	# the host's processes of the program's own uid
	uid=$(sed -n 's/^uid \([0-9]*\) .*/\1/p' "$T/out")
	as=()
	[ "$(id -u)" = 0 ] && as=(setpriv --reuid "$uid" --regid "$uid" --clear-groups)
	probe=$(host_timer "${as[@]}")
	release_inside
	[ "$probe" = ok ] || fail "the host user (uid $uid) got no timer or queued signal: $probe"
	grep -q "^uid [0-9]* held [0-9]* errno 11$" "$T/out" || fail "expected EAGAIN inside: $(cat "$T/out")"
	[ "$(sed -n 's/^uid [0-9]* held \([0-9]*\) .*/\1/p' "$T/out")" -le 1025 ] || fail "more than 1024 timers held: $(cat "$T/out")"
}

# Pty masters, from /dev/ptmx and by reopening one's /proc/self/fd/N (a
# new pty too), up to argv[1] + 8; the count, then ready; holds them
# until argv[2] exists ("-": stdin ends).
PTYS_PROG='import os, sys, time
fds, err, want = [], 0, int(sys.argv[1])
while len(fds) < want:
    try:
        fds.append(os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY))
    except OSError as e:
        err = e.errno
        break
while fds and len(fds) < want + 8:
    try:
        fds.append(os.open("/proc/self/fd/%d" % fds[0], os.O_RDWR | os.O_NOCTTY))
    except OSError as e:
        err = e.errno
        break
print("held", len(fds), "errno", err)
print("ready", flush=True)
if sys.argv[2] == "-":
    sys.stdin.read()
while sys.argv[2] != "-" and not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
'

# ptys_held MARKER: pty masters the processes whose command line holds
# MARKER have open, as the host's /proc shows them
ptys_held() {
	local pid n=0
	for pid in $(survivors "$1"); do
		n=$((n + $(find "/proc/$pid/fd" -lname /dev/ptmx 2>/dev/null | wc -l)))
	done
	echo "$n"
}

t_ptys_are_capped_so_the_host_keeps_its_pool() {
	local max cap held
	max=$(cat /proc/sys/kernel/pty/max 2>/dev/null) || skip "no kernel.pty.max on this host"
	cap=$((max / 4 < 64 ? max / 4 : 64))
	[ -c /dev/ptmx ] || skip "no /dev/ptmx on this host"
	# natively: nothing holds a program below the machine's pool (4096 for
	# ssh, tmux and every terminal): it opens cap + 16 + 8 and holds them
	rm -f "$T/done" "$T/nout"
	/usr/bin/python3 -c "$PTYS_PROG" $((cap + 16)) - "$T/native-marker" >"$T/nout" 2>"$T/nerr" < <(until_done) &
	HOLDER=$!
	wait_until 10 grep -qx ready "$T/nout" || { touch "$T/done"; native_fail "the holder did not get ready: $(cat "$T/nerr")"; }
	held=$(ptys_held "$T/native-marker")
	release_native
	grep -qx "held $((cap + 24)) errno 0" "$T/nout" || native_fail "ptys did not open natively: $(cat "$T/nout") $(cat "$T/nerr")"
	[ "$held" -eq $((cap + 24)) ] || native_fail "the host saw $held pty masters held natively, not $((cap + 24))"

	rm -f "$T/done" "$T/out"
	jt_bg -- /usr/bin/python3 -c "$PTYS_PROG" $((cap + 16)) "$T/done"
	wait_until 10 grep -qx ready "$T/out" || { touch "$T/done"; jt_wait; fail "the holder did not get ready"; }
	# (jailtrace's own /dev/ptmx descriptors are O_PATH ones of its view)
	held=$(SURVIVOR_IGNORE=$JT_PID ptys_held "$T/done")
	release_inside
	[ "$held" -le "$cap" ] || fail "the host saw $held pty masters held by the sandbox (cap $cap)"
	expect_out_line "held $cap errno 28"
	expect_log '.type == "syscall" and .decision == "deny" and .rule == "builtin:pty-count" and .errno == "ENOSPC"'
}

aio_nr() { cat /proc/sys/fs/aio-nr; }

t_aio_contexts_are_refused_so_the_machine_keeps_its_pool() {
	local before during nr
	nr=$(call_nr io_setup) || skip "the probe knows no io_setup number for $(uname -m)"
	[ -r /proc/sys/fs/aio-nr ] || skip "no AIO on this host"
	# natively a context takes at least its events from fs.aio-max-nr, one pool for the machine
	rm -f "$T/done" "$T/nout"
	before=$(aio_nr)
	/usr/bin/python3 -c "$AIO_PROG" 4096 "$T/done" "$nr" >"$T/nout" 2>"$T/nerr" </dev/null &
	HOLDER=$!
	wait_until 10 grep -qx ready "$T/nout" || native_fail "the holder did not get ready"
	during=$(aio_nr)
	release_native
	grep -qx "io_setup ok" "$T/nout" || native_fail "io_setup failed natively: $(cat "$T/nout")"
	[ $((during - before)) -ge 4096 ] || native_fail "aio-nr went from $before to $during only"

	rm -f "$T/done" "$T/out"
	before=$(aio_nr)
	jt_bg -- /usr/bin/python3 -c "$AIO_PROG" 4096 "$T/done" "$nr"
	wait_until 10 grep -qx ready "$T/out" || { touch "$T/done"; jt_wait; fail "the holder did not get ready"; }
	during=$(aio_nr)
	release_inside
	expect_out_line "io_setup errno 38"
	# refused in the kernel by the default policy's deny rule (not recorded, as every such rule)
	[ $((during - before)) -lt 4096 ] || fail "aio-nr went from $before to $during"
}

# SysV objects under key argv[1] (they outlive the process); then keys and
# POSIX queues, printing each errno.
# argv[2], argv[3]: add_key's and mq_open's numbers
IPC_PROG='import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
key = int(sys.argv[1])
add_key, mq_open = int(sys.argv[2]), int(sys.argv[3])
for name, fn in (("shmget", lambda: libc.shmget(key, 4096, 0o1600)),
                 ("msgget", lambda: libc.msgget(key, 0o1600)),
                 ("semget", lambda: libc.semget(key, 1, 0o1600)),
                 ("add_key", lambda: libc.syscall(add_key, b"user", b"jt-hostharm", b"x", 1, -2)),
                 ("mq_open", lambda: libc.syscall(mq_open, b"jt-hostharm", 0o100 | 2, 0o600, None))):
    r = fn()
    print(name, "ok" if r >= 0 else "errno %d" % ctypes.get_errno())
'

# ipc_objects KEY: the SysV objects of the host under KEY (decimal in /proc/sysvipc).
ipc_objects() { awk -v k="$1" '$1 == k' /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem 2>/dev/null | wc -l; }

t_host_wide_ipc_objects_keys_and_queues_are_refused() {
	local key=$((0x4a540000 + $$ % 65536)) n nrs
	call_nr add_key >/dev/null && call_nr mq_open >/dev/null && call_nr mq_unlink >/dev/null ||
		skip "the probe knows no add_key, mq_open or mq_unlink numbers for $(uname -m)"
	nrs="$(call_nr add_key) $(call_nr mq_open)"
	[ -r /proc/sysvipc/shm ] || skip "no SysV IPC on this host"
	[ "$(ipc_objects "$key")" = 0 ] || skip "the host already has IPC objects under key $key"
	# natively they are the host's, and outlive the program
	# shellcheck disable=SC2086
	native /usr/bin/python3 -c "$IPC_PROG" "$key" $nrs
	n=$(ipc_objects "$key")
	ipcrm -M "$key" -Q "$key" -S "$key" 2>/dev/null
	/usr/bin/python3 -c 'import ctypes; ctypes.CDLL(None).syscall('"$(call_nr mq_unlink)"', b"jt-hostharm")'
	[ "$n" = 3 ] || native_fail "expected 3 SysV objects left natively, found $n"

	# shellcheck disable=SC2086
	jt -- /usr/bin/python3 -c "$IPC_PROG" "$key" $nrs
	expect_rc 0
	n=$(ipc_objects "$key")
	[ "$n" = 0 ] || { ipcrm -M "$key" -Q "$key" -S "$key" 2>/dev/null; fail "$n SysV objects left on the host"; }
	for call in shmget msgget semget add_key mq_open; do
		expect_out_line "$call errno 38"
	done
}

# Usefulness: what the jail's own files get is what the kernel gives.
t_locks_and_leases_on_jail_files_work_between_sandboxed_processes() {
	command -v flock >/dev/null || skip "no flock(1) on this host"
	# flock excludes a second sandboxed process, natively and inside
	native flock "$T/nat.lock" /bin/sh -c 'flock -n "$1" true; echo inner=$?' sh "$T/nat.lock"
	grep -qx inner=1 "$T/nout" || native_fail "flock did not exclude natively: $(cat "$T/nout")"
	jt -- /usr/bin/flock /tmp/l /bin/sh -c 'flock -n /tmp/l true; echo inner=$?'
	expect_out_line inner=1
	# a record lock too (lockf inside a child while the parent holds one)
	jt -- /usr/bin/python3 -c 'import fcntl, os
fd = os.open("/tmp/r", os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
if os.fork() == 0:
    fd2 = os.open("/tmp/r", os.O_RDWR)
    try:
        fcntl.lockf(fd2, fcntl.LOCK_EX | fcntl.LOCK_NB); print("child got it", flush=True)
    except OSError as e:
        print("child refused", e.errno, flush=True)
    os._exit(0)
os.wait()'
	expect_out_line "child refused 11"
	# a write lease on a file of the jail is the program's own business (a
	# lease needs the file's owner: the jail's files are the program's user's)
	jt -- /bin/sh -c "echo x >/tmp/jailfile; touch /tmp/done; exec $PROGS/hostlock lease-wr /tmp/jailfile /tmp/done"
	expect_out_line "lease-wr ok"
}

# epoll watches: 100 instances, each watching the same 700 descriptors, until
# one fails; then all closed, and one watch again.
EPOLL_PROG='import os, select
r, w = os.pipe()
fds = [os.dup(r) for i in range(700)]
eps, n, err = [], 0, 0
try:
    for i in range(100):
        eps.append(select.epoll())
        for f in fds:
            eps[-1].register(f, select.EPOLLIN)
            n += 1
except OSError as e:
    err = e.errno
print("watches", n, "errno", err)
for e in eps:
    e.close()
e = select.epoll()
e.register(r, select.EPOLLIN)
print("again ok")
'

t_epoll_watches_are_capped_per_run_and_given_back_when_closed() {
	local max cap
	max=$(cat /proc/sys/fs/epoll/max_user_watches 2>/dev/null) || skip "no epoll limit on this host"
	cap=$((max / 4 < 65536 ? max / 4 : 65536))
	[ "$max" -gt 70000 ] || skip "max_user_watches is $max: the native run would take them all"
	# natively the user's allowance (fs.epoll.max_user_watches, shared with
	# every event loop of that user) gives more than a run may hold
	GUARD_SECS=$(slow 90)
	native /usr/bin/python3 -c "$EPOLL_PROG"
	grep -qx "watches 70000 errno 0" "$T/nout" || native_fail "the watches were not all given natively: $(cat "$T/nout" "$T/nerr")"
	# (the default --cpu 60s, times the factor too: in the arm64 VM the
	# 70000 registrations, decided at stops, took the whole minute's CPU)
	jt --timeout 80s --cpu "$(slow 60)s" -- /usr/bin/python3 -c "$EPOLL_PROG"
	expect_rc 0
	expect_out_line "watches $cap errno 28"
	expect_out_line "again ok"
	expect_log '.type == "syscall" and .name == "epoll_ctl" and .decision == "deny" and .rule == "builtin:epoll-watches"'
}
