"""Charts drawn by Slack itself (the data_visualization block): a goal's ratings by check-in and
the kinds of obstacle a leader named. Each chart comes with the same facts in words, for screen
readers and for clients that cannot draw charts.

A check-in missed (or skipped, or not answered) keeps its place on the axis with no bar, so the
gap shows; a bar chart rather than a line, so a missing rating never reads as a fall to zero.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import prompts
from bot.blocks.text import context
from bot.i18n import _
from bot.services.checkins import HistoryLine
from bot.storage.models import DeliveryStatus

# Slack: a chart title is at most 50 characters, a category at most 20, at most two charts a
# surface; the last dozen check-ins keep the axis readable.
CHART_TITLE_MAX = 50
RATINGS_SHOWN = 12


def _chart(title: str, kind: str, name: str, points: list[tuple[str, int]], y_label: str) -> dict:
    return {
        "type": "data_visualization",
        "title": prompts.one_line(title, CHART_TITLE_MAX),
        "chart": {
            "type": kind,
            "series": [{"name": name, "data": [{"label": label, "value": value} for label, value in points]}],
            "axis_config": {"categories": [label for label, _ in points], "y_label": y_label},
        },
    }


def _rating(line: HistoryLine) -> int:
    """A rating, or 0 (no bar: the gap) for a check-in missed, skipped or not rated."""
    return line.rating if line.status == DeliveryStatus.ANSWERED and line.rating else 0


def ratings_blocks(history: Sequence[HistoryLine]) -> list[dict]:
    """The last check-ins, oldest first: each answered one's rating, the others as gaps."""
    shown = list(reversed(history[:RATINGS_SHOWN]))
    if not any(line.rating is not None for line in shown):
        return []
    points = [(line.occurrence.isoformat(), _rating(line)) for line in shown]
    return [
        _chart(prompts.render("chart_ratings_title"), "bar", _("Rating"), points, _("Rating (1-5)")),
        context(prompts.render("chart_ratings_text", lines=shown)),
    ]


def obstacles_blocks(history: Sequence[HistoryLine]) -> list[dict]:
    """How often each kind of obstacle was named in these check-ins, most often first."""
    counts: dict[str, int] = {}
    for line in history:
        for kind in line.obstacles:
            counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return []
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    points = [(kind.replace("_", " ").capitalize(), count) for kind, count in ranked]
    return [
        _chart(prompts.render("chart_obstacles_title"), "bar", _("Times named"), points, _("Check-ins")),
        context(prompts.render("chart_obstacles_text", points=points, total=len(history))),
    ]
