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

# Descriptors passed in SCM_RIGHTS arrive as the very open file
# descriptions sent (as multiprocessing's forkserver needs): a pipe's write
# end stays one, a file's offset is shared. Every sendmsg is performed by
# the tracer under the view; before 5.6 (no pidfd_getfd, the legacy pass)
# its copies are fetched over the handover pair, never reopened by path.
PASS_FDS='import os, socket
from multiprocessing import reduction
a, b = socket.socketpair()
r, w = os.pipe()
f = os.open("/work/f" if os.path.isdir("/work") and not os.environ.get("NATIVE") else "f", os.O_RDWR | os.O_CREAT, 0o600)
os.write(f, b"12345")
reduction.sendfds(a, [w, f, r])
got = reduction.recvfds(b, 8)
os.write(got[0], b"via-the-passed-write-end")
print(os.read(r, 64).decode())
os.write(got[1], b"678")
print("offset shared:", os.lseek(f, 0, os.SEEK_CUR))'

t_descriptors_passed_over_a_unix_socket_are_the_same_open_files() {
	native env NATIVE=1 /usr/bin/python3 -c "$PASS_FDS"
	grep -qx "via-the-passed-write-end" "$T/nout" && grep -qx "offset shared: 8" "$T/nout" ||
		native_fail "natively the passed descriptors are not the same open files"
	jt -- /usr/bin/python3 -c "$PASS_FDS"
	expect_rc 0
	expect_out_line "via-the-passed-write-end"
	expect_out_line "offset shared: 8"
}

# A thread made without CLONE_FILES has a descriptor table of its own: its
# descriptor N is not its leader's N. What the tracer does for it (an
# fstat answered from the tracer's copy, a connect the tracer makes) must
# be done on the thread's own, not on the leader's that pidfd_getfd would
# fetch (it reads the leader's table).
t_a_thread_with_its_own_descriptor_table_stats_its_own_file() {
	local size
	size=$(stat -c %s "$PROGS/ownfiles")
	native "$PROGS/ownfiles" fstat "$PROGS/ownfiles" /tmp
	grep -qx "thread fstat 0 $size" "$T/nout" || native_fail "the thread does not stat its own file natively: $(cat "$T/nout")"
	jt -- "$PROGS/ownfiles" fstat "$PROGS/ownfiles" /tmp
	expect_rc 0
	expect_out_line "thread fstat 0 $size"
	# a socket, which cannot be reopened by its /proc link
	native "$PROGS/ownfiles" fstatsock
	grep -qx "thread fstat 0 sock 1" "$T/nout" || native_fail "the thread does not stat its socket natively: $(cat "$T/nout")"
	jt -- "$PROGS/ownfiles" fstatsock
	expect_rc 0
	expect_out_line "thread fstat 0 sock 1"
}

# pidfd_getfd reads the leader's table: once the leader has exited, the
# group's descriptors are had another way (a socket's fstat is its link's)
t_a_thread_whose_leader_has_exited_stats_its_socket() {
	native "$PROGS/ownfiles" leadgone
	grep -qx "thread fstat 0 sock 1" "$T/nout" || native_fail "the thread does not stat its socket natively: $(cat "$T/nout")"
	jt -- "$PROGS/ownfiles" leadgone
	expect_rc 0
	expect_out_line "thread fstat 0 sock 1"
}

t_a_thread_with_its_own_descriptor_table_connects_its_own_socket() {
	listen up tcp 127.0.0.1
	native "$PROGS/ownfiles" connect "$(port up)"
	grep -q '^thread fd 3 connect 0 read hello port ' "$T/nout" && grep -qx 'leader peer -1' "$T/nout" ||
		native_fail "the thread does not connect its own socket natively: $(cat "$T/nout")"
	caught_up up
	forget up
	jt --allow-net "127.0.0.1:$(port up)" -- "$PROGS/ownfiles" connect "$(port up)"
	expect_rc 0
	grep -q '^thread fd 3 connect 0 read hello port ' "$T/out" || fail "the thread's own socket was not connected: $(cat "$T/out")"
	expect_out_line "leader peer -1"
	# judged at the listener: the connection that came is the thread's socket
	caught_up up
	p=$(sed -n 's/^thread fd 3 connect 0 read hello port //p' "$T/out")
	grep -q "127.0.0.1', $p)" "$JT_AUX/up.rec" || fail "the listener did not see the thread's socket (port $p): $(cat "$JT_AUX/up.rec")"
}

t_a_thread_with_its_own_descriptor_table_passes_its_very_descriptor() {
	/usr/bin/python3 "$NET_TOOLS/fdrecv.py" "$JT_AUX/recv.sock" "$JT_AUX/recv.rec" </dev/null >"$JT_AUX/recv.log" 2>&1 &
	VICTIMS+=("$!:$(proc_start "$!")")
	wait_until 20 test -e "$JT_AUX/recv.sock.ready" || fail "the receiver did not start: $(cat "$JT_AUX/recv.log")"
	native "$PROGS/ownfiles" sendfd "$JT_AUX/recv.sock"
	grep -qx "thread sendmsg 9 read from-host" "$T/nout" || native_fail "the pipe's end did not go and come back natively: $(cat "$T/nout")"
	wait_until 10 grep -q . "$JT_AUX/recv.rec"
	grep -qx "own-table: fd mode WRONLY write ok" "$JT_AUX/recv.rec" || native_fail "the receiver did not get the write end natively: $(cat "$JT_AUX/recv.rec")"
	: >"$JT_AUX/recv.rec"
	jt --allow-unix "$JT_AUX/recv.sock" -- "$PROGS/ownfiles" sendfd "$JT_AUX/recv.sock"
	expect_rc 0
	expect_out_line "thread sendmsg 9 read from-host"
	wait_until 10 grep -q . "$JT_AUX/recv.rec"
	grep -qx "own-table: fd mode WRONLY write ok" "$JT_AUX/recv.rec" || fail "the receiver got another description than the program's: $(cat "$JT_AUX/recv.rec")"
}
