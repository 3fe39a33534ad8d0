# Compiled seccomp programs kept between runs (tracer/filtercache.c): used
# when intact and out of the program's reach, rebuilt otherwise.

t_a_second_run_reads_the_compiled_filter_from_the_cache() {
	export JAILTRACE_CACHE_DIR="$JT_AUX/cache"
	jt -- /bin/true
	expect_rc 0
	ls "$JAILTRACE_CACHE_DIR"/*.bpf >/dev/null 2>&1 || fail "no program was kept"
	[ "$(stat -c %a "$JAILTRACE_CACHE_DIR")" = 700 ] || fail "the cache is not 0700"
	touch -d '2000-01-01' "$JAILTRACE_CACHE_DIR"/*.bpf
	ino=$(stat -c %i "$JAILTRACE_CACHE_DIR"/*.bpf)
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
	# read, not written again (the same file), and its time of use set
	[ "$(stat -c %i "$JAILTRACE_CACHE_DIR"/*.bpf)" = "$ino" ] || fail "the kept program was written again"
	[ -n "$(find "$JAILTRACE_CACHE_DIR" -name '*.bpf' -newermt '2001-01-01')" ] || fail "the kept program's use was not noted"
}

t_at_most_64_programs_are_kept_and_the_least_recently_used_go() {
	export JAILTRACE_CACHE_DIR="$JT_AUX/cache"
	mkdir -m 700 "$JAILTRACE_CACHE_DIR"
	# 70 programs of other policies, used one a day from 2001 on, and two
	# half-written ones: one of a run that died long ago, one being written
	for i in $(seq 10 79); do
		f="$JAILTRACE_CACHE_DIR/$(printf '%064d' "$i").bpf"
		head -c 72 /dev/zero >"$f"
		touch -d "2001-01-01 + $i days" "$f"
	done
	touch -d '2001-01-01' "$JAILTRACE_CACHE_DIR/.99.$(printf '%064d' 1).bpf"
	touch "$JAILTRACE_CACHE_DIR/.98.$(printf '%064d' 2).bpf"
	jt -- /bin/true
	expect_rc 0
	n=$(ls "$JAILTRACE_CACHE_DIR" | grep -c '^[0-9a-f]\{64\}\.bpf$')
	[ "$n" = 64 ] || fail "$n programs kept, not 64"
	[ -e "$JAILTRACE_CACHE_DIR/$(printf '%064d' 79).bpf" ] || fail "the most recently used one was removed"
	[ -e "$JAILTRACE_CACHE_DIR/$(printf '%064d' 16).bpf" ] && fail "the least recently used ones were kept"
	[ -e "$JAILTRACE_CACHE_DIR/$(printf '%064d' 17).bpf" ] || fail "more than the excess was removed"
	find "$JAILTRACE_CACHE_DIR" -name '*.bpf' -newermt '2002-01-01' ! -name '.*' | grep -q . ||
		fail "this run's program was not kept"
	[ -e "$JAILTRACE_CACHE_DIR/.99.$(printf '%064d' 1).bpf" ] && fail "a leftover of a dead run was kept"
	[ -e "$JAILTRACE_CACHE_DIR/.98.$(printf '%064d' 2).bpf" ] || fail "a program being written was removed"
	# a second run of the same policy reads it back: nothing else goes
	jt -- /bin/true
	[ "$(ls "$JAILTRACE_CACHE_DIR" | grep -c '^[0-9a-f]\{64\}\.bpf$')" = 64 ] || fail "a run that wrote nothing pruned"
}

t_a_corrupt_cached_filter_is_rebuilt_and_never_used() {
	export JAILTRACE_CACHE_DIR="$JT_AUX/cache"
	jt -- /bin/true
	f=$(ls "$JAILTRACE_CACHE_DIR"/*.bpf | head -1)
	# a program that allows everything, but not what the checksum says
	/usr/bin/python3 -c "
import struct, sys
allow = struct.pack('HBBI', 0x06, 0, 0, 0x7fff0000)	# BPF_RET|BPF_K: SECCOMP_RET_ALLOW
data = open(sys.argv[1], 'rb').read()
open(sys.argv[1], 'wb').write(allow * ((len(data) - 32) // 8) + data[-32:])" "$f"
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
	expect_log '.name == "syslog" and .decision == "deny"'
	head -c 8 "$f" | od -An -tx1 | grep -q '06 00 00 00 00 00 ff 7f' && fail "the corrupt program was kept"
	true
}

t_a_writable_grant_over_the_cache_turns_it_off() {
	export JAILTRACE_CACHE_DIR="$T/cache"
	jt -- /bin/true
	expect_rc 0
	ls "$JAILTRACE_CACHE_DIR"/*.bpf >/dev/null 2>&1 && fail "a cache the program could write was used"
	true
}
