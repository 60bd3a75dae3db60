"""The record of the modals the bot opened, which decides whose a view is: kept a week, then
dropped, so the table holds what is open and not every modal ever opened."""

from __future__ import annotations

from datetime import timedelta

from bot.actor import Actor
from bot.services.guards import VIEW_LIFETIME, Guards
from tests import slack_requests as sr

COACH = Actor(sr.TEAM, sr.COACH)
OTHER = Actor(sr.TEAM, "UOTHER01")


def test_a_view_older_than_its_lifetime_is_dropped_when_the_next_opens(bot, clock):
    guards = Guards(engine=bot.engine, clock=clock)
    guards.opened(COACH, "V0001")
    clock.advance(VIEW_LIFETIME - timedelta(minutes=1))
    guards.opened(COACH, "V0002")
    assert guards.owns(COACH, "V0001")  # still within its week
    clock.advance(timedelta(minutes=2))
    guards.opened(COACH, "V0003")
    assert not guards.owns(COACH, "V0001")
    assert guards.owns(COACH, "V0002") and guards.owns(COACH, "V0003")


def test_a_view_opened_again_for_someone_else_is_theirs(bot, clock):
    guards = Guards(engine=bot.engine, clock=clock)
    guards.opened(COACH, "V0001")
    guards.opened(OTHER, "V0001")
    assert guards.owns(OTHER, "V0001") and guards.someone_elses(COACH, "V0001")
