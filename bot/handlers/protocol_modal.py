"""The protocol modal: page submissions, closing with a draft, and resuming a run."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from sqlalchemy.exc import OperationalError

from bot import prompts
from bot.blocks import messages
from bot.blocks.protocol_views import (
    MalformedPayload,
    PageMeta,
    page_view,
    read_state,
    step_errors,
    summary_view,
)
from bot.blocks.rounds import notice as round_notice
from bot.handlers.deps import Deps, coach_from_body
from bot.handlers.modals import REFUSALS, show, update_own
from bot.ids import ActionId, CallbackId
from bot.scheduling.kinds import summary_owed
from bot.services.runs import Completed, PageAnswers
from bot.storage.db import short_waits

log = logging.getLogger(__name__)


def _page_answers(view: object) -> PageAnswers:
    if not isinstance(view, dict) or not isinstance(view.get("id"), str):
        raise MalformedPayload("the payload carries no view")
    meta = PageMeta.decode(view.get("private_metadata") or "")
    state = view.get("state")
    raw = read_state(state.get("values") if isinstance(state, dict) else None)
    return PageAnswers(
        meta.protocol_id,
        meta.page_id,
        raw,
        run_id=meta.run_id,
        view_id=view["id"],
        protocol_version=meta.version,
        client_id=meta.client_id,
    )


def _busy() -> str:
    return prompts.render("page_not_saved")


def register(app: App, deps: Deps) -> None:
    @app.view_submission(CallbackId.PROTOCOL_PAGE)
    def on_page_submitted(ack: Ack, body: dict) -> None:
        coach = coach_from_body(body)
        given = _page_answers(body.get("view"))
        if deps.guards.someone_elses(coach, given.view_id or ""):
            log.warning("page submission refused: another person's window")
            ack(response_action="update", view=messages.notice_view("not_found"))
            return
        try:
            with short_waits():
                outcome = deps.runs.submit_page(coach, given)
        except OperationalError:  # locked or unavailable: answer within Slack's 3 s, page kept open
            log.warning("page not saved: the database did not answer in time")
            ack(response_action="errors", errors=step_errors(dict.fromkeys(given.raw, _busy())))
            return
        except REFUSALS as refusal:
            log.warning("page submission refused: %s", type(refusal).__name__)
            ack(response_action="update", view=messages.notice_view("not_found"))
            return
        if isinstance(outcome, Completed):
            ack(response_action="update", view=summary_view(outcome))
            if outcome.newly:  # the coach waits on it: owed, and sent at once
                deps.sender.send_now(summary_owed(coach, outcome.run_id))
                deps.home_tab.changed(coach.team_id, coach.user_id)  # no longer unfinished
        elif outcome.errors:
            ack(response_action="errors", errors=step_errors(outcome.errors))
        else:
            ack(response_action="update", view=page_view(outcome))
            if given.run_id is None:  # the first page saved began the run: it is unfinished now
                deps.home_tab.changed(coach.team_id, coach.user_id)

    @app.view_closed(CallbackId.PROTOCOL_PAGE)
    def on_page_closed(ack: Ack, body: dict) -> None:
        ack()
        coach = coach_from_body(body)
        given = _page_answers(body.get("view"))
        if deps.guards.someone_elses(coach, given.view_id or ""):
            log.warning("draft refused: another person's window")
            return
        try:
            kept = deps.drafts.save(coach, given)
        except REFUSALS as refusal:
            log.warning("draft refused: %s", type(refusal).__name__)
            return
        if kept is not None:
            log.info("draft kept: %d answers", kept)

    @app.action(ActionId.BACK_PAGE)
    def on_back(ack: Ack, body: dict) -> None:
        ack()
        coach = coach_from_body(body)
        given = _page_answers(body.get("view"))
        try:
            shown = page_view(deps.runs.back(coach, given))
        except REFUSALS as refusal:
            log.warning("back refused: %s", type(refusal).__name__)
            shown = messages.notice_view("not_found")
        update_own(deps, coach, given.view_id, shown)

    @app.action(ActionId.RESUME_RUN)
    def on_resume(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        run_id = action.get("value")
        if not isinstance(run_id, str):
            raise MalformedPayload("the button carries no run")
        try:
            shown = deps.runs.resume(coach, run_id)
            # A round's framing goes on where the round will run: `/coach round <id>` in the channel.
            view = (
                page_view(shown)
                if shown.protocol.round is None
                else round_notice("round_resume", protocol=shown.protocol)
            )
        except REFUSALS:
            log.warning("resume refused")
            view = messages.notice_view("not_found")
        show(deps, body, view)
