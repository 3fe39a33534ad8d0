"""The real server, built from this tree, on a unix socket in a scratch
directory: JAILTRACE_BIN names the binary (default: build/jailtrace)."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
ROOT = os.path.dirname(os.path.dirname(HERE))

TOKENS = {"acme": "tok-acme-5b1d0e7c2f9a4e3b", "globex": "tok-globex-8c2e6a1f0d3b7e94"}


def jailtrace_bin():
    b = os.environ.get("JAILTRACE_BIN") or os.path.join(ROOT, "build", "jailtrace")
    if not os.access(b, os.X_OK):
        pytest.skip("no jailtrace binary at %s (set JAILTRACE_BIN)" % b)
    return os.path.abspath(b)


class Server:
    def __init__(self, extra=(), dir=None, unix=True, token_lines=(), env=None):
        """A server; @dir: the scratch directory of one before (a restart);
        @unix: on its unix socket (else @extra says where)."""
        self.dir = dir or tempfile.mkdtemp(prefix="jt-serve-test-",
                                           dir=os.environ.get("JT_SERVE_TMP", "/tmp"))
        os.chmod(self.dir, 0o711)
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "serve.sock")
        self.tokens = os.path.join(self.dir, "tokens")
        with open(self.tokens, "w") as f:
            for tenant, tok in TOKENS.items():
                f.write("%s %s\n" % (tok, tenant))
            for line in token_lines:
                f.write(line + "\n")
        os.chmod(self.tokens, 0o600)
        self.log = open(os.path.join(self.dir, "serve.log"), "a+")
        self.bin = jailtrace_bin()
        self.proc = subprocess.Popen(
            [self.bin, "serve", "--tokens", self.tokens, "--data", self.data] +
            (["--listen", "unix:" + self.sock] if unix else []) + list(extra),
            stdout=subprocess.PIPE, stderr=self.log, text=True,
            env=None if env is None else dict(os.environ, **env))
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.log.seek(0)
            raise RuntimeError("the server did not start: %r %s" % (line, self.log.read()))
        self.server = line.split("listening on ", 1)[1].strip()

    def token(self, tenant="acme"):
        return TOKENS[tenant]

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def close(self):
        self.stop()
        out = self.output()
        self.log.close()
        # the ASan+UBSan build's reports (tests/run's asan pass)
        bad = [l for l in out.splitlines()
               if "AddressSanitizer" in l or "LeakSanitizer" in l or "runtime error" in l]
        assert not bad, "the server's sanitizer reports:\n" + out[-4000:]
        if not os.environ.get("JT_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def processes_with(marker):
    """Pids whose command line holds @marker."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if marker.encode() in f.read():
                    pids.append(int(p))
        except OSError:
            pass
    return pids


def wait_until(cond, timeout=10.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()
