#!/usr/bin/python3
"""A host-side listener for the network tests: it records every connection
or datagram that reaches it, so a test can tell from the host what the
sandbox reached.

  listen.py tcp|tcp6|udp|unix|abstract|unix-dgram|abstract-dgram ADDRESS PORTFILE RECORD

ADDRESS: an IP to bind (port 0: the kernel picks), or a unix path or
abstract name. The port (or the path) is written to PORTFILE once it
listens; one line per connection or datagram is appended to RECORD. A TCP
or unix peer is sent "hello\\n"."""
import os
import socket
import sys

kind, addr, portfile, record = sys.argv[1:5]
if kind in ("tcp", "tcp6", "udp"):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    typ = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, typ)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((addr, 0))
    where = str(s.getsockname()[1])
else:
    typ = socket.SOCK_DGRAM if kind.endswith("-dgram") else socket.SOCK_STREAM
    s = socket.socket(socket.AF_UNIX, typ)
    s.bind(addr if kind.startswith("unix") else "\0" + addr)
    where = addr
if s.type == socket.SOCK_STREAM:
    s.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write(where + "\n")
os.rename(portfile + ".tmp", portfile)
while True:
    if s.type == socket.SOCK_DGRAM:
        data, peer = s.recvfrom(65536)
        line = "datagram %r from %s" % (data[:40], peer)
    else:
        c, peer = s.accept()
        line = "connection from %s" % (peer,)
        try:
            c.sendall(b"hello\n")
        except OSError:
            pass
        c.close()
    with open(record, "a") as f:
        f.write(line + "\n")
