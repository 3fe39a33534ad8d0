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
	find "$JAILTRACE_CACHE_DIR" -name '*.bpf' -newermt '2002-01-01' ! -name '.*' | grep . >/dev/null ||
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

# plant DIR: every kept program in DIR becomes one that allows every call,
# with a checksum that matches (what a program that can write the cache
# could leave for the next run).
plant_allow_all() {
	/usr/bin/python3 -c "
import glob, hashlib, struct, sys
allow = struct.pack('HBBI', 0x06, 0, 0, 0x7fff0000)	# BPF_RET|BPF_K: SECCOMP_RET_ALLOW
n = 0
for f in glob.glob(sys.argv[1] + '/*.bpf'):
    open(f, 'wb').write(allow + hashlib.sha256(allow).digest()); n += 1
print('planted', n)" "$1"
}

t_a_program_that_can_write_the_cache_cannot_plant_a_filter_for_a_later_run() {
	case ",${JAILTRACE_DISABLE:-}," in
	*,seccomp,*) skip "no seccomp program is loaded here (seccomp off): a planted one could not be loaded either" ;;
	esac
	export JAILTRACE_CACHE_DIR="$JT_AUX/cache"
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
	# control: a program that allows everything, planted from outside, is
	# what a run then loads (the attack works if the program can plant it)
	cp -a "$JAILTRACE_CACHE_DIR" "$JT_AUX/saved"
	plant_allow_all "$JAILTRACE_CACHE_DIR" >"$T/plant"
	grep -qx 'planted 1' "$T/plant" || fail "nothing to plant: $(cat "$T/plant")"
	jt -- "$PROGS/forbidden" syslog
	grep -qx "syslog: ENOSYS" "$T/out" && native_fail "a planted program was not loaded: the test cannot judge"
	rm -rf "$JAILTRACE_CACHE_DIR"
	mv "$JT_AUX/saved" "$JAILTRACE_CACHE_DIR"
	# a run whose program may write the cache plants it from inside ...
	jt --rw "$JAILTRACE_CACHE_DIR" -- /usr/bin/python3 -c "
import glob, hashlib, struct, sys
allow = struct.pack('HBBI', 0x06, 0, 0, 0x7fff0000)
fs = glob.glob(sys.argv[1] + '/*.bpf')
for f in fs: open(f, 'wb').write(allow + hashlib.sha256(allow).digest())
print('planted', len(fs))" "$JAILTRACE_CACHE_DIR"
	expect_out_line "planted 1"
	# ... and the next run, with no grant over it, does not load it
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
	expect_log '.name == "syslog" and .decision == "deny"'
}

t_a_marking_run_that_dies_leaves_the_cache_untrusted_until_it_is_emptied() {
	case ",${JAILTRACE_DISABLE:-}," in
	*,seccomp,*) skip "no seccomp program is loaded here (seccomp off): a planted one could not be loaded either" ;;
	esac
	export JAILTRACE_CACHE_DIR="$JT_AUX/cache"
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
	# the program plants, then jailtrace dies (SIGKILL) before it can empty the cache
	jt_bg --rw "$JAILTRACE_CACHE_DIR" -- /usr/bin/python3 -c "
import glob, hashlib, struct, sys, time
allow = struct.pack('HBBI', 0x06, 0, 0, 0x7fff0000)
for f in glob.glob(sys.argv[1] + '/*.bpf'): open(f, 'wb').write(allow + hashlib.sha256(allow).digest())
print('planted', flush=True)
time.sleep(60)" "$JAILTRACE_CACHE_DIR"
	wait_until 30 grep -qx planted "$T/out" || { kill "$JT_PID"; jt_wait; fail "the program did not plant"; }
	# while it lasts, no run trusts the cache
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
	kill -KILL "$JT_PID"
	jt_wait
	# a run of another cache does not take the mark away (each cache has its own)
	JAILTRACE_CACHE_DIR="$JT_AUX/other" jt -- /bin/true
	expect_rc 0
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
	expect_log '.name == "syslog" and .decision == "deny"'
}

t_a_fifo_under_a_programs_name_in_the_cache_does_not_hold_a_run() {
	export JAILTRACE_CACHE_DIR="$JT_AUX/cache"
	jt -- /bin/true
	f=$(ls "$JAILTRACE_CACHE_DIR"/*.bpf | head -1)
	rm -f "$f"
	mkfifo -m 600 "$f"
	jt --timeout 20s -- "$PROGS/forbidden" syslog
	expect_rc 0
	expect_out_line "syslog: ENOSYS"
}

t_pruning_the_cache_removes_only_its_own_files() {
	export JAILTRACE_CACHE_DIR="$JT_AUX/cache"
	mkdir -m 700 "$JAILTRACE_CACHE_DIR"
	for n in .bashrc .netrc notes.txt ".1.short.bpf"; do
		echo keep >"$JAILTRACE_CACHE_DIR/$n"
		touch -d '2001-01-01' "$JAILTRACE_CACHE_DIR/$n"
	done
	jt -- /bin/true
	expect_rc 0
	for n in .bashrc .netrc notes.txt ".1.short.bpf"; do
		[ -e "$JAILTRACE_CACHE_DIR/$n" ] || fail "pruning removed $n, not a file of the cache's"
	done
}

t_a_program_that_puts_a_link_on_the_way_to_the_cache_cannot_plant_a_filter() {
	case ",${JAILTRACE_DISABLE:-}," in
	*,seccomp,*) skip "no seccomp program is loaded here (seccomp off): a planted one could not be loaded either" ;;
	esac
	mkdir -p "$JT_AUX/home"
	chmod 755 "$JT_AUX" "$JT_AUX/home"
	export JAILTRACE_CACHE_DIR="$JT_AUX/home/.cache/jailtrace"
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
	# the program moves the cache's parent away, puts a link to a directory
	# of its own in its place with the same names, plants, and stays
	jt_bg --rw "$JT_AUX/home" -- /usr/bin/python3 -c "
import glob, hashlib, os, struct, sys, time
home = sys.argv[1]
allow = struct.pack('HBBI', 0x06, 0, 0, 0x7fff0000)
names = [os.path.basename(f) for f in glob.glob(home + '/.cache/jailtrace/*.bpf')]
os.rename(home + '/.cache', home + '/.old')
os.makedirs(home + '/evil/jailtrace', mode=0o700)
os.symlink(home + '/evil', home + '/.cache')
for n in names: open(home + '/evil/jailtrace/' + n, 'wb').write(allow + hashlib.sha256(allow).digest())
print('planted', len(names), flush=True)
time.sleep(60)" "$JT_AUX/home"
	wait_until 30 grep -q '^planted [1-9]' "$T/out" || { kill "$JT_PID"; jt_wait; fail "the program did not plant: $(cat "$T/out" "$T/err")"; }
	[ -L "$JT_AUX/home/.cache" ] || { kill "$JT_PID"; jt_wait; fail "no link was put on the way (cannot judge)"; }
	jt -- "$PROGS/forbidden" syslog
	kill -KILL "$JT_PID"
	jt_wait
	expect_out_line "syslog: ENOSYS"
	expect_log '.name == "syslog" and .decision == "deny"'
	# after the marking run died too
	jt -- "$PROGS/forbidden" syslog
	expect_out_line "syslog: ENOSYS"
}
