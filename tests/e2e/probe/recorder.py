"""recorder.py -- an HTTP listener that records every contact (one line per
TCP connection accepted, and the request line and headers it received) for
the probe scope tests.  Usage: recorder.py ADDR PORT OUTFILE; prints
"ready" when listening."""
import http.server
import socketserver
import sys

addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    def setup(self):
        with open(out, "a") as f:
            f.write("contact %s\n" % (self.client_address[0],))
        super().setup()

    def do_GET(self):
        with open(out, "a") as f:
            f.write("request %s %s\n" % (self.requestline, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    do_POST = do_GET

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


s = Server((addr, port), Handler)
print("ready", flush=True)
s.serve_forever()
