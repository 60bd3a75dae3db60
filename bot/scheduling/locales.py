"""Reading people's Slack locales off the request path: whoever a request noted as new, and
whoever's locale was read long ago (bot.services.languages), a batch a pass."""

from __future__ import annotations

import logging

from bot.services.languages import LanguageService
from bot.slack_gateway import DeliveryFailed, SlackGateway

log = logging.getLogger(__name__)

# users.info is Tier 4 (100+ a minute): a pass every few seconds keeps well inside it.
BATCH = 20


class LocaleReader:
    def __init__(self, *, languages: LanguageService, gateway: SlackGateway) -> None:
        self._languages = languages
        self._gateway = gateway

    def run_once(self) -> int:
        """Scheduler job; how many locales it read. A passing fault ends the pass (the rest are
        read on the next); a person Slack cannot find is recorded without one, not asked again
        until the locale is old."""
        read = 0
        for person in self._languages.to_read(BATCH):
            try:
                locale = self._gateway.read_locale(person.user_id)
            except DeliveryFailed as failure:
                if failure.transient:
                    return read
                locale = None
            self._languages.record_locale(person.team_id, person.user_id, locale)
            read += 1
        return read
