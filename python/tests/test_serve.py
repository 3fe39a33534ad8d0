"""jailtrace serve driven through the Python client (and raw HTTP where the
client would not send what is tested)."""

import json
import os
import socket
import subprocess
import threading
import time
import uuid

import pytest

from conftest import Server, processes_with, wait_until
from jailtrace import JailtraceError, Sandbox
from jailtrace.client import _UnixConnection


def raw(server, method, path, body=None, token=None, headers=None):
    """(status, parsed JSON or bytes) of one request, as sent."""
    c = _UnixConnection(server.sock, timeout=30)
    h = dict(headers or {})
    if token is not False:
        h["Authorization"] = "Bearer %s" % (token or server.token())
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def sandbox(server, user, tenant="acme", **kw):
    return Sandbox(user=user, server=server.server, token=server.token(tenant), **kw)


def test_run_code_exec_and_files(server):
    with sandbox(server, "alice") as sb:
        r = sb.run_code("print(6 * 7)")
        assert (r.stdout, r.exit_code, r.error, r.status) == ("42\n", 0, None, "exited")
        assert r.wall_ms is not None and r.peak_memory_kb > 0 and r.log_id

        r = sb.run_code("import sys\nprint('to err', file=sys.stderr)\n1/0")
        assert r.exit_code == 1
        assert r.error == "ZeroDivisionError: division by zero"
        assert "to err" in r.stderr

        r = sb.run_code("echo $((2 + 3)); exit 4", language="bash")
        assert (r.stdout, r.exit_code) == ("5\n", 4)

        assert sb.files.write("/work/data/in.txt", b"hello\x00world") == 11
        assert sb.files.read("/work/data/in.txt") == b"hello\x00world"
        r = sb.exec(["cat", "/work/data/in.txt"])
        assert r.stdout_bytes == b"hello\x00world"
        r = sb.exec("echo made > /work/out.txt")
        assert r.exit_code == 0
        assert sb.files.read("/work/out.txt") == b"made\n"
        names = {e["name"]: e["type"] for e in sb.files.list("/work")}
        assert names == {"data": "dir", "out.txt": "file"}
        sb.files.remove("/work/out.txt")
        with pytest.raises(JailtraceError) as e:
            sb.files.read("/work/out.txt")
        assert e.value.status == 404

        # stdin, env, cwd
        r = sb.exec(["sh", "-c", "pwd; echo $GREETING; tr a-z A-Z"], stdin="shout\n",
                    env={"GREETING": "hi there"}, cwd="/tmp")
        assert r.stdout == "/tmp\nhi there\nSHOUT\n"

        # bytes that are not UTF-8 survive the JSON events
        r = sb.exec(["printf", "\\377\\376ok\\303\\251"])
        assert r.stdout_bytes == b"\xff\xfeok\xc3\xa9"

        # a denial comes back with what would grant it, and the log has it
        r = sb.exec(["cat", "/etc/hostname"])
        assert r.exit_code == 1
        assert any("/etc/hostname" in d["text"] and "--ro" in d["text"] for d in r.denials)
        assert r.log_id in [l["id"] for l in sb.logs()]
        records = sb.log(r.log_id)
        assert records[0]["type"] == "run" and records[-1]["type"] == "end"
        assert "/etc/hostname" in sb.report(r.log_id, "summary")
        assert sb.report(r.log_id, "json")["end"]["exit_code"] == 1
        assert sb.report(r.log_id, "html").startswith("<!DOCTYPE html>")
        with pytest.raises(JailtraceError) as e:
            sb.report(r.log_id, "pdf")
        assert e.value.status == 400 and e.value.field == "format"

        # a denied path that is not UTF-8 (jailtrace writes its bytes as
        # \udcXX, which the server reads as U+FFFD)
        odd = b"/var/tmp/jt-serve-\xff-" + uuid.uuid4().hex[:6].encode()
        if os.access(b"/var/tmp", os.W_OK):
            open(odd, "w").close()
            try:
                # (requests are UTF-8: the byte is made by printf inside)
                r = sb.exec("cat \"$(printf '%s')\"" % odd.decode("latin-1").replace("\xff", "\\377"))
                assert r.status == "exited" and r.exit_code == 1
                assert any("\ufffd" in d["text"] for d in r.denials), r.raw
            finally:
                os.unlink(odd)

        # a limit
        r = sb.exec(["sleep", "10"], timeout=0.5)
        assert (r.status, r.limit, r.exit_code) == ("timeout", "timeout", 124)


def test_one_user_one_sandbox_and_a_kept_jail(server):
    a = sandbox(server, "carol")
    b = sandbox(server, "carol")
    assert a.id == b.id
    a.files.write("/home/sandbox/notes", "kept")
    a.destroy()
    with pytest.raises(JailtraceError) as e:
        b.refresh()
    assert e.value.status == 404
    # the user's own jail outlives the sandbox; an ephemeral one does not
    with sandbox(server, "carol") as c:
        assert c.id != a.id
        assert c.files.read("/home/sandbox/notes") == b"kept"
    with sandbox(server, "dave", ephemeral=True) as d:
        d.files.write("/work/x", "x")
        jail = os.path.join(server.data, "ephemeral", d.id)
        assert os.path.isdir(jail)
    assert not os.path.exists(jail)


def test_per_user_isolation(server):
    with sandbox(server, "alice") as alice, sandbox(server, "bob") as bob:
        alice.files.write("/work/secret.txt", "alice's secret")
        r = alice.exec("echo more > /tmp/alice-tmp; id -u")
        alice_uid = r.stdout.strip()

        # bob sees none of it, through the API or from inside
        for path in ("/work/secret.txt", "/tmp/alice-tmp"):
            with pytest.raises(JailtraceError) as e:
                bob.files.read(path)
            assert e.value.status == 404
        assert bob.files.list("/work") == []
        r = bob.exec(["sh", "-c", "cat /work/secret.txt; ls -a /work /tmp; id -u"])
        assert "alice's secret" not in r.stdout
        assert "secret.txt" not in r.stdout and "alice-tmp" not in r.stdout
        # nor can bob reach alice's jail by its host path
        r = bob.exec(["cat", os.path.join(server.data, "jails", "acme", "alice", "work", "secret.txt")])
        assert r.exit_code != 0 and "alice's secret" not in r.stdout
        if os.geteuid() == 0:
            # as root, each user runs as a uid of its own
            assert r.exit_code != 0 and bob.exec(["id", "-u"]).stdout.strip() != alice_uid
        assert alice.files.read("/work/secret.txt") == b"alice's secret"

        # alice's running processes: bob can neither see nor signal them
        marker = "jt-iso-" + uuid.uuid4().hex[:8]
        t, started = _started(alice, "sleep 30 # " + marker)
        try:
            # (the command's own output, not its name in /proc: jailtrace's
            # argv holds the name before the sandboxed sh runs)
            assert started.wait(30)
            pid = [p for p in processes_with("sleep 30 # " + marker)
                   if open("/proc/%d/cmdline" % p, "rb").read().startswith(b"sh\0")][0]
            r = bob.exec(["sh", "-c", "kill -0 %d; echo kill=$?; kill -9 %d; echo kill9=$?; "
                          "ls /proc/%d >/dev/null 2>&1; echo ls=$?; ps -e | grep -c sleep" % (pid, pid, pid)])
            assert "kill=0" not in r.stdout and "kill9=0" not in r.stdout and "ls=0" not in r.stdout, r
            assert os.path.exists("/proc/%d" % pid)     # still running
        finally:
            alice.destroy()
            t.join(20)


def test_tenant_isolation(server):
    with sandbox(server, "alice", tenant="acme") as sb:
        sb.files.write("/work/f", "acme's")
        other = server.token("globex")
        base = "/v1/sandboxes/" + sb.id
        for method, path, body in (("GET", base, None),
                                   ("POST", base + "/exec", b'{"argv": ["true"]}'),
                                   ("POST", base + "/code", b'{"language": "python", "code": "1"}'),
                                   ("GET", base + "/files/work/f", None),
                                   ("PUT", base + "/files/work/f", b"globex's"),
                                   ("DELETE", base + "/files/work/f", None),
                                   ("GET", base + "/logs", None),
                                   ("DELETE", base, None)):
            status, reply = raw(server, method, path, body, token=other)
            assert status == 404, (method, path, status, reply)
        # another tenant's user of the same name is another jail
        with sandbox(server, "alice", tenant="globex") as g:
            assert g.id != sb.id
            with pytest.raises(JailtraceError):
                g.files.read("/work/f")
        status, listing = raw(server, "GET", "/v1/sandboxes", token=other)
        assert status == 200 and sb.id not in [s["id"] for s in listing["sandboxes"]]
        assert sb.files.read("/work/f") == b"acme's"
        assert sb.refresh()["id"] == sb.id


def test_streaming_output_arrives_before_the_end(server):
    # the command's end waits for a file the client puts only once it has
    # the first output: the order of events shows the streaming, not a clock
    with sandbox(server, "alice") as sb, sandbox(server, "alice") as same:
        assert same.id == sb.id
        seen = []

        def got(d, go):
            seen.append(d)
            if len(seen) == 1:
                same.files.write(go, "")
        r = sb.exec(["sh", "-c", "echo first; while [ ! -e /work/go1 ]; do sleep 0.02; done; echo second"],
                    on_stdout=lambda d: got(d, "/work/go1"), timeout=20)
        assert r.stdout == "first\nsecond\n" and r.exit_code == 0, r.raw
        assert seen[0] == "first\n"

        seen.clear()
        r = sb.run_code("import os, time\nprint('a')\nwhile not os.path.exists('/work/go2'):\n"
                        "    time.sleep(0.02)\nprint('b')", on_stdout=lambda d: got(d, "/work/go2"), timeout=20)
        assert r.stdout == "a\nb\n" and r.exit_code == 0, r.raw
        assert seen[0].startswith("a")


def test_traversal_and_links_refused(server):
    with sandbox(server, "alice") as sb:
        base = "/v1/sandboxes/%s/files" % sb.id
        for path, want in (("/work/../../../etc/passwd", 403), ("/work/./x", 403),
                           ("/etc/passwd", 403), ("/work//x", 403),
                           ("/work/a%00b", 400), ("/work/%2e%2e/%2e%2e/etc/passwd", 403),
                           ("/work/a%zz", 400), ("/workx/y", 403)):
            for method in ("GET", "PUT", "DELETE"):
                status, reply = raw(server, method, base + path, b"x" if method == "PUT" else None)
                assert status == want, (method, path, status, reply)
        assert "refused" in server.output() or "403" in server.output()

        # links the program plants are not followed, to the host or within
        r = sb.exec(["sh", "-c", "ln -s /etc /work/etc && ln -s /etc/passwd /work/pw && "
                     "mkdir /work/d && ln -s d /work/dl && echo in > /work/d/f && "
                     "mkfifo /work/fifo"])
        assert r.exit_code == 0, r
        with open("/etc/passwd", "rb") as f:
            passwd = f.read()
        for path in ("/work/pw", "/work/etc/passwd", "/work/dl/f"):
            with pytest.raises(JailtraceError) as e:
                sb.files.read(path)
            assert e.value.status == 403, path
        with pytest.raises(JailtraceError) as e:
            sb.files.write("/work/etc/passwd", "owned")
        assert e.value.status == 403
        with pytest.raises(JailtraceError) as e:
            sb.files.read("/work/fifo")     # would block a reader: refused at once
        assert e.value.status == 403
        # writing over a link replaces the link, never writes through it
        sb.files.write("/work/pw", "replaced")
        with open("/etc/passwd", "rb") as f:
            assert f.read() == passwd
        assert sb.files.read("/work/pw") == b"replaced"
        assert sb.files.read("/work/d/f") == b"in\n"
        types = {e["name"]: e["type"] for e in sb.files.list("/work")}
        assert types["pw"] == "file" and types["etc"] == "link" and types["fifo"] == "other"


def test_idle_timeout_and_max_age_destroy_and_leave_nothing(server):
    marker = "jt-idle-" + uuid.uuid4().hex[:8]
    # three sandboxes side by side, each with a 2 s idle timeout or maximum
    # age (a request must reach each before it, on a busy host too)
    sb = sandbox(server, "erin", idle_timeout=2, ephemeral=True)
    busy = sandbox(server, "fred", idle_timeout=2, ephemeral=True)
    old = sandbox(server, "hank", max_age=2, idle_timeout=600, ephemeral=True)
    assert old.info["max_age"] == 2
    jail = os.path.join(server.data, "ephemeral", sb.id)
    # the maximum age destroys even a running command
    aged = []
    ta = threading.Thread(target=lambda: aged.append(
        _quietly(old.exec, ["sh", "-c", "sleep 60 # " + marker + "-age"])), daemon=True)
    ta.start()
    # in busy, a running command is not idleness: this one outlives the timeout
    results = []
    t = threading.Thread(target=lambda: results.append(
        _quietly(busy.exec, ["sh", "-c", "echo x >/work/x; sleep 2.5; echo " + marker])), daemon=True)
    t.start()
    # in sb, a running background process is idleness
    p = sb.processes.start("echo up; exec sleep 300 # " + marker + "-bg")
    q = sb.processes.start("echo up; exec sleep 300 # " + marker + "-bg2")
    assert _wait_output(p, "up") and _wait_output(q, "up")
    assert len(processes_with(marker + "-bg")) >= 2
    assert wait_until(lambda: not os.path.exists(jail), timeout=6)
    assert wait_until(lambda: not processes_with(marker + "-bg"))
    with pytest.raises(JailtraceError) as e:
        sb.refresh()
    assert e.value.status == 404
    assert wait_until(lambda: "idle timeout" in server.output())
    t.join(20)
    assert results and results[0] and results[0].stdout == marker + "\n", results
    assert busy.refresh()["id"] == busy.id
    assert os.path.isdir(os.path.join(server.data, "ephemeral", busy.id))
    busy.destroy()
    ta.join(20)
    assert aged and aged[0] and aged[0].status == "interrupted", aged
    assert wait_until(lambda: not processes_with(marker + "-age"))
    with pytest.raises(JailtraceError) as e:
        old.refresh()
    assert e.value.status == 404
    assert not os.path.exists(os.path.join(server.data, "ephemeral", old.id))
    assert wait_until(lambda: "maximum age" in server.output())


def test_destroy_kills_the_running_command(server):
    marker = "jt-kill-" + uuid.uuid4().hex[:8]
    sb = sandbox(server, "frank", ephemeral=True)
    results = []
    t, started = _started(sb, "sleep 300 # " + marker, results)
    assert started.wait(30)
    # one command at a time in a sandbox
    with pytest.raises(JailtraceError) as e:
        sb.exec(["true"])
    assert e.value.status == 409
    start = time.monotonic()
    sb.destroy()
    t.join(30)
    assert not t.is_alive()
    assert time.monotonic() - start < 15
    assert results and results[0].status == "interrupted"
    assert wait_until(lambda: not processes_with(marker))
    assert not os.path.exists(os.path.join(server.data, "ephemeral", sb.id))


def test_bad_input(server):
    with sandbox(server, "alice") as sb:
        base = "/v1/sandboxes/" + sb.id
        assert raw(server, "GET", "/v1/sandboxes", token=False)[0] == 401
        assert raw(server, "GET", base, token="tok-nobody")[0] == 401
        status, e = raw(server, "POST", base + "/exec", b'{"argv": ["true"')
        assert status == 400 and e["field"] == "body"
        status, e = raw(server, "POST", base + "/exec", b'{"argv": "true"}')
        assert status == 400 and e["field"] == "argv"
        status, e = raw(server, "POST", base + "/exec", b'{"argv": ["true"], "colour": 1}')
        assert status == 400 and e["field"] == "colour"
        status, e = raw(server, "POST", base + "/exec", b'{"argv": ["true"], "env": {"A B": "x"}}')
        assert status == 400 and e["field"] == "env.A B"
        status, e = raw(server, "POST", base + "/code", b'{"language": "cobol", "code": "x"}')
        assert status == 400 and e["field"] == "language"
        status, e = raw(server, "POST", "/v1/sandboxes", b'{"user": "../root"}')
        assert status == 400 and e["field"] == "user"
        status, e = raw(server, "POST", "/v1/sandboxes", b'{"user": "x", "rw": ["/etc:/etc"]}')
        assert status == 403 and e["field"] == "rw[0]"
        for net in ("127.0.0.1:8000", "localhost:80", "[::1]:22", "127.5.0.0/16", "0.0.0.0/0", "0.0.0.0"):
            status, e = raw(server, "POST", "/v1/sandboxes",
                            json.dumps({"user": "x", "allow_net": ["192.0.2.1:443", net]}).encode())
            assert status == 403 and e["field"] == "allow_net[1]", (net, status, e)
        status, e = raw(server, "POST", "/v1/sandboxes", json.dumps({"user": "x", "policy_text": 1}).encode())
        assert status == 400 and e["field"] == "policy_text", e
        status, e = raw(server, "POST", "/v1/sandboxes", json.dumps(
            {"user": "x", "policy_text": "include default", "policy": "default"}).encode())
        assert status == 400 and e["field"] == "policy_text", e
        # a proxy rule names an upstream of the server's, never an address
        status, e = raw(server, "POST", "/v1/sandboxes", json.dumps(
            {"user": "x", "proxy": {"http://169.254.169.254": {}}}).encode())
        assert status == 400 and e["field"].startswith("proxy."), e
        status, e = raw(server, "POST", "/v1/sandboxes", b'{"user": "x", "policy": "nope"}')
        assert status == 400 and e["field"] == "policy"
        status, e = raw(server, "POST", base + "/exec", b'{"cmd": "' + b"a" * (2 << 20) + b'"}')
        assert status == 413
        assert raw(server, "GET", "/v1/sandboxes/sb-0000/exec")[0] == 404
        assert raw(server, "GET", "/v2/whatever")[0] == 404
        assert raw(server, "PATCH", base)[0] == 405
        # nothing changed: the sandbox still works
        assert sb.exec(["true"]).exit_code == 0


def test_server_death_kills_every_sandbox():
    s = Server()
    try:
        marker = "jt-death-" + uuid.uuid4().hex[:8]
        sb = Sandbox(user="gina", server=s.server, token=s.token(), ephemeral=True)
        t, started = _started(sb, "sleep 300 # " + marker)
        assert started.wait(30)
        # a background process and a stateful interpreter die with it too
        bg = Sandbox(user="gina2", server=s.server, token=s.token(), ephemeral=True)
        p = bg.processes.start("echo up; sleep 300 # p" + marker)
        q = bg.processes.start("echo up; sleep 300 # q" + marker)
        assert _wait_output(p, "up") and _wait_output(q, "up")
        assert processes_with("q" + marker) and processes_with("p" + marker)
        kern = Sandbox(user="gina3", server=s.server, token=s.token(), ephemeral=True)
        assert kern.run_code("x = 1", stateful=True).exit_code == 0
        assert processes_with(kern.id)
        s.stop(sig=9)
        assert wait_until(lambda: not processes_with(marker) and not processes_with(kern.id), timeout=15)
        t.join(10)
        assert sorted(os.listdir(os.path.join(s.data, "ephemeral"))) == sorted([sb.id, bg.id, kern.id])
        # the next server removes the ephemeral jails the dead one left
        s.log.close()
        s = Server(dir=s.dir)
        assert os.listdir(os.path.join(s.data, "ephemeral")) == []
        with pytest.raises(JailtraceError) as e:
            Sandbox.refresh(sb)
        assert e.value.status == 404
    finally:
        s.close()


def _quietly(fn, *a, **kw):
    try:
        return fn(*a, **kw)
    except Exception:
        pass


def _started(sb, line, results=None):
    """A thread running `echo started; LINE` in @sb (its result appended to
    @results), and an event set when "started" has come back: the
    sandboxed shell runs (an event, not a guess at how long it takes)."""
    started = threading.Event()

    def run():
        r = _quietly(sb.exec, ["sh", "-c", "echo started; " + line],
                     on_stdout=lambda d: "started" in d and started.set())
        if results is not None:
            results.append(r)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, started


def test_loopback_tcp():
    s = Server(extra=["--listen", "127.0.0.1:0"], unix=False)
    try:
        assert s.server.startswith("http://127.0.0.1:")
        with Sandbox(user="ivy", server=s.server, token=s.token()) as sb:
            assert sb.run_code("print('over tcp')").stdout == "over tcp\n"
            # an exposed port's URL is the server's own
            import urllib.error
            import urllib.request
            port = _free_port()
            sb.files.write("/work/i.txt", "tcp\n")
            p = sb.processes.start(["python3", "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                                   ports=[port], cwd="/work")
            assert _wait_output(p, "Serving HTTP"), p.output()
            url = sb.ports.expose(port)
            assert url == "%s/v1/sandboxes/%s/ports/%d/" % (s.server, sb.id, port)
            req = urllib.request.Request(url + "i.txt", headers={"Authorization": "Bearer " + s.token()})
            assert urllib.request.urlopen(req, timeout=30).read() == b"tcp\n"
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(url + "i.txt", timeout=30)
            assert e.value.code == 401
            p.signal("KILL")
            p.wait(20)
        # beyond loopback only when asked
        out = subprocess.run([s.bin, "serve", "--tokens", s.tokens, "--data", s.data,
                              "--listen", "0.0.0.0:0"], capture_output=True, text=True, timeout=30)
        assert out.returncode == 125 and "--allow-remote" in out.stderr
    finally:
        s.close()


def test_a_stuck_client_blocks_no_one(server):
    # a client that sends half a request and stops, and one that never reads
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.connect(server.sock)
    stuck.sendall(b"POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                  b"Content-Length: 100\r\n\r\n{\"user\"" % server.token().encode())
    with sandbox(server, "jill") as sb:
        mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mute.connect(server.sock)
        body = json.dumps({"argv": ["sh", "-c", "yes | head -c 4000000"]}).encode()
        mute.sendall(b"POST /v1/sandboxes/%s/exec HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (sb.id.encode(), server.token().encode(),
                                                       len(body), body))
        with sandbox(server, "kate", tenant="globex") as other:
            start = time.monotonic()
            assert other.run_code("print(1)").stdout == "1\n"
            assert time.monotonic() - start < 10
        mute.close()
    stuck.close()


def test_tenant_limits_give_429():
    s = Server(extra=["--max-sandboxes", "2", "--max-commands", "1"])
    try:
        a = Sandbox(user="u1", server=s.server, token=s.token())
        b = Sandbox(user="u2", server=s.server, token=s.token())
        with pytest.raises(JailtraceError) as e:
            Sandbox(user="u3", server=s.server, token=s.token())
        assert e.value.status == 429
        # another tenant has limits of its own
        Sandbox(user="u3", server=s.server, token=s.token("globex")).destroy()
        marker = "jt-429-" + uuid.uuid4().hex[:8]
        t, started = _started(a, "sleep 30 # " + marker)
        assert started.wait(30)
        with pytest.raises(JailtraceError) as e:
            b.exec(["true"])
        assert e.value.status == 429
        a.destroy()
        t.join(20)
        assert b.exec(["true"]).exit_code == 0
        # a background process counts as a command running
        q = b.processes.start("echo up; sleep 300")
        assert _wait_output(q, "up")
        c = Sandbox(user="u4", server=s.server, token=s.token())
        with pytest.raises(JailtraceError) as e:
            c.exec(["true"])
        assert e.value.status == 429
        with pytest.raises(JailtraceError) as e:
            c.run_code("1", stateful=True)
        assert e.value.status == 429
        q.signal("KILL")
        q.wait(20)
        assert c.exec(["true"]).exit_code == 0
        b.destroy()
    finally:
        s.close()


def test_the_tool_definition_and_its_handler(server):
    from jailtrace.tool import ANTHROPIC_TOOL, TOOL, run_tool
    assert TOOL["function"]["name"] == "run_code"
    assert ANTHROPIC_TOOL["input_schema"]["required"] == ["language", "code"]
    json.dumps(TOOL), json.dumps(ANTHROPIC_TOOL)
    with sandbox(server, "agent") as sb:
        out = json.loads(run_tool(sb, json.dumps({"language": "python", "code": "print(2 ** 10)"})))
        assert out == {"exit_code": 0, "stdout": "1024\n", "stderr": ""}
        out = json.loads(run_tool(sb, {"language": "bash", "code": "cat /etc/shadow"}))
        assert out["exit_code"] == 1 and out["error"]
        assert any("/etc/shadow" in d for d in out["denied"])


def test_local_mode_without_a_server():
    from conftest import jailtrace_bin
    binary = jailtrace_bin()
    with Sandbox(user="loc", server="local:" + binary, ephemeral=True) as sb:
        jail = sb._local.jail
        seen = []

        def got(d):
            seen.append(d)
            if len(seen) == 1:  # the end waits for the first output to arrive
                open(os.path.join(jail, "tmp", "go"), "w").close()
        r = sb.exec(["sh", "-c", "echo first; while [ ! -e /tmp/go ]; do sleep 0.02; done; echo second"],
                    on_stdout=got, timeout=20)
        assert r.stdout == "first\nsecond\n" and r.exit_code == 0 and seen[0] == "first\n"
        r = sb.run_code("import sys\nprint(sys.stdin.read()[::-1])\n1/0", stdin="abc")
        assert r.stdout == "cba\n" and r.error == "ZeroDivisionError: division by zero"
        assert sb.files.write("/work/d/x.txt", "data") == 4
        assert sb.files.read("/work/d/x.txt") == b"data"
        assert sb.exec(["cat", "/work/d/x.txt"]).stdout == "data"
        r = sb.exec(["sh", "-c", "ln -s /etc/passwd /work/pw; cat /etc/hostname"])
        assert any("/etc/hostname" in d["text"] for d in r.denials)
        assert sb.log(r.log_id)[-1]["type"] == "end"
        assert "/etc/hostname" in sb.report(r.log_id, "summary")
        for path, status in (("/work/pw", 403), ("/etc/passwd", 403), ("/work/../x", 403),
                             ("/work/none", 404)):
            with pytest.raises(JailtraceError) as e:
                sb.files.read(path)
            assert e.value.status == status, path
        assert {e["name"] for e in sb.files.list("/work")} == {"d", "pw"}
        sb.files.remove("/work/d/x.txt")
        assert sb.exec(["sleep", "5"], timeout=0.3).limit == "timeout"
        assert sb.exec(["mkdir", "/work/made"]).exit_code == 0  # the control of policy_text's
        assert os.path.isdir(os.path.join(jail, "work", "made"))
        assert os.path.isdir(jail)
    assert not os.path.exists(jail)
    # policy_text: taken as `jailtrace run --policy` takes a file
    text = "include default\ndeny mkdir mkdirat EPERM\n"
    with Sandbox(user="loc", server="local:" + binary, ephemeral=True, policy_text=text) as sb:
        assert sb.exec(["mkdir", "/work/made"]).exit_code != 0
        assert not os.path.exists(os.path.join(sb._local.jail, "work", "made"))
    with pytest.raises(JailtraceError) as e:
        Sandbox(user="loc", server="local:" + binary, ephemeral=True, policy_text="include default\nnett x\n")
    assert e.value.status == 400 and "policy_text.policy:2:" in e.value.message, e.value.message


def test_a_token_bound_to_unix_peer_uids():
    me, other = os.getuid(), os.getuid() + 1
    s = Server(token_lines=["tok-mine-0123456789abcdef mine uid=%d,%d" % (other, me),
                            "tok-theirs-0123456789abcdef theirs uid=%d" % other])
    try:
        assert raw(s, "GET", "/v1/sandboxes", token="tok-mine-0123456789abcdef")[0] == 200
        assert raw(s, "GET", "/v1/sandboxes", token="tok-theirs-0123456789abcdef")[0] == 401
        assert "not one of its uids" in s.output()
    finally:
        s.close()


def test_sighup_reads_the_tokens_again_and_keeps_the_sandboxes():
    import signal as sig
    s = Server()
    try:
        sb = Sandbox(user="lena", server=s.server, token=s.token())
        with open(s.tokens, "w") as f:
            f.write("tok-rotated-0123456789abcdef acme\n")
        s.proc.send_signal(sig.SIGHUP)
        assert wait_until(lambda: "got SIGHUP: 1 token" in s.output())
        assert raw(s, "GET", "/v1/sandboxes", token=s.token())[0] == 401
        status, listing = raw(s, "GET", "/v1/sandboxes", token="tok-rotated-0123456789abcdef")
        assert status == 200 and [b["id"] for b in listing["sandboxes"]] == [sb.id]
        # a file that does not read leaves the tokens as they were
        with open(s.tokens, "w") as f:
            f.write("just-one-field\n")
        s.proc.send_signal(sig.SIGHUP)
        assert wait_until(lambda: "not read again" in s.output())
        assert raw(s, "GET", "/v1/sandboxes", token="tok-rotated-0123456789abcdef")[0] == 200
        assert s.proc.poll() is None
    finally:
        s.close()


def test_a_client_gone_stops_its_command_not_the_sandbox(server):
    marker = "jt-gone-" + uuid.uuid4().hex[:8]
    with sandbox(server, "mona") as sb:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(server.sock)
        body = json.dumps({"argv": ["sh", "-c", "echo started; sleep 60 # " + marker]}).encode()
        c.sendall(b"POST /v1/sandboxes/%s/exec HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (sb.id.encode(), server.token().encode(),
                                                     len(body), body))
        got = b""
        while b"started" not in got:
            got += c.recv(4096)
        assert processes_with(marker)
        c.close()
        # noticed at once (the connection's hang-up), not at the next output
        assert wait_until(lambda: not processes_with(marker), timeout=8)
        assert sb.refresh()["id"] == sb.id
        assert wait_until(lambda: not sb.refresh()["running"], timeout=5)
        assert sb.exec(["echo", "again"]).stdout == "again\n"


def test_destroy_as_a_command_starts_is_interrupted(server):
    # a destroy that comes while jailtrace starts (before its signal
    # handlers, or while it seizes the program) ends the command as
    # "interrupted", the same as one that comes later
    for i in range(6):
        sb = sandbox(server, "early%d" % i, ephemeral=True)
        marker = "jt-early-" + uuid.uuid4().hex[:8]
        results = []
        t = threading.Thread(target=lambda: results.append(sb.exec(["sh", "-c", "sleep 300 # " + marker])))
        t.start()
        # jailtrace's own argv names the marker from its exec on
        assert wait_until(lambda: processes_with(marker), step=0.002)
        sb.destroy()
        t.join(30)
        assert results and results[0].status == "interrupted", results and results[0].raw
        assert wait_until(lambda: not processes_with(marker))


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _two_ports():
    ports = [_free_port()]
    while len(ports) < 2:
        port = _free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _two_dev_servers(sb, ports):
    """A backend and a frontend http.server in @sb's jail, on @ports, each
    serving a directory of its own; both up."""
    sb.files.write("/work/api/index.html", "backend")
    sb.files.write("/work/web/index.html", "frontend")
    api = sb.processes.start(["python3", "-u", "-m", "http.server", str(ports[0]), "--bind", "127.0.0.1"],
                             ports=[ports[0]], cwd="/work/api")
    web = sb.processes.start(["python3", "-u", "-m", "http.server", str(ports[1]), "--bind", "127.0.0.1"],
                             ports=[ports[1]], cwd="/work/web")
    assert _wait_output(api, "Serving HTTP"), api.output()
    assert _wait_output(web, "Serving HTTP"), web.output()
    return api, web


def _wait_output(proc, text, timeout=20):
    """Wait until @text is in the process's output (its stdout or stderr)."""
    return wait_until(lambda: any(text in o for o in proc.output()), timeout=timeout, step=0.1)


def test_a_background_process_its_output_and_signals(server):
    marker = "jt-bg-" + uuid.uuid4().hex[:8]
    with sandbox(server, "paul") as sb:
        p = sb.processes.start("echo one; echo two >&2; sleep 300 # " + marker)
        assert p.running and p.id.startswith("proc-")
        # its output so far, while it runs
        assert _wait_output(p, "two")
        out, err = p.output()
        assert (out, err) == ("one\n", "two\n")
        assert [q.id for q in sb.processes.list()] == [p.id]
        assert sb.refresh()["process"] == p.id and sb.info["running_processes"] == [p.id]
        # a command runs beside it (several processes: test_several_dev_servers_in_one_sandbox)
        assert sb.exec(["echo", "beside"]).stdout == "beside\n"
        # bad input
        status, e = raw(server, "POST", "/v1/sandboxes/%s/processes/%s/signal" % (sb.id, p.id),
                        b'{"signal": "USR1"}')
        assert status == 501 and e["field"] == "signal"
        status, e = raw(server, "POST", "/v1/sandboxes/%s/processes/%s/signal" % (sb.id, p.id),
                        b'{"signal": "BOGUS"}')
        assert status == 400 and e["field"] == "signal"
        status, e = raw(server, "POST", "/v1/sandboxes/%s/processes" % sb.id, b'{"cmd": "x", "ports": [80]}')
        assert status == 400 and e["field"] == "ports[0]"
        assert raw(server, "GET", "/v1/sandboxes/%s/processes/proc-00" % sb.id)[0] == 404
        # another tenant sees none of it
        status, _ = raw(server, "GET", "/v1/sandboxes/%s/processes/%s" % (sb.id, p.id),
                        token=server.token("globex"))
        assert status == 404
        status, _ = raw(server, "POST", "/v1/sandboxes/%s/processes/%s/signal" % (sb.id, p.id),
                        b"{}", token=server.token("globex"))
        assert status == 404 and p.refresh()["running"]
        # TERM: the program gets it, the run ends
        p.signal("TERM")
        end = p.wait(20)
        assert end["status"] == "interrupted" and end["log_id"] == p.id
        assert not processes_with(marker)
        assert p.id in [l["id"] for l in sb.logs()]
        # the jail is free again; KILL ends one at once
        assert sb.exec(["echo", "free"]).stdout == "free\n"
        q = sb.processes.start(["sh", "-c", "echo up; sleep 300 # " + marker])
        assert _wait_output(q, "up")
        q.signal("KILL")
        assert q.wait(20)["status"] == "killed"
        assert wait_until(lambda: not processes_with(marker))


def _host_get(port, path):
    """GET http://127.0.0.1:PORT/PATH from the host: the body, or None when
    nothing answers."""
    import urllib.request
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.read().decode()
    except OSError:
        return None


def test_a_command_beside_a_dev_server_and_the_interpreter(server):
    port = _free_port()
    marker = "jt-beside-" + uuid.uuid4().hex[:8]
    served = "http.server\x00%d" % port
    sb = sandbox(server, "tess", ephemeral=True)
    jail = os.path.join(server.data, "ephemeral", sb.id)
    sb.files.write("/work/index.html", "v1")
    p = sb.processes.start(["sh", "-c", "echo $$ >/work/server.pid; exec python3 -u -m http.server %d "
                            "--bind 127.0.0.1" % port], ports=[port], cwd="/work")
    assert _wait_output(p, "Serving HTTP"), p.output()
    # the dev server serves, seen from the host
    assert _host_get(port, "/index.html") == "v1"
    # a command beside it: it sees the server's files, and what it writes the server serves
    results = []
    t, started = _started(sb, "cat /work/server.pid; echo v2 >/work/index.html; echo written; "
                          "sleep 300 # " + marker, results)
    assert started.wait(30)
    assert wait_until(lambda: _host_get(port, "/index.html") == "v2\n", timeout=20)
    # and the stateful interpreter beside both, in the same jail
    r = sb.run_code("print(open('/work/index.html').read().strip())", stateful=True)
    assert r.stdout == "v2\n", r.raw
    # one command at a time still
    with pytest.raises(JailtraceError) as e:
        sb.exec(["true"])
    assert e.value.status == 409
    assert sb.refresh()["process"] == p.id and p.refresh()["running"]
    assert processes_with(marker) and processes_with(served)
    # destroy kills all three, and the jail goes with the last of them
    sb.destroy()
    t.join(30)
    assert not t.is_alive()
    assert results and results[0].status == "interrupted"
    assert results[0].stdout.startswith("started\n") and results[0].stdout.split("\n")[1].isdigit()
    assert wait_until(lambda: not processes_with(marker) and not processes_with(served))
    assert _host_get(port, "/index.html") is None
    assert not os.path.exists(jail)


def test_several_dev_servers_in_one_sandbox():
    # a bound of 2 (the default is 8) and 700M of memory limits for the
    # tenant: two processes of 300M hold 600M
    s = Server(extra=["--max-processes", "2", "--tenant-memory", "700M"])
    try:
        sb = Sandbox(user="vera", server=s.server, token=s.token(), ephemeral=True,
                     limits={"memory": "300M"})
        jail = os.path.join(s.data, "ephemeral", sb.id)
        ports = _two_ports()
        served = ["http.server\x00%d" % port for port in ports]
        marker = "jt-third-" + uuid.uuid4().hex[:8]
        # the third's sleep, found by its argv (the marker is its jailtrace's)
        naps = 3000 + int(uuid.uuid4().hex[:4], 16)
        nap = "sleep\x00%d" % naps
        api, web = _two_dev_servers(sb, ports)
        # both answer at once, seen from the host, each from its own directory
        assert _host_get(ports[0], "/index.html") == "backend"
        assert _host_get(ports[1], "/index.html") == "frontend"
        assert processes_with(served[0]) and processes_with(served[1])
        # both listed, both running
        assert [p.id for p in sb.processes.list(running=True)] == [web.id, api.id]
        assert sb.refresh()["running_processes"] == [web.id, api.id] and sb.info["process"] == web.id
        # each exposed through the server, each port to its own process
        for port in ports:
            sb.ports.expose(port)
        assert sb.ports.request(ports[0], "/index.html")[::2] == (200, b"backend")
        assert sb.ports.request(ports[1], "/index.html")[::2] == (200, b"frontend")
        # a third is over --max-processes: 409, and nothing starts
        with pytest.raises(JailtraceError) as e:
            sb.processes.start("echo up; exec sleep %d # %s" % (naps, marker))
        assert e.value.status == 409 and "--max-processes" in e.value.message, e.value.message
        assert not processes_with(marker) and len(sb.processes.list()) == 2
        # each holds its memory limit for --tenant-memory: 600M held, a
        # command of 300M is over 700M, one of 100M fits
        with pytest.raises(JailtraceError) as e:
            sb.exec(["true"])
        assert e.value.status == 429 and e.value.field == "limits.memory"
        assert sb.exec(["true"], limits={"memory": "100M"}).exit_code == 0
        # TERM to one: it ends, the other serves on
        api.signal("TERM")
        assert api.wait(20)["status"] == "interrupted"
        assert wait_until(lambda: not processes_with(served[0]))
        assert _host_get(ports[0], "/index.html") is None
        assert web.refresh()["running"] and processes_with(served[1])
        assert _host_get(ports[1], "/index.html") == "frontend"
        assert sb.ports.request(ports[1], "/index.html")[::2] == (200, b"frontend")
        assert [x["port"] for x in sb.ports.list()] == [ports[1]]
        # its slot is free again; each run has its own audit log
        third = sb.processes.start("echo up; exec sleep %d # %s" % (naps, marker))
        assert _wait_output(third, "up")
        assert wait_until(lambda: processes_with(nap))
        assert {api.id, web.id, third.id} <= {l["id"] for l in sb.logs()}
        # destroy kills both running ones and their jailtraces; the jail goes
        assert len(processes_with(jail)) >= 2
        sb.destroy()
        assert wait_until(lambda: not processes_with(served[1]) and not processes_with(nap)
                          and not processes_with(marker) and not processes_with(jail))
        assert _host_get(ports[1], "/index.html") is None
        assert not os.path.exists(jail)
    finally:
        s.close()


def test_destroy_kills_background_processes(server):
    marker = "jt-bgd-" + uuid.uuid4().hex[:8]
    sb = sandbox(server, "quinn", ephemeral=True)
    p = sb.processes.start("echo up; exec sleep 300 # " + marker)
    assert _wait_output(p, "up")
    sb.destroy()
    assert wait_until(lambda: not processes_with(marker))
    assert not os.path.exists(os.path.join(server.data, "ephemeral", sb.id))
    # (the idle timeout's: test_idle_timeout_destroys_and_leaves_nothing)


def test_an_exposed_port_answers_with_the_token_only(server):
    port = _free_port()
    with sandbox(server, "rita") as sb, sandbox(server, "sam") as other:
        sb.files.write("/work/index.html", "served from the sandbox\n")
        p = sb.processes.start(["python3", "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                               ports=[port], cwd="/work")
        assert _wait_output(p, "Serving HTTP"), p.output()
        # not exposed yet: 404, and a port not granted cannot be exposed
        assert sb.ports.request(port, "/index.html")[0] == 404
        with pytest.raises(JailtraceError) as e:
            sb.ports.expose(port + 1 if port < 65535 else port - 1)
        assert e.value.status == 409 and e.value.field == "port"
        path = sb.ports.expose(port)
        assert path == "/v1/sandboxes/%s/ports/%d/" % (sb.id, port)
        assert [x["port"] for x in sb.ports.list()] == [port]
        status, headers, body = sb.ports.request(port, "/index.html?x=1")
        assert (status, body) == (200, b"served from the sandbox\n")
        assert headers["Content-Type"].startswith("text/html")
        status, _, body = sb.ports.request(port, "/nothing")
        assert status == 404
        # without the token, with another tenant's, through another sandbox
        assert raw(server, "GET", path + "index.html", token=False)[0] == 401
        assert raw(server, "GET", path + "index.html", token="tok-nobody")[0] == 401
        assert raw(server, "GET", path + "index.html", token=server.token("globex"))[0] == 404
        assert raw(server, "GET", "/v1/sandboxes/%s/ports/%d/index.html" % (other.id, port))[0] == 404
        # another user's sandbox cannot reach the port from inside
        r = other.run_code("import socket\ntry:\n    socket.create_connection(('127.0.0.1', %d), 3)\n"
                           "    print('connected')\nexcept OSError as e:\n    print('refused', e)" % port)
        assert "connected" not in r.stdout and "refused" in r.stdout, r
        # nor take it for a process of its own
        with pytest.raises(JailtraceError) as e:
            other.processes.start(["true"], ports=[port])
        assert e.value.status == 409 and e.value.field == "ports[0]"
        # the process ends: its port is exposed no longer
        p.signal("TERM")
        p.wait(20)
        assert sb.ports.request(port, "/index.html")[0] == 404
        assert sb.ports.list() == []


def test_an_exposed_port_never_reaches_a_host_service(server):
    # a host service listens on the port the sandbox asks for: the
    # sandbox's bind fails, and its port, exposed, is not forwarded there
    # (SO_REUSEPORT on both: where the sandbox runs as the host's uid, its
    # bind succeeds beside the host's, and a connect could reach either)
    host = socket.socket()
    host.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    host.bind(("127.0.0.1", 0))
    host.listen(4)
    host.settimeout(0.5)
    port = host.getsockname()[1]
    try:
        with sandbox(server, "tom") as sb:
            p = sb.processes.start(
                "python3 -c \"import socket, time; s = socket.socket(); "
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1); s.bind(('127.0.0.1', %d)); "
                "s.listen(); print('listening', flush=True); time.sleep(300)\"; echo bind=$?; sleep 300"
                % port, ports=[port])
            assert wait_until(lambda: any("bind=" in o or "listening" in o for o in p.output()), timeout=20)
            sb.ports.expose(port)
            status, _, body = sb.ports.request(port, "/")
            assert status == 502 and b"listens" in body
            with pytest.raises(socket.timeout):
                host.accept()
            p.signal("KILL")
            p.wait(20)
    finally:
        host.close()


def test_a_hostile_upstream_gets_502(server):
    port = _free_port()
    # a server in the sandbox whose answers are not HTTP the server passes on
    code = ("import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('127.0.0.1', %d))\ns.listen()\nprint('up', flush=True)\n"
            "answers = {b'/lf': b'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\nSet-Cookie: a=1\\r\\n\\r\\nbody',\n"
            "           b'/close': b'',\n"
            "           b'/big': b'HTTP/1.1 200 OK\\r\\nX-A: ' + b'a' * 17000 + b'\\r\\n\\r\\n',\n"
            "           b'/te': b'HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n',\n"
            "           b'/two': b'HTTP/1.1 200 OK\\r\\nContent-Length: 1\\r\\nContent-Length: 2\\r\\n\\r\\nab',\n"
            "           b'/nohttp': b'SSH-2.0-OpenSSH\\r\\n\\r\\n',\n"
            "           b'/neg': b'HTTP/1.1 200 OK\\r\\nContent-Length: -1\\r\\n\\r\\nab',\n"
            "           b'/ok': b'HTTP/1.1 201 Made\\r\\nContent-Length: 2\\r\\nX-Secret: no\\r\\nLocation: /x\\r\\n\\r\\nokEXTRA'}\n"
            "while True:\n    c, _ = s.accept()\n    req = c.recv(65536)\n"
            "    c.sendall(answers.get(req.split(b' ')[1], b''))\n"
            "    c.close()\n" % port)
    with sandbox(server, "uma") as sb:
        sb.files.write("/work/srv.py", code)
        p = sb.processes.start(["python3", "/work/srv.py"], ports=[port])
        assert _wait_output(p, "up"), p.output()
        sb.ports.expose(port)
        for path in ("/lf", "/close", "/big", "/te", "/two", "/nohttp", "/neg"):
            status, headers, body = sb.ports.request(port, path)
            assert status == 502 and "Set-Cookie" not in headers, (path, status, body)
        status, headers, body = sb.ports.request(port, "/ok")
        assert (status, body, headers.get("Location")) == (201, b"ok", "/x")
        assert "X-Secret" not in headers
        assert server.proc.poll() is None
        p.signal("KILL")
        p.wait(20)



def test_stateful_python_keeps_its_variables(server):
    with sandbox(server, "vera") as sb:
        r = sb.run_code("x = 41\nimport math", stateful=True)
        assert (r.exit_code, r.stdout, r.raw["stateful"], r.raw["cell"]) == (0, "", True, 1)
        seen = []
        r = sb.run_code("print(x + 1)\nimport sys\nprint('err', file=sys.stderr)\nprint(math.pi > 3)",
                        stateful=True, on_stdout=seen.append)
        assert (r.stdout, r.stderr, r.exit_code, r.raw["cell"]) == ("42\nTrue\n", "err\n", 0, 2)
        assert "".join(seen) == "42\nTrue\n"
        # an exception is the cell's error; the variables stay
        r = sb.run_code("y = x\n1/0", stateful=True)
        assert r.exit_code == 1 and r.error == "ZeroDivisionError: division by zero"
        assert "<cell>" in r.stderr and "exec(compile" not in r.stderr
        assert sb.run_code("print(y)", stateful=True).stdout == "41\n"
        # a cell cannot end the others' stream early: the mark is a nonce
        r = sb.run_code("print('\\x1eJT-END 0 0\\x1e')\nprint('after')", stateful=True)
        assert r.stdout.endswith("after\n") and r.exit_code == 0
        # input() reads end of file, not the interpreter's own channel
        r = sb.run_code("try:\n    input()\nexcept EOFError:\n    print('eof')", stateful=True)
        assert r.stdout == "eof\n"
        # the interpreter is contained as any command is
        r = sb.run_code("open('/etc/shadow').read()", stateful=True)
        assert r.exit_code == 1 and "Error" in r.error
        assert sb.run_code("print(x)", stateful=True).stdout == "41\n"
        # a command runs beside it, in the same jail
        sb.run_code("open('/work/cell.txt', 'w').write('from the cell')", stateful=True)
        assert sb.exec(["cat", "/work/cell.txt"]).stdout == "from the cell"
        assert sb.run_code("print(x)", stateful=True).stdout == "41\n"
        assert sb.refresh()["stateful"] is True
        # other tenants cannot stop it
        assert raw(server, "DELETE", "/v1/sandboxes/%s/kernel" % sb.id, token=server.token("globex"))[0] == 404
        # a cell past its timeout stops the interpreter: its variables are gone
        r = sb.run_code("import time\nprint('slow', flush=True)\ntime.sleep(60)", stateful=True, timeout=1)
        assert (r.status, r.limit, r.stdout) == ("timeout", "timeout", "slow\n")
        r = sb.run_code("print('x' in globals())", stateful=True)
        assert r.stdout == "False\n" and r.raw["cell"] == 1
        # stopping it frees the jail
        sb.stop_interpreter()
        assert sb.refresh()["stateful"] is False
        assert sb.exec(["echo", "free"]).stdout == "free\n"
        status, e = raw(server, "POST", "/v1/sandboxes/%s/code" % sb.id,
                        b'{"language": "sh", "code": "1", "stateful": true}')
        assert status == 501 and e["field"] == "language" and "not built" in e["error"]
        status, e = raw(server, "POST", "/v1/sandboxes/%s/code" % sb.id,
                        b'{"language": "cobol", "code": "1", "stateful": true}')
        assert status == 400 and e["field"] == "language"
        status, e = raw(server, "POST", "/v1/sandboxes/%s/code" % sb.id,
                        b'{"language": "python", "code": "1", "stateful": true, "stdin": "x"}')
        assert status == 400 and e["field"] == "stdin"


def _node_installed():
    return any(os.access(p, os.X_OK) for p in ("/usr/bin/node", "/usr/local/bin/node"))


def test_stateful_bash_and_node_keep_their_state(server):
    with sandbox(server, "wendy") as sb:
        r = sb.run_code('x=41; cd /tmp; f() { echo "f $1"; }', "bash", stateful=True)
        assert r.exit_code == 0, r.raw
        r = sb.run_code("echo $((x + 1)); pwd; f \u00e9", "bash", stateful=True)
        assert (r.stdout, r.exit_code, r.raw["cell"]) == ("42\n/tmp\nf \u00e9\n", 0, 2), r.raw
        r = sb.run_code("echo $x; echo err >&2; (exit 3)", "bash", stateful=True)
        assert (r.stdout, r.stderr, r.exit_code) == ("41\n", "err\n", 3)
        # a syntax error is the cell's, not the shell's end
        r = sb.run_code("if then", "bash", stateful=True)
        assert r.exit_code == 2 and "syntax error" in r.stderr
        # stdin is /dev/null, not the interpreter's channel
        r = sb.run_code("cat; echo after $x", "bash", stateful=True)
        assert (r.stdout, r.raw["cell"]) == ("after 41\n", 5)
        # contained as any command is
        r = sb.run_code("cat /etc/shadow", "bash", stateful=True)
        assert r.exit_code != 0 and r.stdout == ""
        # one language at a time
        with pytest.raises(JailtraceError) as e:
            sb.run_code("print(1)", "python", stateful=True)
        assert e.value.status == 409 and e.value.field == "language" and "bash" in e.value.message
        sb.stop_interpreter()
        if not _node_installed():
            status, e = raw(server, "POST", "/v1/sandboxes/%s/code" % sb.id,
                            b'{"language": "node", "code": "1", "stateful": true}')
            assert status == 501 and e["field"] == "language" and "node is not installed" in e["error"], e
            return
        r = sb.run_code("let x = 41; var y = 1; function f(a) { return 'f ' + a; }", "node", stateful=True)
        assert r.exit_code == 0, r.raw
        r = sb.run_code("console.log(x + y, f('\u00e9'))", "node", stateful=True)
        assert (r.stdout, r.exit_code, r.raw["cell"]) == ("42 f \u00e9\n", 0, 2), r.raw
        r = sb.run_code("throw new Error('boom')", "node", stateful=True)
        assert r.exit_code == 1 and "boom" in r.stderr
        # a promise the cell gives back is awaited
        r = sb.run_code("new Promise((ok) => setTimeout(() => { console.log('later', x); ok(); }, 50))",
                        "node", stateful=True)
        assert (r.stdout, r.exit_code) == ("later 41\n", 0), r.raw
        r = sb.run_code("require('fs').readFileSync('/etc/shadow')", "node", stateful=True)
        assert r.exit_code == 1 and r.stdout == ""
        sb.stop_interpreter()
        assert sb.refresh()["stateful"] is False


def test_policy_text_is_parsed_and_held_to_what_the_server_grants(server):
    # the control: without the policy, the command makes its directory
    with sandbox(server, "uma", ephemeral=True) as ctl:
        assert ctl.exec(["mkdir", "/work/d"]).exit_code == 0
        assert os.path.isdir(os.path.join(server.data, "ephemeral", ctl.id, "work", "d"))
    text = "include default\n# no new directories\ndeny mkdir mkdirat EPERM\n"
    with sandbox(server, "vera", ephemeral=True, policy_text=text) as sb:
        assert sb.refresh()["policy"] == "(text)"
        r = sb.exec(["mkdir", "/work/d"])
        assert r.exit_code != 0 and "Operation not permitted" in r.stderr, r.raw
        assert not os.path.exists(os.path.join(server.data, "ephemeral", sb.id, "work", "d"))
        # the command's audit log names the policy (a deny runs in the kernel: no record a call)
        policy_file = os.path.join(server.data, "run", sb.id + ".policy")
        status, data = raw(server, "GET", "/v1/sandboxes/%s/logs/%s" % (sb.id, r.log_id))
        assert status == 200 and json.loads(data.splitlines()[0])["policy"] == policy_file, data[:300]
        assert os.path.exists(policy_file)
    assert not os.path.exists(policy_file)
    listed = raw(server, "GET", "/v1/sandboxes")[1]
    for text, status, line in (("include default\nnett connect x\n", 400, 2),
                               ("include /etc/passwd\n", 403, 1),
                               ("include default\nro /etc/ssh\n", 403, 2),
                               ("include default\n\nrw /tmp:/host\n", 403, 3),
                               ("include default\nallow ptrace\n", 403, 2),
                               ("include default\nallow io_uring_setup io_uring_enter\n", 403, 2),
                               ("include default\nioctl allow TIOCSTI\n", 403, 2),
                               ("net connect 127.0.0.1:22\n", 403, 1),
                               ("net connect localhost\n", 403, 1),
                               ("net unix /tmp/x.sock\n", 403, 1),
                               ("net bind 127.0.0.1:8000\n", 403, 1),
                               ("env pass HOME\n", 403, 1),
                               ("limit memory 0\n", 403, 1),
                               ("hosts /etc/hosts\n", 403, 1),
                               ('proxy x http://192.0.2.1 header "A: ${HOME}"\n', 403, 1)):
        st, e = raw(server, "POST", "/v1/sandboxes", json.dumps({"user": "x", "policy_text": text}).encode())
        assert st == status and e["field"] == "policy_text" and "policy_text:%d:" % line in e["error"], \
            (text, st, e)
    # nothing was made
    assert raw(server, "GET", "/v1/sandboxes")[1] == listed
    assert not [f for f in os.listdir(os.path.join(server.data, "run")) if f.endswith(".policy")]


def test_stateful_interpreter_dies_with_its_sandbox(server):
    sb = sandbox(server, "wade", ephemeral=True)
    r = sb.run_code("import os\nprint(os.getpid())", stateful=True)
    assert r.exit_code == 0
    assert any(b"JT-END" in open("/proc/%d/cmdline" % p, "rb").read() for p in processes_with("JT-END"))
    sb.destroy()
    assert wait_until(lambda: not processes_with("JT-END %s"))
    assert not os.path.exists(os.path.join(server.data, "ephemeral", sb.id))


def test_syslog_gets_denials_limits_and_destroys_with_tenant_and_user(tmp_path):
    # a syslog daemon stand-in: each datagram a line
    path = os.path.join(os.environ.get("JT_SERVE_TMP", "/tmp"), "jt-syslog-%s.sock" % uuid.uuid4().hex[:8])
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(path)
    os.chmod(path, 0o666)
    rx.settimeout(0.2)
    lines = []

    def records():
        while True:
            try:
                lines.append(rx.recv(1 << 20).decode("utf-8", "replace"))
            except socket.timeout:
                break
        out = []
        for l in lines:
            try:
                out.append(json.loads(l.split("]: ", 1)[1]))
            except (IndexError, ValueError):
                pass
        return out

    s = Server(env={"JAILTRACE_SYSLOG_SOCKET": path})
    try:
        sb = Sandbox(user="xena", server=s.server, token=s.token())
        assert sb.exec(["cat", "/etc/shadow"]).exit_code == 1
        assert sb.exec(["sleep", "5"], timeout=0.3).limit == "timeout"
        sb.destroy()
        assert wait_until(lambda: any(r.get("event") == "destroyed" for r in records()), timeout=10)
        recs = records()
        mine = [r for r in recs if r.get("type") == "serve" and r.get("tenant") == "acme"
                and r.get("user") == "xena" and r.get("sandbox") == sb.id]
        assert any(r["event"] == "denials" and r["denials"] >= 1 and
                   any("/etc/shadow" in d for d in r["denied"]) for r in mine), lines
        assert any(r["event"] == "limit" and r["limit"] == "timeout" and r["log_id"] for r in mine), lines
        assert {"type": "serve", "event": "destroyed", "tenant": "acme", "user": "xena",
                "sandbox": sb.id, "why": "deleted"} in recs
    finally:
        s.close()
        rx.close()
        os.unlink(path)


def test_tenant_memory_limit_gives_429():
    s = Server(extra=["--tenant-memory", "300M"])
    try:
        a = Sandbox(user="m1", server=s.server, token=s.token(), limits={"memory": "200M"})
        b = Sandbox(user="m2", server=s.server, token=s.token(), limits={"memory": "200M"})
        # a run without a memory limit cannot be accounted: refused
        with pytest.raises(JailtraceError) as e:
            a.exec(["true"], limits={"memory": 0})
        assert e.value.status == 429 and e.value.field == "limits.memory"
        p = a.processes.start("echo up; sleep 300")
        assert _wait_output(p, "up")
        # 200M held: another 200M is over 300M, 100M fits
        with pytest.raises(JailtraceError) as e:
            b.exec(["true"])
        assert e.value.status == 429 and "--tenant-memory" in e.value.message
        with pytest.raises(JailtraceError) as e:
            b.run_code("1", stateful=True)
        assert e.value.status == 429
        assert b.exec(["true"], limits={"memory": "100M"}).exit_code == 0
        # another tenant has its own
        g = Sandbox(user="m3", server=s.server, token=s.token("globex"), limits={"memory": "200M"})
        assert g.exec(["true"]).exit_code == 0
        p.signal("KILL")
        p.wait(20)
        assert b.exec(["true"]).exit_code == 0
    finally:
        s.close()


def test_proxy_rules_add_the_tenants_secret_outside_the_sandbox():
    import http.server
    seen = []

    class Upstream(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            body = ("auth=%s" % self.headers.get("Authorization")).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    up = http.server.HTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=up.serve_forever, daemon=True).start()
    secret = "s3cret-" + uuid.uuid4().hex
    s = Server(extra=["--proxy-upstream", "echo=http://127.0.0.1:%d/v1" % up.server_address[1]])
    try:
        for bad, field in (({"nope": {}}, "proxy.nope"),
                           ({"echo": {"Authorization": "a\nb"}}, "proxy.echo.Authorization"),
                           ({"echo": {"Bad Name": "x"}}, "proxy.echo.Bad Name"),
                           ({"echo": "x"}, "proxy.echo")):
            status, e = raw(s, "POST", "/v1/sandboxes", json.dumps({"user": "y", "proxy": bad}).encode())
            assert status == 400 and e["field"] == field, (bad, e)
        with Sandbox(user="yuri", server=s.server, token=s.token(),
                     proxy={"echo": {"Authorization": "Bearer " + secret}}) as sb:
            r = sb.run_code("import os, urllib.request\n"
                            "print(urllib.request.urlopen(os.environ['ECHO_BASE_URL'] + '/hello').read().decode())\n"
                            "print(sorted(os.environ))")
            assert r.exit_code == 0, r
            assert seen == [("/v1/hello", "Bearer " + secret)]
            # the answer echoed it: blotted out; the sandbox never had it
            assert secret not in r.stdout and "auth=" in r.stdout
            env = sb.exec(["sh", "-c", "env; cat /proc/self/environ"]).stdout
            assert secret not in env and "JT_SERVE_SECRET" not in env
            assert secret not in json.dumps(sb.refresh())
            assert all(secret not in json.dumps(rec) for l in sb.logs() for rec in sb.log(l["id"]))
        # another tenant's sandbox has no such rule
        with Sandbox(user="yuri", server=s.server, token=s.token("globex")) as other:
            r = other.run_code("import os\nprint(os.environ.get('ECHO_BASE_URL'))")
            assert r.stdout == "None\n"
        assert secret not in s.output()
    finally:
        s.close()
        up.shutdown()


def test_local_mode_background_processes_and_ports():
    # no server: each process is a `jailtrace run --share-jail` child here,
    # beside the commands, in the one jail; its port is on this host's
    # loopback (--allow-bind), which the program could not listen on
    # without being started with it
    from conftest import jailtrace_bin
    binary = jailtrace_bin()
    ports = _two_ports()
    served = ["http.server\x00%d" % port for port in ports]
    with Sandbox(user="locp", server="local:" + binary, ephemeral=True) as sb:
        jail = sb._local.jail
        # the control: a command that listens without being given the port cannot
        r = sb.exec(["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', %d)); "
                     "s.listen(); print('listened')" % ports[0]])
        assert r.exit_code != 0 and "listened" not in r.stdout
        api, web = _two_dev_servers(sb, ports)
        assert _host_get(ports[0], "/index.html") == "backend"
        assert _host_get(ports[1], "/index.html") == "frontend"
        assert sb.ports.expose(ports[1]) == "http://127.0.0.1:%d" % ports[1]
        assert sb.ports.request(ports[1], "/index.html")[::2] == (200, b"frontend")
        with pytest.raises(JailtraceError) as e:
            sb.ports.expose(_free_port())  # no process was started with it
        assert e.value.status == 409
        assert [p.id for p in sb.processes.list(running=True)] == [web.id, api.id]
        # a command runs beside them, in the same jail
        assert sb.exec(["cat", "/work/web/index.html"]).stdout == "frontend"
        # TERM to one: it ends with its result; the other serves on
        api.signal("TERM")
        assert api.wait(20)["status"] == "interrupted"
        assert wait_until(lambda: not processes_with(served[0]))
        assert _host_get(ports[0], "/index.html") is None
        assert web.refresh()["running"] and _host_get(ports[1], "/index.html") == "frontend"
        assert api.info["result"]["log_id"] in [x["id"] for x in sb.logs()]
        with pytest.raises(JailtraceError) as e:
            web.signal("STOP")
        assert e.value.status == 400
    # destroy (the with's end) killed the other and removed the jail
    assert wait_until(lambda: not processes_with(served[1]))
    assert _host_get(ports[1], "/index.html") is None
    assert not os.path.exists(jail)
