"""Slack's `table` block: a grid of plain cells, which Slack takes only in a message's attachments.

Slack's limits: at most 100 rows (the header among them) of at most 20 cells. Cells are
`raw_text`, shown as typed, so user text needs no mrkdwn escaping in them. A table is never the
only telling: whatever it shows is said in words too, for screen readers and for clients that do
not draw tables.
"""

from __future__ import annotations

from collections.abc import Sequence

TABLE_ROWS_MAX = 100
TABLE_CELLS_MAX = 20


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, right: frozenset[int] = frozenset()
) -> dict:
    """A header row then `rows`, cut to Slack's limits; the columns numbered in `right` (counts)
    are aligned right, the first is wrapped (names can be long)."""
    width = min(len(header), TABLE_CELLS_MAX)
    shown = [list(header), *(list(row) for row in rows[: TABLE_ROWS_MAX - 1])]
    return {
        "type": "table",
        "column_settings": [
            {"align": "right" if i in right else "left", "is_wrapped": i == 0} for i in range(width)
        ],
        "rows": [[{"type": "raw_text", "text": str(cell)} for cell in row[:width]] for row in shown],
    }


def attachment(block: dict) -> dict:
    """The attachment a table travels in."""
    return {"blocks": [block]}
