#!/bin/bash
# check-deb.sh PACKAGE.deb: installs the package with dpkg on this machine,
# runs `jailtrace doctor` and a sandboxed program from the installed paths
# (a host file denied, the jail written), reads the man page, then purges it
# and checks that none of its files is left. Root only, and not where a
# jailtrace package is installed already (it is left alone: skipped).
set -u
deb=$1
fail() { echo "check-deb: $*"; dpkg --purge jailtrace >/dev/null 2>&1; exit 1; }
[ "$(id -u)" = 0 ] || { echo "check-deb: skipped: installing a package needs root"; exit 0; }
if dpkg-query -W -f='${Status}' jailtrace 2>/dev/null | grep -q 'ok installed'; then
	echo "check-deb: skipped: a jailtrace package is installed here already"
	exit 0
fi
[ ! -e /usr/bin/jailtrace ] || { echo "check-deb: skipped: /usr/bin/jailtrace exists (not from a package)"; exit 0; }
dpkg -i "$deb" >/dev/null || fail "dpkg -i $deb failed"
files=$(dpkg -L jailtrace | while read -r f; do [ -f "$f" ] && echo "$f"; done)
for f in /usr/bin/jailtrace /usr/share/man/man1/jailtrace.1.gz /usr/share/man/man5/jailtrace-policy.5.gz \
	/usr/share/man/man5/jailtrace-log.5.gz /etc/jailtrace/default.policy \
	/usr/share/bash-completion/completions/jailtrace; do
	grep -qx "$f" <<<"$files" || fail "the package lacks $f"
done
/usr/bin/jailtrace doctor >/dev/null || fail "the installed jailtrace doctor failed"
secret=$(mktemp /root/jt-deb-secret.XXXXXX) && echo "deb-secret-$$" >"$secret" && chmod 600 "$secret"
out=$(cd /tmp && /usr/bin/jailtrace run --quiet -- /bin/sh -c "cat $secret; echo kept >/work/x; cat /work/x" 2>&1)
rc=$?
rm -f "$secret"
[ $rc = 0 ] || fail "the sandboxed program exited $rc: $out"
! grep -q "deb-secret-$$" <<<"$out" || fail "the installed jailtrace let a host file be read"
grep -qx kept <<<"$out" || fail "the jail was not written: $out"
man -w jailtrace >/dev/null 2>&1 || fail "man does not find jailtrace(1)"
/usr/bin/jailtrace run --policy /etc/jailtrace/default.policy --quiet -- /bin/true ||
	fail "the installed policy does not run"
dpkg --purge jailtrace >/dev/null || fail "dpkg --purge failed"
left=$(for f in $files; do [ -e "$f" ] && echo "$f"; done)
[ -z "$left" ] || fail "left after purge: $left"
[ ! -e /etc/jailtrace ] || fail "/etc/jailtrace left after purge"
echo "check-deb: $(basename "$deb") installs $(echo "$files" | wc -l) files, runs (doctor, a denied host file, the jail), and purges clean"
