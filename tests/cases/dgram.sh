# Unix datagrams under the view: every address a datagram names (sendto,
# sendmsg, sendmmsg, connect, the i386 forms and socketcall) is resolved in
# the sandbox's view, whatever the socket was made as: SOCK_DGRAM, SOCK_RAW
# (which the kernel turns into a datagram socket), with SOCK_NONBLOCK and
# SOCK_CLOEXEC, one end of a socketpair. A host socket outside the view (a
# stand-in for /dev/log or journald's socket) and the host's abstract names
# receive nothing; every refusal is on the record. Judged from the host: a
# listener records each datagram that reaches it.

UD_TYPES="dgram raw dgram-flags raw-flags pair-dgram pair-raw"
UD_VIAS="sendto sendmsg sendmmsg connect"

count() { wc -l <"$JT_AUX/$1.rec"; }

# drained NAME ADDR: a marker datagram sent natively after everything else
# has been recorded, so whatever reached the listener before it is in the
# record too (a socket's datagrams queue in order): no sleeping on a guess.
drained() {
	local m="mark-$RANDOM"
	/usr/bin/python3 -c '
import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), "\0" + a[1:] if a.startswith("@") else a)' "$2" "$m" ||
		fail "no marker datagram to $2"
	wait_until 20 grep -q "$m" "$JT_AUX/$1.rec" || fail "listener $1 never recorded its marker"
	grep -v "$m" "$JT_AUX/$1.rec" >"$JT_AUX/$1.rec.tmp" || true
	mv "$JT_AUX/$1.rec.tmp" "$JT_AUX/$1.rec"
}

# natively_all NAME ADDR: every type and way reaches the host listener natively.
natively_all() {
	local t v n
	for t in $UD_TYPES; do
		for v in $UD_VIAS; do
			native "$PROGS/netprobe" udsend "$t" "$v" "$2"
			grep -qx "udsend: ok" "$T/nout" || native_fail "udsend $t $v $2 does not work natively"
		done
	done
	drained "$1" "$2"
	n=$(count "$1")
	# sendmmsg sends 4 (3 to the address on a pair): 7 per type, 6 per pair type
	[ "$n" = 40 ] || native_fail "the listener got $n native datagrams, not 40: $(head -c 300 "$JT_AUX/$1.rec")"
	forget "$1"
}

# inside_none NAME ADDR ERRNO FACTS: no type or way reaches it inside; each
# answers ERRNO, and each send's refusal has FACTS (a jq condition).
inside_none() {
	local t v
	for t in $UD_TYPES; do
		for v in $UD_VIAS; do
			jt -- "$PROGS/netprobe" udsend "$t" "$v" "$2"
			if [ "$v" = sendmmsg ] && [ "${t#pair-}" != "$t" ]; then
				# the first entry went to the pair's other end; the next is refused
				expect_out_line "udsend: 1 of 4"
			else
				expect_out_line "udsend: $3"
			fi
			expect_log ".type == \"syscall\" and .name == \"$v\" and .decision == \"deny\" and .errno == \"$3\"" "$t $v"
			[ "$v" = connect ] || expect_log ".name == \"$v\" and .decision == \"deny\" and $4" "$t $v"
		done
	done
	drained "$1" "$2"
	[ "$(count "$1")" = 0 ] || fail "a datagram reached the host socket $2: $(head -c 400 "$JT_AUX/$1.rec")"
}

# ---------------------------------------------------------------- the host's sockets

t_no_unix_datagram_reaches_a_host_socket_outside_the_view_by_path() {
	listen h unix-dgram "$JT_AUX/log.sock"
	natively_all h "$JT_AUX/log.sock"
	inside_none h "$JT_AUX/log.sock" ENOENT ".rule == \"builtin:not-in-view\" and .facts.path == \"$JT_AUX/log.sock\""
}

t_no_unix_datagram_reaches_an_abstract_name_of_the_host() {
	local name="jt-dgram-${T##*/}"
	listen a abstract-dgram "$name"
	natively_all a "@$name"
	inside_none a "@$name" EACCES ".rule == \"builtin:abstract-unix\" and .facts.addr == \"unix @$name\""
}

# A host socket in a read-only grant is a service of the host (/dev/log is
# one when /dev is shown): a datagram reaches it only with `--allow-unix`.
t_a_host_datagram_socket_in_a_read_only_grant_needs_allow_unix() {
	mkdir -p "$JT_AUX/run"
	listen s unix-dgram "$JT_AUX/run/log.sock"
	native "$PROGS/netprobe" udsend raw sendmsg "$JT_AUX/run/log.sock"
	grep -qx "udsend: ok" "$T/nout" || native_fail "udsend does not work natively"
	drained s "$JT_AUX/run/log.sock"
	[ "$(count s)" = 1 ] || native_fail "the native datagram did not arrive"
	forget s
	for v in $UD_VIAS; do
		jt --ro "$JT_AUX/run" -- "$PROGS/netprobe" udsend raw "$v" "$JT_AUX/run/log.sock"
		expect_out_line "udsend: ECONNREFUSED"
		expect_log ".name == \"$v\" and .decision == \"deny\" and .rule == \"builtin:unix-socket-not-granted\""
	done
	drained s "$JT_AUX/run/log.sock"
	[ "$(count s)" = 0 ] || fail "a datagram reached the host socket in a read-only grant"
	jt --allow-unix "$JT_AUX/run/log.sock" -- "$PROGS/netprobe" udsend raw sendmsg "$JT_AUX/run/log.sock"
	expect_out_line "udsend: ok"
	drained s "$JT_AUX/run/log.sock"
	[ "$(count s)" = 1 ] || fail "the granted socket got $(count s) datagrams, not 1"
	expect_log ".name == \"sendmsg\" and .decision == \"allow\" and .facts.path == \"$JT_AUX/run/log.sock\""
}

# Another thread flips the address between a socket in the jail (allowed)
# and a link beside it to the host's socket (the names differ in one byte,
# so the flip never tears): the tracer sends on the bytes it decided on, so
# the kernel never reads an address the program rewrote after the check.
t_a_datagram_address_rewritten_by_another_thread_reaches_no_host_socket() {
	local v i
	mkdir -p "$T/jail"
	listen h unix-dgram "$JT_AUX/h.sock"
	listen j unix-dgram "$T/jail/j.sock"
	ln -s "$JT_AUX/h.sock" "$T/jail/k.sock"
	for v in sendto sendmsg; do
		for i in 1 2 3; do
			native "$PROGS/netprobe" udrace "$v" "$T/jail/j.sock" "$T/jail/k.sock" 2000
			drained h "$JT_AUX/h.sock"
			[ "$(count h)" -gt 0 ] && break
		done
		[ "$(count h)" -gt 0 ] || skip "the flipping thread never ran between two native sends ($v)"
		forget h
		jt -- "$PROGS/netprobe" udrace "$v" "$T/jail/j.sock" "$T/jail/k.sock" 2000
		grep -q "^udrace: sent [1-9]" "$T/out" || fail "no datagram reached the jail's socket ($v): $(cat "$T/out")"
		drained h "$JT_AUX/h.sock"
		[ "$(count h)" = 0 ] || fail "a raced $v reached the host socket $(count h) times"
		expect_log ".name == \"$v\" and .decision == \"deny\" and .errno == \"ENOENT\""
	done
}

# ---------------------------------------------------------------- i386


t_a_32bit_program_sends_no_unix_datagram_to_the_host() {
	local t v
	needs_i386_programs
	listen h unix-dgram "$JT_AUX/h.sock"
	for t in dgram raw pair-raw; do
		for v in sendto sendmsg sendmmsg connect socketcall-sendto socketcall-sendmsg; do
			native "$PROGS/netprobe32" udsend "$t" "$v" "$JT_AUX/h.sock"
			grep -qx "udsend: ok" "$T/nout" || native_fail "32-bit udsend $t $v does not work natively"
		done
	done
	drained h "$JT_AUX/h.sock"
	[ "$(count h)" -gt 0 ] || native_fail "no 32-bit datagram arrived natively"
	forget h
	for t in dgram raw pair-raw; do
		for v in sendto sendmsg sendmmsg connect socketcall-sendto socketcall-sendmsg; do
			jt -- "$PROGS/netprobe32" udsend "$t" "$v" "$JT_AUX/h.sock"
			# a pair's sendmmsg sends its first entry to the other end
			if [ "$t" = pair-raw ] && [ "$v" = sendmmsg ]; then
				expect_out_line "udsend: 1 of 4"
			else
				expect_out_line "udsend: ENOENT"
			fi
			# the msghdr is read in the i386 layout: the address is the one decided
			expect_log ".abi == \"i386\" and .decision == \"deny\" and .facts.path == \"$JT_AUX/h.sock\"" "$t $v"
		done
	done
	drained h "$JT_AUX/h.sock"
	[ "$(count h)" = 0 ] || fail "a 32-bit datagram reached the host socket: $(head -c 300 "$JT_AUX/h.rec")"
}

# ---------------------------------------------------------------- usefulness

t_a_32bit_program_sends_unix_datagrams_and_descriptors_in_the_jail() {
	needs_i386_programs
	mkdir -p "$T/jail"
	native "$PROGS/netprobe32" udjail "$T/jail"
	grep -qx "udjail: ok" "$T/nout" || native_fail "32-bit udjail does not work natively"
	rm -f "$T/jail/r.sock"
	jt -- "$PROGS/netprobe32" udjail "$T/jail"
	expect_out_line "udjail: ok"
	expect_log ".name == \"sendmmsg\" and .abi == \"i386\" and .decision == \"allow\" and .facts.path == \"$T/jail/r.sock\""
}

t_unix_datagrams_between_sockets_in_the_jail_work_and_are_logged() {
	mkdir -p "$T/jail"
	native "$PROGS/netprobe" udjail "$T/jail"
	grep -qx "udjail: ok" "$T/nout" || native_fail "udjail does not work natively"
	rm -f "$T/jail/r.sock"
	jt -- "$PROGS/netprobe" udjail "$T/jail"
	expect_out_line "udjail: ok"
	expect_rc 0
	for v in sendto sendmsg sendmmsg; do
		expect_log ".name == \"$v\" and .decision == \"allow\" and .facts.path == \"$T/jail/r.sock\""
	done
	expect_log '.name == "socket" and .decision == "allow"'
	expect_log '.name == "socketpair" and .decision == "allow"'
	local q='.decision == "deny" and (.name | test("send|connect|socket|bind"))'
	[ "$(log_count "$q")" = 0 ] || fail "a socket call refused in the jail: $(log_select "$q" | head -c 400)"
}
