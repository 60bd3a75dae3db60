"""Feedback rounds in a Coach Collaborative's channel: registering the channel, framing a round,
the thread's replies (from message events), the round's buttons, reminders and next steps."""

from __future__ import annotations

import logging
import re
from datetime import date

from slack_bolt import Ack, App

from bot import i18n, mrkdwn
from bot.actor import Actor
from bot.blocks import rounds as views
from bot.blocks.messages import notice_message
from bot.blocks.protocol_views import MalformedPayload, read_state, step_errors
from bot.handlers.deps import Deps, coach_from_body
from bot.handlers.forms import chosen, field, form_values
from bot.handlers.modals import REFUSALS, open_then_fill, release_submission, show, submitted_before
from bot.i18n import _
from bot.ids import ActionId, BlockId, CallbackId, unpair
from bot.scheduling.rounds import REPLY_SUBTYPES
from bot.services.round_schedules import RoundScheduleForm
from bot.services.rounds import (
    NotACollaborative,
    NotAllowed,
    RoundNotFound,
    RoundSetup,
    RoundView,
    post_owed,
)
from bot.services.runs import Completed, PageAnswers
from bot.slack_gateway import DeliveryFailed
from bot.storage.models import RoundMode

log = logging.getLogger(__name__)

TAG = re.compile(rf"^{ActionId.ROUND_TAG}:([a-z][a-z-]*)$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def is_member(deps: Deps, coach: Actor, channel_id: str) -> bool:
    """Whether the coach is in the channel now (Slack's members, asked each time: a
    collaborative's members are its channel's, and people leave). Every change to a
    collaborative asks this, since the channel a request names is the sender's say-so."""
    try:
        return coach.user_id in deps.gateway.channel_members(channel_id)
    except DeliveryFailed as failure:
        log.warning("members of a channel not read: %s", failure.error)
        return False


def _whisper(deps: Deps, round_id: str, user_id: str, name: str) -> None:
    """A private answer to a click on a round's message, in the round's own thread as stored."""
    try:
        shown = deps.rounds.get(round_id)
    except RoundNotFound:
        return
    if shown.round.thread_ts is not None:
        deps.gateway.whisper(
            channel=shown.round.channel_id,
            user_id=user_id,
            message=notice_message(name),
            thread_ts=shown.round.thread_ts,
        )


def _send_owed_now(deps: Deps, view: RoundView) -> None:
    """Whoever clicked waits on what the round now owes (a phase's announcement, the closing):
    sent at once, in order; what is left goes out on the sender's next pass."""
    for message in deps.rounds.owed_after(view):
        if not deps.sender.send_now(message):
            return


def _framing(view: dict, values: dict) -> tuple[views.FrameMeta, PageAnswers]:
    """The framing modal as the presenter left it: where the round goes and the page's answers."""
    meta = views.FrameMeta.decode(view.get("private_metadata") or "")
    given = PageAnswers(
        meta.page.protocol_id,
        meta.page.page_id,
        read_state(values),
        run_id=meta.page.run_id,
        view_id=view.get("id"),
        protocol_version=meta.page.version,
    )
    return meta, given


def open_framing(deps: Deps, coach: Actor, trigger_id: str, protocol_id: str, setup: RoundSetup) -> None:
    def build() -> dict:
        if not deps.rounds.is_collaborative(coach.team_id, setup.channel_id) or not is_member(
            deps, coach, setup.channel_id
        ):
            return views.notice("round_not_collaborative")
        return views.framing_view(deps.rounds.framing_page(coach, protocol_id), setup)

    title = deps.runs.protocol(protocol_id).in_language(i18n.current()).title
    open_then_fill(deps, coach, trigger_id, title, build)


def register_channel(deps: Deps, *, team_id: str, channel_id: str, by: str | None) -> bool | None:
    """Register a channel and say so in it; None when the bot cannot post there (not invited)."""
    newly = deps.rounds.register(team_id, channel_id, by or "")
    if newly:
        try:
            deps.gateway.post(
                channel=channel_id, messages=[views.registered_message(by, deps.rounds.protocols)]
            )
        except DeliveryFailed as failure:
            if not failure.transient:
                deps.rounds.unregister(team_id, channel_id)
                return None
    return newly


def _read_schedule(values: dict, catalog_ids: set[str]) -> tuple[RoundScheduleForm | None, dict[str, str]]:
    errors: dict[str, str] = {}
    protocol = chosen(values, BlockId.ROUND_PROTOCOL)
    mode = chosen(values, BlockId.ROUND_MODE)
    every = chosen(values, BlockId.ROUND_EVERY)
    first = field(values, BlockId.ROUND_FIRST).get("selected_date")
    at = field(values, BlockId.ROUND_TIME).get("selected_time")
    rotation = field(values, BlockId.ROUND_ROTATION).get("selected_users")
    ahead = chosen(values, BlockId.ROUND_ASK_AHEAD)
    if protocol not in catalog_ids:
        errors[BlockId.ROUND_PROTOCOL] = _("Choose a kind of round.")
    if mode not in {m.value for m in RoundMode}:
        errors[BlockId.ROUND_MODE] = _("Choose how the rounds run.")
    if not isinstance(every, str) or not every.isdigit():
        errors[BlockId.ROUND_EVERY] = _("Choose how often.")
    try:
        first_date = date.fromisoformat(first) if isinstance(first, str) else None
    except ValueError:
        first_date = None
    if first_date is None:
        errors[BlockId.ROUND_FIRST] = _("Choose the date of the first round.")
    if not isinstance(at, str) or not TIME.match(at):
        errors[BlockId.ROUND_TIME] = _("Choose a time.")
    if not isinstance(rotation, list) or not rotation or not all(isinstance(u, str) for u in rotation):
        errors[BlockId.ROUND_ROTATION] = _("Choose at least one presenter.")
    if not isinstance(ahead, str) or not ahead.isdigit():
        errors[BlockId.ROUND_ASK_AHEAD] = _("Choose how far ahead to ask.")
    if errors:
        return None, errors
    return RoundScheduleForm(
        protocol_id=protocol,
        mode=RoundMode(mode),
        every_weeks=int(every),
        first_date=first_date,
        local_time=at,
        rotation=rotation,
        ask_days_ahead=int(ahead),
    ), {}


def register(app: App, deps: Deps) -> None:
    @app.event("member_joined_channel")
    def on_joined(event: dict, context: dict) -> None:
        """Invited to a channel: it becomes a Coach Collaborative, said once in the channel."""
        user, channel = event.get("user"), event.get("channel")
        bot_user = context.get("bot_user_id") or deps.gateway.bot_user_id()
        if user != bot_user or not isinstance(channel, str):
            return
        team_id = context.get("team_id") or event.get("team") or ""
        inviter = event.get("inviter")
        register_channel(
            deps, team_id=team_id, channel_id=channel, by=inviter if isinstance(inviter, str) else None
        )

    @app.event("message")
    def on_message(event: dict, context: dict) -> None:
        """Replies in a round's thread are captured here, never by polling the thread."""
        team_id = context.get("team_id") or event.get("team") or ""
        channel = event.get("channel")
        subtype = event.get("subtype")
        if not isinstance(channel, str):
            return
        if subtype == "message_changed":
            changed = event.get("message") or {}
            if isinstance(changed.get("thread_ts"), str) and isinstance(changed.get("ts"), str):
                deps.rounds.edited(
                    team_id=team_id,
                    channel_id=channel,
                    thread_ts=changed["thread_ts"],
                    ts=changed["ts"],
                    text=str(changed.get("text") or ""),
                )
            return
        if subtype == "message_deleted":
            previous = event.get("previous_message") or {}
            if isinstance(previous.get("thread_ts"), str) and isinstance(event.get("deleted_ts"), str):
                deps.rounds.withdrawn(
                    team_id=team_id,
                    channel_id=channel,
                    thread_ts=previous["thread_ts"],
                    ts=event["deleted_ts"],
                )
            return
        thread_ts, ts, user = event.get("thread_ts"), event.get("ts"), event.get("user")
        if subtype not in REPLY_SUBTYPES or event.get("bot_id") or thread_ts in (None, ts):
            return
        if not (isinstance(thread_ts, str) and isinstance(ts, str) and isinstance(user, str)):
            return
        captured = deps.rounds.capture(
            team_id=team_id,
            channel_id=channel,
            thread_ts=thread_ts,
            user_id=user,
            ts=ts,
            text=str(event.get("text") or ""),
        )
        if captured is None:
            return
        if captured.needs_tag:
            deps.gateway.whisper(
                channel=channel,
                user_id=user,
                message=views.tag_question(captured),
                thread_ts=thread_ts,
            )
        if captured.presenter_interrupting and deps.rounds.nudged_presenter(captured.view):
            deps.gateway.whisper(
                channel=channel, user_id=user, message=views.listen_nudge(captured.view), thread_ts=thread_ts
            )

    @app.shortcut(CallbackId.WITHDRAW_REPLY)
    def on_withdraw(ack: Ack, body: dict) -> None:
        """A member takes their reply out of the round (its summaries) and keeps the message."""
        ack()
        user = coach_from_body(body)
        message, channel = body.get("message") or {}, (body.get("channel") or {}).get("id")
        thread_ts, ts = message.get("thread_ts"), message.get("ts")
        if not (isinstance(channel, str) and isinstance(thread_ts, str) and isinstance(ts, str)):
            raise MalformedPayload("the shortcut names no reply")
        done = deps.rounds.withdraw(
            team_id=user.team_id, channel_id=channel, thread_ts=thread_ts, ts=ts, user_id=user.user_id
        )
        response_url = body.get("response_url")
        if response_url and isinstance(response_url, str):
            answer = notice_message("round_reply_withdrawn" if done else "round_reply_not_yours")
            deps.gateway.respond(response_url=response_url, message=answer)

    @app.view_submission(CallbackId.ROUND_FRAME)
    def on_framed(ack: Ack, body: dict) -> None:
        coach = coach_from_body(body)
        view, values = form_values(body)
        meta, given = _framing(view, values)
        if deps.guards.someone_elses(coach, view.get("id") or ""):  # another person's window
            ack(response_action="update", view=views.notice("round_unknown"))
            return
        if not is_member(deps, coach, meta.channel_id):
            ack(response_action="update", view=views.notice("round_not_collaborative"))
            return
        if submitted_before(deps, coach, view):
            ack(response_action="update", view=views.notice("already_saved"))
            return
        opens_at = None
        if meta.invitation_id:
            try:
                opens_at = deps.round_schedules.setup_for(coach.user_id, meta.invitation_id)[1].opens_at
            except LookupError:  # someone else's invitation, or none: a crafted submission
                release_submission(deps, view)
                ack(response_action="update", view=views.notice("round_unknown"))
                return
        try:
            outcome = deps.runs.submit_page(coach, given)
        except REFUSALS:
            release_submission(deps, view)
            ack(response_action="update", view=views.notice("round_unknown"))
            return
        if not isinstance(outcome, Completed):
            release_submission(deps, view)
            ack(
                response_action="errors",
                errors=step_errors(outcome.errors or {"": _("Please check this page.")}),
            )
            return
        mode = chosen(values, BlockId.ROUND_MODE)
        facilitator = field(values, BlockId.ROUND_FACILITATOR).get("selected_user")
        setup = RoundSetup(
            channel_id=meta.channel_id,
            mode=RoundMode(mode) if mode in {m.value for m in RoundMode} else RoundMode.LIVE,
            facilitator_id=facilitator if isinstance(facilitator, str) else None,
            opens_at=opens_at,
            invitation_id=meta.invitation_id,
        )
        try:
            round_ = deps.rounds.open_round(coach, outcome.run_id, setup)
        except NotACollaborative:
            release_submission(deps, view)
            ack(response_action="update", view=views.notice("round_not_collaborative"))
            return
        shown = deps.rounds.get(round_.id)
        ack(response_action="update", view=views.framed_view(shown))
        # The presenter watches the channel: the post (owed with the round) goes now, then its
        # first phase's announcement, as fast as Slack takes them.
        due = round_.thread_ts is None and round_.opens_at <= deps.rounds.now()
        if due and deps.sender.send_now(post_owed(round_)):
            _send_owed_now(deps, deps.rounds.get(round_.id))

    @app.view_closed(CallbackId.ROUND_FRAME)
    def on_frame_closed(ack: Ack, body: dict) -> None:
        ack()
        coach = coach_from_body(body)
        view, values = form_values(body)
        _, given = _framing(view, values)
        if deps.guards.someone_elses(coach, view.get("id") or ""):
            log.warning("round draft refused: another person's window")
            return
        try:
            deps.drafts.save(coach, given)
        except REFUSALS as refusal:
            log.warning("round draft refused: %s", type(refusal).__name__)

    def _steer(body: dict, action: dict, *, end: bool) -> None:
        user = coach_from_body(body)
        seen = unpair(action.get("value"))
        if seen is None or not seen[1].lstrip("-").isdigit():
            raise MalformedPayload("the button names no round phase")
        try:
            moved = deps.rounds.advance(seen[0], seen_phase=int(seen[1]), by=user.user_id, end=end)
        except NotAllowed:
            _whisper(deps, seen[0], user.user_id, "round_not_allowed")
            return
        except RoundNotFound:
            raise MalformedPayload("the button names no round") from None
        if moved is None:
            _whisper(deps, seen[0], user.user_id, "round_moved_on")
            return
        _send_owed_now(deps, moved)

    @app.action(ActionId.ROUND_NEXT)
    def on_next(ack: Ack, body: dict, action: dict) -> None:
        ack()
        _steer(body, action, end=False)

    @app.action(ActionId.ROUND_END)
    def on_end(ack: Ack, body: dict, action: dict) -> None:
        ack()
        _steer(body, action, end=True)

    @app.action(ActionId.ROUND_RESTATE)
    def on_restate_clicked(ack: Ack, body: dict, action: dict) -> None:
        ack()
        user = coach_from_body(body)
        try:
            view = deps.rounds.get(str(action.get("value") or ""))
        except RoundNotFound:
            raise MalformedPayload("the button names no round") from None
        if user.user_id != view.round.presenter_id:
            _whisper(deps, view.round.id, user.user_id, "round_not_allowed")
            return
        show(deps, body, views.restate_view(view, deps.rounds.focus(view)))

    @app.view_submission(CallbackId.ROUND_RESTATE)
    def on_restated(ack: Ack, body: dict) -> None:
        user = coach_from_body(body)
        view, values = form_values(body)
        text = str(field(values, BlockId.ROUND_FOCUS).get("value") or "").strip()
        if not text:
            ack(response_action="errors", errors={BlockId.ROUND_FOCUS: _("Write your focus question.")})
            return
        if submitted_before(deps, user, view):  # sent twice: restated, and said in the thread, once
            ack()
            return
        try:
            deps.rounds.restate(view.get("private_metadata") or "", user.user_id, text)
        except (NotAllowed, RoundNotFound):
            release_submission(deps, view)
            ack(response_action="update", view=views.notice("round_unknown"))
            return
        ack()
        shown = deps.rounds.get(view["private_metadata"])
        try:
            deps.gateway.post(
                channel=shown.round.channel_id,
                messages=[
                    notice_message("round_restated", presenter=mrkdwn.mention(user.user_id), text=text)
                ],
                thread_ts=shown.round.thread_ts,
            )
        except DeliveryFailed as failure:
            log.warning("restated focus not posted: %s", failure.error)

    @app.action(TAG)
    def on_tag(ack: Ack, body: dict, action: dict) -> None:
        ack()
        user = coach_from_body(body)
        word = TAG.match(action["action_id"]).group(1)
        if deps.rounds.tag(user.user_id, str(action.get("value") or ""), word):
            response_url = body.get("response_url")
            if response_url and isinstance(response_url, str):
                deps.gateway.respond(
                    response_url=response_url, message=views.tagged_message(word), replace=True
                )

    @app.action(ActionId.ROUND_REMINDERS)
    def on_reminders(ack: Ack, body: dict, action: dict) -> None:
        ack()
        user = coach_from_body(body)
        on = action.get("value") == "on"
        deps.rounds.set_reminders(user.team_id, user.user_id, on=on)
        # Said in a new DM, not by changing the message clicked: the bot keeps no record of
        # which reminder message is whose, and a request's channel and ts could be any message.
        # A repeated click within the window says it once.
        if deps.guards.claim(user, f"round_reminders:{user.user_id}:{on}") is None:
            deps.gateway.post(channel=user.user_id, messages=[views.reminders_changed(on=on)])

    @app.action(ActionId.ROUND_PICK)
    def on_pick_clicked(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        try:
            view, feedback = deps.rounds.pickable(coach, str(action.get("value") or ""))
            shown = views.picks_view(view, feedback, deps.rounds.record(view.round.id).next_steps)
        except RoundNotFound:
            shown = views.notice("round_unknown")
        show(deps, body, shown)

    @app.view_submission(CallbackId.ROUND_PICKS)
    def on_picked(ack: Ack, body: dict) -> None:
        coach = coach_from_body(body)
        view, values = form_values(body)
        chosen = [o.get("value") for o in field(values, BlockId.ROUND_PICKS).get("selected_options") or []]
        try:
            steps = deps.rounds.choose(
                coach, view.get("private_metadata") or "", [c for c in chosen if isinstance(c, str)]
            )
            shown = deps.rounds.get(view["private_metadata"])
        except RoundNotFound:
            ack(response_action="update", view=views.notice("round_unknown"))
            return
        ack(response_action="update", view=views.next_steps_view(shown, steps))

    @app.action(ActionId.ROUND_FRAME_INVITED)
    def on_invited_frame(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        try:
            protocol_id, setup = deps.round_schedules.setup_for(coach.user_id, str(action.get("value") or ""))
        except LookupError:
            show(deps, body, views.notice("round_unknown"))
            return
        open_framing(deps, coach, body.get("trigger_id", ""), protocol_id, setup)

    @app.view_submission(CallbackId.ROUND_SCHEDULE)
    def on_schedule_saved(ack: Ack, body: dict) -> None:
        coach = coach_from_body(body)
        view, values = form_values(body)
        form, errors = _read_schedule(values, {p.id for p in deps.rounds.protocols})
        if errors or form is None:
            ack(response_action="errors", errors=errors)
            return
        channel_id = view.get("private_metadata") or ""
        if not is_member(deps, coach, channel_id):
            ack(response_action="update", view=views.notice("round_not_collaborative"))
            return
        if submitted_before(deps, coach, view):
            ack(response_action="update", view=views.notice("already_saved"))
            return
        try:
            deps.round_schedules.save(
                team_id=coach.team_id,
                channel_id=channel_id,
                by=coach.user_id,
                form=form,
                tz=deps.gateway.user_tz(coach.user_id) or "UTC",
            )
        except NotACollaborative:
            release_submission(deps, view)
            ack(response_action="update", view=views.notice("round_not_collaborative"))
            return
        ack(
            response_action="update",
            view=views.notice(
                "round_schedule_saved",
                kind=deps.runs.protocol(form.protocol_id).title,
                every=form.every_weeks,
                channel=mrkdwn.channel(channel_id),
                first=form.first_date.isoformat(),
                ahead=form.ask_days_ahead,
            ),
        )
