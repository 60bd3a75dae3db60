"""Publishing a coach's Home tab: what the coach sees computed afresh and sent with views.publish.

Published when the tab is opened (at once: the coach is looking), and soon after something the
Home shows changes for the coach (a run started or finished, a client added, a check-in
schedule saved, an answer arriving), so the tab is current before the coach looks. A change is
republished off the request that made it, once per coach however many changes come together
(bot.coalesce): the request's ack never waits on it, and twenty leaders answering at nine cost
their coach one republish, not twenty. Best effort: a failed publish is logged by the gateway,
and the next change or opening publishes again. It is in the coach's language whoever's action
changed it (a leader's answer refreshes their coach's Home from the leader's request).

Each published Home carries a digest of itself in its private_metadata. Opening the tab, Slack
sends the Home it shows (with that digest): when it is the one computed now, nothing changed
since it was published, and publishing it again would only spend a Web API call (rate-limited,
per workspace) and the coach's wait for the same blocks.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Executor

from bot import i18n
from bot.actor import Actor
from bot.blocks.home import home_view
from bot.coalesce import Coalescer
from bot.protocols.catalog import Catalog
from bot.services.home import HomeService
from bot.services.languages import LanguageService
from bot.slack_gateway import SlackGateway


def digest(view: dict) -> str:
    """The same blocks always give the same digest, whichever process computes them: the view
    builders put every key in the same order, so the JSON needs no sorting."""
    return hashlib.sha256(json.dumps(view, separators=(",", ":")).encode()).hexdigest()[:32]


class HomeTab:
    def __init__(
        self,
        *,
        home: HomeService,
        gateway: SlackGateway,
        protocols: Catalog,
        languages: LanguageService,
        executor: Executor,
        settle_seconds: float = 0.0,
    ) -> None:
        self._home = home
        self._gateway = gateway
        self._protocols = protocols
        self._languages = languages
        self._changes: Coalescer[tuple[str, str]] = Coalescer(
            lambda key: self.refresh(*key), executor, settle_seconds=settle_seconds
        )

    def changed(self, team_id: str, coach_id: str) -> None:
        """Something the coach's Home shows has changed: it is republished soon, not now."""
        self._changes.ask((team_id, coach_id))

    def refresh(self, team_id: str, coach_id: str, *, shown: object = None) -> None:
        """`shown`: the Home view Slack says the coach has now, when it says (app_home_opened)."""
        coach = Actor(team_id=team_id, user_id=coach_id)
        with i18n.speaking(self._languages.reading(team_id, coach_id).language):
            view = home_view(self._home.page(coach), self._protocols)
        current = digest(view)
        if isinstance(shown, dict) and shown.get("private_metadata") == current:
            return
        self._gateway.publish_home(user_id=coach_id, view={**view, "private_metadata": current})
