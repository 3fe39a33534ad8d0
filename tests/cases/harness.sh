# The suite's own footing: what its helpers promise the other tests. A
# containment test judges jailtrace by whether a victim or a listener is
# still there, so the helpers themselves must never touch one.

t_native_runs_never_kill_the_tests_victims() {
	# each native run starts a guard that is killed when the run ends first;
	# on a busy host the guard is often still a copy of the test's shell,
	# whose TERM trap (the test's cleanup) kills every victim
	start_victim
	hog_every_cpu
	for i in $(seq 200); do
		native true
		victim_alive || fail "the victim was killed after $i native runs of true"
	done
}
