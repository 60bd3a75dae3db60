"""Fitting long mrkdwn into Slack's limits without cutting anything silently."""

from __future__ import annotations

# Slack rejects a section whose text is over 3,000 characters.
SECTION_TEXT_MAX = 3000


def split_text(text: str, limit: int = SECTION_TEXT_MAX) -> list[str]:
    """Split at paragraph, then line, then word boundaries, so each piece fits `limit`; a word
    longer than the limit is the only thing ever broken mid-way."""
    pieces: list[str] = []
    for separator in ("\n\n", "\n", " "):
        if len(text) <= limit:
            break
        cut = text.rfind(separator, 0, limit + 1)
        if cut > 0:
            head, rest = text[:cut].rstrip(), text[cut + len(separator) :].lstrip("\n")
            return [*split_text(head, limit), *split_text(rest, limit)] if head else split_text(rest, limit)
    while len(text) > limit:
        pieces.append(text[:limit])
        text = text[limit:]
    if text.strip():
        pieces.append(text)
    return pieces


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def option(value: str, label: str) -> dict:
    """A choice in a select, radio group or checkbox group."""
    return {"text": plain(label), "value": value}


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def sections(text: str) -> list[dict]:
    return [section(piece) for piece in split_text(text)]


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
