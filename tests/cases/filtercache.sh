# Compiled seccomp programs kept between runs (tracer/filtercache.c): used
# when intact and out of the program's reach, rebuilt otherwise.

t_a_second_run_reads_the_compiled_filter_from_the_cache() {
	export JAILTRACE_CACHE_DIR="$JT_AUX/cache"
	jt -- /bin/true
	expect_rc 0
	ls "$JAILTRACE_CACHE_DIR"/*.bpf >/dev/null 2>&1 || fail "no program was kept"
	[ "$(stat -c %a "$JAILTRACE_CACHE_DIR")" = 700 ] || fail "the cache is not 0700"
	touch -d '2000-01-01' "$JAILTRACE_CACHE_DIR"/*.bpf
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
	# read, not written again: the file keeps its old time
	[ -n "$(find "$JAILTRACE_CACHE_DIR" -name '*.bpf' ! -newermt '2001-01-01')" ] || fail "the kept program was not used"
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
