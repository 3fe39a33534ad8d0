# Usefulness: ordinary programs run inside as they do outside.

t_python_program_runs_normally() {
	prog='import json, statistics, collections
words = "the cat and the hat and the bat".split()
print(json.dumps({"mean": statistics.mean([1, 2, 3, 4]),
                  "top": collections.Counter(words).most_common(1)}, sort_keys=True))'
	native /usr/bin/python3 -c "$prog"
	jt -- /usr/bin/python3 -c "$prog"
	expect_rc 0
	[ -s "$T/nout" ] && cmp -s "$T/out" "$T/nout" || fail "output differs from native: $(head -c 300 "$T/nout")"
	expect_out_line '{"mean": 2.5, "top": [["the", 3]]}'
}

t_python_thread_pool_runs_normally() {
	prog='from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(4) as ex:
    print(sum(ex.map(lambda n: n * n, range(100))))'
	jt -- /usr/bin/python3 -c "$prog"
	expect_rc 0
	expect_out_line 328350
}

t_shell_pipeline_works() {
	jt -- /bin/sh -c 'printf "b\na\nc\n" | sort | tr a-z A-Z | head -n 2'
	expect_rc 0
	[ "$(cat "$T/out")" = "A
B" ] || fail "pipeline output is wrong"
}

t_stdout_and_stderr_are_relayed_to_their_own_streams() {
	jt --quiet -- /bin/sh -c 'echo to-out; echo to-err >&2'
	expect_rc 0
	[ "$(cat "$T/out")" = to-out ] || fail "stdout is not exactly 'to-out'"
	[ "$(cat "$T/err")" = to-err ] || fail "stderr is not exactly 'to-err'"
}

t_all_output_under_the_cap_reaches_the_host() {
	jt --quiet -- "$PROGS/flood" 3000000 1000000
	expect_rc 0
	out=$(tr -cd x <"$T/out" | wc -c)
	err=$(tr -cd x <"$T/err" | wc -c)
	[ "$out" = 3000000 ] && [ "$err" = 1000000 ] || fail "host received $out bytes on stdout (3000000 written), $err on stderr (1000000 written)"
}
