# What jailtrace itself writes on the host: the audit log (--log), the
# result (--result) and --keep's copies. The suite's own runs, like an
# operator's `--rw . --log ./run.jsonl`, keep them inside a writable grant
# ($T, granted --rw by JT_VIEW), where the program could empty or rewrite
# its own audit log, rename it away and leave one of its own making, or
# turn a directory on the result's or a copy's way into a link: the files
# jailtrace (root) then wrote at the end landed wherever the program
# pointed, a FIFO at the result's name held jailtrace for ever. Each test
# shows natively that the file operation does what the attack needs, then
# judges inside from the host: the log holds the run from its header to its
# end, nothing lands outside the grants, jailtrace ends.
# passes: root,jtuser,asan,legacy,ptrace

# The program's attack on a file ($1), its directory ($2) and a place of
# the host's ($3): empty it, append a forged record, move it away and
# write a forged log at its name; move the directory and make its name a
# link to $3.
ATTACK='f=$1 d=$2 v=$3
truncate -s 0 "$f" && echo emptied
echo "{\"type\":\"forged\"}" >>"$f" && echo appended
mv "$f" "$f.moved" && echo moved
echo "{\"type\":\"run\",\"forged\":true}" >"$f" && echo replaced
mv "$d" "$d.moved" && ln -s "$v" "$d" && echo relinked
true'

t_the_log_in_a_writable_grant_cannot_be_emptied_rewritten_or_moved() {
	# native control: the file operations work on a log-like file
	mkdir -p "$T/n/out" "$JT_AUX/nvictim"
	echo '{"type":"run"}' >"$T/n/log.jsonl"
	native /bin/sh -c "$ATTACK" sh "$T/n/log.jsonl" "$T/n/out" "$JT_AUX/nvictim"
	grep -qx replaced "$T/nout" && [ "$(cat "$T/n/log.jsonl")" = '{"type":"run","forged":true}' ] ||
		native_fail "the log-like file was not rewritten natively"
	# inside: --log "$T/log.jsonl" (jt), $T granted --rw
	jt -- /bin/sh -c "$ATTACK" sh "$T/log.jsonl" "$T/nothing" "$JT_AUX/nvictim"
	expect_rc 0
	[ ! -e "$T/log.jsonl.moved" ] || fail "the program moved its audit log away"
	head -n 1 "$T/log.jsonl" | jq -e '.type == "run" and (has("forged") | not)' >/dev/null ||
		fail "the log does not start with jailtrace's run header: $(head -c 300 "$T/log.jsonl" | cat -v)"
	# (the program's argv, in the exec record, holds the word)
	[ -z "$(jq -c 'select(.type == "forged" or has("forged"))' "$T/log.jsonl")" ] ||
		fail "the log holds a record the program forged"
	tail -n 1 "$T/log.jsonl" | jq -e '.type == "end"' >/dev/null ||
		fail "the log does not end with the end record: $(tail -c 300 "$T/log.jsonl" | cat -v)"
	check_log_lines "$T/log.jsonl" || fail "the log has broken lines"
	expect_log '.rule == "builtin:jailtrace-output" and .errno == "EROFS"' "a change to the log refused"
}

t_a_result_whose_directory_the_program_made_a_link_is_written_where_it_was() {
	mkdir -p "$T/n/out" "$JT_AUX/nvictim" "$T/res" "$JT_AUX/victim"
	# native control: after the swap, a file written by the old path lands
	# in the place of the host the link names
	native /bin/sh -c "$ATTACK"' ; echo result >"$d/r.json"' sh "$T/n/f" "$T/n/out" "$JT_AUX/nvictim"
	grep -qx relinked "$T/nout" && [ -f "$JT_AUX/nvictim/r.json" ] ||
		native_fail "the directory was not swapped for a link natively"
	rm -f "$T/log.jsonl"
	jt_plain --log "$T/log.jsonl" --result "$T/res/r.json" -- /bin/sh -c "$ATTACK" sh "$T/none" "$T/res" "$JT_AUX/victim"
	expect_rc 0
	[ ! -e "$JT_AUX/victim/r.json" ] || fail "jailtrace wrote the result through the program's link: $(ls -l "$JT_AUX/victim")"
	[ ! -L "$T/res" ] || fail "the program made the result's directory a link"
	jq -e '.status == "exited" and .exit_code == 0' "$T/res/r.json" >/dev/null ||
		fail "no result where it was asked for: $(ls -la "$T/res" 2>&1)"
}

t_a_fifo_at_the_results_name_holds_jailtrace_not_and_is_an_error() {
	# native control: writing a file name that is a FIFO waits for a reader
	mkfifo "$T/nfifo"
	native timeout 1 /bin/sh -c 'echo result >"$1"' sh "$T/nfifo"
	[ "$NRC" = 124 ] || native_fail "writing the FIFO natively did not wait ($NRC)"
	mkdir "$T/res"
	jt_plain --result "$T/res/r.json" -- /bin/sh -c 'mkfifo "$1" && echo made' sh "$T/res/r.json"
	grep -qx made "$T/out" || fail "the program could not make the FIFO inside"
	expect_rc 125
	grep -q "cannot write result $T/res/r.json: it is a FIFO" "$T/err" || fail "no message naming the FIFO: $(cat "$T/err")"
}

t_keep_into_a_directory_the_program_made_a_link_copies_nothing_outside() {
	mkdir -p "$T/n/dest" "$JT_AUX/nvictim" "$T/dest" "$JT_AUX/victim"
	# native control: a copy by the old path lands where the link points
	native /bin/sh -c "$ATTACK"' ; echo payload >"$d/payload"' sh "$T/n/f" "$T/n/dest" "$JT_AUX/nvictim"
	grep -qx relinked "$T/nout" && [ -f "$JT_AUX/nvictim/payload" ] ||
		native_fail "the directory was not swapped for a link natively"
	jt --keep "/work/payload:$T/dest/payload" -- /bin/sh -c 'echo payload >/work/payload; '"$ATTACK" sh "$T/none" "$T/dest" "$JT_AUX/victim"
	expect_rc 0
	[ ! -e "$JT_AUX/victim/payload" ] || fail "--keep copied the program's file through its link: $(ls -l "$JT_AUX/victim")"
	[ "$(cat "$T/dest/payload" 2>/dev/null)" = payload ] || fail "the copy is not where it was asked for: $(ls -la "$T/dest" 2>&1)"
}

t_files_beside_the_log_are_the_programs_to_change() {
	mkdir "$T/work"
	jt -- /bin/sh -c 'cd "$1" && echo a >f && mv f g && rm g && mkdir d && rmdir d && echo b >"$2/h" && echo ok' sh "$T/work" "$T"
	expect_rc 0
	expect_out_line ok
	[ "$(cat "$T/h" 2>/dev/null)" = b ] || fail "a file beside the log was not written"
}

# A run's program leaves a link on the way to where the next run's log,
# result or copy goes (a --rw project directory outlives the run): that
# run's jailtrace opened through it, truncating and writing a file of the
# host's of the same name, as root anywhere.
t_a_link_an_earlier_run_left_on_the_way_to_the_log_result_or_copy_is_refused() {
	mkdir -p "$T/n/logs" "$JT_AUX/nvictim" "$JT_AUX/victim"
	echo "host data" >"$JT_AUX/victim/run.jsonl"
	# native control: a log opened by the old path after the swap writes the host's file
	echo "host data" >"$JT_AUX/nvictim/run.jsonl"
	native /bin/sh -c 'rmdir "$1/logs" && ln -s "$2" "$1/logs" && echo log >"$1/logs/run.jsonl"' sh "$T/n" "$JT_AUX/nvictim"
	[ "$(cat "$JT_AUX/nvictim/run.jsonl")" = log ] || native_fail "the host's file was not reached by the old path natively"
	# the earlier run: a program that leaves the links
	jt_plain -- /bin/sh -c 'ln -s "$2" "$1/logs" && ln -s "$2" "$1/dest" && echo planted' sh "$T" "$JT_AUX/victim"
	grep -qx planted "$T/out" || fail "the earlier run could not make the links"
	jt_plain --log "$T/logs/run.jsonl" -- /bin/true
	expect_rc 125
	grep -q "its way passes through the link $T/logs" "$T/err" || fail "the refusal does not name the link: $(cat "$T/err")"
	[ "$(cat "$JT_AUX/victim/run.jsonl")" = "host data" ] || fail "the log was written into the host's file through the link"
	# a refusal is no more written through the link than a result
	jt_plain --log "$T/logs/run.jsonl" --result "$T/logs/r.json" -- /bin/true
	expect_rc 125
	[ "$(cat "$JT_AUX/victim/run.jsonl")" = "host data" ] && [ ! -e "$JT_AUX/victim/r.json" ] ||
		fail "the refusal was written through the link: $(ls "$JT_AUX/victim")"
	jt_plain --result "$T/logs/r.json" -- /bin/true
	expect_rc 125
	[ ! -e "$JT_AUX/victim/r.json" ] || fail "the result was written through the link"
	jt_plain --keep "/work/p:$T/dest/p" -- /bin/sh -c 'echo payload >/work/p'
	expect_rc 125
	[ ! -e "$JT_AUX/victim/p" ] || fail "the copy was made through the link"
}

t_a_fifo_an_earlier_run_left_at_the_logs_name_is_refused_at_once() {
	# native control: opening a FIFO to write waits for a reader
	mkfifo "$T/nfifo"
	native timeout 1 /bin/sh -c 'echo log >"$1"' sh "$T/nfifo"
	[ "$NRC" = 124 ] || native_fail "writing the FIFO natively did not wait ($NRC)"
	jt_plain -- /bin/sh -c 'mkfifo "$1" && echo planted' sh "$T/next.jsonl"
	grep -qx planted "$T/out" || fail "the earlier run could not make the FIFO"
	jt_plain --log "$T/next.jsonl" -- /bin/true
	expect_rc 125
	grep -q "a FIFO in a writable grant" "$T/err" || fail "the refusal does not say why: $(cat "$T/err")"
}
