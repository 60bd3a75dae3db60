"""Keeping feedback rounds moving: posting them, announcing phases, moving asynchronous rounds on
when a phase's time is up, reminding members, and sending the summaries when a round closes.

The same code runs inline after a button click and from the scheduler job, so a crash between a
phase change and its announcement is made good on the next tick by whichever process is up.

What a round posts carries its own tag in Slack's message metadata. A process that takes over a
dead process's claim, or one whose post got no answer, looks for the tag before posting, so a
crash between posting and recording it posts nothing twice. Only then: Slack limits reading
threads and history for apps like this one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.blocks.rounds import (
    listen_nudge,
    phase_announcement,
    presenter_summary,
    round_post,
    thread_summary,
)
from bot.ids import ROUND_EVENT_TYPE
from bot.protocols.schema import PresenterRole
from bot.scheduling.kinds import round_invitation_owed, round_not_posted_owed, round_reminder_owed
from bot.scheduling.sender import Sender
from bot.services.round_schedules import RoundScheduleService
from bot.services.rounds import RoundService, RoundView
from bot.slack_gateway import DeliveryFailed, SlackGateway
from bot.storage.models import RoundStatus
from bot.storage.rounds import Claim

log = logging.getLogger(__name__)

# Slack message subtypes that are still a person's reply in a thread.
REPLY_SUBTYPES = {None, "thread_broadcast", "file_share"}
# How far before the moment a post was due to look for it in a channel's history.
LOOK_BACK = timedelta(minutes=1)
# A thread read at start that Slack says to wait with (Tier 3: about 50 reads a minute, so a
# restart with many open rounds meets it) is tried again after the wait, this many times.
CATCH_UP_TRIES = 5


def _metadata(key: str, value: str) -> dict:
    return {"event_type": ROUND_EVENT_TYPE, "event_payload": {key: value}}


class RoundKeeper:
    def __init__(
        self,
        *,
        rounds: RoundService,
        schedules: RoundScheduleService,
        gateway: SlackGateway,
        sender: Sender,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rounds = rounds
        self._schedules = schedules
        self._gateway = gateway
        # Reminders and invitations are owed in the outbox and go out at the shared pace.
        self._sender = sender
        # Only the catch-up at start waits (in the scheduler's thread, never a listener's).
        self._sleep = sleep

    def run_once(self) -> None:
        """Scheduler job: everything rounds are owed, in the order it falls due."""
        for view in self._rounds.to_post():
            self.post(view)
        for view in self._rounds.overdue():
            moved = self._rounds.advance(view.round.id, seen_phase=view.round.phase, by=None)
            if moved is not None:
                self.settle(moved)
        for view in self._rounds.owing():
            self.settle(view)
        for view in self._rounds.reminders_due():
            self._remind(view)
        self._sender.owe(*(round_invitation_owed(due) for due in self._schedules.invitations_due()))

    def post(self, view: RoundView) -> RoundView:
        """Post the round in its channel and open its first phase, once."""
        if view.round.thread_ts is not None:
            return view
        claim = self._rounds.claim(view.round.id)
        if claim is None:
            return view
        view = self._rounds.get(view.round.id)  # as it is now that this process holds the claim
        if view.round.thread_ts is not None:
            return self._rounds.release(view.round.id)
        tag = ("round_post", view.round.id)
        try:
            ts = None
            if claim is Claim.RETAKEN:
                ts = self._gateway.find_posted(
                    channel=view.round.channel_id,
                    event_type=ROUND_EVENT_TYPE,
                    key=tag[0],
                    value=tag[1],
                    oldest=_since(view.round.opens_at),
                )
            if ts is None:
                ts = self._gateway.post(
                    channel=view.round.channel_id,
                    messages=round_post(view, self._rounds.opening(view)),
                    metadata=_metadata(*tag),
                ).ts[0]
        except DeliveryFailed as failure:
            log.warning("round %s not posted: %s", view.round.id, failure.error)
            if failure.maybe_posted or claim is Claim.RETAKEN:
                return view  # the claim goes stale, and whoever takes it looks for the post first
            self._rounds.release(view.round.id)
            if not failure.transient:
                self._rounds.unpost(view.round.id)
                self._sender.owe(round_not_posted_owed(view))
            return view
        self._rounds.started(view.round.id, ts)
        self._rounds.release(view.round.id)
        return self.settle(self._rounds.get(view.round.id))

    def settle(self, view: RoundView) -> RoundView:
        """Post what the round owes its thread: the open phase's announcement, or the closing."""
        if view.round.thread_ts is None:
            return view
        claim = self._rounds.claim(view.round.id)
        if claim is None:
            return view
        # Read again under the claim: another process may have posted what `view` said was owed.
        view = self._rounds.get(view.round.id)
        done: dict[str, object] = {}
        try:
            if view.round.status is RoundStatus.CLOSED:
                if view.round.summary_sent_at is None:
                    self._close(view, claim)
                    done["summary_sent_at"] = self._rounds.now()
            elif view.round.announced_phase < view.round.phase:
                self._announce(view, claim)
                done["announced_phase"] = view.round.phase
        except DeliveryFailed as failure:
            log.warning("round %s: thread not updated (%s); will retry", view.round.id, failure.error)
            if failure.maybe_posted or claim is Claim.RETAKEN:
                return view  # the claim goes stale, and whoever takes it looks for what went out
        return self._rounds.release(view.round.id, **done)

    def _in_thread(self, view: RoundView, claim: Claim, key: str, value: str) -> bool:
        """Whether a dead claim's holder already posted this in the thread."""
        return claim is Claim.RETAKEN and bool(
            self._gateway.find_in_thread(
                channel=view.round.channel_id,
                thread_ts=view.round.thread_ts or "",
                event_type=ROUND_EVENT_TYPE,
                key=key,
                value=value,
            )
        )

    def _announce(self, view: RoundView, claim: Claim) -> None:
        tag = ("round_phase", f"{view.round.id}:{view.round.phase}")
        if self._in_thread(view, claim, *tag):
            return
        self._gateway.post(
            channel=view.round.channel_id,
            messages=[phase_announcement(view)],
            thread_ts=view.round.thread_ts,
            metadata=_metadata(*tag),
        )
        phase = view.phase
        if (
            phase is not None
            and phase.presenter is PresenterRole.LISTENS
            and self._rounds.nudged_presenter(view)
        ):
            self._gateway.whisper(
                channel=view.round.channel_id,
                user_id=view.round.presenter_id,
                message=listen_nudge(view),
                thread_ts=view.round.thread_ts,
            )

    def _close(self, view: RoundView, claim: Claim) -> None:
        """The thread's summary, then the presenter's record. When the record fails after the
        summary went out, the failure says so: the claim is kept, and whoever retakes it finds
        the summary and sends the record only."""
        record = self._rounds.record(view.round.id)
        tag = ("round_summary", view.round.id)
        summary = None
        if not self._in_thread(view, claim, *tag):
            summary = self._gateway.post(
                channel=view.round.channel_id,
                messages=thread_summary(record),
                thread_ts=view.round.thread_ts,
                metadata=_metadata(*tag),
            )
        tag = ("round_record", view.round.id)
        if summary is None and claim is Claim.RETAKEN:
            dm = self._gateway.dm_channel(view.round.presenter_id)
            since = _since(view.round.closed_at or view.round.opens_at)
            if self._gateway.find_posted(
                channel=dm, event_type=ROUND_EVENT_TYPE, key=tag[0], value=tag[1], oldest=since
            ):
                return
        try:
            self._gateway.post(
                channel=view.round.presenter_id, messages=presenter_summary(record), metadata=_metadata(*tag)
            )
        except DeliveryFailed as failure:
            if summary is None:
                raise
            raise DeliveryFailed(
                failure.error, transient=failure.transient, posted=summary, retry_after=failure.retry_after
            ) from failure

    def _remind(self, view: RoundView) -> None:
        try:
            members = self._gateway.channel_members(view.round.channel_id)
        except DeliveryFailed as failure:
            log.warning("round %s: members not read (%s); no reminders", view.round.id, failure.error)
            return
        bot = self._gateway.bot_user_id()
        owed = self._rounds.to_remind(view, [m for m in members if m != bot])
        self._sender.owe(*(round_reminder_owed(view, member) for member in owed))

    def catch_up(self) -> int:
        """Once at start: replies written while the bot was down, read from each open round's
        thread and stored unless an event already brought them."""
        bot = self._gateway.bot_user_id()
        added = 0
        for view in self._rounds.open_views():
            replies = self._read_thread(view)
            if replies is None:
                continue
            people = [
                (m["user"], m["ts"], m.get("text") or "")
                for m in replies
                if m.get("subtype") in REPLY_SUBTYPES
                and not m.get("bot_id")
                and m.get("user") not in (None, bot)
            ]
            added += self._rounds.catch_up(view, people)
        return added

    def _read_thread(self, view: RoundView) -> list[dict] | None:
        """A round's replies, waiting out Slack's limit on reading threads; None if unreadable."""
        for tries_left in range(CATCH_UP_TRIES - 1, -1, -1):
            try:
                return self._gateway.thread_replies(
                    channel=view.round.channel_id, thread_ts=view.round.thread_ts or ""
                )
            except DeliveryFailed as failure:
                if not (failure.retry_after and tries_left):
                    log.warning("round %s: thread not read (%s)", view.round.id, failure.error)
                    return None
                self._sleep(failure.retry_after)
        return None


def _since(moment: datetime) -> float:
    """A history search's `oldest`: a little before the moment the post was due."""
    return (moment - LOOK_BACK).timestamp()
