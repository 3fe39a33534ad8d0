#!/bin/bash
# tools/kernels-suite.sh KERNEL...: PROTOTYPE (issue 21). Boots each amd64
# kernel under QEMU (TCG) and runs the real containment suite (tests/run,
# the core case files) inside it, on this host's own userland: /usr, /etc
# and this tree are shared read-only over virtio-9p, each under a tmpfs
# overlay so the suite can write (useradd, copy-ups); /tmp, /var, /root,
# /run are the VM's own tmpfs. The initramfs holds only a static busybox,
# the 9p/overlay modules of that kernel and tests/kernels/suite-init.sh.
#   KERNEL: 5.10-amd64 (Debian 11)  6.1-amd64 (Debian 12)
# Environment:
#   BUILD     the (dynamic) build to test, default build (make check-build)
#   CASES     case files to run, a regex (default the core classes)
#   PASSES    tests/run --passes (default root,ptrace)
#   FILTER    tests/run --filter (default all tests of CASES)
#   VM_MEM    MB of the VM (default 3072); VM_CPUS (default 2)
#   VM_TIMEOUT seconds before the VM is killed (default 3600)
#   TEST_TIMEOUT passed to tests/run inside (default 300: TCG is slow)
#   GUARD_SECS, JT_DEFAULT_TIMEOUT  passed to tests/lib.sh inside (default
#             90 and 60s, not 20 and 10s: the emulated CPU is ~30x slower)
#   VM_CPU    QEMU's -cpu (default max)
#   PROBE=1   time a few start-ups (bash, jq, python3, jailtrace) first
#   PROBE_CMD a shell command run first in the VM's root (its output shown)
# The kernel's modules come from the same Debian package as kernels.sh's
# vmlinuz (fetched again with a private apt state) and are cached in
# $KERNEL_CACHE/NAME/modules. Output: build-kernels/suite-NAME/{console.txt,
# suite.txt} and a summary line per kernel. Needs root.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KERNEL_CACHE:-/var/cache/jailtrace-kernels}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "kernels-suite: no build directory" >&2; exit 2; }
CASES=${CASES:-view|net|dgram|tree|limits|exec|hostharm|procview|privs|abi}
PASSES=${PASSES:-root,ptrace}
FILTER=${FILTER:-}
VM_MEM=${VM_MEM:-3072}
VM_CPUS=${VM_CPUS:-2}
VM_TIMEOUT=${VM_TIMEOUT:-3600}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
OUT=$ROOT/build-kernels
mkdir -p "$CACHE" "$OUT" || exit 1

# the modules the VM loads, in this order once their dependencies are in
# (virtio_net: a NIC on QEMU's user network, restrict=on: a default route
# and a global address, for the tests that need them, no way out)
WANT_MODULES="virtio virtio_ring virtio_pci 9pnet 9pnet_virtio 9p overlay virtio_net"

A=()
apt_private() {
	local suite=$1 arch=$2 d=$CACHE/apt-$1-$2
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	echo "deb [arch=$arch] http://deb.debian.org/debian $suite main" >"$d/sources.list"
	A=(-o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$d/lists"
	   -o Dir::Cache="$d/cache" -o APT::Architectures::="$arch" -o APT::Architecture="$arch"
	   -o Dir::State::status=/dev/null)
	[ -n "$(ls "$d/lists" 2>/dev/null | grep -v partial)" ] || apt-get "${A[@]}" update >/dev/null 2>&1
}

# mod_deps KO: the modules KO depends on (its .modinfo "depends=")
mod_deps() { grep -ao 'depends=[A-Za-z0-9_,-]*' "$1" | head -1 | sed 's/^depends=//; s/,/ /g'; }

# modules_of NAME: $CACHE/NAME/modules/{*.ko,load-order}, the closure of
# WANT_MODULES taken from the kernel's package (the version of its vmlinuz)
modules_of() {
	local name=$1 suite arch dir=$CACHE/$1 m x md deb order="" seen=" "
	[ -s "$dir/modules/load-order" ] && [ "$(cat "$dir/modules/want" 2>/dev/null)" = "$WANT_MODULES" ] && return 0
	case $name in
	5.10-amd64) suite=bullseye arch=amd64 ;;
	6.1-amd64) suite=bookworm arch=amd64 ;;
	*) echo "kernels-suite: $name is not supported (amd64 only)" >&2; return 2 ;;
	esac
	[ -s "$dir/version" ] || { echo "kernels-suite: run tools/kernels.sh $name first (no vmlinuz)" >&2; return 1; }
	apt_private "$suite" "$arch" || return 1
	x=$(mktemp -d) || return 1
	(cd "$x" && apt-get "${A[@]}" download "linux-image-$(cat "$dir/version")-unsigned" >/dev/null 2>&1) ||
		{ rm -rf "$x"; return 1; }
	deb=$(ls "$x"/*.deb | head -1)
	mkdir -p "$x/x" && dpkg-deb -x "$deb" "$x/x" || { rm -rf "$x"; return 1; }
	md=$x/x/lib/modules/$(cat "$dir/version")
	cmp -s "$md/../../../boot/vmlinuz-$(cat "$dir/version")" "$dir/vmlinuz" ||
		echo "kernels-suite: warning: the package's vmlinuz differs from the cached one" >&2
	rm -rf "$dir/modules.tmp" && mkdir -p "$dir/modules.tmp"
	# depth-first: a module after its dependencies
	add() {
		local f d
		case "$seen" in *" $1 "*) return 0 ;; esac
		seen="$seen$1 "
		f=$(find "$md" -name "$1.ko" -o -name "$1.ko.xz" | head -1)
		[ -n "$f" ] || { echo "kernels-suite: no module $1 in the package" >&2; return 1; }
		for d in $(mod_deps "$f"); do add "$d" || return 1; done
		case $f in *.xz) xz -dc "$f" >"$dir/modules.tmp/$1.ko" ;; *) cp "$f" "$dir/modules.tmp/$1.ko" ;; esac
		order="$order$1 "
	}
	for m in $WANT_MODULES; do add "$m" || { rm -rf "$x"; return 1; }; done
	echo "$order" >"$dir/modules.tmp/load-order"
	echo "$WANT_MODULES" >"$dir/modules.tmp/want"
	rm -rf "$dir/modules" && mv "$dir/modules.tmp" "$dir/modules"
	rm -rf "$x"
}

initramfs() {
	local name=$1 r=$OUT/suite-root-$1
	rm -rf "$r" && mkdir -p "$r"/{bin,proc,sys,dev,new,lower,upper,modules} || return 1
	cp /bin/busybox "$r/bin/busybox" || return 1
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	cp "$CACHE/$name"/modules/*.ko "$CACHE/$name"/modules/load-order "$r/modules/" || return 1
	cp "$ROOT/tests/kernels/suite-init.sh" "$r/init" && chmod 755 "$r/init"
	{
		printf 'TREE=%q\n' "$ROOT"
		printf 'BUILD=%q\n' "$BUILD"
		printf 'CASES=%q\n' "$CASES"
		printf 'PASSES=%q\n' "$PASSES"
		printf 'FILTER=%q\n' "$FILTER"
		printf 'TEST_TIMEOUT=%q\n' "$TEST_TIMEOUT"
		printf 'GUARD_SECS=%q\n' "${GUARD_SECS:-90}"
		printf 'JT_DEFAULT_TIMEOUT=%q\n' "${JT_DEFAULT_TIMEOUT:-60s}"
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
	timeout "$VM_TIMEOUT" qemu-system-x86_64 -m "$VM_MEM" -smp "$VM_CPUS" -cpu "${VM_CPU:-max}" -nographic -no-reboot \
		-kernel "$CACHE/$name/vmlinuz" -initrd "$OUT/suite-initrd-$name.gz" \
		$(fs usr /usr readonly=on) $(fs etc /etc readonly=on) $(fs tree "$ROOT" readonly=on) \
		$(fs out "$o") -nic user,model=virtio-net-pci,restrict=on \
		-append "console=ttyS0 quiet panic=-1 random.trust_cpu=on" >"$o/console.raw" 2>&1 </dev/null
	tr -d '\r' <"$o/console.raw" >"$o/console.txt" && rm -f "$o/console.raw"
}

[ $# -gt 0 ] || { sed -n '2,/^set -u/s/^# \{0,1\}//p' "$0" | sed '$d' >&2; exit 2; }
[ -x "$BUILD/jailtrace" ] || { echo "kernels-suite: $BUILD/jailtrace is missing (make check-build)" >&2; exit 2; }
status=0
for k in "$@"; do
	t0=$(date +%s)
	if ! modules_of "$k"; then
		echo "skip kernel $k: its modules cannot be fetched"
		status=1
		continue
	fi
	initramfs "$k" || { status=1; continue; }
	boot "$k"
	o=$OUT/suite-$k
	grep -aE '^(ok |FAIL |skip |=== |[0-9]+ passed)' "$o/console.txt" | sed "s/^/  [$k] /"
	sum=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$o/console.txt" | tail -1)
	if [ -z "$sum" ] || ! grep -aq '^=== end' "$o/console.txt"; then
		echo "FAIL kernel $k: the suite did not get to the end; the console's last lines:"
		tail -15 "$o/console.txt" | sed 's/^/    /'
		status=1
	fi
	case $sum in *" 0 failed"*) ;; *) status=1 ;; esac
	echo "kernel $k ($(cat "$CACHE/$k/version")): ${sum:-no summary}, $(($(date +%s) - t0)) s"
done
exit $status
