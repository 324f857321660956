"""A real webhook receiver on loopback, run in a thread: it records and answers as told."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW = "slow"  # an answer that comes after the sender has given up


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)


def signature_is_valid(received: Received, secret: str, *, tolerance: int = 300) -> bool:
    """What a shop's receiver does: recompute the HMAC over "<t>." + body, compare in constant time."""
    fields = dict(part.split("=", 1) for part in received.headers["X-Loyalty-Signature"].split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - timestamp) <= tolerance


class Receiver:
    def __init__(self, answers: list[int | str] | None = None, *, slow_seconds: float = 1.0,
                 delay: float = 0.0) -> None:
        self.answers = list(answers or [])  # consumed one per request; 200 once empty
        self.received: list[Received] = []
        self.slow_seconds = slow_seconds
        self.delay = delay  # before every answer: a receiver that takes its time
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/loyalty-hook"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_answer(self, received: Received) -> int | str:
        with self._lock:
            self.received.append(received)
            return self.answers.pop(0) if self.answers else 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = receiver._next_answer(Received(dict(self.headers.items()), body))
                time.sleep(receiver.delay)
                if answer == SLOW:
                    time.sleep(receiver.slow_seconds)
                    answer = 200
                try:
                    self.send_response(int(answer))
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a sender that timed out has hung up already

            def log_message(self, format, *args) -> None:  # keep the test output quiet
                pass

        return Handler
