"""Block Kit blocks and the surfaces made of them: message block lists, modals and Home tabs."""

from __future__ import annotations

from typing import Any

from tests.fake_slack.charts import ChartChecker
from tests.fake_slack.elements import ACCESSORY_TYPES, ACTIONS_TYPES, INPUT_TYPES, ElementChecker
from tests.fake_slack.tables import TableChecker
from tests.fake_slack.wire import Json

MAX_VIEW_BLOCKS = 100

_BLOCK_KEYS: dict[str, frozenset[str]] = {
    "section": frozenset({"text", "fields", "accessory", "expand"}),
    "divider": frozenset(),
    "header": frozenset({"text"}),
    "context": frozenset({"elements"}),
    "actions": frozenset({"elements"}),
    "input": frozenset({"label", "element", "hint", "optional", "dispatch_action"}),
    "image": frozenset({"image_url", "alt_text", "title", "slack_file"}),
    "rich_text": frozenset({"elements"}),
    "data_visualization": frozenset({"title", "chart"}),
    "table": frozenset({"rows", "column_settings"}),
}
# Blocks Slack takes only inside a message's attachments.
_ATTACHMENT_ONLY = frozenset({"table"})

_MODAL_KEYS = frozenset(
    {
        "type",
        "title",
        "blocks",
        "close",
        "submit",
        "private_metadata",
        "callback_id",
        "clear_on_close",
        "notify_on_close",
        "external_id",
    }
)
_HOME_KEYS = frozenset({"type", "blocks", "private_metadata", "callback_id", "external_id"})


class BlockKitChecker(ElementChecker, ChartChecker, TableChecker):
    """Checks block lists and views; each block type's own rules are in ``_block_<type>``."""

    # ---- blocks ----------------------------------------------------------------------------------

    def attachments(self, value: Any, ptr: str) -> list[Json]:
        """A message's attachments: the blocks of each are checked (a table among them), the
        legacy fields are left alone. Returns every block they carry."""
        carried: list[Json] = []
        for i, attachment in enumerate(self.array(value, ptr) or []):
            if self.is_object(attachment, f"{ptr}/{i}") and "blocks" in attachment:
                carried += self.blocks(
                    attachment["blocks"],
                    f"{ptr}/{i}/blocks",
                    max_blocks=None,  # the reference gives no count for an attachment's blocks
                    attachment=True,
                )
        return carried

    def blocks(self, value: Any, ptr: str, *, max_blocks: int | None, attachment: bool = False) -> list[Json]:
        """Checks a block list; returns the blocks that are objects, for surface-level rules."""
        items = self.array(value, ptr, max_items=max_blocks)
        block_ids: set[str] = set()
        good: list[Json] = []
        for i, block in enumerate(items or []):
            bptr = f"{ptr}/{i}"
            if not self.is_object(block, bptr):
                continue
            good.append(block)
            kind = block.get("type")
            if kind is None:
                self.error(bptr, "missing required field: type")
                continue
            if kind not in _BLOCK_KEYS or (kind in _ATTACHMENT_ONLY and not attachment):
                self.error(f"{bptr}/type", f"unsupported type: {kind}")
                continue
            self.keys(block, _BLOCK_KEYS[kind] | {"type", "block_id"}, bptr)
            if "block_id" in block and self.string(
                block["block_id"], f"{bptr}/block_id", min_len=1, max_len=255
            ):
                if block["block_id"] in block_ids:
                    self.error(f"{bptr}/block_id", f"duplicate block_id: {block['block_id']}")
                block_ids.add(block["block_id"])
            getattr(self, f"_block_{kind}")(block, bptr)
        self._charts_per_surface(good, ptr)
        return good

    def _block_section(self, block: Json, ptr: str) -> None:
        if "text" not in block and "fields" not in block:
            self.error(ptr, "must provide either text or fields")
        if "text" in block:
            self.text(block["text"], f"{ptr}/text", max_len=3000)
        if "fields" in block:
            fields = self.array(block["fields"], f"{ptr}/fields", min_items=1, max_items=10)
            for i, field in enumerate(fields or []):
                self.text(field, f"{ptr}/fields/{i}", max_len=2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{ptr}/accessory", ACCESSORY_TYPES, set())
        if "expand" in block:
            self.boolean(block["expand"], f"{ptr}/expand")

    def _block_divider(self, block: Json, ptr: str) -> None:
        pass

    def _block_header(self, block: Json, ptr: str) -> None:
        if "text" not in block:
            self.error(ptr, "missing required field: text")
        else:
            self.text(block["text"], f"{ptr}/text", max_len=150, plain_only=True)

    def _block_context(self, block: Json, ptr: str) -> None:
        if "elements" not in block:
            self.error(ptr, "missing required field: elements")
            return
        elements = self.array(block["elements"], f"{ptr}/elements", min_items=1, max_items=10)
        for i, el in enumerate(elements or []):
            eptr = f"{ptr}/elements/{i}"
            if isinstance(el, dict) and el.get("type") == "image":
                self.image_element(el, eptr)
            else:
                self.text(el, eptr, max_len=3000)

    def _block_actions(self, block: Json, ptr: str) -> None:
        if "elements" not in block:
            self.error(ptr, "missing required field: elements")
            return
        action_ids: set[str] = set()
        elements = self.array(block["elements"], f"{ptr}/elements", min_items=1, max_items=25)
        for i, el in enumerate(elements or []):
            self.element(el, f"{ptr}/elements/{i}", ACTIONS_TYPES, action_ids)

    def _block_input(self, block: Json, ptr: str) -> None:
        if "label" not in block:
            self.error(ptr, "missing required field: label")
        else:
            self.text(block["label"], f"{ptr}/label", max_len=2000, plain_only=True)
        if "element" not in block:
            self.error(ptr, "missing required field: element")
        else:
            self.element(block["element"], f"{ptr}/element", INPUT_TYPES, set())
        if "hint" in block:
            self.text(block["hint"], f"{ptr}/hint", max_len=2000, plain_only=True)
        for key in ("optional", "dispatch_action"):
            if key in block:
                self.boolean(block[key], f"{ptr}/{key}")

    def _block_image(self, block: Json, ptr: str) -> None:
        if "alt_text" not in block:
            self.error(ptr, "missing required field: alt_text")
        else:
            self.string(block["alt_text"], f"{ptr}/alt_text", min_len=1, max_len=2000)
        self._image_source(block, ptr)
        if "title" in block:
            self.text(block["title"], f"{ptr}/title", max_len=2000, plain_only=True)

    def _block_rich_text(self, block: Json, ptr: str) -> None:
        if "elements" not in block:
            self.error(ptr, "missing required field: elements")
        else:
            self.array(block["elements"], f"{ptr}/elements")

    # ---- views -----------------------------------------------------------------------------------

    def view(self, view: Any, ptr: str, allowed_types: tuple[str, ...]) -> None:
        if not self.is_object(view, ptr):
            return
        kind = view.get("type")
        if kind is None:
            self.error(ptr, "missing required field: type")
            return
        if kind not in allowed_types:
            self.error(f"{ptr}/type", f"must be one of: {', '.join(allowed_types)}")
            return
        if kind == "home":
            self.keys(view, _HOME_KEYS, ptr, required=("blocks",))
        else:
            self.keys(view, _MODAL_KEYS, ptr, required=("title", "blocks"))
            if "title" in view:
                self.text(view["title"], f"{ptr}/title", max_len=24, plain_only=True)
            for key in ("submit", "close"):
                if key in view:
                    self.text(view[key], f"{ptr}/{key}", max_len=24, plain_only=True)
            for key in ("notify_on_close", "clear_on_close"):
                if key in view:
                    self.boolean(view[key], f"{ptr}/{key}")
        if "private_metadata" in view:
            self.string(view["private_metadata"], f"{ptr}/private_metadata", max_len=3000)
        for key in ("callback_id", "external_id"):
            if key in view:
                self.string(view[key], f"{ptr}/{key}", max_len=255)
        blocks = self.blocks(view.get("blocks", []), f"{ptr}/blocks", max_blocks=MAX_VIEW_BLOCKS)
        if kind == "modal" and "submit" not in view and any(b.get("type") == "input" for b in blocks):
            self.error(ptr, "missing required field: submit")
