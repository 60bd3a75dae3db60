"""Keeping feedback rounds moving: owing their posts when they fall due, moving asynchronous
rounds on when a phase's time is up, owing reminders and invitations, and reading at start the
replies written while the bot was down.

Everything a round posts is a row of the outbox, owed by the round's state machine
(bot.services.rounds) with the change that owes it, and sent by the outbox's one sender at the
shared pace: a crash between posting and recording is looked up by the sender's own recovery.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.scheduling.kinds import round_invitation_owed, round_not_posted_owed, round_reminder_owed
from bot.scheduling.sender import Sender
from bot.services.round_schedules import RoundScheduleService
from bot.services.rounds import RoundService, RoundView
from bot.slack_gateway import DeliveryFailed, SlackGateway

log = logging.getLogger(__name__)

# Slack message subtypes that are still a person's reply in a thread.
REPLY_SUBTYPES = {None, "thread_broadcast", "file_share"}
# A thread read at start that Slack says to wait with (Tier 3: about 50 reads a minute, so a
# restart with many open rounds meets it) is tried again after the wait, this many times.
CATCH_UP_TRIES = 5


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
        # Reminders and invitations are owed here, in the outbox, to go out at the shared pace.
        self._sender = sender
        # Only the catch-up at start waits (in the scheduler's thread, never a listener's).
        self._sleep = sleep

    def run_once(self) -> None:
        """Scheduler job: what rounds owe, in the order it falls due (the outbox sends it)."""
        withdrawn = self._rounds.owe_due_posts()
        self._sender.owe(*(round_not_posted_owed(view, error) for view, error in withdrawn))
        for view in self._rounds.overdue():
            self._rounds.advance(view.round.id, seen_phase=view.round.phase, by=None)
        for view in self._rounds.reminders_due():
            self._remind(view)
        self._sender.owe(*(round_invitation_owed(due) for due in self._schedules.invitations_due()))

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
