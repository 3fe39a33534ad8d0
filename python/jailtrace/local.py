"""The client with no server: each command a local `jailtrace run` child
(through its --result JSON), files in the jail on this host, walked as the
server walks them (one component at a time, no link followed)."""

import codecs
import json
import os
import selectors
import shutil
import signal
import subprocess
import stat as S
import tempfile
import threading
import time
import uuid

_ROOTS = (("/tmp", "tmp"), ("/home/sandbox", "home"), ("/work", "work"), ("/dev/shm", "shm"))
_LIMITS = ("timeout", "grace", "cpu", "memory", "vmem", "procs", "output", "fsize", "nofile",
           "disk", "inodes")
_LIMIT_STATUSES = ("timeout", "cpu_limit", "memory_limit", "output_limit", "procs_limit",
                   "disk_limit", "log_limit")
_SIGNALS = {"TERM": signal.SIGTERM, "INT": signal.SIGINT, "HUP": signal.SIGHUP, "KILL": signal.SIGKILL}
_KEEP = 1 << 20       # the last MiB of a background process's stdout and of its stderr
_MAX_PROCESSES = 8    # running at once, as the server's --max-processes default
_LANGUAGES = {"python": ["python3", "-c"], "bash": ["bash", "-c"], "sh": ["sh", "-c"],
              "node": ["node", "-e"]}


def _end(result, returncode, log_id):
    """The result event of a run, from its --result file."""
    try:
        with open(result) as f:
            res = json.load(f)
        os.unlink(result)
    except (OSError, ValueError):
        res = {"status": "error", "exit_code": returncode, "message": "jailtrace left no result"}
    status = res.get("status")
    return {"type": "result", "status": status, "exit_code": res.get("exit_code"),
            "program_exit_code": res.get("program_exit_code"), "signal": res.get("signal"),
            "limit": status if status in _LIMIT_STATUSES else None,
            "message": res.get("message"), "wall_ms": res.get("wall_ms"),
            "cpu_ms": res.get("cpu_ms"), "peak_memory_kb": res.get("peak_memory_kb"),
            "denials": res.get("denials", 0), "denied": res.get("hints", []),
            "hints_more": res.get("hints_more", 0), "log_id": log_id}


class _Proc:
    """A background `jailtrace run`, the last MiB of its output kept."""

    def __init__(self, pid, args, argv, ports, result):
        self.id, self.argv, self.ports, self.result = pid, argv, ports, result
        self.started = time.time()
        self.end = None
        self.out = {"stdout": bytearray(), "stderr": bytearray()}
        self.lock = threading.Lock()
        self.popen = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        self.readers = [threading.Thread(target=self._read, args=(f, self.out[k]), daemon=True)
                        for k, f in (("stdout", self.popen.stdout), ("stderr", self.popen.stderr))]
        for t in self.readers:
            t.start()

    def _read(self, f, buf):
        while True:
            data = os.read(f.fileno(), 65536)
            if not data:
                break
            with self.lock:
                buf += data
                del buf[:max(0, len(buf) - _KEEP)]
        f.close()

    def kill(self, sig):
        if self.popen.poll() is None:
            try:
                os.kill(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def join(self):
        for t in self.readers:
            t.join()

    def info(self):
        running = self.popen.poll() is None
        if not running and self.end is None:
            self.join()
            self.end = _end(self.result, self.popen.returncode, self.id)
        with self.lock:
            out = {k: bytes(v).decode("utf-8", "surrogateescape") for k, v in self.out.items()}
        return {"id": self.id, "argv": self.argv, "ports": self.ports, "running": running,
                "result": self.end, "stdout": out["stdout"], "stderr": out["stderr"]}


def _user_jail(user):
    """Where `jailtrace run --user USER` keeps USER's jail (tracer/jail.c)."""
    if os.geteuid() == 0:
        base = "/var/lib/jailtrace"
    elif os.environ.get("XDG_DATA_HOME", "").startswith("/"):
        base = os.path.join(os.environ["XDG_DATA_HOME"], "jailtrace")
    else:
        base = os.path.join(os.path.expanduser("~"), ".local", "share", "jailtrace")
    return os.path.join(base, "jails", user)


class Local:
    """One user's sandbox on this host. @binary: the jailtrace to run
    (default: $JAILTRACE_BIN, else `jailtrace` on PATH)."""

    def __init__(self, user, binary=None, ephemeral=False, policy=None, ro=None, rw=None,
                 allow_net=None, limits=None, policy_text=None):
        from .client import JailtraceError
        self.Error = JailtraceError
        self.bin = binary or os.environ.get("JAILTRACE_BIN") or shutil.which("jailtrace")
        if not self.bin:
            raise ValueError("no jailtrace binary: put it on PATH or set JAILTRACE_BIN")
        self.user = user
        self.state = tempfile.mkdtemp(prefix="jailtrace-local-")
        os.mkdir(os.path.join(self.state, "logs"))
        self.ephemeral = bool(ephemeral)
        # every run shares the jail: a command beside background processes
        self.opts = ["--user", user, "--share-jail"]
        if self.ephemeral:
            self.jail = os.path.join(self.state, "jail")
            self.opts += ["--jail", self.jail]
        else:
            self.jail = _user_jail(user)
        if policy and policy_text is not None:
            raise self.Error(400, "want either policy or policy_text, not both", "policy_text")
        if policy and policy != "default":
            self.opts += ["--policy", policy]
        if policy_text is not None:
            # the user's own machine: the text is taken as `jailtrace run
            # --policy` takes a file (no server to hold it to --grant-root)
            path = os.path.join(self.state, "policy_text.policy")
            with open(path, "w") as f:
                f.write(policy_text)
            self.opts += ["--policy", path]
        for flag, items in (("--ro", ro), ("--rw", rw), ("--allow-net", allow_net)):
            for item in items or ():
                self.opts += [flag, item]
        self.opts += self._limits(limits)
        self.id = "local-" + uuid.uuid4().hex[:20]
        self.commands = 0
        self.procs = {}
        # the jail made, and the options tried, as the server does
        r = self.run(["/bin/true"], None, None, None, None, None, None, None, log=False)
        if r.status == "error":
            self.destroy()
            raise self.Error(400, "jailtrace refused the sandbox: %s" % r.message)

    def _limits(self, limits):
        out = []
        for k, v in (limits or {}).items():
            if k not in _LIMITS:
                raise self.Error(400, "unknown limit", "limits." + k)
            out += ["--" + k, str(v)]
        return out

    def info(self):
        return {"id": self.id, "user": self.user, "ephemeral": self.ephemeral, "local": True,
                "commands": self.commands}

    def destroy(self):
        # what runs in the jail ends first: TERM (jailtrace gives the program
        # its grace), then KILL (the program dies with its tracer)
        live = [p for p in self.procs.values() if p.popen.poll() is None]
        for p in live:
            p.kill(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in live:
            try:
                p.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill(signal.SIGKILL)
                p.popen.wait()
        for p in self.procs.values():
            p.join()
        shutil.rmtree(self.state, ignore_errors=True)

    # ------------------------------------------------------------ commands

    def _args(self, cmd_id, result, env, cwd, timeout, limits, extra=(), log=True):
        args = [self.bin, "run", "--quiet", "--result", result] + self.opts
        if log:
            args += ["--log", os.path.join(self.state, "logs", cmd_id + ".jsonl")]
        for name, value in (env or {}).items():
            args += ["--env", "%s=%s" % (name, value)]     # NAME=VALUE: never this process's own
        # the jail's /work unless asked (a grant of this process's own
        # directory would start it there: jailtrace run's default)
        args += ["--cwd", cwd or "/work"] + list(extra)
        if timeout is not None:
            args += ["--timeout", "%dms" % round(timeout * 1000)]
        return args + self._limits(limits)

    def run(self, argv, stdin, env, cwd, timeout, limits, on_stdout, on_stderr, log=True):
        from .client import Result
        cmd_id = "cmd-" + uuid.uuid4().hex[:20]
        result = os.path.join(self.state, cmd_id + ".result.json")
        args = self._args(cmd_id, result, env, cwd, timeout, limits, log=log) + ["--"] + list(argv)
        p = subprocess.Popen(args, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if stdin:
            def feed(pipe=p.stdin, data=stdin.encode("utf-8", "surrogateescape")):
                try:
                    pipe.write(data)
                    pipe.close()
                except OSError:
                    pass
            threading.Thread(target=feed, daemon=True).start()
        out, err = [], []
        streams = {p.stdout: (out, on_stdout), p.stderr: (err, on_stderr)}
        decoders = {f: codecs.getincrementaldecoder("utf-8")("surrogateescape") for f in streams}
        sel = selectors.DefaultSelector()
        for f in streams:
            sel.register(f, selectors.EVENT_READ)
        while sel.get_map():
            for key, _ in sel.select():
                data = os.read(key.fd, 65536)
                f = key.fileobj
                text = decoders[f].decode(data, final=not data)
                if text:
                    streams[f][0].append(text)
                    if streams[f][1]:
                        streams[f][1](text)
                if not data:
                    sel.unregister(f)
                    f.close()
        p.wait()
        self.commands += log
        return Result("".join(out), "".join(err), _end(result, p.returncode, cmd_id if log else None))

    # ------------------------------------------------ background processes

    def start(self, argv, ports, env, cwd, timeout, limits):
        """A background process: its own `jailtrace run` sharing the jail
        (--timeout 0 unless given), listening on @ports of 127.0.0.1 (each
        --allow-bind: on this host's loopback, where every local user can
        reach it; there is no server to hold it to a token)."""
        if sum(p.popen.poll() is None for p in self.procs.values()) >= _MAX_PROCESSES:
            raise self.Error(409, "%d background processes run already (at most %d at once)"
                             % (_MAX_PROCESSES, _MAX_PROCESSES))
        extra = []
        for port in ports or ():
            if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
                raise self.Error(400, "want port numbers 1 to 65535", "ports")
            extra += ["--allow-bind", "127.0.0.1:%d" % port]
        pid = "proc-" + uuid.uuid4().hex[:20]
        result = os.path.join(self.state, pid + ".result.json")
        argv = ["/bin/sh", "-c", argv] if isinstance(argv, str) else list(argv)
        args = self._args(pid, result, env, cwd, 0 if timeout is None else timeout, limits, extra)
        self.procs[pid] = _Proc(pid, args + ["--"] + argv, argv, list(ports or ()), result)
        return self.procs[pid].info()

    def process(self, pid, wait=None):
        p = self.procs.get(pid)
        if p is None:
            raise self.Error(404, "no process %s" % pid)
        if wait:
            try:
                p.popen.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        return p.info()

    def processes(self):
        return [p.info() for p in sorted(self.procs.values(), key=lambda p: -p.started)]

    def signal(self, pid, sig):
        if sig not in _SIGNALS:
            raise self.Error(400, "want TERM, INT, HUP or KILL", "signal")
        p = self.procs.get(pid)
        if p is None:
            raise self.Error(404, "no process %s" % pid)
        p.kill(_SIGNALS[sig])
        return p.info()

    def port(self, port):
        """The URL of @port, which a running process was started to listen on."""
        if not any(port in p.ports and p.popen.poll() is None for p in self.procs.values()):
            raise self.Error(409, "no running process was started with port %d (ports=[...])" % port,
                             "port")
        return "http://127.0.0.1:%d" % port

    def run_code(self, code, language, **kw):
        if language not in _LANGUAGES:
            raise self.Error(400, "unknown: want python, bash, sh or node", "language")
        env = dict(kw.pop("env", None) or {})
        if language == "python":
            env.setdefault("PYTHONUNBUFFERED", "1")
        return self.run(_LANGUAGES[language] + [code], env=env, **kw)

    def logs(self):
        d = os.path.join(self.state, "logs")
        return [{"id": n[:-6], "size": os.path.getsize(os.path.join(d, n))}
                for n in sorted(os.listdir(d)) if n.endswith(".jsonl")]

    def log_path(self, log_id):
        if not log_id or "/" in log_id or log_id.startswith("."):
            raise self.Error(404, "no log %s" % log_id)
        path = os.path.join(self.state, "logs", log_id + ".jsonl")
        if not os.path.exists(path):
            raise self.Error(404, "no log %s" % log_id)
        return path

    def report(self, log_id, fmt):
        path = self.log_path(log_id)
        opts = {"text": [], "summary": ["--summary"], "json": ["--format", "json"]}
        if fmt not in opts:
            raise self.Error(400, "want text, summary or json (html: use the server)", "format")
        out = subprocess.run([self.bin, "report"] + opts[fmt] + [path], capture_output=True,
                             check=True).stdout
        return json.loads(out) if fmt == "json" else out.decode()

    # ------------------------------------------------------------ files

    def _walk(self, path, create=False):
        """(descriptor of @path's parent, last name) in the jail; no link followed."""
        if not path.startswith("/"):
            raise ValueError("want an absolute path inside the sandbox, not %r" % path)
        for inside, sub in _ROOTS:
            if path == inside or path.startswith(inside + "/"):
                rest = path[len(inside) + 1:]
                break
        else:
            raise self.Error(403, "%r is not in the jail (/tmp, /home/sandbox, /work, /dev/shm)"
                             % path, "path")
        if rest.endswith("/"):
            rest = rest[:-1]
        parts = rest.split("/") if rest else []
        if any(p in ("", ".", "..") or "\0" in p for p in parts):
            raise self.Error(403, "%r: empty, . and .. components are refused" % path, "path")
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(os.path.join(self.jail, sub), flags)
        st = os.fstat(fd)
        try:
            for p in parts[:-1]:
                try:
                    nfd = os.open(p, flags, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise self.Error(404, "%r: no such file" % path, "path")
                    os.mkdir(p, 0o755, dir_fd=fd)
                    os.chown(p, st.st_uid, st.st_gid, dir_fd=fd, follow_symlinks=False)
                    nfd = os.open(p, flags, dir_fd=fd)
                except OSError:
                    raise self.Error(403, "%r: %s is a link or not a directory" % (path, p), "path")
                os.close(fd)
                fd = nfd
        except BaseException:
            os.close(fd)
            raise
        return fd, (parts[-1] if parts else ""), st

    def write(self, path, data):
        fd, leaf, st = self._walk(path, create=True)
        try:
            if not leaf:
                raise self.Error(409, "%r is a directory" % path, "path")
            tmp = ".jailtrace-upload-" + uuid.uuid4().hex[:16]
            f = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                        0o644, dir_fd=fd)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(f, view):]
                if os.geteuid() == 0:
                    os.fchown(f, st.st_uid, st.st_gid)
            finally:
                os.close(f)
            try:
                os.rename(tmp, leaf, src_dir_fd=fd, dst_dir_fd=fd)
            except IsADirectoryError:
                os.unlink(tmp, dir_fd=fd)
                raise self.Error(409, "%r is a directory" % path, "path")
            return len(data)
        finally:
            os.close(fd)

    def read(self, path):
        fd, leaf, _ = self._walk(path)
        try:
            try:
                f = os.open(leaf or ".", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                            dir_fd=fd)
            except FileNotFoundError:
                raise self.Error(404, "%r: no such file" % path, "path")
            except OSError:
                raise self.Error(403, "%r is a link (links are not followed)" % path, "path")
            try:
                st = os.fstat(f)
                if S.S_ISDIR(st.st_mode):
                    entries = []
                    for name in sorted(os.listdir(f)):
                        e = os.stat(name, dir_fd=f, follow_symlinks=False)
                        entries.append({"name": name, "size": e.st_size, "mtime": int(e.st_mtime),
                                        "type": "file" if S.S_ISREG(e.st_mode) else
                                        "dir" if S.S_ISDIR(e.st_mode) else
                                        "link" if S.S_ISLNK(e.st_mode) else "other"})
                    return {"path": path, "entries": entries}
                if not S.S_ISREG(st.st_mode):
                    raise self.Error(403, "%r is not a regular file" % path, "path")
                chunks = []
                while True:
                    b = os.read(f, 1 << 20)
                    if not b:
                        return b"".join(chunks)
                    chunks.append(b)
            finally:
                os.close(f)
        finally:
            os.close(fd)

    def remove(self, path):
        fd, leaf, _ = self._walk(path)
        try:
            if not leaf:
                raise self.Error(403, "%r is a root of the jail" % path, "path")
            try:
                os.unlink(leaf, dir_fd=fd)
            except IsADirectoryError:
                try:
                    os.rmdir(leaf, dir_fd=fd)
                except OSError:
                    raise self.Error(409, "%r is a directory that is not empty" % path, "path")
            except FileNotFoundError:
                raise self.Error(404, "%r: no such file" % path, "path")
        finally:
            os.close(fd)
