"""A real HTTP server on loopback for the simulators: one handler function, answers that can
stall (to play a timeout after the work was done), and a clean stop that wakes stalled ones."""

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering (a timeout after the work was done)


def json_answer(status: int, payload: Any, **headers: str) -> Answer:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Answer(status, body, {"Content-Type": "application/json", **headers})


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 running `handler` in a daemon thread."""

    def __init__(self, handler: Callable[[Request], Answer], port: int = 0, host: str = "127.0.0.1") -> None:
        self._handler = handler
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, port), self._request_handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _request_handler_class(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                outer._answer(self, outer._handle(request))

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("simulator %s", format % args)  # paths carry no account numbers

        return Handler

    def _handle(self, request: Request) -> Answer:
        try:
            return self._handler(request)
        except Exception:
            log.exception("simulator handler failed")
            return json_answer(500, {"error": "INTERNAL"})

    def _answer(self, handler: BaseHTTPRequestHandler, answer: Answer) -> None:
        if answer.delay and self._stopping.wait(answer.delay):
            return
        try:
            handler.send_response(answer.status)
            for name, value in {**answer.headers, "Content-Length": str(len(answer.body))}.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up waiting (a timeout fault): nothing left to tell it
