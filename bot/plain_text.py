"""Slack mrkdwn read as plain text, for the terminal: the same words without Slack's markup.

Summaries and protocol text are written for Slack (`*bold*`, `<url|label>`, `<@U123>`, `&amp;`);
a terminal would print those marks as they are. Pure functions, no Slack calls: a mention stays
the id it names, as the terminal knows no one's name.
"""

from __future__ import annotations

import re

# <url|label>, <@U123>, <#C123|name>, <!date^…|fallback>, <!here>
_ANGLED = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
# *bold*, _italic_, ~struck~: a mark hugging words, not one inside a word (snake_case, 2*3*4).
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~])(?=\S)(.+?)(?<=\S)\1(?![\w*_~])")


def _angled(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return target
    if target.startswith("#"):
        return f"#{label}" if label else target
    if target.startswith("!"):
        return label if label is not None else f"@{target[1:].split('^')[0]}"
    if label and label != target:
        return f"{label} ({target.removeprefix('mailto:')})"
    return target.removeprefix("mailto:")


def plain(text: str) -> str:
    """`text` without Slack's marks: links as "label (url)", mentions as ids, and Slack's three
    escapes decoded last (`&amp;` after the others), so what a coach typed reads back as typed."""
    text = _ANGLED.sub(_angled, text)
    text = _EMPHASIS.sub(r"\2", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
