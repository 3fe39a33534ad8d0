# The Slurm SPANK plugin (slurm/, docs/slurm.md) on a real single-node
# Slurm: munge, slurmctld and slurmd from Debian's packages, configured in a
# temporary directory on loopback ports, started by each test (about 4 s)
# and stopped at its end. Jobs run as the unprivileged user jtuser.
# 29 to 38 s for the file's 7 tests on this 2-CPU machine.
# passes: root

SLURM_SO=$(dirname "$JT")/slurm/jailtrace.so

# slurm_up [PLUGIN ARGS...]: a cluster whose plugstack.conf loads the
# plugin with these arguments (none: opt-in, --jailtrace asks).
slurm_up() {
	command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null &&
		command -v srun >/dev/null || skip "no Slurm here (Debian: munge slurmctld slurmd slurm-client)"
	[ -f "$SLURM_SO" ] || skip "the plugin was not built (make slurm: needs libslurm-dev)"
	id jtuser >/dev/null 2>&1 || skip "no user jtuser (tests/run makes it)"
	S=$(mktemp -d /tmp/jt-slurm.XXXXXX) && chmod 755 "$S" || fail "mktemp"
	mkdir -p "$S/munge" "$S/state" "$S/spool" "$S/log" "$S/jtlog" "$S/data" && chmod 700 "$S/jtlog"
	head -c 1024 /dev/urandom >"$S/munge/key" && chmod 400 "$S/munge/key"
	trap 'slurm_down; _cleanup' EXIT
	munged --key-file="$S/munge/key" --socket="$S/munge/sock" --pid-file="$S/munge/pid" \
		--log-file="$S/munge/log" --seed-file="$S/munge/seed" || fail "munged did not start"
	chmod 755 "$S/munge"
	# two free ports below the ephemeral range, so that no connection of
	# the previous test's daemons can hold one
	read -r P1 P2 < <(python3 -c 'import random, socket
while True:
    p = random.randrange(10000, 30000, 2)
    try:
        ss = [socket.socket() for _ in range(2)]
        [s.bind(("127.0.0.1", q)) for s, q in zip(ss, (p, p + 1))]
        print(p, p + 1); break
    except OSError:
        pass')
	cat >"$S/slurm.conf" <<-EOF
	ClusterName=jt
	SlurmctldHost=localhost
	SlurmctldPort=$P1
	SlurmdPort=$P2
	AuthType=auth/munge
	AuthInfo=socket=$S/munge/sock
	CredType=cred/munge
	SlurmUser=root
	StateSaveLocation=$S/state
	SlurmdSpoolDir=$S/spool
	SlurmctldPidFile=$S/ctld.pid
	SlurmdPidFile=$S/d.pid
	SlurmctldLogFile=$S/log/ctld.log
	SlurmdLogFile=$S/log/d.log
	ProctrackType=proctrack/linuxproc
	TaskPlugin=task/none
	SelectType=select/cons_tres
	SelectTypeParameters=CR_CPU
	MpiDefault=none
	JobAcctGatherType=jobacct_gather/none
	AccountingStorageType=accounting_storage/none
	ReturnToService=2
	SlurmdParameters=config_overrides
	PlugStackConfig=$S/plugstack.conf
	NodeName=localhost NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
	PartitionName=p Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
	EOF
	echo "required $SLURM_SO jailtrace=$JT logdir=$S/jtlog datadir=$S/data $*" >"$S/plugstack.conf"
	export SLURM_CONF=$S/slurm.conf
	slurmctld -c -f "$SLURM_CONF" || fail "slurmctld did not start"
	slurmd -N localhost -f "$SLURM_CONF" || fail "slurmd did not start"
	wait_until 30 slurm_idle || fail "the node did not come up: $(tail -n 5 "$S/log/d.log" "$S/log/ctld.log")"
}
slurm_idle() { sinfo -h -o %t 2>/dev/null | grep -qx idle; }
# Steps end first (each slurmstepd removes its socket in the spool
# directory when it is done reporting), then the daemons; the tree goes
# when the last of them has.
slurm_down() {
	local f pids=""
	[ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null
	wait_until 20 no_steps
	for f in "$S/d.pid" "$S/ctld.pid" "$S/munge/pid"; do
		[ -s "$f" ] && pids="$pids $(cat "$f")"
	done
	for f in $pids; do kill "$f" 2>/dev/null; done
	wait_until 10 gone $pids || kill -KILL $pids 2>/dev/null
	rm -rf "$S"
}
no_steps() { ! ls "$S/spool" 2>/dev/null | grep -q '_[0-9]'; }
gone() { local p; for p; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }

# as_user CMD...: CMD as jtuser (srun and sbatch run as the job's user)
as_user() { cd "$S" && timeout "$(slow 60)" runuser -u jtuser -- env SLURM_CONF="$SLURM_CONF" "$@"; }

# A secret of the host's that jtuser may read, and a listener on loopback
# that counts connections: what a task reaches natively.
secret_and_listener() {
	SECRET="jt-secret-$RANDOM$RANDOM"
	echo "$SECRET" >"$S/secret" && chmod 644 "$S/secret"
	: >"$S/accepts"
	python3 -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".port", "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); open(sys.argv[1], "a").write("x\n"); c.close()' "$S/accepts" &
	LISTENER=$!
	wait_until 10 test -s "$S/accepts.port" || fail "listener"
	LPORT=$(cat "$S/accepts.port")
	TRY="cat $S/secret; python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $LPORT), 5); print(\"connected\")'"
}

t_slurm_every_task_is_denied_the_secret_and_the_network() {
	slurm_up
	secret_and_listener
	# native control: the same step without --jailtrace reads and connects in every task
	as_user srun -n4 -l sh -c "$TRY" >"$S/native.out" 2>&1
	n=$(grep -c "$SECRET" "$S/native.out")
	c=$(grep -c connected "$S/native.out")
	[ "$n" = 4 ] && [ "$c" = 4 ] && [ "$(wc -l <"$S/accepts")" = 4 ] ||
		fail "NATIVE CONTROL FAILED: $n secrets, $c connections: $(cat "$S/native.out")"
	: >"$S/accepts"
	as_user srun -n4 -l --jailtrace sh -c "$TRY" >"$S/jt.out" 2>&1
	grep -q "$SECRET" "$S/jt.out" && fail "a task read the secret: $(cat "$S/jt.out")"
	grep -q connected "$S/jt.out" && fail "a task connected: $(cat "$S/jt.out")"
	[ -s "$S/accepts" ] && fail "the listener was reached $(wc -l <"$S/accepts") times"
	for t in 0 1 2 3; do
		grep -q "^$t: jailtrace: exited" "$S/jt.out" || fail "task $t did not run under jailtrace: $(cat "$S/jt.out")"
	done
	# each task had a jail of its own, and it is gone with the task
	[ "$(stat -c %U "$S/data/jails/jtuser")" = jtuser ] || fail "the user's jail directory is not theirs"
	[ -z "$(ls -A "$S/data/jails/jtuser")" ] || fail "jails left: $(ls "$S/data/jails/jtuser")"
	kill "$LISTENER"
}

t_slurm_exit_statuses_pass_through() {
	slurm_up
	prog='echo rank $SLURM_PROCID; exit $((10 + SLURM_PROCID))'
	as_user srun -n4 -l sh -c "$prog" >"$S/native.out" 2>&1
	native=$?
	as_user srun -n4 -l --jailtrace sh -c "$prog" >"$S/jt.out" 2>&1
	got=$?
	[ "$native" = 13 ] || fail "NATIVE CONTROL FAILED: srun exited $native: $(cat "$S/native.out")"
	[ "$got" = "$native" ] || fail "srun exited $got under jailtrace, $native natively: $(cat "$S/jt.out")"
	for t in 0 1 2 3; do
		grep -q "^$t: rank $t\$" "$S/jt.out" || fail "task $t's output is missing: $(cat "$S/jt.out")"
		grep -q "^$t: jailtrace: exited $((10 + t));" "$S/jt.out" || fail "task $t: $(cat "$S/jt.out")"
	done
}

t_slurm_each_task_has_a_log_its_user_cannot_touch() {
	slurm_up
	as_user srun -n4 --jailtrace sh -c 'cat /etc/shadow' >"$S/jt.out" 2>&1
	job=$(ls "$S/jtlog" | sed -n 's/^\([0-9]*\)\.0\.0\.jsonl$/\1/p')
	[ -n "$job" ] || fail "no log of task 0 in $(ls "$S/jtlog")"
	for t in 0 1 2 3; do
		f="$S/jtlog/$job.0.$t.jsonl"
		[ -f "$f" ] || fail "no log $f"
		[ "$(stat -c '%U %a' "$f")" = "root 600" ] || fail "$f: $(stat -c '%U %a' "$f")"
		jq -s -e 'any(.[]; .type == "end")' "$f" >/dev/null || fail "$f has no end record"
		"$JT" report "$f" | grep -q 'cat /etc/shadow' || fail "the report of $f does not name the program"
	done
	# the job's report names every task, and the denial they all had
	"$JT" report "$S"/jtlog/"$job".0.*.jsonl >"$S/report" || fail "jailtrace report failed: $(cat "$S/report")"
	for t in 0 1 2 3; do
		grep -q "^  $job\.0\.$t  *exited with status 1" "$S/report" || fail "task $t is not in the report: $(cat "$S/report")"
	done
	grep -q '4/4 tasks .* /etc/shadow' "$S/report" || fail "the shared denial is not named: $(cat "$S/report")"
	# control: jtuser appends to and removes a file of theirs as the test does below
	cp "$S/jtlog/$job.0.0.jsonl" "$S/own.jsonl" && chown jtuser "$S/own.jsonl" && chmod 600 "$S/own.jsonl"
	chmod 777 "$S"
	as_user sh -c "echo forged >>$S/own.jsonl && rm $S/own.jsonl" ||
		fail "NATIVE CONTROL FAILED: jtuser cannot change a file of their own"
	chmod 755 "$S"
	before=$(md5sum "$S/jtlog/$job.0.0.jsonl")
	as_user sh -c "echo forged >>$S/jtlog/$job.0.0.jsonl" 2>/dev/null && fail "jtuser appended to the log"
	as_user rm -f "$S/jtlog/$job.0.0.jsonl" 2>/dev/null
	[ "$(md5sum "$S/jtlog/$job.0.0.jsonl" 2>/dev/null)" = "$before" ] || fail "the log changed or went"
}

t_slurm_enforce_wraps_a_job_that_did_not_ask_and_stays_on() {
	slurm_up enforce
	secret_and_listener
	# nothing the user sets turns it off: no option of theirs asks, their
	# environment has jailtrace's and the plugin's variables
	as_user env JAILTRACE_DISABLE=seccomp SPANK_JAILTRACE=0 JAILTRACE=0 \
		srun -n2 -l --export=ALL sh -c "$TRY" >"$S/jt.out" 2>&1
	grep -q "$SECRET" "$S/jt.out" && fail "a task read the secret: $(cat "$S/jt.out")"
	[ -s "$S/accepts" ] && fail "the listener was reached"
	grep -c ': jailtrace: exited' "$S/jt.out" | grep -qx 2 || fail "not every task under jailtrace: $(cat "$S/jt.out")"
	# a policy of the user's own that widens the site's is refused in one
	# line naming its line, not a way out
	printf 'include default\nro /\n' >"$S/wide.policy" && chmod 644 "$S/wide.policy"
	as_user srun -n1 --jailtrace="$S/wide.policy" sh -c "$TRY" >"$S/wide.out" 2>&1
	rc=$?
	grep -q "$SECRET" "$S/wide.out" && fail "the user's policy widened the site's: $(cat "$S/wide.out")"
	[ "$rc" = 125 ] || fail "srun exited $rc with a wider policy of the user's in enforce mode: $(cat "$S/wide.out")"
	grep -q "jailtrace: the policy is not within default: $S/wide.policy:2: ro /:/" "$S/wide.out" ||
		fail "no reason naming the line given: $(cat "$S/wide.out")"
	kill "$LISTENER"
	# a stricter one is applied: under the site's policy uname works, under
	# the user's, which denies it, it does not
	printf 'include default\ndeny uname\n' >"$S/strict.policy" && chmod 644 "$S/strict.policy"
	as_user srun -n1 --jailtrace sh -c 'uname -s; echo "rc=$?"' >"$S/site.out" 2>&1
	grep -qx 'rc=0' "$S/site.out" && grep -qx Linux "$S/site.out" ||
		fail "CONTROL FAILED: uname under the site's policy: $(cat "$S/site.out")"
	as_user srun -n1 --jailtrace="$S/strict.policy" sh -c 'uname -s; echo "rc=$?"' >"$S/strict.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] || fail "srun exited $rc with a stricter policy of the user's: $(cat "$S/strict.out")"
	grep -qx 'rc=1' "$S/strict.out" && grep -q 'uname: cannot get system name' "$S/strict.out" ||
		fail "the user's stricter policy was not applied: $(cat "$S/strict.out")"
	grep -q 'jailtrace: exited 0' "$S/strict.out" || fail "not under jailtrace: $(cat "$S/strict.out")"
	# control: the same cluster without the plugin reads the secret
	echo -n >"$S/plugstack.conf"
	as_user srun -n2 -l sh -c "$TRY" >"$S/native.out" 2>&1
	[ "$(grep -c "$SECRET" "$S/native.out")" = 2 ] || fail "NATIVE CONTROL FAILED: $(cat "$S/native.out")"
}

t_slurm_sbatch_runs_the_batch_script_under_jailtrace() {
	slurm_up
	secret_and_listener
	kill "$LISTENER"
	mkdir "$S/out" && chown jtuser "$S/out"	# where the job writes its output
	# native control: the same batch job without --jailtrace reads the secret
	as_user sbatch --wait -o "$S/out/native.out" --wrap "cat $S/secret; exit 4" >/dev/null 2>&1
	grep -q "$SECRET" "$S/out/native.out" || fail "NATIVE CONTROL FAILED: $(cat "$S/out/native.out")"
	as_user sbatch --wait -o "$S/out/jt.out" --jailtrace --wrap "cat $S/secret; exit 4" >"$S/sbatch.out" 2>&1
	rc=$?
	grep -q "$SECRET" "$S/out/jt.out" && fail "the batch script read the secret: $(cat "$S/out/jt.out")"
	grep -q '^jailtrace: exited 4;' "$S/out/jt.out" || fail "not under jailtrace: $(cat "$S/out/jt.out" "$S/sbatch.out")"
	[ "$rc" = 4 ] || fail "sbatch --wait exited $rc, the script 4"
	ls "$S/jtlog" | grep -q '^[0-9]*\.batch\.0\.jsonl$' || fail "no log of the batch step: $(ls "$S/jtlog")"
}

t_slurm_keep_leaves_each_tasks_jail_with_its_outputs() {
	slurm_up
	as_user srun -n2 -l --jailtrace --jailtrace-keep=/work sh -c 'echo out $SLURM_PROCID >/work/result' \
		>"$S/jt.out" 2>&1 || fail "the step failed: $(cat "$S/jt.out")"
	for t in 0 1; do
		j=$(ls -d "$S"/data/jails/jtuser/*.0."$t" 2>/dev/null)
		[ -n "$j" ] || fail "task $t's jail is gone: $(ls -R "$S/data")"
		[ "$(cat "$j/work/result")" = "out $t" ] || fail "task $t's output: $(cat "$j/work/result")"
		[ "$(stat -c %U "$j/work/result")" = jtuser ] || fail "task $t's output is not the user's"
		grep -q "^$t: jailtrace: task $t keeps its jail (/work) at $j" "$S/jt.out" ||
			fail "task $t does not say where: $(cat "$S/jt.out")"
	done
}

t_slurm_a_limit_ends_the_task_visibly_to_slurm() {
	slurm_up
	printf 'include default\nlimit procs 4\n' >"$S/lim.policy" && chmod 644 "$S/lim.policy"
	prog='for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait; echo all done'
	# control: natively the step's eight processes run and it ends well
	as_user srun -n1 sh -c "$prog" >"$S/native.out" 2>&1 ||
		fail "NATIVE CONTROL FAILED: $(cat "$S/native.out")"
	grep -qx 'all done' "$S/native.out" || fail "NATIVE CONTROL FAILED: $(cat "$S/native.out")"
	as_user srun -n1 --jailtrace="$S/lim.policy" sh -c "$prog" >"$S/jt.out" 2>&1
	rc=$?
	[ "$rc" = 137 ] || fail "srun exited $rc: $(cat "$S/jt.out")"
	grep -q 'all done' "$S/jt.out" && fail "the limit did not end the task"
	[ "$(grep -c 'jailtrace: .*--procs 4' "$S/jt.out")" = 1 ] || fail "the reason is not one line: $(cat "$S/jt.out")"
	grep -q 'task 0: Exited with exit code 137' "$S/jt.out" || fail "Slurm does not report it: $(cat "$S/jt.out")"
}
