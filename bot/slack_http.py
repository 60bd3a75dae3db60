"""A Web API client that keeps its HTTP connections open.

slack_sdk's WebClient opens a new connection (and, against Slack, a new TLS session) for every
call. Opening a modal, posting a DM or a thousand check-ins then pays a handshake each time. This
client keeps one connection per thread and host and reuses it; everything else (arguments,
errors, rate-limit headers) is slack_sdk's own.

It also decides alone when a request may go again: only when Slack cannot have taken it. A
request sent whose answer never came (the connection closed, a timeout) is "no answer" to the
caller, never sent twice here: Slack may have posted it, and the outbox finds such a post by its
key before sending again. slack_sdk's own connection-error retry is therefore off.
"""

from __future__ import annotations

import http.client
import select
import threading
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient

# How a connection the server has closed fails. While the request is being written, Slack has
# not taken it; once it is written, Slack may have.
STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that reads as ready has been closed by the server (or holds
    bytes nobody asked for): either way it must not carry the next request."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class KeepAliveWebClient(WebClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("retry_handlers", [])
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def _connection(self, scheme: str, netloc: str) -> tuple[http.client.HTTPConnection, bool]:
        pool: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault("pool", {})
        connection = pool.get((scheme, netloc))
        if connection is not None and _closed_by_peer(connection):
            connection.close()
            connection = None
        if connection is not None:
            return connection, True
        if scheme == "https":
            connection = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self.ssl)
        else:
            connection = http.client.HTTPConnection(netloc, timeout=self.timeout)
        pool[(scheme, netloc)] = connection
        return connection, False

    def _drop(self, scheme: str, netloc: str) -> None:
        connection = self._local.__dict__.get("pool", {}).pop((scheme, netloc), None)
        if connection is not None:
            connection.close()

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(req.header_items())
        while True:
            connection, reused = self._connection(parts.scheme, parts.netloc)
            try:
                connection.request(req.get_method(), target, body=req.data, headers=headers)
            except STALE_CONNECTION:
                # Closed between the check and the write: not taken, so once more on a new one.
                self._drop(parts.scheme, parts.netloc)
                if reused:
                    continue
                raise
            except OSError:
                self._drop(parts.scheme, parts.netloc)
                raise
            try:
                response = connection.getresponse()
                body = response.read()
            except OSError:
                self._drop(parts.scheme, parts.netloc)
                raise
            if response.will_close:
                self._drop(parts.scheme, parts.netloc)
            charset = response.headers.get_content_charset() or "utf-8"
            return {
                "status": response.status,
                "headers": dict(response.getheaders()),
                "body": body.decode(charset),
            }
