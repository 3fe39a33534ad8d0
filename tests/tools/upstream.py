#!/usr/bin/python3
"""An HTTP upstream for the proxy tests: it answers every request with the
headers it received (in its body and in an X-Echo-Authorization header),
as a web server does it compresses the answer when the client accepts gzip
and sends the bytes a Range asks for (/json answers the headers as PHP's
json_encode writes them, '/' as '\\/'; /pct the Authorization header
percent-encoded), and records them in RECORD, so a test sees what reached the upstream.
/slow answers once /release has been asked (at most 30 seconds after it
came), so a test sees another request served while one is pending however
busy the host is.

  upstream.py PORTFILE RECORD"""
import gzip
import http.server
import json
import os
import sys
import threading
import urllib.parse

portfile, record = sys.argv[1:3]
released = threading.Event()


class Echo(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body_in = self.rfile.read(n) if n else b""
        with open(record, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": dict(self.headers),
                                "body": body_in.decode("latin-1")}) + "\n")
        if self.path.startswith("/slow"):
            released.wait(30)
        if self.path.startswith("/release"):
            released.set()
        body = ("%s %s\n" % (self.command, self.path)).encode() + \
            "".join("%s: %s\n" % kv for kv in self.headers.items()).encode() + body_in
        if self.path.startswith("/json"):
            # as PHP's json_encode writes it: '/' escaped
            body = json.dumps(dict(self.headers)).replace("/", "\\/").encode()
        elif self.path.startswith("/pct"):
            body = urllib.parse.quote(self.headers.get("Authorization", ""), safe="").encode()
        status, extra = 200, []
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and "-" in rng:
            first, last = rng[6:].split("-", 1)
            first, last = int(first or 0), int(last) if last else len(body) - 1
            extra.append(("Content-Range", "bytes %d-%d/%d" % (first, last, len(body))))
            body, status = body[first:last + 1], 206
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            extra.append(("Content-Encoding", "gzip"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for kv in extra:
            self.send_header(*kv)
        self.send_header("X-Echo-Authorization", self.headers.get("Authorization", ""))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
