"""The data_visualization block (Block Kit, 2026-06-16): line, bar, area and pie charts.

slack_sdk has no model for this block yet, so these checks follow Slack's reference: a title of
at most 50 characters; chart.type line, bar, area or pie; line/bar/area take 1-6 series with
unique names, each a list of labelled points whose labels are among axis_config.categories (each
at most 20 characters, unique), with optional axis labels of at most 50; pie takes 1-6 labelled
segments. A surface holds at most two charts.
"""

from __future__ import annotations

from typing import Any

from tests.fake_slack.composition import Checker
from tests.fake_slack.wire import Json

CHART_TYPES = ("line", "bar", "area", "pie")
CHART_TITLE_MAX = 50
CHART_SERIES_MAX = 6
CHART_CATEGORY_MAX = 20
CHART_LABEL_MAX = 50
CHARTS_PER_SURFACE_MAX = 2


class ChartChecker(Checker):
    """The chart block's own rules, and the per-surface count that blocks.py applies."""

    def _block_data_visualization(self, block: Json, ptr: str) -> None:
        for key in ("title", "chart"):
            if key not in block:
                self.error(ptr, f"missing required field: {key}")
        if "title" in block:
            self.string(block["title"], f"{ptr}/title", min_len=1, max_len=CHART_TITLE_MAX)
        chart = block.get("chart")
        if chart is None or not self.is_object(chart, f"{ptr}/chart"):
            return
        kind = chart.get("type")
        if kind not in CHART_TYPES:
            self.error(f"{ptr}/chart/type", f"must be one of: {', '.join(CHART_TYPES)}")
            return
        if kind == "pie":
            self.keys(chart, {"type", "segments"}, f"{ptr}/chart", required=("segments",))
            segments = self.array(
                chart.get("segments"), f"{ptr}/chart/segments", min_items=1, max_items=CHART_SERIES_MAX
            )
            for i, segment in enumerate(segments or []):
                self._chart_point(segment, f"{ptr}/chart/segments/{i}")
            return
        self.keys(
            chart, {"type", "series", "axis_config"}, f"{ptr}/chart", required=("series", "axis_config")
        )
        categories = self._axis_config(chart.get("axis_config"), f"{ptr}/chart/axis_config")
        series = self.array(
            chart.get("series"), f"{ptr}/chart/series", min_items=1, max_items=CHART_SERIES_MAX
        )
        names: set[str] = set()
        for i, one in enumerate(series or []):
            sptr = f"{ptr}/chart/series/{i}"
            if not self.is_object(one, sptr):
                continue
            self.keys(one, {"name", "data"}, sptr, required=("name", "data"))
            if self.string(one.get("name"), f"{sptr}/name", min_len=1, max_len=CHART_LABEL_MAX):
                if one["name"] in names:
                    self.error(f"{sptr}/name", f"duplicate series name: {one['name']}")
                names.add(one["name"])
            labels: set[str] = set()
            for j, point in enumerate(self.array(one.get("data"), f"{sptr}/data", min_items=1) or []):
                label = self._chart_point(point, f"{sptr}/data/{j}")
                if label is None:
                    continue
                if categories is not None and label not in categories:
                    self.error(f"{sptr}/data/{j}/label", "must match one of axis_config.categories")
                if label in labels:
                    self.error(f"{sptr}/data/{j}/label", f"duplicate label: {label}")
                labels.add(label)

    def _axis_config(self, value: Any, ptr: str) -> set[str] | None:
        if value is None or not self.is_object(value, ptr):
            return None
        self.keys(value, {"categories", "x_label", "y_label"}, ptr, required=("categories",))
        for key in ("x_label", "y_label"):
            if key in value:
                self.string(value[key], f"{ptr}/{key}", min_len=1, max_len=CHART_TITLE_MAX)
        found: set[str] = set()
        for i, category in enumerate(
            self.array(value.get("categories"), f"{ptr}/categories", min_items=1) or []
        ):
            if self.string(category, f"{ptr}/categories/{i}", min_len=1, max_len=CHART_CATEGORY_MAX):
                if category in found:
                    self.error(f"{ptr}/categories/{i}", f"duplicate category: {category}")
                found.add(category)
        return found

    def _chart_point(self, value: Any, ptr: str) -> str | None:
        """A data point or a pie segment: a label and a number; returns the label."""
        if not self.is_object(value, ptr):
            return None
        self.keys(value, {"label", "value"}, ptr, required=("label", "value"))
        number = value.get("value")
        if "value" in value and (isinstance(number, bool) or not isinstance(number, int | float)):
            self.error(f"{ptr}/value", "must provide a number")
        if self.string(value.get("label"), f"{ptr}/label", min_len=1, max_len=CHART_LABEL_MAX):
            return value["label"]
        return None

    def _charts_per_surface(self, blocks: list[Json], ptr: str) -> None:
        charts = [i for i, b in enumerate(blocks) if b.get("type") == "data_visualization"]
        if len(charts) > CHARTS_PER_SURFACE_MAX:
            self.error(
                f"{ptr}/{charts[CHARTS_PER_SURFACE_MAX]}",
                f"no more than {CHARTS_PER_SURFACE_MAX} data_visualization blocks allowed",
            )
