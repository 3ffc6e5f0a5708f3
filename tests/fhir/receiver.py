"""A local webhook receiver for the tests: a real HTTP server on a thread, answering a
scripted sequence of statuses and recording every request (headers, body, answer)."""

import http.server
import threading
import time


class Receiver:
    def __init__(self, statuses, then=200, delay=0.0):
        self.statuses = list(statuses)
        self.delay = delay
        self.then = then
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(receiver.delay)
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.then
                    receiver.requests.append({"headers": dict(self.headers), "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def accepted(self):
        with self.lock:
            return [r for r in self.requests if 200 <= r["status"] < 300]
