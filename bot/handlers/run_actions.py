"""What a coach does with one of their runs: view it, change an answer, share the summary and
withdraw it, export it, delete it. Every action names a run id; the services refuse any run
that is not the caller's."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App

from bot import i18n, prompts
from bot.actor import Actor
from bot.blocks import messages
from bot.blocks.messages import notice_message, notice_view
from bot.blocks.protocol_views import MalformedPayload, PageMeta, read_state, step_errors
from bot.blocks.run_views import edit_answer_view, run_detail_view, share_form
from bot.handlers.deps import Deps, coach_from_body
from bot.handlers.modals import REFUSALS, open_then_fill, show, tell, update_own
from bot.i18n import _, dates
from bot.ids import ActionId, BlockId, CallbackId, unpair
from bot.services.export import run_markdown
from bot.services.guards import AlreadyDone
from bot.services.runs import FramesARound, decode_ts
from bot.slack_gateway import DeliveryFailed, Posted
from bot.storage.models import ShareAudience

log = logging.getLogger(__name__)


def _run_id(action: dict) -> str:
    value = action.get("value")
    if not isinstance(value, str) or not value:
        raise MalformedPayload("the button carries no run")
    return value


def _pair(action: dict) -> tuple[str, str]:
    ids = unpair(action.get("value"))
    if ids is None:
        raise MalformedPayload("the button carries no ids")
    return ids


def _root_view_id(body: dict) -> str | None:
    view = body.get("view") or {}
    return view.get("root_view_id") or view.get("id") or None


def _refresh(
    deps: Deps,
    coach: Actor,
    run_id: str,
    view_id: str | None,
    note_name: str | None = None,
    **context: object,
) -> None:
    """Show the run again after a change, with a line saying what happened."""
    try:
        note = prompts.render(note_name, **context) if note_name else None
        view = run_detail_view(deps.runs.detail(coach, run_id), note=note)
    except REFUSALS:
        view = notice_view("not_found")
    update_own(deps, coach, view_id, view)


def _withdraw(deps: Deps, coach: Actor, run_id: str, *, only: str | None = None) -> None:
    """Delete the shared messages (all of a run's shares, or the one named), then record it.
    Sharing it there again is then a new share, not a repeat."""
    for share in deps.runs.active_shares(coach, run_id):
        if only is None or share.id == only:
            deps.gateway.retract(Posted(share.channel_id, decode_ts(share)))
            deps.runs.share_withdrawn(coach, run_id, share.id)
            key = _share_key(run_id, share.channel_id if share.audience is ShareAudience.CHANNEL else None)
            deps.guards.release(key)


def _share_key(run_id: str, channel: str | None) -> str:
    """A run shared to a channel (or, with None, to its client) once within the repeat window."""
    return f"share:{run_id}:{channel}" if channel else f"share_client:{run_id}"


def _already(deps: Deps, earlier: AlreadyDone) -> dict[str, object]:
    """What the "already done" note links to: the message the first action posted."""
    link = None
    if earlier.channel_id and earlier.message_ts:
        link = deps.gateway.permalink(channel=earlier.channel_id, ts=earlier.message_ts)
    return {"link": link}


def register(app: App, deps: Deps) -> None:
    @app.action(ActionId.VIEW_RUN)
    def on_view_run(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach, run_id = coach_from_body(body), _run_id(action)
        build = lambda: run_detail_view(deps.runs.detail(coach, run_id))  # noqa: E731
        if (body.get("view") or {}).get("type") == "modal":
            try:  # from a client's record: on top of it, so closing returns there
                view = build()
            except REFUSALS:
                log.warning("view refused")
                view = notice_view("not_found")
            show(deps, body, view)
            return
        open_then_fill(deps, coach, body.get("trigger_id", ""), _("Your run"), build)

    @app.action(ActionId.EDIT_ANSWER)
    def on_edit_clicked(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        run_id, step_id = _pair(action)
        try:
            protocol, value = deps.runs.step_of(coach, run_id, step_id)
            view = edit_answer_view(protocol, protocol.step(step_id), value, run_id=run_id)
        except REFUSALS:
            view = notice_view("not_found")
        show(deps, body, view)

    @app.view_submission(CallbackId.EDIT_ANSWER)
    def on_answer_edited(ack: Ack, body: dict) -> None:
        coach = coach_from_body(body)
        view = body.get("view") or {}
        meta = PageMeta.decode(view.get("private_metadata") or "")
        state = view.get("state")
        raw = read_state(state.get("values") if isinstance(state, dict) else None)
        if meta.run_id is None or meta.page_id not in raw:
            raise MalformedPayload("the edit form names no run or step")
        try:
            error = deps.runs.edit_answer(coach, meta.run_id, meta.page_id, raw[meta.page_id])
        except REFUSALS:
            ack(response_action="update", view=notice_view("not_found"))
            return
        if error:
            ack(response_action="errors", errors=step_errors({meta.page_id: error}))
            return
        ack()
        parent = view.get("previous_view_id") or view.get("root_view_id")
        if parent:
            _refresh(deps, coach, meta.run_id, parent, "note_changed")

    @app.action(ActionId.SHARE_CHANNEL)
    def on_share_clicked(ack: Ack, body: dict, action: dict) -> None:
        ack()
        show(deps, body, share_form(_run_id(action)))

    @app.view_submission(CallbackId.SHARE_TO_CHANNEL)
    def on_share_to_channel(ack: Ack, body: dict) -> None:
        coach = coach_from_body(body)
        view = body.get("view") or {}
        try:
            run_id = json.loads(view.get("private_metadata") or "")["r"]
            channel = view["state"]["values"][BlockId.SHARE_CHANNEL][ActionId.FIELD]["selected_conversation"]
        except (ValueError, KeyError, TypeError) as error:
            raise MalformedPayload("the share form is incomplete") from error
        if not isinstance(run_id, str) or not isinstance(channel, str) or not channel:
            raise MalformedPayload("the share form is incomplete")
        try:
            completed = deps.runs.completed(coach, run_id)
        except REFUSALS:
            ack(response_action="update", view=notice_view("not_found"))
            return
        key = _share_key(run_id, channel)
        earlier = deps.guards.claim(coach, key)
        if earlier is not None:
            ack(response_action="update", view=notice_view("already_shared", **_already(deps, earlier)))
            return
        try:
            posted = deps.gateway.post(
                channel=channel, messages=messages.shared_messages(completed, coach.user_id)
            )
        except DeliveryFailed as failure:
            deps.guards.release(key)
            if failure.posted:
                deps.gateway.retract(failure.posted)
            name = (
                "share_not_in_channel"
                if failure.error in ("not_in_channel", "channel_not_found")
                else "share_failed"
            )
            ack(response_action="errors", errors={BlockId.SHARE_CHANNEL: prompts.render(name)})
            return
        deps.runs.record_share(
            coach, run_id, audience=ShareAudience.CHANNEL, channel_id=posted.channel, message_ts=posted.ts
        )
        deps.guards.done(key, channel_id=posted.channel, message_ts=posted.ts[0])
        ack()
        parent = view.get("previous_view_id") or view.get("root_view_id")
        if parent:
            _refresh(deps, coach, run_id, parent, "note_shared")

    @app.action(ActionId.SHARE_CLIENT)
    def on_share_with_client(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach, run_id = coach_from_body(body), _run_id(action)
        note = "note_shared"
        key = _share_key(run_id, None)
        try:
            detail = deps.runs.detail(coach, run_id)
            completed = deps.runs.completed(coach, run_id)
            if detail.client_leader_id is None:
                raise MalformedPayload("the run is about no client")
            earlier = deps.guards.claim(coach, key)
            if earlier is not None:
                _refresh(
                    deps, coach, run_id, _root_view_id(body), "already_shared", **_already(deps, earlier)
                )
                return
            # Posted to the leader: in the language they read, not the coach's.
            with i18n.speaking(deps.languages.reading(coach.team_id, detail.client_leader_id).language):
                shared = messages.shared_messages(completed, coach.user_id)
            posted = deps.gateway.post(channel=detail.client_leader_id, messages=shared)
            deps.runs.record_share(
                coach, run_id, audience=ShareAudience.CLIENT, channel_id=posted.channel, message_ts=posted.ts
            )
            deps.guards.done(key, channel_id=posted.channel, message_ts=posted.ts[0])
        except REFUSALS:
            log.warning("share refused")
        except DeliveryFailed as failure:
            deps.guards.release(key)
            if failure.posted:
                deps.gateway.retract(failure.posted)
            note = "share_failed"
        _refresh(deps, coach, run_id, _root_view_id(body), note)

    @app.action(ActionId.WITHDRAW_SHARE)
    def on_withdraw(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        run_id, share_id = _pair(action)
        try:
            _withdraw(deps, coach, run_id, only=share_id)
        except REFUSALS:
            log.warning("withdraw refused")
        except DeliveryFailed as failure:
            log.warning("withdraw failed: %s", failure.error)
        _refresh(deps, coach, run_id, _root_view_id(body), "note_withdrawn")

    @app.action(ActionId.EXPORT_RUN)
    def on_export_run(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach, run_id = coach_from_body(body), _run_id(action)
        note = "export_sent"
        key = f"export:{run_id}"
        try:
            detail = deps.runs.detail(coach, run_id)
            if deps.guards.claim(coach, key) is not None:
                _refresh(deps, coach, run_id, _root_view_id(body), "export_already_sent")
                return
            deps.gateway.send_file(
                user_id=coach.user_id,
                filename=f"{detail.protocol.id}-{detail.listing.started_at:%Y-%m-%d}.md",
                title=f"{detail.protocol.title}, {dates.day(detail.listing.started_at)}",
                content=run_markdown(detail),
                comment=notice_message("export_sent").text,
            )
        except REFUSALS:
            log.warning("export refused")
        except DeliveryFailed:
            deps.guards.release(key)
            note = "export_failed"
            tell(deps, coach, notice_message("export_failed"))  # the window may be closed by now
        _refresh(deps, coach, run_id, _root_view_id(body), note)

    @app.action(ActionId.DELETE_RUN)
    def on_delete(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach, run_id = coach_from_body(body), _run_id(action)
        try:
            _withdraw(deps, coach, run_id)
            deps.runs.delete(coach, run_id)
            view = notice_view("deleted")
        except REFUSALS:
            log.warning("delete refused")
            view = notice_view("not_found")
        except DeliveryFailed as failure:
            log.warning("delete stopped: a shared message could not be withdrawn (%s)", failure.error)
            view = notice_view("delete_failed")
        except FramesARound:
            view = notice_view("delete_round_framing")
        update_own(deps, coach, _root_view_id(body), view)
