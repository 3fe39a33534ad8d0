# fifos, unix sockets (stream and a socketpair), and a pipe into a child.
set -e
mkfifo pipe1
( for i in 1 2 3; do echo "msg $i"; done > pipe1 ) &
cat pipe1; wait
stat -c '%F' pipe1
python3 - <<'PY'
import os, socket, threading
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind("sock"); srv.listen(1)
print("name", srv.getsockname())
def serve():
    c, _ = srv.accept(); c.sendall(c.recv(100).upper()); c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); cl.connect("sock")
cl.sendall(b"hello over unix"); print(cl.recv(100).decode(), "peer", cl.getpeername()); t.join()
a, b = socket.socketpair(); a.sendall(b"pair"); print(b.recv(10).decode())
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w); data = os.read(r, 100); os._exit(len(data))
os.close(r); os.write(w, b"12345"); os.close(w)
print("child read", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
os.mkfifo("pipe2")
if os.fork() == 0:
    with open("pipe2", "w") as f: f.write("through fifo\n")
    os._exit(0)
print(open("pipe2").read().strip()); os.wait()
PY
