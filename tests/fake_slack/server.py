"""The HTTP side of the fake: a keep-alive server on 127.0.0.1 routing each request to an
endpoint that answers it, so the bot's real slack_sdk client does real HTTP."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from tests.fake_slack.wire import Json

# The status of a call answered with nothing (see FakeSlack.drop_next).
DROPPED = 0


class Endpoint(Protocol):
    """What answers the requests: the Web API, uploads and response_url posts."""

    def answer_api(
        self, method: str, query: str, content_type: str, body: bytes, authorization: str | None
    ) -> tuple[int, Json, dict[str, str]]: ...

    def answer_upload(self, file_id: str, content_type: str, body: bytes) -> tuple[int, str]: ...

    def answer_response_url(self, content_type: str, body: bytes) -> tuple[int, Json]: ...

    def take_hang(self, method: str) -> float | None: ...


def _report_internal_error(exc: BaseException) -> None:
    """Prints the exception type and stack locations only: messages may quote request data."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{frame.name}:{frame.lineno}" for frame in reversed(frames))
    print(f"fake_slack internal error: {type(exc).__name__} at {where}", file=sys.stderr)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    endpoint: Endpoint

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Waiting for a kept-alive client's next request, as Slack's idle connections do.
        self.idle: set[socket.socket] = set()
        self.idle_lock = threading.Lock()


class _RequestHandler(BaseHTTPRequestHandler):
    """Routes ``/api/<method>``, ``/upload/<file_id>`` and ``/response_url`` to the endpoint."""

    server: _Server
    # Keep-alive, as Slack's own endpoint: every answer carries a Content-Length.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this the body of an answer on a reused
    # connection waits ~40 ms for the client's delayed ACK, a delay real Slack does not add.
    disable_nagle_algorithm = True

    def handle_one_request(self) -> None:
        with self.server.idle_lock:
            self.server.idle.add(self.connection)
        try:
            super().handle_one_request()
        finally:
            with self.server.idle_lock:
                self.server.idle.discard(self.connection)

    def parse_request(self) -> bool:
        with self.server.idle_lock:  # the request line has arrived: no longer idle
            self.server.idle.discard(self.connection)
        return super().parse_request()

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; request bodies must never reach logs anyway

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        content_type = self.headers.get("Content-Type", "")
        endpoint = self.server.endpoint
        try:
            if url.path.startswith("/upload/"):
                status, text = endpoint.answer_upload(
                    unquote(url.path[len("/upload/") :]), content_type, body
                )
                self._send(status, text.encode(), "text/plain; charset=utf-8", {})
                return
            if url.path.startswith("/response_url"):
                status, payload = endpoint.answer_response_url(content_type, body)
                self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", {})
                return
            if not url.path.startswith("/api/"):
                self._send(404, b"Not Found", "text/plain; charset=utf-8", {})
                return
            method = unquote(url.path[len("/api/") :])
            status, payload, headers = endpoint.answer_api(
                method, url.query, content_type, body, self.headers.get("Authorization")
            )
            if status == DROPPED:
                self.close_connection = True
                return
        except Exception as exc:  # a bug in the fake: answer like Slack's 500 and say where it broke
            _report_internal_error(exc)
            status, payload, headers = 500, {"ok": False, "error": "fatal_error"}, {}
        hang = endpoint.take_hang(url.path[len("/api/") :]) if url.path.startswith("/api/") else None
        if hang is not None:  # done, but the answer never comes: the client times out
            time.sleep(hang)
            self.close_connection = True
            return
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

    def _send(self, status: int, data: bytes, content_type: str, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class Listener:
    """Serves an endpoint on a free port of 127.0.0.1 from a daemon thread."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.endpoint = endpoint
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api/"
        self._thread = threading.Thread(
            # A short poll interval keeps close() (and so each test teardown) to ~10 ms.
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-slack",
            daemon=True,
        )
        self._thread.start()

    def close_idle_connections(self) -> None:
        """What Slack does to a connection left idle too long: it closes it, unannounced."""
        with self._server.idle_lock:
            for connection in self._server.idle:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
