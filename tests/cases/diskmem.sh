# Disk and memory the sandbox holds outside any process: files of its jail
# (--disk, --inodes), memfd and pipe pages (--memory), and the removal of an
# ephemeral jail whatever shape the program gave it. Judged from the host:
# the jail's directory on the disk, its size (du), /proc/meminfo.

# A fresh jail of its own for each test, in a TMPDIR the test owns.
use_own_tmpdir() {
	export TMPDIR="$JT_AUX/tmpdir"
	mkdir -p "$TMPDIR"
	JAILS="$TMPDIR/jailtrace-$(id -u)"
}

# A chain of 4,200 directories: past the 4,096 levels where removal stopped
# before. Making and removing it takes seconds on a busy disk: a longer guard.
t_an_ephemeral_jail_with_4200_nested_directories_made_by_renames_is_removed() {
	use_own_tmpdir
	GUARD_SECS=$(slow 90)
	mkdir "$T/native"
	native "$PROGS/diskhog" deep "$T/native" 4200
	grep -qx 'depth 4200' "$T/nout" || native_fail "the program did not make the chain"
	[ "$(find "$T/native" -type d | wc -l)" -gt 4200 ] || native_fail "no chain of 4200 directories on the host"
	chmod -R u+rwx "$T/native"
	jt --timeout 80s -- "$PROGS/diskhog" deep /tmp 4200
	expect_rc 0
	expect_out_line 'depth 4200'
	! ls -d "$JAILS"/jailtrace-jail-* >/dev/null 2>&1 ||
		fail "the jail is still on the host: $(du -sh "$JAILS"/jailtrace-jail-* 2>&1)"
}

t_a_deep_locked_jail_a_killed_run_left_is_removed_by_the_next() {
	use_own_tmpdir
	GUARD_SECS=$(slow 90)
	local dead stale
	# a pid that is gone: a shell that has exited
	sh -c 'exit 0' & dead=$!
	wait "$dead"
	mkdir -p -m 711 "$JAILS"
	stale="$JAILS/jailtrace-jail-$dead-abcdef"
	mkdir -m 700 "$stale" "$stale/tmp"
	native "$PROGS/diskhog" deep "$stale/tmp" 4200
	grep -qx 'depth 4200' "$T/nout" || native_fail "the program did not make the chain"
	jt -- /bin/true
	expect_rc 0
	[ ! -e "$stale" ] || fail "the stale jail is still there: $(find "$stale" 2>/dev/null | wc -l) entries"
}

# expect_disk_limit: the run ended by --disk: exit 137, status disk_limit, a
# "limit" record, and the jail gone from the host.
expect_disk_limit() {
	expect_rc 137
	expect_result status disk_limit
	expect_log '.type == "limit" and .limit == "disk"'
	! ls -d "$JAILS"/jailtrace-jail-* >/dev/null 2>&1 || fail "the jail is still on the host"
}

t_300_files_of_1M_under_fsize_1M_end_the_run_at_the_disk_limit() {
	use_own_tmpdir
	mkdir "$T/native"
	native "$PROGS/diskhog" files "$T/native" 50 1024
	grep -qx 'made 50 files' "$T/nout" || native_fail "the program did not write 50 files"
	[ "$(du -sm "$T/native" | cut -f1)" -ge 50 ] || native_fail "50 files of 1 MiB do not fill 50 MiB"
	rm -rf "$T/native"
	# how many files were made before the limit depends on speed (the walk
	# at the end catches the rest): only the outcome is judged
	jt --fsize 1M --disk 20M -- "$PROGS/diskhog" files /tmp 300 1024
	expect_disk_limit
}

t_a_sparse_file_counts_its_blocks_allocated_past_its_end() {
	use_own_tmpdir
	mkdir "$T/native"
	native "$PROGS/diskhog" sparse "$T/native" 64 0
	grep -qx 'allocated 64 MiB' "$T/nout" || native_fail "fallocate KEEP_SIZE did not allocate 64 MiB here"
	[ "$(du -sm "$T/native" | cut -f1)" -ge 64 ] || native_fail "blocks past the end are not on the disk here"
	rm -rf "$T/native"
	jt --disk 32M -- /bin/sh -c "$PROGS/diskhog sparse /tmp 64 3; exec sleep 30"
	expect_disk_limit
}

t_files_unlinked_and_held_open_count_toward_the_disk_limit() {
	use_own_tmpdir
	mkdir "$T/native"
	native "$PROGS/diskhog" unlinked "$T/native" 16 8 0
	grep -qx 'held 128 MiB' "$T/nout" || native_fail "the program could not hold 128 MiB unlinked"
	# held until the run's --timeout: the tracer's look at the descriptors
	# comes while they are open, however busy the host
	jt --disk 32M -- "$PROGS/diskhog" unlinked /tmp 16 8 30
	# how much was written before the limit depends on speed: not judged
	expect_disk_limit
}

t_inodes_limit_makes_new_names_fail_with_EDQUOT() {
	use_own_tmpdir
	mkdir "$T/native"
	native "$PROGS/diskhog" files "$T/native" 200 0
	grep -qx 'made 200 files' "$T/nout" || native_fail "the program did not make 200 files"
	jt --inodes 100 -- "$PROGS/diskhog" files /tmp 200 0
	expect_rc 1
	grep -qE '^failed at file (9[0-9]|100): EDQUOT$' "$T/out" || fail "no EDQUOT near 100 files: $(tail -n 1 "$T/out")"
	jt --inodes 100 -- /bin/sh -c 'cd /tmp && mkdir a && i=0; while [ $i -lt 150 ]; do mkdir a/d$i 2>/dev/null || break; i=$((i+1)); done; echo "dirs $i"'
	grep -qE '^dirs (9[0-9]|100)$' "$T/out" || fail "mkdir was not stopped near 100: $(cat "$T/out")"
}

t_a_path_truncate_past_fsize_fails_with_EFBIG_as_ftruncate_does() {
	use_own_tmpdir
	mkdir "$T/native"
	# natively the limit is the program's own: truncate(2) past it fails
	native /bin/sh -c "ulimit -f 1024; trap '' XFSZ; : > '$T/native/f'; truncate -s 10T '$T/native/f'; echo rc=\$?"
	grep -qx 'rc=1' "$T/nout" || native_fail "truncate past RLIMIT_FSIZE did not fail natively"
	jt --fsize 1M -- /bin/sh -c "trap '' XFSZ; cd /tmp; : > f; truncate -s 10T f; echo rc=\$?; stat -c 'size %s' f;
		truncate -s 512K f; echo rc=\$?; stat -c 'size %s' f"
	expect_out_line 'rc=1'
	expect_out_line 'size 0'
	expect_out_line 'size 524288'
	# without the trap, SIGXFSZ ends the program as natively
	jt --fsize 1M -- /bin/sh -c ': > /tmp/f; exec truncate -s 2M /tmp/f'
	expect_result signal 25
}

t_keep_copies_sparse_files_sparse_and_hard_links_once() {
	use_own_tmpdir
	mkdir "$T/native"
	native "$PROGS/diskhog" sparse "$T/native" 1 15
	grep -qx 'allocated 1 MiB' "$T/nout" || native_fail "the program did not make its file"
	[ "$(stat -c %s "$T/native/sparse")" -gt 100000000 ] || native_fail "no sparse file of 100 MiB"
	rm -rf "$T/native"
	jt --keep "/tmp:$T/kept" -- "$PROGS/diskhog" sparse /tmp 1 15
	expect_rc 0
	[ "$(stat -c %s "$T/kept/sparse")" = 104857601 ] || fail "the kept file has another size"
	[ "$(stat -c %h "$T/kept/sparse")" = 16 ] || fail "the 16 names are not one file: $(ls -li "$T/kept" | head -5)"
	[ "$(du -sk "$T/kept" | cut -f1)" -lt 1024 ] || fail "the copy takes $(du -sh "$T/kept" | cut -f1) on the host"
}

# host_shmem_kb: the host's Shmem in KiB
host_shmem_kb() { awk '/^Shmem:/ { print $2 }' /proc/meminfo; }

# A memfd of 256 MiB held for 3 s, written four ways, never mapped (but by
# ftruncate-mmap, which unmaps each MiB once written): natively the program
# holds it all and exits 0. Inside, the run ends with memory_limit, and the
# program's processes are gone; how much it could take first depends on
# how fast it allocates in one tick (fallocate takes 256 MiB in less than a
# tick), so only a bound far above the limit is judged: the host's Shmem
# never grew by the 1000 MiB a run could take before (its --fsize
# bounds one memfd to 1 GiB).
t_memfd_pages_written_and_never_mapped_count_toward_the_memory_limit() {
	use_own_tmpdir
	local how before peak now
	native "$PROGS/diskhog" memfd 256 0 write
	grep -qx 'held 256 MiB' "$T/nout" || native_fail "the program could not hold 256 MiB in a memfd"
	for how in write pwrite fallocate ftruncate-mmap; do
		before=$(host_shmem_kb)
		peak=$before
		jt_bg --memory 64M -- "$PROGS/diskhog" memfd 1000 3 "$how"
		while is_running "$JT_PID"; do
			now=$(host_shmem_kb)
			[ "$now" -gt "$peak" ] && peak=$now
			sleep 0.01
		done
		jt_wait
		expect_rc 137
		expect_result status memory_limit
		expect_log '.type == "limit" and .limit == "memory"'
		wait_until 10 no_survivors || fail "$how: processes outlived the run"
		[ $(((peak - before) / 1024)) -lt 900 ] || fail "$how: host Shmem grew by $(((peak - before) / 1024)) MiB"
	done
}

# Each memfd held only by a mapping of one of its pages once written:
# natively 16 of 16 MiB stay held; no descriptor of the program names them.
t_memfds_held_only_by_a_mapping_count_toward_the_memory_limit() {
	use_own_tmpdir
	native "$PROGS/diskhog" mapped 16 16 0
	grep -qx 'held 256 MiB' "$T/nout" || native_fail "the program could not hold 16 memfds of 16 MiB"
	jt --memory 64M -- "$PROGS/diskhog" mapped 16 16 30
	expect_rc 137
	expect_result status memory_limit
	wait_until 10 no_survivors || fail "processes outlived the run"
}

# A program that makes and drops memfds is not charged for those it dropped.
t_memfds_closed_and_unmapped_are_let_go() {
	use_own_tmpdir
	jt --memory 64M -- /usr/bin/python3 -c '
import os, mmap
for i in range(64):
    fd = os.memfd_create("x")
    os.write(fd, b"y" * (4 << 20))
    m = mmap.mmap(fd, 4096)
    os.close(fd)
    m.close()
print("done", flush=True)'
	expect_rc 0
	expect_out_line done
}

t_pipe_buffers_count_toward_the_memory_limit() {
	use_own_tmpdir
	# 50 pipes of 1 MiB: within a user's 64 MiB of pipe buffers (pipe-user-pages-soft)
	native "$PROGS/diskhog" pipes 50 0
	grep -q '^piped [0-9]* KiB$' "$T/nout" || native_fail "the program could not fill its pipes"
	[ "$(sed -n 's/^piped \([0-9]*\) KiB$/\1/p' "$T/nout")" -ge $((40 * 1024)) ] ||
		native_fail "50 pipes hold less than 40 MiB here: $(cat "$T/nout")"
	jt --memory 24M -- "$PROGS/diskhog" pipes 50 30
	expect_rc 137
	expect_result status memory_limit
}

t_a_jail_in_memory_counts_toward_the_memory_limit() {
	local shm
	[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || skip "no tmpfs at /dev/shm"
	shm=$(mktemp -d /dev/shm/jt-diskmem.XXXXXX) || skip "cannot make a directory in /dev/shm"
	mkdir "$shm/native"
	native "$PROGS/diskhog" files "$shm/native" 1 131072
	grep -qx 'made 1 files' "$T/nout" || { rm -rf "$shm"; native_fail "cannot write 128 MiB to tmpfs"; }
	rm -rf "$shm/native"
	export TMPDIR="$shm"
	jt --memory 48M -- /bin/sh -c "$PROGS/diskhog files /tmp 1 131072; exec sleep 30"
	local left
	left=$(find "$shm" -mindepth 2 -maxdepth 2 -name 'jailtrace-jail-*' | wc -l)
	rm -rf "$shm"
	expect_rc 137
	expect_result status memory_limit
	[ "$left" = 0 ] || fail "the jail in memory is still there"
}
