"""How a Web API request arrives and how a refusal goes back.

Slack takes the same arguments as a query string, a form body, a JSON body or a multipart body,
with some arguments (blocks, view, ...) carried as JSON strings inside forms; every method
handler sees one decoded dict whichever way the client sent it.
"""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

Json = dict[str, Any]

# Arguments that travel as JSON strings inside form bodies.
_JSON_ARGS = frozenset({"blocks", "view", "metadata", "attachments", "files"})


class ApiError(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, messages: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.messages = messages or []

    def payload(self) -> Json:
        body: Json = {"ok": False, "error": self.code}
        if self.messages:
            body["response_metadata"] = {"messages": list(self.messages)}
        return body


def truthy(value: Any) -> bool:
    """Slack booleans arrive as true/false, "true"/"false", "1"/"0" or "True"/"False"."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true")


def ts_micros(ts: Any, error: str) -> int:
    """A message ts as an integer, so ts bounds compare exactly; a malformed one is ``error``."""
    try:
        return int(Decimal(str(ts)) * 1_000_000)
    except InvalidOperation:
        raise ApiError(error) from None


def parse_multipart(content_type: str, body: bytes) -> tuple[Json, dict[str, bytes]]:
    """Splits a multipart body into text fields and file parts (by field name)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ApiError("invalid_form_data")
    fields: Json = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[str(name)] = payload
        else:
            fields[str(name)] = payload.decode("utf-8", errors="replace")
    return fields, files


def decode_args(query: str, content_type: str, body: bytes) -> Json:
    """Query-string args overlaid by body args, with JSON-carrying fields decoded."""
    args: Json = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if body:
        if media_type == "application/json":
            try:
                decoded = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise ApiError("invalid_json") from None
            if not isinstance(decoded, dict):
                raise ApiError("invalid_json")
            args.update(decoded)
        elif media_type == "multipart/form-data":
            fields, _files = parse_multipart(content_type, body)
            args.update(fields)
        else:  # Slack treats anything else as a form body
            try:
                args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
            except UnicodeDecodeError:
                raise ApiError("invalid_form_data") from None
    for key in _JSON_ARGS & args.keys():
        value = args[key]
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            # Malformed JSON stays a string; the method reports it the way Slack does.
            with contextlib.suppress(json.JSONDecodeError):
                args[key] = json.loads(value)
    return args
