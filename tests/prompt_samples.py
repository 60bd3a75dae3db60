"""A sample context for every template in bot/prompts, so each one can be rendered in every
language the bot speaks (tests/test_translations.py). Several contexts for a template take its
branches (a plural, a missing client, a paused schedule).

The values carry user text with mrkdwn in it (`HOSTILE`), so a translation that dropped a
placeholder's escaping would show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace as Obj

from bot import mrkdwn
from bot.protocols.catalog import Catalog
from bot.protocols.schema import CyclePhase, PresenterRole
from bot.services.home import Signal
from bot.storage.models import DeliveryStatus, RoundMode, ShareAudience

HOSTILE = "<!channel> & <@U0OTHER>"
WHEN = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
COACH = "U0COACH01"
LEADER = "U0LEADER1"


def _protocol():
    return next(iter(Catalog.installed(None)))


def _client(**more: object) -> Obj:
    fields = {
        "id": "c1",
        "leader_id": LEADER,
        "leader_name": f"Ana {HOSTILE}",
        "organization": f"Oak School {HOSTILE}",
        "phase": CyclePhase.ENROLLMENT,
        "name": f"Ana {HOSTILE}",
    }
    return Obj(**(fields | more))


def _checkin() -> Obj:
    return Obj(
        coach_id=COACH,
        leader_name=f"Ana {HOSTILE}",
        goal=f"Read more {HOSTILE}",
        occurrence=date(2026, 12, 2),
    )


def _history(status: DeliveryStatus, rating: int | None, obstacles: tuple[str, ...] = ()) -> Obj:
    return Obj(occurrence=date(2026, 12, 2), status=status, rating=rating, obstacles=obstacles)


def _run(**more: object) -> Obj:
    fields = {
        "title": "Five Lenses",
        "name": None,
        "client_name": f"Ana {HOSTILE}",
        "started_at": WHEN,
        "completed_at": WHEN,
        "answered": 3,
        "steps": 7,
        "run_id": "r1",
    }
    return Obj(**(fields | more))


def _phase(presenter: PresenterRole, *, tags: bool = True) -> Obj:
    tag = Obj(word="warm", label="Warm", help=f"What works {HOSTILE}")
    return Obj(
        title="Clarifying questions",
        guide="Ask what you need to know.",
        tags=[tag, Obj(word="cool", label="Cool", help="What to push on")] if tags else [],
        presenter=presenter,
        minutes=10,
        restate_focus=False,
    )


def _counts(n: int) -> dict[str, int]:
    keys = [
        "clients",
        "runs",
        "goals",
        "checkin_schedules",
        "rounds_presented",
        "round_schedules",
        "shares",
        "checkins_about_you",
        "checkins",
        "replies",
    ]
    return dict.fromkeys(keys, n)


def _record(*, restated: bool, reflection: bool) -> Obj:
    protocol = Obj(title="Consultancy", id="consultancy")
    reflections = [Obj(text=f"I learned {HOSTILE}")] if reflection else []
    return Obj(
        view=Obj(protocol=protocol),
        focus=f"How do I {HOSTILE}?",
        restated="Now: how do we?" if restated else None,
        reflection=reflections,
    )


def samples() -> dict[str, list[dict]]:
    """Template name -> the contexts it is rendered with."""
    protocol = _protocol()
    client = _client()
    channel = mrkdwn.channel("C0ROUNDS1")
    presenter = mrkdwn.mention(LEADER)
    schedule = Obj(local_time="09:00", tz="America/Los_Angeles", paused=False)
    summary = Obj(client=Obj(**vars(client)), runs=2, goals=1, checklist=[1, 2], settled=1)
    signals = tuple(Signal)
    removal = Obj(runs=1, goals=2, schedules=1, checkins=5)
    history = [
        _history(DeliveryStatus.ANSWERED, 4, ("time", "emotional_support")),
        _history(DeliveryStatus.MISSED, None),
        _history(DeliveryStatus.ANSWERED, None),
        _history(DeliveryStatus.SKIPPED, None),
    ]
    page = Obj(
        going_out=[Obj(leader_name=f"Ana {HOSTILE}", due_at=WHEN)] * 9,
        rounds=[
            Obj(title="Tuning", channel_id="C0ROUNDS1", phase="Warm feedback"),
            Obj(title="Tuning", channel_id="C0ROUNDS1", phase=None),
        ],
        next_steps=[f"Call {HOSTILE}"],
    )
    empty_page = Obj(going_out=[], rounds=[], next_steps=[])
    line = Obj(client=client, goal=f"Read {HOSTILE}", rating=3, trend=-1, next_checkin=WHEN)
    share = Obj(audience=ShareAudience.CHANNEL, channel_id="C0ROUNDS1", shared_at=WHEN)
    steps = [Obj(text=f"Try {HOSTILE}")]
    view = Obj(round=Obj(mode=RoundMode.LIVE))
    async_view = Obj(round=Obj(mode=RoundMode.ASYNC))
    return {
        "already_saved": [{}],
        "already_shared": [{"link": "https://example.slack.com/archives/C1/p1"}, {"link": None}],
        "answer_continues": [{}],
        "answer_line": [
            {"prompt": "What happened?", "text": HOSTILE, "revisions": 0},
            {"prompt": "What happened?", "text": HOSTILE, "revisions": 1},
            {"prompt": "What happened?", "text": HOSTILE, "revisions": 3},
        ],
        "chart_obstacles_text": [{"points": [("Time", 2), ("Emotional support", 1)], "total": 4}],
        "chart_obstacles_title": [{}],
        "chart_ratings_text": [{"lines": history}],
        "chart_ratings_title": [{}],
        "checkin": [{"checkin": _checkin()}],
        "checkin_answered": [
            {"checkin": _checkin(), "rating": 4, "day": "Nov 23, 2026"},
            {"checkin": _checkin(), "rating": None, "day": "Nov 23, 2026"},
        ],
        "checkin_closed": [{}],
        "checkin_done": [{"checkin": _checkin(), "rating": 4}, {"checkin": _checkin(), "rating": None}],
        "checkin_missed": [
            {"checkin": _checkin(), "unsent": True, "day": "Nov 23, 2026"},
            {"checkin": _checkin(), "unsent": False, "day": "Nov 23, 2026"},
        ],
        "checkin_paused": [{}],
        "checkin_paused_coach": [{"checkin": _checkin()}],
        "checkin_rate_hint": [{}],
        "checkin_reminder": [{}],
        "checkin_skipped": [{}],
        "checkin_snoozed": [{}],
        "checkin_undeliverable": [{"checkin": _checkin(), "error": "user_not_found"}],
        "checkins_history": [{"history": history}, {"history": []}],
        "checkins_overview": [
            {"client": client, "schedule": schedule, "cadence": "Every week", "next_due": WHEN},
            {
                "client": client,
                "schedule": Obj(**(vars(schedule) | {"paused": True})),
                "cadence": "Every week",
                "next_due": None,
            },
            {"client": client, "schedule": None, "cadence": None, "next_due": None},
        ],
        "checkins_zone": [{"schedule": schedule}],
        "checklist": [
            {
                "items": [
                    Obj(settled=True, prompt="Agreement", status="Signed"),
                    Obj(settled=False, prompt="Calendar", status=None),
                ]
            }
        ],
        "client_form_intro": [{}],
        "client_line": [
            {"summary": summary, "domain": "School", "phase": "Enrollment"},
            {
                "summary": Obj(**(vars(summary) | {"runs": 1, "goals": 0, "checklist": []})),
                "domain": "School",
                "phase": "Enrollment",
            },
        ],
        "client_remove_confirm": [{"removal": removal, "name": f"Ana {HOSTILE}"}],
        "client_remove_failed": [{}],
        "client_removed": [{"name": f"Ana {HOSTILE}"}],
        "client_runs_heading": [{"count": 3}],
        "client_saved": [{"client": client}],
        "clients": [{"count": 2}, {"count": 0}],
        "confirm_delete": [{}],
        "confirm_share_client": [{"name": f"Ana {HOSTILE}"}],
        "delete_failed": [{}],
        "delete_round_framing": [{}],
        "deleted": [{}],
        "draft_answer": [{"prompt": "What happened?"}],
        "draft_not_saved": [{"protocol": protocol}],
        "edit_note": [{}],
        "erase_confirm": [
            {"counts": _counts(1)},
            {"counts": _counts(2)},
            {"counts": _counts(0) | {"runs": 1}},
        ],
        "erase_failed": [{}],
        "erased": [{"withdrawn": True}, {"withdrawn": False}],
        "erasing": [{}],
        "export_already_sent": [{}],
        "export_coming": [{}],
        "export_failed": [{}],
        "export_sent": [{}],
        "failed": [{}],
        "goals": [
            {
                "goals": [
                    Obj(statement=f"Read {HOSTILE}", details={"due": "June"}),
                    Obj(statement="Write", details={}),
                ]
            },
            {"goals": []},
        ],
        "help": [
            {"unknown": None, "suggestion": None},
            {"unknown": "histroy", "suggestion": "history"},
            {"unknown": "x", "suggestion": None},
        ],
        "history": [{"runs": [1]}, {"runs": []}],
        "home_all_clients": [{"count": 12}],
        **{
            name: [
                {"language": "Español", "source": source, "locale": "es-LA", "choices": "`en`, `es`"}
                for source in ("chosen", "client", "slack", "default")
            ]
            for name in ("language_current", "language_set")
        },
        "language_unknown": [{"typed": HOSTILE, "choices": "`en`, `es`"}],
        "home_client": [
            {"line": line},
            {"line": Obj(client=client, goal=None, rating=None, trend=None, next_checkin=None)},
        ],
        "home_clients_heading": [{"total": 12, "shown": 10}, {"total": 0, "shown": 0}],
        "home_intro": [{}],
        "home_more": [{"count": 3}],
        "home_need": [{"need": Obj(client=client, signals=signals)}],
        "home_needs_heading": [{}],
        "home_start": [{}],
        "home_this_week": [
            {"page": page, "channel": mrkdwn.channel},
            {"page": empty_page, "channel": mrkdwn.channel},
        ],
        "home_unfinished": [{"run": _run(name=f"Mine {HOSTILE}")}, {"run": _run(client_name=None)}],
        "home_unfinished_heading": [{}],
        "last_time": [{"when": "Dec 2, 2026", "said": HOSTILE}],
        "leader_left": [{"leader": presenter}],
        "my_data": [{"counts": _counts(1)}, {"counts": _counts(3)}, {"counts": _counts(0)}],
        "my_data_export_sent": [{}],
        "not_a_client": [{"who": presenter}],
        "not_found": [{}],
        "note_changed": [{}],
        "note_shared": [{}],
        "note_withdrawn": [{}],
        "page_context": [
            {"number": 1, "total": 3, "client": client},
            {"number": 2, "total": 3, "client": None},
        ],
        "page_not_saved": [{}],
        "program_csv_already_sent": [{}],
        "program_csv_failed": [{}],
        "program_csv_sent": [{}],
        "program_group": [
            {
                "heading": "Coaching",
                "lines": [
                    {
                        "label": "Coaches active",
                        "cells": [("2026-11", "7"), ("2026-12", "fewer than 5")],
                        "total": "12",
                    }
                ],
                "months": 2,
            }
        ],
        "program_intro": [{"first": "2026-07", "last": "2026-12", "suppressed": "fewer than 5"}],
        "program_phases": [{"phases": [("Enrollment", "7")]}],
        "program_refused": [{}],
        "program_word": [{"key": key} for key in ("suppressed", "activity", "csv_title", "today")],
        "protocol_line": [{"protocol": protocol}],
        "removing_client": [{}],
        "resume": [{"runs": [1]}, {"runs": []}],
        "round_collaborative_done": [{"newly": True}, {"newly": False}],
        "round_frame_intro": [
            {"protocol": protocol, "channel": channel, "opens_at": WHEN},
            {"protocol": protocol, "channel": channel, "opens_at": None},
        ],
        "round_framed": [
            {"waiting": True, "channel": channel, "opens_at": mrkdwn.date(WHEN)},
            {"waiting": False, "channel": channel, "opens_at": None},
        ],
        "round_invitation": [{"title": "Consultancy", "channel": channel, "opens_at": mrkdwn.date(WHEN)}],
        "round_listen": [{"phase": _phase(PresenterRole.LISTENS)}],
        "round_moved_on": [{}],
        "round_next_steps": [
            {"steps": steps, "client": True},
            {"steps": steps, "client": False},
            {"steps": [], "client": False},
        ],
        "round_no_feedback": [{}],
        "round_not_allowed": [{}],
        "round_not_collaborative": [{}],
        "round_not_in_channel": [{"channel": channel}],
        "round_not_posted": [{"channel": channel, "error": "not_in_channel"}],
        "round_phase": [
            {
                "number": 2,
                "total": 5,
                "phase": _phase(role),
                "presenter": presenter,
                "ends_at": ends,
                "steerers": presenter,
            }
            for role in PresenterRole
            for ends in (mrkdwn.date(WHEN), None)
        ]
        + [
            {
                "number": 1,
                "total": 5,
                "phase": _phase(PresenterRole.SPEAKS, tags=False),
                "presenter": presenter,
                "ends_at": None,
                "steerers": presenter,
            }
        ],
        "round_picks_intro": [{"client": True}, {"client": False}],
        "round_post": [
            {"protocol": protocol, "presenter": presenter, "view": view},
            {"protocol": protocol, "presenter": presenter, "view": async_view},
        ],
        "round_registered": [
            {"registrar": presenter, "protocols": [protocol]},
            {"registrar": None, "protocols": [protocol]},
        ],
        "round_reminder": [
            {
                "presenter": presenter,
                "protocol": protocol,
                "channel": channel,
                "phase": _phase(PresenterRole.ANSWERS),
                "ends_at": mrkdwn.date(WHEN),
            },
            {
                "presenter": presenter,
                "protocol": protocol,
                "channel": channel,
                "phase": _phase(PresenterRole.ANSWERS),
                "ends_at": None,
            },
        ],
        "round_reminders_changed": [{"on": True}, {"on": False}],
        "round_reply": [
            {"tag": "Warm", "author": presenter, "text": HOSTILE},
            {"tag": None, "author": presenter, "text": HOSTILE},
        ],
        "round_reply_not_yours": [{}],
        "round_reply_withdrawn": [{}],
        "round_restate_intro": [{}],
        "round_restated": [{"presenter": presenter, "text": HOSTILE}],
        "round_resume": [{"protocol": protocol}],
        "round_schedule_intro": [{"channel": channel}],
        "round_schedule_saved": [
            {"kind": "Tuning", "every": 1, "ahead": 1, "channel": channel, "first": "2026-12-02"},
            {"kind": "Tuning", "every": 3, "ahead": 5, "channel": channel, "first": "2026-12-02"},
        ],
        "round_summary_header": [
            {"record": _record(restated=True, reflection=True), "channel": channel},
            {"record": _record(restated=False, reflection=False), "channel": channel},
        ],
        "round_summary_phase": [
            {"phase": _phase(PresenterRole.ANSWERS), "count": 1},
            {"phase": _phase(PresenterRole.ANSWERS), "count": 4},
        ],
        "round_tag_question": [{}],
        "round_tagged": [{"label": "Warm"}],
        "round_thread_summary": [
            {
                "record": _record(restated=True, reflection=True),
                "counts": [("Warm", 1), ("Cool", 3)],
                "presenter": presenter,
            },
            {"record": _record(restated=False, reflection=False), "counts": [], "presenter": presenter},
        ],
        "round_unknown": [{}],
        "run_line": [
            {"run": _run()},
            {"run": _run(completed_at=None)},
            {"run": _run(client_name=None)},
            {"run": _run(client_name=None, completed_at=None)},
        ],
        "schedule_intro": [{"client": client}],
        "schedule_sends_at_once": [{"when": "Nov 22, 2026, 9:00 AM"}],
        "try_stopped": [
            {"run": "0123456789abcdef", "saved": 1, "pages": 3},
            {"run": "0123456789abcdef", "saved": 0, "pages": 3},
            {"run": None, "saved": 0, "pages": 3},
        ],
        "try_nothing_to_resume": [{"wanted": "latest"}, {"wanted": HOSTILE}],
        "schedule_saved": [{"client": client, "next_due": WHEN}, {"client": client, "next_due": None}],
        "share_failed": [{}],
        "share_form_intro": [{}],
        "share_line": [
            {"share": share},
            {"share": Obj(audience=ShareAudience.CLIENT, channel_id=None, shared_at=WHEN)},
        ],
        "share_not_in_channel": [{}],
        "shared_header": [{"coach": mrkdwn.mention(COACH), "protocol": protocol}],
        "summary_header": [{"protocol": protocol, "completed_at": WHEN}],
        "summary_undelivered": [{"protocol": protocol, "error": "msg_too_long"}],
        "too_slow": [{}],
        "window_not_filled": [{}],
        "window_not_opened": [{}],
    }
