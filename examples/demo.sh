#!/usr/bin/env bash
# examples/demo.sh JAILTRACE
#
# Runs examples/untrusted.py -- over-helpful, model-written-style Python code
# -- under jailtrace, then tells the story from the program's output and the
# audit log, and answers the checklist yes/no:
#   secrets: not in its environment   network: denied
#   other processes: not signalled     compute: limit hit, exit 137
#   nothing left running
# and says plainly that the file system is not confined yet.
# Exit status 0 when every answer is "yes", 1 when one is "no", 2 when the
# demo itself cannot run. `make demo` runs it; it doubles as a smoke test.
#
# Needs: bash, jq, /usr/bin/python3 (Debian's; the sandbox's PATH is
# /usr/local/bin:/usr/bin:/bin). Downloads nothing. Takes a second or two.

# shellcheck disable=SC2317 # the check_* functions are called through row()
set -u -o pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 JAILTRACE" >&2
	exit 2
fi
JT=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=$HERE/untrusted.py
PY=/usr/bin/python3
MEMORY=200M
TIMEOUT=20s

for need in "$JT" "$PY"; do
	if [ ! -x "$need" ]; then
		echo "demo: $need: not found or not executable" >&2
		exit 2
	fi
done
if ! command -v jq >/dev/null 2>&1; then
	echo "demo: jq is needed (apt-get install jq)" >&2
	exit 2
fi
[ -r "$SCRIPT" ] || { echo "demo: $SCRIPT: missing" >&2; exit 2; }

# ------------------------------------------------------------------ output
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
	B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'
else
	B='' D='' G='' R='' N=''
fi
head1() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '%s\n' "$*"; }

# ------------------------------------------------------------------ setup
START_NS=$(date +%s%N)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jailtrace-demo.XXXXXX") || exit 2
LOG=$WORK/audit.jsonl
OUT=$WORK/output
SLEEP_PID=""
cleanup() {
	[ -n "$SLEEP_PID" ] && kill "$SLEEP_PID" 2>/dev/null && wait "$SLEEP_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A host process the program has no business touching.
sleep 300 >/dev/null 2>&1 &
SLEEP_PID=$!

# Fake secrets, in the host environment that jailtrace itself runs in.
rnd() { od -An -N6 -tx1 /dev/urandom | tr -d ' \n'; }
OPENAI_API_KEY="sk-demo-FAKE-$(rnd)-not-a-real-key"
AWS_ACCESS_KEY_ID="AKIADEMOFAKE0000000"
AWS_SECRET_ACCESS_KEY="demoFAKEsecret/$(rnd)/notreal"
export OPENAI_API_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
# ... and a fake credentials file on the host, readable by this user.
CREDS="$WORK/aws-credentials"
printf '[default]\naws_secret_access_key = %s\n' "$AWS_SECRET_ACCESS_KEY" >"$CREDS"
chmod 644 "$CREDS"

# A marker unique to this run: every process of the run carries it in its
# command line (the script forks without exec), so survivors can be found.
TASK=demo-$$-$RANDOM$RANDOM

say "${B}jailtrace demo: model-written code, run in the sandbox${N}"
say "The code (examples/untrusted.py) is what an over-helpful assistant writes:"
say "it looks for API keys, calls the network, \"cleans up\" a process that is"
say "not its own, starts a detached background job, then retries forever while"
say "buffering every attempt. The host it runs on has, for this demo:"
say "  OPENAI_API_KEY=${OPENAI_API_KEY:0:13}...  AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:0:15}...  (fake)"
say "  a credentials file: $CREDS (readable: $(wc -c <"$CREDS") bytes)"
say "  a process of its own: sleep 300, pid $SLEEP_PID"

# ------------------------------------------------------------------ run
head1 "1. The command"
CMD=("$JT" run --memory "$MEMORY" --timeout "$TIMEOUT" --log "$LOG" --ro "$SCRIPT:/work/untrusted.py"
	-- "$PY" -u /work/untrusted.py --stale-pid "$SLEEP_PID" --task "$TASK" --creds-file "$CREDS")
say "  \$ $JT run --memory $MEMORY --timeout $TIMEOUT --log $LOG \\"
say "        --ro $SCRIPT:/work/untrusted.py \\"
say "        -- $PY -u /work/untrusted.py \\"
say "        --stale-pid $SLEEP_PID --task $TASK --creds-file $CREDS"
say "  ${D}(no --env: the program gets PATH, HOME, LANG, TERM and nothing else;${N}"
say "  ${D} --ro shows it the script; the rest of the host is not in its view)${N}"

head1 "2. What the program printed (relayed by jailtrace; its summary line last)"
# The guard only matters if jailtrace itself hangs; --timeout ends the program.
timeout -k 5 40 "${CMD[@]}" </dev/null >"$OUT" 2>&1
RC=$?
sed 's/^/  | /' "$OUT"
say "  jailtrace exit status: $RC"

# ------------------------------------------------------------------ log
head1 "3. What the audit log recorded (jq on $(basename "$LOG"))"
LOG_OK=1
if [ ! -s "$LOG" ] || ! jq -e . "$LOG" >/dev/null 2>&1; then
	LOG_OK=""
	say "  ${R}the audit log is missing, empty or not valid JSON Lines${N}"
else
	NDENY=$(jq -s '[.[] | select(.type=="syscall" and .decision=="deny")] | length' "$LOG")
	say "  denials ($NDENY):"
	jq -r 'select(.type=="syscall" and .decision=="deny")
		| "    t=\(.t * 1000 | floor)ms pid \(.pid) \(.name)(\(.args | map(if type=="string" then . else tojson end) | join(", ")))"
		  + " -> \(.errno)   rule \(.rule)"
		  + (if .facts then "   \(.facts | to_entries | map("\(.key)=\(.value)") | join(" "))" else "" end)' \
		"$LOG" 2>/dev/null
	say "  ${D}(the network: the connect to 1.1.1.1:443 found no network, and the DNS lookup"
	say "  urllib needs for example.com could make no UDP socket; unix sockets would have worked.)${N}"
	say "  limit:"
	jq -r 'def mib: . / 1048576 | floor | "\(.) MiB";
		select(.type=="limit")
		| "    t=\(.t * 1000 | floor)ms \(.limit): observed \(.observed) > limit \(.value)"
		  + (if .limit == "memory" then " bytes (\(.observed | mib) > \(.value | mib))" else "" end)' \
		"$LOG" 2>/dev/null
	say "  processes: $(jq -s -r '[.[] | select(.type=="spawn")] | length' "$LOG" 2>/dev/null) started; ended:" \
		"$(jq -s -r '[.[] | select(.type=="exit") | (.signal // "exit \(.exit_code)")] | group_by(.) | map("\(length) by \(.[0])") | join(", ")' "$LOG" 2>/dev/null)"
	say "  end:"
	jq -r 'select(.type=="end")
		| "    status \(.status), exit_code \(.exit_code), signal \(.signal_name // "none"),"
		  + " \(.wall_ms) ms wall, \(.cpu_ms) ms cpu, peak \(.peak_memory_kb / 1024 | floor) MiB, \(.denials) denials",
		  "    message: \(.message // "none")"' "$LOG" 2>/dev/null
fi

# ------------------------------------------------------------------ checks
# Each check sets WHY (the evidence) and returns 0 for yes, 1 for no.
q() { [ -n "$LOG_OK" ] && jq -s -r "$1" "$LOG" 2>/dev/null; }

check_secrets() {
	local leaked="" name
	for name in OPENAI_API_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
		grep -qx "    $name: not set" "$OUT" || leaked="$leaked $name"
	done
	if [ -n "$leaked" ]; then
		WHY="the program did not report 'not set' for:$leaked"; return 1
	fi
	if grep -qF -e "$OPENAI_API_KEY" -e "$AWS_SECRET_ACCESS_KEY" -e "$AWS_ACCESS_KEY_ID" "$OUT" "$LOG" \
		|| grep -qE 'OPENAI|AWS_' <(grep 'environment has' "$OUT"); then
		WHY="a secret value or name shows up in the output or the log"; return 1
	fi
	WHY="the program saw only $(grep -o 'environment has.*' "$OUT" | sed 's/environment has //')"
}

check_network() {
	local denied allowed
	denied=$(q '[.[] | select(.type=="syscall" and .decision=="deny" and .facts.addr=="tcp 1.1.1.1:443"
		and .errno=="ENETUNREACH")] | length')
	allowed=$(q '[.[] | select(.type=="syscall" and .decision=="allow" and .facts.addr != null)] | length')
	if ! grep -q 'socket to 1.1.1.1:443 failed: .*Network is unreachable' "$OUT"; then
		WHY="the program's connection to 1.1.1.1:443 did not fail with ENETUNREACH"; return 1
	fi
	if ! grep -q 'GET http://example.com/ failed' "$OUT"; then
		WHY="the program's GET http://example.com/ did not fail"; return 1
	fi
	if [ "${denied:-0}" -lt 1 ] || [ "${allowed:-1}" != 0 ]; then
		WHY="log: ${denied:-?} connect to 1.1.1.1:443 denied, ${allowed:-?} network calls allowed"; return 1
	fi
	WHY="connect to 1.1.1.1:443 denied (ENETUNREACH, logged with its address), nothing allowed; the GET failed too"
}

check_processes() {
	local denied
	denied=$(q "[.[] | select(.type==\"syscall\" and .name==\"kill\" and .decision==\"deny\"
		and .args[0]==$SLEEP_PID and .errno==\"EPERM\")] | length")
	if ! kill -0 "$SLEEP_PID" 2>/dev/null || [ "$(cat "/proc/$SLEEP_PID/comm" 2>/dev/null)" != sleep ]; then
		WHY="the host's sleep (pid $SLEEP_PID) is gone"; return 1
	fi
	if ! grep -q "could not stop $SLEEP_PID: .*Operation not permitted" "$OUT" || [ "${denied:-0}" -lt 1 ]; then
		WHY="the kill of pid $SLEEP_PID was not refused with EPERM (program output / log)"; return 1
	fi
	WHY="kill($SLEEP_PID, SIGTERM) got EPERM; checked from the host: sleep $SLEEP_PID is still alive"
}

check_compute() {
	local status limit
	status=$(q '[.[] | select(.type=="end")][0].status // "no end record"')
	limit=$(q '[.[] | select(.type=="limit")][0].limit // "none"')
	status=${status:-no end record} limit=${limit:-none}
	if [ "$RC" != 137 ] || [ "$status" != memory_limit ] || [ "$limit" != memory ]; then
		WHY="exit $RC, end status '$status', limit record '$limit' (wanted 137, memory_limit, memory)"; return 1
	fi
	WHY="--memory $MEMORY ended the run: status $status, exit $RC"
}

# A process of the run that still exists and is not a zombie.
alive() {
	local st
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

check_leftovers() {
	local pids pid left="" n=0 f worker
	worker=$(sed -n 's/.*refresher running as pid \([0-9]*\).*/\1/p' "$OUT")
	pids=$( { q '.[] | select(.type=="spawn") | .pid'; echo "$worker"; } | sort -un)
	for pid in $pids; do
		n=$((n + 1))
		# Only a process that still carries this run's marker counts: a
		# number reused by an unrelated process does not.
		if alive "$pid" && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$TASK"; then
			left="$left $pid"
		fi
	done
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}; pid=${pid%/cmdline}
		[ "$pid" = $$ ] && continue
		if tr '\0' ' ' 2>/dev/null <"$f" | grep -qF -- "--task $TASK" && alive "$pid"; then
			case " $left " in *" $pid "*) ;; *) left="$left $pid" ;; esac
		fi
	done
	if [ -n "$left" ]; then
		LEFTOVERS=$left
		WHY="still running:$left (the demo kills them now)"; return 1
	fi
	if [ -z "$worker" ]; then
		WHY="the program never reported its background refresher"; return 1
	fi
	WHY="none of the $n processes of the run is alive, including the detached refresher (pid $worker)"
}

check_files() {
	# judged from the host: the file is there and readable, yet the program never saw it
	if [ ! -r "$CREDS" ]; then
		WHY="the credentials file is not readable on the host: the check cannot judge"; return 1
	fi
	if grep -q "read [0-9]* bytes" "$OUT"; then
		WHY="the program read a file: $(grep 'read [0-9]* bytes' "$OUT" | head -1)"; return 1
	fi
	if ! grep -qF "$CREDS: No such file or directory" "$OUT"; then
		WHY="the program did not get ENOENT for $CREDS"; return 1
	fi
	if [ "$(q '[.[] | select(.type=="syscall" and .decision=="deny" and .facts.path=="/etc/shadow")] | length')" = 0 ]; then
		WHY="no denial of /etc/shadow in the log"; return 1
	fi
	WHY="$CREDS (inside, /tmp is the jail's own), /root/.aws, /root/.ssh, /etc/shadow: \"No such file or directory\""
}

head1 "4. Checklist"
FAILED=0
LEFTOVERS=""
row() {
	local label=$1 fn=$2
	WHY=""
	if "$fn"; then
		printf '  %s[yes]%s %s\n' "$G" "$N" "$label"
	else
		printf '  %s[NO]%s  %s\n' "$R" "$N" "$label"
		FAILED=$((FAILED + 1))
	fi
	printf '        %s\n' "$WHY"
}
row "secrets: not in its environment" check_secrets
row "files: credentials outside its view do not exist for it" check_files
row "network: denied" check_network
row "other processes: not signalled (host sleep alive)" check_processes
row "compute: limit hit, exit 137" check_compute
row "nothing left running" check_leftovers

ELAPSED=$((($(date +%s%N) - START_NS) / 1000000))
if [ "$FAILED" = 0 ]; then
	say ""
	say "${G}${B}All 6 checks passed${N} (demo took ${ELAPSED} ms)."
	exit 0
fi
say ""
say "${R}${B}$FAILED of 6 checks failed${N} (demo took ${ELAPSED} ms). Output and audit log kept in $WORK"
trap - EXIT
[ -n "$SLEEP_PID" ] && kill "$SLEEP_PID" 2>/dev/null
# shellcheck disable=SC2086 # a list of pids
[ -n "$LEFTOVERS" ] && kill -KILL $LEFTOVERS 2>/dev/null
exit 1
