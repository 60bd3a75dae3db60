"""Publishing a coach's Home tab: what the coach sees computed afresh and sent with views.publish.

Called when the tab is opened and whenever something the Home shows changes for the coach (a
run started or finished, a client added, a check-in schedule saved, an answer arriving), so the
tab is current before the coach looks. Best effort: a failed publish is logged by the gateway,
and the next change or opening publishes again.
"""

from __future__ import annotations

from bot.actor import Actor
from bot.blocks.home import home_view
from bot.protocols.catalog import Catalog
from bot.services.home import HomeService
from bot.slack_gateway import SlackGateway


class HomeTab:
    def __init__(self, *, home: HomeService, gateway: SlackGateway, protocols: Catalog) -> None:
        self._home = home
        self._gateway = gateway
        self._protocols = protocols

    def refresh(self, team_id: str, coach_id: str) -> None:
        coach = Actor(team_id=team_id, user_id=coach_id)
        self._gateway.publish_home(user_id=coach_id, view=home_view(self._home.page(coach), self._protocols))
