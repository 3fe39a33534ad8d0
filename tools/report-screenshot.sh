#!/bin/sh
# The HTML report as a person sees it.
#
#   tools/report-screenshot.sh BUILD     run a small program with denials under
#                                        BUILD/jailtrace, write BUILD/report.html
#                                        and render it to BUILD/report.png
#   tools/report-screenshot.sh --install-only
#
# Installs Debian's chromium when it is missing and we are root (it is
# large, so `make check` leaves it out and its rendering test skips).
set -eu

install_chromium() {
	command -v chromium >/dev/null 2>&1 && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "chromium is missing; run: sudo apt-get install -y chromium" >&2
		exit 1
	fi
	echo "installing chromium"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

install_chromium
[ "${1:-}" = --install-only ] && exit 0

build=$(cd "${1:?usage: tools/report-screenshot.sh BUILD}" && pwd)
work=$(mktemp -d /tmp/jt-shot.XXXXXX)
trap 'rm -rf "$work"' EXIT

# a model-written-style run: a shell, a few programs, a signal to a host
# process, a syslog read, a network socket and an ioctl it may not make
"$build/jailtrace" run --quiet --log "$work/run.jsonl" -- /bin/sh -c "
	kill -0 1 2>/dev/null
	ls / >/dev/null
	$build/tests/progs/forbidden syslog
	$build/tests/progs/forbidden socket-inet
	$build/tests/progs/forbidden tiocsti
	/usr/bin/python3 -c 'import os; print(os.getpid())'
	exit 0" >/dev/null 2>&1 || true
"$build/jailtrace" report --html "$build/report.html" "$work/run.jsonl"
chmod 644 "$build/report.html"
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --no-first-run --user-data-dir="$work/profile" \
	--hide-scrollbars --window-size=1100,1500 --screenshot="$build/report.png" \
	"file://$build/report.html" >"$work/chromium.out" 2>&1 || {
	cat "$work/chromium.out" >&2
	exit 1
}
echo "wrote $build/report.html and $build/report.png"
