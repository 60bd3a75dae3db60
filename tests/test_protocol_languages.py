"""A protocol's text in the reader's language: every shipped protocol's pages, summary and round
posts pass the fake Slack's Block Kit checks (limits included) in English and Spanish; a run
keeps the language it was started in; what is read about it afterwards is in the reader's."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from bot import i18n
from bot.actor import Actor
from bot.blocks.messages import summary_messages
from bot.blocks.protocol_views import page_view, summary_view
from bot.blocks.rounds import (
    framing_view,
    listen_nudge,
    phase_announcement,
    presenter_summary,
    reminder_message,
    round_post,
    tag_question,
    thread_summary,
)
from bot.config import REPO_ROOT
from bot.protocols import engine as rules
from bot.protocols.catalog import Catalog, missing_text
from bot.protocols.schema import InputType, Protocol
from bot.protocols.summary import render_summary
from bot.services.rounds import Captured, PhaseReplies, RoundRecord, RoundSetup, RoundView
from bot.services.runs import Completed, PageAnswers, PageToShow, RunService
from bot.storage.db import make_engine
from bot.storage.models import Contribution, FeedbackRound, ProtocolRun, RoundMode
from tests.fake_slack.content import check_message, checked_view
from tests.flow import sample_answer

CATALOG = Catalog.load(REPO_ROOT / "protocols")
ROUNDS = [p for p in CATALOG if p.round is not None]
LANGUAGES = ["en", "es"]
# Every shipped protocol has its Spanish.
SPANISH = tuple(p.id for p in CATALOG)
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U0BOSS> *loud* <https://evil.example|click> & more"


def longest(step) -> object:
    """Text answers as long as the step allows (and hostile), so limits are reached."""
    if step.input in (InputType.LONG_TEXT, InputType.SHORT_TEXT):
        return (f"{HOSTILE} " + "palabra " * 500)[: step.max_length]
    return sample_answer(step)


def readable(protocol: Protocol, answers: dict) -> dict:
    return {s.id: rules.display(s, answers[s.id]) for s in protocol.steps if s.id in answers}


def test_the_spanish_written_here_is_complete_and_every_shipped_language_is():
    for protocol_id in SPANISH:
        assert "es" in CATALOG.get(protocol_id).translations, protocol_id
    for protocol in CATALOG:
        assert all(not fields for fields in missing_text(protocol).values()), protocol.id


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("protocol", list(CATALOG), ids=lambda p: p.id)
def test_every_page_and_summary_passes_slacks_checks_in_each_language(protocol: Protocol, language: str):
    with i18n.speaking(language):
        spoken = protocol.in_language(language)
        if protocol.id in SPANISH:
            assert spoken.language == language
        answers = {s.id: longest(s) for s in protocol.steps}
        for index, page in enumerate(protocol.pages):
            view = page_view(PageToShow(protocol, page, answers, run_id="r1"))
            checked_view({"view": view}, ("modal",))
            assert view["title"]["text"] == spoken.title
            assert view["blocks"][0]["text"]["text"] == spoken.pages[index].title
            labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
            assert labels == [s.prompt for s in spoken.pages[index].steps]
        summary = render_summary(spoken, readable(spoken, answers), started_at=NOW, completed_at=NOW)
        completed = Completed("r1", spoken, summary, NOW, True)
        for message in summary_messages(completed):
            check_message({"text": message.text, "blocks": message.blocks})
        checked_view({"view": summary_view(completed)}, ("modal",))
        # The summary is the language's own template, the reader's own text escaped within it.
        assert summary.splitlines()[0].startswith(f"*{spoken.title}")
        assert "<!channel>" not in summary and "&lt;!channel&gt;" in summary
        assert "<@U0BOSS>" not in summary and "<https://evil" not in summary


def _every_choice(protocol: Protocol, value_at: int) -> dict:
    """Every step answered, each choice step with its option number `value_at` (or the last)."""
    answers = {}
    for step in protocol.steps:
        if step.options:
            option = step.options[min(value_at, len(step.options) - 1)].value
            answers[step.id] = (
                [option] if step.input in (InputType.MULTI_CHOICE, InputType.CHECKLIST) else option
            )
        else:
            answers[step.id] = sample_answer(step)
    return answers


@pytest.mark.parametrize("value_at", [0, 1])
@pytest.mark.parametrize("protocol", list(CATALOG), ids=lambda p: p.id)
def test_a_summary_says_as_much_in_spanish_as_in_english(protocol: Protocol, value_at: int):
    """A summary's guards read answers as their readers' labels: a Spanish template comparing an
    English label would drop a line only its Spanish readers miss."""
    answers = _every_choice(protocol, value_at)
    lines = {}
    for language in LANGUAGES:
        with i18n.speaking(language):
            spoken = protocol.in_language(language)
            summary = render_summary(spoken, readable(spoken, answers), started_at=NOW, completed_at=NOW)
        lines[language] = [line for line in summary.splitlines() if line.strip()]
    assert len(lines["es"]) == len(lines["en"]), "\n".join(lines["es"])


def test_a_partial_language_falls_back_to_english_field_by_field():
    partial = {"title": "Dos páginas", "pages": {"one": {"steps": {"mood": {"options": {"well": "Bien"}}}}}}
    english = Protocol.model_validate(TWO_PAGES | {"translations": {"es": partial}})
    spanish = english.in_language("es")
    assert spanish.title == "Dos páginas" and spanish.purpose == english.purpose
    assert [o.label for o in spanish.step("mood").options] == ["Bien", "Badly"]
    assert spanish.step("mood").prompt == "How is it going?" and spanish.language == "es"
    assert spanish.translations == {} and spanish.key == english.key
    assert english.in_language("es") is spanish  # built once
    assert english.in_language("en") is english and english.in_language("fr") is english


def _round(protocol: Protocol, phase: int, mode: RoundMode) -> RoundView:
    framing = FeedbackRound(
        id="R1",
        team_id="T1",
        collaborative_id="COL",
        channel_id="CCOLLAB",
        presenter_id="UPRESENT",
        facilitator_id="UFACIL",
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        framing_run_id="RUN1",
        mode=mode,
        opens_at=NOW,
        thread_ts="1.1",
        phase=phase,
        phase_started_at=NOW,
        created_at=NOW,
    )
    return RoundView(framing, protocol)


def _reply(phase: int, tag: str | None, user: str = "UMEMBER") -> Contribution:
    return Contribution(
        id=f"C{phase}{user}", round_id="R1", user_id=user, ts=f"2.{phase}", phase=phase, tag=tag,
        text=HOSTILE, posted_at=NOW,
    )  # fmt: skip


def _checked(message) -> str:
    check_message({"text": message.text, "blocks": message.blocks})
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("mode", list(RoundMode))
@pytest.mark.parametrize("protocol", ROUNDS, ids=lambda p: p.id)
def test_every_round_post_phase_and_summary_passes_slacks_checks_in_each_language(
    protocol: Protocol, mode: RoundMode, language: str
):
    with i18n.speaking(language):
        spoken = protocol.in_language(language)
        assert protocol.round is not None and spoken.round is not None
        framing = framing_view(PageToShow(protocol, protocol.pages[0], {}), RoundSetup(channel_id="CCOLLAB"))
        checked_view({"view": framing}, ("modal",))
        assert framing["title"]["text"] == spoken.title
        posted = "".join(_checked(m) for m in round_post(_round(protocol, 0, mode), HOSTILE))
        assert spoken.title in posted
        for index, phase in enumerate(spoken.round.phases):
            view = _round(protocol, index, mode)
            announced = _checked(phase_announcement(view))
            assert phase.title in announced
            assert phase.guide.split(".")[0].replace('"', '\\"') in announced
            for tag in phase.tags:
                assert tag.label in announced and tag.help.split(";")[0].replace('"', '\\"') in announced
            assert phase.title in _checked(reminder_message(view))
            assert phase.title in _checked(listen_nudge(view))
            if phase.tags:
                reply = _reply(index, None)
                asked = tag_question(Captured(reply, view, protocol.round.phases[index], True, False))
                _checked(asked)
                buttons = asked.blocks[-1]["elements"]
                assert [b["text"]["text"] for b in buttons] == [t.label for t in phase.tags]
        last = len(protocol.round.phases) - 1
        view = _round(protocol, last, mode)
        groups = [
            PhaseReplies(phase, [_reply(i, phase.tags[0].word if phase.tags else None)])
            for i, phase in enumerate(protocol.round.phases)
        ]
        record = RoundRecord(view, HOSTILE, None, groups, [], [])
        summed = "".join(_checked(m) for m in presenter_summary(record))
        closed = "".join(_checked(m) for m in thread_summary(record))
        for phase in spoken.round.phases:
            assert phase.title in summed and phase.title in closed
        assert "<!channel>" not in summed + closed


# ---- a run's language, through the service and a real database ------------------------------------

TWO_PAGES = {
    "id": "two-pages",
    "version": 1,
    "title": "Two pages",
    "purpose": "Checks that a run keeps its language.",
    "audience": ["coach"],
    "minutes": 5,
    "sources": [{"credit": "The project", "work": "Tests"}],
    "pages": [
        {"id": "one", "title": "First page", "steps": [
            {"id": "mood", "prompt": "How is it going?", "input": "single_choice",
             "options": [{"value": "well", "label": "Well"}, {"value": "badly", "label": "Badly"}]},
        ]},
        {"id": "two", "title": "Second page", "steps": [
            {"id": "note", "prompt": "What happened?", "input": "long_text"},
        ]},
    ],
    "summary": "*{{ protocol.title }}*\n• *Going:* {{ answers.mood }}\n• *Happened:* {{ answers.note }}",
}  # fmt: skip
TWO_PAGES_ES = {
    "title": "Dos páginas",
    "purpose": "Comprueba que una ejecución conserva su idioma.",
    "summary": "*{{ protocol.title }}*\n• *Cómo va:* {{ answers.mood }}\n• *Qué pasó:* {{ answers.note }}",
    "pages": {
        "one": {"title": "Primera página", "steps": {
            "mood": {"prompt": "¿Cómo va?", "options": {"well": "Bien", "badly": "Mal"}}}},
        "two": {"title": "Segunda página", "steps": {"note": {"prompt": "¿Qué pasó?"}}},
    },
}  # fmt: skip
COACH = Actor("T1", "UCOACH")


def _service(database_url: str, clock, *, spanish: bool = True) -> RunService:
    data = TWO_PAGES | ({"translations": {"es": TWO_PAGES_ES}} if spanish else {})
    runs = RunService(
        engine=make_engine(database_url), catalog=Catalog([Protocol.model_validate(data)]), clock=clock
    )
    runs.record_catalog()
    return runs


def _texts(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)


def test_a_run_started_in_spanish_keeps_its_pages_in_spanish_and_is_read_in_the_readers(database_url, clock):
    runs = _service(database_url, clock)
    with i18n.speaking("es"):
        first = page_view(runs.first_page("two-pages"))
        assert first["title"]["text"] == "Dos páginas" and "¿Cómo va?" in _texts(first)
        given = PageAnswers("two-pages", "one", {"mood": "well"}, view_id="V1", protocol_version=1)
        second = runs.submit_page(COACH, given)
        assert isinstance(second, PageToShow) and second.language == "es"
    with Session(runs._engine) as session:
        assert session.get(ProtocolRun, second.run_id).language == "es"

    with i18n.speaking("en"):  # the coach switched language midway: the run's pages stay Spanish
        resumed = page_view(runs.resume(COACH, second.run_id))
        assert "Segunda página" in _texts(resumed) and "¿Qué pasó?" in _texts(resumed)
        assert "Second page" not in _texts(resumed) and resumed["title"]["text"] == "Dos páginas"
        done = runs.submit_page(
            COACH, PageAnswers("two-pages", "two", {"note": "Hablé con ella"}, run_id=second.run_id)
        )
        assert isinstance(done, Completed)
        # Read afterwards in the reader's language, the answers as they were written.
        assert done.summary.splitlines() == ["*Two pages*", "• *Going:* Well", "• *Happened:* Hablé con ella"]
        detail = runs.detail(COACH, second.run_id)
        assert [(a.prompt, a.text) for a in detail.answers] == [
            ("How is it going?", "Well"), ("What happened?", "Hablé con ella")
        ]  # fmt: skip
        assert detail.listing.title == "Two pages"
    with i18n.speaking("es"):
        assert runs.completed(COACH, second.run_id).summary.splitlines()[:2] == [
            "*Dos páginas*",
            "• *Cómo va:* Bien",
        ]
        assert [a.prompt for a in runs.detail(COACH, second.run_id).answers] == ["¿Cómo va?", "¿Qué pasó?"]


def test_a_run_records_english_when_its_protocol_has_no_text_in_the_readers_language(database_url, clock):
    runs = _service(database_url, clock, spanish=False)
    with i18n.speaking("es"):
        shown = runs.submit_page(
            COACH, PageAnswers("two-pages", "one", {"mood": "well"}, view_id="V2", protocol_version=1)
        )
    with Session(runs._engine) as session:
        assert session.get(ProtocolRun, shown.run_id).language == "en"


def test_adding_a_translation_keeps_the_version_and_runs_already_started(database_url, clock):
    """Text is not structure: a file that gains Spanish keeps its version, so a run started
    before goes on against the same steps, in the English it was started in."""
    before = _service(database_url, clock, spanish=False)
    started = before.submit_page(
        COACH, PageAnswers("two-pages", "one", {"mood": "well"}, view_id="V3", protocol_version=1)
    )
    after = _service(database_url, clock, spanish=True)
    with i18n.speaking("es"):
        resumed = after.resume(COACH, started.run_id)
        assert resumed.protocol.version == 1 and resumed.language == "en"
        assert "Second page" in _texts(page_view(resumed))
        fresh = page_view(after.first_page("two-pages"))
        assert "Primera página" in _texts(fresh)
