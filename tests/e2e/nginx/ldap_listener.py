#!/usr/bin/env python3
"""ldap_listener.py -- a loopback LDAP listener that records the base DN of
every search a JNDI client sends (one line per search in OUT_FILE) and
answers: bindResponse success, then searchResDone noSuchObject, so the JVM
gets a NamingException and never an object.  Used by nginx_victim_*.sh to
see whether log4j called back.  Usage: ldap_listener.py PORT_FILE OUT_FILE
(binds a free port on 127.0.0.1 and writes it to PORT_FILE)."""
import socket
import sys
import threading


def read_len(buf, i):
    n = buf[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    if k == 0 or k > 4:
        raise ValueError("length")
    return int.from_bytes(buf[i + 1:i + 1 + k], "big"), i + 1 + k


def tlv(tag, value):
    if len(value) < 0x80:
        return bytes([tag, len(value)]) + value
    b = len(value).to_bytes((len(value).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b + value


def result(msgid, op, code):
    return tlv(0x30, tlv(0x02, msgid) + tlv(op, b"\x0a\x01" + bytes([code]) + b"\x04\x00\x04\x00"))


def serve(conn, out, lock):
    conn.settimeout(10)
    buf = b""
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while len(buf) >= 2:
                n, i = read_len(buf, 1)
                if len(buf) < i + n:
                    break
                msg, buf = buf[i:i + n], buf[i + n:]
                if msg[0] != 0x02:
                    return
                idl, j = read_len(msg, 1)
                msgid, j = msg[j:j + idl], j + idl
                op = msg[j]
                _, k = read_len(msg, j + 1)
                if op == 0x60:  # bindRequest
                    conn.sendall(result(msgid, 0x61, 0))
                elif op == 0x63:  # searchRequest: baseObject first
                    dl, d = read_len(msg, k + 1)
                    dn = msg[d:d + dl].decode("utf-8", "replace")
                    with lock:
                        with open(out, "a") as f:
                            f.write(dn + "\n")
                    conn.sendall(result(msgid, 0x65, 32))
                elif op == 0x42:  # unbindRequest
                    return
    except (OSError, ValueError, IndexError):
        pass
    finally:
        conn.close()


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    open(sys.argv[2], "a").close()
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    lock = threading.Lock()
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, sys.argv[2], lock), daemon=True).start()


if __name__ == "__main__":
    main()
