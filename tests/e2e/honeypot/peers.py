#!/usr/bin/env python3
"""peers.py -- small real peers for the honeypot end-to-end tests.

Collectors (bind port 0 on 127.0.0.1, write the port to PORTFILE, then
append every message received to OUT, one per line, until killed):
  webhook PORTFILE OUT [FAIL_FIRST]   HTTP server; records POST bodies, answers
                                      500 to the first FAIL_FIRST posts
  syslog-udp PORTFILE OUT             RFC 5424 over UDP, one datagram a message
  syslog-tcp PORTFILE OUT             RFC 6587 octet counting; a frame that is
                                      not "LEN SP MSG" is recorded as "BADFRAME"
Clients:
  freeports N                         prints N currently free TCP+UDP ports
  freerange N                         prints the first of N consecutive free TCP ports
  dns PORT NAME [QTYPE]               sends one query, prints "rcode=N a=IP,..."
  send PORT HEX [WAIT]                connects, sends bytes, prints what came back
                                      (hex) within WAIT seconds (default 2)
"""
import http.server
import os
import socket
import socketserver
import struct
import sys
import threading


def write_port(portfile, port):
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.rename(tmp, portfile)


def record(out, data):
    with open(out, "ab") as f:
        f.write(data.replace(b"\n", b"\\n") + b"\n")


def webhook(portfile, out, fail_first=0):
    state = {"n": 0}
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            with lock:
                state["n"] += 1
                fail = state["n"] <= fail_first
                if fail:
                    record(out + ".failed", body)
                else:
                    record(out, body)
            self.send_response(500 if fail else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    write_port(portfile, srv.server_address[1])
    srv.serve_forever()


def syslog_udp(portfile, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    write_port(portfile, s.getsockname()[1])
    while True:
        data, _ = s.recvfrom(65535)
        record(out, data)


def syslog_tcp(portfile, out):
    class H(socketserver.BaseRequestHandler):
        def handle(self):
            buf = b""
            while True:
                chunk = self.request.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while True:
                    sp = buf.find(b" ")
                    if sp < 0:
                        break
                    if not buf[:sp].isdigit():
                        record(out, b"BADFRAME " + buf)
                        return
                    n = int(buf[:sp])
                    if len(buf) < sp + 1 + n:
                        break
                    record(out, buf[sp + 1:sp + 1 + n])
                    buf = buf[sp + 1 + n:]

    class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = S(("127.0.0.1", 0), H)
    write_port(portfile, srv.server_address[1])
    srv.serve_forever()


def freeports(n):
    socks, ports = [], []
    while len(ports) < n:
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        p = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p))
        except OSError:
            t.close()
            continue
        socks += [t, u]
        ports.append(p)
    print(" ".join(map(str, ports)))
    for s in socks:
        s.close()


def freerange(n):
    for _ in range(200):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        base = t.getsockname()[1]
        held = [t]
        try:
            for p in range(base + 1, base + n):
                u = socket.socket()
                held.append(u)
                u.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            for h in held:
                h.close()
        print(base)
        return
    sys.exit("no %d consecutive free ports" % n)


def dns(port, name, qtype=1):
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", int(qtype), 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q, ("127.0.0.1", int(port)))
    r, _ = s.recvfrom(4096)
    rid, flags, qd, an = struct.unpack(">HHHH", r[:8])
    assert rid == 0x1234 and flags & 0x8000, "not a reply to our query"
    p = len(q)
    addrs = []
    for _ in range(an):
        p += 2  # compressed name pointer
        typ, cls, ttl, rdl = struct.unpack(">HHIH", r[p:p + 10])
        p += 10
        if typ == 1 and rdl == 4:
            addrs.append(socket.inet_ntoa(r[p:p + 4]))
        p += rdl
    print("rcode=%d a=%s" % (flags & 0xF, ",".join(addrs)))


def send(port, hexbytes, wait=2.0):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=float(wait))
    s.sendall(bytes.fromhex(hexbytes))
    got = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            got += c
    except socket.timeout:
        pass
    print(got.hex())


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "webhook":
        webhook(args[0], args[1], int(args[2]) if len(args) > 2 else 0)
    elif cmd == "syslog-udp":
        syslog_udp(*args)
    elif cmd == "syslog-tcp":
        syslog_tcp(*args)
    elif cmd == "freeports":
        freeports(int(args[0]))
    elif cmd == "freerange":
        freerange(int(args[0]))
    elif cmd == "dns":
        dns(*args)
    elif cmd == "send":
        send(*args)
    else:
        sys.exit("unknown command " + cmd)
