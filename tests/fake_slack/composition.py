"""Block Kit's building blocks: primitive values and composition objects (text, confirm, options).

The checks are written from Slack's reference, independently of slack_sdk's own models, and
report with Slack's ``[ERROR] ... [json-pointer:...]`` wording, so a payload real Slack would
refuse fails in tests too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class Checker:
    """Collects Block Kit violations as Slack-style ``[ERROR] what [json-pointer:/path]`` strings.

    Every check records what is wrong and carries on, so one response lists all problems, as
    Slack's does. This base holds the primitives and the composition objects (text, confirm,
    options) that elements and blocks are made of.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, ptr: str, what: str) -> None:
        self.errors.append(f"[ERROR] {what} [json-pointer:{ptr}]")

    # ---- primitives ------------------------------------------------------------------------------

    def is_object(self, value: Any, ptr: str) -> bool:
        if isinstance(value, dict):
            return True
        self.error(ptr, "must provide an object")
        return False

    def keys(
        self, obj: Mapping[str, Any], allowed: Iterable[str], ptr: str, required: Iterable[str] = ()
    ) -> None:
        allowed = set(allowed)
        for key in obj:
            if key not in allowed:
                self.error(ptr, f"invalid additional property: {key}")
        for key in required:
            if key not in obj:
                self.error(ptr, f"missing required field: {key}")

    def string(self, value: Any, ptr: str, *, max_len: int, min_len: int = 0) -> bool:
        if not isinstance(value, str):
            self.error(ptr, "must provide a string")
            return False
        if len(value) < min_len:
            self.error(ptr, f"must be more than {min_len - 1} characters")
            return False
        if len(value) > max_len:
            self.error(ptr, f"must be less than {max_len + 1} characters")
            return False
        return True

    def boolean(self, value: Any, ptr: str) -> None:
        if not isinstance(value, bool):
            self.error(ptr, "must provide a boolean")

    def integer(self, value: Any, ptr: str, *, lo: int, hi: int | None = None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(ptr, "must provide an integer")
            return None
        if value < lo:
            self.error(ptr, f"must be at least {lo}")
            return None
        if hi is not None and value > hi:
            self.error(ptr, f"must be at most {hi}")
            return None
        return value

    def array(self, value: Any, ptr: str, *, min_items: int = 0, max_items: int | None = None) -> list | None:
        if not isinstance(value, list):
            self.error(ptr, "must provide an array")
            return None
        if len(value) < min_items:
            self.error(ptr, f"must provide at least {min_items} items")
            return None
        if max_items is not None and len(value) > max_items:
            self.error(ptr, f"no more than {max_items} items allowed")
            return None
        return value

    # ---- composition objects ---------------------------------------------------------------------

    def text(self, value: Any, ptr: str, *, max_len: int, plain_only: bool = False) -> None:
        """A text object: plain_text (optional emoji) or mrkdwn (optional verbatim)."""
        if not self.is_object(value, ptr):
            return
        kind = value.get("type")
        allowed_kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind is None:
            self.error(ptr, "missing required field: type")
            return
        if kind not in allowed_kinds:
            self.error(f"{ptr}/type", f"must be one of: {', '.join(allowed_kinds)}")
            return
        flag = "emoji" if kind == "plain_text" else "verbatim"
        self.keys(value, {"type", "text", flag}, ptr, required=("text",))
        if "text" in value:
            self.string(value["text"], f"{ptr}/text", min_len=1, max_len=max_len)
        if flag in value:
            self.boolean(value[flag], f"{ptr}/{flag}")

    def confirm(self, value: Any, ptr: str) -> None:
        if not self.is_object(value, ptr):
            return
        self.keys(
            value,
            {"title", "text", "confirm", "deny", "style"},
            ptr,
            required=("title", "text", "confirm", "deny"),
        )
        if "title" in value:
            self.text(value["title"], f"{ptr}/title", max_len=100, plain_only=True)
        if "text" in value:
            self.text(value["text"], f"{ptr}/text", max_len=300)
        for key in ("confirm", "deny"):
            if key in value:
                self.text(value[key], f"{ptr}/{key}", max_len=30, plain_only=True)
        if "style" in value and value["style"] not in ("primary", "danger"):
            self.error(f"{ptr}/style", "must be one of: primary, danger")

    def option(self, value: Any, ptr: str, *, mrkdwn_ok: bool, url_ok: bool) -> str | None:
        """Checks one option object and returns its value when well formed."""
        if not self.is_object(value, ptr):
            return None
        allowed = {"text", "value", "description"} | ({"url"} if url_ok else set())
        self.keys(value, allowed, ptr, required=("text", "value"))
        if "text" in value:
            self.text(value["text"], f"{ptr}/text", max_len=75, plain_only=not mrkdwn_ok)
        if "description" in value:
            self.text(value["description"], f"{ptr}/description", max_len=75, plain_only=not mrkdwn_ok)
        if "url" in value:
            self.string(value["url"], f"{ptr}/url", min_len=1, max_len=3000)
        if "value" in value and self.string(value["value"], f"{ptr}/value", max_len=150):
            return value["value"]
        return None

    def options(
        self,
        value: Any,
        ptr: str,
        *,
        min_items: int,
        max_items: int,
        mrkdwn_ok: bool = False,
        url_ok: bool = False,
    ) -> set[str]:
        items = self.array(value, ptr, min_items=min_items, max_items=max_items)
        values: set[str] = set()
        for i, item in enumerate(items or []):
            found = self.option(item, f"{ptr}/{i}", mrkdwn_ok=mrkdwn_ok, url_ok=url_ok)
            if found is not None:
                values.add(found)
        return values

    def initial_option(
        self, value: Any, ptr: str, known: set[str] | None, *, mrkdwn_ok: bool = False
    ) -> None:
        """An initial option must be a valid option whose value is among ``known`` (if given)."""
        found = self.option(value, ptr, mrkdwn_ok=mrkdwn_ok, url_ok=False)
        if found is not None and known is not None and found not in known:
            self.error(ptr, "must match one of the provided options")

    def initial_options(
        self, value: Any, ptr: str, known: set[str] | None, *, mrkdwn_ok: bool = False
    ) -> None:
        for i, item in enumerate(self.array(value, ptr) or []):
            self.initial_option(item, f"{ptr}/{i}", known, mrkdwn_ok=mrkdwn_ok)
