"""Goal check-ins: a coach's schedule for a leader, the occurrences it produces (each with its
message owed in the outbox), and answers.

Times are the leader's: a schedule keeps the leader's IANA time zone (from Slack) and every
occurrence is computed in it, so a check-in set for 16:00 stays at 16:00 across DST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.actor import Actor, Clock
from bot.recurrence import Cadence, Rule, due_at, local_date, next_after, occurrences, zone_of
from bot.services.languages import resolve
from bot.services.runs import owned_client
from bot.storage import checkins as checkin_repo
from bot.storage import owed
from bot.storage import runs as run_repo
from bot.storage.models import CheckinSchedule, Client, Delivery, DeliveryStatus, Goal, PersonLanguage

# The outbox kind of the coach's notice of an answer (bot.scheduling.kinds renders it).
ANSWER_NOTICE = "answer_notice"
# The protocol a leader answers a check-in with (protocols/goal-checkin.yaml).
CHECKIN_PROTOCOL = "goal-checkin"
# The goal-checkin step naming kinds of obstacles; the coach's history shows the latest ones.
OBSTACLES_STEP = "obstacle_kinds"
# How far ahead rows are made, and how far back a late start still looks.
HORIZON = timedelta(days=3)
LOOKBACK = timedelta(days=2)
# With no next occurrence (an end date), answers are taken for this long.
LAST_WINDOW = timedelta(days=7)
# The time of day a new schedule's form offers, in the leader's zone.
DEFAULT_TIME = time(9, 0)


class NotYourCheckin(LookupError):
    """The delivery is not addressed to this user (or does not exist)."""


@dataclass(frozen=True)
class ScheduleForm:
    cadence: Cadence
    local_time: time
    first_date: date
    end_date: date | None
    weekdays: frozenset[int]
    reminder_after_hours: int | None
    goal_id: str | None = None
    goal_text: str | None = None


@dataclass(frozen=True)
class CheckinContext:
    """What a check-in message needs to say."""

    delivery_id: str
    recipient: str
    coach_id: str
    goal: str
    occurrence: date
    status: DeliveryStatus
    leader_name: str
    team_id: str = ""
    # The answer so far, and why it ended as it did (missed, failed), for the coach's notices.
    rating: int | None = None
    run_id: str | None = None
    reason: str | None = None
    # What the leader reads it in (bot.services.languages), read in the check-in's own query.
    leader_language: str = "en"


@dataclass(frozen=True)
class HistoryLine:
    occurrence: date
    status: DeliveryStatus
    rating: int | None
    # What the leader said got in the way (will, skill, knowledge, capacity, emotional support).
    obstacles: tuple[str, ...] = ()


def rule_of(schedule: CheckinSchedule) -> Rule:
    hour, minute = (int(part) for part in schedule.local_time.split(":"))
    weekdays = frozenset(int(d) for d in schedule.weekdays.split(",") if d)
    return Rule(schedule.cadence, time(hour, minute), schedule.first_date, schedule.end_date, weekdays)


class CheckinService:
    def __init__(self, *, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def next_slot(self, zone: str | None, at: time = DEFAULT_TIME) -> date:
        """The first date whose check-in at `at` (the leader's time) is still ahead: today if
        that time has not come yet in `zone`, else tomorrow (every cadence starts on its first
        date). A new schedule's form starts there, so its default never sends at once."""
        now = self._clock()
        today = local_date(now, zone)
        return today if due_at(today, at, zone_of(zone)) > now else today + timedelta(days=1)

    def sends_at_once(
        self, coach: Actor, client_id: str, form: ScheduleForm, *, tz: str | None
    ) -> datetime | None:
        """When the first check-in this form would send as soon as it is saved was due: a slot
        already passed, yet recent enough for a late start to send it (LOOKBACK). None when
        the first one waits for its time. A check-in of this schedule already sent or answered
        is not sent again, so it does not count."""
        now = self._clock()
        rule = Rule(form.cadence, form.local_time, form.first_date, form.end_date, form.weekdays)
        late = occurrences(rule, zone_of(tz), now - LOOKBACK, now + timedelta(microseconds=1))
        if not late:
            return None
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            settled = checkin_repo.settled_occurrences(session, client_id=client.id)
        return next((due for day, due in late if day not in settled), None)

    def save_schedule(
        self, coach: Actor, client_id: str, form: ScheduleForm, *, tz: str | None
    ) -> CheckinSchedule:
        """Create or change the client's schedule. Rows of the old rule not yet sent are dropped
        (nobody saw them) and made anew from the new rule."""
        now = self._clock()
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            goal_id = form.goal_id
            if goal_id is None:
                goal = Goal(
                    team_id=coach.team_id,
                    coach_id=coach.user_id,
                    client_id=client.id,
                    statement=form.goal_text or "",
                    details="{}",
                    created_at=now,
                )
                session.add(goal)
                goal_id = goal.id
            schedule = session.exec(
                select(CheckinSchedule).where(CheckinSchedule.client_id == client.id)
            ).first()
            if schedule is None:
                schedule = CheckinSchedule(
                    team_id=coach.team_id,
                    coach_id=coach.user_id,
                    client_id=client.id,
                    leader_id=client.leader_id,
                    created_at=now,
                )
            schedule.goal_id = goal_id
            schedule.cadence = form.cadence
            schedule.weekdays = ",".join(str(d) for d in sorted(form.weekdays))
            schedule.local_time = form.local_time.strftime("%H:%M")
            schedule.first_date = form.first_date
            schedule.end_date = form.end_date
            schedule.reminder_after_hours = form.reminder_after_hours
            schedule.tz = zone_of(tz).key
            schedule.paused = False
            schedule.updated_at = now
            session.add(schedule)
            session.flush()
            checkin_repo.drop_pending(session, schedule_ids=[schedule.id])
            session.commit()
        self.materialize()
        return schedule

    def materialize(self) -> int:
        """Make the outbox rows for every active schedule's occurrences due soon."""
        now = self._clock()
        made = 0
        with self._session() as session:
            for schedule in checkin_repo.active_schedules(session):
                rule, zone = rule_of(schedule), zone_of(schedule.tz)
                rows = []
                for day, due in occurrences(rule, zone, now - LOOKBACK, now + HORIZON):
                    answer_by = next_after(rule, zone, day) or due + LAST_WINDOW
                    rows.append((day, due, answer_by))
                made += checkin_repo.materialize(session, schedule=schedule, occurrences=rows, now=now)
        return made

    def context(self, delivery_id: str) -> CheckinContext | None:
        """What one check-in says, and what became of it."""
        return self.contexts([delivery_id]).get(delivery_id)

    def contexts(self, delivery_ids: list[str]) -> dict[str, CheckinContext]:
        """One query for a dispatcher's whole batch: thousands are sent at a time."""
        query = (
            select(
                Delivery,
                CheckinSchedule.coach_id,
                Goal.statement,
                Client.leader_name,
                Client.language,
                PersonLanguage.chosen,
                PersonLanguage.slack_locale,
            )
            .join(CheckinSchedule, col(CheckinSchedule.id) == Delivery.schedule_id)
            .join(Client, col(Client.id) == CheckinSchedule.client_id)
            .outerjoin(Goal, col(Goal.id) == CheckinSchedule.goal_id)
            .outerjoin(
                PersonLanguage,
                (col(PersonLanguage.team_id) == Delivery.team_id)
                & (col(PersonLanguage.user_id) == Delivery.recipient),
            )
            .where(col(Delivery.id).in_(delivery_ids))
        )
        with self._session() as session:
            found = session.exec(query).all()
        return {row[0].id: self._context(*row) for row in found}

    @staticmethod
    def _context(
        delivery: Delivery,
        coach_id: str,
        goal: str | None,
        leader_name: str,
        client_language: str | None,
        chosen: str | None,
        slack_locale: str | None,
    ) -> CheckinContext:
        reads = resolve(chosen=chosen, client_language=client_language, slack_locale=slack_locale)
        return CheckinContext(
            delivery_id=delivery.id,
            recipient=delivery.recipient,
            coach_id=coach_id,
            goal=goal or "",
            occurrence=delivery.occurrence,
            status=delivery.status,
            leader_name=leader_name,
            team_id=delivery.team_id,
            rating=delivery.rating,
            run_id=delivery.run_id,
            reason=delivery.reason,
            leader_language=reads.language,
        )

    def _addressed(self, session: Session, leader_id: str, delivery_id: str) -> Delivery:
        delivery = checkin_repo.get_delivery(session, delivery_id=delivery_id)
        if delivery is None or delivery.recipient != leader_id:
            raise NotYourCheckin(delivery_id)
        return delivery

    def answer(
        self, leader_id: str, delivery_id: str, *, rating: int | None, run_id: str | None = None
    ) -> bool:
        """Record an answer (late ones too, until the next check-in is due). Returns False when
        the window has closed; an answer given twice keeps the latest.

        The coach is owed a notice of it in the outbox, in the same transaction: one notice of
        the latest state for answers that come before it is sent. A rating repeated unchanged (a
        second click, a retried request) owes nothing new."""
        now = self._clock()
        with self._session() as session:
            delivery = self._addressed(session, leader_id, delivery_id)
            if (
                delivery.status not in (DeliveryStatus.SENT, DeliveryStatus.ANSWERED)
                or delivery.answer_by <= now
            ):
                return False
            changes: dict[str, object] = {"answered_at": now}
            if rating is not None:
                changes["rating"] = rating
            if run_id is not None:
                changes["run_id"] = run_id
            if (
                delivery.status is DeliveryStatus.SENT
                or run_id is not None
                or (rating is not None and rating != delivery.rating)
            ) and not owed.is_open(session, kind=ANSWER_NOTICE, ref=delivery.id):
                coach_id = session.get(CheckinSchedule, delivery.schedule_id).coach_id
                # The n-th notice of this check-in's answers: two processes owing the same one
                # at once make one row, which tells the answer as it is when it is sent.
                number = owed.count_of(session, kind=ANSWER_NOTICE, ref=delivery.id) + 1
                key = f"{ANSWER_NOTICE}:{delivery.id}:{number}"
                notice = owed.Owe(key, ANSWER_NOTICE, delivery.team_id, coach_id, delivery.id)
                owed.owe(session, [notice], now=now, commit=False)
            checkin_repo.settle(session, delivery_id=delivery.id, status=DeliveryStatus.ANSWERED, **changes)
            return True

    def delivery_for(self, leader_id: str, delivery_id: str) -> Delivery:
        """The check-in behind a leader's click; someone else's id is refused."""
        with self._session() as session:
            return self._addressed(session, leader_id, delivery_id)

    def message_for(self, leader_id: str, delivery_id: str) -> checkin_repo.Posted | None:
        """Where the bot recorded sending this leader's check-in (its latest message), never
        where a request says it is: someone else's id is refused."""
        with self._session() as session:
            self._addressed(session, leader_id, delivery_id)
            return checkin_repo.message_of(session, delivery_id=delivery_id)

    def record_undeliverable(self, delivery_id: str, reason: str) -> None:
        """The check-in's message could not be sent, for good."""
        with self._session() as session:
            checkin_repo.record_failed(session, delivery_id=delivery_id, reason=reason)

    def snooze(self, leader_id: str, delivery_id: str, *, by: timedelta) -> datetime | None:
        """Ask again later (not past the answer window); returns when, or None if it closed."""
        now = self._clock()
        with self._session() as session:
            delivery = self._addressed(session, leader_id, delivery_id)
            later = min(now + by, delivery.answer_by - timedelta(minutes=5))
            if delivery.status is not DeliveryStatus.SENT or later <= now:
                return None
            # Asked again by a message of its own: its own key, so that recovering it never
            # mistakes the first message for it.
            again = checkin_repo.times_owed(session, delivery_id=delivery.id)
            message = checkin_repo.message_owed(delivery, key=f"{delivery.key}:again{again}", due_at=later)
            owed.owe(session, [message], now=now, commit=False)
            checkin_repo.settle(
                session,
                delivery_id=delivery.id,
                status=DeliveryStatus.PENDING,
                due_at=later,
                reason="snoozed",
            )
            return later

    def skip(self, leader_id: str, delivery_id: str) -> None:
        with self._session() as session:
            delivery = self._addressed(session, leader_id, delivery_id)
            if delivery.status in (DeliveryStatus.SENT, DeliveryStatus.PENDING):
                checkin_repo.settle(
                    session,
                    delivery_id=delivery.id,
                    status=DeliveryStatus.SKIPPED,
                    reason="skipped_by_leader",
                )

    def pause(self, leader_id: str, delivery_id: str) -> None:
        """Out of office: no check-ins until the coach sets the schedule up again."""
        with self._session() as session:
            delivery = self._addressed(session, leader_id, delivery_id)
        self.pause_for(delivery.schedule_id)
        self.skip(leader_id, delivery_id)

    def pause_for_occurrence(self, delivery_id: str) -> None:
        """Stop the schedule of a check-in that could not reach its leader."""
        with self._session() as session:
            delivery = checkin_repo.get_delivery(session, delivery_id=delivery_id)
        if delivery is not None:
            self.pause_for(delivery.schedule_id)

    def pause_for(self, schedule_id: str) -> None:
        """Stop a schedule whose recipient cannot be reached (deactivated, left the workspace)."""
        with self._session() as session:
            session.exec(update(CheckinSchedule).where(CheckinSchedule.id == schedule_id).values(paused=True))
            checkin_repo.skip_pending(session, schedule_id=schedule_id)
            session.commit()

    def history(self, coach: Actor, client_id: str, *, limit: int = 20) -> list[HistoryLine]:
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            query = (
                select(Delivery)
                .join(CheckinSchedule, col(CheckinSchedule.id) == Delivery.schedule_id)
                .where(CheckinSchedule.client_id == client.id, Delivery.status != DeliveryStatus.PENDING)
                .order_by(col(Delivery.occurrence).desc())
                .limit(limit)
            )
            rows = session.exec(query).all()
            answers = run_repo.answers_of_step(
                session, run_ids=[d.run_id for d in rows if d.run_id], step_id=OBSTACLES_STEP
            )
            return [
                HistoryLine(d.occurrence, d.status, d.rating, tuple(answers.get(d.run_id) or ()))
                for d in rows
            ]

    def goals_of(self, coach: Actor, client_id: str) -> list[Goal]:
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            query = select(Goal).where(Goal.client_id == client.id).order_by(col(Goal.created_at).desc())
            return list(session.exec(query).all())

    def next_due(self, schedule: CheckinSchedule) -> datetime | None:
        with self._session() as session:
            query = (
                select(Delivery.due_at)
                .where(Delivery.schedule_id == schedule.id, Delivery.status == DeliveryStatus.PENDING)
                .order_by(Delivery.due_at)
            )
            return session.exec(query).first()

    def refresh_zone(self, leader_id: str, tz: str) -> int:
        """A leader's Slack time zone changed: their schedules follow, and pending check-ins are
        made again at the same local time in the new zone."""
        zone = zone_of(tz).key
        with self._session() as session:
            moved = (
                session.exec(
                    update(CheckinSchedule)
                    .where(CheckinSchedule.leader_id == leader_id, CheckinSchedule.tz != zone)
                    .values(tz=zone, updated_at=self._clock())
                    .returning(CheckinSchedule.id)
                )
                .scalars()
                .all()
            )
            checkin_repo.drop_pending(session, schedule_ids=moved)
            session.commit()
        if moved:
            self.materialize()
        return len(moved)

    def schedule_of(self, coach: Actor, client_id: str) -> CheckinSchedule | None:
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            return session.exec(select(CheckinSchedule).where(CheckinSchedule.client_id == client.id)).first()
