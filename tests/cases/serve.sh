# jailtrace serve, driven by the Python client's pytest suite (python/tests):
# each test here runs one of them against the real server on a unix socket,
# whose scratch directory is under $T (so what it leaves running is found).
# test-timeout: 3
# The server's behaviour does not change with the tracer's transport or
# kernel fallbacks (legacy, noseccomp, ptrace), and the static build has no
# serve; the asan pass runs the server under ASan+UBSan (it parses what
# clients and sandboxed programs send), whose reports fail the tests.
# passes: root,jtuser,asan

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
t_serve_idle_timeout_and_max_age_destroy() { pytest_case test_idle_timeout_and_max_age_destroy_and_leave_nothing; }
t_serve_destroy_kills_the_running_command() { pytest_case test_destroy_kills_the_running_command; }
t_serve_refuses_bad_input() { pytest_case test_bad_input; }
t_serve_death_kills_every_sandbox() { pytest_case test_server_death_kills_every_sandbox; }
t_serve_listens_on_loopback_tcp() { pytest_case test_loopback_tcp; }
t_serve_a_stuck_client_blocks_no_one() { pytest_case test_a_stuck_client_blocks_no_one; }

# The API with curl alone: what a client in another language sees on the wire.
t_serve_with_curl() {
	command -v curl >/dev/null || skip "no curl"
	"$JT" serve --help >/dev/null 2>&1 || skip "this jailtrace has no serve (the static build)"
	echo "tok-curl-0123456789abcdef acme" >"$T/tokens"
	"$JT" serve --tokens "$T/tokens" --data "$T/data" --listen "unix:$T/s.sock" >"$T/serve.out" 2>"$T/serve.err" &
	local pid=$! id i
	for i in $(seq 100); do [ -S "$T/s.sock" ] && break; sleep 0.1; done
	c() { curl -sS --unix-socket "$T/s.sock" -H "Authorization: Bearer tok-curl-0123456789abcdef" "$@"; }
	id=$(c -d '{"user":"u1","ephemeral":true}' http://x/v1/sandboxes | jq -r .id)
	[ -n "$id" ] && [ "$id" != null ] || fail "no sandbox: $(cat "$T/serve.err")"
	c -N -d '{"cmd":"echo one; echo two >&2; exit 5"}' "http://x/v1/sandboxes/$id/exec" >"$T/events"
	jq -e -s '.[0] == {"stream":"stdout","data":"one\n"} and .[1] == {"stream":"stderr","data":"two\n"} and
		(.[-1] | .type == "result" and .exit_code == 5 and .status == "exited")' "$T/events" >/dev/null ||
		fail "events: $(cat "$T/events")"
	[ "$(c -X PUT --data-binary @/etc/hostname -o /dev/null -w '%{http_code}' "http://x/v1/sandboxes/$id/files/work/h")" = 201 ] ||
		fail "PUT did not give 201"
	c "http://x/v1/sandboxes/$id/files/work/h" | cmp -s - /etc/hostname || fail "GET gave another file"
	[ "$(c -o /dev/null -w '%{http_code}' --path-as-is "http://x/v1/sandboxes/$id/files/work/../../etc/passwd")" = 403 ] ||
		fail "traversal not 403"
	[ "$(curl -sS --unix-socket "$T/s.sock" -o /dev/null -w '%{http_code}' http://x/v1/sandboxes)" = 401 ] ||
		fail "no token not 401"
	[ "$(c -X DELETE -o /dev/null -w '%{http_code}' "http://x/v1/sandboxes/$id")" = 204 ] || fail "DELETE not 204"
	[ "$(stat -c %a "$T/s.sock")" = 660 ] || fail "socket mode $(stat -c %a "$T/s.sock")"
	kill -TERM "$pid"
	wait "$pid" || fail "serve exited $? at SIGTERM: $(cat "$T/serve.err")"
	[ ! -e "$T/s.sock" ] || fail "the socket is left"
	[ -z "$(ls "$T/data/ephemeral")" ] || fail "an ephemeral jail is left"
	! grep -E "$SANITIZER_RE" "$T/serve.err" || fail "sanitizer reports in the server's stderr"
}
# allow_net may not name the host's loopback, where other sandboxes'
# exposed ports listen: in any spelling jailtrace reads as loopback (an
# IPv4-mapped IPv6 address without brackets passed the server's own split).
t_serve_allow_net_never_grants_loopback_by_another_spelling() {
	command -v curl >/dev/null || skip "no curl"
	"$JT" serve --help >/dev/null 2>&1 || skip "this jailtrace has no serve (the static build)"
	local pid lpid i port id code spelling connect
	# a loopback listener of the host's (another sandbox's exposed port): a line per connection
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
while True:
    c, _ = s.accept(); open(sys.argv[2], "a").write("conn\n"); c.close()' "$T/port" "$T/conns" &
	lpid=$!
	VICTIMS+=("$lpid:$(proc_start "$lpid")")
	wait_until 10 test -s "$T/port" || fail "the listener did not start"
	port=$(cat "$T/port")
	connect="import socket; socket.create_connection((\"127.0.0.1\", $port), timeout=5); print(\"connected\")"
	# native control: jailtrace reads this spelling as loopback and connects there
	jt --allow-net "::ffff:127.0.0.1" -- /usr/bin/python3 -c "$connect"
	grep -qx connected "$T/out" && wait_until 10 grep -q conn "$T/conns" ||
		native_fail "jailtrace run --allow-net ::ffff:127.0.0.1 did not reach 127.0.0.1: $(cat "$T/out" "$T/err")"
	: >"$T/conns"
	echo "tok-lo-0123456789abcdef acme" >"$T/tokens"
	"$JT" serve --tokens "$T/tokens" --data "$T/data" --listen "unix:$T/s.sock" --no-syslog >"$T/serve.out" 2>"$T/serve.err" &
	pid=$!
	for i in $(seq 100); do [ -S "$T/s.sock" ] && break; sleep 0.1; done
	c() { curl -sS --unix-socket "$T/s.sock" -H "Authorization: Bearer tok-lo-0123456789abcdef" "$@"; }
	for spelling in "::ffff:127.0.0.1" "::ffff:7f00:1" "0:0:0:0:0:ffff:127.0.0.1" "::ffff:127.0.0.1/128" "::"; do
		code=$(c -o "$T/reply" -w '%{http_code}' -d "{\"user\":\"u$i\",\"ephemeral\":true,\"allow_net\":[\"$spelling\"]}" http://x/v1/sandboxes)
		i=$((i + 1))
		if [ "$code" != 403 ]; then
			id=$(jq -r .id "$T/reply")
			c -N -d "{\"argv\":[\"/usr/bin/python3\",\"-c\",$(printf '%s' "$connect" | jq -Rs .)]}" \
				"http://x/v1/sandboxes/$id/exec" >"$T/events"
			kill -TERM "$pid"; wait "$pid"
			fail "allow_net $spelling was $code, not 403; the sandbox's connect: $(jq -r 'select(.data) | .data' "$T/events" | head -3), the listener: $(wc -l <"$T/conns") connections"
		fi
		jq -e '.field == "allow_net[0]"' "$T/reply" >/dev/null || fail "allow_net $spelling: $(cat "$T/reply")"
	done
	[ ! -s "$T/conns" ] || fail "the host's loopback listener was reached"
	kill -TERM "$pid"
	wait "$pid" || fail "serve exited $? at SIGTERM: $(cat "$T/serve.err")"
	! grep -E "$SANITIZER_RE" "$T/serve.err" || fail "sanitizer reports in the server's stderr"
}

t_serve_tenant_limits_give_429() { pytest_case test_tenant_limits_give_429; }
t_serve_tool_definition_and_handler() { pytest_case test_the_tool_definition_and_its_handler; }
t_serve_client_local_mode() { pytest_case test_local_mode_without_a_server; }
t_serve_client_local_mode_processes_and_ports() { pytest_case test_local_mode_background_processes_and_ports; }
t_serve_token_bound_to_peer_uids() { pytest_case test_a_token_bound_to_unix_peer_uids; }
t_serve_sighup_reads_the_tokens_again() { pytest_case test_sighup_reads_the_tokens_again_and_keeps_the_sandboxes; }
t_serve_a_client_gone_stops_its_command() { pytest_case test_a_client_gone_stops_its_command_not_the_sandbox; }
t_serve_destroy_as_a_command_starts() { pytest_case test_destroy_as_a_command_starts_is_interrupted; }
t_serve_background_processes() { pytest_case test_a_background_process_its_output_and_signals; }
t_serve_command_beside_a_dev_server() { pytest_case test_a_command_beside_a_dev_server_and_the_interpreter; }
t_serve_destroy_kills_processes() { pytest_case test_destroy_kills_background_processes; }
t_serve_several_processes_in_one_sandbox() { pytest_case test_several_dev_servers_in_one_sandbox; }
t_serve_exposed_port_needs_the_token() { pytest_case test_an_exposed_port_answers_with_the_token_only; }
t_serve_exposed_port_never_reaches_the_host() { pytest_case test_an_exposed_port_never_reaches_a_host_service; }
t_serve_hostile_upstream_gets_502() { pytest_case test_a_hostile_upstream_gets_502; }
t_serve_stateful_python_keeps_variables() { pytest_case test_stateful_python_keeps_its_variables; }
t_serve_stateful_interpreter_dies_with_its_sandbox() { pytest_case test_stateful_interpreter_dies_with_its_sandbox; }
t_serve_syslog_has_denials_limits_destroys() { pytest_case test_syslog_gets_denials_limits_and_destroys_with_tenant_and_user; }
t_serve_tenant_memory_gives_429() { pytest_case test_tenant_memory_limit_gives_429; }
t_serve_proxy_rules_keep_secrets_outside() { pytest_case test_proxy_rules_add_the_tenants_secret_outside_the_sandbox; }
t_serve_stateful_bash_and_node() { pytest_case test_stateful_bash_and_node_keep_their_state; }
t_serve_policy_text() { pytest_case test_policy_text_is_parsed_and_held_to_what_the_server_grants; }
