"""Every word the bot says exists in every language it ships, and says the same thing with the
same placeholders; every template renders in each language; the main views, in Spanish, are taken
by the fake Slack (its Block Kit checks and limits); user text stays data in every language."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog as MessageCatalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot import i18n, prompts
from bot.blocks.clients import client_form, record_view, roster_message
from bot.blocks.data_rights import erase_confirm_view, my_data_view
from bot.blocks.home import all_clients_view
from bot.blocks.messages import help_message, history_message, notice_view, resume_message
from bot.blocks.protocol_views import page_view
from bot.blocks.rounds import notice
from bot.blocks.rounds import schedule_form as round_schedule_form
from bot.blocks.run_views import share_form
from bot.blocks.schedules import checkins_view, schedule_form
from bot.config import REPO_ROOT
from bot.i18n import catalogs
from bot.services.export import client_markdown, run_markdown
from bot.services.runs import PageToShow
from bot.storage.models import DeliveryStatus
from tests.checkin_setup import COACH, schedule_for
from tests.clock import START
from tests.flow import LEADER, fill_all_pages
from tests.history_setup import past_checkin
from tests.prompt_samples import HOSTILE, samples

LANGUAGES = [language for language in i18n.available() if language != i18n.SOURCE]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
PROMPTS = Path(prompts.__file__).parent


Message = tuple[str | tuple[str, str], str | None]  # (msgid or (singular, plural), msgctxt)


def extracted() -> list[tuple[Message, str]]:
    """Every msgid in the code and templates, with its context (pgettext), found the way
    `pybabel extract -F babel.cfg` finds them, with where it was first seen."""
    with (REPO_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[Message, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(REPO_ROOT, method_map, options_map):
        key = message if isinstance(message, str) else (message[0], message[1])
        found.setdefault((key, context), f"{filename}:{lineno}")
    return sorted(found.items(), key=lambda item: item[1])


def untranslated(messages: list[tuple[Message, str]], catalog: MessageCatalog) -> list[str]:
    """What a language lacks: each msgid with no translation (absent, empty or fuzzy, which the bot
    shows in English), or whose translation has other placeholders than the English."""
    problems = []
    for (msgid, context), where in messages:
        singular = msgid if isinstance(msgid, str) else msgid[0]
        entry = catalog.get(singular, context=context)
        strings = (
            () if entry is None else (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        )
        if entry is None or entry.fuzzy or not strings or not all(strings):
            problems.append(f"{where}: no translation for {singular!r}")
            continue
        sources = (msgid,) if isinstance(msgid, str) else msgid
        for index, text in enumerate(strings):
            source = sources[min(index, len(sources) - 1)]
            wanted, said = set(PLACEHOLDER.findall(source)), set(PLACEHOLDER.findall(text))
            # A singular may leave its count implicit ("Cada semana" for "Every week").
            if said != wanted and not (said < wanted and index == 0 and len(sources) > 1):
                problems.append(
                    f"{where}: {singular!r} has placeholders {sorted(said)}, not {sorted(wanted)}"
                )
    return problems


@pytest.fixture(scope="module")
def messages() -> list[tuple[Message, str]]:
    return extracted()


def test_the_extraction_finds_the_bots_words(messages) -> None:
    ids = {msgid if isinstance(msgid, str) else msgid[0] for (msgid, _), _ in messages}
    # One from a block builder, one from a template, one from an export, one plural.
    assert {"Add a client", "Your earlier answer is kept as a previous version.", "Sources:"} <= ids
    assert "%(num)s check-in" in ids


def test_the_committed_template_lists_what_the_code_says(messages) -> None:
    """bot/locale/messages.pot is what translators start from and diff: it must not lag the code
    (README, "Adding a language", step 1 regenerates it)."""
    with (REPO_ROOT / "bot" / "locale" / "messages.pot").open("rb") as handle:
        committed = {(m.id, m.context) for m in read_po(handle) if m.id}
    said = {(msgid, context) for (msgid, context), _ in messages}
    assert committed == said, (
        f"missing {sorted(said - committed, key=str)[:5]}, stale {sorted(committed - said, key=str)[:5]}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(messages, language: str) -> None:
    problems = untranslated(messages, catalogs.read(language))
    assert not problems, "\n".join(problems)


def test_a_deleted_translation_is_named(messages) -> None:
    """The rule above catches a translator's gap: the same check, on Spanish with one entry
    emptied, one made fuzzy and one given a wrong placeholder."""
    catalog = catalogs.read("es")
    catalog["Add a client"].string = ""
    catalog["Your earlier answer is kept as a previous version."].flags.add("fuzzy")
    catalog["Coaching record: %(name)s"].string = "Registro de coaching: %(nombre)s"
    problems = untranslated(messages, catalog)
    assert len(problems) == 3
    assert any("'Add a client'" in problem for problem in problems)
    assert any("previous version" in problem for problem in problems)
    assert any("['nombre'], not ['name']" in problem for problem in problems)


def test_spanish_plurals_follow_the_count() -> None:
    with i18n.speaking("es"):
        assert prompts.render("round_summary_phase", **samples()["round_summary_phase"][0]).endswith(
            "(1 respuesta)"
        )
        assert prompts.render("round_summary_phase", **samples()["round_summary_phase"][1]).endswith(
            "(4 respuestas)"
        )


def test_every_template_has_sample_contexts() -> None:
    templates = {path.name.removesuffix(".md.j2") for path in PROMPTS.glob("*.md.j2")}
    assert sorted(templates - samples().keys()) == []


def _rendered(language: str) -> dict[str, list[str]]:
    with i18n.speaking(language):
        return {
            name: [prompts.render(name, **context) for context in contexts]
            for name, contexts in samples().items()
        }


# Templates made only of the user's or a protocol's words, or of words Spanish writes alike.
NO_WORDS = {"round_reply", "draft_answer", "program_phases", "protocol_line"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_renders_in_the_language(language: str) -> None:
    english, spoken = _rendered("en"), _rendered(language)
    same = sorted(name for name in english if name not in NO_WORDS and english[name] == spoken[name])
    assert same == [], f"rendered in English only: {same}"


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_user_text_in_every_template_stays_escaped(language: str) -> None:
    """The escaping tests' rule in each language: a leader's name, an answer or a focus question
    with `<!channel>` or a mention in it is written out, never sent as markup."""
    for name, outputs in _rendered(language).items():
        for output in outputs:
            assert "<!channel>" not in output, name
            assert "<@U0OTHER>" not in output, name
    assert "&lt;!channel&gt; &amp; &lt;@U0OTHER&gt;" in _rendered(language)["client_removed"][0]


def _in_spanish_is_accepted(call) -> None:
    assert call.ok, call.response


def test_the_main_views_in_spanish_are_taken_by_slack(slack_http, slack, bot) -> None:
    """Help, Home with data, history, a client's record with its charts, the check-ins overview
    and forms, the data views, a protocol page: each through the real gateway to the fake Slack,
    which refuses what Slack refuses (limits included)."""
    fill_all_pages(slack_http, slack, "five-lenses", marker=HOSTILE)
    schedule = schedule_for(bot, LEADER, tz="America/Mexico_City", at=time(8, 30))
    for days_ago, status, rating, obstacles in [
        (21, DeliveryStatus.ANSWERED, 4, ["capacity"]),
        (14, DeliveryStatus.MISSED, None, None),
        (7, DeliveryStatus.ANSWERED, 2, ["emotional_support", "capacity"]),
    ]:
        past_checkin(bot, schedule, days_ago=days_ago, status=status, rating=rating, obstacles=obstacles)
    client = bot.clients.get(COACH, schedule.client_id)
    runs = bot.runs.listing(COACH)
    protocol = bot.runs.catalog.get("five-lenses")
    checkins = bot.checkins
    bot.languages.choose(COACH, "es")  # the Home is built in its coach's own language
    with i18n.speaking("es"):
        bot.home_tab.refresh(COACH.team_id, COACH.user_id)
        home = slack.calls_to("views.publish")[-1]
        messages = [
            help_message(bot.runs.coach_protocols, unknown="bailar <!channel>", suggestion="history"),
            history_message(runs),
            resume_message([]),
            roster_message([bot.clients.record(COACH, client.id).summary]),
        ]
        bot.gateway.post(channel=COACH.user_id, messages=messages)
        posted = slack.calls_to("chat.postMessage")[-len(messages) :]
        history = checkins.history(COACH, client.id)
        views = [
            record_view(bot.clients.record(COACH, client.id), history),
            checkins_view(client, schedule, checkins.next_due(schedule), history),
            schedule_form(client, checkins.goals_of(COACH, client.id), schedule, first_slot=START.date()),
            client_form(leader_id=LEADER, existing=client),
            my_data_view(bot.data_rights.holding(COACH).counts()),
            erase_confirm_view(bot.data_rights.holding(COACH).counts()),
            round_schedule_form("C0ROUNDS1", bot.rounds.protocols, today=START.date()),
            page_view(PageToShow(protocol, protocol.pages[0], {}, run_id=None)),
            share_form(runs[0].run_id),
            all_clients_view([]),
            notice("round_unknown"),
            notice_view("not_found"),
        ]
        for view in views:
            bot.gateway.open_view(trigger_id=slack.issue_trigger_id(), view=view)
        opened = slack.calls_to("views.open")[-len(views) :]
        detail = bot.runs.detail(COACH, runs[0].run_id)
        exported = run_markdown(detail)
        record = client_markdown(bot.clients.record(COACH, client.id), [])
    for call in [home, *posted, *opened]:
        _in_spanish_is_accepted(call)
    assert "*Clientes*" in str(home.args["view"])
    assert "Historial" in str(posted[0].args["blocks"]) and "<!channel>" not in str(posted[0].args["blocks"])
    assert [view["title"]["text"] for view in (call.args["view"] for call in opened[1:4])] == [
        "Seguimientos",
        "Seguimientos",
        "Agregar un cliente",
    ]
    assert [call.args["view"]["title"]["text"] for call in opened[-4:]] == [
        "Compartir en un canal",
        "Todos los clientes",
        "Ronda de comentarios",
        "Compañero de coaching",
    ]
    charts = [b["title"] for b in opened[0].args["view"]["blocks"] if b["type"] == "data_visualization"]
    assert charts == ["Calificación de avance por seguimiento", "Obstáculos nombrados en seguimientos"]
    weekdays = next(b for b in opened[2].args["view"]["blocks"] if b.get("block_id") == "schedule_weekdays")
    assert weekdays["element"]["options"][0]["text"]["text"] == "Lunes"
    # A file, not mrkdwn: Spanish words, the coach's own text as typed, dates in Spanish.
    assert "Fuentes:" in exported and HOSTILE in exported and "&lt;" not in exported
    assert "Registro de coaching" in record and "Cliente desde el" in record
