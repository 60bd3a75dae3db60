"""The table block (Block Kit): rows of cells, carried in a message's attachments.

slack_sdk has no model for it yet, so these checks follow Slack's reference
(docs.slack.dev/reference/block-kit/blocks/table-block): `rows` is required, at most 100 rows,
each a list of at most 20 cells, each cell `raw_text` (with its `text`) or `rich_text`;
`column_settings` holds at most 20 items, each null (that column keeps the default) or an object
with `align` (left, center or right) and `is_wrapped` (a boolean). A table is sent in a message's
`attachments`, with top-level `text` or `blocks` beside it.

The reference says nothing of a cell's text length, of rows of unequal length or of how many
tables a message may hold, so none of these is checked.
"""

from __future__ import annotations

from tests.fake_slack.composition import Checker
from tests.fake_slack.wire import Json

TABLE_ROWS_MAX = 100
TABLE_CELLS_MAX = 20
TABLE_COLUMN_SETTINGS_MAX = 20
TABLE_ALIGNS = ("left", "center", "right")


class TableChecker(Checker):
    """The table block's own rules; blocks.py allows it only inside an attachment."""

    def _block_table(self, block: Json, ptr: str) -> None:
        if "rows" not in block:
            self.error(ptr, "missing required field: rows")
        rows = self.array(block.get("rows", []), f"{ptr}/rows", max_items=TABLE_ROWS_MAX) or []
        for i, row in enumerate(rows):
            cells = self.array(row, f"{ptr}/rows/{i}", max_items=TABLE_CELLS_MAX) or []
            for j, cell in enumerate(cells):
                self._table_cell(cell, f"{ptr}/rows/{i}/{j}")
        if "column_settings" in block:
            settings = self.array(
                block["column_settings"], f"{ptr}/column_settings", max_items=TABLE_COLUMN_SETTINGS_MAX
            )
            for i, setting in enumerate(settings or []):
                self._column_setting(setting, f"{ptr}/column_settings/{i}")

    def _table_cell(self, cell: object, ptr: str) -> None:
        if not self.is_object(cell, ptr):
            return
        kind = cell.get("type")
        if kind == "raw_text":
            self.keys(cell, {"type", "text"}, ptr, required=("text",))
            if "text" in cell and not isinstance(cell["text"], str):
                self.error(f"{ptr}/text", "must provide a string")
        elif kind == "rich_text":
            self.keys(cell, {"type", "elements", "block_id"}, ptr)
            self._block_rich_text(cell, ptr)  # type: ignore[attr-defined]
        else:
            self.error(f"{ptr}/type", "must be one of: raw_text, rich_text")

    def _column_setting(self, setting: object, ptr: str) -> None:
        if setting is None or not self.is_object(setting, ptr):
            return
        self.keys(setting, {"align", "is_wrapped"}, ptr)
        if "align" in setting and setting["align"] not in TABLE_ALIGNS:
            self.error(f"{ptr}/align", f"must be one of: {', '.join(TABLE_ALIGNS)}")
        if "is_wrapped" in setting:
            self.boolean(setting["is_wrapped"], f"{ptr}/is_wrapped")
