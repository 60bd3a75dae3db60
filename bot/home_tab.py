"""Publishing a coach's Home tab: what the coach sees computed afresh and sent with views.publish.

Called when the tab is opened and whenever something the Home shows changes for the coach (a
run started or finished, a client added, a check-in schedule saved, an answer arriving), so the
tab is current before the coach looks. Best effort: a failed publish is logged by the gateway,
and the next change or opening publishes again. It is in the coach's language whoever's action
changed it (a leader's answer refreshes their coach's Home from the leader's request).
"""

from __future__ import annotations

from bot import i18n
from bot.actor import Actor
from bot.blocks.home import home_view
from bot.protocols.catalog import Catalog
from bot.services.home import HomeService
from bot.services.languages import LanguageService
from bot.slack_gateway import SlackGateway


class HomeTab:
    def __init__(
        self, *, home: HomeService, gateway: SlackGateway, protocols: Catalog, languages: LanguageService
    ) -> None:
        self._home = home
        self._gateway = gateway
        self._protocols = protocols
        self._languages = languages

    def refresh(self, team_id: str, coach_id: str) -> None:
        coach = Actor(team_id=team_id, user_id=coach_id)
        with i18n.speaking(self._languages.reading(team_id, coach_id).language):
            view = home_view(self._home.page(coach), self._protocols)
        self._gateway.publish_home(user_id=coach_id, view=view)
