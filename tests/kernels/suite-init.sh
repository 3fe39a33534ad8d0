#!/bin/sh
# The init of tools/kernels-suite.sh's VMs (issue 21). Loads the
# 9p and overlay modules, builds a root of the host's /usr, /etc and tree
# (9p, read-only, each under a tmpfs overlay) and the VM's own tmpfs, and
# runs tests/run there on the case files CASES (its lines, its summary
# "N passed, N failed, N skipped", "=== suite: N s"), "=== end", and
# powers off. Everything goes to the console and to /out
# (a writable 9p share: suite.txt, times.txt).
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
. /suite.conf
say() { echo "$*"; }
fatal() { echo "FAIL vm: $*"; echo "=== end"; poweroff -f; sleep 5; }

echo "=== kernel $(uname -r) $(uname -m), $(grep -c ^processor /proc/cpuinfo) cpus, $(awk '/MemTotal/ { print $2 / 1024 " MB" }' /proc/meminfo)"
for m in $(cat /modules/load-order); do
	insmod "/modules/$m.ko" || say "insmod $m failed"
done

P9="trans=virtio,version=9p2000.L,msize=262144"
mount -t tmpfs -o size=2g,mode=755 root /new || fatal "tmpfs root"
mount -t tmpfs -o size=2g,mode=755 upper /upper || fatal "tmpfs upper"
# layer TAG DIR: the host's DIR (9p tag TAG, read-only) under a writable overlay
layer() {
	mkdir -p "/lower/$1" "/upper/$1/u" "/upper/$1/w" "/new$2"
	mount -t 9p -o "$P9,ro,cache=loose" "$1" "/lower/$1" || fatal "mount 9p $1"
	if ! mount -t overlay overlay -o "lowerdir=/lower/$1,upperdir=/upper/$1/u,workdir=/upper/$1/w" "/new$2"; then
		say "note: overlay on $1 failed, read-only bind"
		mount --bind "/lower/$1" "/new$2" || fatal "bind $1"
	fi
}
layer usr /usr
layer etc /etc
layer tree "$TREE"
for l in bin lib lib32 lib64 libx32 sbin; do ln -s "usr/$l" "/new/$l"; done
mkdir -p /new/proc /new/sys /new/dev /new/tmp /new/run /new/var/tmp /new/root /new/home /new/out
chmod 1777 /new/tmp /new/var/tmp
chmod 700 /new/root
mount -t proc proc /new/proc
mount -t sysfs sys /new/sys
mount -t devtmpfs dev /new/dev
mkdir -p /new/dev/pts /new/dev/shm
# (devtmpfs has no /dev/fd and stdio links: udev makes them on a host)
ln -s /proc/self/fd /new/dev/fd
ln -s /proc/self/fd/0 /new/dev/stdin
ln -s /proc/self/fd/1 /new/dev/stdout
ln -s /proc/self/fd/2 /new/dev/stderr
mount -t devpts -o mode=620,ptmxmode=666 devpts /new/dev/pts
mount -t tmpfs -o mode=1777 shm /new/dev/shm
mount -t cgroup2 cgroup2 /new/sys/fs/cgroup 2>/dev/null || say "note: no cgroup2 at /sys/fs/cgroup"
mount -t 9p -o "$P9,cache=none" out /new/out || say "note: no /out share"
hostname "$HOSTNAME"
# (the host's name resolves, as on the host: the arm64 userland's hosts has
# only localhost)
grep -qw "$HOSTNAME" /new/etc/hosts 2>/dev/null || printf '127.0.1.1\t%s\n' "$HOSTNAME" >>/new/etc/hosts
ip link set lo up
# QEMU's user network (restrict=on): an address and a default route, no way out
if ip link set eth0 up 2>/dev/null; then
	ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
else
	say "note: no eth0"
fi

J="$BUILD/jailtrace"
chroot /new "$J" doctor 2>&1 | sed 's/^/doctor: /'

# PROBE=1: how long a few start-ups take here (TCG, 9p)
if [ -n "${PROBE:-}" ]; then
	for cmd in "/bin/true" "/bin/bash -c true" "/usr/bin/jq -n 1" "/usr/bin/python3 -c pass" "$J --version" \
		"$J run --quiet -- /bin/true" "$J run --quiet -- /usr/bin/python3 -c pass"; do

		chroot /new /usr/bin/env -i PATH=/usr/bin:/bin sh -c "$cmd" >/dev/null 2>&1

		b=$(chroot /new /usr/bin/date +%s%N); chroot /new /usr/bin/env -i PATH=/usr/bin:/bin sh -c "$cmd" >/dev/null 2>&1; e=$(chroot /new /usr/bin/date +%s%N)
		echo "probe: $(((e - b) / 1000000)) ms (second run) $cmd"
	done
fi

if [ -n "${PROBE_CMD:-}" ]; then
	chroot /new /usr/bin/env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin /bin/bash -c "$PROBE_CMD" 2>&1 | sed 's/^/probe: /'
fi

# one tests/run for every case file (one per case cost about 14 s each of
# tests/run's own start-up and sweeps under TCG); its summary line is the sum
t0=$(date +%s)
chroot /new /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 \
	TERM=dumb CASES="$CASES" JT_TEST_SLOW="$JT_TEST_SLOW" TEST_TIMES=/out/times.txt \
	/bin/bash -c 'cd "$1" && exec tests/run --build "$2" --passes "$3" ${4:+--filter "$4"}' \
	- "$TREE" "$BUILD" "$PASSES" "$FILTER" </dev/null 2>&1 | tee /upper/suite.txt
cp /upper/suite.txt /new/out/suite.txt 2>/dev/null
grep -qE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' /upper/suite.txt ||
	echo "0 passed, 1 failed, 0 skipped (tests/run printed no summary)"
echo "=== suite: $(($(date +%s) - t0)) s"
echo "=== end"
sync
umount /new/out 2>/dev/null
poweroff -f
