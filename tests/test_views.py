"""Every view the bot builds passes slack_sdk's own model validation, for every page of every
protocol, including pages prefilled with answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks.messages import help_message, history_message, resume_message, summary_messages
from bot.blocks.protocol_views import page_view, summary_view
from bot.config import REPO_ROOT
from bot.protocols.catalog import Catalog
from bot.protocols.schema import InputType, Page, Protocol, Step
from bot.services.runs import Completed, PageToShow, RunListing
from bot.storage.models import RunStatus
from tests.flow import sample_answer

CATALOG = Catalog.load(REPO_ROOT / "protocols")
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def every_input_type() -> Protocol:
    options = [{"value": f"o{i}", "label": f"Option {i}"} for i in range(3)]
    steps = [
        {"id": kind.value, "prompt": f"A {kind.value} step", "input": kind.value, "help": "Why it matters"}
        | ({"options": options} if kind.value.endswith(("choice", "checklist")) else {})
        for kind in InputType
    ]
    return Protocol.model_validate(
        {
            "id": "every-input",
            "version": 1,
            "title": "Every input",
            "purpose": "Exercise every element",
            "audience": ["coach"],
            "minutes": 5,
            "sources": [{"credit": "The project", "work": "Tests"}],
            "pages": [{"id": "only", "title": "All of them", "steps": steps}],
            "summary": "done",
        }
    )


def validate_view(view: dict) -> None:
    View(**view).validate_json()


@pytest.mark.parametrize("protocol", [*CATALOG, every_input_type()], ids=lambda p: p.id)
@pytest.mark.parametrize("prefilled", [False, True])
def test_every_page_is_a_valid_modal(protocol: Protocol, prefilled: bool):
    for page in protocol.pages:
        answers = {s.id: sample_answer(s) for s in page.steps} if prefilled else {}
        view = page_view(PageToShow(protocol, page, answers, run_id="r1" if prefilled else None))
        validate_view(view)
        assert len(view["blocks"]) <= 100


def test_prefilled_answers_are_shown_as_initial_values():
    protocol = every_input_type()
    page: Page = protocol.pages[0]
    answers = {s.id: sample_answer(s) for s in page.steps}
    view = page_view(PageToShow(protocol, page, answers))
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements["step:short_text"]["initial_value"] == "short_text"
    assert elements["step:single_choice"]["initial_option"]["value"] == "o0"
    assert [o["value"] for o in elements["step:checklist"]["initial_options"]] == ["o0", "o1"]
    assert elements["step:rating"]["initial_option"]["value"] == "4"
    assert elements["step:date"]["initial_date"] == "2026-12-01"
    assert elements["step:time"]["initial_time"] == "09:30"
    assert elements["step:user"]["initial_user"] == "ULEADER1"


def completed(summary: str) -> Completed:
    return Completed("r1", next(iter(CATALOG)), summary, NOW, newly=True)


@pytest.mark.parametrize("size", [10, 3_000, 30_000, 400_000])
def test_summaries_of_any_length_fit_slack_and_lose_nothing(size: int):
    text = ("A line of reflection & more. " * (size // 29 + 1))[:size]
    view = summary_view(completed(text))
    validate_view(view)
    assert len(view["blocks"]) <= 100
    messages = summary_messages(completed(text))
    for message in messages:
        assert len(message.blocks) <= 50
        for block in message.blocks:
            Block.parse(block).validate_json()
        assert sum(len(b["text"]["text"]) for b in message.blocks) <= 12_000
    sent = "".join(b["text"]["text"] for m in messages for b in m.blocks[1 if m is messages[0] else 0 :])
    assert sent.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def listing(status: RunStatus) -> RunListing:
    done = status is RunStatus.COMPLETED
    return RunListing("r1", "five-lenses", "Five lenses", status, NOW, NOW if done else None, 3, 14)


def test_messages_are_valid():
    runs = [listing(RunStatus.IN_PROGRESS), listing(RunStatus.COMPLETED)]
    for message in (help_message(CATALOG), resume_message(runs), history_message(runs)):
        assert message.blocks and len(message.blocks) <= 50
        for block in message.blocks:
            Block.parse(block).validate_json()


def test_steps_reject_what_slack_cannot_show():
    with pytest.raises(ValueError, match="at least two options"):
        Step.model_validate({"id": "a", "prompt": "p", "input": "single_choice", "options": []})
    with pytest.raises(ValueError, match="less than or equal to 3000"):
        Step.model_validate({"id": "a", "prompt": "p", "input": "long_text", "max_length": 5000})
