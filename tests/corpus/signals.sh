# Signals, process groups and job control among the program's own processes:
# traps, kill of a child and of a group, timeout, wait, SIGPIPE, alarm.
trap 'echo got USR1' USR1
kill -USR1 $$
sleep 30 & pid=$!; kill -TERM $pid; wait $pid; echo "child status $?"
timeout 0.5 sleep 10; echo "timeout status $?"
timeout -s KILL 0.5 sleep 10; echo "timeout kill status $?"
set -m
(sleep 30; echo never) & a=$!
(sleep 30; echo never) &
kill -- -$!; wait $!; echo "group status $?"
kill -- -$a; wait $a; echo "first group status $?"
set +m
( trap 'echo sub got HUP; exit 3' HUP; kill -HUP $BASHPID; sleep 1 ); echo "sub status $?"
yes | head -n 2; echo "pipe status ${PIPESTATUS[*]}"
python3 - <<'PY'
import os, signal, subprocess, time
signal.signal(signal.SIGALRM, lambda s, f: print("alarm"))
signal.setitimer(signal.ITIMER_REAL, 0.05); time.sleep(0.3)
p = subprocess.Popen(["sleep", "30"], start_new_session=True)
print("own session", os.getsid(p.pid) == p.pid)
os.killpg(p.pid, signal.SIGTERM); print("killpg", p.wait())
r, w = os.pipe(); pid = os.fork()
if pid == 0:
    os.close(r); signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
    os.write(w, b"x"); sig = signal.sigwait([signal.SIGUSR2]); os._exit(sig)
os.close(w); os.read(r, 1); os.kill(pid, signal.SIGUSR2)
print("sigwait child", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PY
