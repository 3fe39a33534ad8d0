#!/bin/bash
# tools/kernels-suite.sh KERNEL...: boots each kernel under QEMU
# (TCG: no /dev/kvm) and runs the containment suite itself (tests/run, the
# same case files as on the host) inside it, on a userland of the kernel's
# arch: amd64's is this host's, arm64's bookworm's packages unpacked
# (tools/kernels-lib.sh userland_of). Its /usr, /etc and this tree are
# shared read-only over virtio-9p, each under a tmpfs overlay so the suite
# can write (useradd, copy-ups); /tmp, /var, /root, /run are the VM's own
# tmpfs. The initramfs holds only a static busybox, the 9p/overlay modules
# of that kernel and tests/kernels/suite-init.sh.
#   KERNEL: 5.10-amd64 (Debian 11)  6.1-amd64 6.1-arm64 (Debian 12)
# Environment:
#   BUILD     the (dynamic) build to test on amd64, default build (make check-build)
#   BUILD_ARM64  the same on arm64, default build-aarch64 (make cross-progs)
#   CASES     case files to run, a regex (default the core classes)
#   PASSES    tests/run --passes (default each that differs on the kernel:
#             root,jtuser on 5.10, which has no user notifications for the
#             ptrace pass to turn off; root,ptrace,jtuser on 6.1)
#   FILTER    tests/run --filter (default all tests of CASES)
#   VM_MEM    MB of the VM (default 3072); VM_CPUS (default 2)
#   VM_TIMEOUT seconds before the VM is killed (default 3000 per pass)
#   JT_TEST_SLOW  passed to tests/run inside (default 6: the suite's bounds
#             for a hang six times as long; the emulated CPU is ~30x slower
#             for a start-up, far less for a wait)
#   VM_CPU    QEMU's -cpu (default max on amd64, cortex-a57 on arm64)
#   PROBE=1   time a few start-ups (bash, jq, python3, jailtrace) first
#   PROBE_CMD a shell command run first in the VM's root (its output shown)
# The kernel and its modules are fetched and cached as tools/kernels.sh's
# (tools/kernels-lib.sh: $KERNEL_CACHE/NAME/{vmlinuz,modules}). Output:
# build-kernels/suite-NAME/{console.txt,suite.txt,times.txt,doctor.txt}
# and a summary line per kernel. Needs root.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BUILD_ARM64=${BUILD_ARM64:-build-aarch64}
case $BUILD_ARM64 in /*) ;; *) BUILD_ARM64=$ROOT/$BUILD_ARM64 ;; esac
CASES=${CASES:-view|net|dgram|tree|outside|limits|exec|hostharm|procview|privs|abi}
PASSES=${PASSES:-}
FILTER=${FILTER:-}
VM_MEM=${VM_MEM:-3072}
VM_CPUS=${VM_CPUS:-2}
VM_TIMEOUT=${VM_TIMEOUT:-}
JT_TEST_SLOW=${JT_TEST_SLOW:-6}
OUT=$ROOT/build-kernels
. "$ROOT/tools/kernels-lib.sh"
mkdir -p "$OUT" || exit 1

initramfs() {
	local name=$1 r=$OUT/suite-root-$1
	rm -rf "$r" && mkdir -p "$r"/{bin,proc,sys,dev,new,lower,upper,modules} || return 1
	cp "$BUSYBOX" "$r/bin/busybox" || return 1
	# (the applets' names from this host's busybox: the arm64 one cannot run here)
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	cp "$CACHE/$name"/modules/*.ko "$CACHE/$name"/modules/load-order "$r/modules/" || return 1
	cp "$ROOT/tests/kernels/suite-init.sh" "$r/init" && chmod 755 "$r/init"
	{
		printf 'TREE=%q\n' "$ROOT"
		printf 'BUILD=%q\n' "$KBUILD"
		printf 'CASES=%q\n' "$CASES"
		printf 'PASSES=%q\n' "$KPASSES"
		printf 'FILTER=%q\n' "$FILTER"
		printf 'JT_TEST_SLOW=%q\n' "$JT_TEST_SLOW"
		printf 'HOSTNAME=%q\n' "$(hostname)"
		printf 'PROBE=%q\n' "${PROBE:-}"
		printf 'PROBE_CMD=%q\n' "${PROBE_CMD:-}"
	} >"$r/suite.conf"
	(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$OUT/suite-initrd-$name.gz"
}

boot() {
	local name=$1 o=$OUT/suite-$1
	rm -rf "$o" && mkdir -p "$o"
	# (multidevs=remap: /usr, /etc and the tree may span file systems)
	fs() { echo "-fsdev local,id=$1,path=$2,security_model=none,multidevs=remap${3:+,$3}
		-device virtio-9p-pci,fsdev=$1,mount_tag=$1"; }
	# shellcheck disable=SC2046
	qemu_of "$ARCH" "${VM_CPU:-}" || return 1
	timeout "${VM_TIMEOUT:-$((3000 * $(echo "$KPASSES" | tr , '\n' | grep -c .)))}" nice -n 10 "${QEMU[@]}" -m "$VM_MEM" -smp "$VM_CPUS" -nographic -no-reboot \
		-kernel "$CACHE/$name/vmlinuz" -initrd "$OUT/suite-initrd-$name.gz" \
		$(fs usr "$USERLAND/usr" readonly=on) $(fs etc "$USERLAND/etc" readonly=on) $(fs tree "$ROOT" readonly=on) \
		$(fs out "$o") -nic user,model=virtio-net-pci,restrict=on \
		-append "console=$CONSOLE quiet panic=-1 random.trust_cpu=on" >"$o/console.raw" 2>&1 </dev/null
	tr -d '\r' <"$o/console.raw" >"$o/console.txt" && rm -f "$o/console.raw"
}

[ $# -gt 0 ] || { sed -n '2,/^set -u/s/^# \{0,1\}//p' "$0" | sed '$d' >&2; exit 2; }
status=0
for k in "$@"; do
	t0=$(date +%s)
	if ! MODULES=1 kernel_of "$k"; then
		echo "skip kernel $k: it or its modules cannot be fetched from deb.debian.org here"
		continue
	fi
	case $ARCH in
	amd64) KBUILD=$BUILD USERLAND="" qpkg=qemu-system-x86 ;;
	arm64) KBUILD=$BUILD_ARM64 qpkg=qemu-system-arm ;;
	esac
	if ! kdeps busybox-static cpio $qpkg; then
		echo "skip kernel $k: QEMU or busybox-static cannot be installed here"
		continue
	fi
	if ! KBUILD=$(cd "$KBUILD" 2>/dev/null && pwd) || [ ! -x "$KBUILD/jailtrace" ] || [ ! -d "$KBUILD/tests/progs" ]; then
		echo "FAIL kernel $k: no $ARCH build with its test programs (make check-build; on arm64 make cross-progs)"
		status=1
		continue
	fi
	case $KBUILD/ in "$ROOT"/*) ;; *) echo "FAIL kernel $k: $KBUILD is outside the tree the VM shares"; status=1; continue ;; esac
	if [ "$ARCH" = amd64 ]; then
		USERLAND=""
	elif ! userland_of "$ARCH"; then
		echo "skip kernel $k: its userland cannot be fetched from deb.debian.org here"
		continue
	fi
	KPASSES=$PASSES
	[ -n "$KPASSES" ] || case $k in 5.10-*) KPASSES=root,jtuser ;; *) KPASSES=root,ptrace,jtuser ;; esac
	initramfs "$k" || { status=1; continue; }
	boot "$k"
	o=$OUT/suite-$k
	grep -a '^doctor: ' "$o/console.txt" | sed 's/^doctor: //' >"$o/doctor.txt"
	grep -aE '^(ok |FAIL |skip |=== |[0-9]+ passed)' "$o/console.txt" | sed "s/^/  [$k] /"
	sum=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$o/console.txt" | tail -1)
	if [ -z "$sum" ] || ! grep -aq '^=== end' "$o/console.txt"; then
		echo "FAIL kernel $k: the suite did not get to the end; the console's last lines:"
		tail -15 "$o/console.txt" | sed 's/^/    /'
		status=1
	fi
	case $sum in *" 0 failed"*) ;; *) status=1 ;; esac
	echo "kernel $k ($KVER, passes $KPASSES): ${sum:-no summary}, $(($(date +%s) - t0)) s"
done
exit $status
