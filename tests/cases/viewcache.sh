# The view's skeleton kept between runs (tracer/skeleton.c): one per
# distinct view, shared, out of the program's reach, used only when the
# directory is ours alone and no writable grant holds it, at most 32 kept.
# JAILTRACE_VIEW_CACHE points each test at a directory of its own.

# kept_skeletons DIR: how many skeletons DIR holds.
kept_skeletons() {
	find "$1" -mindepth 1 -maxdepth 1 -type d ! -name '.tmp-*' 2>/dev/null | wc -l
}

t_two_runs_of_one_view_share_one_kept_skeleton() {
	export JAILTRACE_VIEW_CACHE="$JT_AUX/skel"
	jt -- /bin/cat /etc/passwd
	expect_rc 0
	expect_out_line "sandbox:x:$(sandbox_ids):sandbox:/home/sandbox:/bin/sh"
	[ "$(kept_skeletons "$JAILTRACE_VIEW_CACHE")" = 1 ] || fail "not one skeleton kept: $(ls -a "$JAILTRACE_VIEW_CACHE")"
	first=$(stat -c %i "$JAILTRACE_VIEW_CACHE"/*/)
	jt -- /bin/sh -c 'cat /etc/passwd; ls /'
	expect_rc 0
	expect_out_line "sandbox:x:$(sandbox_ids):sandbox:/home/sandbox:/bin/sh"
	expect_out_line usr
	[ "$(kept_skeletons "$JAILTRACE_VIEW_CACHE")" = 1 ] || fail "the second run made another skeleton"
	[ "$(stat -c %i "$JAILTRACE_VIEW_CACHE"/*/)" = "$first" ] || fail "the skeleton was made again"
	[ "$(stat -c %a "$JAILTRACE_VIEW_CACHE"/*/)" = 755 ] || fail "the skeleton is not 0755"
}

t_another_view_gets_another_skeleton() {
	export JAILTRACE_VIEW_CACHE="$JT_AUX/skel"
	echo data >"$JT_AUX/input.csv"
	jt -- /bin/true
	jt --ro "$JT_AUX/input.csv:/data/input.csv" -- /bin/sh -c 'ls /; cat /data/input.csv'
	expect_rc 0
	expect_out_line data
	[ "$(kept_skeletons "$JAILTRACE_VIEW_CACHE")" = 2 ] || fail "expected two skeletons: $(ls "$JAILTRACE_VIEW_CACHE")"
	jt -- /bin/ls /
	expect_no_out data
}

t_the_program_cannot_change_the_kept_skeleton() {
	export JAILTRACE_VIEW_CACHE="$JT_AUX/skel"
	jt -- /bin/true
	skel=$(ls -d "$JAILTRACE_VIEW_CACHE"/*/)
	skel=${skel%/}
	before=$(cd "$skel" && find . -printf '%p %y %s %m\n' | sort | md5sum)
	# native control: the skeleton is this user's, so a program of theirs can write it
	native /bin/sh -c "echo x > '$skel/planted' && rm '$skel/planted'"
	[ "$NRC" = 0 ] || native_fail "cannot write the skeleton natively"
	jt -- /bin/sh -c "echo evil > '$skel/planted'; echo evil >> /etc/passwd; mkdir /newdir;
		touch /etc/newfile; ln -s / /etc/toroot; rm -f /etc/group; echo done"
	expect_out_line done
	after=$(cd "$skel" && find . -printf '%p %y %s %m\n' | sort | md5sum)
	[ "$before" = "$after" ] || fail "the kept skeleton changed: $(cd "$skel" && find . | sort | head -50)"
	jt -- /bin/cat /etc/passwd
	expect_no_out evil
}

t_a_writable_grant_over_the_view_cache_turns_it_off() {
	# $T is granted writable to every test's program
	export JAILTRACE_VIEW_CACHE="$T/skel"
	jt -- /bin/sh -c 'cat /etc/passwd; ls /'
	expect_rc 0
	expect_out_line usr
	[ "$(kept_skeletons "$JAILTRACE_VIEW_CACHE")" = 0 ] || fail "a skeleton the program could write was kept"
}

t_a_view_cache_others_may_write_is_not_used() {
	export JAILTRACE_VIEW_CACHE="$JT_AUX/skel"
	mkdir -m 777 "$JAILTRACE_VIEW_CACHE"
	chmod 777 "$JAILTRACE_VIEW_CACHE"	# whatever the umask
	jt -- /bin/cat /etc/passwd
	expect_rc 0
	expect_out_line "sandbox:x:$(sandbox_ids):sandbox:/home/sandbox:/bin/sh"
	[ "$(kept_skeletons "$JAILTRACE_VIEW_CACHE")" = 0 ] || fail "a world-writable directory was used"
}

t_view_cache_0_makes_a_private_skeleton_removed_at_the_end() {
	export JAILTRACE_VIEW_CACHE=0
	jt_bg -- /bin/sh -c 'ls / > /tmp/listing; exec sleep 50'
	wait_until 20 sh -c "ls -d /dev/shm/jailtrace-view-$JT_PID-* >/dev/null 2>&1" ||
		fail "no private skeleton while the run lasts"
	kill -TERM "$JT_PID"
	jt_wait
	! ls -d /dev/shm/jailtrace-view-"$JT_PID"-* >/dev/null 2>&1 || fail "the private skeleton was left behind"
}

t_at_most_32_skeletons_are_kept_and_the_newest_stay() {
	export JAILTRACE_VIEW_CACHE="$JT_AUX/skel"
	echo data >"$JT_AUX/input.csv"
	for i in $(seq 1 36); do
		jt_plain --ro "$JT_AUX/input.csv:/data/in$i.csv" -- /bin/true
		[ "$RC" = 0 ] || fail "run $i: $(cat "$T/err")"
	done
	n=$(kept_skeletons "$JAILTRACE_VIEW_CACHE")
	[ "$n" = 32 ] || fail "$n skeletons kept, not 32"
	jt --ro "$JT_AUX/input.csv:/data/in36.csv" -- /bin/true
	[ "$(kept_skeletons "$JAILTRACE_VIEW_CACHE")" = "$n" ] || fail "the newest one was pruned"
	[ "$(ls "$JAILTRACE_VIEW_CACHE"/*.lock | wc -l)" = "$n" ] || fail "locks of removed skeletons were left"
}

t_a_skeleton_in_use_is_not_pruned() {
	export JAILTRACE_VIEW_CACHE="$JT_AUX/skel"
	echo data >"$JT_AUX/input.csv"
	jt_bg --timeout 60s --ro "$JT_AUX/input.csv:/data/mine.csv" -- /bin/sh -c 'exec sleep 50'
	wait_until 20 sh -c "[ -n \"\$(ls -d '$JAILTRACE_VIEW_CACHE'/*/ 2>/dev/null)\" ]" || fail "the run did not start"
	mine=$(ls -d "$JAILTRACE_VIEW_CACHE"/*/)
	touch -d '2000-01-01' "$JAILTRACE_VIEW_CACHE"/*.lock	# the oldest of all
	for i in $(seq 1 34); do
		jt_plain --ro "$JT_AUX/input.csv:/data/in$i.csv" -- /bin/true
	done
	is_running "$JT_PID" || fail "the first run ended before the others pruned (cannot judge)"
	[ -d "$mine" ] || fail "the skeleton of a run still going was removed"
	kill "$JT_PID" 2>/dev/null
	jt_wait
}
