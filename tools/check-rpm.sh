#!/bin/bash
# check-rpm.sh X86_64.rpm AARCH64.rpm: each package's metadata and contents
# (rpm -qip, rpm -qlp), that it asks for nothing but rpmlib features and has
# a gzip payload (what RHEL 7's rpm 4.11 reads), and that the binary it
# carries is static for its architecture; the x86_64 one, unpacked, runs
# doctor and denies a host file. Also checks the release tarball beside them.
set -u
fail() { echo "check-rpm: $*"; exit 1; }
set -- $(realpath "$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for rpm in "$@"; do
	arch=$(rpm -qp --qf '%{ARCH}' "$rpm" 2>/dev/null)
	info=$(rpm -qip "$rpm" 2>/dev/null)
	grep -qE '^Name +: jailtrace$' <<<"$info" || fail "$rpm: no Name jailtrace"
	grep -qE '^Version +: [0-9]' <<<"$info" || fail "$rpm: no Version"
	list=$(rpm -qlp "$rpm" 2>/dev/null)
	for f in /usr/bin/jailtrace /usr/share/man/man1/jailtrace.1 /usr/share/man/man5/jailtrace-policy.5 \
		/usr/share/man/man5/jailtrace-log.5 /etc/jailtrace/default.policy \
		/usr/share/bash-completion/completions/jailtrace /usr/share/zsh/site-functions/_jailtrace; do
		grep -qx "$f" <<<"$list" || fail "$rpm lacks $f"
	done
	[ "$(wc -l <<<"$list")" = 8 ] || fail "$rpm holds more than its files: $list"
	req=$(rpm -qp --requires "$rpm" 2>/dev/null | grep -v '^rpmlib(')
	[ -z "$req" ] || fail "$rpm requires $req (a static binary needs nothing)"
	[ "$(rpm -qp --qf '%{PAYLOADCOMPRESSOR}' "$rpm")" = gzip ] || fail "$rpm: payload not gzip (RHEL 7)"
	rpm -qp --configfiles "$rpm" 2>/dev/null | grep -qx /etc/jailtrace/default.policy ||
		fail "$rpm: the policy is not a config file"
	mkdir -p "$tmp/$arch"
	(cd "$tmp/$arch" && rpm2cpio "$rpm" | cpio -idm --quiet) || fail "$rpm does not unpack"
	want=$([ "$arch" = aarch64 ] && echo 'ARM aarch64' || echo 'x86-64')
	file -b "$tmp/$arch/usr/bin/jailtrace" | grep -q "$want.*statically linked" ||
		fail "$rpm: not a static $arch binary: $(file -b "$tmp/$arch/usr/bin/jailtrace")"
	if [ "$arch" = "$(uname -m)" ]; then
		"$tmp/$arch/usr/bin/jailtrace" doctor >/dev/null || fail "$rpm: its jailtrace doctor fails"
		echo "rpm-secret-$$" >"$tmp/secret" && chmod 600 "$tmp/secret"
		out=$(cd /tmp && "$tmp/$arch/usr/bin/jailtrace" run --quiet -- /bin/cat "$tmp/secret" 2>&1)
		[ $? = 1 ] && ! grep -q "rpm-secret-$$" <<<"$out" || fail "$rpm: its jailtrace let a host file be read: $out"
	fi
done
# the release tarball: SHA256SUMS inside and beside it verify, both binaries static
dist=$(dirname "$1")
(cd "$dist" && sha256sum -c --quiet SHA256SUMS) || fail "$dist/SHA256SUMS does not verify"
tar -C "$tmp" -xzf "$dist"/jailtrace-*.tar.gz || fail "the tarball does not unpack"
(cd "$tmp"/jailtrace-*/ && sha256sum -c --quiet SHA256SUMS) || fail "the tarball's SHA256SUMS does not verify"
for a in x86_64 aarch64; do
	file -b "$tmp"/jailtrace-*/bin/$a/jailtrace | grep -q 'statically linked' || fail "the tarball's $a binary is not static"
done
[ -f "$tmp"/jailtrace-*/man/jailtrace.1 ] && [ -f "$tmp"/jailtrace-*/tracer/run.c ] || fail "the tarball lacks sources or man pages"
echo "check-rpm: $(for r in "$@"; do basename "$r"; done | tr '\n' ' ')hold 8 files each, need nothing, gzip payloads, static binaries (the native one runs and denies); the tarball verifies"
