# --audit full: one "call" record per syscall with its result, matching
# what strace shows for the same program.

# calls FILE: "name result" per line from a --audit full log, for the
# first exec'd process (results that are addresses or pids normalized).
_norm_py='
import json, re, sys
ADDR = {"brk", "mmap", "mremap", "arch_prctl", "set_tid_address", "getpid", "gettid", "rseq"}
def norm(name, res, err):
    if err: return "%s %s" % (name, err)
    if name in ADDR: return "%s OK" % name
    return "%s %s" % (name, res)
out = []
if sys.argv[1] == "jt":
    for line in open(sys.argv[2]):
        r = json.loads(line)
        if r.get("type") != "call": continue
        res = r.get("result")
        out.append(norm(r["name"], "?" if res is None else str(res), r.get("result_errno")))
else:
    pat = re.compile(r"^(?:\d+\s+)?(\w+)\(.*\)\s+=\s+(\S+)(?:\s+(E[A-Z0-9]+))?")
    for line in open(sys.argv[2]):
        m = pat.match(line)
        if not m: continue
        name, res, err = m.groups()
        if res.startswith("0x"): res = str(int(res, 16))
        out.append(norm(name, res, err))
print("\n".join(out))
'

t_full_audit_records_every_call_as_strace_sees_it() {
	command -v strace >/dev/null || skip "strace is not installed"
	# native: strace, with the environment the sandbox gives
	native strace -qq -o "$T/strace.txt" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
		LANG=C.UTF-8 TERM=dumb "$PROGS/auditee"
	grep -qx done "$T/nout" || native_fail "auditee did not run under strace"
	jt --audit full -- "$PROGS/auditee"
	expect_rc 0
	expect_out_line done
	/usr/bin/python3 -c "$_norm_py" strace "$T/strace.txt" | grep -v '^env ' >"$T/native.calls"
	/usr/bin/python3 -c "$_norm_py" jt "$T/log.jsonl" >"$T/jt.calls"
	# strace also saw env before it exec'd auditee: compare from the last exec on
	tail -n +"$(grep -n '^execve 0$' "$T/native.calls" | tail -n 1 | cut -d: -f1)" \
		"$T/native.calls" >"$T/native.auditee"
	diff "$T/native.auditee" "$T/jt.calls" >"$T/diff" || fail "the audit differs from strace:
$(head -n 30 "$T/diff")"
	[ "$(wc -l <"$T/jt.calls")" -gt 20 ] || fail "too few calls recorded: $(wc -l <"$T/jt.calls")"
}

t_full_audit_keeps_buffer_contents_read_and_written() {
	jt --audit full -- /bin/sh -c 'echo audited-text'
	expect_out_line audited-text
	expect_log '.type == "call" and .name == "write" and .args[1] == "audited-text\n" and .result == 13'
}

t_full_audit_logs_denied_calls_without_a_stop_of_their_own() {
	jt --audit full -- "$PROGS/forbidden" acct
	expect_out_line "acct: EPERM"
	expect_log '.type == "call" and .name == "acct" and .decision == "deny" and .result_errno == "EPERM"'
}

# flags FILE: "name prot flags" of each mmap and mprotect, from strace's
# text or a --audit full log, for the comparison by name
_flags_py='
import json, re, sys
out = []
if sys.argv[1] == "jt":
    for line in open(sys.argv[2]):
        r = json.loads(line)
        if r.get("type") != "call" or r["name"] not in ("mmap", "mprotect"): continue
        a = r["args"]
        out.append(" ".join([r["name"], a[2]] + ([a[3]] if r["name"] == "mmap" else [])))
else:
    pat = re.compile(r"^(?:\d+\s+)?(mmap|mprotect)\((.*)\)\s+=")
    for line in open(sys.argv[2]):
        m = pat.match(line)
        if not m: continue
        a = [x.strip() for x in m.group(2).split(",")]
        out.append(" ".join([m.group(1), a[2]] + ([a[3]] if m.group(1) == "mmap" else [])))
print("\n".join(out))
'

t_full_audit_names_mmap_and_socket_flags() {
	command -v strace >/dev/null || skip "strace is not installed"
	native strace -qq -o "$T/strace.txt" "$PROGS/auditee"
	grep -qx done "$T/nout" || native_fail "auditee did not run under strace"
	jt --audit full -- "$PROGS/auditee"
	expect_rc 0
	/usr/bin/python3 -c "$_flags_py" strace "$T/strace.txt" >"$T/native.flags"
	/usr/bin/python3 -c "$_flags_py" jt "$T/log.jsonl" >"$T/jt.flags"
	grep -q '^mmap PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS$' "$T/jt.flags" ||
		fail "no anonymous mapping named by its flags: $(head -5 "$T/jt.flags")"
	# the loader's mappings of the program's libraries, named as strace names them
	tail -n "$(wc -l <"$T/jt.flags")" "$T/native.flags" | diff - "$T/jt.flags" >"$T/diff" ||
		fail "mmap and mprotect flags differ from strace's names:
$(head -n 20 "$T/diff")"
	jt --audit full -- /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)'
	expect_rc 0
	expect_log '.type == "call" and .name == "socket" and .args[0] == "AF_UNIX"
		and .args[1] == "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC" and .result >= 3' "socket's type by name"
	n=$(log_count '.type == "call" and (.name == "mmap" or .name == "mprotect") and (.args[2] | test("^0x"))') || exit 1
	[ "$n" = 0 ] || fail "$n mmap or mprotect records show the protection as hex"
}

t_bad_audit_mode_is_an_error() {
	jt_cmd run --audit everything -- /bin/true
	expect_rc 125
	grep -q 'bad --audit "everything"' "$T/err" || fail "no clear error: $(cat "$T/err")"
}
