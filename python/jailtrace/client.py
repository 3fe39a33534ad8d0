"""The client: HTTP/1.1 over a unix socket or loopback TCP (http.client)."""

import http.client
import json
import os
import socket
import urllib.parse

__all__ = ["Sandbox", "Result", "Files", "Process", "Processes", "Ports", "JailtraceError"]


class JailtraceError(Exception):
    """The server refused a request: ``status`` (HTTP), ``message`` and the
    ``field`` of the request it names, if any."""

    def __init__(self, status, message, field=None):
        super().__init__("%s%s (HTTP %d)" % (field + ": " if field else "", message, status))
        self.status = status
        self.message = message
        self.field = field


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=None):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class _Transport:
    """Where the server is: "unix:/path" or "http://127.0.0.1:PORT"."""

    def __init__(self, server, token, timeout):
        if not server:
            raise ValueError("no server: pass server= or set JAILTRACE_SERVER")
        self.token = token
        self.timeout = timeout
        if server.startswith("unix:"):
            self.unix = server[5:]
        elif server.startswith("http://"):
            self.unix = None
            u = urllib.parse.urlsplit(server)
            self.host, self.port = u.hostname, u.port or 80
        else:
            raise ValueError("server: want unix:PATH or http://HOST:PORT, not %r" % server)

    def connection(self, timeout):
        if self.unix is not None:
            return _UnixConnection(self.unix, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def open(self, method, path, body=None, content_type="application/json", timeout=None):
        """The response, its status checked; the caller reads and closes it."""
        conn = self.connection(self.timeout if timeout is None else timeout)
        headers = {"Authorization": "Bearer %s" % self.token}
        if body is not None:
            if not isinstance(body, (bytes, bytearray)):
                body = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        if resp.status >= 400:
            raw = resp.read()
            conn.close()
            try:
                e = json.loads(raw)
                raise JailtraceError(resp.status, e.get("error", ""), e.get("field"))
            except ValueError:
                raise JailtraceError(resp.status, raw.decode("utf-8", "replace")) from None
        resp._jt_conn = conn
        return resp

    def call(self, method, path, body=None, content_type="application/json"):
        resp = self.open(method, path, body, content_type)
        try:
            raw = resp.read()
        finally:
            resp._jt_conn.close()
        if resp.getheader("Content-Type", "").startswith("application/json") and raw:
            return json.loads(raw)
        return raw


class Result:
    """How a command or a piece of code ended.

    stdout, stderr: the output as text (bytes that were not UTF-8 are kept
    as surrogates: ``stdout_bytes`` gives them back); exit_code: as a shell
    would say it (128+N for signal N, 124 timeout, 137 another limit);
    status: "exited", "signaled", "timeout", "memory_limit", ...; limit: the
    limit hit, or None; error: None when the program exited 0, else what
    went wrong in one line (for Python, the exception line); denials: the
    denied requests the summary names, each {"count": N, "text": "...
    grant with --ro ..."}; denial_count: every denial; wall_ms, cpu_ms,
    peak_memory_kb; log_id: the audit log (Sandbox.log(log_id)).
    """

    def __init__(self, stdout, stderr, end):
        self.stdout = stdout
        self.stderr = stderr
        self.raw = end
        self.status = end.get("status")
        self.exit_code = end.get("exit_code")
        self.limit = end.get("limit")
        self.message = end.get("message")
        self.denials = end.get("denied", [])
        self.denial_count = end.get("denials", 0)
        self.wall_ms = end.get("wall_ms")
        self.cpu_ms = end.get("cpu_ms")
        self.peak_memory_kb = end.get("peak_memory_kb")
        self.log_id = end.get("log_id")
        self.error = self._error()

    def _error(self):
        if self.status != "exited":
            return "%s: %s" % (self.status, self.message) if self.message else self.status
        if self.exit_code == 0:
            return None
        lines = [l for l in self.stderr.splitlines() if l.strip()]
        return lines[-1].strip() if lines else "exit status %d" % self.exit_code

    @property
    def stdout_bytes(self):
        return self.stdout.encode("utf-8", "surrogateescape")

    @property
    def stderr_bytes(self):
        return self.stderr.encode("utf-8", "surrogateescape")

    def __repr__(self):
        return "Result(exit_code=%r, status=%r, error=%r, stdout=%r, stderr=%r, denials=%d)" % (
            self.exit_code, self.status, self.error, self.stdout[:200], self.stderr[:200],
            self.denial_count)


def _quote_path(path):
    if not path.startswith("/"):
        raise ValueError("want an absolute path inside the sandbox, not %r" % path)
    return urllib.parse.quote(path, safe="/")


class Files:
    """Files in the sandbox's jail by their inside paths (/work, /tmp,
    /home/sandbox, /dev/shm); links are never followed."""

    def __init__(self, sandbox):
        self._sb = sandbox

    def _url(self, path):
        return "%s/files%s" % (self._sb._base, _quote_path(path))

    def write(self, path, data):
        """Write @data (bytes, or str as UTF-8) to @path, making missing
        directories; returns the size written."""
        if isinstance(data, str):
            data = data.encode()
        if self._sb._local:
            return self._sb._local.write(path, bytes(data))
        return self._sb._t.call("PUT", self._url(path), bytes(data), "application/octet-stream")["size"]

    def read(self, path):
        """The bytes of the regular file at @path."""
        if self._sb._local:
            return self._sb._local.read(path)
        return self._sb._t.call("GET", self._url(path))

    def list(self, path="/work"):
        """The entries of the directory @path: dicts of name, type, size, mtime."""
        if self._sb._local:
            return self._sb._local.read(path)["entries"]
        return self._sb._t.call("GET", self._url(path))["entries"]

    def remove(self, path):
        """Remove the file or empty directory at @path."""
        if self._sb._local:
            return self._sb._local.remove(path)
        self._sb._t.call("DELETE", self._url(path))


class Process:
    """A background process (POST .../processes): ``id``, ``info`` (the
    server's object: running, ports, result...)."""

    def __init__(self, sandbox, info):
        self._sb = sandbox
        self.id = info["id"]
        self.info = info

    def _url(self):
        return "%s/processes/%s" % (self._sb._base, self.id)

    def refresh(self, wait=None):
        """The process's object with its output so far (``stdout``,
        ``stderr``: the last MiB of each); @wait: seconds to wait for its end."""
        if self._sb._local:
            self.info = self._sb._local.process(self.id, wait)
            return self.info
        q = "" if wait is None else "?wait=%g" % wait
        self.info = self._sb._t.call("GET", self._url() + q)
        return self.info

    @property
    def running(self):
        return self.info["running"]

    def output(self):
        """(stdout, stderr) so far, as text (surrogates for bytes not UTF-8)."""
        info = self.refresh()
        return info["stdout"], info["stderr"]

    def signal(self, sig="TERM"):
        """Send TERM, INT, HUP (the program gets it and its grace to end; the
        run ends) or KILL."""
        if self._sb._local:
            self.info = self._sb._local.signal(self.id, sig)
        else:
            self.info = self._sb._t.call("POST", self._url() + "/signal", {"signal": sig})
        return self.info

    def wait(self, timeout=30):
        """Wait for its end (up to @timeout seconds, at most 30 a request);
        returns the result event, or None if it still runs."""
        end = None
        while True:
            step = 30 if timeout is None else min(30, timeout)
            info = self.refresh(wait=step)
            if not info["running"]:
                return info["result"]
            if timeout is not None:
                timeout -= step
                if timeout <= 0:
                    return end

    def __repr__(self):
        return "Process(id=%r, cmd=%r, running=%r)" % (self.id, self.info.get("cmd"),
                                                       self.info.get("running"))


class Processes:
    """Background processes of a sandbox (a dev server, a worker): several
    run at once (the server's --max-processes, 8 by default; one more is
    409), each beside the others, the sandbox's command and its stateful
    interpreter, all in the one jail."""

    def __init__(self, sandbox):
        self._sb = sandbox

    def start(self, argv, *, ports=None, env=None, cwd=None, timeout=None, limits=None):
        """Start @argv (a list; a str is a shell line) in the background;
        @ports: ports it may listen on (127.0.0.1), to expose later."""
        if self._sb._local:
            return Process(self._sb, self._sb._local.start(argv, ports, env, cwd, timeout, limits))
        body = {"cmd": argv} if isinstance(argv, str) else {"argv": list(argv)}
        for k, v in (("ports", ports), ("env", env), ("cwd", cwd), ("timeout", timeout),
                     ("limits", limits)):
            if v is not None:
                body[k] = v
        return Process(self._sb, self._sb._t.call("POST", "%s/processes" % self._sb._base, body))

    def list(self, running=None):
        """The sandbox's processes (its last 16), newest first; @running:
        True for the running ones only, False for the ended ones only."""
        items = (self._sb._local.processes() if self._sb._local else
                 self._sb._t.call("GET", "%s/processes" % self._sb._base)["processes"])
        return [Process(self._sb, i) for i in items if running is None or i["running"] == running]

    def get(self, pid):
        p = Process(self._sb, {"id": pid})
        p.refresh()
        return p


class Ports:
    """Ports a background process listens on, exposed through the server:
    reachable at the URL with the tenant's token only."""

    def __init__(self, sandbox):
        self._sb = sandbox

    def expose(self, port):
        """Expose @port; returns its URL (http://... when the server listens
        on TCP, else its path on the server's socket)."""
        if self._sb._local:
            # local mode: the process listens on this host's loopback itself
            return self._sb._local.port(port)
        r = self._sb._t.call("POST", "%s/ports/%d" % (self._sb._base, port))
        return r["url"] or r["path"]

    def unexpose(self, port):
        self._sb._t.call("DELETE", "%s/ports/%d" % (self._sb._base, port))

    def list(self):
        return self._sb._t.call("GET", "%s/ports" % self._sb._base)["ports"]

    def request(self, port, path="/", method="GET", body=None, headers=None):
        """(status, headers, body bytes) of a request to the exposed @port,
        sent through the server with this client's token (local mode: to
        127.0.0.1:@port itself)."""
        if self._sb._local:
            import http.client
            self._sb._local.port(port)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request(method, "/" + path.lstrip("/"), body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            conn.close()
            return r.status, dict(r.getheaders()), data
        conn = self._sb._t.connection(self._sb._t.timeout)
        h = {"Authorization": "Bearer %s" % self._sb._t.token}
        h.update(headers or {})
        conn.request(method, "%s/ports/%d/%s" % (self._sb._base, port, path.lstrip("/")),
                     body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, dict(r.getheaders()), data


class Sandbox:
    """One user's sandbox on a jailtrace server; a user has one at a time
    (asking again gives the same one). server="local" (or "local:BINARY")
    needs no server: each command is a `jailtrace run` child here, in the
    user's own jail (`--user`) or an ephemeral one.

    Options (each as in POST /v1/sandboxes): idle_timeout (seconds),
    max_age (seconds), ephemeral (a fresh jail, removed with the sandbox; by default the
    user's own jail, kept), policy (a name the server knows), policy_text
    (a policy's text, docs/policy.md, held to what the server grants), ro, rw
    (grants under the server's --grant-root), allow_net, limits (e.g.
    {"memory": "512M"}), proxy ({"NAME": {"Header": "secret"}}: a secrets
    proxy to the server's upstream NAME, the program reaching it at
    $NAME_BASE_URL and never seeing the secret).
    """

    def __init__(self, user, server=None, token=None, *, idle_timeout=None, max_age=None,
                 ephemeral=None, policy=None, policy_text=None, ro=None, rw=None, allow_net=None,
                 limits=None, proxy=None, timeout=60):
        server = server or os.environ.get("JAILTRACE_SERVER")
        token = token or os.environ.get("JAILTRACE_TOKEN")
        self.user = user
        self.files = Files(self)
        self.processes = Processes(self)
        self.ports = Ports(self)
        self.destroyed = False
        self._local = None
        if server == "local" or (server or "").startswith("local:"):
            # no server: each command a jailtrace run here (idle_timeout and
            # max_age have no one to keep them)
            from .local import Local
            if proxy:
                raise JailtraceError(501, "proxy rules need a server (not built for local mode)")
            self._local = Local(user, server[6:] or None, ephemeral=ephemeral, policy=policy,
                                policy_text=policy_text, ro=ro, rw=rw, allow_net=allow_net, limits=limits)
            self.info = self._local.info()
            self.id = self._local.id
            return
        self._t = _Transport(server, token, timeout)
        body = {"user": user}
        for k, v in (("idle_timeout", idle_timeout), ("max_age", max_age),
                     ("ephemeral", ephemeral), ("policy", policy), ("policy_text", policy_text),
                     ("ro", ro), ("rw", rw), ("allow_net", allow_net), ("limits", limits),
                     ("proxy", proxy)):
            if v is not None:
                body[k] = v
        self.info = self._t.call("POST", "/v1/sandboxes", body)
        self.id = self.info["id"]
        self._base = "/v1/sandboxes/%s" % self.id

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()
        return False

    def refresh(self):
        """The server's view of this sandbox (raises JailtraceError 404 once
        it is gone)."""
        if self._local:
            if self.destroyed:
                raise JailtraceError(404, "no sandbox %s" % self.id)
            self.info = self._local.info()
            return self.info
        self.info = self._t.call("GET", self._base)
        return self.info

    def destroy(self):
        """Kill what runs in the sandbox and forget it (an ephemeral jail is
        removed). Destroying a sandbox already gone is not an error."""
        if self.destroyed:
            return
        if self._local:
            self._local.destroy()
            self.destroyed = True
            return
        try:
            self._t.call("DELETE", self._base)
        except JailtraceError as e:
            if e.status != 404:
                raise
        self.destroyed = True

    def _stream(self, route, body, on_stdout, on_stderr, timeout):
        out, err = [], []
        end = None
        # no read timeout beyond the command's own (the server bounds it)
        resp = self._t.open("POST", "%s/%s" % (self._base, route), body,
                            timeout=None if timeout is None else timeout + 30)
        try:
            while True:
                line = resp.readline()
                if not line:
                    break
                ev = json.loads(line)
                stream = ev.get("stream")
                if stream == "stdout":
                    out.append(ev["data"])
                    if on_stdout:
                        on_stdout(ev["data"])
                elif stream == "stderr":
                    err.append(ev["data"])
                    if on_stderr:
                        on_stderr(ev["data"])
                elif ev.get("type") == "result":
                    end = ev
        finally:
            resp._jt_conn.close()
        if end is None:
            end = {"status": "error", "exit_code": None,
                   "message": "the server's stream ended without a result"}
        return Result("".join(out), "".join(err), end)

    @staticmethod
    def _options(body, stdin, env, cwd, timeout, limits):
        for k, v in (("stdin", stdin), ("env", env), ("cwd", cwd), ("timeout", timeout),
                     ("limits", limits)):
            if v is not None:
                body[k] = v
        return body

    def exec(self, argv, *, stdin=None, env=None, cwd=None, timeout=None, limits=None,
             on_stdout=None, on_stderr=None):
        """Run @argv (a list; a str is a shell command line) in the sandbox;
        on_stdout/on_stderr get the output as it comes. Returns a Result."""
        if self._local:
            argv = ["/bin/sh", "-c", argv] if isinstance(argv, str) else list(argv)
            return self._local.run(argv, stdin, env, cwd, timeout, limits, on_stdout, on_stderr)
        body = {"cmd": argv} if isinstance(argv, str) else {"argv": list(argv)}
        self._options(body, stdin, env, cwd, timeout, limits)
        return self._stream("exec", body, on_stdout, on_stderr, timeout)

    def run_code(self, code, language="python", *, stdin=None, env=None, cwd=None, timeout=None,
                 limits=None, on_stdout=None, on_stderr=None, stateful=False):
        """Run @code ("python", "bash", "sh" or "node"). Returns a Result.
        stateful=True ("python", "bash", or "node" where the host has it): in
        the sandbox's one interpreter, whose variables stay from call to call
        (stdin, env, cwd and limits are not taken then; one language at a
        time: stop_interpreter() before another)."""
        if stateful:
            if self._local:
                raise JailtraceError(501, "stateful code needs a server (not built for local mode)")
            body = {"language": language, "code": code, "stateful": True}
            if timeout is not None:
                body["timeout"] = timeout
            return self._stream("code", body, on_stdout, on_stderr, timeout)
        if self._local:
            return self._local.run_code(code, language, stdin=stdin, env=env, cwd=cwd,
                                        timeout=timeout, limits=limits, on_stdout=on_stdout,
                                        on_stderr=on_stderr)
        body = {"language": language, "code": code}
        self._options(body, stdin, env, cwd, timeout, limits)
        return self._stream("code", body, on_stdout, on_stderr, timeout)

    def stop_interpreter(self):
        """Stop the stateful interpreter (its variables are gone); the jail is
        free again for commands and processes."""
        try:
            self._t.call("DELETE", "%s/kernel" % self._base)
        except JailtraceError as e:
            if e.status != 404:
                raise

    def logs(self):
        """The audit logs of this sandbox's commands: dicts of id, size, mtime."""
        if self._local:
            return self._local.logs()
        return self._t.call("GET", "%s/logs" % self._base)["logs"]

    def report(self, log_id, format="text"):
        """`jailtrace report` of one command's log: "text", "summary" (str),
        "json" (a dict) or "html" (str)."""
        if self._local:
            return self._local.report(log_id, format)
        r = self._t.call("GET", "%s/logs/%s/report?format=%s" % (
            self._base, urllib.parse.quote(log_id, safe=""), urllib.parse.quote(format)))
        return r.decode() if isinstance(r, bytes) else r

    def log(self, log_id):
        """One command's audit log: a list of records (docs/audit-log.md)."""
        if self._local:
            with open(self._local.log_path(log_id), "rb") as f:
                raw = f.read()
        else:
            raw = self._t.call("GET", "%s/logs/%s" % (self._base, urllib.parse.quote(log_id, safe="")))
        return [json.loads(l) for l in raw.splitlines() if l.strip()]
