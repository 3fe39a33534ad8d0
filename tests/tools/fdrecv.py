#!/usr/bin/python3
"""fdrecv.py SOCKET RECORD: a host-side unix datagram socket at SOCKET (mode
0777); for each descriptor that reaches it in SCM_RIGHTS, appends to RECORD
"MESSAGE: fd mode RDONLY|WRONLY|RDWR write ok|write ERROR" after writing
"from-host\\n" into it. Writes SOCKET.ready once bound."""
import array, fcntl, os, socket, sys

path, record = sys.argv[1:3]
try:
    os.unlink(path)
except OSError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
open(path + ".ready", "w").close()
while True:
    msg, anc, fl, addr = s.recvmsg(100, socket.CMSG_SPACE(16))
    for lvl, typ, data in anc:
        fds = array.array("i")
        fds.frombytes(data[:len(data) - len(data) % 4])
        for fd in fds:
            acc = fcntl.fcntl(fd, fcntl.F_GETFL) & 3
            try:
                os.write(fd, b"from-host\n")
                w = "write ok"
            except OSError as e:
                w = "write " + e.strerror
            with open(record, "a") as f:
                f.write("%s: fd mode %s %s\n" % (msg.decode(), ["RDONLY", "WRONLY", "RDWR"][acc], w))
            os.close(fd)
