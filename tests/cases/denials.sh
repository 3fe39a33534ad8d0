# Denials that explain themselves: the end-of-run summary names the most
# frequent denied requests and, for each, what would grant it.

# A file the host has but the view does not: the summary names the request
# and the --ro option, and with that option the same program works.
t_summary_names_a_denied_path_and_the_option_that_grants_it() {
	[ -f /etc/hostname ] || skip "the host has no /etc/hostname"
	native /bin/cat /etc/hostname
	[ "$NRC" = 0 ] || native_fail "cat /etc/hostname fails natively"
	jt -- /bin/sh -c 'cat /etc/hostname; cat /etc/hostname; cat /etc/hostname; exit 0'
	expect_rc 0
	grep -qxF 'jailtrace: denied 3x open /etc/hostname: not in the view — grant with --ro /etc/hostname' "$T/err" ||
		fail "no summary line naming the denial and --ro /etc/hostname: $(cat "$T/err")"
	jt --ro /etc/hostname -- /bin/cat /etc/hostname
	expect_rc 0
	cmp -s "$T/out" "$T/nout" || fail "with --ro /etc/hostname the file still does not read as natively"
	! grep -q 'denied' "$T/err" || fail "a granted run still lists denials: $(cat "$T/err")"
}

# The most frequent first, each kind with its own remedy; --quiet says nothing.
t_summary_orders_by_frequency_and_names_each_remedy() {
	jt -- /bin/sh -c 'for i in 1 2 3 4; do cat /etc/hostname; done >/dev/null 2>&1
		mkdir /usr/jt-denied 2>/dev/null; echo x > /data/out.csv 2>/dev/null; exit 0'
	expect_rc 0
	[ -f /etc/hostname ] && { grep -m1 '^jailtrace: denied' "$T/err" | grep -qF 'denied 4x open /etc/hostname' ||
		fail "the most frequent denial is not named first: $(cat "$T/err")"; }
	grep -qE '^jailtrace: denied 1x mkdir /usr/jt-denied: read-only \(.*\) — .*--rw HOST:/usr$' "$T/err" ||
		fail "no remedy for the write to a read-only grant: $(cat "$T/err")"
	grep -qxF 'jailtrace: denied 1x open /data/out.csv: not in the view — grant a host directory with --rw HOSTDIR:/data' "$T/err" ||
		fail "no remedy for the write outside the view: $(cat "$T/err")"
	jt --quiet -- /bin/sh -c 'cat /etc/hostname 2>/dev/null; mkdir /usr/x 2>/dev/null; exit 0'
	expect_rc 0
	[ ! -s "$T/err" ] || fail "--quiet still prints: $(cat "$T/err")"
}

# A call no rule names: the policy line that allows it.
t_summary_names_the_policy_line_for_an_unlisted_call() {
	"$JT" policy default | sed 's/ uname / /' >"$T/p.policy"
	! grep -qw uname "$T/p.policy" || fail "could not take uname out of the policy"
	jt --policy "$T/p.policy" -- /bin/uname
	grep -qxF 'jailtrace: denied 1x uname: no rule allows it — grant with the policy line "allow uname"' "$T/err" ||
		fail "no policy line named for the unlisted call: $(cat "$T/err")"
}

# Lookups of paths the host lacks too fail natively the same way: not
# offered as grants, nor counted as denials in the summary (the log and
# the result count them).
t_summary_does_not_offer_to_grant_what_the_host_lacks() {
	jt -- /bin/sh -c 'cat /no-such-dir-jt/x 2>/dev/null; exit 0'
	expect_rc 0
	! grep -q 'no-such-dir-jt' "$T/err" || fail "offers to grant a path the host lacks: $(cat "$T/err")"
	grep -qE '^jailtrace: exited 0; .* 0 denials$' "$T/err" ||
		fail "the lookups of absent paths are counted as denials: $(cat "$T/err")"
	n=$(log_count '.type == "syscall" and .decision == "deny" and .facts.path == "/no-such-dir-jt/x"') || exit 1
	[ "$n" -ge 1 ] || fail "the log does not have the lookup"
	[ "$(result_field denials)" -ge "$n" ] || fail "the result does not count it"
}

# A path the program chose is shown with its control bytes as '?': an ESC,
# a CR or an LF in it cannot rewrite the lines of the summary.
t_summary_shows_control_bytes_of_a_denied_path_as_question_marks() {
	jt -- /usr/bin/python3 -c '
try: open("/usr/x\x1b[2K\r\x1b[1Ajailtrace: exited 0; 0 denials\nX", "w")
except OSError as e: print("errno", e.errno)'
	expect_out_line "errno 30"	# EROFS, as a read-only mount answers
	expect_log '.name == "openat" and .decision == "deny" and (.args[1] | test("\u001b"))'
	grep -q "$(printf '\033')" "$T/err" && fail "an ESC of the program's reached the summary: $(cat -v "$T/err")"
	grep -q "$(printf '\r')" "$T/err" && fail "a CR of the program's reached the summary: $(cat -v "$T/err")"
	grep -qF 'jailtrace: denied 1x open /usr/x?[2K??[1Ajailtrace: exited 0; 0 denials?X: read-only' "$T/err" ||
		fail "the summary does not name the path with '?' for its control bytes: $(cat -v "$T/err")"
}
