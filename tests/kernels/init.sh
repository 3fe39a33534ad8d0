#!/bin/sh
# The init of the kernel matrix's VMs (tools/kernels.sh): the core
# containment classes, each with its native control, judged from outside
# the sandbox (the VM's own root is the "host"), on the kernel booted.
# Prints "ok NAME", "FAIL NAME: why" or "skip NAME: why" per check, the
# doctor's rows as "doctor: ...", the mechanism a run used, then powers off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mkdir -p /var/tmp /work
ip link set lo up
cd /tmp || exit 1
JT=/bin/jailtrace
# (every run below ends within the default --timeout of 60s at most)
echo "=== kernel $(uname -r) $(uname -m)"
$JT doctor | sed 's/^/doctor: /'

ok() { echo "ok $1"; }
bad() { echo "FAIL $1: $2"; }
skip() { echo "skip $1: $2"; }
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# wait_gone PID: it ends within 10 s (a slow emulated CPU under load)
wait_gone() {
	i=0
	while [ $i -lt 100 ]; do
		gone "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# the two transports where the kernel has user notifications (5.14+)
modes=ptrace
$JT doctor --json | grep -q '"user_notif":{"kernel_has":true,"used":true' && modes="notif ptrace"

for mode in $modes; do
	if [ "$mode" = ptrace ]; then export JAILTRACE_DISABLE=user_notif; else unset JAILTRACE_DISABLE; fi
	s="[$mode]"

	# the file view: a root-only host file is not there
	if [ "$(cat /root/secret)" != TOPSECRET ]; then
		bad "view_read$s" "native control: root cannot read /root/secret"
	else
		out=$($JT run --quiet --log /tmp/view.jsonl -- /bin/cat /root/secret 2>&1)
		rc=$?
		if [ $rc != 1 ] || echo "$out" | grep -q TOPSECRET; then
			bad "view_read$s" "exit $rc: $out"
		elif ! grep -q '"facts":{"path":"/root/secret"},"decision":"deny"' /tmp/view.jsonl; then
			bad "view_read$s" "no denial in the log"
		else
			ok "view_read$s"
			echo "mechanism$s: $(grep -o '"mechanism":{[^}]*}' /tmp/view.jsonl | head -1)"
		fi
	fi

	# the jail is written, a read-only grant is not
	rm -f /etc/pwned
	echo native >/etc/native-write || bad "jail_write$s" "native control: /etc not writable"
	out=$($JT run --quiet --jail /tmp/jail -- /bin/sh -c 'echo jailed >/work/f; cat /work/f; echo x >/etc/pwned' 2>&1)
	rc=$?
	if [ -e /etc/pwned ]; then
		bad "jail_write$s" "the program wrote /etc/pwned"
	elif [ $rc = 0 ] || [ "$(cat /tmp/jail/work/f 2>/dev/null)" != jailed ]; then
		bad "jail_write$s" "exit $rc, jail: $(ls -R /tmp/jail 2>&1 | head -5): $out"
	else
		ok "jail_write$s"
	fi
	rm -rf /tmp/jail

	# the network is off: a local listener gets nothing
	nc -l -p 7070 >/tmp/rx 2>/dev/null &
	l=$!
	sleep 0.3
	echo native | timeout 5 nc -w 1 127.0.0.1 7070 2>/dev/null
	sleep 0.3
	kill $l 2>/dev/null
	if ! grep -q native /tmp/rx; then
		skip "net_off$s" "native control: busybox nc did not connect here"
	else
		nc -l -p 7070 >/tmp/rx 2>/dev/null &
		l=$!
		sleep 0.3
		out=$($JT run --quiet --timeout 20s -- /bin/sh -c 'echo inside | nc -w 1 127.0.0.1 7070' 2>&1)
		rc=$?
		sleep 0.3
		kill $l 2>/dev/null
		if grep -q inside /tmp/rx; then
			bad "net_off$s" "the listener got data from inside"
		elif [ $rc = 0 ]; then
			bad "net_off$s" "the connect succeeded: $out"
		else
			ok "net_off$s"
		fi
	fi

	# signals: a process outside cannot be killed from inside
	sleep 1000 &
	v=$!
	sleep 1000 &
	c=$!
	kill $c
	if ! wait_gone $c; then
		bad "signal_outside$s" "native control: kill did not end a sleep"
	else
		$JT run --quiet -- /bin/kill $v >/dev/null 2>&1
		# as long as the native kill took to show, and more
		if wait_gone $v; then bad "signal_outside$s" "the program killed a process outside"; else ok "signal_outside$s"; fi
	fi
	kill $v 2>/dev/null

	# limits: the wall-time limit ends the tree, and leaves nothing running
	$JT run --quiet --timeout 1s --grace 0 --jail /tmp/jail -- /bin/sh -c 'echo $$ >/work/pid; while :; do :; done' >/dev/null 2>&1
	rc=$?
	p=$(cat /tmp/jail/work/pid 2>/dev/null)
	if [ $rc != 124 ] || [ -z "$p" ]; then
		bad "timeout$s" "exit $rc, pid '$p'"
	elif ! gone "$p"; then
		bad "timeout$s" "the loop $p still runs"
	else
		ok "timeout$s"
	fi
	rm -rf /tmp/jail

	# limits: a process bomb ends at --procs, and nothing of it is left
	$JT run --quiet --procs 16 --jail /tmp/jail -- /bin/sh -c 'i=0; while [ $i -lt 100 ]; do sleep 77 & echo $! >>/work/pids; i=$((i + 1)); done; wait' >/dev/null 2>&1
	rc=$?
	left=""
	for p in $(cat /tmp/jail/work/pids 2>/dev/null); do gone "$p" || left="$left $p"; done
	if [ $rc != 137 ]; then
		bad "procs$s" "exit $rc, not 137"
	elif [ -n "$left" ]; then
		bad "procs$s" "left running:$left"
	else
		ok "procs$s"
	fi
	rm -rf /tmp/jail

	# exec rules: a file the program wrote does not run
	mkdir -p /tmp/w && cp /bin/busybox /tmp/w/busybox
	if ! /tmp/w/busybox true; then
		bad "exec_written$s" "native control: a copied busybox does not run"
	else
		out=$($JT run --quiet -- /bin/sh -c 'cp /bin/busybox /work/busybox && /work/busybox true; echo "rc=$?"' 2>&1)
		if ! echo "$out" | grep -q 'Permission denied' || echo "$out" | grep -q 'rc=0'; then
			bad "exec_written$s" "the written file ran: $out"
		else
			ok "exec_written$s"
		fi
	fi
	rm -rf /tmp/w

	# a program below a directory the sandbox user cannot walk (as root: it
	# is handed over as a descriptor, and run with execveat)
	mkdir -p /tmp/p && chmod 700 /tmp/p && cp /bin/busybox /tmp/p/busybox
	if ! /tmp/p/busybox true; then
		bad "exec_by_descriptor$s" "native control: root cannot run /tmp/p/busybox"
	else
		out=$($JT run --quiet --ro /tmp/p -- /tmp/p/busybox echo ran 2>&1)
		rc=$?
		if [ $rc != 0 ] || [ "$out" != ran ]; then
			bad "exec_by_descriptor$s" "exit $rc: $out"
		else
			ok "exec_by_descriptor$s"
		fi
	fi
	rm -rf /tmp/p

	# races: a thread flips the path another opens, between a jail file
	# and a host one; inside, the host file is never read
	if [ -x /bin/race ]; then
		mkdir -p /tmp/r && echo JAILFILE >/tmp/r/good
		out=$(/bin/race flip /tmp/r/good /root/secret 1 2>&1)
		if ! echo "$out" | grep -q 'read: TOPSECRET' || ! echo "$out" | grep -q 'read: JAILFILE'; then
			skip "race_flip$s" "native control: the flipping thread never won here ($out)"
		else
			out=$($JT run --quiet --jail /tmp/rj -- /bin/sh -c 'echo JAILFILE >/work/good; /bin/race flip /work/good /root/secret 2' 2>&1)
			if echo "$out" | grep -q TOPSECRET; then
				bad "race_flip$s" "a flipped path read the host file"
			elif ! echo "$out" | grep -q 'read: JAILFILE'; then
				bad "race_flip$s" "the jail file was never read: $out"
			else
				ok "race_flip$s"
			fi
		fi
		rm -rf /tmp/r /tmp/rj
	fi

	# the i386 ABI, where the kernel runs 32-bit programs
	if [ ! -x /bin/hello32 ]; then
		:
	elif [ "$(/bin/hello32 2>/dev/null)" != "hello from i386" ]; then
		skip "i386_read$s" "this kernel runs no 32-bit programs (natively a 32-bit hello does not run)"
	elif [ "$(/bin/escape32 read /root/secret)" != "read: ok TOPSECRET" ]; then
		bad "i386_read$s" "native control: escape32 cannot read /root/secret"
	else
		out=$($JT run --quiet -- /bin/escape32 read /root/secret 2>&1)
		if echo "$out" | grep -q TOPSECRET || ! echo "$out" | grep -q 'read: ENOENT'; then
			bad "i386_read$s" "$out"
		else
			ok "i386_read$s"
		fi
	fi
done
echo "=== end"
poweroff -f
