"""The program view as a Slack message, a CSV file and a terminal table: pure, from the counts the
service computed (bot.services.program), which carry no name, no text and no user id."""

from __future__ import annotations

import csv
import io

from bot import prompts
from bot.blocks.messages import Message
from bot.blocks.text import sections
from bot.ids import ActionId
from bot.services.program import Count, ProgramReport, Row


def word(key: str) -> str:
    return prompts.render("program_word", key=key)


def cell(count: Count) -> str:
    return word("suppressed") if count.value is None else str(count.value)


def label(row: Row) -> str:
    return row.label or word(row.measure)


def program_message(report: ProgramReport, months: int) -> Message:
    """The lead's private answer to `/coach program`, with a button for the CSV (its value is
    the number of months, all a click can change)."""
    suppressed = word("suppressed")
    blocks = sections(
        prompts.render("program_intro", first=report.months[0], last=report.months[-1], suppressed=suppressed)
    )
    for group in report.groups:
        lines = [
            {
                "label": label(row),
                "cells": list(zip(report.months, map(cell, row.cells), strict=True)),
                "total": cell(row.total),
            }
            for row in group.rows
        ]
        body = prompts.render(
            "program_group", heading=word(group.key), lines=lines, months=len(report.months)
        )
        blocks.extend(sections(body))
    phases = [(phase, cell(count)) for phase, count in report.phases]
    blocks.extend(sections(prompts.render("program_phases", phases=phases)))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": word("button_csv")},
                    "action_id": ActionId.PROGRAM_CSV,
                    "value": str(months),
                }
            ],
        }
    )
    return Message(text=word("csv_title"), blocks=blocks)


def program_csv(report: ProgramReport) -> str:
    """One count a line (group, measure, month, count): months, each row's total, and the phases
    of today, with suppressed counts written out as in the view."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", word("measure"), word("month"), "count"])
    for group in report.groups:
        for row in group.rows:
            for month, count in zip(report.months, row.cells, strict=True):
                writer.writerow([group.key, label(row), month, cell(count)])
            writer.writerow([group.key, label(row), word("total"), cell(row.total)])
    for phase, count in report.phases:
        writer.writerow([word("phase"), phase, word("today"), cell(count)])
    return out.getvalue()


def program_table(report: ProgramReport) -> str:
    """The same counts as a fixed-width table for `coachbot report`."""
    width = max(
        [len(label(row)) for group in report.groups for row in group.rows]
        + [len(p) for p, _ in report.phases]
    )
    columns = [*report.months, word("total")]
    cell_width = max(len(word("suppressed")), *map(len, columns))
    lines = []
    for group in report.groups:
        lines.append(word(group.key))
        lines.append(" " * (width + 2) + "  ".join(f"{c:>{cell_width}}" for c in columns))
        for row in group.rows:
            cells = [*map(cell, row.cells), cell(row.total)]
            lines.append(f"  {label(row):<{width}}" + "  ".join(f"{c:>{cell_width}}" for c in cells))
        lines.append("")
    lines.append(word("phase"))
    lines.extend(f"  {phase:<{width}}{cell(count):>{cell_width}}" for phase, count in report.phases)
    return "\n".join(lines)
