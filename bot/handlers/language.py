"""Every request is answered in its sender's language, and `/coach language` changes it.

A global middleware reads the person's language from what is stored (bot.services.languages),
never from Slack: a Slack call there would spend the 3 seconds Slack gives the ack and fail
with it. Someone the bot has not met yet is answered in English this once and noted; their Slack
locale is read off the request path (bot.scheduling.locales) for every request after. A leader
meets the bot in a check-in DM, and their locale is read when the coach sets up the schedule,
so it is mostly a coach's very first command that comes in English.

bolt runs a listener in another thread after the ack. Context variables do not cross threads by
themselves, so the listener pool copies the submitting context into each task (`CarryContext`).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future

from slack_bolt import App, BoltContext
from sqlalchemy.exc import SQLAlchemyError

from bot import i18n
from bot.actor import Actor
from bot.handlers.deps import Deps

log = logging.getLogger(__name__)


class CarryContext(Executor):
    """An executor whose tasks run in a copy of the context they were submitted from."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner

    def submit(self, fn: Callable, /, *args: object, **kwargs: object) -> Future:
        return self._inner.submit(contextvars.copy_context().run, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def register(app: App, deps: Deps) -> None:
    @app.use
    def speak_their_language(context: BoltContext, next: Callable[[], None]) -> None:
        team_id, user_id = context.team_id or context.enterprise_id, context.user_id
        if team_id and user_id:
            try:
                i18n.speak_from_here(deps.languages.for_request(Actor(team_id, user_id)))
            except SQLAlchemyError as error:  # the listener tells of a database fault; not this
                log.warning("language not read: %s", type(error).__name__)
        next()
