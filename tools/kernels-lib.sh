# shellcheck shell=bash
# tools/kernels-lib.sh: sourced by tools/kernels.sh and
# tools/kernels-suite.sh. Fetches Debian's kernels (and what else the VMs
# need) from Debian's registry with apt-get download under a private apt
# state (the host's apt untouched) and caches them in $CACHE:
#   $CACHE/NAME/{vmlinuz,version}       the kernel NAME's image
#   $CACHE/NAME/modules/{*.ko,load-order,want}  the closure of WANT_MODULES
#                                       from the same package (kernels-suite)
#   $CACHE/busybox-arm64                 bookworm's static busybox for arm64
#   $CACHE/apt-SUITE-ARCH/               the private apt states
# NAME is one of 5.10-amd64 6.1-amd64 5.10-arm64 6.1-arm64.
CACHE=${KERNEL_CACHE:-/var/cache/jailtrace-kernels}
mkdir -p "$CACHE" || exit 1

# the modules a kernel-suite VM loads (once their dependencies are in):
# the 9p shares and overlays of its root, and virtio_net, a NIC on QEMU's
# user network (restrict=on: a default route and a global address for the
# tests that need them, no way out)
# (arm64's virtio and virtio_ring are built into Debian's 6.1 but
# virtio_pci is not: without it no PCI virtio device shows up; what is
# built in is skipped)
WANT_MODULES_amd64="virtio virtio_ring virtio_pci 9pnet 9pnet_virtio 9p overlay virtio_net"
WANT_MODULES_arm64=$WANT_MODULES_amd64

# deps PACKAGE...: installs the missing ones (as root), else says which
kdeps() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "kernels: run as root, or apt-get install$missing" >&2; return 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# apt_private SUITE ARCH: sets A, apt-get's options for a private state of
# Debian's SUITE for ARCH (its lists fetched once)
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

# kernel_name NAME: sets SUITE and ARCH
kernel_name() {
	case $1 in
	5.10-amd64) SUITE=bullseye ARCH=amd64 ;;
	6.1-amd64) SUITE=bookworm ARCH=amd64 ;;
	5.10-arm64) SUITE=bullseye ARCH=arm64 ;;
	6.1-arm64) SUITE=bookworm ARCH=arm64 ;;
	*) echo "kernels: unknown kernel $1" >&2; return 2 ;;
	esac
}

# kernel_package NAME DIR: extracts the kernel's package into DIR/x (the
# newest linux-image of the suite: the meta package's dependency, or the
# version already cached); sets PKGROOT
kernel_package() {
	local name=$1 x=$2 pkg deb
	apt_private "$SUITE" "$ARCH" || return 1
	if [ -s "$CACHE/$name/version" ]; then
		pkg=linux-image-$(cat "$CACHE/$name/version")
	else
		pkg=$(apt-cache "${A[@]}" depends "linux-image-$ARCH" 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$pkg" ] || return 1
	mkdir -p "$x/x" || return 1
	(cd "$x" && apt-get "${A[@]}" download "$pkg-unsigned" >/dev/null 2>&1) || return 1
	deb=$(ls "$x"/*.deb 2>/dev/null | head -1)
	[ -n "$deb" ] && dpkg-deb -x "$deb" "$x/x" || return 1
	PKGROOT=$x/x
}

# kernel_of NAME: sets KVER, SUITE, ARCH, VMLINUZ, BUSYBOX (fetching what is
# missing); MODULES=1 also fetches the modules (modules_of)
kernel_of() {
	local name=$1 dir=$CACHE/$1 x
	kernel_name "$name" || return 2
	if [ ! -s "$dir/vmlinuz" ]; then
		x=$(mktemp -d) || return 1
		rm -rf "$dir" && mkdir -p "$dir" &&
			kernel_package "$name" "$x" &&
			cp "$PKGROOT"/boot/vmlinuz-* "$dir/vmlinuz" &&
			basename "$PKGROOT"/boot/vmlinuz-* | sed 's/^vmlinuz-//' >"$dir/version" ||
			{ rm -rf "$x" "$dir"; return 1; }
		# (the modules from the same download, for kernels-suite.sh: one
		# download of the package on a fresh machine)
		KVER=$(cat "$dir/version") modules_from "$name" "$PKGROOT" 2>/dev/null || true
		rm -rf "$x"
	fi
	KVER=$(cat "$dir/version")
	VMLINUZ=$dir/vmlinuz
	if [ "$ARCH" = arm64 ]; then
		BUSYBOX=$CACHE/busybox-arm64
		if [ ! -s "$BUSYBOX" ]; then
			apt_private bookworm arm64 || return 1
			x=$(mktemp -d) || return 1
			(cd "$x" && apt-get "${A[@]}" download busybox-static >/dev/null 2>&1) &&
				mkdir -p "$x/x" && dpkg-deb -x "$x"/*.deb "$x/x" && cp "$x/x/bin/busybox" "$BUSYBOX" ||
				{ rm -rf "$x"; return 1; }
			rm -rf "$x"
		fi
	else
		BUSYBOX=/bin/busybox
	fi
	[ -z "${MODULES:-}" ] || modules_of "$name"
}

# mod_deps KO: the modules KO depends on (its .modinfo "depends=")
mod_deps() { grep -ao 'depends=[A-Za-z0-9_,-]*' "$1" | head -1 | sed 's/^depends=//; s/,/ /g'; }

# modules_of NAME (after kernel_of): $CACHE/NAME/modules/{*.ko,load-order},
# the closure of WANT_MODULES_ARCH from the kernel's own package, each
# module after its dependencies
modules_of() {
	local name=$1 dir=$CACHE/$1 want x m
	want=WANT_MODULES_$ARCH
	want=${!want}
	[ -s "$dir/modules/load-order" ] && [ "$(cat "$dir/modules/want" 2>/dev/null)" = "$want" ] && return 0
	x=$(mktemp -d) || return 1
	kernel_package "$name" "$x" && modules_from "$name" "$PKGROOT"
	m=$?
	rm -rf "$x"
	return $m
}

# modules_from NAME PKGROOT: modules_of's work, from the extracted package
modules_from() {
	local name=$1 dir=$CACHE/$1 want md order="" seen=" " m
	want=WANT_MODULES_$ARCH
	want=${!want}
	md=$2/lib/modules/$KVER
	cmp -s "$2/boot/vmlinuz-$KVER" "$dir/vmlinuz" ||
		echo "kernels: warning: the package's vmlinuz differs from the cached one" >&2
	rm -rf "$dir/modules.tmp" && mkdir -p "$dir/modules.tmp"
	_mod_add() {
		local f d
		case "$seen" in *" $1 "*) return 0 ;; esac
		seen="$seen$1 "
		f=$(find "$md" -name "$1.ko" -o -name "$1.ko.xz" | head -1)
		if [ -z "$f" ]; then
			# built in: nothing to load
			grep -q "/$1.ko\$" "$md/modules.builtin" 2>/dev/null && return 0
			echo "kernels: no module $1 in the package" >&2
			return 1
		fi
		for d in $(mod_deps "$f"); do _mod_add "$d" || return 1; done
		case $f in *.xz) xz -dc "$f" >"$dir/modules.tmp/$1.ko" ;; *) cp "$f" "$dir/modules.tmp/$1.ko" ;; esac
		order="$order$1 "
	}
	for m in $want; do _mod_add "$m" || return 1; done
	echo "$order" >"$dir/modules.tmp/load-order"
	echo "$want" >"$dir/modules.tmp/want"
	rm -rf "$dir/modules" && mv "$dir/modules.tmp" "$dir/modules"
}

# qemu_of ARCH [CPU]: sets QEMU, the emulator and its machine for ARCH's
# kernels (an array), and CONSOLE, the kernel's console there. CPU is
# QEMU's -cpu (default max on amd64; cortex-a57 on arm64: "max" adds
# pointer authentication and more, each slower to emulate)
QEMU=()
qemu_of() {
	case $1 in
	amd64) QEMU=(qemu-system-x86_64 -cpu "${2:-max}") CONSOLE=ttyS0 ;;
	arm64) QEMU=(qemu-system-aarch64 -M virt -cpu "${2:-cortex-a57}") CONSOLE=ttyAMA0 ;;
	*) echo "kernels: no emulator for $1" >&2; return 2 ;;
	esac
}

# the arm64 userland of kernels-suite.sh's arm64 VMs (this host's /usr is
# amd64): what tests/run, tests/lib.sh and the core case files run, and the
# libraries the dynamic jailtrace loads when it needs them (stacks, serve),
# from bookworm, unpacked with their dependencies (no maintainer scripts run)
ROOT_PACKAGES_arm64="base-files base-passwd bash coreutils dash debianutils diffutils findutils gawk grep sed
	tar gzip xz-utils util-linux procps psmisc passwd login libcap2-bin iproute2 netbase jq python3 strace
	curl busybox-static file hostname libc-bin libunwind8 libseccomp2 libelf1 libmicrohttpd12"

# userland_of ARCH: sets USERLAND, an unpacked root of ROOT_PACKAGES_ARCH
# (usr/ and etc/, /bin, /sbin and /lib merged into /usr as on this host),
# made once per package list: $CACHE/userland-ARCH-HASH (mmdebstrap's
# extract variant: the packages and their dependencies unpacked, nothing of
# the target's run, so no emulator for its maintainer scripts); what those
# scripts would have made is made here: the users, the alternatives the
# suite calls by their generic names, /etc/hosts, nsswitch.conf, shells
# and PAM's common-* files
userland_of() {
	local arch=$1 list hash d t
	list=ROOT_PACKAGES_$arch
	list=$(echo ${!list})
	[ -n "$list" ] || { echo "kernels: no userland for $arch" >&2; return 2; }
	hash=$(echo "bookworm $arch $list" | sha256sum | cut -c 1-12)
	d=$CACHE/userland-$arch-$hash
	USERLAND=$d
	[ -e "$d/.complete" ] && return 0
	kdeps mmdebstrap || return 1
	# (one userland per architecture at a time: an older list's goes)
	rm -rf "$CACHE/userland-$arch-"* && t=$d.tmp && mkdir -p "$t" || return 1
	mmdebstrap --quiet --variant=extract --architectures="$arch" --mode=root --skip=check/qemu \
		--include="$(echo "$list" | tr ' ' ,)" bookworm "$t/root" http://deb.debian.org/debian \
		>"$t/mmdebstrap.log" 2>&1 || { echo "kernels: mmdebstrap failed:" >&2; tail -5 "$t/mmdebstrap.log" >&2; return 1; }
	(
		set -e
		cd "$t/root"
		for l in bin sbin lib; do
			if [ -d "$l" ] && [ ! -L "$l" ]; then
				mkdir -p "usr/$l" && cp -a "$l/." "usr/$l/" && rm -rf "$l"
			fi
			ln -sfn "usr/$l" "$l"
		done
		cp usr/share/base-passwd/passwd.master etc/passwd
		cp usr/share/base-passwd/group.master etc/group
		sed 's/:.*//; s/$/:*:19000:0:99999:7:::/' etc/passwd >etc/shadow
		sed 's/:.*//; s/$/:*::/' etc/group >etc/gshadow
		chmod 640 etc/shadow etc/gshadow
		printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >etc/hosts
		# (without one glibc asks DNS before /etc/hosts, and the VM has no DNS)
		printf '%s\n' 'passwd: files' 'group: files' 'shadow: files' 'gshadow: files' 'hosts: files dns' \
			'networks: files' 'protocols: files' 'services: files' 'ethers: files' 'rpc: files' >etc/nsswitch.conf
		printf '%s\n' /bin/sh /usr/bin/sh /bin/bash /usr/bin/bash /bin/dash /usr/bin/dash >etc/shells
		# PAM's common-* as pam-auth-update makes them with pam_unix alone
		# (su without them aborts before it asks for a password)
		for f in auth account password session session-noninteractive; do
			sed -e 's/^\$auth_primary$/auth\t[success=1 default=ignore]\tpam_unix.so nullok/' \
				-e 's/^\$account_primary$/account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so/' \
				-e 's/^\$password_primary$/password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt/' \
				-e 's/^\$session_primary$/session\t[default=1]\tpam_permit.so/' \
				-e 's/^\$session_nonint_primary$/session\t[default=1]\tpam_permit.so/' \
				-e 's/^\$session_additional$/session\trequired\tpam_unix.so/' \
				-e 's/^\$session_nonint_additional$/session\trequired\tpam_unix.so/' \
				-e '/^\$/d' "usr/share/pam/common-$f" >"etc/pam.d/common-$f"
		done
		ln -sf gawk usr/bin/awk
		ln -sf which.debianutils usr/bin/which
		[ -e usr/bin/pager ] || ln -s ../../bin/more usr/bin/pager
		: >etc/ld.so.conf
	) || { echo "kernels: the userland's setup failed" >&2; return 1; }
	printf '%s\n' $list >"$t/root/.packages"
	rm -rf "$d" && mv "$t/root" "$d" && rm -rf "$t" && : >"$d/.complete"
}
