#!/usr/bin/env python3
"""scan_listener.py PORTFILE LOGFILE -- a loopback TCP listener for the scan
tests: writes its port to PORTFILE, then appends one line per accepted
connection to LOGFILE (flushed before the connection is closed, so a JVM that
has exited has been recorded) and closes it.  Nothing is ever answered."""
import socket
import sys

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connection\n")
    c.close()
