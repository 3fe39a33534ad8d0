# The static build (make static): one file that runs where nothing of a
# userland is, judged from the host. These run in the static pass (its
# jailtrace is statically linked); elsewhere they skip.

needs_static() {
	file -b "$JT" | grep -q 'statically linked' ||
		skip "this jailtrace is dynamically linked (the static pass runs these)"
}

# make_root DIR: a root file system of nothing but the static jailtrace,
# Debian's static busybox (sh, cat, echo) and an empty /proc, /dev, /tmp to
# mount on; a root-only /secret and an /etc the program may not write.
make_root() {
	[ "$(id -u)" = 0 ] || skip "a chroot needs root"
	file -b /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
		skip "no static busybox (Debian: busybox-static)"
	mkdir -p "$1/bin" "$1/proc" "$1/dev" "$1/tmp" "$1/etc" "$1/jails" || fail "cannot make $1"
	chmod 1777 "$1/tmp"
	cp "$JT" "$1/jailtrace" && cp /bin/busybox "$1/bin/busybox" || fail "cannot fill $1"
	for c in sh cat echo; do ln -s busybox "$1/bin/$c"; done
	: >"$1/dev/null"
	echo "topsecret-$$" >"$1/secret"
	chmod 600 "$1/secret"
}

# in_root DIR CMD...: CMD chrooted in DIR, with /proc and /dev/null
# mounted in a mount namespace of its own (nothing is left mounted).
in_root() {
	local root=$1
	shift
	unshare -m -- sh -c 'mount -t proc proc "$0/proc" && mount --bind /dev/null "$0/dev/null" &&
		exec chroot "$0" "$@"' "$root" "$@"
}

t_the_static_binary_needs_no_shared_library() {
	needs_static
	# native control: a program of this host names its loader and libc
	readelf -l /bin/true | grep -q 'program interpreter' || native_fail "/bin/true names no interpreter"
	readelf -d /bin/true | grep -q 'NEEDED' || native_fail "/bin/true needs no library"
	! readelf -l "$JT" | grep -q 'program interpreter' || fail "the static jailtrace names an interpreter"
	! readelf -d "$JT" 2>/dev/null | grep -q 'NEEDED' || fail "the static jailtrace needs a shared library"
	"$JT" doctor >"$T/out" 2>&1
	grep -q '^  build  *static ' "$T/out" || fail "doctor does not say it is the static build: $(cat "$T/out")"
	grep -q '^  proxy  *no  *proxy: this jailtrace is statically linked' "$T/out" ||
		fail "doctor does not say proxy rules are refused: $(grep proxy "$T/out")"
	grep -q '^  stacks  *yes ' "$T/out" || fail "doctor says it takes no stacks: $(grep stacks "$T/out")"
	# what it cannot do is refused before the run, with its reason
	jt --proxy 'api http://127.0.0.1:9' -- /bin/true
	expect_rc 125
	grep -q 'statically linked and has no HTTP client' "$T/err" || fail "no reason for the refusal: $(cat "$T/err")"
}

t_the_static_binary_sandboxes_in_a_chroot_that_holds_nothing_else() {
	needs_static
	local r=$T/root
	make_root "$r"
	# native control: in the chroot, busybox reads the secret and writes /etc
	in_root "$r" /bin/sh -c 'cat /secret; echo native >/etc/native' >"$T/nout" 2>&1
	grep -q "topsecret-$$" "$T/nout" || native_fail "busybox cannot read /secret in the chroot: $(cat "$T/nout")"
	[ -s "$r/etc/native" ] || native_fail "busybox cannot write /etc in the chroot"
	# inside: the secret is not read, /etc not written, the jail is
	in_root "$r" /jailtrace run --log /run.jsonl --jail /jails -- \
		/bin/sh -c 'cat /secret; echo jailed >/work/kept; echo y >/etc/y' >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 1 ] || fail "exit $rc, not 1 (the failed write): $(cat "$T/err")"
	! grep -q "topsecret-$$" "$T/out" "$T/err" || fail "the secret was read inside"
	[ ! -e "$r/etc/y" ] || fail "the program wrote /etc/y of the chroot"
	[ "$(cat "$r/jails/work/kept" 2>/dev/null)" = jailed ] ||
		fail "the jail holds no /work/kept: $(find "$r/jails" | head)"
	jq -c 'select(.type == "syscall" and .decision == "deny" and .facts.path == "/secret")' \
		"$r/run.jsonl" | grep -q . || fail "no denial of /secret in the log"
	jq -c 'select(.type == "syscall" and .decision == "deny" and .facts.path == "/etc/y")' \
		"$r/run.jsonl" | grep -q . || fail "no denial of /etc/y in the log"
}

t_the_static_binary_enforces_limits_in_a_chroot() {
	needs_static
	local r=$T/root pid
	make_root "$r"
	# native control: the loop runs past the limit (ended by timeout(1))
	timeout 3 chroot "$r" /bin/sh -c 'while :; do :; done'
	[ $? = 124 ] || native_fail "the loop ended by itself"
	in_root "$r" /jailtrace run --timeout 1s --jail /jails --result /result.json -- \
		/bin/sh -c 'echo $$ >/work/pid; while :; do :; done' >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 124 ] || fail "exit $rc, not 124 (the timeout): $(cat "$T/err")"
	jq -e '.status == "timeout"' "$r/result.json" >/dev/null ||
		fail "the result does not name the timeout: $(cat "$r/result.json")"
	pid=$(cat "$r/jails/work/pid" 2>/dev/null)
	[ -n "$pid" ] || fail "the loop never ran (no /work/pid)"
	wait_until 10 eval '! kill -0 "$pid" 2>/dev/null' || fail "the loop (pid $pid) is still running"
}

t_the_static_binary_resolves_names_from_etc_hosts_in_a_chroot() {
	needs_static
	local r=$T/root
	make_root "$r"
	# a name only the chroot's /etc/hosts knows; nsswitch.conf names a
	# module the static binary must not try to load
	echo "127.0.0.1 jt-static-only-$$" >"$r/etc/hosts"
	echo "hosts: files mdns4_minimal [NOTFOUND=return] dns" >"$r/etc/nsswitch.conf"
	# native control: the host does not know it
	! getent hosts "jt-static-only-$$" >/dev/null || native_fail "the host resolves jt-static-only-$$"
	in_root "$r" /jailtrace run --allow-net "jt-static-only-$$:9" -- /bin/cat /etc/hosts >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 0 ] || fail "exit $rc: $(cat "$T/err")"
	grep -q "127.0.0.1.*jt-static-only-$$" "$T/out" || fail "the sandbox's /etc/hosts lacks the name: $(cat "$T/out")"
	in_root "$r" /jailtrace run --allow-net "jt-no-such-name-$$:9" -- /bin/true >"$T/out" 2>"$T/err"
	[ $? = 125 ] || fail "an unknown name was not refused before the run: $(cat "$T/err")"
	grep -q "cannot resolve host" "$T/err" || fail "no reason for the refusal: $(cat "$T/err")"
}

t_the_static_binary_serves_domain_rules_in_a_chroot() {
	needs_static
	local r=$T/root pid p
	make_root "$r"
	ln -s busybox "$r/bin/wget"
	/usr/bin/python3 "$NET_TOOLS/egress_server.py" "$JT_AUX/up.port" "$JT_AUX/up.rec" </dev/null \
		>"$JT_AUX/up.log" 2>&1 &
	pid=$!
	wait_until 20 test -s "$JT_AUX/up.port" || fail "the upstream did not start: $(cat "$JT_AUX/up.log")"
	VICTIMS+=("$pid:$(proc_start "$pid")")
	p=$(cat "$JT_AUX/up.port")
	# native control: busybox's wget in the chroot reaches the host's loopback server
	in_root "$r" /bin/wget -q -O - "http://127.0.0.1:$p/native" >"$T/nout" 2>&1
	grep -q "^egress-upstream GET /native " "$T/nout" || native_fail "wget in the chroot cannot reach 127.0.0.1:$p: $(cat "$T/nout")"
	# the domain proxy is jailtrace's own code: the static build serves it
	echo "127.0.0.1 web.test" >"$r/etc/jt-hosts"
	in_root "$r" /jailtrace run --allow-domain "web.test:$p" --hosts /etc/jt-hosts -- /bin/sh -c \
		"wget -q -O - http://web.test:$p/static; wget -q -O - http://other.test:$p/refused || echo refused" \
		>"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 0 ] || fail "exit $rc: $(cat "$T/err")"
	grep -q "^egress-upstream GET /static host=web.test:$p\$" "$T/out" || fail "the allowed name was not reached: $(cat "$T/out" "$T/err")"
	grep -qx refused "$T/out" || fail "another name was not refused: $(cat "$T/out")"
	wait_until 20 grep -q '"path": *"/static"' "$JT_AUX/up.rec" || fail "the upstream did not record the request: $(cat "$JT_AUX/up.rec")"
	! grep -q '/refused' "$JT_AUX/up.rec" || fail "the refused name reached the upstream: $(cat "$JT_AUX/up.rec")"
}
