#!/usr/bin/env python3
"""idle_conns.py PORT N PID -- opens N idle TCP connections to 127.0.0.1:PORT
(as fast as the server accepts), holds them, and prints the server's VmRSS
and VmHWM (peak) from /proc/PID/status, the connections still open after
2 s, and the time to open them (connections/s)."""
import resource, socket, sys, time

port, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)), hard))
socks = []
t0 = time.time()
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.connect(("127.0.0.1", port))
    socks.append(s)
dt = time.time() - t0
time.sleep(2)
open_ = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1) != b"":
            open_ += 1
    except BlockingIOError:
        open_ += 1
    except OSError:
        pass
st = {l.split(":")[0]: l.split(":")[1].strip() for l in open("/proc/%d/status" % pid)}
print("idle_connections=%d still_open=%d open_rate=%.0f/s VmRSS=%s VmHWM=%s"
      % (n, open_, n / dt, st["VmRSS"], st["VmHWM"]))
for s in socks:
    s.close()
