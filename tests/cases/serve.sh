# jailtrace serve, driven by the Python client's pytest suite (python/tests):
# each test here runs one of them against the real server on a unix socket,
# whose scratch directory is under $T (so what it leaves running is found).
# test-timeout: 3

# pytest_case NAME: python/tests/test_serve.py::NAME
pytest_case() {
	local here py
	here=$(dirname "$TEST_CASE")
	py=$here/../python
	[ -d "$py/tests" ] || py=$here/../../python
	[ -d "$py/tests" ] || skip "no python/ beside the suite"
	/usr/bin/python3 -c 'import pytest' 2>/dev/null || skip "no pytest (Debian: python3-pytest)"
	"$JT" serve --help >/dev/null 2>&1 || skip "this jailtrace has no serve (the static build)"
	JAILTRACE_BIN=$JT JT_SERVE_TMP=$T /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		"$py/tests/test_serve.py::$1" >"$T/pytest.out" 2>&1 ||
		fail "$(tail -n 40 "$T/pytest.out")"
}

t_serve_runs_code_and_commands_and_moves_files() { pytest_case test_run_code_exec_and_files; }
t_serve_keeps_one_sandbox_per_user_and_their_jail() { pytest_case test_one_user_one_sandbox_and_a_kept_jail; }
t_serve_isolates_users() { pytest_case test_per_user_isolation; }
t_serve_isolates_tenants() { pytest_case test_tenant_isolation; }
t_serve_streams_output_before_the_end() { pytest_case test_streaming_output_arrives_before_the_end; }
t_serve_refuses_traversal_and_links() { pytest_case test_traversal_and_links_refused; }
t_serve_idle_timeout_destroys() { pytest_case test_idle_timeout_destroys_and_leaves_nothing; }
t_serve_destroy_kills_the_running_command() { pytest_case test_destroy_kills_the_running_command; }
t_serve_refuses_bad_input() { pytest_case test_bad_input; }
t_serve_death_kills_every_sandbox() { pytest_case test_server_death_kills_every_sandbox; }
