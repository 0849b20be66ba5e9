"""stub.py -- N loopback HTTP endpoints for bench/probe/run.sh: one asyncio
process listening on ports BASE..BASE+N-1.  Every VULN-th endpoint behaves
like a log4j 2.14.1 app that logs the User-Agent: when it holds a plain
${jndi:ldap://HOST:PORT/NAME}, it connects to HOST:PORT and sends an LDAP
SearchRequest for NAME (what a JVM's JNDI lookup sends), then closes.
Only that shape is understood (the stub is not a log4j emulator; the real
JVM is tests/e2e/probe_jvm.sh).  Usage: stub.py BASE N VULN (0: none calls back); prints ready.
On SIGUSR1 it prints "requests COUNT FIRST LAST" (the requests answered so
far and the times of the first and last, for a request rate measured at
the receiving end whatever tool sent them) and starts counting anew."""
import asyncio
import re
import signal
import sys
import time

BASE, N, VULN = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
STATS = {"n": 0, "first": 0.0, "last": 0.0}
PAT = re.compile(rb"\$\{jndi:ldap://([0-9.]+):([0-9]+)/([A-Za-z0-9]+)\}")


def search_request(dn):
    tail = bytes([0x0a, 1, 0, 0x0a, 1, 0, 0x02, 1, 0, 0x02, 1, 0, 0x01, 1, 0, 0x87, 11]) + \
        b"objectClass" + bytes([0x30, 0])
    body = bytes([0x04, len(dn)]) + dn + tail
    msg = bytes([0x02, 1, 2, 0x63, len(body)]) + body
    return bytes([0x30, len(msg)]) + msg


async def callback(host, port, dn):
    try:
        r, w = await asyncio.open_connection(host.decode(), int(port))
        w.write(search_request(dn))
        await w.drain()
        await asyncio.wait_for(r.read(64), 2)
        w.close()
    except Exception:
        pass


def handler(vulnerable):
    async def handle(r, w):
        try:
            while True:
                head = await r.readuntil(b"\r\n\r\n")
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if m:
                    await r.readexactly(int(m.group(1)))
                if vulnerable:
                    ua = re.search(rb"(?im)^user-agent:(.*)$", head)
                    if ua:
                        p = PAT.search(ua.group(1))
                        if p:
                            asyncio.ensure_future(callback(*p.groups()))
                now = time.time()
                STATS["first"] = STATS["first"] or now
                STATS["last"] = now
                STATS["n"] += 1
                w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
                await w.drain()
        except Exception:
            pass
        finally:
            w.close()
    return handle


def report():
    print("requests %d %.6f %.6f" % (STATS["n"], STATS["first"], STATS["last"]), flush=True)
    STATS.update(n=0, first=0.0, last=0.0)


async def main():
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, report)
    for i in range(N):
        await asyncio.start_server(handler(VULN > 0 and i % VULN == 0), "127.0.0.1", BASE + i)
    print("ready", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
