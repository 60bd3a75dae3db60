"""Trigger ids: what lets views.open and views.push show a modal, valid 3 s and once only.

A bot that answers an interaction too slowly, or opens twice from one click, is refused by
Slack; the fake refuses it the same way, timed by the clock the test gives it.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from tests.fake_slack.wire import ApiError, Json

TRIGGER_TTL_SECONDS = 3.0  # Slack: a trigger_id expires 3 s after the interaction


@dataclass
class Trigger:
    expires_at: float
    used: bool = False


class Triggers:
    """The trigger ids handed out to interaction payloads, and whether each is still good."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._triggers: dict[str, Trigger] = {}

    def issue(self, number: int) -> str:
        """A fresh trigger id shaped like Slack's; `number` keeps ids unique and increasing."""
        trigger_id = f"{number}.{1_000_000_000 + number}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = Trigger(expires_at=self._clock() + TRIGGER_TTL_SECONDS)
        return trigger_id

    def expire(self, trigger_id: str) -> None:
        if trigger_id not in self._triggers:
            raise KeyError(f"unknown trigger id {trigger_id!r}")
        self._triggers[trigger_id].expires_at = -math.inf

    def clear(self) -> None:
        self._triggers.clear()

    def usable(self, args: Json) -> Trigger:
        """The call's trigger, if it may open a view; the caller marks it used once it did."""
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            raise ApiError(
                "invalid_arguments", ["[ERROR] missing required field: trigger_id [json-pointer:/]"]
            )
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None or trigger.used:
            raise ApiError("invalid_trigger_id")
        if self._clock() >= trigger.expires_at:
            raise ApiError("expired_trigger_id")
        return trigger
