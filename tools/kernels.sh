#!/bin/bash
# tools/kernels.sh KERNEL...: boots each kernel under QEMU (software
# emulation: no /dev/kvm is needed) with an initramfs of the static
# jailtrace, a static busybox and static i386 test programs, and runs the
# core containment checks of tests/kernels/init.sh there. KERNEL is one of
#   5.10-amd64 (Debian 11)  6.1-amd64 (Debian 12)  5.10-arm64  6.1-arm64
# Kernels and the arm64 busybox are fetched from Debian's registry (apt-get
# download with a private state, the host's apt untouched) and cached in
# $KERNEL_CACHE (default /var/cache/jailtrace-kernels), by
# tools/kernels-lib.sh. Prints each check's line, one summary line per
# kernel, and the doctor's rows into
# build-kernels/doctor-KERNEL.txt. Exits 1 when a check failed or a kernel
# did not get to the end; a kernel that cannot be fetched is a skip.
# Needs root (apt-get, qemu packages), make static, make cross-static.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROGS32=${PROGS32:-$ROOT/build/tests/static32}
PROGS=${PROGS:-$ROOT/build/tests/static}
OUT=$ROOT/build-kernels
. "$ROOT/tools/kernels-lib.sh"
mkdir -p "$OUT" || exit 1

deps() {
	local want="busybox-static cpio"
	case " $* " in *amd64*) want="$want qemu-system-x86" ;; esac
	case " $* " in *arm64*) want="$want qemu-system-arm" ;; esac
	kdeps $want
}

# initramfs NAME: the VM's root: busybox, jailtrace, i386 programs, a secret
initramfs() {
	local name=$1 r=$OUT/root-$1 jt
	jt=$ROOT/build-static/jailtrace
	[ "$ARCH" = arm64 ] && jt=$ROOT/build-aarch64-static/jailtrace
	[ -x "$jt" ] || { echo "kernels: $jt is missing (make static, make cross-static)" >&2; return 1; }
	rm -rf "$r" && mkdir -p "$r"/{bin,proc,sys,dev,tmp,etc,root,var} || return 1
	cp "$BUSYBOX" "$r/bin/busybox" && cp "$jt" "$r/bin/jailtrace" || return 1
	for a in $("$BUSYBOX" --list 2>/dev/null || /bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	# the static race program of the arch (make check-build, make cross-static)
	race=$PROGS/race
	[ "$ARCH" = arm64 ] && race=$ROOT/build-aarch64-static/tests/static/race
	[ -x "$race" ] && cp "$race" "$r/bin/race"
	# static i386 programs (make check-build makes them, with gcc-multilib)
	if [ "$ARCH" = amd64 ] && [ -x "$PROGS32/hello32" ] && [ -x "$PROGS32/escape32" ]; then
		cp "$PROGS32/hello32" "$PROGS32/escape32" "$r/bin/"
	fi
	echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
	echo "root:x:0:" >"$r/etc/group"
	echo TOPSECRET >"$r/root/secret" && chmod 600 "$r/root/secret" && chmod 700 "$r/root"
	cp "$ROOT/tests/kernels/init.sh" "$r/init" && chmod 755 "$r/init"
	(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$OUT/initrd-$name.gz"
}

boot() {
	local name=$1 log=$OUT/console-$1.txt
	qemu_of "$ARCH" || return 1
	# (arm64's emulation is the slower)
	timeout "$([ "$ARCH" = amd64 ] && echo 300 || echo 600)" "${QEMU[@]}" -m 1024 -smp 2 -nographic -no-reboot \
		-kernel "$VMLINUZ" -initrd "$OUT/initrd-$name.gz" \
		-append "console=$CONSOLE quiet panic=-1" >"$log" 2>&1 </dev/null
	tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
}

[ $# -gt 0 ] || { sed -n '2,/^set -u/s/^# \{0,1\}//p' "$0" | sed '$d' >&2; exit 2; }
if ! deps "$@"; then
	echo "skip kernels $*: QEMU or busybox-static cannot be installed here"
	exit 0
fi
status=0
for k in "$@"; do
	t0=$(date +%s)
	if ! kernel_of "$k"; then
		echo "skip kernel $k: it cannot be fetched from deb.debian.org here"
		continue
	fi
	initramfs "$k" || { status=1; continue; }
	boot "$k"
	log=$OUT/console-$k.txt
	grep -a '^doctor: ' "$log" | sed 's/^doctor: //' >"$OUT/doctor-$k.txt"
	grep -aE '^(ok|FAIL|skip) |^mechanism' "$log" | sed "s/^/  [$k] /"
	p=$(grep -ac '^ok ' "$log") f=$(grep -ac '^FAIL ' "$log") s=$(grep -ac '^skip ' "$log")
	if ! grep -aq '^=== end' "$log"; then
		echo "FAIL kernel $k ($KVER): the VM did not get to the end; the console's last lines:"
		tail -15 "$log" | sed 's/^/    /'
		status=1
	fi
	[ "$f" = 0 ] && [ "$p" -gt 0 ] || status=1
	echo "kernel $k ($KVER, $ARCH): $p passed, $f failed, $s skipped, $(($(date +%s) - t0)) s"
done
exit $status
