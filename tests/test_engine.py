"""Answer rules and text fitting, the parts every surface (Slack, terminal) relies on."""

from __future__ import annotations

import pytest

from bot.blocks.text import split_text
from bot.commands import Help, History, Resume, Start, parse
from bot.config import REPO_ROOT
from bot.mrkdwn import escape, mention
from bot.protocols import engine as rules
from bot.protocols.catalog import Catalog
from bot.protocols.schema import Step

CATALOG = Catalog.load(REPO_ROOT / "protocols")


def step(**fields) -> Step:
    return Step.model_validate({"id": "s", "prompt": "p", **fields})


CHOICES = [{"value": "a", "label": "Alpha"}, {"value": "b", "label": "Beta"}]


@pytest.mark.parametrize(
    ("fields", "raw", "value", "error"),
    [
        ({"input": "long_text", "max_length": 10}, " eleven chars ", None, "12 characters; the limit is 10"),
        ({"input": "long_text", "max_length": 10}, " fits ", "fits", None),
        ({"input": "short_text"}, "   ", None, "Please answer this one."),
        ({"input": "short_text", "required": False}, "", None, None),
        ({"input": "single_choice", "options": CHOICES}, "b", "b", None),
        ({"input": "single_choice", "options": CHOICES}, "z", None, "choose from the options"),
        ({"input": "multi_choice", "options": CHOICES}, ["b", "a"], ["a", "b"], None),
        ({"input": "rating"}, "6", None, "Choose 1 to 5."),
        ({"input": "date"}, "2026-02-30", None, "pick a date"),
        ({"input": "time"}, "24:00", None, "pick a time"),
        ({"input": "user"}, "U0LEADER", "U0LEADER", None),
        ({"input": "user"}, "<!channel>", None, "pick a person"),
    ],
)
def test_check(fields, raw, value, error):
    outcome = rules.check(step(**fields), raw)
    assert outcome.value == value
    assert (outcome.error is None) if error is None else (error in outcome.error)


def test_display_uses_labels_and_mentions():
    assert rules.display(step(input="multi_choice", options=CHOICES), ["a", "b"]) == "Alpha, Beta"
    assert rules.display(step(input="rating"), "4") == "4 of 5"
    assert escape(rules.display(step(input="user"), "U0LEADER")) == "<@U0LEADER>"


def test_escape_keeps_user_text_from_becoming_markup():
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape(mention("U1ABC")) == "<@U1ABC>"
    with pytest.raises(ValueError):
        mention("<!here>")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help", Help()),
        ("start five-lenses", Start("five-lenses")),
        ("START Five-Lenses", Start("five-lenses")),
        ("five-lenses", Start("five-lenses")),
        ("resume", Resume()),
        ("history", History()),
        ("start nothing-like-it", Help(unknown="start nothing-like-it")),
        ("dance", Help(unknown="dance")),
    ],
)
def test_parse_command(text, expected):
    assert parse(text, CATALOG) == expected


def test_split_text_breaks_at_paragraphs_then_words_and_keeps_everything():
    text = "\n\n".join(f"Paragraph {i} " + "word " * 300 for i in range(10))
    pieces = split_text(text, 3000)
    assert all(0 < len(p) <= 3000 for p in pieces)
    assert pieces[0].startswith("Paragraph 0") and pieces[1].startswith("Paragraph 1")
    assert " ".join(pieces).split() == text.split()
    unbroken = "x" * 7000
    assert split_text(unbroken, 3000) == ["x" * 3000, "x" * 3000, "x" * 1000]
