# Shared helpers for the integration cases (tests/cases/*.sh).
#
# tests/run sources this file and one case file in a fresh bash for each test,
# inside that test's own empty directory, and calls the test function.
# Environment it provides:
#   JT      the jailtrace binary under test
#   PROGS   directory holding the built tests/progs programs
#   LABEL   which pass this is (root, jtuser, asan)
#   T       this test's directory (also the cwd); unique, so its path is a
#           marker: any process whose command line contains $T belongs to
#           this test (see survivors).
#   JT_AUX  a directory outside $T for files whose path must not contain $T
# A test fails by calling fail (or one of the expect_* helpers); anything it
# prints is shown under the FAIL line.

# pipefail: a pipeline fails when any part does. So `prog | grep -q X` fails
# when grep has matched and gone before prog's next write (prog dies of
# SIGPIPE) -- a result that load decides; where prog may write more than
# one pipe buffer's chunk after the match, read it all: grep X >/dev/null.
set -o pipefail

: "${JT:?}" "${PROGS:?}" "${T:?}" "${JT_AUX:?}"
LABEL=${LABEL:-?}

# JT_TEST_SLOW=N (default 1): this machine is N times slower than the one
# the waits were written for (an emulated CPU under QEMU's TCG: about 6).
# It multiplies the suite's bounds for a hang, never what a test measures:
# GUARD_SECS, jailtrace's default --timeout, a --timeout of 10 s or more
# that a test gives (a shorter one is what the test is about), wait_until's
# limit and tests/run's TEST_TIMEOUT. slow N prints N times the factor.
JT_TEST_SLOW=${JT_TEST_SLOW:-1}
case $JT_TEST_SLOW in '' | *[!0-9]* | 0) JT_TEST_SLOW=1 ;; esac
slow() { echo $(($1 * JT_TEST_SLOW)); }

# How long one jailtrace or native run may take before the suite kills it.
GUARD_SECS=${GUARD_SECS:-$(slow 20)}

# Sanitizer reports that fail a test when they show up in jailtrace's stderr.
SANITIZER_RE='runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer'

# ---------------------------------------------------------------- failing

LAST_CMD=""
RC=""

fail() {
	{
		echo "$*"
		show_last_run
	} >&2
	exit 1
}

# skip WHY: this test cannot run on this host (a kernel feature is missing).
skip() {
	echo "$*"
	exit 77
}

# needs_i386_programs: this host runs 32-bit (i386) programs, decided by
# running one natively (some x86_64 kernels run none: CONFIG_IA32_EMULATION
# off, or ia32_emulation=0); else the test skips and says why.
# TEST_PRETEND_NO_I386=1 answers "no", to test the skip on a host that has them.
needs_i386_programs() {
	[ -x "$PROGS/hello32" ] || skip "no 32-bit test programs (x86_64 with gcc-multilib only)"
	[ -z "${TEST_PRETEND_NO_I386:-}" ] && [ "$("$PROGS/hello32" 2>/dev/null)" = "hello from i386" ] ||
		skip "this kernel runs no 32-bit programs (natively a 32-bit hello does not run)"
}

# needs_int80: this host runs i386 calls made with int 0x80 from 64-bit
# code, decided by making one natively; else the test skips and says why.
needs_int80() {
	[ -x "$PROGS/int80" ] || skip "int 0x80 is x86_64's"
	# (grep without -q reads to the end: under pipefail, grep -q's early exit
	# could leave int80 a SIGPIPE on its next line, and the pipeline failed)
	[ -z "${TEST_PRETEND_NO_I386:-}" ] && "$PROGS/int80" 2>/dev/null </dev/null | grep -x 'int80 getpid: ok' >/dev/null ||
		skip "this kernel runs no i386 calls (natively int 0x80 from 64-bit code fails)"
}

# needs_proxy: the jailtrace under test can serve proxy rules (the static
# build has no HTTP client: it refuses them, and its doctor says so).
needs_proxy() {
	"$JT" doctor --json 2>/dev/null | jq -e '.proxy == true' >/dev/null ||
		skip "this jailtrace serves no proxy rules ($("$JT" doctor --json 2>/dev/null | jq -r '.proxy_detail // "doctor says no"'))"
}

# Prints the last jailtrace run: command, exit status, start of its output.
show_last_run() {
	[ -n "$LAST_CMD" ] || return 0
	echo "last run: $LAST_CMD"
	echo "  exit status: $RC${GUARD_FIRED:+ (killed by the suite after ${GUARD_SECS}s)}"
	if [ -s "$T/out" ]; then
		echo "  stdout:"
		head -n 8 "$T/out" | cut -c 1-200 | sed 's/^/    /'
	fi
	if [ -s "$T/err" ]; then
		echo "  stderr:"
		head -n 8 "$T/err" | cut -c 1-200 | sed 's/^/    /'
	fi
}

# ---------------------------------------------------------------- running

# run_guarded OUT ERR CMD...: runs CMD with stdout/stderr to files, killing
# it after GUARD_SECS; sets RC and GUARD_FIRED (non-empty when it fired).
run_guarded() {
	local out=$1 err=$2 pid sp which
	shift 2
	GUARD_FIRED=""
	"$@" >"$out" 2>"$err" &
	pid=$!
	sleep "$GUARD_SECS" >/dev/null 2>&1 </dev/null &
	sp=$!
	wait -n -p which "$pid" "$sp" 2>/dev/null
	RC=$?
	if [ "$which" != "$pid" ]; then
		GUARD_FIRED=1
		describe_proc "$pid" >&2
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		RC=$?
	else
		# SIGKILL, never TERM: a guard not yet at its exec is a copy of
		# this shell, whose TERM trap runs _cleanup and kills the victims
		kill -KILL "$sp" 2>/dev/null
		wait "$sp" 2>/dev/null
	fi
	return 0
}

# Fails the test when a sanitizer reported something in FILE.
check_sanitizers() {
	if grep -qE "$SANITIZER_RE" "$1" 2>/dev/null; then
		{
			echo "sanitizer report in jailtrace's stderr:"
			grep -E -A12 "$SANITIZER_RE" "$1" | head -n 30 | cut -c 1-200 | sed 's/^/    /'
		} >&2
		LAST_CMD=""
		fail "jailtrace has a sanitizer report"
	fi
}

# Adds --timeout 10s (JT_DEFAULT_TIMEOUT; times JT_TEST_SLOW) when the
# options (before --) name none, so that no run can hang the suite; a
# --timeout Ns of 10 s or more that they name is multiplied by JT_TEST_SLOW.
_with_default_timeout() {
	local a n=0 given=""
	JT_ARGS=("$@")
	for a in "$@"; do
		[ "$a" = "--" ] && break
		case $a in --timeout | --timeout=*) given=1 ;; esac
		if [ "$JT_TEST_SLOW" != 1 ] && [ $n -gt 0 ] && [ "${JT_ARGS[n - 1]}" = --timeout ] &&
			[[ $a =~ ^([0-9]+)s$ ]] && [ "${BASH_REMATCH[1]}" -ge 10 ]; then
			JT_ARGS[n]=$(slow "${BASH_REMATCH[1]}")s
		fi
		n=$((n + 1))
	done
	[ -n "$given" ] && return
	JT_ARGS=(--timeout "${JT_DEFAULT_TIMEOUT:-$(slow 10)s}" "$@")
}

# jt [OPTIONS] -- PROGRAM [ARGS]: `jailtrace run` with --log $T/log.jsonl,
# --result $T/result.json and (unless given) --timeout 10s. Sets RC; stdout
# and stderr go to $T/out and $T/err.
jt() {
	rm -f "$T/log.jsonl" "$T/result.json"
	jt_plain --log "$T/log.jsonl" --result "$T/result.json" "$@"
}

# The test programs and the test's own directory are shown to the program
# at their host paths (read-only and writable), so tests written before the
# file-system view see the same paths; and the program starts in the jail's
# /work, as it does where no command-line grant shows jailtrace's working
# directory (the grant of $T, the suite's own, would start it in $T).
JT_VIEW=(--ro "$PROGS" --rw "$T" --cwd /work)

# jt_plain [OPTIONS] -- PROGRAM [ARGS]: `jailtrace run` with no added log or
# result file (a --timeout 10s is still added unless given).
jt_plain() {
	_with_default_timeout "${JT_VIEW[@]}" "$@"
	LAST_CMD="jailtrace run ${JT_ARGS[*]}"
	run_guarded "$T/out" "$T/err" "$JT" run "${JT_ARGS[@]}"
	check_sanitizers "$T/err"
	[ -z "$GUARD_FIRED" ] || fail "jailtrace did not end within ${GUARD_SECS}s"
}

# jt_cmd ARGS...: any other jailtrace command line (policy, version...).
jt_cmd() {
	LAST_CMD="jailtrace $*"
	run_guarded "$T/out" "$T/err" "$JT" "$@"
	check_sanitizers "$T/err"
	[ -z "$GUARD_FIRED" ] || fail "jailtrace did not end within ${GUARD_SECS}s"
}

# jt_bg [OPTIONS] -- PROGRAM [ARGS]: starts `jailtrace run` (with log and
# result files, like jt) in the background; JT_PID is jailtrace's own pid.
# Collect it with jt_wait. The test ends such a run (a signal, a file the
# program waits for) or it ends by itself: its default --timeout is 60s, a
# bound for a hang that a busy host's slow start cannot reach before the
# test is done with the run (jt_wait fails it after GUARD_SECS anyway).
jt_bg() {
	rm -f "$T/log.jsonl" "$T/result.json"
	JT_DEFAULT_TIMEOUT=$(slow 60)s _with_default_timeout "${JT_VIEW[@]}" --log "$T/log.jsonl" --result "$T/result.json" "$@"
	LAST_CMD="jailtrace run ${JT_ARGS[*]} (in the background)"
	"$JT" run "${JT_ARGS[@]}" >"$T/out" 2>"$T/err" &
	JT_PID=$!
	JT_BG_LIVE=1
}

# jt_wait: waits (bounded by GUARD_SECS) for the jt_bg run; sets RC.
jt_wait() {
	local i
	GUARD_FIRED=""
	for ((i = 0; i < GUARD_SECS * 50; i++)); do
		is_running "$JT_PID" || break
		sleep 0.02
	done
	if is_running "$JT_PID"; then
		GUARD_FIRED=1
		describe_proc "$JT_PID" >&2
		kill -KILL "$JT_PID" 2>/dev/null
	fi
	wait "$JT_PID" 2>/dev/null
	RC=$?
	JT_BG_LIVE=""
	check_sanitizers "$T/err"
	[ -z "$GUARD_FIRED" ] || fail "jailtrace did not end within ${GUARD_SECS}s"
}

# native CMD...: runs CMD without jailtrace; stdout/stderr to $T/nout and
# $T/nerr, exit status in NRC.
native() {
	local save_rc=$RC save_fired=$GUARD_FIRED
	run_guarded "$T/nout" "$T/nerr" "$@"
	NRC=$RC
	RC=$save_rc
	[ -z "$GUARD_FIRED" ] || { GUARD_FIRED=$save_fired; fail "native run of $* did not end within ${GUARD_SECS}s"; }
	GUARD_FIRED=$save_fired
}

# race_lost WHY: a race's native control never went the host's way (the
# test cannot judge). On a machine declared slow (JT_TEST_SLOW above 1: an
# emulated CPU, where the racing thread may never run beside the caller)
# that is a skip that says so; elsewhere the native control failed.
race_lost() {
	[ "$JT_TEST_SLOW" != 1 ] || native_fail "$*"
	skip "natively the race was never won here (JT_TEST_SLOW=$JT_TEST_SLOW, a slow machine; cannot judge): $*"
}

# native_fail MSG: the native control did not show the attack working, so
# the test cannot tell anything.
native_fail() {
	{
		echo "NATIVE CONTROL FAILED (the test cannot judge jailtrace): $*"
		echo "  native exit status: ${NRC:-}"
		[ -s "$T/nout" ] && { echo "  native stdout:"; head -n 8 "$T/nout" | cut -c 1-200 | sed 's/^/    /'; }
		[ -s "$T/nerr" ] && { echo "  native stderr:"; head -n 8 "$T/nerr" | cut -c 1-200 | sed 's/^/    /'; }
		# a victim gone before the control could harm it: say how it ended
		if [ -n "${VICTIM:-}" ] && ! victim_alive; then
			wait "$VICTIM" 2>/dev/null
			echo "  victim $VICTIM is gone (wait status $?)"
		fi
	} >&2
	LAST_CMD=""
	fail "native control failed"
}

# ---------------------------------------------------------------- expecting

expect_rc() {
	[ "$RC" = "$1" ] || fail "expected exit status $1, got $RC"
}

# expect_out_line TEXT: stdout has a line that is exactly TEXT.
expect_out_line() {
	grep -qxF -- "$1" "$T/out" || fail "expected a stdout line '$1'"
}

# expect_no_out TEXT: TEXT appears nowhere in stdout.
expect_no_out() {
	! grep -qF -- "$1" "$T/out" || fail "stdout must not contain '$1'"
}

# ---------------------------------------------------------------- JSON

# result_field NAME: prints the field of $T/result.json (jq -c; strings raw).
result_field() {
	[ -s "$T/result.json" ] || fail "no result file $T/result.json"
	jq -r --arg k "$1" 'if has($k) then (.[$k] | if type == "string" then . else tojson end) else "<missing>" end' \
		"$T/result.json" 2>/dev/null || fail "result file is not JSON: $(head -c 300 "$T/result.json")"
}

# expect_result NAME VALUE: a result field has VALUE (strings compared raw,
# others as compact JSON, e.g. null, 137).
expect_result() {
	local got
	got=$(result_field "$1") || exit 1
	[ "$got" = "$2" ] || fail "result field $1 is '$got', expected '$2' (result: $(head -c 400 "$T/result.json"))"
}

# expect_jq FILE EXPR...: every jq EXPR evaluates to true on the JSON object
# in FILE (the first one when FILE holds JSON Lines); names
# each one that does not. Environment variables are $ENV.NAME inside EXPR.
expect_jq() {
	local file=$1 e obj bad=()
	shift
	obj=$(jq -c . "$file" 2>/dev/null | head -n 1)
	[ -n "$obj" ] && jq -e 'type == "object"' <<<"$obj" >/dev/null 2>&1 ||
		fail "$file does not hold a JSON object: $(head -c 300 "$file" 2>/dev/null)"
	for e in "$@"; do
		[ "$(jq "$e" <<<"$obj" 2>&1)" = true ] || bad+=("not true: $e")
	done
	[ ${#bad[@]} = 0 ] || fail "$(printf '%s\n' "${bad[@]}")
in: $(head -c 700 <<<"$obj")"
}

# log_select JQ_CONDITION: prints (compact) every log record for which the
# condition holds, e.g. log_select '.type == "syscall" and .name == "kill"'.
# Lines that are not JSON are skipped here (check_log_lines judges them).
log_select() {
	[ -f "$T/log.jsonl" ] || fail "no log file $T/log.jsonl"
	jq -cR "fromjson? | select($1)" "$T/log.jsonl"
}

# log_count JQ_CONDITION: number of records for which the condition holds.
log_count() {
	local out
	out=$(log_select "$1") || exit 1
	[ -z "$out" ] && echo 0 || printf '%s\n' "$out" | wc -l
}

# log_calls JQ_CONDITION [FILE]: number of calls whose syscall records
# match: a record counts once, and a "repeat" record after it (the same
# decision again, counted in place) its count more.
log_calls() {
	local f=${2:-$T/log.jsonl}
	[ -f "$f" ] || fail "no log file $f"
	jq -nR "reduce (inputs | fromjson? | select(type == \"object\")) as \$r ({m: false, n: 0};
		if \$r.type == \"syscall\" then .m = (\$r | $1) | .n += (if .m then 1 else 0 end)
		elif \$r.type == \"repeat\" and .m then .n += \$r.count else . end) | .n" "$f"
}

# expect_log JQ_CONDITION [WHAT]: at least one record matches.
expect_log() {
	local n
	n=$(log_count "$1") || exit 1
	[ "$n" -gt 0 ] || fail "no log record with $1${2:+ ($2)}; log has $(wc -l <"$T/log.jsonl") lines: $(head -c 600 "$T/log.jsonl")"
}

# check_log_lines FILE [cut-tail-ok]: every line is a complete JSON object
# with a known type and that type's documented fields; the file ends with a
# newline. With cut-tail-ok (a log of a jailtrace killed by SIGKILL) the
# last line may be cut: SIGKILL can stop write(2) part way, and the tracee
# never acted on the decision being written (it is resumed only after).
# Prints the problems (at most 10) and returns 1 when there are any.
check_log_lines() {
	/usr/bin/python3 - "$1" "${2:-}" <<'PY'
import json, re, sys
path = sys.argv[1]
cut_tail_ok = sys.argv[2] == "cut-tail-ok"
try:
    data = open(path, "rb").read()
except OSError as e:
    print("cannot read the log: %s" % e)
    sys.exit(1)
problems = []
if not data:
    problems.append("log is empty")
elif not data.endswith(b"\n"):
    if cut_tail_ok:
        data = data[:data.rfind(b"\n") + 1]
    else:
        problems.append("log does not end with a newline (last line cut): %r" % data[-120:])
num = (int, float)
def isint(v): return isinstance(v, int) and not isinstance(v, bool)
def isnum(v): return isinstance(v, num) and not isinstance(v, bool)
def opt(f): return lambda v: v is None or f(v)
def isstr(v): return isinstance(v, str)
schema = {
    "syscall": {"t": isnum, "pid": isint, "tid": isint, "abi": isstr, "nr": isint,
                "name": isstr, "args": lambda v: isinstance(v, list),
                "decision": lambda v: v in ("allow", "deny"), "rule": isstr,
                "errno": opt(isstr)},
    "spawn": {"t": isnum, "pid": isint, "tgid": isint, "parent": isint,
              "kind": lambda v: v in ("fork", "vfork", "clone", "thread")},
    "exec": {"t": isnum, "pid": isint, "exe": isstr, "argv": lambda v: isinstance(v, list)},
    "exit": {"t": isnum, "pid": isint, "tid": isint},
    "limit": {"t": isnum, "limit": lambda v: v in ("timeout", "cpu", "memory", "procs", "output", "log"),
              "value": isnum, "observed": isnum},
    "proxy": {"t": isnum, "method": isstr, "path": isstr, "status": isint,
              "bytes_in": isint, "bytes_out": isint},
    "egress": {"t": isnum, "method": isstr, "port": isint,
               "decision": lambda v: v in ("allow", "deny"), "status": isint,
               "bytes_up": isint, "bytes_down": isint, "duration_ms": isint},
    "run": {"v": isint, "run_id": isstr},
    "repeat": {"t": isnum, "count": lambda v: isint(v) and v >= 1},
    "dropped": {"t": isnum, "records": isint},
    "end": {"t": isnum, "status": isstr, "exit_code": isint},
}
seen = set()
for i, line in enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"), 1):
    try:
        rec = json.loads(line)
    except Exception as e:
        problems.append("line %d is not JSON (%s): %r" % (i, e, line[:200]))
        continue
    if not isinstance(rec, dict):
        problems.append("line %d is not an object" % i); continue
    typ = rec.get("type")
    if typ not in schema:
        problems.append("line %d has unknown type %r" % (i, typ)); continue
    for k, ok in schema[typ].items():
        if k not in rec:
            problems.append("line %d (%s) lacks %r: %s" % (i, typ, k, line[:200].decode(errors="replace")))
        elif not ok(rec[k]):
            problems.append("line %d (%s) has bad %r=%r" % (i, typ, k, rec[k]))
    if typ == "repeat" and not any(t == "syscall" for t in seen):
        problems.append("line %d: a repeat record with no syscall record before it" % i)
    seen.add(typ)
    if typ == "syscall" and "facts" in rec and not isinstance(rec["facts"], dict):
        problems.append("line %d: facts is not an object" % i)
    if typ == "syscall" and rec.get("decision") == "deny" and not rec.get("errno"):
        problems.append("line %d: deny record without errno" % i)
    if typ == "syscall" and rec.get("decision") == "allow" and rec.get("errno") is not None:
        problems.append("line %d: allow record with errno %r" % (i, rec.get("errno")))
    if typ == "exit" and "exit_code" not in rec and "signal" not in rec:
        problems.append("line %d: exit record with neither exit_code nor signal" % i)
for p in problems[:10]:
    print(p)
if len(problems) > 10:
    print("... and %d more problems" % (len(problems) - 10))
sys.exit(1 if problems else 0)
PY
}

# ---------------------------------------------------------------- processes

# proc_start PID: the process's start time (field 22 of /proc/PID/stat);
# with the pid it names one process, whatever pids are reused later.
proc_start() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- $stat
	echo "${20}"
}

# is_zombie PID: the process exists but has ended (Z or X).
is_zombie() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	case ${stat%% *} in Z|X) return 0 ;; esac
	return 1
}

# is_running PID: a process with that pid exists and has not ended (one
# read of /proc, so a reap between two checks cannot confuse it).
is_running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	case ${stat%% *} in Z|X|"") return 1 ;; esac
	return 0
}

# alive PID START: that very process (same start time) exists and has not
# ended.
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- "$1" "$2" $stat
	case $3 in Z|X) return 1 ;; esac
	[ "${22}" = "$2" ]
}

# survivors [MARKER]: pids of live processes whose command line contains
# MARKER (default $T), other than those listed in SURVIVOR_IGNORE.
survivors() {
	local marker=${1:-$T} f pid
	printf '%s\n' "$marker" >"$JT_AUX/marker"
	for f in $(grep -laFf "$JT_AUX/marker" /proc/[0-9]*/cmdline 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		case " $SURVIVOR_IGNORE " in *" $pid "*) continue ;; esac
		is_running "$pid" && echo "$pid"
	done
}

# wait_until SECONDS CMD...: polls CMD every 20 ms until it succeeds;
# returns 1 when SECONDS (times JT_TEST_SLOW) passed without success.
wait_until() {
	local limit=$1 i
	shift
	for ((i = 0; i < ${limit%.*} * JT_TEST_SLOW * 50 + 1; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	"$@"
}

no_survivors() { [ -z "$(survivors "$@")" ]; }

# describe_survivors [MARKER]: ps lines of the survivors, for diagnostics.
describe_survivors() {
	local p
	for p in $(survivors "$@"); do
		echo "    pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | head -c 200)"
	done
}

# describe_proc PID: state of a process that would not end, and of its
# threads and children, for diagnostics.
describe_proc() {
	local t
	echo "process $1 did not end: $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | head -c 160)"
	grep -E '^(State|Threads|SigPnd|ShdPnd|SigBlk|SigIgn|TracerPid):' "/proc/$1/status" 2>/dev/null |
		tr '\n\t' '  ' | sed 's/^/    /'
	echo
	for t in /proc/"$1"/task/*; do
		echo "    task ${t##*/}: state $(cut -d' ' -f3 "$t/stat" 2>/dev/null) wchan $(cat "$t/wchan" 2>/dev/null)"
	done | head -n 8
	ps -o pid,ppid,stat,wchan:24,args --ppid "$1" 2>/dev/null | head -n 8 | cut -c 1-160 | sed 's/^/    /'
}

# ---------------------------------------------------------------- victims

# start_victim [setsid]: starts an outside process (sleep 600, in its own
# process group with setsid) that a test will try to harm; sets VICTIM (pid)
# and VICTIM_START, and waits until it runs sleep (and leads its group).
# It outlives any test (a busy host may stretch one past a minute): the
# test's end kills it.
VICTIMS=()
start_victim() {
	if [ "${1:-}" = setsid ]; then
		setsid sleep 600 </dev/null >/dev/null 2>&1 &
	else
		sleep 600 </dev/null >/dev/null 2>&1 &
	fi
	VICTIM=$!
	wait_until 10 _victim_ready "$VICTIM" "${1:-}" || fail "victim $VICTIM did not start"
	VICTIM_START=$(proc_start "$VICTIM")
	VICTIMS+=("$VICTIM:$VICTIM_START")
}

_victim_ready() {
	local stat comm
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	comm=${stat#*(}
	comm=${comm%%)*}
	[ "$comm" = sleep ] || return 1
	[ "$2" != setsid ] && return 0
	stat=${stat##*) }
	set -- $1 $stat
	[ "$4" = "$1" ]	# pgrp == pid
}

victim_alive() { alive "$VICTIM" "$VICTIM_START"; }

# ---------------------------------------------------------------- listeners

NET_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/tools" && pwd)

# listen NAME KIND ADDRESS: a host listener (tests/tools/listen.py: tcp,
# udp, unix, unix-dgram, abstract-dgram, ...) registered as a victim;
# $(port NAME) is its port (or path), what reached it is in
# $JT_AUX/NAME.rec, one line a connection or datagram.
listen() {
	local name=$1 pid
	/usr/bin/python3 "$NET_TOOLS/listen.py" "$2" "$3" "$JT_AUX/$name.port" "$JT_AUX/$name.rec" \
		</dev/null >"$JT_AUX/$name.log" 2>&1 &
	pid=$!
	wait_until 20 test -s "$JT_AUX/$name.port" || fail "listener $name did not start: $(cat "$JT_AUX/$name.log")"
	VICTIMS+=("$pid:$(proc_start "$pid")")
	touch "$JT_AUX/$name.rec"
	echo "$2 $3" >"$JT_AUX/$name.kind"
}
port() { cat "$JT_AUX/$1.port"; }
reached() { [ -s "$JT_AUX/$1.rec" ]; }
forget() { : >"$JT_AUX/$1.rec"; }

# caught_up NAME: the listener NAME has recorded everything that reached it
# before now, judged by an event, not a guess at its speed: a marker
# (connection or datagram) sent natively now is queued behind whatever came
# before it; once the marker is in the record, so is all that, and the
# marker's lines are taken out again. A datagram that a full queue dropped
# is sent again.
caught_up() {
	local kind addr m i tries=1
	read -r kind addr <"$JT_AUX/$1.kind" || fail "no listener $1"
	case $addr in 0.0.0.0) addr=127.0.0.1 ;; ::) addr=::1 ;; esac
	case $kind in udp | *-dgram) tries=20 ;; esac
	for ((i = 0; i < tries; i++)); do
		m=$(/usr/bin/python3 - "$kind" "$addr" "$(port "$1")" "jt-mark-$$-$1" <<'PY'
import socket, sys
kind, addr, port, mark = sys.argv[1:5]
if kind in ("tcp", "tcp6", "udp"):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    if kind == "udp":
        s.sendto(mark.encode(), (addr, int(port)))
        print(mark)
    else:
        s.connect((addr, int(port)))
        # the peer's port as the record shows it: ('127.0.0.1', P) or ('::1', P, 0, 0)
        print((", %d," if fam == socket.AF_INET6 else ", %d)") % s.getsockname()[1])
else:
    where = port if kind.startswith("unix") else "\0" + port
    if kind.endswith("-dgram"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(mark.encode(), where)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\0" + mark)	# a peer name the record shows
        s.connect(where)
    print(mark)
PY
		) || fail "no marker reached listener $1"
		wait_until $((20 / tries)) grep -qF -- "$m" "$JT_AUX/$1.rec" && break
	done
	grep -qF -- "$m" "$JT_AUX/$1.rec" || fail "listener $1 never recorded its marker"
	grep -vF -- "$m" "$JT_AUX/$1.rec" >"$JT_AUX/$1.rec.tmp"
	mv "$JT_AUX/$1.rec.tmp" "$JT_AUX/$1.rec"
}

# sandbox_ids: UID:GID the program runs as inside: as root the user
# "sandbox" (tracer/internal.h, JT_SANDBOX_UID_DEFAULT), else the test's user.
sandbox_ids() {
	if [ "$(id -u)" = 0 ]; then echo 2100000000:2100000000; else echo "$(id -u):$(id -g)"; fi
}

# hog_every_cpu: a busy loop on each CPU, outside the sandbox; their pids
# in HOGS, killed when the test ends if not before.
HOGS=()
hog_every_cpu() {
	local c pid
	for c in $(seq 0 $(($(nproc) - 1))); do
		taskset -c "$c" /bin/sh -c 'while :; do :; done' &
		pid=$!
		HOGS+=("$pid")
		VICTIMS+=("$pid:$(proc_start "$pid")")
	done
}

# ---------------------------------------------------------------- files

# heartbeat_advances FILE: the counter in FILE changes (within 10 s: a
# live heartbeat changes every 10 ms, but a busy host may not run it for
# seconds).
heartbeat_advances() {
	local a
	a=$(cat "$1" 2>/dev/null)
	wait_until 10 _changed "$1" "$a"
}

# heartbeat_stopped FILE: the counter in FILE stays the same for 0.3 s.
heartbeat_stopped() {
	local a
	a=$(cat "$1" 2>/dev/null)
	sleep 0.3
	[ "$a" = "$(cat "$1" 2>/dev/null)" ]
}

_changed() { [ "$(cat "$1" 2>/dev/null)" != "$2" ]; }

# has_line FILE: FILE exists and ends with a complete line.
has_line() { [ -s "$1" ] && [ -z "$(tail -c1 "$1")" ]; }

# file_mode FILE: permission bits in octal, e.g. 600.
file_mode() { stat -c %a "$1"; }

# ---------------------------------------------------------------- cleanup

_cleanup() {
	local v p
	for v in "${VICTIMS[@]}"; do
		alive "${v%%:*}" "${v##*:}" && kill -KILL "${v%%:*}" 2>/dev/null
	done
	for p in $(survivors); do
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "${JT_BG_LIVE:-}" ] && kill -KILL "$JT_PID" 2>/dev/null
	return 0
}
trap _cleanup EXIT
trap 'exit 143' TERM
