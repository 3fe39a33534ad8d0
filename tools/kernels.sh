#!/bin/bash
# tools/kernels.sh KERNEL...: boots each kernel under QEMU (software
# emulation: no /dev/kvm is needed) with an initramfs of the static
# jailtrace, a static busybox and static i386 test programs, and runs the
# core containment checks of tests/kernels/init.sh there. KERNEL is one of
#   5.10-amd64 (Debian 11)  6.1-amd64 (Debian 12)  5.10-arm64  6.1-arm64
# Kernels and the arm64 busybox are fetched from Debian's registry (apt-get
# download with a private state, the host's apt untouched) and cached in
# $KERNEL_CACHE (default /var/cache/jailtrace-kernels). Prints each check's
# line, one summary line per kernel, and the doctor's rows into
# build-kernels/doctor-KERNEL.txt. Exits 1 when a check failed or a kernel
# did not get to the end; a kernel that cannot be fetched is a skip.
# Needs root (apt-get, qemu packages), make static, make cross-static.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KERNEL_CACHE:-/var/cache/jailtrace-kernels}
PROGS32=${PROGS32:-$ROOT/build/tests/static32}
PROGS=${PROGS:-$ROOT/build/tests/static}
OUT=$ROOT/build-kernels
mkdir -p "$CACHE" "$OUT" || exit 1

deps() {
	local missing="" want="busybox-static cpio"
	case " $* " in *amd64*) want="$want qemu-system-x86" ;; esac
	case " $* " in *arm64*) want="$want qemu-system-arm" ;; esac
	for p in $want; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "kernels: run as root, or apt-get install$missing" >&2; return 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# fetch SUITE ARCH PACKAGE-PATTERN: the newest package of the suite matching
# the pattern (a dependency of the meta package for kernels), into $CACHE.
A=()
apt_private() {
	local n=$1 suite=$2 arch=$3 d=$CACHE/apt-$1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	echo "deb [arch=$arch] http://deb.debian.org/debian $suite main" >"$d/sources.list"
	A=(-o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$d/lists"
	   -o Dir::Cache="$d/cache" -o APT::Architectures::="$arch" -o APT::Architecture="$arch"
	   -o Dir::State::status=/dev/null)
	[ -n "$(ls "$d/lists" 2>/dev/null | grep -v partial)" ] || apt-get "${A[@]}" update >/dev/null 2>&1
}

# kernel_of NAME: sets KVER, ARCH, VMLINUZ, BUSYBOX (fetching what is missing)
kernel_of() {
	local name=$1 suite deb pkg dir
	case $name in
	5.10-amd64) suite=bullseye ARCH=amd64 ;;
	6.1-amd64) suite=bookworm ARCH=amd64 ;;
	5.10-arm64) suite=bullseye ARCH=arm64 ;;
	6.1-arm64) suite=bookworm ARCH=arm64 ;;
	*) echo "kernels: unknown kernel $name" >&2; return 2 ;;
	esac
	dir=$CACHE/$name
	if [ ! -s "$dir/vmlinuz" ]; then
		apt_private "$suite-$ARCH" "$suite" "$ARCH" || return 1
		pkg=$(apt-cache "${A[@]}" depends "linux-image-$ARCH" 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
		[ -n "$pkg" ] || return 1
		rm -rf "$dir" && mkdir -p "$dir/x" || return 1
		(cd "$dir" && apt-get "${A[@]}" download "$pkg-unsigned" >/dev/null 2>&1) || return 1
		deb=$(ls "$dir"/*.deb 2>/dev/null | head -1)
		dpkg-deb -x "$deb" "$dir/x" && cp "$dir"/x/boot/vmlinuz-* "$dir/vmlinuz" || return 1
		basename "$dir"/x/boot/vmlinuz-* | sed 's/^vmlinuz-//' >"$dir/version"
		rm -rf "$dir/x" "$deb"
	fi
	KVER=$(cat "$dir/version")
	VMLINUZ=$dir/vmlinuz
	if [ "$ARCH" = arm64 ]; then
		BUSYBOX=$CACHE/busybox-arm64
		if [ ! -s "$BUSYBOX" ]; then
			apt_private "bookworm-arm64" bookworm arm64 || return 1
			rm -rf "$CACHE/bb" && mkdir -p "$CACHE/bb/x"
			(cd "$CACHE/bb" && apt-get "${A[@]}" download busybox-static >/dev/null 2>&1) || return 1
			dpkg-deb -x "$CACHE"/bb/*.deb "$CACHE/bb/x" && cp "$CACHE/bb/x/bin/busybox" "$BUSYBOX" || return 1
			rm -rf "$CACHE/bb"
		fi
	else
		BUSYBOX=/bin/busybox
	fi
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
	if [ "$ARCH" = amd64 ]; then
		timeout 300 qemu-system-x86_64 -m 1024 -smp 2 -cpu max -nographic -no-reboot \
			-kernel "$VMLINUZ" -initrd "$OUT/initrd-$name.gz" \
			-append "console=ttyS0 quiet panic=-1" >"$log" 2>&1 </dev/null
	else
		timeout 600 qemu-system-aarch64 -M virt -cpu cortex-a57 -m 1024 -smp 2 -nographic -no-reboot \
			-kernel "$VMLINUZ" -initrd "$OUT/initrd-$name.gz" \
			-append "console=ttyAMA0 quiet panic=-1" >"$log" 2>&1 </dev/null
	fi
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
