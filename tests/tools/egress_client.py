#!/usr/bin/python3
"""A client for the egress (domain proxy) tests, run inside the sandbox
through jailtrace's forward proxy, or natively straight at the upstream
(the native control).

  egress_client.py VIA NAME PORT ACTION [ARG]

VIA: "direct" (TCP to 127.0.0.1:PORT, whatever NAME is) or the proxy's URL
(http://HOST:PORT, e.g. "$HTTPS_PROXY"): CONNECT NAME:PORT first, printing
"connect: STATUS" (and stopping there when it is not 200).
ACTION:
  tls SNI       a TLS handshake naming SNI ("-": no server name at all),
                no certificate check; prints "handshake: ok" and the answer
                to GET / ("response: STATUS LINE"), or "handshake: failed"
  plain         plain text where TLS should be (an HTTP request)
  hello SNI [HOW]  a hand-made TLS 1.3 ClientHello naming SNI; HOW: "ech",
                   "esni" (the drafts' encrypted_server_name, 0xffce)
                (with an encrypted_client_hello extension), "bytewise" (sent
                a byte at a time), "records" (split over two TLS records,
                the server name in the second), "also=NAME" (a second
                name in the server_name list)
                after plain and hello: "tunnel: got N bytes" when anything
                came back, "tunnel: closed" when the peer closed, "tunnel:
                silent" when nothing came for 20 s
  hrr SNI SNI2 [together|ccs]  a ClientHello naming SNI, and once the
                server answered it ("retry: got N bytes"), a second one naming
                SNI2 (with "together": both at once, before any answer;
                "onerecord": both in one TLS record; "ccs": a
                change_cipher_spec record before the second)
  http KIND     (no CONNECT) an absolute-form request for
                http://NAME:PORT/KIND: KIND "host-mismatch" sends another
                Host header, "chunked" a chunked body, "two-lengths" two
                Content-Length headers that differ, the longer body holding
                a second request, "bad-name" a header whose name has a
                control character in it before Content-Length, the body
                holding a second request; prints "status: N"
  upload N      POST http://NAME:PORT/sink with N zero bytes
                (Content-Length), streamed; prints "status: N"
"""
import os
import socket
import ssl
import struct
import sys
import time

via, name, port, action = sys.argv[1:5]
arg = sys.argv[5] if len(sys.argv) > 5 else None
port = int(port)


def out(*a):
    print(*a, flush=True)


def proxy_addr(url):
    hp = url.split("://", 1)[-1].rstrip("/")
    h, p = hp.rsplit(":", 1)
    return h.strip("[]"), int(p)


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(1)
        if not b:
            break
        data += b
    return data


def status_of(head):
    try:
        return int(head.split(b"\r\n", 1)[0].split()[1])
    except (IndexError, ValueError):
        return "none (%r)" % head[:60]


def drain(s):
    """Waits for the first bytes back: how many came, 0 when the peer
    closed, None when it stayed silent for 20 s."""
    s.settimeout(20)
    try:
        return len(s.recv(65536))
    except socket.timeout:
        return None
    except OSError:
        return 0


def tunnel(n):
    out("tunnel: silent" if n is None else "tunnel: got %d bytes" % n if n else "tunnel: closed")


def client_hello(sni, ech, also=None):
    def ext(t, body):
        return struct.pack("!HH", t, len(body)) + body
    names = b""
    for n in [sni] + ([also] if also else []):
        names += struct.pack("!BH", 0, len(n)) + n.encode()
    exts = ext(0x0000, struct.pack("!H", len(names)) + names)
    exts += ext(0x000a, struct.pack("!HH", 2, 0x001d))                      # groups: x25519
    exts += ext(0x000d, struct.pack("!HHHH", 6, 0x0804, 0x0403, 0x0401))  # signature algorithms
    exts += ext(0x002b, bytes([2, 3, 4]))                                 # versions: TLS 1.3
    exts += ext(0x002d, bytes([1, 1]))                                    # psk modes
    key = os.urandom(32)
    exts += ext(0x0033, struct.pack("!HHH", 36, 0x001d, 32) + key)        # key share
    if ech:
        enc = os.urandom(32)
        payload = os.urandom(144)
        body = bytes([0]) + struct.pack("!HH", 0x0001, 0x0001) + bytes([7]) + \
            struct.pack("!H", len(enc)) + enc + struct.pack("!H", len(payload)) + payload
        exts += ext(0xfe0d if ech == "ech" else 0xffce, body)
    suites = struct.pack("!HHHH", 6, 0x1301, 0x1302, 0x1303)
    sid = os.urandom(32)
    hello = struct.pack("!H", 0x0303) + os.urandom(32) + bytes([32]) + sid + suites + \
        bytes([1, 0]) + struct.pack("!H", len(exts)) + exts
    return bytes([1]) + struct.pack("!I", len(hello))[1:] + hello


def record(hs):
    return bytes([0x16, 3, 1]) + struct.pack("!H", len(hs)) + hs


def http_request(kind):
    if kind == "host-mismatch":
        return "GET http://%s:%d/host-mismatch HTTP/1.1\r\nHost: other.test:%d\r\n\r\n" % (name, port, port)
    if kind == "two-lengths":
        tail = "GET /smuggled HTTP/1.1\r\nHost: smuggled.test:%d\r\n\r\n" % port
        return "POST http://%s:%d/two-lengths HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: 0\r\n" \
               "Content-Length: %d\r\n\r\n%s" % (name, port, name, port, len(tail), tail)
    if kind == "bad-name":
        tail = "GET /smuggled HTTP/1.1\r\nHost: smuggled.test:%d\r\n\r\n" % port
        return "POST http://%s:%d/bad-name HTTP/1.1\r\nX\x01bad: y\r\nHost: %s:%d\r\n" \
               "Content-Length: %d\r\n\r\n%s" % (name, port, name, port, len(tail), tail)
    if kind == "chunked":
        return "POST http://%s:%d/chunked HTTP/1.1\r\nHost: %s:%d\r\nTransfer-Encoding: chunked\r\n\r\n" \
               "5\r\nhello\r\n0\r\n\r\n" % (name, port, name, port)
    sys.exit("egress_client.py: unknown http kind %s" % kind)


def upload(size):
    s.sendall(("POST http://%s:%d/sink HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %d\r\n\r\n"
               % (name, port, name, port, size)).encode())
    zeros = bytes(1 << 16)
    left = size
    try:
        while left > 0:
            k = min(left, len(zeros))
            s.sendall(zeros[:k])
            left -= k
        out("status: %s" % status_of(read_head(s)))
    except OSError as e:
        out("status: none after %d bytes (%s)" % (size - left, e))


if via == "direct":
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
else:
    s = socket.create_connection(proxy_addr(via), timeout=30)
if action == "http":
    try:
        s.sendall(http_request(arg).encode())
        out("status: %s" % status_of(read_head(s)))
    except OSError as e:
        out("status: none (%s)" % e)
    sys.exit(0)
if action == "upload":
    upload(int(arg))
    sys.exit(0)
if via != "direct":
    target = "[%s]:%d" % (name, port) if ":" in name else "%s:%d" % (name, port)
    s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
    st = status_of(read_head(s))
    out("connect: %s" % st)
    if st != 200:
        sys.exit(0)

if action == "tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        t = ctx.wrap_socket(s, server_hostname=None if arg == "-" else arg)
    except socket.timeout:
        out("handshake: timed out")
        sys.exit(0)
    except (ssl.SSLError, OSError) as e:
        out("handshake: failed (%s)" % e)
        sys.exit(0)
    out("handshake: ok")
    t.sendall(("GET /tls HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (name, port)).encode())
    head = read_head(t)
    out("response: %s" % head.split(b"\r\n", 1)[0].decode(errors="replace"))
elif action == "plain":
    s.sendall(("GET /plain HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (name, port)).encode())
    tunnel(drain(s))
elif action == "hello":
    how = sys.argv[6] if len(sys.argv) > 6 else ""
    hs = client_hello(arg, how if how in ("ech", "esni") else None, how[5:] if how.startswith("also=") else None)
    if how == "records":
        s.sendall(record(hs[:40]) + record(hs[40:]))
    elif how == "bytewise":
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i, b in enumerate(record(hs)):
            s.sendall(bytes([b]))
            if i % 16 == 0:
                time.sleep(0.001)
    else:
        s.sendall(record(hs))
    tunnel(drain(s))
elif action == "hrr":
    second = sys.argv[6]
    h1, h2 = record(client_hello(arg, False)), record(client_hello(second, False))
    how = sys.argv[7] if len(sys.argv) > 7 else ""
    if how == "onerecord":	# both handshake messages in one record
        s.sendall(record(client_hello(arg, False) + client_hello(second, False)))
        tunnel(drain(s))
        sys.exit(0)
    if how == "ccs":	# a change_cipher_spec record before the second one, as middleboxes want
        h2 = bytes([0x14, 3, 3, 0, 1, 1]) + h2
    if how == "together":
        s.sendall(h1 + h2)
    else:
        s.sendall(h1)
        n = drain(s)
        out("retry: got %d bytes" % n if n else "retry: none")
        if not n:
            sys.exit(0)
        s.sendall(h2)
    tunnel(drain(s))
else:
    sys.exit("egress_client.py: unknown action %s" % action)
