"""What a message or a view may carry, checked as chat.* and views.* check it.

Beyond each block's own rules, Slack bounds the whole payload: message text and the text of its
blocks, the number of blocks, a view's size in bytes, and the shape of message metadata.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fake_slack.blocks import BlockKitChecker
from tests.fake_slack.wire import ApiError, Json

MAX_MESSAGE_TEXT = 40_000
MAX_MESSAGE_BLOCK_TEXT = 12_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BYTES = 250_000


def _block_text_chars(node: Any) -> int:
    """Total characters of every ``text`` string in a block tree (Slack's msg_blocks_too_long basis)."""
    if isinstance(node, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else _block_text_chars(value)
            for key, value in node.items()
        )
    if isinstance(node, list):
        return sum(_block_text_chars(item) for item in node)
    return 0


def check_message(args: Json) -> None:
    """Shared chat.* checks: no_text, msg_too_long, invalid_blocks, msg_blocks_too_long,
    invalid_attachments (a table's rules, tables.py)."""
    text = args.get("text")
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        raise ApiError("invalid_blocks_format")
    if "metadata" in args and args["metadata"] not in (None, ""):
        metadata = args["metadata"]
        if not isinstance(metadata, dict):
            raise ApiError("invalid_metadata_format")
        if not isinstance(metadata.get("event_type"), str) or not isinstance(
            metadata.get("event_payload"), dict
        ):
            raise ApiError("invalid_metadata_schema")
    if not text and not blocks and not args.get("attachments"):
        raise ApiError("no_text")
    if text is not None and len(str(text)) > MAX_MESSAGE_TEXT:
        raise ApiError("msg_too_long")
    if blocks is not None:
        checker = BlockKitChecker()
        checker.blocks(blocks, "/blocks", max_blocks=MAX_MESSAGE_BLOCKS)
        if checker.errors:
            raise ApiError("invalid_blocks", checker.errors)
        if _block_text_chars(blocks) > MAX_MESSAGE_BLOCK_TEXT:
            raise ApiError("msg_blocks_too_long")
    if args.get("attachments") is not None:
        checker = BlockKitChecker()
        carried = checker.attachments(args["attachments"], "/attachments")
        if checker.errors:
            raise ApiError("invalid_attachments", checker.errors)
        if not text and not blocks and any(block.get("type") == "table" for block in carried):
            raise ApiError("no_text")  # a table needs top-level text or blocks beside it


def checked_view(args: Json, allowed_types: tuple[str, ...]) -> Json:
    """The ``view`` argument of a views.* call, once Slack would accept it."""
    view = args.get("view")
    if view is None or view == "":
        raise ApiError("invalid_arguments", ["[ERROR] missing required field: view [json-pointer:/]"])
    if isinstance(view, str):
        raise ApiError("invalid_arguments", ["[ERROR] must provide an object [json-pointer:/view]"])
    if len(json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_VIEW_BYTES:
        raise ApiError("view_too_large")
    checker = BlockKitChecker()
    checker.view(view, "/view", allowed_types)
    if checker.errors:
        raise ApiError("invalid_arguments", checker.errors)
    return view
