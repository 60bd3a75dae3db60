"""Who is asking, and what time it is: the two things every service is handed.

They sit at the bottom of the house, importing nothing of the bot, so storage, services, views
and the scheduler can all name them without climbing. An `Actor` is whoever a request or a job
acts for (a coach, a leader answering a check-in, a member replying in a round); what they may
touch is decided by what is stored about them, never by this value alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

# The one source of time: the bot is built with `utcnow` (bot.assembly), tests with a fake.
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Actor:
    """A Slack user in a Slack team (or the terminal's stand-ins for them)."""

    team_id: str
    user_id: str
