"""Feedback rounds as Slack shows them: the framing modal, the channel post, phase announcements
in the thread, nudges, reminders, the two summaries and the picks. Pure functions of values."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot import i18n, mrkdwn, prompts
from bot.blocks.messages import Message, chunked, notice_view
from bot.blocks.protocol_views import MalformedPayload, PageMeta, step_block
from bot.blocks.text import option, plain, section, sections, split_text
from bot.i18n import _, ngettext
from bot.ids import ActionId, BlockId, CallbackId, pair
from bot.protocols.catalog import Catalog
from bot.services.rounds import Captured, PhaseReplies, RoundRecord, RoundSetup, RoundView
from bot.services.runs import PageToShow
from bot.storage.models import Contribution, NextStep, RoundMode

# Slack caps an option's text at 75 characters.
OPTION_TEXT_MAX = 75


def modes() -> dict[RoundMode, str]:
    """Read when a view is built, so each reader gets their own language."""
    return {
        RoundMode.LIVE: _("Live: minutes a phase, moved on with a button"),
        RoundMode.ASYNC: _("Over days: hours a phase, moved on by the bot"),
    }


@dataclass(frozen=True)
class FrameMeta:
    """The framing modal's `private_metadata`: the page reference plus where the round goes."""

    page: PageMeta
    channel_id: str
    invitation_id: str | None = None

    def encode(self) -> str:
        return json.dumps({"page": self.page.encode(), "ch": self.channel_id, "inv": self.invitation_id})

    @classmethod
    def decode(cls, text: str) -> FrameMeta:
        try:
            data = json.loads(text)
            page, channel, invitation = data["page"], data["ch"], data.get("inv")
        except (ValueError, TypeError, KeyError) as error:
            raise MalformedPayload("private_metadata is not a round framing") from error
        if (
            not isinstance(page, str)
            or not isinstance(channel, str)
            or not isinstance(invitation, str | None)
        ):
            raise MalformedPayload("private_metadata is not a round framing")
        return cls(PageMeta.decode(page), channel, invitation)


def _spoken(view: RoundView) -> RoundView:
    """The round with its protocol's text (title, phases, guides, tags) in the language this
    message is being written in."""
    return replace(view, protocol=view.protocol.in_language(i18n.current()))


def _spoken_record(record: RoundRecord) -> RoundRecord:
    view = _spoken(record.view)
    by_id = {phase.id: phase for phase in view.phases}
    phases = [PhaseReplies(by_id[group.phase.id], group.replies) for group in record.by_phase]
    return replace(record, view=view, by_phase=phases)


def framing_view(shown: PageToShow, setup: RoundSetup) -> dict:
    """The presenter frames the round: the protocol's one page, then how the round runs."""
    protocol, page = shown.spoken
    intro = prompts.render(
        "round_frame_intro",
        protocol=protocol,
        channel=mrkdwn.channel(setup.channel_id),
        opens_at=setup.opens_at,
    )
    blocks: list[dict] = [{"type": "header", "text": plain(page.title)}, section(intro)]
    if page.intro:
        blocks.append(section(page.intro))
    blocks += [step_block(step, shown.answers.get(step.id)) for step in page.steps]
    ways = [option(mode.value, label) for mode, label in modes().items()]
    blocks.append(
        {
            "type": "input",
            "block_id": BlockId.ROUND_MODE,
            "label": plain(_("How will the round run?")),
            "element": {
                "type": "radio_buttons",
                "action_id": ActionId.FIELD,
                "options": ways,
                "initial_option": next(o for o in ways if o["value"] == setup.mode.value),
            },
        }
    )
    facilitator: dict = {"type": "users_select", "action_id": ActionId.FIELD}
    if setup.facilitator_id:
        facilitator["initial_user"] = setup.facilitator_id
    blocks.append(
        {
            "type": "input",
            "block_id": BlockId.ROUND_FACILITATOR,
            "label": plain(_("Facilitator")),
            "hint": plain(_("Keeps time and norms, and can move the round on with you. Optional.")),
            "element": facilitator,
            "optional": True,
        }
    )
    meta = FrameMeta(
        PageMeta(protocol.id, protocol.version, page.id, run_id=shown.run_id),
        setup.channel_id,
        setup.invitation_id,
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.ROUND_FRAME,
        "title": plain(protocol.title),
        "submit": plain(_("Post the round")),
        "close": plain(_("Save and close")),
        "notify_on_close": True,
        "private_metadata": meta.encode(),
        "blocks": blocks,
    }


def notice(name: str, **values: object) -> dict:
    """A modal that only says something about a round."""
    return notice_view(name, title=_("Feedback round"), **values)


def framed_view(view: RoundView) -> dict:
    return notice(
        "round_framed",
        channel=mrkdwn.channel(view.round.channel_id),
        opens_at=mrkdwn.date(view.round.opens_at),
        waiting=view.round.thread_ts is None and view.round.phase < 0,
    )


def round_post(view: RoundView, opening: str) -> list[Message]:
    """The round's post in the channel; its thread is where the round runs."""
    view = _spoken(view)
    header = prompts.render(
        "round_post", protocol=view.protocol, presenter=mrkdwn.mention(view.round.presenter_id), view=view
    )
    return chunked(
        [header, *split_text(opening)],
        _("A %(protocol)s round has started") % {"protocol": view.protocol.title},
    )


def _buttons(view: RoundView) -> dict:
    phase = view.phase
    assert phase is not None
    seen = pair(view.round.id, str(view.round.phase))
    elements = [
        {
            "type": "button",
            "action_id": ActionId.ROUND_NEXT,
            "text": plain(_("Finish the round") if view.is_last_phase else _("Next phase")),
            "value": seen,
            "style": "primary",
        }
    ]
    if phase.restate_focus:
        elements.append(
            {
                "type": "button",
                "action_id": ActionId.ROUND_RESTATE,
                "text": plain(_("Restate the focus question")),
                "value": view.round.id,
            }
        )
    if not view.is_last_phase:
        elements.append(
            {
                "type": "button",
                "action_id": ActionId.ROUND_END,
                "text": plain(_("End round")),
                "value": seen,
                "confirm": {
                    "title": plain(_("End the round now?")),
                    "text": plain(_("The phases left are skipped and the summaries are sent.")),
                    "confirm": plain(_("End round")),
                    "deny": plain(_("Keep going")),
                },
            }
        )
    return {"type": "actions", "elements": elements}


def phase_announcement(view: RoundView) -> Message:
    """Said in the thread when a phase opens: what belongs in it, who speaks, when it ends."""
    view = _spoken(view)
    phase = view.phase
    assert phase is not None
    body = prompts.render(
        "round_phase",
        view=view,
        phase=phase,
        number=view.round.phase + 1,
        total=len(view.phases),
        presenter=mrkdwn.mention(view.round.presenter_id),
        ends_at=mrkdwn.date(ends)
        if (ends := view.phase_ends_at()) and view.round.mode is RoundMode.ASYNC
        else None,
        steerers=_steerers(view),
    )
    return Message(
        text=_("Phase %(number)d: %(title)s") % {"number": view.round.phase + 1, "title": phase.title},
        blocks=[*sections(body), _buttons(view)],
    )


def _steerers(view: RoundView) -> str:
    people = [mrkdwn.mention(view.round.presenter_id)]
    if view.round.facilitator_id:
        people.append(mrkdwn.mention(view.round.facilitator_id))
    return mrkdwn.Markup(" or ".join(people))


def listen_nudge(view: RoundView) -> Message:
    phase = _spoken(view).phase
    assert phase is not None
    return Message(
        text=_("A gentle reminder to listen"), blocks=sections(prompts.render("round_listen", phase=phase))
    )


def tag_question(captured: Captured) -> Message:
    """Asked of a member (only them) whose feedback named no kind: one tap sorts it."""
    phase = _spoken(captured.view).phases[captured.contribution.phase]
    buttons = [
        {
            "type": "button",
            "action_id": f"{ActionId.ROUND_TAG}:{tag.word}",
            "text": plain(tag.label),
            "value": captured.contribution.id,
        }
        for tag in phase.tags
    ]
    body = prompts.render("round_tag_question")
    return Message(
        text=_("What kind of feedback is this?"),
        blocks=[*sections(body), {"type": "actions", "elements": buttons}],
    )


def tagged_message(label: str) -> Message:
    return Message(text=_("Sorted"), blocks=sections(prompts.render("round_tagged", label=label)))


def reminder_message(view: RoundView) -> Message:
    """A DM to a member who has not replied in a phase that closes soon; one per phase."""
    view = _spoken(view)
    phase = view.phase
    assert phase is not None
    body = prompts.render(
        "round_reminder",
        phase=phase,
        protocol=view.protocol,
        presenter=mrkdwn.mention(view.round.presenter_id),
        channel=mrkdwn.channel(view.round.channel_id),
        ends_at=mrkdwn.date(ends) if (ends := view.phase_ends_at()) else None,
    )
    return Message(
        text=_("A feedback round is waiting for you"), blocks=[*sections(body), reminders_button(on=False)]
    )


def reminders_button(*, on: bool) -> dict:
    """Stop (or restart) round reminders: the value says which way the click goes."""
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": ActionId.ROUND_REMINDERS,
                "text": plain(_("Remind me again") if on else _("No more round reminders")),
                "value": "on" if on else "off",
            }
        ],
    }


def reminders_changed(*, on: bool) -> Message:
    body = prompts.render("round_reminders_changed", on=on)
    return Message(
        text=_("Round reminders on") if on else _("Round reminders off"),
        blocks=[*sections(body), reminders_button(on=not on)],
    )


def _replies_text(replies: Sequence[Contribution], tags: dict[str, str]) -> list[str]:
    lines = []
    for reply in replies:
        lines.append(
            prompts.render(
                "round_reply",
                author=mrkdwn.mention(reply.user_id),
                text=reply.text,
                tag=tags.get(reply.tag or ""),
            )
        )
    return lines


def presenter_summary(record: RoundRecord) -> list[Message]:
    """The presenter's whole record of the round, in a DM, split to fit and never cut; with a
    button to pick the feedback they will act on."""
    record = _spoken_record(record)
    view = record.view
    pieces = [
        prompts.render("round_summary_header", record=record, channel=mrkdwn.channel(view.round.channel_id))
    ]
    for group in record.by_phase:
        tags = {tag.word: tag.label for tag in group.phase.tags}
        pieces.append(prompts.render("round_summary_phase", phase=group.phase, count=len(group.replies)))
        pieces += [piece for line in _replies_text(group.replies, tags) for piece in split_text(line)]
    messages = chunked(pieces, _("Your %(protocol)s round summary") % {"protocol": view.protocol.title})
    last = messages[-1]
    button = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": ActionId.ROUND_PICK,
                "text": plain(_("Choose what you'll act on")),
                "value": view.round.id,
                "style": "primary",
            }
        ],
    }
    if len(last.blocks) < 50:
        last.blocks.append(button)
    else:
        messages.append(Message(text=last.text, blocks=[button]))
    return messages


def thread_summary(record: RoundRecord) -> list[Message]:
    """The close in the thread: the focus question then and now, how much each phase drew, and
    the presenter's reflection (already said in the thread); the rest is in the presenter's DM."""
    record = _spoken_record(record)
    counts = [(group.phase.title, len(group.replies)) for group in record.by_phase]
    body = prompts.render(
        "round_thread_summary",
        record=record,
        counts=counts,
        presenter=mrkdwn.mention(record.view.round.presenter_id),
    )
    return chunked(split_text(body), _("The round has closed"))


def restate_view(view: RoundView, focus: str) -> dict:
    return {
        "type": "modal",
        "callback_id": CallbackId.ROUND_RESTATE,
        "title": plain(_("Focus question")),
        "submit": plain(_("Save")),
        "close": plain(_("Cancel")),
        "private_metadata": view.round.id,
        "blocks": [
            section(prompts.render("round_restate_intro")),
            {
                "type": "input",
                "block_id": BlockId.ROUND_FOCUS,
                "label": plain(_("Your focus question now")),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ActionId.FIELD,
                    "multiline": True,
                    "max_length": 3000,
                    "initial_value": (view.round.focus_restated or focus)[:3000],
                },
            },
        ],
    }


def picks_view(view: RoundView, feedback: Sequence[Contribution], chosen: Sequence[NextStep]) -> dict:
    if not feedback:
        return notice("round_no_feedback")
    options = [option(reply.id, prompts.one_line(reply.text, OPTION_TEXT_MAX)) for reply in feedback[:100]]
    picked = [o for o in options if o["value"] in {step.contribution_id for step in chosen}]
    element: dict = {"type": "multi_static_select", "action_id": ActionId.FIELD, "options": options}
    if picked:
        element["initial_options"] = picked
    return {
        "type": "modal",
        "callback_id": CallbackId.ROUND_PICKS,
        "title": plain(_("Next steps")),
        "submit": plain(_("Save")),
        "close": plain(_("Cancel")),
        "private_metadata": view.round.id,
        "blocks": [
            section(prompts.render("round_picks_intro", client=view.round.client_id is not None)),
            {
                "type": "input",
                "block_id": BlockId.ROUND_PICKS,
                "label": plain(_("Feedback you'll act on")),
                "element": element,
            },
        ],
    }


def next_steps_view(view: RoundView, steps: Sequence[NextStep]) -> dict:
    blocks = sections(
        prompts.render("round_next_steps", steps=steps, client=view.round.client_id is not None)
    )
    if view.round.client_id is not None and steps:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ActionId.SET_UP_CHECKINS,
                        "text": plain(_("Set up check-ins")),
                        "value": view.round.client_id,
                    }
                ],
            }
        )
    return {"type": "modal", "title": plain(_("Next steps")), "close": plain(_("Close")), "blocks": blocks}


def registered_message(registrar: str | None, protocols: Catalog) -> Message:
    body = prompts.render(
        "round_registered",
        registrar=mrkdwn.mention(registrar) if registrar else None,
        protocols=[protocol.in_language(i18n.current()) for protocol in protocols],
    )
    return Message(text=_("This channel is a Coach Collaborative"), blocks=sections(body))


def invitation_message(
    channel_id: str, opens_at: datetime, protocol_title: str, invitation_id: str
) -> Message:
    body = prompts.render(
        "round_invitation",
        channel=mrkdwn.channel(channel_id),
        opens_at=mrkdwn.date(opens_at),
        title=protocol_title,
    )
    button = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": ActionId.ROUND_FRAME_INVITED,
                "text": plain(_("Frame my dilemma")),
                "value": invitation_id,
                "style": "primary",
            }
        ],
    }
    return Message(text=_("You're presenting at the next feedback round"), blocks=[*sections(body), button])


def schedule_form(channel_id: str, protocols: Catalog, *, today: date) -> dict:
    """A collaborative's recurring round: which kind, how often, from when, who presents in turn."""

    def select(block_id: str, label: str, options: list[dict], initial: int = 0) -> dict:
        element = {
            "type": "static_select",
            "action_id": ActionId.FIELD,
            "options": options,
            "initial_option": options[initial],
        }
        return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}

    kinds = [option(p.id, p.in_language(i18n.current()).title) for p in protocols]
    ways = [option(mode.value, label) for mode, label in modes().items()]
    every = [
        option(
            str(n),
            _("Every week")
            if n == 1
            else ngettext("Every %(num)d week", "Every %(num)d weeks", n) % {"num": n},
        )
        for n in (1, 2, 3, 4, 6, 8)
    ]
    ahead = [
        option(str(n), ngettext("%(num)d day ahead", "%(num)d days ahead", n) % {"num": n})
        for n in (1, 2, 3, 5, 7, 14)
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.ROUND_SCHEDULE,
        "title": plain(_("Recurring rounds")),
        "submit": plain(_("Save")),
        "close": plain(_("Cancel")),
        "private_metadata": channel_id,
        "blocks": [
            section(prompts.render("round_schedule_intro", channel=mrkdwn.channel(channel_id))),
            select(BlockId.ROUND_PROTOCOL, _("Kind of round"), kinds),
            select(BlockId.ROUND_MODE, _("How the rounds run"), ways),
            select(BlockId.ROUND_EVERY, _("How often"), every, initial=1),
            {
                "type": "input",
                "block_id": BlockId.ROUND_FIRST,
                "label": plain(_("First round")),
                "element": {
                    "type": "datepicker",
                    "action_id": ActionId.FIELD,
                    "initial_date": today.isoformat(),
                },
            },
            {
                "type": "input",
                "block_id": BlockId.ROUND_TIME,
                "label": plain(_("Time (yours)")),
                "element": {"type": "timepicker", "action_id": ActionId.FIELD, "initial_time": "15:00"},
            },
            {
                "type": "input",
                "block_id": BlockId.ROUND_ROTATION,
                "label": plain(_("Presenters, in turn")),
                "element": {"type": "multi_users_select", "action_id": ActionId.FIELD},
            },
            select(BlockId.ROUND_ASK_AHEAD, _("Ask the presenter"), ahead, initial=3),
        ],
    }
