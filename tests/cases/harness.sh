# The suite's own footing: what its helpers promise the other tests. A
# containment test judges jailtrace by whether a victim or a listener is
# still there, so the helpers themselves must never touch one.
# The suite's helpers, not jailtrace: as root and as an unprivileged user.
# passes: root,jtuser

t_native_runs_never_kill_the_tests_victims() {
	# each native run starts a guard that is killed when the run ends first;
	# on a busy host the guard is often still a copy of the test's shell,
	# whose TERM trap (the test's cleanup) kills every victim
	# 200 runs, or as many as 20 s allow on a host so busy that each takes
	# longer (the victim outlives the test: start_victim)
	local i end=$((SECONDS + 20))
	start_victim
	hog_every_cpu
	for ((i = 1; i <= 200 && SECONDS < end; i++)); do
		native true
		victim_alive || fail "the victim was killed after $i native runs of true"
	done
	# the old helper killed the victim within two runs; fewer than three
	# runs in 20 s (a very busy host) cannot show it either way
	[ "$i" -gt 3 ] || skip "the host was too busy: only $((i - 1)) native runs in 20 s"
}

# i386_tests: "FILE NAME KIND probed|unprobed" for each test whose body runs
# i386 code, once per KIND it runs (programs: a 32-bit program; int80: int
# 0x80 from 64-bit code), saying whether its needs_* probe came before.
# A line that is itself the probe ends with "# the native probe".
i386_tests() {
	awk '
	/^t_[A-Za-z0-9_]+\(\) *\{/ { name = $1; sub(/\(\).*/, "", name); split("", probed); split("", used); next }
	name != "" && /^\}/ { name = ""; next }
	name == "" { next }
	/# the native probe$/ { next }
	/needs_i386_programs/ { probed["programs"] = 1 }
	/needs_int80/ { probed["int80"] = 1 }
	/\$PROGS\/[a-z0-9_]*32([^0-9a-z_]|$)/ { use("programs") }
	/\$PROGS\/int80/ { use("int80") }
	function use(k) {
		if (k in used) return
		used[k] = 1
		print FILENAME, name, k, (k in probed ? "probed" : "unprobed")
	}
	' "$(dirname "$TEST_CASE")"/*.sh
}

t_every_test_of_i386_code_asks_the_kernel_first() {
	i386_tests >"$T/uses"
	[ "$(wc -l <"$T/uses")" -ge 10 ] || fail "found only $(wc -l <"$T/uses") tests of i386 code: is the scan wrong?
$(cat "$T/uses")"
	grep ' unprobed$' "$T/uses" >"$T/bad" &&
		fail "tests that run i386 code without a native probe first (they fail where the kernel runs none):
$(cat "$T/bad")"
	return 0
}

t_i386_tests_skip_and_say_why_where_the_kernel_runs_no_i386_code() {
	local file name need _ rc
	i386_tests | awk '!seen[$2]++' >"$T/uses"
	while read -r file name need _; do
		# in a subshell with the test's own cleanup: a test that does not
		# skip must not leave its victims and listeners running
		(
			VICTIMS=() HOGS=()
			trap _cleanup EXIT
			export TEST_PRETEND_NO_I386=1 T="$T/$name"
			mkdir -p "$T" && cd "$T" && . "$file" && "$name"
		) >"$T/$name.out" 2>&1 </dev/null
		rc=$?
		[ "$rc" = 77 ] || fail "$name ended with $rc, not a skip, on a kernel that runs no i386 code:
$(tail -n 5 "$T/$name.out")"
		grep -q "^this kernel runs no " "$T/$name.out" || fail "$name does not say why it skips: $(tail -n 2 "$T/$name.out")"
	done <"$T/uses"
}
