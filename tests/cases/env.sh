# The environment: the program sees PATH, HOME, LANG, TERM and what --env
# passed, nothing else from jailtrace's environment.

t_environment_holds_only_the_documented_variables() {
	export JT_TEST_SECRET=hunter2 AWS_SECRET_ACCESS_KEY=AKIAEXAMPLE
	native /usr/bin/env
	grep -qx 'JT_TEST_SECRET=hunter2' "$T/nout" || native_fail "the variable is not visible natively"
	jt_plain -- /usr/bin/env
	expect_rc 0
	expected='HOME=/home/sandbox
LANG=C.UTF-8
PATH=/usr/local/bin:/usr/bin:/bin
TERM=dumb'
	got=$(sort "$T/out")
	[ "$got" = "$expected" ] || fail "environment inside:
$got"
}

t_env_NAME_passes_that_variable_from_jailtraces_environment() {
	export JT_TEST_PASSED=value-1 JT_TEST_SECRET=hunter2
	jt_plain --env JT_TEST_PASSED -- /usr/bin/env
	expect_rc 0
	expect_out_line JT_TEST_PASSED=value-1
	expect_no_out JT_TEST_SECRET
}

t_env_NAME_VALUE_sets_that_variable() {
	jt_plain --env GREETING=hello=world -- /usr/bin/env
	expect_rc 0
	expect_out_line GREETING=hello=world
}
