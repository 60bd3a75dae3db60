"""Check-ins as a leader meets them in a DM (rate, answer, snooze, skip, pause) and as a coach
sets them up (`/coach checkins @leader`)."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, time, timedelta

from slack_bolt import Ack, App

from bot.actor import Actor
from bot.blocks.checkins import checkin_done_message, checkin_form, notice_in_place
from bot.blocks.messages import Message, notice_view
from bot.blocks.protocol_views import MalformedPayload, read_state, step_errors
from bot.blocks.schedules import (
    checkins_view,
    schedule_form,
    schedule_saved_view,
    schedule_sends_at_once,
)
from bot.handlers.deps import Deps, coach_from_body
from bot.handlers.forms import chosen, field, form_values
from bot.handlers.modals import REFUSALS, release_submission, show, submitted_before
from bot.i18n import _
from bot.ids import ActionId, BlockId, CallbackId, unpair
from bot.recurrence import Cadence
from bot.scheduling.kinds import pause_notice_owed
from bot.services.checkins import CHECKIN_PROTOCOL, NotYourCheckin, ScheduleForm
from bot.services.runs import PageAnswers, PageToShow

log = logging.getLogger(__name__)
RATE = re.compile(rf"^{ActionId.CHECKIN_RATE}:([1-5])$")
SNOOZES = {"later": 3, "tomorrow": 24}


def _replace_checkin(deps: Deps, leader_id: str, delivery_id: str, message: Message) -> None:
    """Change the check-in message the bot recorded sending to this leader, never the one a
    request names: a container's channel and ts could be any message's."""
    try:
        posted = deps.checkins.message_for(leader_id, delivery_id)
    except NotYourCheckin:
        return
    if posted is not None:
        deps.gateway.replace(channel=posted.channel, ts=posted.ts, message=message)


def _mark_done(deps: Deps, leader: Actor, delivery_id: str, rating: int | None) -> None:
    """The leader's check-in says it is done; their coach's Home shows the answer."""
    context = deps.checkins.context(delivery_id)
    _replace_checkin(deps, leader.user_id, delivery_id, checkin_done_message(context, rating))
    if context is not None:
        deps.home_tab.changed(leader.team_id, context.coach_id)


def checkins_or_form(deps: Deps, coach: Actor, client_id: str) -> dict:
    """`/coach checkins @leader`: their schedule and history, or the form when there is none."""
    client = deps.clients.get(coach, client_id)
    schedule = deps.checkins.schedule_of(coach, client_id)
    if schedule is None:
        first_slot = deps.checkins.next_slot(deps.gateway.user_tz(client.leader_id))
        return schedule_form(client, deps.checkins.goals_of(coach, client_id), None, first_slot=first_slot)
    history = deps.checkins.history(coach, client_id)
    return checkins_view(client, schedule, deps.checkins.next_due(schedule), history)


def _read_schedule(values: dict) -> tuple[ScheduleForm | None, dict[str, str]]:
    errors: dict[str, str] = {}
    goal_id = chosen(values, BlockId.SCHEDULE_GOAL)
    goal_text = (field(values, BlockId.SCHEDULE_NEW_GOAL).get("value") or "").strip()
    if not goal_id and not goal_text:
        errors[BlockId.SCHEDULE_NEW_GOAL] = _("Say what the check-ins are about.")
    cadence = chosen(values, BlockId.SCHEDULE_CADENCE)
    days = frozenset(
        int(o["value"]) for o in field(values, BlockId.SCHEDULE_WEEKDAYS).get("selected_options") or []
    )
    if cadence == Cadence.WEEKDAYS and not days:
        errors[BlockId.SCHEDULE_WEEKDAYS] = _("Pick at least one weekday.")
    try:
        at = time.fromisoformat(field(values, BlockId.SCHEDULE_TIME).get("selected_time") or "")
        first = date.fromisoformat(field(values, BlockId.SCHEDULE_FIRST).get("selected_date") or "")
        end_text = field(values, BlockId.SCHEDULE_END).get("selected_date")
        end = date.fromisoformat(end_text) if end_text else None
        cadence = Cadence(cadence)
    except (ValueError, TypeError) as error:
        raise MalformedPayload("the schedule form is incomplete") from error
    reminder = chosen(values, BlockId.SCHEDULE_REMINDER)
    if end is not None and end < first:
        errors[BlockId.SCHEDULE_END] = _("The last check-in cannot come before the first.")
    if errors:
        return None, errors
    form = ScheduleForm(
        cadence=cadence,
        local_time=at,
        first_date=first,
        end_date=end,
        weekdays=days if cadence == Cadence.WEEKDAYS else frozenset(),
        reminder_after_hours=int(reminder) if reminder and reminder.isdigit() else None,
        goal_id=None if goal_text else goal_id,
        goal_text=goal_text or None,
    )
    return form, {}


def register(app: App, deps: Deps) -> None:
    @app.action(ActionId.SET_UP_CHECKINS)
    def on_set_up(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        client_id = action.get("value")
        try:
            client = deps.clients.get(coach, client_id if isinstance(client_id, str) else "")
            current = deps.checkins.schedule_of(coach, client.id)
            first_slot = deps.checkins.next_slot(deps.gateway.user_tz(client.leader_id))
            view = schedule_form(
                client, deps.checkins.goals_of(coach, client.id), current, first_slot=first_slot
            )
        except REFUSALS:
            view = notice_view("not_found")
        show(deps, body, view)

    @app.view_submission(CallbackId.SCHEDULE_FORM)
    def on_schedule_saved(ack: Ack, body: dict) -> None:
        coach = coach_from_body(body)
        view, values = form_values(body)
        form, errors = _read_schedule(values)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            client = deps.clients.get(coach, view.get("private_metadata") or "")
            tz, locale = deps.gateway.user_tz_and_locale(client.leader_id)
            # Said before anything is saved: a check-in whose time has passed would go out now.
            passed = deps.checkins.sends_at_once(coach, client.id, form, tz=tz)
        except REFUSALS:
            ack(response_action="update", view=notice_view("not_found"))
            return
        if passed is not None:
            ack(response_action="errors", errors=schedule_sends_at_once(passed, tz))
            return
        if submitted_before(deps, coach, view):
            ack(response_action="update", view=notice_view("already_saved"))
            return
        try:
            schedule = deps.checkins.save_schedule(coach, client.id, form, tz=tz)
        except REFUSALS:
            release_submission(deps, view)
            ack(response_action="update", view=notice_view("not_found"))
            return
        ack(response_action="update", view=schedule_saved_view(client, deps.checkins.next_due(schedule)))
        if locale is not None:  # the first check-in speaks the leader's language
            deps.languages.record_locale(coach.team_id, client.leader_id, locale)
        deps.home_tab.changed(coach.team_id, coach.user_id)

    @app.event("user_change")
    def on_user_change(event: dict) -> None:
        user = event.get("user")
        if isinstance(user, dict) and isinstance(user.get("id"), str) and isinstance(user.get("tz"), str):
            deps.checkins.refresh_zone(user["id"], user["tz"])

    @app.action(RATE)
    def on_rating(ack: Ack, body: dict, action: dict) -> None:
        ack()
        leader = coach_from_body(body)
        rating = int(RATE.match(action["action_id"]).group(1))
        delivery_id = action.get("value")
        if not isinstance(delivery_id, str):
            raise MalformedPayload("the rating carries no check-in")
        try:
            accepted = deps.checkins.answer(leader.user_id, delivery_id, rating=rating)
        except NotYourCheckin:
            log.warning("rating refused")
            return
        if not accepted:
            _replace_checkin(deps, leader.user_id, delivery_id, notice_in_place("checkin_closed"))
            return
        _mark_done(deps, leader, delivery_id, rating)

    @app.action(ActionId.CHECKIN_ANSWER)
    def on_answer_clicked(ack: Ack, body: dict, action: dict) -> None:
        ack()
        leader = coach_from_body(body)
        delivery_id = action.get("value")
        try:
            delivery = deps.checkins.delivery_for(
                leader.user_id, delivery_id if isinstance(delivery_id, str) else ""
            )
        except NotYourCheckin:
            show(deps, body, notice_view("not_found"))
            return
        shown = (
            deps.runs.resume(leader, delivery.run_id)
            if delivery.run_id
            else deps.runs.first_page(CHECKIN_PROTOCOL)
        )
        show(deps, body, checkin_form(shown, delivery.id))

    @app.view_submission(CallbackId.CHECKIN_FORM)
    def on_answer_submitted(ack: Ack, body: dict) -> None:
        leader = coach_from_body(body)
        view = body.get("view") or {}
        try:
            delivery_id = json.loads(view.get("private_metadata") or "")["d"]
            if not isinstance(delivery_id, str):
                raise TypeError("not an id")
        except (ValueError, KeyError, TypeError) as error:
            raise MalformedPayload("the check-in form names no check-in") from error
        state = view.get("state")
        raw = read_state(state.get("values") if isinstance(state, dict) else None)
        try:
            delivery = deps.checkins.delivery_for(leader.user_id, delivery_id)
        except NotYourCheckin:
            ack(response_action="update", view=notice_view("not_found"))
            return
        if deps.guards.someone_elses(leader, view.get("id") or ""):
            ack(response_action="update", view=notice_view("not_found"))
            return
        protocol = deps.runs.protocol(CHECKIN_PROTOCOL)
        given = PageAnswers(
            protocol.id, protocol.pages[0].id, raw, run_id=delivery.run_id, view_id=view.get("id")
        )
        outcome = deps.runs.submit_page(leader, given)
        if isinstance(outcome, PageToShow):  # the one page had errors; valid answers are kept
            ack(response_action="errors", errors=step_errors(outcome.errors))
            return
        run_id = outcome.run_id
        answers = deps.runs.step_answers(leader, run_id)
        rating = int(answers["progress"]) if "progress" in answers else None
        if not deps.checkins.answer(leader.user_id, delivery.id, rating=rating, run_id=run_id):
            ack(response_action="update", view=notice_view("checkin_closed"))
            return
        ack(response_action="clear")
        _mark_done(deps, leader, delivery.id, rating)

    @app.action(ActionId.CHECKIN_LATER)
    def on_later(ack: Ack, body: dict, action: dict) -> None:
        ack()
        leader = coach_from_body(body)
        ids = unpair((action.get("selected_option") or {}).get("value"))
        if ids is None:
            raise MalformedPayload("the choice carries no check-in")
        delivery_id, choice = ids
        try:
            if choice in SNOOZES:
                when = deps.checkins.snooze(leader.user_id, delivery_id, by=timedelta(hours=SNOOZES[choice]))
                notice = notice_in_place("checkin_snoozed" if when else "checkin_closed")
            elif choice == "skip":
                deps.checkins.skip(leader.user_id, delivery_id)
                notice = notice_in_place("checkin_skipped")
            elif choice == "pause":
                deps.checkins.pause(leader.user_id, delivery_id)
                notice = notice_in_place("checkin_paused")
                context = deps.checkins.context(delivery_id)
                deps.sender.owe(pause_notice_owed(leader.team_id, context))
                if context is not None:
                    deps.home_tab.changed(leader.team_id, context.coach_id)
            else:
                raise MalformedPayload("unknown choice")
        except NotYourCheckin:
            log.warning("check-in choice refused")
            return
        _replace_checkin(deps, leader.user_id, delivery_id, notice)
