"""Who reads which language: a leader whose Slack is in Spanish gets every check-in word in
Spanish while their coach reads about it in English; `/coach language` changes one's own; a
coach's choice on the client record wins over the leader's Slack, not over the leader's own.
All through signed requests, the outbox and the fake Slack (which checks every block)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.ids import ActionId, pair
from bot.services import languages
from bot.storage.models import CheckinSchedule, PersonLanguage
from tests import slack_requests as sr
from tests.flow import LEADER, LEADER_NAME
from tests.round_flow import CHANNEL, buttons, click, frame, register, set_up_channel, text_of, thread, tick
from tests.test_data_rights import _export

pytestmark = pytest.mark.dates

# The first check-in: Monday 09:00 in New York.
FIRST_DUE = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
GOAL = "Every 9th grader reads a grade-level text each week"


def add_client(slack_http, slack, *, language: str | None = None) -> None:
    slack_http.send(sr.command(f"client add <@{LEADER}|{LEADER_NAME}>", trigger_id=slack.issue_trigger_id()))
    form = slack.calls_to("views.open")[-1].response["view"]
    answers = {
        "client_leader": LEADER,
        "client_organization": "Escuela Lincoln",
        "client_domain": "school",
        "client_language": language,
    }
    assert slack_http.send(sr.form_submission(form, answers)).json()["response_action"] == "update"


def set_up_checkins(slack_http, slack, *, goal: str = GOAL) -> None:
    """The coach's schedule form, as they fill it: weekly, with a reminder after a day."""
    slack_http.send(sr.command(f"checkins <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    form = slack.calls_to("views.update")[-1].response["view"]
    answers = {
        "schedule_new_goal": goal,
        "schedule_cadence": "weekly",
        "schedule_time": "09:00",
        "schedule_first": "2026-11-23",
        "schedule_reminder": "24",
    }
    assert slack_http.send(sr.form_submission(form, answers)).json()["response_action"] == "update"


def leader_gets_a_checkin(
    slack_http, slack, bot, clock, *, locale: str, language: str | None = None, display_name: str = ""
) -> tuple[str, tuple[str, str]]:
    """A leader with this Slack locale, a client of the coach (with `language` chosen on the
    record), sent their first check-in; returns its id and where the message is."""
    slack.add_user(LEADER, name=LEADER_NAME, tz="America/New_York", locale=locale, display_name=display_name)
    add_client(slack_http, slack, language=language)
    set_up_checkins(slack_http, slack)
    return next_checkin(bot, slack, clock, FIRST_DUE + timedelta(minutes=1))


def next_checkin(bot, slack, clock, at: datetime) -> tuple[str, tuple[str, str]]:
    clock.now = at
    assert bot.dispatcher.run_once().sent >= 1
    call = dm_posts(slack)[-1]
    blocks = call.args["blocks"]
    delivery_id = blocks[2]["elements"][0]["value"]
    return delivery_id, (call.response["channel"], call.response["ts"])


def dm_posts(slack) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == LEADER and c.ok]


def to_coach(slack) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == sr.COACH and c.ok]


def said(call) -> str:
    return json.dumps(call.args.get("blocks") or call.args.get("view"), ensure_ascii=False)


def press(slack_http, slack, action_id: str, delivery_id: str, message, *, user: str = LEADER):
    request = sr.block_action(
        action_id, delivery_id, trigger_id=slack.issue_trigger_id(), user=user, message=message
    )
    return slack_http.send(request)


def choose(slack_http, slack, delivery_id: str, message, choice: str) -> None:
    slack_http.send(
        sr.block_action(
            ActionId.CHECKIN_LATER,
            "",
            trigger_id=slack.issue_trigger_id(),
            user=LEADER,
            message=message,
            selected=pair(delivery_id, choice),
            action_type="overflow",
        )
    )


def command(slack_http, slack, text: str, *, user: str = sr.COACH) -> str:
    body = slack_http.send(sr.command(text, trigger_id=slack.issue_trigger_id(), user=user)).json()
    assert body["response_type"] == "ephemeral"
    return json.dumps(body["blocks"], ensure_ascii=False)


def test_a_leader_whose_slack_is_in_spanish_reads_the_check_in_in_spanish_and_the_coach_in_english(
    slack_http, slack, bot, clock
):
    delivery_id, message = leader_gets_a_checkin(slack_http, slack, bot, clock, locale="es-LA")
    (dm,) = dm_posts(slack)
    assert dm.args["text"] == "Es hora de un breve seguimiento de su meta"
    text = said(dm)
    assert "*Seguimiento de meta* de su coach <@UCOACH1>" in text and GOAL in text
    assert "Toque un número, o *Responder*" in text and "1 = poco avance todavía" in text
    more = dm.args["blocks"][3]["elements"]
    assert more[0]["text"]["text"] == "Responder"
    assert [o["text"]["text"] for o in more[1]["options"]] == [
        "Recordarme más tarde hoy",
        "Recordarme mañana",
        "Omitir este seguimiento",
        "Pausar seguimientos (ausente)",
    ]

    clock.advance(timedelta(hours=24, minutes=1))
    bot.dispatcher.run_once()
    reminder = slack.calls_to("chat.postMessage")[-1]
    assert reminder.ok and reminder.args.get("thread_ts") == message[1]
    assert "su seguimiento de meta está esperando más arriba" in said(reminder)

    press(slack_http, slack, f"{ActionId.CHECKIN_RATE}:4", delivery_id, message)
    done = slack.calls_to("chat.update")[-1]
    assert done.ok and "Gracias: su seguimiento (4 de 5) ya le llegó a <@UCOACH1>" in said(done)
    assert done.args["blocks"][1]["elements"][0]["text"]["text"] == "Cambiar mi respuesta"
    bot.dispatcher.run_once()
    (told,) = to_coach(slack)
    assert told.args["text"] == f"{LEADER_NAME} checked in"
    assert f"*{LEADER_NAME}* checked in on _{GOAL}_: *4 of 5* (check-in of Nov 23, 2026)" in said(told)

    # The answer form's own words are hers; what she writes reaches the coach as written.
    press(slack_http, slack, ActionId.CHECKIN_ANSWER, delivery_id, message)
    form = slack.calls_to("views.open")[-1].response["view"]
    assert (form["submit"]["text"], form["close"]["text"]) == ("Enviar a mi coach", "Cancelar")
    answers = {
        "progress": "3",
        "evidence": "Leímos juntos <!channel> en la biblioteca",
        "goal_still_right": "yes",
    }
    assert slack_http.send(sr.view_submission(form, answers, user=LEADER)).json() == {
        "response_action": "clear"
    }
    assert "(3 de 5)" in said(slack.calls_to("chat.update")[-1])
    bot.dispatcher.run_once()
    answered = said(to_coach(slack)[-1])
    assert "checked in on" in answered and "*3 of 5*" in answered
    assert "Leímos juntos &lt;!channel&gt; en la biblioteca" in answered and "<!channel>" not in answered


def test_snooze_skip_and_pause_answer_her_in_spanish_and_tell_the_coach_in_english(
    slack_http, slack, bot, clock
):
    delivery_id, message = leader_gets_a_checkin(slack_http, slack, bot, clock, locale="es-LA")
    choose(slack_http, slack, delivery_id, message, "later")
    assert "Entendido: le preguntaré de nuevo un poco más tarde." in said(slack.calls_to("chat.update")[-1])
    clock.advance(timedelta(hours=3, minutes=1))
    assert bot.dispatcher.run_once().sent == 1
    assert dm_posts(slack)[-1].args["text"] == "Es hora de un breve seguimiento de su meta"  # asked again
    choose(slack_http, slack, delivery_id, message, "skip")
    assert "Omitido. Nos vemos en el próximo seguimiento." in said(slack.calls_to("chat.update")[-1])
    choose(slack_http, slack, delivery_id, message, "pause")
    assert "Los seguimientos están en pausa. Su coach ya lo sabe" in said(slack.calls_to("chat.update")[-1])
    with Session(bot.engine) as session:
        assert session.exec(select(CheckinSchedule)).one().paused
    bot.sender.run_once()
    assert f"*{LEADER_NAME}* paused their check-ins (away)" in said(to_coach(slack)[-1])


def test_coach_language_turns_ones_replies_spanish_and_back(slack_http, slack, bot):
    assert "I write to you in *English*." in command(slack_http, slack, "language")
    chosen = command(slack_http, slack, "language es")
    assert "Listo: de ahora en adelante le escribo en *Español*." in chosen
    shown = command(slack_http, slack, "language")
    assert "Le escribo en *Español*: usted lo eligió con `/coach language`." in shown
    assert "`en` (English), `es` (Español)" in shown
    assert "Done: from now on I write to you in *English*." in command(slack_http, slack, "language EN")
    assert "you chose it with `/coach language`" in command(slack_http, slack, "language")


def test_help_speaks_each_coachs_language_and_follows_a_change(slack_http, slack, bot):
    """Help is built once per language: one coach's English is never another's Spanish."""
    assert '"Start a protocol"' in command(slack_http, slack, "help")
    command(slack_http, slack, "language es", user=sr.OTHER_COACH)
    spanish = command(slack_http, slack, "help", user=sr.OTHER_COACH)
    assert '"Iniciar un protocolo"' in spanish and '"Historial"' in spanish
    assert '"Start a protocol"' in command(slack_http, slack, "help")
    command(slack_http, slack, "language es")
    assert '"Iniciar un protocolo"' in command(slack_http, slack, "help")


def test_an_unknown_language_gets_the_list_with_what_was_typed_escaped(slack_http, slack, bot):
    answer = command(slack_http, slack, "language <!here>")
    assert "I can't write in `&lt;!here&gt;` yet" in answer and "<!here>" not in answer
    assert "`en` (English), `es` (Español)" in answer
    command(slack_http, slack, "language es")
    answer = command(slack_http, slack, "language klingon")
    assert (
        "Todavía no puedo escribir en `klingon`. Puedo escribir en `en` (English), `es` (Español)" in answer
    )


def test_a_leader_who_types_coach_language_es_gets_her_replies_and_check_ins_in_spanish(
    slack_http, slack, bot, clock
):
    delivery_id, message = leader_gets_a_checkin(slack_http, slack, bot, clock, locale="en-US")
    assert dm_posts(slack)[-1].args["text"] == "Time for a quick goal check-in"
    command(slack_http, slack, "language es", user=LEADER)
    choose(slack_http, slack, delivery_id, message, "later")
    assert "Entendido" in said(slack.calls_to("chat.update")[-1])
    clock.advance(timedelta(hours=3, minutes=1))
    bot.dispatcher.run_once()
    assert dm_posts(slack)[-1].args["text"] == "Es hora de un breve seguimiento de su meta"
    command(slack_http, slack, "language en", user=LEADER)
    choose(slack_http, slack, delivery_id, message, "later")
    assert "Got it: I'll ask again a little later." in said(slack.calls_to("chat.update")[-1])


def test_the_coachs_choice_on_the_client_record_wins_over_her_slack_but_not_over_her_own(
    slack_http, slack, bot, clock
):
    delivery_id, message = leader_gets_a_checkin(slack_http, slack, bot, clock, locale="en-US", language="es")
    assert dm_posts(slack)[-1].args["text"] == "Es hora de un breve seguimiento de su meta"
    shown = command(slack_http, slack, "language", user=LEADER)
    assert "Le escribo en *Español*: su coach lo eligió para sus seguimientos." in shown
    choose(slack_http, slack, delivery_id, message, "later")
    assert "Entendido" in said(slack.calls_to("chat.update")[-1])  # her replies follow it too

    command(slack_http, slack, "language en", user=LEADER)
    clock.advance(timedelta(hours=3, minutes=1))
    bot.dispatcher.run_once()
    assert dm_posts(slack)[-1].args["text"] == "Time for a quick goal check-in"

    # The coach's form shows the choice again, to change.
    slack_http.send(sr.command(f"client add <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    form = slack.calls_to("views.open")[-1].response["view"]
    select_block = next(b for b in form["blocks"] if b.get("block_id") == "client_language")
    assert select_block["element"]["initial_option"]["value"] == "es"


def test_english_on_the_client_record_wins_over_a_spanish_slack(slack_http, slack, bot, clock):
    leader_gets_a_checkin(slack_http, slack, bot, clock, locale="es-LA", language="en")
    assert dm_posts(slack)[-1].args["text"] == "Time for a quick goal check-in"


def test_a_locale_is_read_off_the_request_path_and_answers_in_it_after(slack_http, slack, bot):
    slack.add_user(sr.COACH, locale="es-LA")
    assert "I write to you in *English*." in command(slack_http, slack, "language")
    assert slack.calls_to("users.info") == []  # nothing asked of Slack while the person waited
    slack.fail_next("users.info", "internal_error", status=500)
    assert bot.locales.run_once() == 0  # a passing fault: read on the next pass
    assert bot.locales.run_once() == 1
    (read,) = [c for c in slack.calls_to("users.info") if c.ok]
    assert read.args["include_locale"] in (True, "true", "1", 1)
    assert "Le escribo en *Español*, el idioma de su Slack (`es-LA`)." in command(
        slack_http, slack, "language"
    )
    assert bot.locales.run_once() == 0  # known now: nothing to read until it is old
    with Session(bot.engine) as session:
        person = session.get(PersonLanguage, (sr.TEAM, sr.COACH))
    assert person.slack_locale == "es-LA" and person.chosen is None


def test_a_schedule_set_up_reads_the_leaders_locale_for_the_first_check_in(slack_http, slack, bot, clock):
    leader_gets_a_checkin(slack_http, slack, bot, clock, locale="es-ES")
    with Session(bot.engine) as session:
        assert session.get(PersonLanguage, (sr.TEAM, LEADER)).slack_locale == "es-ES"
    assert bot.locales.run_once() == 1  # the coach, first seen on their command
    assert dm_posts(slack)[-1].args["text"] == "Es hora de un breve seguimiento de su meta"


def test_mentions_and_links_in_user_text_are_never_injected_in_spanish(slack_http, slack, bot, clock):
    hostile = "<!channel> <https://evil.example|Ana>"
    slack.add_user(LEADER, name=LEADER_NAME, tz="America/New_York", locale="es-LA", display_name=hostile)
    add_client(slack_http, slack)
    set_up_checkins(slack_http, slack, goal="Leer <!everyone> & <@UOTHER>")
    delivery_id, message = next_checkin(bot, slack, clock, FIRST_DUE + timedelta(minutes=1))
    dm = said(dm_posts(slack)[-1])
    assert "Leer &lt;!everyone&gt; &amp; &lt;@UOTHER&gt;" in dm and "<!everyone>" not in dm
    assert "<@UOTHER>" not in dm
    command(slack_http, slack, "language es")  # the coach reads Spanish too
    clock.advance(timedelta(days=8))  # past the answer window: the coach hears it was missed
    bot.dispatcher.run_once()
    press(slack_http, slack, f"{ActionId.CHECKIN_RATE}:2", delivery_id, message)  # closed by now
    assert "Este seguimiento ya cerró" in said(slack.calls_to("chat.update")[-1])
    bot.dispatcher.run_once()
    notices = [said(c) + c.args["text"] for c in to_coach(slack)]
    assert any("no respondió el seguimiento" in text for text in notices)
    for text in notices:
        assert "<!channel>" not in text and "<https://evil.example" not in text
        assert "&lt;!channel&gt; &lt;https://evil.example|Ana&gt;" in text


def test_erasing_ones_data_takes_the_language_one_chose_with_it(slack_http, slack, bot):
    command(slack_http, slack, "language es")
    slack_http.send(sr.command("my data", trigger_id=slack.issue_trigger_id()))
    opened = slack.calls_to("views.open")[-1].response["view"]
    shown = [c for c in slack.calls_to("views.update") if c.args["view_id"] == opened["id"]]
    view = shown[-1].response["view"]
    click = sr.block_action(ActionId.ERASE_MY_DATA, "me", trigger_id=slack.issue_trigger_id(), view=view)
    slack_http.send(click)
    confirm = slack.calls_to("views.push")[-1].response["view"]
    assert slack_http.send(sr.view_submission(confirm, {})).json()["response_action"] == "update"
    with Session(bot.engine) as session:
        assert session.exec(select(PersonLanguage)).all() == []
    assert "I write to you in *English*." in command(slack_http, slack, "language")


def test_the_answer_form_is_hers_and_the_exports_show_each_reader_their_own_words(
    slack_http, slack, bot, clock
):
    """The leader's form and her own export are in Spanish; the coach's export of her record
    shows her Spanish answer, as written, under the English prompt."""
    delivery_id, message = leader_gets_a_checkin(slack_http, slack, bot, clock, locale="es-LA")
    press(slack_http, slack, ActionId.CHECKIN_ANSWER, delivery_id, message)
    form = slack.calls_to("views.open")[-1].response["view"]
    shown = said(slack.calls_to("views.open")[-1])
    assert form["title"]["text"] == "Seguimiento de su meta"
    assert "¿Qué lo muestra?" in shown and "What shows it?" not in shown
    answers = {"progress": "4", "evidence": "Leímos juntos en la biblioteca", "goal_still_right": "yes"}
    assert slack_http.send(sr.view_submission(form, answers, user=LEADER)).json() == {
        "response_action": "clear"
    }

    bot.dispatcher.run_once()
    told = said(to_coach(slack)[-1])
    assert "*What shows it:* Leímos juntos en la biblioteca" in told and "Qué lo muestra" not in told

    mine = _export(slack_http, slack, LEADER)["my-data.md"]
    assert "## Sus respuestas a seguimientos" in mine and "### 23 nov 2026: " + GOAL in mine
    # Under the questions she was asked and the choice she made, in her words, not their ids.
    assert "¿Qué lo muestra?\n\n    Leímos juntos en la biblioteca" in mine and "Sí, la mantengo" in mine
    assert "evidence" not in mine and "goal_still_right" not in mine


def test_a_round_speaks_in_its_channel_the_language_it_was_framed_in(slack_http, slack, bot, clock):
    """Its post, its phases and its thread's summary: the whole channel reads them, in the
    presenter's language when they framed it, whichever process sends them."""
    set_up_channel(slack)
    register(slack_http, slack)
    command(slack_http, slack, "language es")
    frame(slack_http, slack, "consultancy")
    tick(bot)
    parent, replies = thread(slack)
    (post,) = [m for m in slack.messages[CHANNEL] if m["ts"] == parent]
    assert "Consultoría" in json.dumps(post["blocks"], ensure_ascii=False)
    assert "*Fase 1 de " in text_of(replies[-1]), text_of(replies[-1])

    command(slack_http, slack, "language en")  # the round keeps its language
    click(slack_http, slack, "round_next", buttons(replies[-1])["round_next"])
    tick(bot)
    assert "*Fase 2 de " in text_of(thread(slack)[1][-1])


def test_a_leader_answered_in_english_reads_spanish_once_her_coach_chooses_it_and_english_once_removed(
    slack_http, slack, bot
):
    # Her language is remembered between her requests: what her coach changes shows at once.
    slack.add_user(LEADER, name=LEADER_NAME, locale="en-US")
    assert "I write to you in *English*." in command(slack_http, slack, "language", user=LEADER)
    add_client(slack_http, slack, language="es")
    assert "su coach lo eligió" in command(slack_http, slack, "language", user=LEADER)
    slack_http.send(sr.command(f"client remove <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    confirm = slack.calls_to("views.update")[-1].response["view"]
    slack_http.send(sr.view_submission(confirm, {}))
    assert "I write to you in *English*." in command(slack_http, slack, "language", user=LEADER)


def test_a_choice_another_process_wrote_shows_once_the_remembered_language_is_old(
    slack_http, slack, bot, monkeypatch
):
    assert "I write to you in *English*." in command(slack_http, slack, "language")
    with Session(bot.engine) as session:  # as another replica of the bot writes it
        person = session.get(PersonLanguage, (sr.TEAM, sr.COACH))
        person.chosen = "es"
        session.add(person)
        session.commit()
    # Within the time this process remembers her language, its replies keep the one it read ...
    assert "I write to you in *Español*: you chose it" in command(slack_http, slack, "language")
    monkeypatch.setattr(languages, "REMEMBERED_S", 0.0)
    # ... and once that is past, they are in the one she chose.
    assert "Le escribo en *Español*: usted lo eligió" in command(slack_http, slack, "language")


def test_a_read_that_a_change_overtook_is_not_remembered():
    # A request reads her old language; her coach's change is written and forgotten before the
    # read is kept: keeping it would answer her in the old language for a minute.
    remembered = languages._Remembered()
    key = (sr.TEAM, LEADER)
    changes_before = remembered.changes
    read_before_the_change = languages.repo.Stored(
        known=True, chosen=None, client_language=None, slack_locale="en-US"
    )
    remembered.forget(key)
    remembered.put(key, read_before_the_change, changes_before=changes_before)
    assert remembered.get(key) is None
    remembered.put(key, read_before_the_change, changes_before=remembered.changes)
    assert remembered.get(key) == read_before_the_change
