"""Recurring rounds: a collaborative meets every N weeks, presenters take turns, and the next
presenter is asked ahead of time to frame their dilemma."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot.actor import Clock
from bot.recurrence import due_at, local_date
from bot.services.rounds import NotACollaborative, RoundSetup
from bot.storage import rounds as repo
from bot.storage.models import RoundInvitation, RoundMode, RoundSchedule


@dataclass(frozen=True)
class RoundScheduleForm:
    protocol_id: str
    mode: RoundMode
    every_weeks: int
    first_date: date
    local_time: str
    rotation: list[str]
    ask_days_ahead: int


@dataclass(frozen=True)
class InvitationDue:
    id: str
    team_id: str
    presenter_id: str
    channel_id: str
    opens_at: datetime
    protocol_id: str


def occurrence(schedule: RoundSchedule, number: int) -> tuple[date, datetime]:
    """The local date and UTC instant of the schedule's n-th round (DST-safe: local time kept)."""
    day = schedule.first_date + timedelta(weeks=schedule.every_weeks * number)
    hour, minute = (int(part) for part in schedule.local_time.split(":"))
    return day, due_at(day, time(hour, minute), ZoneInfo(schedule.tz))


def upcoming(schedule: RoundSchedule, now: datetime) -> tuple[int, date, datetime]:
    """The next round not yet begun: its number (for the rotation), local date and instant."""
    number = 0
    day, opens_at = occurrence(schedule, number)
    if opens_at <= now:
        number = (now.date() - schedule.first_date).days // (7 * schedule.every_weeks)
        day, opens_at = occurrence(schedule, number)
        while opens_at <= now:
            number += 1
            day, opens_at = occurrence(schedule, number)
    return number, day, opens_at


class RoundScheduleService:
    def __init__(self, *, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def today(self, zone: str | None) -> date:
        """Today for someone in `zone`, by the service's clock (the schedule form's first round)."""
        return local_date(self._clock(), zone)

    def save(
        self, *, team_id: str, channel_id: str, by: str, form: RoundScheduleForm, tz: str
    ) -> RoundSchedule:
        with self._session() as session:
            collaborative = repo.collaborative_for(session, team_id=team_id, channel_id=channel_id)
            if collaborative is None:
                raise NotACollaborative(channel_id)
            return repo.save_schedule(
                session,
                schedule=RoundSchedule(
                    collaborative_id=collaborative.id,
                    protocol_id=form.protocol_id,
                    mode=form.mode,
                    every_weeks=form.every_weeks,
                    first_date=form.first_date,
                    local_time=form.local_time,
                    tz=tz,
                    rotation=json.dumps(form.rotation),
                    ask_days_ahead=form.ask_days_ahead,
                    created_by=by,
                    created_at=self._clock(),
                ),
            )

    def invitations_due(self) -> list[InvitationDue]:
        """The invitation to each schedule's next round once its ask-ahead time has come, made
        once per occurrence (its key): what the presenter is owed. Every process may ask."""
        now = self._clock()
        keys = []
        with self._session() as session:
            for schedule in repo.all_schedules(session):
                rotation = json.loads(schedule.rotation)
                number, day, opens_at = upcoming(schedule, now)
                if not rotation or opens_at - timedelta(days=schedule.ask_days_ahead) > now:
                    continue
                key = f"round:{schedule.id}:{day.isoformat()}"
                repo.add_invitation(
                    session,
                    invitation=RoundInvitation(
                        key=key,
                        schedule_id=schedule.id,
                        presenter_id=rotation[number % len(rotation)],
                        opens_at=opens_at,
                    ),
                )
                keys.append(key)
        return [due for key in keys if (due := self.invitation(key=key)) is not None]

    def invitation(self, *, key: str | None = None, invitation_id: str | None = None) -> InvitationDue | None:
        """An invitation by its key or id, while its round is still ahead."""
        with self._session() as session:
            found = repo.invitation_due(session, key=key, invitation_id=invitation_id)
        if found is None or found[0].opens_at <= self._clock():
            return None
        invitation, schedule, collaborative = found
        return InvitationDue(
            invitation.id,
            collaborative.team_id,
            invitation.presenter_id,
            collaborative.channel_id,
            invitation.opens_at,
            schedule.protocol_id,
        )

    def setup_for(self, user_id: str, invitation_id: str) -> tuple[str, RoundSetup]:
        """The protocol and setup for the round an invited presenter is framing."""
        with self._session() as session:
            found = repo.invitation_with_schedule(session, invitation_id=invitation_id)
        if found is None or found[0].presenter_id != user_id:
            raise LookupError(invitation_id)
        invitation, schedule, channel_id = found
        return schedule.protocol_id, RoundSetup(
            channel_id=channel_id,
            mode=schedule.mode,
            opens_at=invitation.opens_at,
            invitation_id=invitation.id,
        )
