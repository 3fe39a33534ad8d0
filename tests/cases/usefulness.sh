# Usefulness: ordinary programs run inside as they do outside.

t_python_program_runs_normally() {
	prog='import json, statistics, collections
words = "the cat and the hat and the bat".split()
print(json.dumps({"mean": statistics.mean([1, 2, 3, 4]),
                  "top": collections.Counter(words).most_common(1)}, sort_keys=True))'
	native /usr/bin/python3 -c "$prog"
	jt -- /usr/bin/python3 -c "$prog"
	expect_rc 0
	[ -s "$T/nout" ] && cmp -s "$T/out" "$T/nout" || fail "output differs from native: $(head -c 300 "$T/nout")"
	expect_out_line '{"mean": 2.5, "top": [["the", 3]]}'
}

t_python_thread_pool_runs_normally() {
	prog='from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(4) as ex:
    print(sum(ex.map(lambda n: n * n, range(100))))'
	jt -- /usr/bin/python3 -c "$prog"
	expect_rc 0
	expect_out_line 328350
}

t_shell_pipeline_works() {
	jt -- /bin/sh -c 'printf "b\na\nc\n" | sort | tr a-z A-Z | head -n 2'
	expect_rc 0
	[ "$(cat "$T/out")" = "A
B" ] || fail "pipeline output is wrong"
}

t_stdout_and_stderr_are_relayed_to_their_own_streams() {
	jt --quiet -- /bin/sh -c 'echo to-out; echo to-err >&2'
	expect_rc 0
	[ "$(cat "$T/out")" = to-out ] || fail "stdout is not exactly 'to-out'"
	[ "$(cat "$T/err")" = to-err ] || fail "stderr is not exactly 'to-err'"
}

t_all_output_under_the_cap_reaches_the_host() {
	jt --quiet -- "$PROGS/flood" 3000000 1000000
	expect_rc 0
	out=$(tr -cd x <"$T/out" | wc -c)
	err=$(tr -cd x <"$T/err" | wc -c)
	[ "$out" = 3000000 ] && [ "$err" = 1000000 ] || fail "host received $out bytes on stdout (3000000 written), $err on stderr (1000000 written)"
}

# usefulness_same PROGRAM: runs the python PROGRAM natively (in an empty
# directory) and inside (cwd /work); the output and status must agree.
usefulness_same() {
	mkdir -p "$T/nat"
	printf '%s\n' "$1" >"$T/prog.py"
	native env -C "$T/nat" /usr/bin/python3 "$T/prog.py"
	[ "$NRC" = 0 ] || native_fail "the program fails natively"
	jt --quiet -- /usr/bin/python3 "$T/prog.py"
	[ "$RC" = "$NRC" ] && cmp -s "$T/out" "$T/nout" ||
		fail "inside differs from native (exit $RC, native $NRC): $(diff "$T/nout" "$T/out" | head -n 12)"
}

# A tree deeper than PATH_MAX, made one chdir at a time, and removed by
# shutil.rmtree, which goes by directory descriptors: the tracer names such a
# descriptor by walking up, and keeps a cwd longer than PATH_MAX whole.
t_trees_deeper_than_path_max_are_made_and_removed() {
	usefulness_same 'import os, shutil
top = os.getcwd(); os.mkdir("deep"); os.chdir("deep")
for i in range(30):
    d = "%03d" % i + "d" * 197
    os.mkdir(d); os.chdir(d)
open("leaf", "w").write("x")
print(len(os.getcwd()) > 4096, open("leaf").read(), sorted(os.listdir(".")))
fd = os.open("..", os.O_RDONLY | os.O_DIRECTORY); print(len(os.listdir(fd))); os.close(fd)
os.chdir(top); shutil.rmtree("deep"); print(os.listdir("."))'
}

# A blocking open of a FIFO waits for the other end without blocking the
# tracer (which serves the other end's open too), in either order.
t_fifo_opens_wait_for_the_other_end() {
	usefulness_same 'import os, time
os.mkfifo("f")
for writer_first in (False, True):
    pid = os.fork()
    if pid == 0:
        if writer_first: time.sleep(0.2)
        with open("f") as r: os._exit(len(r.read()))
    if not writer_first: time.sleep(0.2)
    with open("f", "w") as w: w.write("hello")
    print("reader got", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
fd = os.open("f", os.O_RDONLY | os.O_NONBLOCK); print("nonblocking reader opens at once"); os.close(fd)
try: os.open("f", os.O_WRONLY | os.O_NONBLOCK)
except OSError as e: print("nonblocking writer without a reader:", e.errno)'
}

# A signal ends a blocking open of a FIFO as natively: SIGTERM kills a
# `cat fifo` (kill, timeout(1)). The run's --timeout only bounds a hang.
t_sigterm_ends_a_blocking_fifo_open() {
	usefulness_same 'import os, subprocess, time
os.mkfifo("f")
p = subprocess.Popen(["cat", "f"]); time.sleep(0.3); p.terminate(); print("cat", p.wait())
print("timeout", subprocess.run(["timeout", "0.3", "cat", "f"]).returncode)'
}

# A handler that raises ends a blocking open of a FIFO (Python installs its
# handlers without SA_RESTART: EINTR), one that returns lets it go on (PEP
# 475) and the writer's data arrives, as natively.
t_a_signal_handler_ends_a_blocking_fifo_open() {
	case $LABEL in legacy|noseccomp|ptrace)
		skip "on ptrace stops the open is issued again after the handler (docs/design.md, Known limits)" ;;
	esac
	usefulness_same 'import os, signal, threading, time
os.mkfifo("f")
class Alarm(Exception): pass
def raiser(s, f): raise Alarm()
signal.signal(signal.SIGALRM, raiser); signal.setitimer(signal.ITIMER_REAL, 0.3)
try: os.open("f", os.O_RDONLY); print("opened")
except Alarm: print("interrupted")
got = []
signal.signal(signal.SIGALRM, lambda s, f: got.append(s)); signal.setitimer(signal.ITIMER_REAL, 0.2)
def writer():
    while not got: time.sleep(0.05)
    fd = os.open("f", os.O_WRONLY); os.write(fd, b"late"); os.close(fd)
threading.Thread(target=writer).start()
fd = os.open("f", os.O_RDONLY); print(os.read(fd, 10), got == [signal.SIGALRM]); os.close(fd)'
}

# getsockname and getpeername give a unix socket back by the name it was
# bound with (relative here), as the kernel does.
t_unix_socket_names_read_back_as_bound() {
	usefulness_same 'import socket
s = socket.socket(socket.AF_UNIX); s.bind("sock"); s.listen(1)
c = socket.socket(socket.AF_UNIX); c.connect("sock")
print(s.getsockname(), c.getpeername())'
}

# A hard link from /proc (the descriptor link itself) crosses file systems:
# EXDEV, as natively, not the read-only refusal.
t_link_from_proc_is_cross_device() {
	usefulness_same 'import os
fd = os.open("f", os.O_CREAT | os.O_RDWR)
for follow in (True, False):
    try: os.link("/proc/self/fd/%d" % fd, "l", follow_symlinks=follow); print("linked")
    except OSError as e: print("errno", e.errno)'
}

# A child's chdir before its parent's fork event has been seen (several
# processes forking at once make that order common) is its own: the child
# keeps it, and its exec runs in that directory.
t_a_child_keeps_its_chdir_when_it_runs_before_the_fork_event() {
	GUARD_SECS=$(slow 45)
	# (one write of the whole line: three of these share the output, and
	# print() under PYTHONUNBUFFERED writes word by word)
	printf '%s\n' 'import os, subprocess
bad = 0
for i in range(150):
    out = subprocess.run(["/usr/bin/pwd"], cwd="/usr/bin", capture_output=True).stdout
    bad += out != b"/usr/bin\n"
os.write(1, b"bad %d\n" % bad)' >"$T/race.py"
	native /bin/sh -c "/usr/bin/python3 $T/race.py & /usr/bin/python3 $T/race.py & /usr/bin/python3 $T/race.py; wait"
	[ "$(grep -c '^bad 0$' "$T/nout")" = 3 ] || native_fail "children do not run in their cwd natively"
	jt --quiet --timeout 40s -- /bin/sh -c "/usr/bin/python3 $T/race.py & /usr/bin/python3 $T/race.py & /usr/bin/python3 $T/race.py; wait"
	expect_rc 0
	[ "$(grep -c '^bad 0$' "$T/out")" = 3 ] || fail "children ran in their parent's directory: $(cat "$T/out")"
}

# open(O_CREAT) of "name/" is EISDIR, as natively, and creates nothing.
t_open_creat_with_a_trailing_slash_is_eisdir() {
	usefulness_same 'import os
os.mkdir("sd"); open("sd/file", "w").close()
for p, flags in (("sd/nope/", os.O_WRONLY | os.O_CREAT), ("sd/nope/", os.O_RDONLY),
                 ("sd/file/", os.O_WRONLY | os.O_CREAT), ("sd/", os.O_WRONLY | os.O_CREAT),
                 ("missing/x/", os.O_WRONLY | os.O_CREAT)):
    try: os.open(p, flags, 0o644); print(p, "opened")
    except OSError as e: print(p, e.errno)
print(sorted(os.listdir("sd")))'
}

# An ioctl the policy does not list, on a descriptor that is not open: EBADF
# first, as the kernel checks the descriptor before the request.
t_an_unlisted_ioctl_on_a_bad_descriptor_is_ebadf() {
	usefulness_same 'import os
for fd in (99, -1):
    try: os.tcsetpgrp(fd, os.getpgrp())
    except OSError as e: print(fd, e.errno)
r, w = os.pipe()
try: os.tcsetpgrp(r, os.getpgrp())
except OSError as e: print("pipe", e.errno)'
}

# Debian keeps toolchains' settings in /etc and links them from /usr (a
# JDK's conf/security/java.security, /etc/fpc.cfg, /etc/gnucobol): the
# view shows them, so javac and java run, fpc finds its units and cobc its
# default.conf, as natively. (Before, javac stopped: "Error loading
# java.security file".)
t_java_compiles_and_runs() {
	command -v javac >/dev/null && command -v java >/dev/null || skip "no JDK on this host"
	GUARD_SECS=$(slow 60)
	printf '%s\n' 'public class Hello { public static void main(String[] a) throws Exception {
  Thread t = new Thread(() -> System.out.println("thread")); t.start(); t.join();
  java.util.logging.Logger.getLogger("h").fine("not shown");
  System.out.println("hello " + java.security.Security.getProperty("securerandom.source"));
} }' >"$T/Hello.java"
	mkdir -p "$T/nat" "$T/in"
	native /bin/sh -c "cd $T/nat && javac -d . $T/Hello.java && java -cp . Hello"
	[ "$NRC" = 0 ] && grep -q '^hello ' "$T/nout" || native_fail "javac and java fail natively"
	jt --quiet --timeout 50s -- /bin/sh -c "cd $T/in && javac -d . $T/Hello.java && java -cp . Hello"
	[ "$RC" = 0 ] && cmp -s "$T/out" "$T/nout" ||
		fail "inside differs from native (exit $RC): $(head -c 300 "$T/err")"
}

t_fpc_and_cobc_find_their_settings() {
	local have=""
	command -v fpc >/dev/null && have="$have fpc"
	command -v cobc >/dev/null && have="$have cobc"
	[ -n "$have" ] || skip "neither fpc nor cobc on this host"
	printf '%s\n' 'program p; uses SysUtils; begin WriteLn(IntToStr(6 * 7)); end.' >"$T/p.pas"
	printf '%s\n' '       IDENTIFICATION DIVISION.' '       PROGRAM-ID. HELLO.' \
		'       PROCEDURE DIVISION.' '           DISPLAY "hi".' '           STOP RUN.' >"$T/h.cob"
	# compile only (running what the program wrote needs --exec-jail)
	script='for c in '"$have"'; do mkdir -p $1/$c; cd $1/$c || exit 9
case $c in fpc) fpc -v0 -o./p '"$T"'/p.pas >/dev/null 2>&1 ;; cobc) cobc -x -o h '"$T"'/h.cob ;; esac
echo "$c $? $(ls | grep -cx "p\|h")"; done'
	mkdir -p "$T/nat" "$T/in"
	native /bin/sh -c "$script" sh "$T/nat"
	[ "$NRC" = 0 ] && ! grep -qv ' 0 1$' "$T/nout" || native_fail "the compilers fail natively"
	jt --quiet -- /bin/sh -c "$script" sh "$T/in"
	[ "$RC" = 0 ] && cmp -s "$T/out" "$T/nout" ||
		fail "inside differs from native (exit $RC): $(cat "$T/out"; head -c 300 "$T/err")"
}

# mv between /tmp and the project, both ways, of a file and a directory;
# a jar built by `jar` goes the same way (made in /tmp, then moved). In a
# root run the jail is the sandbox user's and a grant root's, and no one
# identity can rename between them: that is EXDEV, as where /tmp is a file
# system of its own, and mv copies and removes. (Before: EACCES, "cannot
# move", and `jar cf` failed.)
t_mv_between_tmp_and_the_project_works() {
	script='T=$1 tmp=$2
echo a >$tmp/a && mv $tmp/a $T/a && echo "file in $?"
mkdir $tmp/d && echo f >$tmp/d/f && mv $tmp/d $T/d && echo "dir in $?"
mv $T/a $tmp/back && echo "file out $?"
mv $T/d $tmp/dd && echo "dir out $?"
cat $tmp/back $tmp/dd/f; ls $T'
	mkdir -p "$T/nat" "$T/ntmp" "$T/in"
	native /bin/sh -c "$script" sh "$T/nat" "$T/ntmp"
	[ "$NRC" = 0 ] && grep -qx 'dir out 0' "$T/nout" || native_fail "mv fails natively"
	jt --quiet -- /bin/sh -c "$script" sh "$T/in" /tmp
	[ "$RC" = 0 ] && cmp -s "$T/out" "$T/nout" ||
		fail "inside differs from native (exit $RC): $(cat "$T/out"; head -c 300 "$T/err")"
}

# vmstat(1) and psutil's swap_memory read /proc/vmstat, a machine-wide
# counter file of the same kind as meminfo and stat, which the view shows.
# (Before, vmstat stopped: "Unable to create vmstat structure".)
t_vmstat_reads_the_machine_counters() {
	command -v vmstat >/dev/null || skip "no vmstat (procps) on this host"
	script='vmstat 1 1 | head -n 2; echo "rc $?"; vmstat -s | wc -l; vmstat 1 1 | wc -l'
	native /bin/sh -c "$script"
	[ "$NRC" = 0 ] && grep -qx 'rc 0' "$T/nout" || native_fail "vmstat fails natively"
	jt --quiet -- /bin/sh -c "$script"
	[ "$RC" = 0 ] && cmp -s "$T/out" "$T/nout" ||
		fail "inside differs from native (exit $RC): $(cat "$T/out"; head -c 300 "$T/err")"
}

# A granted host link (/lib -> usr/lib on merged-/usr hosts, /etc/localtime)
# shows the host link's times, not when the view's skeleton was made.
t_granted_links_keep_the_hosts_times() {
	local l links=""
	for l in /lib /bin /sbin /lib64 /etc/localtime; do [ -L "$l" ] && links="$links $l"; done
	[ -n "$links" ] || skip "no granted path is a link on this host"
	native stat -c '%n %Y %s' $links
	[ "$NRC" = 0 ] || native_fail "stat fails natively"
	jt --quiet -- stat -c '%n %Y %s' $links
	[ "$RC" = 0 ] && cmp -s "$T/out" "$T/nout" ||
		fail "inside differs from native (exit $RC): $(diff "$T/nout" "$T/out")"
}
