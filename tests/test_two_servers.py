"""Two `coachbot serve` processes on one PostgreSQL database for a simulated week: every check-in
and every message of a feedback round sent exactly once, and both together within Slack's
workspace pace.

Both serve HTTP as `coachbot serve` does (tests/clocked_serve.py) and talk to one fake Slack
that answers 429 once the workspace sends faster than the pace. The clock is a file both read;
the test moves it through the week in steps, and after each step waits until the database says
everything owed by then has been done. Leaders who answer do so by tapping a rating in the
check-in message, a signed request to either server. Meanwhile a Coach Collaborative runs an
asynchronous round: registered and framed by signed requests, replied to in its thread by
message events, moved on by the scheduler when each phase's time is up, its members reminded,
and summed up when it closes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest
from sqlmodel import Session, col, select

from bot.actor import Actor
from bot.config import REPO_ROOT
from bot.i18n import dates
from bot.ids import ActionId
from bot.protocols.schema import PresenterRole
from bot.recurrence import Cadence
from bot.scheduling.sender import EVENT_TYPE
from bot.services.checkins import ScheduleForm
from bot.storage import checkins as checkin_repo
from bot.storage import owed
from bot.storage.models import (
    Contribution,
    Delivery,
    DeliveryStatus,
    Domain,
    FeedbackRound,
    OwedMessage,
    RoundStatus,
)
from tests import slack_requests as sr
from tests.checkin_setup import checkin_message_row, checkin_of_key
from tests.conftest import BOT_TOKEN
from tests.fake_slack import FakeSlack
from tests.round_flow import FRAMING
from tests.test_serve import free_port

# Two servers keep one pace: measured with the machine to itself.
pytestmark = pytest.mark.timed

START = datetime(2026, 10, 29, 12, 0, tzinfo=UTC)  # a Thursday; the US leaves DST on Sunday
END = START + timedelta(days=7)
STEP = timedelta(minutes=30)
# The pace both processes keep together, under the fake Slack's workspace limit. Two processes
# pacing alone would send at twice the pace, far over the limit.
PACE = 16.0
WORKSPACE_LIMIT = 20.0
WORKSPACE_BURST = 4
DISPATCH_SECONDS = 0.1
MATERIALIZE_SECONDS = 0.5
ROUNDS_SECONDS = 0.2
SETTLE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Leader:
    id: str
    coach: str
    tz: str
    at: clock_time
    cadence: Cadence
    first: date
    weekdays: frozenset[int] = frozenset()
    reminder_hours: int | None = None
    # How long after a check-in arrives the leader taps a rating; None: never answers.
    answers_after: timedelta | None = None

    @property
    def name(self) -> str:
        return self.id.lower()

    def due_in_the_week(self) -> dict[date, datetime]:
        """Local date -> UTC due time of each check-in due in the simulated week, worked out here
        from the calendar rather than by the bot's recurrence code."""
        zone = ZoneInfo(self.tz)
        found = {}
        day = START.astimezone(zone).date() - timedelta(days=1)
        while day <= END.astimezone(zone).date():
            since = (day - self.first).days
            falls = (
                since >= 0
                and {
                    Cadence.WEEKLY: since % 7 == 0,
                    Cadence.BIWEEKLY: since % 14 == 0,
                    Cadence.MONTHLY: day.day == self.first.day,
                    Cadence.WEEKDAYS: day.weekday() in self.weekdays,
                }[self.cadence]
            )
            due = datetime.combine(day, self.at, tzinfo=zone).astimezone(UTC)
            if falls and START < due <= END:
                found[day] = due
            day += timedelta(days=1)
        return found


COACHES = {"UCOACH1": "America/Los_Angeles", "UCOACH2": "Asia/Kolkata", "UCOACH3": "Europe/Berlin"}
MON, TUE, WED, THU, FRI = range(5)
ROSTER = [
    # A district's principals, all on Monday 09:00 New York: 40 check-ins at once, more than one
    # process claims in one go, so both send side by side. Half answer; the others are reminded.
    *(
        Leader(
            f"UNY{n:02d}",
            "UCOACH1",
            "America/New_York",
            clock_time(9, 0),
            Cadence.WEEKLY,
            date(2026, 11, 2),
            reminder_hours=24,
            answers_after=timedelta(hours=1 + n // 2 % 10) if n % 2 == 0 else None,
        )
        for n in range(1, 41)
    ),
    # Mondays, Wednesdays and Fridays in Kolkata (no DST); the ones who never answer are
    # reminded, then reported missed when the next one is due.
    *(
        Leader(
            f"UIN{n:02d}",
            "UCOACH2",
            "Asia/Kolkata",
            clock_time(9, 0),
            Cadence.WEEKDAYS,
            date(2026, 10, 30),
            weekdays=frozenset({MON, WED, FRI}),
            reminder_hours=24,
            answers_after=timedelta(hours=n) if n % 2 == 0 else None,
        )
        for n in range(1, 9)
    ),
    # Every day at 01:30 New York: on November 1 that hour happens twice; one check-in, the
    # first time. Never answered, so the coach hears of each one the next day.
    Leader(
        "UNYNIGHT",
        "UCOACH3",
        "America/New_York",
        clock_time(1, 30),
        Cadence.WEEKDAYS,
        date(2026, 10, 30),
        weekdays=frozenset(range(7)),
    ),
    Leader(
        "ULA01",
        "UCOACH3",
        "America/Los_Angeles",
        clock_time(7, 45),
        Cadence.WEEKDAYS,
        date(2026, 10, 29),
        weekdays=frozenset({TUE, THU}),
    ),
    Leader(
        "UBER01",
        "UCOACH3",
        "Europe/Berlin",
        clock_time(10, 0),
        Cadence.WEEKLY,
        date(2026, 10, 30),
        answers_after=timedelta(hours=2),
    ),
    Leader(
        "USYD01",
        "UCOACH3",
        "Australia/Sydney",
        clock_time(18, 0),
        Cadence.WEEKLY,
        date(2026, 11, 1),
        answers_after=timedelta(hours=2),
    ),
    Leader(
        "UPHX01",
        "UCOACH3",
        "America/Phoenix",
        clock_time(12, 0),
        Cadence.BIWEEKLY,
        date(2026, 11, 4),
        answers_after=timedelta(hours=2),
    ),
    Leader(
        "UAKL01",
        "UCOACH3",
        "Pacific/Auckland",
        clock_time(8, 0),
        Cadence.MONTHLY,
        date(2026, 11, 3),
        answers_after=timedelta(hours=2),
    ),
]
ROSTER_BY_ID = {leader.id: leader for leader in ROSTER}

# The collaborative's round: who presents, who else is in the channel, and who replies in which
# phase (some time after it opens); the others are reminded where the protocol reminds.
CHANNEL = "CCOLLAB1"
PRESENTER = "UPRES01"
MEMBERS = ["UMEM01", "UMEM02", "UMEM03", "UMEM04"]
REPLIES = {0: ["UMEM01"], 1: ["UMEM02", "UMEM03"], 2: ["UMEM01"], 3: [PRESENTER], 4: ["UMEM04"]}
REPLY_AFTER = timedelta(hours=2)


class Server:
    """One serving process, as `coachbot serve` runs, on the test's clock."""

    def __init__(self, name: str, env: dict[str, str], clock_file: Path, workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.out = workdir / f"{name}.out"
        self.err = workdir / f"{name}.err"
        command = [
            sys.executable,
            "-m",
            "tests.clocked_serve",
            str(clock_file),
            f"--pace={PACE}",
            f"--dispatch-seconds={DISPATCH_SECONDS}",
            f"--materialize-seconds={MATERIALIZE_SECONDS}",
            f"--rounds-seconds={ROUNDS_SECONDS}",
        ]
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.process = subprocess.Popen(
                command, cwd=workdir, env=env | {"PORT": str(self.port)}, stdout=out, stderr=err
            )

    def wait_healthy(self, deadline: float) -> None:
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not come up:\n{self.tail()}")
            time.sleep(0.05)

    def send(self, request: sr.SlackRequest) -> None:
        response = httpx.post(f"{self.base}/slack/events", content=request.body, headers=request.headers())
        assert response.status_code == 200, (self.name, response.status_code, self.tail())

    def stop(self) -> int:
        """SIGTERM, as an operator stops it: running passes finish first. Returns what it sent."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return sum(int(n) for n in re.findall(r"^sent (\d+)$", self.out.read_text(), re.MULTILINE))

    def tail(self) -> str:
        return self.err.read_text(errors="replace")[-3000:]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(
        token=BOT_TOKEN, workspace_per_second=WORKSPACE_LIMIT, workspace_burst=WORKSPACE_BURST
    ) as slack:
        for coach, tz in COACHES.items():
            slack.add_user(coach, tz=tz)
        for leader in ROSTER:
            slack.add_user(leader.id, tz=leader.tz)
        for person in (PRESENTER, *MEMBERS):
            slack.add_user(person, tz="America/Chicago")
        slack.set_members(CHANNEL, [slack.bot_user_id, PRESENTER, *MEMBERS])
        yield slack


def set_clock(clock_file: Path, now: datetime) -> None:
    """Both processes read the file on every look at the clock; replacing it is atomic."""
    fresh = clock_file.with_suffix(".new")
    fresh.write_text(now.isoformat())
    os.replace(fresh, clock_file)


def set_up_roster(bot) -> dict[str, str]:
    """Each leader a coach's client with a goal and a schedule, through the services a coach's
    form uses; returns each leader's schedule id."""
    schedules = {}
    for leader in ROSTER:
        coach = Actor(sr.TEAM, leader.coach)
        client = bot.clients.add(
            coach, leader_id=leader.id, leader_name=leader.name, organization="District", domain=Domain.SCHOOL
        )
        form = ScheduleForm(
            cadence=leader.cadence,
            local_time=leader.at,
            first_date=leader.first,
            end_date=None,
            weekdays=leader.weekdays,
            reminder_after_hours=leader.reminder_hours,
            goal_text=f"Goal for {leader.name}",
        )
        schedules[leader.id] = bot.checkins.save_schedule(coach, client.id, form, tz=leader.tz).id
    return schedules


def still_owed(session: Session, now: datetime) -> int:
    """What the dispatchers owe at `now`: due check-ins not settled, windows closed but not
    marked, reminders due but not owed, and what the outbox owes and has not sent (notices to
    coaches, reminders)."""
    due = select(Delivery).where(
        ((Delivery.status == DeliveryStatus.PENDING) & (Delivery.due_at <= now))
        | ((Delivery.status == DeliveryStatus.SENT) & (Delivery.answer_by <= now))
    )
    unreminded = sum(
        row.sent_at + timedelta(hours=hours) <= now
        for row, hours, _ in checkin_repo.awaiting_reminder(session, now=now)
    )
    unsent = select(OwedMessage).where(col(OwedMessage.status).in_(owed.OPEN), OwedMessage.due_at <= now)
    return len(session.exec(due).all()) + unreminded + len(session.exec(unsent).all())


def settle(bot, now: datetime, servers: list[Server]) -> None:
    """Waits until the processes have done what is owed at `now`: rounds whose phase ran its
    time moved on, reminders of rounds past their reminder point owed, and everything the outbox
    owes sent."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        with Session(bot.engine) as session:
            rounds = len(bot.rounds.overdue()) + len(bot.rounds.awaiting_reminders())
            if still_owed(session, now) + rounds == 0:
                return
        for server in servers:
            assert server.process.poll() is None, f"{server.name} died:\n{server.tail()}"
        assert time.monotonic() < deadline, f"still owed at {now} after {SETTLE_TIMEOUT_S} s"
        time.sleep(0.02)


def checkin_posts(bot, fake: FakeSlack) -> dict[str, list]:
    """Every check-in message Slack took, by the delivery its metadata's key is about."""
    about = checkin_of_key(bot)
    found: dict[str, list] = {}
    for call in fake.calls_to("chat.postMessage"):
        metadata = call.args.get("metadata")
        if call.ok and metadata and metadata.get("event_payload", {}).get("key") in about:
            found.setdefault(about[metadata["event_payload"]["key"]], []).append(call)
    return found


def answer_checkins(bot, fake: FakeSlack, servers: list[Server], now: datetime, answered: set[str]) -> None:
    """Leaders who answer tap a rating in the message some hours after it came, each tap a
    signed request to one server or the other; waits until the coach has been told."""
    answering = {leader.id for leader in ROSTER if leader.answers_after}
    with Session(bot.engine) as session:
        rows = session.exec(
            select(Delivery).where(
                Delivery.status == DeliveryStatus.SENT, col(Delivery.recipient).in_(answering)
            )
        ).all()
    for row in rows:
        if row.sent_at + ROSTER_BY_ID[row.recipient].answers_after > now:
            continue
        message = checkin_message_row(bot, row.id)
        server = servers[len(answered) % len(servers)]
        click = sr.block_action(
            f"{ActionId.CHECKIN_RATE}:4",
            row.id,
            trigger_id=fake.issue_trigger_id(),
            user=row.recipient,
            message=(message.posted_channel, message.ts),
        )
        server.send(click)
        answered.add(row.id)
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while len(coach_posts(fake, "checked in")) < len(answered):
        assert time.monotonic() < deadline, "answers were not passed on to the coaches"
        time.sleep(0.02)


def wait_for(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def start_round(bot, fake: FakeSlack, servers: list[Server]) -> None:
    """The presenter registers the channel and frames an asynchronous Consultancy round, each
    request to another server, as a Slack user would."""
    command = sr.command("collaborative", trigger_id=fake.issue_trigger_id(), channel=CHANNEL, user=PRESENTER)
    servers[0].send(command)
    wait_for(lambda: bot.rounds.is_collaborative(sr.TEAM, CHANNEL), "the channel was not registered")
    opened = len(fake.calls_to("views.update"))
    command = sr.command(
        "round consultancy", trigger_id=fake.issue_trigger_id(), channel=CHANNEL, user=PRESENTER
    )
    servers[1].send(command)
    wait_for(lambda: len(fake.calls_to("views.update")) > opened, "the framing was not shown")
    framing = fake.calls_to("views.update")[-1].response["view"]
    answers = {**FRAMING["consultancy"], "round_mode": "async"}
    servers[0].send(sr.view_submission(framing, answers, user=PRESENTER))


def the_round(bot) -> FeedbackRound:
    with Session(bot.engine) as session:
        return session.exec(select(FeedbackRound)).one()


def reply_in_round(bot, fake: FakeSlack, servers: list[Server], now: datetime, replied: set) -> None:
    """Who replies in the open phase does so once it has been open a while: the message is in
    the thread, and Slack sends its event to one server or the other."""
    round_ = the_round(bot)
    if round_.status is not RoundStatus.OPEN or round_.phase_started_at + REPLY_AFTER > now:
        return
    for n, user in enumerate(REPLIES.get(round_.phase, [])):
        if (round_.phase, user) in replied:
            continue
        ts = f"{now.timestamp() + n:.6f}"
        message = fake.user_posts(
            CHANNEL, user, f"{user} in phase {round_.phase}", thread_ts=round_.thread_ts, ts=ts
        )
        servers[len(replied) % len(servers)].send(sr.event(message, event_id=f"Ev{ts}"))
        replied.add((round_.phase, user))
    with Session(bot.engine) as session:
        wait_for(
            lambda: len(session.exec(select(Contribution)).all()) == len(replied), "replies were not stored"
        )


def coach_posts(fake: FakeSlack, text: str) -> list:
    return [
        call
        for call in fake.calls_to("chat.postMessage")
        if call.ok and call.args["channel"] in COACHES and text in call.args["text"]
    ]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_servers_on_one_database_send_a_week_of_check_ins_and_a_round_exactly_once(
    bot, clock, fake, database_url, tmp_path
):
    clock.now = START
    schedules = set_up_roster(bot)
    clock_file = tmp_path / "clock"
    set_clock(clock_file, START)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(REPO_ROOT),
    }
    servers = [Server(name, env, clock_file, tmp_path) for name in ("one", "two")]
    try:
        for server in servers:
            server.wait_healthy(time.monotonic() + 30)
        start_round(bot, fake, servers)
        settle(bot, START, servers)
        answered: set[str] = set()
        replied: set[tuple[int, str]] = set()
        now = START
        while now < END:
            now += STEP
            clock.now = now
            set_clock(clock_file, now)
            settle(bot, now, servers)
            answer_checkins(bot, fake, servers, now, answered)
            reply_in_round(bot, fake, servers, now, replied)
    finally:
        sent_by = [server.stop() for server in servers]

    with Session(bot.engine) as session:
        rows = session.exec(select(Delivery)).all()
    by_occurrence = {(row.schedule_id, row.occurrence): row for row in rows}
    posts = checkin_posts(bot, fake)

    # Every check-in the calendar says is due in the week has its row, at the right instant
    # (DST included), and went out once; nothing else went out, not even early.
    expected: dict[str, Delivery] = {}
    for leader in ROSTER:
        for day, due in leader.due_in_the_week().items():
            row = by_occurrence.get((schedules[leader.id], day))
            assert row is not None and row.due_at == due, (leader.id, day, due, row)
            expected[row.id] = row
    night = schedules["UNYNIGHT"]
    # 01:30 on November 1 happens twice in New York: the check-in comes the first time (EDT).
    assert by_occurrence[(night, date(2026, 11, 1))].due_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert by_occurrence[(night, date(2026, 11, 2))].due_at == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    # New York's 40, Kolkata's 8 three times, 7 nights, Los Angeles twice, four others once.
    assert len(expected) == 40 + 24 + 7 + 2 + 4
    sends = {delivery_id: len(calls) for delivery_id, calls in posts.items()}
    assert sends == dict.fromkeys(expected, 1), "check-ins lost, sent twice, or sent unscheduled"
    for delivery_id, row in expected.items():
        (call,) = posts[delivery_id]
        assert row.status in (DeliveryStatus.SENT, DeliveryStatus.ANSWERED, DeliveryStatus.MISSED)
        assert checkin_message_row(bot, row.id).ts == call.response["ts"] and row.sent_at >= row.due_at
    assert sum(sent_by) == len(expected) and min(sent_by) > 0, f"sent by each process: {sent_by}"

    # Answers, reminders and missed-check-in notices: each once, for the right check-ins.
    assert {row.id for row in rows if row.status == DeliveryStatus.ANSWERED} == answered
    assert len(coach_posts(fake, "checked in")) == len(answered)
    reminded = Counter(
        call.args["thread_ts"]
        for call in fake.calls_to("chat.postMessage")
        if call.ok and call.args.get("thread_ts") and call.args["channel"] != CHANNEL
    )
    # The clock only ever shows step times, so a reminder is due exactly 24 h after its send.
    owed_reminders = {
        checkin_message_row(bot, row.id).ts
        for row in expected.values()
        if ROSTER_BY_ID[row.recipient].reminder_hours
        and row.id not in answered
        and row.sent_at + timedelta(hours=24) <= END
        and row.answer_by > row.sent_at + timedelta(hours=24)
    }
    assert reminded == dict.fromkeys(owed_reminders, 1)
    missed = [row for row in expected.values() if row.status == DeliveryStatus.MISSED]
    assert {row.id for row in missed} == {
        row.id for row in expected.values() if row.id not in answered and row.answer_by <= END
    }
    notices = Counter(
        (name, day)
        for call in coach_posts(fake, "was missed")
        for name, day in re.findall(
            r"\*(\w+)\* did not answer the check-in of (\w+ \d+, \d+)", json.dumps(call.args["blocks"])
        )
    )
    assert notices == dict.fromkeys(((row.recipient.lower(), dates.day(row.occurrence)) for row in missed), 1)

    # The round ran its course by itself, and each of its messages went out once: its post,
    # each phase's announcement, the reminders to who had not replied where the protocol
    # reminds, the presenter's one private reminder to listen, the thread's summary and the
    # presenter's record. Nothing the outbox sent, of any kind, went out twice.
    round_ = the_round(bot)
    assert round_.status is RoundStatus.CLOSED and round_.thread_ts
    phases = bot.runs.protocol("consultancy").round.phases
    reminders = {
        f"round_reminder:{round_.id}:{index}:{member}"
        for index, phase in enumerate(phases)
        if phase.remind and phase.presenter is not PresenterRole.SPEAKS
        for member in MEMBERS
        if member not in REPLIES[index]
    }
    keys = Counter(
        call.args["metadata"]["event_payload"]["key"]
        for call in fake.calls_to("chat.postMessage")
        if call.ok and (call.args.get("metadata") or {}).get("event_type") == EVENT_TYPE
    )
    assert [key for key, sends in keys.items() if sends > 1] == []
    assert {key for key in keys if key.startswith("round_")} == {
        f"round_post:{round_.id}",
        *(f"round_phase:{round_.id}:{index}" for index in range(len(phases))),
        *reminders,
        f"round_summary:{round_.id}",
        f"round_record:{round_.id}",
    }
    assert reminders, "the protocol reminds in some phase"
    nudges = [c for c in fake.calls_to("chat.postEphemeral") if c.ok and c.args["user"] == PRESENTER]
    assert len(nudges) == 1 and nudges[0].args["thread_ts"] == round_.thread_ts

    # Both processes together kept the workspace's pace: Slack hardly ever had to say wait, and
    # no stretch of what was posted (answers passed on to coaches included: the dispatchers send
    # those too) went faster than the pace, with room for one late send caught up.
    post_calls = fake.calls_to("chat.postMessage")
    limited = sum(call.status == 429 for call in post_calls)
    assert limited <= len(post_calls) // 100, f"{limited} of {len(post_calls)} posts answered 429"
    times = sorted(float(call.response["ts"]) for call in post_calls if call.ok)
    window = int(2 * PACE)
    fastest = min(later - earlier for earlier, later in zip(times, times[window - 1 :], strict=False))
    print(
        f"{len(post_calls)} posts, {limited} answered 429; check-ins sent by each process {sent_by}; "
        f"fastest {window} posts in a row took {fastest:.2f} s"
    )
    assert fastest >= (window - 1) / PACE - 0.15
