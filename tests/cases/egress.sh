# Network by domain name (issue 19): with --allow-domain (policy `net
# domain`) jailtrace runs a forward proxy for the sandbox, which reaches
# the names its rules allow through it, and nothing else. --hosts (policy
# `host NAME ADDRESS`) tells the proxy's resolver where the test names
# live: every upstream here is a server of the suite on 127.0.0.1
# (tests/tools/egress_server.py), which records each connection, TLS
# handshake and request that reaches it; every refusal is judged there,
# from the host, after a native control showed the same thing working
# without jailtrace.
# test-timeout: 5
# The proxy is jailtrace's own threads, the same code on every transport;
# the connect that reaches it differs (ptrace, a notification, a socket
# fetched without pidfd_getfd), which root, ptrace and legacy cover: the
# noseccomp pass adds nothing here.
# passes: root,jtuser,asan,legacy,ptrace

# eg_server NAME [--tls CERT KEY] [--root DIR] [--bind ::1]: an upstream on
# 127.0.0.1 (or ::1), registered as a victim; $(port NAME) is its port, what
# reached it is in $JT_AUX/NAME.rec (JSON lines: conn, tls, tls-error,
# request, closed).
eg_server() {
	local name=$1 pid
	shift
	case " $* " in
	*" --bind ::1 "*) echo "[::1]" >"$JT_AUX/$name.addr" ;;
	*) echo 127.0.0.1 >"$JT_AUX/$name.addr" ;;
	esac
	/usr/bin/python3 "$NET_TOOLS/egress_server.py" "$JT_AUX/$name.port" "$JT_AUX/$name.rec" "$@" \
		</dev/null >"$JT_AUX/$name.log" 2>&1 &
	pid=$!
	wait_until 20 test -s "$JT_AUX/$name.port" || fail "server $name did not start: $(cat "$JT_AUX/$name.log")"
	VICTIMS+=("$pid:$(proc_start "$pid")")
	touch "$JT_AUX/$name.rec"
	case " $* " in
	*" --tls "*) echo https >"$JT_AUX/$name.scheme" ;;
	*) echo http >"$JT_AUX/$name.scheme" ;;
	esac
}

# eg_count NAME JQ_CONDITION: how many of server NAME's events match.
eg_count() {
	jq -cR "fromjson? | select($2)" "$JT_AUX/$1.rec" | wc -l
}

# eg_show NAME: server NAME's record, for diagnostics (long lines cut).
eg_show() {
	cut -c 1-200 "$JT_AUX/$1.rec" | head -n 20
}

_eg_all_closed() {
	[ "$(eg_count "$1" '.ev == "conn"')" = "$(eg_count "$1" '.ev == "closed"')" ]
}

# eg_settled NAME: server NAME has recorded everything that reached it
# before now, judged by an event: a marker request sent natively now is
# accepted after every connection made before it (the server notes
# connections in the order it accepts them), and then every connection
# is waited for until it ended (what jailtrace's proxy opened ended with
# the run). The marker's lines are taken out again.
eg_settled() {
	local name=$1 m n scheme
	m="/jt-mark-$$-$RANDOM"
	scheme=$(cat "$JT_AUX/$name.scheme")
	/usr/bin/curl -sgk --noproxy '*' --max-time 20 -o /dev/null "$scheme://$(cat "$JT_AUX/$name.addr"):$(port "$name")$m" ||
		fail "no marker reached server $name"
	wait_until 20 _eg_all_closed "$name" ||
		fail "server $name still has connections open 20 s after the run: $(eg_show "$name")"
	n=$(jq -rR "fromjson? | select(.ev == \"request\" and .path == \"$m\") | .n" "$JT_AUX/$name.rec")
	[ -n "$n" ] || fail "server $name did not record its marker"
	jq -cR "fromjson? | select(.n != $n)" "$JT_AUX/$name.rec" >"$JT_AUX/$name.rec.tmp"
	mv "$JT_AUX/$name.rec.tmp" "$JT_AUX/$name.rec"
}

# eg_untouched NAME WHAT: nothing at all reached server NAME (no
# connection: the proxy refused before connecting upstream).
eg_untouched() {
	eg_settled "$1"
	[ "$(eg_count "$1" '.ev == "conn"')" = 0 ] || fail "$2: the upstream was reached: $(eg_show "$1")"
}

# eg_no_bytes NAME WHAT: whatever connected to server NAME sent it
# nothing (no handshake, no request, not one byte).
eg_no_bytes() {
	eg_settled "$1"
	[ "$(eg_count "$1" '.ev == "tls" or .ev == "tls-error" or .ev == "request" or (.ev == "closed" and .first > 0)')" = 0 ] ||
		fail "$2: bytes reached the upstream: $(eg_show "$1")"
}

# eg_hosts LINE...: $JT_AUX/hosts, in /etc/hosts format, for --hosts.
eg_hosts() {
	{
		echo "# the test names: every upstream of these tests is on this host's loopback"
		printf '%s\n' "$@"
	} >"$JT_AUX/hosts"
}

# The curl the tests run inside: through the proxy from the environment,
# even to 127.0.0.1 and localhost (--noproxy '' overrides NO_PROXY; -g:
# [::1] is an address, not a glob); the body on stdout, then a line
# "code=HTTP-STATUS connect=CONNECT-STATUS".
CURL="/usr/bin/curl -sg --noproxy '' --max-time 30 -w '\ncode=%{http_code} connect=%{http_connect}\n'"

# eg_native_get NAME HOSTNAME: natively, curl reaches server NAME under
# HOSTNAME (resolved to 127.0.0.1 by curl itself) and gets its answer.
eg_native_get() {
	local scheme p host
	scheme=$(cat "$JT_AUX/$1.scheme")
	p=$(port "$1")
	host=$2:$p
	case $scheme:$p in http:80 | https:443) host=$2 ;; esac	# curl leaves a default port out
	native /usr/bin/curl -sk --noproxy '*' --max-time 20 --resolve "$2:$p:127.0.0.1" "$scheme://$2:$p/native"
	grep -q "^egress-upstream GET /native host=$host\$" "$T/nout" || native_fail "curl does not reach $scheme://$2:$p/ natively"
	eg_settled "$1"
	[ "$(eg_count "$1" ".ev == \"request\" and .host == \"$host\"")" -ge 1 ] ||
		native_fail "server $1 did not record the native request: $(eg_show "$1")"
	forget "$1"
}

# ---------------------------------------------------------------- the environment

t_egress_the_proxy_is_named_in_the_environment_inside() {
	jt --allow-domain pypi.test -- /usr/bin/env
	expect_rc 0
	local url
	url=$(sed -n 's/^HTTP_PROXY=//p' "$T/out")
	[[ $url =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "HTTP_PROXY is not http://127.0.0.1:PORT: '$url'"
	[ "${url##*:}" -gt 0 ] && [ "${url##*:}" -lt 65536 ] || fail "HTTP_PROXY has a bad port: $url"
	for v in HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy; do
		expect_out_line "$v=$url"
	done
	expect_out_line "NO_PROXY=localhost,127.0.0.1,::1"
	expect_out_line "no_proxy=localhost,127.0.0.1,::1"
	# passed in with --env, other values give way to the proxy's
	jt --env HTTP_PROXY=http://corp.example:3128 --env no_proxy=web.test --allow-domain pypi.test -- /usr/bin/env
	expect_rc 0
	grep -qx 'HTTP_PROXY=http://127\.0\.0\.1:[0-9]*' "$T/out" || fail "an HTTP_PROXY passed in replaced the proxy's: $(grep -i proxy= "$T/out")"
	expect_out_line "no_proxy=localhost,127.0.0.1,::1"
	[ "$(grep -ci '^http_proxy=' "$T/out")" = 2 ] || fail "proxy variables twice: $(grep -i proxy= "$T/out")"
	# the proxy there answers the sandbox (here: no rule names that name)
	jt --allow-domain pypi.test -- /bin/sh -c '/usr/bin/curl -s --max-time 20 -o /dev/null -w "code=%{http_code}\n" http://unlisted.test/'
	expect_out_line "code=403"
	# without a domain rule the environment names no proxy
	jt -- /usr/bin/env
	expect_rc 0
	grep -qi 'proxy=' "$T/out" && fail "a run without domain rules has proxy variables: $(grep -i proxy= "$T/out")"
	true
}

# ---------------------------------------------------------------- pip

PIP_ARGS="download --isolated --disable-pip-version-check --no-deps --no-cache-dir --retries 0 --timeout 15 --trusted-host pypi.test"
WHEEL=jt_egress_pkg-1.0-py3-none-any.whl

# eg_index: server "index" serving a package index with the wheel $WHEEL of
# the package jt-egress-pkg; native control: pip downloads it straight
# from 127.0.0.1.
eg_index() {
	# pip is slow to start under a tracer; what it shows is usefulness, not
	# a transport's difference
	case $LABEL in legacy|ptrace) skip "pip runs in the root, jtuser and asan passes" ;; esac
	/usr/bin/python3 "$NET_TOOLS/egress_mkindex.py" "$JT_AUX/index" jt-egress-pkg 1.0 >/dev/null ||
		fail "could not make the package index"
	eg_server index --root "$JT_AUX/index"
	P=$(port index)
	mkdir -p "$JT_AUX/ndl"
	native env -u http_proxy -u HTTP_PROXY -u https_proxy -u HTTPS_PROXY -u all_proxy -u ALL_PROXY \
		/usr/bin/python3 -m pip $PIP_ARGS --index-url "http://127.0.0.1:$P/simple/" -d "$JT_AUX/ndl" jt-egress-pkg
	[ "$NRC" = 0 ] && [ -s "$JT_AUX/ndl/$WHEEL" ] || native_fail "pip does not download from the index natively"
	eg_settled index
	[ "$(eg_count index ".ev == \"request\" and .path == \"/files/$WHEEL\"")" = 1 ] ||
		native_fail "the index did not record the native download: $(eg_show index)"
	forget index
}

t_egress_pip_downloads_from_an_index_named_by_a_domain_rule() {
	GUARD_SECS=$(slow 60)
	eg_index
	eg_hosts "127.0.0.1 pypi.test"
	jt --timeout 50s --allow-domain "pypi.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c \
		"/usr/bin/python3 -m pip $PIP_ARGS --index-url http://pypi.test:$P/simple/ -d /tmp/dl jt-egress-pkg && ls /tmp/dl"
	expect_rc 0
	expect_out_line "$WHEEL"
	eg_settled index
	[ "$(eg_count index ".ev == \"request\" and .method == \"GET\" and .path == \"/simple/jt-egress-pkg/\" and .host == \"pypi.test:$P\"")" -ge 1 ] ||
		fail "the index did not see pip ask for the project page as pypi.test: $(eg_show index)"
	[ "$(eg_count index ".ev == \"request\" and .path == \"/files/$WHEEL\" and .host == \"pypi.test:$P\"")" = 1 ] ||
		fail "the index did not see pip download the wheel: $(eg_show index)"
	expect_log ".type == \"egress\" and .name == \"pypi.test\" and .port == $P and .decision == \"allow\" and .status == 200"
}

t_egress_pip_reaches_no_index_without_a_domain_rule_for_it() {
	GUARD_SECS=$(slow 60)
	eg_index
	eg_hosts "127.0.0.1 pypi.test other.test"
	# no domain rule: no proxy, and the sandbox resolves no name itself
	jt --timeout 50s --hosts "$JT_AUX/hosts" -- /bin/sh -c \
		"/usr/bin/python3 -m pip $PIP_ARGS --index-url http://pypi.test:$P/simple/ -d /tmp/dl jt-egress-pkg; echo pip=\$?; ls /tmp/dl"
	expect_out_line "pip=1"
	expect_no_out "$WHEEL"
	# a rule for another name: the proxy refuses pypi.test
	jt --timeout 50s --allow-domain "other.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c \
		"/usr/bin/python3 -m pip $PIP_ARGS --index-url http://pypi.test:$P/simple/ -d /tmp/dl jt-egress-pkg; echo pip=\$?; ls /tmp/dl"
	expect_out_line "pip=1"
	expect_no_out "$WHEEL"
	eg_untouched index "pip without a rule for pypi.test"
	expect_log '.type == "egress" and .name == "pypi.test" and .decision == "deny" and .status == 403'
}

# ---------------------------------------------------------------- plain HTTP

t_egress_curl_reaches_an_allowed_name_and_is_refused_elsewhere() {
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	eg_native_get up other.test
	eg_native_get up 127.0.0.1
	eg_hosts "127.0.0.1 web.test other.test"
	jt --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c "$CURL http://web.test:$P/allowed"
	expect_rc 0
	expect_out_line "egress-upstream GET /allowed host=web.test:$P"
	expect_out_line "code=200 connect=000"
	eg_settled up
	# forwarded in origin form, one request, with Connection: close
	[ "$(eg_count up ".ev == \"request\" and .path == \"/allowed\" and .host == \"web.test:$P\" and (.headers.Connection // \"\" | ascii_downcase) == \"close\"")" = 1 ] ||
		fail "the upstream did not get the request in origin form with Connection: close: $(eg_show up)"
	forget up
	jt --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c \
		"$CURL http://other.test:$P/other; $CURL http://127.0.0.1:$P/literal4; $CURL http://[::1]:$P/literal6"
	[ "$(grep -c '^code=403 ' "$T/out")" = 3 ] || fail "another name and the IP literals were not all refused with 403: $(cat "$T/out")"
	expect_no_out "egress-upstream"
	eg_untouched up "another name or an IP literal"
	expect_log ".type == \"egress\" and .name == \"other.test\" and .decision == \"deny\" and .status == 403"
	# each refusal is a denial of the run, named at its end with its grant
	grep -q ', 3 denials$' "$T/err" || fail "the summary does not count the proxy's refusals: $(cat "$T/err")"
	grep -qF "jailtrace: denied 1x GET other.test:$P by the domain proxy: no domain rule names other.test (grant with --allow-domain other.test)" "$T/err" ||
		fail "the summary does not name the refused name and its grant: $(cat "$T/err")"
}

t_egress_the_proxy_refuses_ip_literals_in_connect_a_host_header_for_another_name_and_chunked_bodies() {
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	eg_hosts "127.0.0.1 web.test"
	jt --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" --ro "$NET_TOOLS" -- /bin/sh -c '
		c=$0; p=$1
		/usr/bin/python3 $c "$HTTP_PROXY" 127.0.0.1 $p tls web.test
		/usr/bin/python3 $c "$HTTP_PROXY" ::1 $p tls web.test
		echo host-mismatch; /usr/bin/python3 $c "$HTTP_PROXY" web.test $p http host-mismatch
		echo chunked; /usr/bin/python3 $c "$HTTP_PROXY" web.test $p http chunked' "$NET_TOOLS/egress_client.py" "$P"
	expect_rc 0
	[ "$(grep -c '^connect: 403$' "$T/out")" = 2 ] || fail "CONNECT to an IP literal was not refused with 403: $(cat "$T/out")"
	grep -A1 -x host-mismatch "$T/out" | grep -qx 'status: 403' || fail "a Host header naming another host was not refused with 403: $(cat "$T/out")"
	grep -A1 -x chunked "$T/out" | grep -qx 'status: 411' || fail "a chunked body was not refused with 411: $(cat "$T/out")"
	eg_untouched up "IP literals, another Host, a chunked body"
}

t_egress_a_port_outside_the_rule_is_refused() {
	eg_server up
	eg_server other
	P=$(port up)
	Q=$(port other)
	eg_native_get up ports.test
	eg_native_get other ports.test
	eg_hosts "127.0.0.1 ports.test"
	# no port: 80 and 443 only
	jt --allow-domain ports.test --hosts "$JT_AUX/hosts" -- /bin/sh -c "$CURL http://ports.test:$P/default"
	expect_out_line "code=403 connect=000"
	# a range of one port: that port, not the other server's
	jt --allow-domain "ports.test:$P-$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c \
		"$CURL http://ports.test:$P/inrange; $CURL http://ports.test:$Q/outside"
	expect_out_line "egress-upstream GET /inrange host=ports.test:$P"
	expect_out_line "code=200 connect=000"
	expect_out_line "code=403 connect=000"
	eg_untouched other "a port outside the rule"
	eg_settled up
	[ "$(eg_count up '.ev == "request" and .path == "/default"')" = 0 ] || fail "the default ports let port $P through: $(eg_show up)"
	[ "$(eg_count up '.ev == "request" and .path == "/inrange"')" = 1 ] || fail "the port in the range was not reached: $(eg_show up)"
}

# A rule without a port: 80 and 443. (Servers there need root.)
t_egress_a_rule_without_a_port_reaches_80_and_443() {
	[ "$(id -u)" = 0 ] || skip "listening on ports 80 and 443 needs root"
	/usr/bin/python3 -c 'import socket
for p in (80, 443):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", p))' 2>/dev/null ||
		skip "ports 80 or 443 of 127.0.0.1 are taken here"
	eg_server web --port 80
	eg_tls_server tls --port 443
	eg_native_get web web.test
	native /usr/bin/curl -s --noproxy '*' --max-time 20 --cacert "$JT_AUX/tls/cert.pem" --resolve "tls.test:443:127.0.0.1" "https://tls.test/native"
	grep -q "^egress-upstream GET /native host=tls.test" "$T/nout" || native_fail "curl does not reach https://tls.test/ natively"
	eg_settled tls
	forget tls
	eg_hosts "127.0.0.1 web.test tls.test"
	jt --allow-domain web.test --allow-domain tls.test --hosts "$JT_AUX/hosts" --ro "$JT_AUX/tls" -- /bin/sh -c \
		"$CURL http://web.test/plain; $CURL --cacert $JT_AUX/tls/cert.pem https://tls.test/secure"
	expect_rc 0
	expect_out_line "egress-upstream GET /plain host=web.test"
	expect_out_line "egress-upstream GET /secure host=tls.test"
	eg_settled web
	eg_settled tls
	[ "$(eg_count web '.ev == "request" and .path == "/plain"')" = 1 ] || fail "port 80 was not reached: $(eg_show web)"
	[ "$(eg_count tls '.ev == "request" and .path == "/secure"')" = 1 ] || fail "port 443 was not reached: $(eg_show tls)"
}

t_egress_a_wildcard_rule_allows_subdomains_and_not_the_apex() {
	eg_server up
	P=$(port up)
	for n in a.example.test a.b.example.test example.test xexample.test; do
		eg_native_get up "$n"
	done
	eg_hosts "127.0.0.1 a.example.test a.b.example.test" "127.0.0.1 example.test xexample.test"
	jt --allow-domain "*.example.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c "
		for n in a.example.test a.b.example.test example.test xexample.test; do
			echo \"\$n:\"; $CURL http://\$n:$P/wild
		done"
	expect_rc 0
	for n in a.example.test a.b.example.test; do
		expect_out_line "egress-upstream GET /wild host=$n:$P"
	done
	[ "$(grep -c '^code=200 ' "$T/out")" = 2 ] && [ "$(grep -c '^code=403 ' "$T/out")" = 2 ] ||
		fail "not two subdomains allowed and the apex and a look-alike refused: $(cat "$T/out")"
	eg_settled up
	[ "$(eg_count up '.ev == "request"')" = 2 ] || fail "the upstream saw other requests than the two subdomains': $(eg_show up)"
	[ "$(eg_count up ".ev == \"request\" and (.host == \"example.test:$P\" or .host == \"xexample.test:$P\")")" = 0 ] ||
		fail "the apex or a look-alike reached the upstream: $(eg_show up)"
	expect_log ".type == \"egress\" and .name == \"a.b.example.test\" and .decision == \"allow\""
	expect_log ".type == \"egress\" and .name == \"example.test\" and .decision == \"deny\" and .status == 403"
}

t_egress_a_name_the_host_resolves_to_loopback_is_refused_without_a_host_line() {
	eg_server up
	P=$(port up)
	getent hosts localhost | grep -qE '^(127\.|::1)' || skip "this host does not resolve localhost to loopback"
	# native control: on the host, localhost reaches the server
	native /usr/bin/curl -s --noproxy '*' --max-time 20 "http://localhost:$P/native"
	grep -q "^egress-upstream GET /native host=localhost:$P\$" "$T/nout" || native_fail "curl does not reach http://localhost:$P/ natively"
	eg_settled up
	forget up
	jt --allow-domain "localhost:$P" -- /bin/sh -c "$CURL http://localhost:$P/loopback"
	expect_out_line "code=403 connect=000"
	expect_no_out "egress-upstream"
	eg_untouched up "localhost, loopback not named by a host line"
	expect_log '.type == "egress" and .name == "localhost" and .decision == "deny" and .status == 403 and (.reason | type == "string" and length > 0)'
}

# A host line opens its address for its own name: another name that the
# host resolves to that address is still refused.
t_egress_a_host_line_opens_its_address_for_its_name_only() {
	eg_server up
	P=$(port up)
	getent hosts localhost | grep -qE '^127\.0\.0\.1 ' || skip "this host does not resolve localhost to 127.0.0.1 first"
	native /usr/bin/curl -s --noproxy '*' --max-time 20 "http://localhost:$P/native"
	grep -q "^egress-upstream GET /native host=localhost:$P\$" "$T/nout" || native_fail "curl does not reach http://localhost:$P/ natively"
	eg_settled up
	forget up
	eg_hosts "127.0.0.1 named.test"
	jt --allow-domain "named.test:$P" --allow-domain "localhost:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c \
		"$CURL http://named.test:$P/named; $CURL http://localhost:$P/unnamed"
	expect_out_line "egress-upstream GET /named host=named.test:$P"
	expect_out_line "code=200 connect=000"
	expect_out_line "code=403 connect=000"
	eg_settled up
	[ "$(eg_count up '.ev == "request" and .path == "/unnamed"')" = 0 ] || fail "localhost reached the upstream through named.test's host line: $(eg_show up)"
	expect_log '.type == "egress" and .name == "localhost" and .decision == "deny" and .status == 403'
}

t_egress_a_name_that_does_not_resolve_or_an_upstream_that_refuses_is_502() {
	local dead
	dead=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	# native control: nothing listens there, and the name resolves nowhere
	native /usr/bin/curl -s --noproxy '*' --max-time 20 "http://127.0.0.1:$dead/"
	[ "$NRC" = 7 ] || native_fail "something answers on port $dead natively"
	getent hosts nx.invalid >/dev/null && native_fail "nx.invalid resolves on this host"
	eg_hosts "127.0.0.1 dead.test"
	jt --allow-domain "dead.test:$dead" --allow-domain "nx.invalid:$dead" --hosts "$JT_AUX/hosts" -- /bin/sh -c \
		"$CURL http://dead.test:$dead/; $CURL http://nx.invalid:$dead/"
	[ "$(grep -c '^code=502 ' "$T/out")" = 2 ] || fail "a refused upstream and a name that does not resolve are not both 502: $(cat "$T/out")"
	expect_log ".type == \"egress\" and .name == \"dead.test\" and .status == 502 and (.reason | type == \"string\" and length > 0)"
	expect_log ".type == \"egress\" and .name == \"nx.invalid\" and .status == 502 and (.reason | type == \"string\" and length > 0) and (has(\"addr\") | not)"
}

# ---------------------------------------------------------------- HTTPS

# eg_tls_server NAME [ARGS]: an HTTPS upstream with a self-signed certificate for
# tls.test ($JT_AUX/tls/cert.pem, shown to the sandbox with --ro).
eg_tls_server() {
	mkdir -p "$JT_AUX/tls"
	/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-keyout "$JT_AUX/tls-key.pem" -out "$JT_AUX/tls/cert.pem" -subj /CN=tls.test \
		-addext subjectAltName=DNS:tls.test >"$JT_AUX/openssl.log" 2>&1 ||
		fail "openssl could not make a certificate: $(cat "$JT_AUX/openssl.log")"
	local name=$1
	shift
	eg_server "$name" --tls "$JT_AUX/tls/cert.pem" "$JT_AUX/tls-key.pem" "$@"
}

t_egress_https_through_connect_reaches_an_allowed_name() {
	eg_tls_server tls
	P=$(port tls)
	# native control: the certificate verifies for tls.test
	native /usr/bin/curl -s --noproxy '*' --max-time 20 --cacert "$JT_AUX/tls/cert.pem" --resolve "tls.test:$P:127.0.0.1" "https://tls.test:$P/native"
	grep -q "^egress-upstream GET /native host=tls.test:$P\$" "$T/nout" || native_fail "curl does not reach https://tls.test:$P/ natively"
	eg_settled tls
	forget tls
	eg_hosts "127.0.0.1 tls.test"
	jt --allow-domain "tls.test:$P" --hosts "$JT_AUX/hosts" --ro "$JT_AUX/tls" -- /bin/sh -c \
		"$CURL --cacert $JT_AUX/tls/cert.pem https://tls.test:$P/secure"
	expect_rc 0
	expect_out_line "egress-upstream GET /secure host=tls.test:$P"
	expect_out_line "code=200 connect=200"
	eg_settled tls
	[ "$(eg_count tls '.ev == "tls" and .sni == "tls.test"')" = 1 ] || fail "the upstream did not see one handshake for tls.test: $(eg_show tls)"
	[ "$(eg_count tls '.ev == "request" and .path == "/secure"')" = 1 ] || fail "the upstream did not get the request: $(eg_show tls)"
	expect_log ".type == \"egress\" and .method == \"CONNECT\" and .name == \"tls.test\" and .port == $P and .addr == \"127.0.0.1:$P\" and .decision == \"allow\" and .status == 200 and .sni == \"tls.test\" and .bytes_up > 0 and .bytes_down > 0"
	# the server name is compared without regard to case
	jt --allow-domain "tls.test:$P" --hosts "$JT_AUX/hosts" --ro "$NET_TOOLS" -- /bin/sh -c \
		'/usr/bin/python3 "$0" "$HTTPS_PROXY" tls.test "$1" tls TLS.Test' "$NET_TOOLS/egress_client.py" "$P"
	expect_out_line "connect: 200"
	expect_out_line "handshake: ok"
	expect_out_line "response: HTTP/1.1 200 OK"
	# a CONNECT to a name no rule allows: 403, and nothing connects
	forget tls
	eg_hosts "127.0.0.1 tls.test other.test"
	jt --allow-domain "tls.test:$P" --hosts "$JT_AUX/hosts" --ro "$JT_AUX/tls" -- /bin/sh -c \
		"$CURL -k https://other.test:$P/refused"
	expect_out_line "code=000 connect=403"
	eg_untouched tls "a CONNECT to another name"
}

# eg_tunnel_refused WHAT ARGS...: egress_client.py ARGS inside through the
# proxy: the tunnel to tls.test was answered, then closed before the
# upstream got a byte.
eg_tunnel_refused() {
	local what=$1
	shift
	forget tls
	jt --allow-domain "tls.test:$P" --hosts "$JT_AUX/hosts" --ro "$NET_TOOLS" -- /bin/sh -c \
		'c=$0; /usr/bin/python3 "$c" "$HTTPS_PROXY" "$@"' "$NET_TOOLS/egress_client.py" tls.test "$P" "$@"
	expect_rc 0
	expect_out_line "connect: 200"
	grep -qx 'tunnel: closed\|handshake: failed .*' "$T/out" || fail "$what: the tunnel was not closed: $(cat "$T/out")"
	eg_no_bytes tls "$what"
}

# eg_tunnel_passes ARGS...: egress_client.py ARGS inside through the proxy:
# the tunnel to tls.test carried the hello to the upstream, which answered.
eg_tunnel_passes() {
	forget tls
	jt --allow-domain "tls.test:$P" --hosts "$JT_AUX/hosts" --ro "$NET_TOOLS" -- /bin/sh -c \
		'c=$0; /usr/bin/python3 "$c" "$HTTPS_PROXY" "$@"' "$NET_TOOLS/egress_client.py" tls.test "$P" "$@"
	expect_out_line "connect: 200"
	grep -qx 'tunnel: got [0-9]* bytes' "$T/out" || fail "$*: the hello naming tls.test was not answered through the proxy: $(cat "$T/out")"
	eg_settled tls
	[ "$(eg_count tls '.ev == "closed" and .first > 0')" = 1 ] || fail "$*: the hello did not reach the upstream: $(eg_show tls)"
}

t_egress_a_tls_tunnel_whose_hello_names_another_server_or_none_is_closed_unforwarded() {
	eg_tls_server tls
	P=$(port tls)
	# native control: the server completes handshakes naming another server
	# or none, takes plain text in, and answers each hand-made hello
	for sni in other.test -; do
		native /usr/bin/python3 "$NET_TOOLS/egress_client.py" direct tls.test "$P" tls "$sni"
		grep -qx 'handshake: ok' "$T/nout" || native_fail "a handshake naming '$sni' fails natively"
	done
	native /usr/bin/python3 "$NET_TOOLS/egress_client.py" direct tls.test "$P" plain
	for a in "other.test ech" "other.test bytewise" "other.test records"; do
		native /usr/bin/python3 "$NET_TOOLS/egress_client.py" direct tls.test "$P" hello $a
		grep -qx 'tunnel: got [0-9]* bytes' "$T/nout" || native_fail "the server does not answer a hand-made hello ($a) natively"
	done
	eg_settled tls
	[ "$(eg_count tls '.ev == "tls" and .sni == "other.test"')" = 1 ] && [ "$(eg_count tls '.ev == "tls" and .sni == null')" = 1 ] ||
		native_fail "the server did not record the native handshakes: $(eg_show tls)"
	[ "$(eg_count tls '.ev == "closed" and .first > 0')" = 6 ] || native_fail "the server did not see bytes on every native connection: $(eg_show tls)"
	eg_hosts "127.0.0.1 tls.test"
	# the controls inside: hand-made hellos naming tls.test go through,
	# whole, a byte at a time, or over two records
	eg_tunnel_passes hello tls.test
	eg_tunnel_passes hello tls.test bytewise
	eg_tunnel_passes hello tls.test records
	eg_tunnel_refused "a hello naming other.test" tls other.test
	expect_log '.type == "egress" and .method == "CONNECT" and .name == "tls.test" and .decision == "deny" and .status == 200 and .sni == "other.test" and (.reason | test("other\\.test|server name|sni"; "i"))'
	eg_tunnel_refused "a hello naming no server" tls -
	expect_log '.type == "egress" and .method == "CONNECT" and .decision == "deny" and .status == 200'
	eg_tunnel_refused "plain text in the tunnel" plain
	expect_log '.type == "egress" and .method == "CONNECT" and .decision == "deny" and .status == 200'
	eg_tunnel_refused "a hello with an encrypted client hello" hello tls.test ech
	eg_tunnel_refused "a hello with the drafts' encrypted server name" hello tls.test esni
	expect_log '.type == "egress" and .method == "CONNECT" and .decision == "deny" and .status == 200'
	eg_tunnel_refused "a hello naming other.test, a byte at a time" hello other.test bytewise
	eg_tunnel_refused "a hello naming other.test in its second record" hello other.test records
	eg_tunnel_refused "a hello naming other.test, then tls.test" hello other.test also=tls.test
	eg_tunnel_refused "a hello naming tls.test, then other.test" hello tls.test also=other.test
}

# TLS 1.3: a server may answer the first ClientHello with a
# HelloRetryRequest, and the client then sends a second ClientHello, in the
# clear too, which could name another server (tests/tools/egress_server.py
# --hrr plays that server and records the name of every ClientHello).
eg_hrr_run() {
	forget hrr
	jt --allow-domain "tls.test:$P" --hosts "$JT_AUX/hosts" --ro "$NET_TOOLS" -- /bin/sh -c \
		'c=$0; /usr/bin/python3 "$c" "$HTTPS_PROXY" tls.test "$@"' "$NET_TOOLS/egress_client.py" "$P" hrr "$@"
	expect_out_line "connect: 200"
	eg_settled hrr
}

t_egress_a_second_client_hello_after_a_retry_naming_another_server_is_not_forwarded() {
	eg_server hrr --hrr
	P=$(port hrr)
	# native control: the server asks again and takes a second ClientHello
	# naming another server, sent after its request or at once with the first
	native /usr/bin/python3 "$NET_TOOLS/egress_client.py" direct tls.test "$P" hrr tls.test other.test
	native /usr/bin/python3 "$NET_TOOLS/egress_client.py" direct tls.test "$P" hrr tls.test other.test together
	wait_until 20 _eg_hellos_native || native_fail "the server did not take both second ClientHellos natively: $(eg_show hrr)"
	forget hrr
	eg_hosts "127.0.0.1 tls.test"
	# the control inside: a second ClientHello naming tls.test goes on
	eg_hrr_run tls.test tls.test
	grep -qx 'tunnel: got [0-9]* bytes' "$T/out" || fail "the second ClientHello naming tls.test was not answered: $(cat "$T/out")"
	[ "$(eg_count hrr '.ev == "hello" and .sni == "tls.test"')" = 2 ] || fail "the upstream did not get both ClientHellos naming tls.test: $(eg_show hrr)"
	eg_hrr_run tls.test other.test
	[ "$(eg_count hrr '.ev == "hello" and .sni == "other.test"')" = 0 ] ||
		fail "a second ClientHello naming other.test, sent after the retry request, reached the upstream: $(eg_show hrr)"
	expect_log '.type == "egress" and .method == "CONNECT" and .decision == "deny" and .status == 200'
	eg_hrr_run tls.test other.test together
	[ "$(eg_count hrr '.ev == "hello" and .sni == "other.test"')" = 0 ] ||
		fail "a second ClientHello naming other.test, sent at once with the first, reached the upstream (the program got: $(grep tunnel "$T/out")): $(eg_show hrr)"
	# after a change_cipher_spec record, as middleboxes want it
	eg_hrr_run tls.test tls.test ccs
	[ "$(eg_count hrr '.ev == "hello" and .sni == "tls.test"')" = 2 ] || fail "a second ClientHello naming tls.test after a change_cipher_spec did not go on: $(eg_show hrr)"
	eg_hrr_run tls.test other.test ccs
	[ "$(eg_count hrr '.ev == "hello" and .sni == "other.test"')" = 0 ] ||
		fail "a second ClientHello naming other.test after a change_cipher_spec reached the upstream: $(eg_show hrr)"
}

# Handshake messages may span records (RFC 8446, 5.1): a HelloRetryRequest
# over two records is one too.
t_egress_a_retry_request_over_two_records_still_holds_the_second_client_hello() {
	eg_server hrr --hrr-split
	P=$(port hrr)
	native /usr/bin/python3 "$NET_TOOLS/egress_client.py" direct tls.test "$P" hrr tls.test other.test
	grep -qx 'tunnel: got [0-9]* bytes' "$T/nout" || native_fail "the server does not answer a second ClientHello natively"
	eg_settled hrr
	[ "$(eg_count hrr '.ev == "hello" and .sni == "other.test"')" = 1 ] || native_fail "the server did not take the second ClientHello natively: $(eg_show hrr)"
	forget hrr
	eg_hosts "127.0.0.1 tls.test"
	eg_hrr_run tls.test tls.test
	[ "$(eg_count hrr '.ev == "hello" and .sni == "tls.test"')" = 2 ] || fail "the upstream did not get both ClientHellos naming tls.test: $(eg_show hrr)"
	eg_hrr_run tls.test other.test
	[ "$(eg_count hrr '.ev == "hello" and .sni == "other.test"')" = 0 ] ||
		fail "after a HelloRetryRequest over two records a second ClientHello naming other.test reached the upstream (the program got: $(grep -E 'retry|tunnel' "$T/out" | tr '\n' ' ')): $(eg_show hrr)"
}

# _eg_hellos_native: the hrr server has recorded the two native connections'
# second ClientHellos.
_eg_hellos_native() { [ "$(eg_count hrr '.ev == "hello" and .sni == "other.test"')" = 2 ]; }

# A ClientHello must end on a record boundary (RFC 8446, 5.1): one record
# holding it and a second ClientHello would take the second past the check
# to a server that reads on after its HelloRetryRequest.
t_egress_a_client_hello_record_holding_a_second_hello_is_not_forwarded() {
	eg_server hrr --hrr
	P=$(port hrr)
	native /usr/bin/python3 "$NET_TOOLS/egress_client.py" direct tls.test "$P" hrr tls.test other.test onerecord
	eg_settled hrr
	[ "$(eg_count hrr '.ev == "hello" and .sni == "other.test"')" = 1 ] || native_fail "the server did not take the second ClientHello natively: $(eg_show hrr)"
	forget hrr
	eg_hosts "127.0.0.1 tls.test"
	eg_hrr_run tls.test other.test onerecord
	[ "$(eg_count hrr '.ev == "hello" and .sni == "other.test"')" = 0 ] ||
		fail "a second ClientHello naming other.test in the first one's record reached the upstream (the program got: $(grep tunnel "$T/out")): $(eg_show hrr)"
}

# ---------------------------------------------------------------- request framing

# eg_no_smuggling KIND: egress_client.py's request KIND (http KIND) carries
# a second request for smuggled.test (no rule names it) in its body; sent
# straight to the upstream (the native control) the upstream serves it;
# through the proxy it must not: refused (400), or forwarded with the
# framing the upstream reads too, not one byte of it reaches the upstream.
eg_no_smuggling() {
	eg_server up
	P=$(port up)
	native /usr/bin/python3 "$NET_TOOLS/egress_client.py" direct web.test "$P" http "$1"
	eg_settled up
	[ "$(eg_count up '.ev == "request" and .path == "/smuggled" and (.host | startswith("smuggled.test"))')" = 1 ] ||
		native_fail "the upstream does not take the smuggled request natively: $(eg_show up)"
	forget up
	eg_hosts "127.0.0.1 web.test smuggled.test"
	jt --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" --ro "$NET_TOOLS" -- /bin/sh -c \
		'/usr/bin/python3 "$0" "$HTTP_PROXY" web.test "$1" http "$2"' "$NET_TOOLS/egress_client.py" "$P" "$1"
	expect_rc 0
	grep -q '^status: ' "$T/out" || fail "no answer: $(cat "$T/out")"
	eg_settled up
	[ "$(eg_count up '(.ev == "request" and .path == "/smuggled") or (.ev == "closed" and (.extra_data // "" | test("smuggled")))')" = 0 ] ||
		fail "$1: the second request reached the upstream (the proxy answered: $(cat "$T/out")): $(eg_show up | grep -v '"ev":"conn"')"
}

t_egress_a_request_with_two_content_lengths_smuggles_no_second_request() {
	eg_no_smuggling two-lengths
}

# A header name the upstream does not take as one (a control character in
# it) ends the upstream's headers there: the Content-Length after it is
# not read, the body is the next request.
t_egress_a_header_name_that_is_no_token_smuggles_no_second_request() {
	eg_no_smuggling bad-name
}

# ---------------------------------------------------------------- addresses, load, rule errors

t_egress_an_ipv6_address_named_by_a_host_line_is_reached() {
	/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
		skip "this host has no IPv6 loopback"
	eg_server six --bind ::1
	P=$(port six)
	native /usr/bin/curl -sg --noproxy '*' --max-time 20 "http://[::1]:$P/native"
	grep -q "^egress-upstream GET /native" "$T/nout" || native_fail "curl does not reach http://[::1]:$P/ natively"
	eg_settled six
	forget six
	eg_hosts "::1 six.test"
	jt --allow-domain "six.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c "$CURL http://six.test:$P/six"
	expect_rc 0
	expect_out_line "egress-upstream GET /six host=six.test:$P"
	eg_settled six
	[ "$(eg_count six '.ev == "conn" and (.peer | startswith("::1:"))')" = 1 ] || fail "the upstream on ::1 did not see one connection: $(eg_show six)"
	expect_log ".type == \"egress\" and .name == \"six.test\" and .addr == \"[::1]:$P\" and .decision == \"allow\" and .status == 200"
}

# The program leaves a request it never finishes, a tunnel it never
# speaks in and a request the upstream holds (until /release) open, then
# asks again (/held, until the upstream holds the request), reads a file,
# and releases the held request: nothing waits for anything else.
STALL_PROG='
import os, socket, sys, threading, time, urllib.request
port = int(sys.argv[1])
h, p = os.environ["HTTP_PROXY"].split("://")[1].rsplit(":", 1)
half = socket.create_connection((h, int(p)))
half.sendall(b"GET http://web.test:%d/never HTTP/1.1\r\nHost: web" % port)
mute = socket.create_connection((h, int(p)))
mute.sendall(b"CONNECT web.test:%d HTTP/1.1\r\n\r\n" % port)
print("mute tunnel:", mute.recv(12).decode(), flush=True)
base = "http://web.test:%d" % port
got = {}
def hold():
    got["hold"] = urllib.request.urlopen(base + "/hold", timeout=90).read().decode().split()[2]
th = threading.Thread(target=hold)
th.start()
end = time.time() + 60
while time.time() < end:
    body = urllib.request.urlopen(base + "/held", timeout=30).read().decode()
    if body.strip() != "held 0":
        break
    time.sleep(0.05)
print("while held:", body.strip(), flush=True)
print("file:", len(open("/etc/hosts").read()) > 0, flush=True)
urllib.request.urlopen(base + "/release", timeout=30).read()
th.join()
print("released:", got.get("hold"), flush=True)
'

t_egress_a_stalled_client_or_upstream_stalls_neither_the_tracer_nor_other_requests() {
	GUARD_SECS=$(slow 120)
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	eg_hosts "127.0.0.1 web.test"
	jt --timeout 100s --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /usr/bin/python3 -c "$STALL_PROG" "$P"
	expect_rc 0
	expect_out_line "mute tunnel: HTTP/1.1 200"
	expect_out_line "while held: held 1"
	expect_out_line "file: True"
	expect_out_line "released: /hold"
	eg_settled up
	[ "$(eg_count up '.ev == "request" and .path == "/never"')" = 0 ] || fail "the unfinished request was forwarded: $(eg_show up)"
}

t_egress_rules_with_errors_are_refused_with_their_line() {
	printf 'include default\nnet domain bad*.test\n' >"$T/p1"
	jt --policy "$T/p1" -- /bin/true
	expect_rc 125
	grep -q 'p1:2: .*bad\*\.test' "$T/err" || fail "no line-numbered error for a misplaced wildcard: $(cat "$T/err")"
	printf 'include default\nnet domain ok.test\nhost ok.test not-an-address\n' >"$T/p2"
	jt --policy "$T/p2" -- /bin/true
	expect_rc 125
	grep -q 'p2:3: .*not-an-address' "$T/err" || fail "no line-numbered error for a bad host address: $(cat "$T/err")"
	printf '# the test names\n127.0.0.1 ok.test\nnot-an-address x.test\n' >"$T/hosts"
	jt --allow-domain ok.test --hosts "$T/hosts" -- /bin/true
	expect_rc 125
	grep -q 'hosts:3: .*not-an-address' "$T/err" || fail "no line-numbered error in a --hosts file: $(cat "$T/err")"
	for r in '*' '*.*.test' 'x.test:0' 'x.test:70000' 'x.test:90-80' '127.0.0.1' '[::1]'; do
		jt --allow-domain "$r" -- /bin/true
		[ "$RC" = 125 ] || fail "--allow-domain '$r' was taken (exit status $RC)"
		grep -q -- '--allow-domain' "$T/err" || fail "the error for --allow-domain '$r' does not name the option: $(cat "$T/err")"
	done
}

# ---------------------------------------------------------------- around the proxy

t_egress_a_direct_connect_past_the_proxy_is_refused_and_explained() {
	eg_server up
	P=$(port up)
	native "$PROGS/netprobe" connect 127.0.0.1 "$P"
	grep -qx "connect: ok" "$T/nout" || native_fail "netprobe does not connect natively"
	eg_settled up
	[ "$(eg_count up '.ev == "conn"')" = 1 ] || native_fail "the server did not see the native connection: $(eg_show up)"
	forget up
	eg_hosts "127.0.0.1 up.test"
	jt --allow-domain "up.test:$P" --hosts "$JT_AUX/hosts" -- "$PROGS/netprobe" connect 127.0.0.1 "$P"
	expect_out_line "connect: ECONNREFUSED"
	expect_log ".type == \"syscall\" and .name == \"connect\" and .decision == \"deny\" and .facts.addr == \"tcp 127.0.0.1:$P\""
	grep "^jailtrace: denied .*connect.*127\.0\.0\.1:$P" "$T/err" | grep -qE -- '--allow-domain|proxy' ||
		fail "the denial explanation does not point at the domain rule or the proxy: $(grep '^jailtrace:' "$T/err")"
	# an address off the host: refused too (as without a rule), and explained
	jt --allow-domain "up.test:$P" --hosts "$JT_AUX/hosts" -- "$PROGS/netprobe" connect 192.0.2.7 443
	grep -qxE 'connect: (EACCES|ENETUNREACH)' "$T/out" || fail "a remote connect past the proxy was not refused: $(cat "$T/out")"
	grep "^jailtrace: denied .*connect.*192\.0\.2\.7:443" "$T/err" | grep -qE -- '--allow-domain|proxy' ||
		fail "the denial explanation of a remote connect does not point at the domain rule or the proxy: $(grep '^jailtrace:' "$T/err")"
	# the sandbox resolves no name itself: going straight to the name fails
	jt --allow-domain "up.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c "
		getent hosts up.test || echo getent-failed
		/usr/bin/curl -s --noproxy '*' --max-time 20 http://up.test:$P/direct; echo curl=\$?"
	expect_out_line "getent-failed"
	expect_no_out "egress-upstream"
	expect_no_out "curl=0"
	eg_untouched up "a direct connect"
}

t_egress_another_host_process_gets_403_from_the_proxy() {
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	eg_hosts "127.0.0.1 web.test"
	# the program shows the proxy serves it, says where it is, and keeps
	# it running until the host has asked ($T/done)
	jt_bg --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c "
		$CURL http://web.test:$P/inside
		echo \"proxy \$HTTP_PROXY\"
		while [ ! -e $T/done ]; do sleep 0.05; done"
	wait_until 60 grep -qs '^proxy http://' "$T/out" || { touch "$T/done"; jt_wait; fail "the program did not say where the proxy is"; }
	local proxy
	proxy=$(sed -n 's/^proxy //p' "$T/out")
	/usr/bin/curl -s --max-time 20 -o /dev/null -w 'code=%{http_code}\n' -x "$proxy" --noproxy '' "http://web.test:$P/host" >"$T/host" 2>&1
	/usr/bin/python3 "$NET_TOOLS/egress_client.py" "$proxy" web.test "$P" plain >>"$T/host" 2>&1
	touch "$T/done"
	jt_wait
	expect_out_line "egress-upstream GET /inside host=web.test:$P"
	grep -qx 'code=403' "$T/host" || fail "a host process was served over HTTP: $(cat "$T/host")"
	grep -qx 'connect: 403' "$T/host" || fail "a host process was served a CONNECT: $(cat "$T/host")"
	grep -q ', 0 denials$' "$T/err" || fail "a host process's refusals were counted as the program's: $(cat "$T/err")"
	# the proxy ended with the run
	/usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)' "${proxy##*:}" 2>/dev/null &&
		fail "the proxy still listens at $proxy after the run"
	eg_settled up
	[ "$(eg_count up '.ev == "request"')" = 1 ] && [ "$(eg_count up '.ev == "request" and .path == "/inside"')" = 1 ] ||
		fail "the upstream saw more than the sandbox's request: $(eg_show up)"
}

# The program fills the proxy (64 connections that never finish a
# request), so that one more is refused with 503, says that connection's
# port and lets the others go; once the host has tried ($T/step), it closes
# that socket too and waits until the host is done ($T/done).
BORROW_PROG='
import os, socket, sys, time
h, p = os.environ["HTTP_PROXY"].split("://")[1].rsplit(":", 1)
port, step, done = int(sys.argv[1]), sys.argv[2], sys.argv[3]
print("proxy", p, flush=True)
held = []
for i in range(64):
    s = socket.create_connection((h, int(p)))
    s.sendall(b"GET http://web.test:%d/stall HTTP/1.1\r\nHost: web" % port)
    held.append(s)
extra = socket.create_connection((h, int(p)))
extra.sendall(b"GET http://web.test:%d/extra HTTP/1.1\r\nHost: web.test:%d\r\n\r\n" % (port, port))
print("extra:", extra.recv(64).split(b"\r\n")[0].decode(), flush=True)
for s in held:
    s.close()
print("port", extra.getsockname()[1], flush=True)
while not os.path.exists(step):
    time.sleep(0.05)
extra.close()
print("closed", flush=True)
while not os.path.exists(done):
    time.sleep(0.05)
'

# eg_borrow PROXYPORT SRC SRCPORT PORT: a host process connects to the
# proxy from SRC:SRCPORT and asks for http://web.test:PORT/borrowed (again
# while the proxy is full, 503, or the port is not free yet, for at most
# 40 s); prints "host: " and the status line (or the error).
eg_borrow() {
	/usr/bin/python3 - "$@" <<'PY'
import socket, sys, time
proxy, src, srcport, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
end = time.time() + 40
while True:
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, srcport))
        s.connect(("127.0.0.1", proxy))
        s.sendall(b"GET http://web.test:%d/borrowed HTTP/1.1\r\nHost: web.test:%d\r\n\r\n" % (port, port))
        st = s.recv(200).split(b"\r\n")[0].decode()
        s.close()
    except OSError as e:
        st = "error %s" % e
    if (" 503 " not in st and not st.startswith("error")) or time.time() > end:
        break
    time.sleep(0.1)
print("host: %s" % st)
PY
}

t_egress_a_host_process_borrowing_the_port_of_a_sandbox_connection_gets_403() {
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	# native control: a host process can connect from another loopback
	# address with a port of its choice
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.2", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))' "$P" 2>/dev/null ||
		skip "a host process cannot connect from 127.0.0.2 here"
	eg_settled up
	forget up
	eg_hosts "127.0.0.1 web.test"
	jt_bg --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /usr/bin/python3 -c "$BORROW_PROG" "$P" "$T/step" "$T/done"
	wait_until 60 grep -qs '^port ' "$T/out" || { touch "$T/step" "$T/done"; jt_wait; fail "the program did not fill the proxy"; }
	local proxy x
	proxy=$(sed -n 's/^proxy //p' "$T/out")
	x=$(sed -n 's/^port //p' "$T/out")
	# the same port from another loopback address, while the program's
	# socket is open; then from its address, once the program closed it
	eg_borrow "$proxy" 127.0.0.2 "$x" "$P" >"$T/host1" 2>&1
	touch "$T/step"
	wait_until 60 grep -qsx closed "$T/out" || { touch "$T/done"; jt_wait; fail "the program did not close its socket"; }
	eg_borrow "$proxy" 127.0.0.1 "$x" "$P" >"$T/host2" 2>&1
	touch "$T/done"
	jt_wait
	expect_rc 0
	grep -qx 'host: HTTP/1.1 403 .*' "$T/host1" ||
		fail "a host process using the port of the program's open connection from 127.0.0.2 was not refused: $(cat "$T/host1") (the program's: $(grep '^extra:' "$T/out"))"
	grep -qx 'host: HTTP/1.1 403 .*' "$T/host2" ||
		fail "a host process using the address and port of the program's closed connection was not refused: $(cat "$T/host2") (the program's: $(grep '^extra:' "$T/out"))"
	eg_settled up
	[ "$(eg_count up '.ev == "request" and .path == "/borrowed"')" = 0 ] || fail "the host process's request reached the upstream: $(eg_show up)"
}

# ---------------------------------------------------------------- the audit log

# eg_records_well_formed: every egress record of the log has the fields
# docs/audit-log.md gives it, of their types.
eg_records_well_formed() {
	local bad
	bad=$(log_select '.type == "egress" and ((.t | type) != "number" or (.method | type) != "string"
		or (.port | type) != "number" or (.decision | IN("allow", "deny") | not) or (.status | type) != "number"
		or (.bytes_up | type) != "number" or (.bytes_down | type) != "number" or (.duration_ms | type) != "number"
		or ([.name, .addr, .reason, .rule, .sni] | map(select(. != null and type != "string")) | length > 0))') || exit 1
	[ -z "$bad" ] || fail "malformed egress records: $bad"
}

t_egress_records_say_what_was_reached_and_under_which_rule() {
	eg_server up
	P=$(port up)
	eg_native_get up logged.test
	eg_hosts "127.0.0.1 logged.test denied.test"
	jt --allow-domain "logged.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c \
		"/usr/bin/curl -s --noproxy '' --max-time 30 -o /dev/null -w 'size=%{size_download}\n' http://logged.test:$P/big/100000; $CURL http://denied.test:$P/"
	expect_rc 0
	expect_out_line "size=100000"
	expect_out_line "code=403 connect=000"
	expect_log ".type == \"egress\" and .method == \"GET\" and .name == \"logged.test\" and .port == $P and .addr == \"127.0.0.1:$P\" and .decision == \"allow\" and .status == 200 and .rule == \"--allow-domain\" and .bytes_down >= 100000 and .bytes_up > 0 and (.duration_ms | type == \"number\" and . >= 0)" \
		"the allowed request"
	expect_log ".type == \"egress\" and .method == \"GET\" and .name == \"denied.test\" and .port == $P and .decision == \"deny\" and .status == 403 and (.reason | type == \"string\" and length > 0) and (has(\"addr\") | not) and (has(\"rule\") | not)" \
		"the refused request"
	[ "$(log_count '.type == "egress"')" = 2 ] || fail "not one egress record per request: $(log_select '.type == "egress"')"
	eg_records_well_formed
	# the same rules as policy lines: the record names the line
	printf 'include default\nnet domain logged.test:%s\nhost logged.test 127.0.0.1\n' "$P" >"$T/p.policy"
	jt --policy "$T/p.policy" -- /bin/sh -c "$CURL http://logged.test:$P/policy"
	expect_rc 0
	expect_out_line "egress-upstream GET /policy host=logged.test:$P"
	expect_log ".type == \"egress\" and .name == \"logged.test\" and .decision == \"allow\" and (.rule | endswith(\"p.policy:2\"))" \
		"the rule of a policy line"
	eg_settled up
	[ "$(eg_count up '.ev == "request"')" = 2 ] || fail "the upstream did not see exactly the two allowed requests: $(eg_show up)"
}

t_egress_records_the_status_the_program_got_from_the_upstream() {
	mkdir -p "$JT_AUX/site"
	echo "here" >"$JT_AUX/site/present"
	eg_server up --root "$JT_AUX/site"
	P=$(port up)
	# native control: the upstream answers 200 and 404
	native /usr/bin/curl -s --noproxy '*' --max-time 20 -w 'code=%{http_code}\n' -o /dev/null "http://127.0.0.1:$P/present" -o /dev/null "http://127.0.0.1:$P/absent"
	[ "$(tr '\n' ' ' <"$T/nout")" = "code=200 code=404 " ] || native_fail "the upstream does not answer 200 and 404 natively"
	eg_hosts "127.0.0.1 web.test"
	jt --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c \
		"/usr/bin/curl -s --noproxy '' --max-time 30 -w 'code=%{http_code}\n' -o /dev/null http://web.test:$P/present -o /dev/null http://web.test:$P/absent"
	expect_rc 0
	[ "$(tr '\n' ' ' <"$T/out")" = "code=200 code=404 " ] || fail "the program did not get 200 and 404 through the proxy: $(cat "$T/out")"
	expect_log ".type == \"egress\" and .name == \"web.test\" and .decision == \"allow\" and .status == 200" "the answer 200"
	expect_log ".type == \"egress\" and .name == \"web.test\" and .decision == \"allow\" and .status == 404" "the answer 404: status is what the program got"
	eg_records_well_formed
}

t_egress_learn_grants_the_names_the_run_reached() {
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	eg_hosts "127.0.0.1 web.test"
	jt --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c "$CURL http://web.test:$P/learned"
	expect_out_line "code=200 connect=000"
	jt_cmd learn "$T/log.jsonl"
	[ "$RC" = 0 ] || fail "learn: exit status $RC: $(cat "$T/err")"
	grep -qx "net domain web.test:$P" "$T/out" || fail "learn did not grant the name reached: $(grep -i 'net\|domain' "$T/out")"
}

t_egress_the_secrets_proxy_and_the_domain_proxy_serve_one_program() {
	needs_proxy
	local pid
	/usr/bin/python3 "$NET_TOOLS/upstream.py" "$JT_AUX/api.port" "$JT_AUX/api.rec" </dev/null >"$JT_AUX/api.log" 2>&1 &
	pid=$!
	wait_until 20 test -s "$JT_AUX/api.port" || fail "the secrets proxy's upstream did not start: $(cat "$JT_AUX/api.log")"
	VICTIMS+=("$pid:$(proc_start "$pid")")
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	# native control: the secrets proxy's upstream answers
	/usr/bin/python3 -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:$(port api)/x').status)" >"$T/nout" 2>&1
	grep -qx 200 "$T/nout" || native_fail "the secrets proxy's upstream does not answer natively"
	: >"$JT_AUX/api.rec"
	eg_hosts "127.0.0.1 web.test"
	# NO_PROXY keeps $API_BASE_URL (on 127.0.0.1) away from the domain proxy
	JT_EG_SECRET=jt-egress-secret-91c3 jt --proxy "api http://127.0.0.1:$(port api) header \"Authorization: Bearer \${JT_EG_SECRET}\"" \
		--allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /usr/bin/python3 -c '
import os, sys, urllib.request
print("api", urllib.request.urlopen(os.environ["API_BASE_URL"] + "/v1/both").status)
print(urllib.request.urlopen("http://web.test:%s/both" % sys.argv[1]).read().decode().strip())' "$P"
	expect_rc 0
	expect_out_line "api 200"
	expect_out_line "egress-upstream GET /both host=web.test:$P"
	grep -q '"Authorization": "Bearer jt-egress-secret-91c3"' "$JT_AUX/api.rec" || fail "the secrets proxy did not serve the request: $(cat "$JT_AUX/api.rec")"
	eg_settled up
	[ "$(eg_count up '.ev == "request" and (.path | startswith("/api") or startswith("/v1"))')" = 0 ] || fail "the request for \$API_BASE_URL went to the domain proxy: $(eg_show up)"
	expect_log '.type == "proxy" and .name == "api" and .status == 200'
	expect_log ".type == \"egress\" and .name == \"web.test\" and .decision == \"allow\""
}

t_egress_many_requests_at_once_are_each_served_and_recorded() {
	GUARD_SECS=$(slow 100)
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	eg_hosts "127.0.0.1 web.test"
	jt --timeout 90s --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /usr/bin/python3 -c '
import sys, threading, urllib.request
port, n = int(sys.argv[1]), 48
sizes = [None] * n
def get(i):
    try:
        sizes[i] = len(urllib.request.urlopen("http://web.test:%d/big/%d" % (port, 1000000 + i), timeout=60).read())
    except Exception as e:
        sizes[i] = repr(e)
ts = [threading.Thread(target=get, args=(i,)) for i in range(n)]
[t.start() for t in ts]
[t.join() for t in ts]
bad = [(i, s) for i, s in enumerate(sizes) if s != 1000000 + i]
print("all", n, "whole" if not bad else bad[:3])' "$P"
	expect_rc 0
	expect_out_line "all 48 whole"
	eg_settled up
	[ "$(eg_count up '.ev == "request" and (.path | startswith("/big/"))')" = 48 ] || fail "the upstream did not get 48 requests: $(eg_show up)"
	[ "$(log_count ".type == \"egress\" and .name == \"web.test\" and .decision == \"allow\" and .status == 200 and .bytes_down >= 1000000")" = 48 ] ||
		fail "not 48 egress records: $(log_select '.type == "egress"' | head -c 1500)"
}

# ---------------------------------------------------------------- a big download

# eg_hwm_kb PID: the largest VmHWM (kB) among PID and its descendants that
# are not the sandbox's programs (jailtrace's own processes: its proxy, if
# that runs apart), one line "PID COMM KB" each, the largest first.
eg_hwm_kb() {
	/usr/bin/python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
kids, comm = {}, {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        st = open("/proc/%s/stat" % d).read()
    except OSError:
        continue
    c = st[st.index("(") + 1:st.rindex(")")]
    ppid = int(st[st.rindex(")") + 2:].split()[1])
    kids.setdefault(ppid, []).append(int(d))
    comm[int(d)] = c
rows, todo = [], [root]
while todo:
    p = todo.pop()
    todo += kids.get(p, [])
    if p != root and comm.get(p) in ("sh", "dash", "bash", "curl", "sleep", "python3"):
        continue
    try:
        for line in open("/proc/%d/status" % p):
            if line.startswith("VmHWM:"):
                rows.append((int(line.split()[1]), p, comm.get(p)))
    except OSError:
        pass
for kb, p, c in sorted(rows, reverse=True):
    print(p, c, kb)
PY
}

t_egress_a_200_mib_download_and_upload_stream_through_the_proxy_in_bounded_memory() {
	GUARD_SECS=$(slow 200)
	eg_server big
	P=$(port big)
	# native control: the server really sends and takes 200 MiB
	native /usr/bin/curl -s --noproxy '*' --max-time 100 -o /dev/null -w 'size=%{size_download}\n' "http://127.0.0.1:$P/big/209715200"
	grep -qx 'size=209715200' "$T/nout" || native_fail "the server does not send 200 MiB natively"
	native /usr/bin/python3 "$NET_TOOLS/egress_client.py" direct big.test "$P" upload 209715200
	grep -qx 'status: 200' "$T/nout" || native_fail "the server does not take 200 MiB natively"
	eg_settled big
	[ "$(eg_count big '.ev == "request" and (.path | endswith("/sink")) and .body_len == 209715200')" = 1 ] ||
		native_fail "the server did not record the native upload: $(eg_show big)"
	forget big
	eg_hosts "127.0.0.1 big.test"
	# the program downloads and uploads, then holds the run (and the proxy)
	# until the host has measured jailtrace ($T/done)
	jt_bg --timeout 200s --allow-domain "big.test:$P" --hosts "$JT_AUX/hosts" --ro "$NET_TOOLS" -- /bin/sh -c "
		/usr/bin/curl -s --noproxy '' --max-time 100 -o /dev/null -w 'size=%{size_download}\n' http://big.test:$P/big/209715200
		/usr/bin/python3 $NET_TOOLS/egress_client.py \"\$HTTP_PROXY\" big.test $P upload 209715200
		echo transferred
		while [ ! -e $T/done ]; do sleep 0.05; done"
	wait_until 200 grep -qsx transferred "$T/out" || { touch "$T/done"; jt_wait; fail "the transfers did not end"; }
	eg_hwm_kb "$JT_PID" >"$T/hwm"
	touch "$T/done"
	jt_wait
	expect_out_line "size=209715200"
	expect_out_line "status: 200"
	[ -s "$T/hwm" ] || fail "could not read jailtrace's memory"
	read -r _ comm kb <"$T/hwm"
	[ "$kb" -lt 102400 ] || fail "jailtrace's own memory peaked at $kb kB ($comm) for 200 MiB each way: $(cat "$T/hwm")"
	eg_settled big
	[ "$(eg_count big '.ev == "request" and .path == "/sink" and .body_len == 209715200')" = 1 ] ||
		fail "the upstream did not get the 200 MiB upload: $(eg_show big)"
	expect_log ".type == \"egress\" and .name == \"big.test\" and .method == \"GET\" and .decision == \"allow\" and .status == 200 and .bytes_down >= 209715200"
	expect_log ".type == \"egress\" and .name == \"big.test\" and .method == \"POST\" and .decision == \"allow\" and .status == 200 and .bytes_up >= 209715200"
}

# ---------------------------------------------------------------- learn, replay, report

t_egress_learn_keeps_the_names_reached_and_replay_decides_them_again() {
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	eg_hosts "127.0.0.1 web.test other.test"
	printf 'include default\nnet domain web.test:%s\nhosts %s\n' "$P" "$JT_AUX/hosts" >"$T/run.policy"
	jt --policy "$T/run.policy" -- /bin/sh -c "$CURL http://web.test:$P/first; $CURL http://other.test:$P/refused"
	expect_rc 0
	expect_out_line "code=200 connect=000"
	expect_out_line "code=403 connect=000"
	cp "$T/log.jsonl" "$T/first.jsonl"
	# the report lists both names under network, allowed and refused
	jt_cmd report "$T/first.jsonl"
	grep -A2 "domain proxy: web.test:$P" "$T/out" | grep -q "GET *allow" ||
		fail "the report does not show the allowed name: $(sed -n '/^network/,$p' "$T/out")"
	grep -A2 "domain proxy: other.test:$P" "$T/out" | grep -q "GET *deny" ||
		fail "the report does not show the refused name: $(sed -n '/^network/,$p' "$T/out")"
	grep -q 'not shown' "$T/out" && fail "the report leaves records out: $(grep 'not shown' "$T/out")"
	# the run's own policy again: nothing it needed changes (the connect to
	# that run's proxy port included)
	jt_cmd replay "$T/first.jsonl" --policy "$T/run.policy"
	expect_rc 0
	# without the domain rule: the name, and the proxy, would be denied
	printf 'include default\nhosts %s\n' "$JT_AUX/hosts" >"$T/none.policy"
	jt_cmd replay "$T/first.jsonl" --policy "$T/none.policy"
	expect_rc 1
	grep -q "GET web.test:$P through the domain proxy" "$T/out" ||
		fail "replay does not name the request it would refuse: $(cat "$T/out")"
	# learn keeps the name reached, not the name refused nor that run's port
	jt_cmd learn "$T/first.jsonl"
	expect_rc 0
	cp "$T/out" "$T/learned.policy"
	grep -qx "net domain web.test:$P" "$T/learned.policy" || fail "learn left the name out: $(grep -n net "$T/learned.policy")"
	grep -q "^net domain other" "$T/learned.policy" && fail "learn granted the refused name"
	grep -q "^net connect 127.0.0.1:" "$T/learned.policy" && fail "learn granted the old proxy's port: $(grep -n net "$T/learned.policy")"
	# and the program reaches the name under it
	jt --policy "$T/learned.policy" -- /bin/sh -c "$CURL http://web.test:$P/again"
	expect_rc 0
	expect_out_line "code=200 connect=000"
	eg_settled up
	[ "$(eg_count up '.ev == "request" and .path == "/again"')" = 1 ] ||
		fail "the upstream did not see the rerun's request: $(eg_show up)"
}

t_egress_a_head_of_bare_line_feeds_is_refused_at_once() {
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	eg_hosts "127.0.0.1 web.test"
	# a head ended by LF LF (no CRLF) is refused for what it is, not left
	# waiting for a CRLF that never comes (then: "no request head")
	jt --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /usr/bin/python3 -c '
import os, socket, sys
p = int(os.environ["HTTP_PROXY"].rsplit(":", 1)[1]); port = int(sys.argv[1])
for req in (b"GET http://web.test:%d/a HTTP/1.1\n\n" % port,
            b"GET http://web.test:%d/b HTTP/1.1\r\nHost: web.test:%d\n\n" % (port, port)):
    s = socket.create_connection(("127.0.0.1", p)); s.sendall(req)
    print(s.recv(200).split(b"\r\n")[0].decode())' "$P"
	expect_rc 0
	expect_out_line "HTTP/1.1 400 a bad request line"
	expect_out_line "HTTP/1.1 400 a header line not ended by CRLF"
	eg_untouched up "a head of bare line feeds"
}

t_egress_a_long_target_reaches_the_upstream_whole_and_one_too_long_is_414_and_counted() {
	eg_server up
	P=$(port up)
	eg_native_get up web.test
	eg_hosts "127.0.0.1 web.test"
	long="/long?q=$(head -c 3000 /dev/zero | tr '\0' a)&page=2"
	jt --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c "$CURL 'http://web.test:$P$long'"
	expect_rc 0
	expect_out_line "code=200 connect=000"
	eg_settled up
	[ "$(eg_count up ".ev == \"request\" and .path == \"$long\"")" = 1 ] ||
		fail "the upstream did not get the whole target: $(eg_show up)"
	forget up
	huge="/huge?q=$(head -c 9000 /dev/zero | tr '\0' a)"
	jt --allow-domain "web.test:$P" --hosts "$JT_AUX/hosts" -- /bin/sh -c "$CURL 'http://web.test:$P$huge'"
	expect_out_line "code=414 connect=000"
	eg_untouched up "a target too long to take"
	grep -q ', 1 denial$' "$T/err" || fail "the 414 is not counted: $(cat "$T/err")"
}
