"""Does the bot stay fast as a coach's history grows? Every interaction, timed on a database
holding three years of one coach's work and on an almost empty one, in the same run.

Three years: 25 clients, 600 completed protocol runs, 2,000 check-ins answered (with their
check-in runs), 50 feedback rounds with 20 replies each. The "empty" database holds only what
the interactions need (one client with a schedule, a check-in to rate, an open round).

Each request goes through the real bolt app and the bot's HTTP endpoint, signed as Slack signs
it, with the listener work done inline, so the time is the whole of the server's work for the
interaction, what it does after the ack included (the Home republished after a page or a
rating). Its Slack calls go to an in-process fake Slack, one per database, whose own checking
of what it is sent counts in the time too. The heap is settled first, as `coachbot serve` does.

Two rows for opening the Home tab: Slack's app_home_opened carries the Home the coach has, and
when it is the one computed now ("Home opened") the bot publishes nothing; "Home opened,
changed" is an opening after a change that nothing republished, so the Home is published anew.

Goals: at three-year size every interaction within 1.5x its empty-database time and under
150 ms at p99. The p50 ratio and the CPU-time ratio are printed beside it: on a shared machine
the p99 is the tail of whatever else runs, the p50 and the CPU time what the bot itself costs.

    python -m bench.growth                        # about 3 minutes on 2 CPUs
    python -m bench.growth --samples 60           # fewer samples, quicker
    python -m bench.growth --only history --only clients
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

if not __package__:  # run as a script: `tests` (the fake Slack, request signing) lives in the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk import WebClient
from sqlmodel import Session
from starlette.testclient import TestClient

from bot.assembly import Bot, build_bot
from bot.config import Settings
from bot.recurrence import Cadence
from bot.server import bot_asgi, settle_heap
from bot.storage.db import open_database, upgrade
from bot.storage.models import (
    Answer,
    CheckinSchedule,
    Client,
    Collaborative,
    Contribution,
    Delivery,
    DeliveryStatus,
    Domain,
    FeedbackRound,
    Goal,
    ProtocolRun,
    RoundMode,
    RoundPhase,
    RoundStatus,
    RunStatus,
)
from tests import slack_requests as sr
from tests.fake_slack import FakeSlack

BOT_TOKEN = "xoxb-bench-token"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CHANNEL = "CCOLLAB1"
MEMBER = "UMEMBER1"
LEADER = "UL0000"  # the first client, the one the interactions name
RATIO_GOAL = 1.5
# Untimed requests of each interaction before its samples: the first ones fill caches (compiled
# queries, templates, the connection pool) that every later request finds filled.
WARMUPS = 5
# Enough that the p99 is not simply the slowest sample: one request stalled by the machine (a
# neighbour's burst, the collector) no longer decides the verdict alone.
SAMPLES = 200
INTERACTIONS = (
    "Home opened",
    "Home opened, changed",
    "/coach",
    "help",
    "history",
    "clients",
    "resume",
    "checkins @leader",
    "client's record",
    "page submitted",
    "rating tapped",
    "round reply captured",
)
P99_GOAL_MS = 150.0
YEARS = {"clients": 25, "runs": 600, "checkins": 2000, "rounds": 50, "replies": 20}
COACH_PROTOCOLS = ("five-lenses", "left-hand-column", "theory-of-action", "leadership-development")


class Inline(Executor):
    """Runs each listener's work in the request's own thread, so a request's time is all of it."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def clock() -> datetime:
    return NOW


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------


def _run(
    protocol_id: str, user: str, client_id: str | None, at: datetime, status=RunStatus.COMPLETED
) -> ProtocolRun:
    return ProtocolRun(
        team_id=sr.TEAM,
        user_id=user,
        protocol_id=protocol_id,
        protocol_version=1,
        status=status,
        current_page="situation",
        client_id=client_id,
        started_at=at,
        updated_at=at,
        completed_at=at if status is RunStatus.COMPLETED else None,
    )


def seed(bot: Bot, *, history: bool, baseline_clients: int = 1) -> dict[str, str]:
    """The coach's world; with `history`, three years of it. Returns the ids interactions use.
    Without, `baseline_clients` clients and nothing done with them: 1 is the issue's empty
    database; 25 keeps the three years' roster and takes away only the history, to tell what
    the years cost from what the number of clients does (the Home shows up to ten of them)."""
    versions = {p.id: p.version for p in bot.runs.catalog}
    rng = random.Random(14)
    empty = {"clients": baseline_clients, "runs": 0, "checkins": 0, "rounds": 0, "replies": 0}
    sizes = YEARS if history else empty
    start = NOW - timedelta(days=3 * 365)
    with Session(bot.engine, expire_on_commit=False) as session:
        clients = [
            Client(
                team_id=sr.TEAM,
                coach_id=sr.COACH,
                leader_id=f"UL{i:04d}",
                leader_name=f"leader {i:02d}",
                organization="Lincoln Middle School",
                domain=Domain.SCHOOL,
                created_at=start,
                updated_at=start,
            )
            for i in range(sizes["clients"])
        ]
        session.add_all(clients)
        session.flush()
        for i in range(sizes["runs"]):
            protocol_id = COACH_PROTOCOLS[i % len(COACH_PROTOCOLS)]
            at = start + timedelta(days=rng.uniform(0, 3 * 365))
            run = _run(protocol_id, sr.COACH, clients[i % len(clients)].id, at)
            run.protocol_version = versions[protocol_id]
            session.add(run)
            session.flush()
            for step in bot.runs.protocol(protocol_id).steps[:8]:
                session.add(
                    Answer(
                        run_id=run.id,
                        step_id=step.id,
                        value=json.dumps("An answer of some length " * 8),
                        answered_at=at,
                    )
                )
        schedules = []
        for client in clients:
            goal = Goal(
                team_id=sr.TEAM,
                coach_id=sr.COACH,
                client_id=client.id,
                statement="Every 9th grader reads",
                details="{}",
                created_at=start,
            )
            session.add(goal)
            session.flush()
            schedule = CheckinSchedule(
                team_id=sr.TEAM,
                coach_id=sr.COACH,
                client_id=client.id,
                goal_id=goal.id,
                leader_id=client.leader_id,
                cadence=Cadence.WEEKLY,
                local_time="09:00",
                first_date=start.date(),
                tz="America/New_York",
                created_at=start,
                updated_at=start,
            )
            session.add(schedule)
            schedules.append(schedule)
        session.flush()
        per_client = sizes["checkins"] // max(len(clients), 1)
        for schedule in schedules:
            for week in range(per_client):
                due = NOW - timedelta(weeks=per_client - week)
                run = _run("goal-checkin", schedule.leader_id, None, due)
                run.protocol_version = versions["goal-checkin"]
                run.current_page = "checkin"
                session.add(run)
                session.flush()
                session.add(
                    Answer(
                        run_id=run.id,
                        step_id="progress",
                        value=json.dumps(str(rng.randint(1, 5))),
                        answered_at=due,
                    )
                )
                kinds = rng.sample(
                    ["will", "skill", "knowledge", "capacity", "emotional_support"], rng.randint(0, 2)
                )
                session.add(
                    Answer(run_id=run.id, step_id="obstacle_kinds", value=json.dumps(kinds), answered_at=due)
                )
                session.add(
                    Delivery(
                        key=f"seed:{schedule.id}:{week}",
                        schedule_id=schedule.id,
                        team_id=sr.TEAM,
                        recipient=schedule.leader_id,
                        occurrence=due.date(),
                        due_at=due,
                        answer_by=due + timedelta(days=7),
                        status=DeliveryStatus.ANSWERED,
                        sent_at=due,
                        rating=rng.randint(1, 5),
                        run_id=run.id,
                        answered_at=due,
                    )
                )
        collaborative = Collaborative(
            team_id=sr.TEAM, channel_id=CHANNEL, registered_by=sr.COACH, created_at=start
        )
        session.add(collaborative)
        session.flush()
        rounds = bot.rounds.protocols.get("consultancy")
        for i in range(sizes["rounds"] + 1):  # the last one is open: replies are captured in it
            open_ = i == sizes["rounds"]
            at = NOW - timedelta(hours=1) if open_ else start + timedelta(weeks=3 * i)
            framing = _run("consultancy", sr.COACH, None, at)
            framing.protocol_version = rounds.version
            session.add(framing)
            session.flush()
            round_ = FeedbackRound(
                team_id=sr.TEAM,
                collaborative_id=collaborative.id,
                channel_id=CHANNEL,
                presenter_id=sr.COACH,
                protocol_id="consultancy",
                protocol_version=rounds.version,
                framing_run_id=framing.id,
                mode=RoundMode.ASYNC,
                status=RoundStatus.OPEN if open_ else RoundStatus.CLOSED,
                opens_at=at,
                thread_ts=f"{at.timestamp():.6f}",
                phase=0 if open_ else len(rounds.round.phases) - 1,
                phase_started_at=at,
                announced_phase=0 if open_ else len(rounds.round.phases) - 1,
                closed_at=None if open_ else at + timedelta(days=7),
                summary_sent_at=None if open_ else at + timedelta(days=7),
                created_at=at,
            )
            session.add(round_)
            session.flush()
            session.add(RoundPhase(round_id=round_.id, index=0, opened_at=at))
            for r in range(0 if open_ else sizes["replies"]):
                ts = f"{(at + timedelta(minutes=r + 1)).timestamp():.6f}"
                session.add(
                    Contribution(
                        round_id=round_.id,
                        user_id=MEMBER,
                        ts=ts,
                        phase=0,
                        text="A question " * 10,
                        posted_at=at,
                    )
                )
        session.commit()
        return {"client": clients[0].id, "thread": round_.thread_ts or "", "schedule": schedules[0].id}


def sent_checkins(bot: Bot, slack: FakeSlack, schedule_id: str, count: int) -> list[tuple[str, str, str]]:
    """Check-ins sent to the leader now and open for an answer: (delivery id, channel, ts)."""
    web = WebClient(token=BOT_TOKEN, base_url=slack.url)
    found = []
    with Session(bot.engine) as session:
        for i in range(count):
            posted = web.chat_postMessage(channel=LEADER, text="Your check-in")
            delivery = Delivery(
                key=f"bench:{i}",
                schedule_id=schedule_id,
                team_id=sr.TEAM,
                recipient=LEADER,
                occurrence=date(2026, 11, 22),
                due_at=NOW - timedelta(hours=1),
                answer_by=NOW + timedelta(days=6),
                status=DeliveryStatus.SENT,
                sent_at=NOW - timedelta(hours=1),
                channel=posted["channel"],
                message_ts=posted["ts"],
            )
            session.add(delivery)
            session.flush()
            found.append((delivery.id, posted["channel"], posted["ts"]))
        session.commit()
    return found


# --------------------------------------------------------------------------------------------------
# Interactions
# --------------------------------------------------------------------------------------------------


@dataclass
class World:
    http: TestClient
    slack: FakeSlack
    ids: dict[str, str]
    ratings: list[tuple[str, str, str]]
    replies: int = 0

    def send(self, request: sr.SlackRequest) -> None:
        response = self.http.post("/slack/events", content=request.body, headers=request.headers())
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

    def command(self, text: str) -> Callable[[], None]:
        return lambda: self.send(sr.command(text, trigger_id=self.slack.issue_trigger_id()))


def interactions(world: World) -> dict[str, tuple[Callable[[], object], Callable[[object], None]]]:
    """Each interaction as (prepare, timed): what is prepared (a modal to submit, a check-in to
    rate) is not timed."""
    slack = world.slack
    none = lambda: None  # noqa: E731

    def page() -> dict:
        world.send(sr.command("start five-lenses", trigger_id=slack.issue_trigger_id()))
        return slack.calls_to("views.open")[-1].response["view"]

    def submit(view: dict) -> None:
        page_one = {"situation_name": "The budget meeting", "situation": "What happened, at some length."}
        world.send(sr.view_submission(view, page_one))

    def rate(_: object) -> None:
        delivery_id, channel, ts = world.ratings.pop()
        world.send(
            sr.block_action(
                "checkin_rate:4",
                delivery_id,
                trigger_id=slack.issue_trigger_id(),
                user=LEADER,
                message=(channel, ts),
            )
        )

    def reply(_: object) -> None:
        world.replies += 1
        ts = f"{(NOW - timedelta(minutes=30)).timestamp() + world.replies:.6f}"
        event = slack.user_posts(
            CHANNEL, MEMBER, "What have you tried so far?", thread_ts=world.ids["thread"], ts=ts
        )
        world.send(sr.event(event, event_id=f"Ev{ts}"))

    def shown_home(*, changed: bool) -> sr.SlackRequest:
        """app_home_opened as Slack sends it: with the Home it shows the coach, the last one
        published. Unchanged since, the bot finds nothing to publish; `changed` stands for a
        change nothing republished (its digest no longer matches), so the bot publishes anew."""
        published = [c for c in slack.calls_to("views.publish") if c.args.get("user_id") == sr.COACH]
        event = {"type": "app_home_opened", "user": sr.COACH, "tab": "home", "event_ts": "1.0"}
        if not published:
            return sr.event(event)
        shown = published[-1].response["view"]
        if changed:
            shown = {**shown, "private_metadata": "a Home from before a change"}
        return sr.event({**event, "view": shown})

    plan = {
        "Home opened": (lambda: shown_home(changed=False), world.send),
        "Home opened, changed": (lambda: shown_home(changed=True), world.send),
        "/coach": (none, lambda _: world.command("")()),
        "help": (none, lambda _: world.command("help")()),
        "history": (none, lambda _: world.command("history")()),
        "clients": (none, lambda _: world.command("clients")()),
        "resume": (none, lambda _: world.command("resume")()),
        "checkins @leader": (none, lambda _: world.command(f"checkins <@{LEADER}|leader>")()),
        "client's record": (
            none,
            lambda _: world.send(
                sr.block_action("open_client", world.ids["client"], trigger_id=slack.issue_trigger_id())
            ),
        ),
        "page submitted": (page, submit),
        "rating tapped": (none, rate),
        "round reply captured": (none, reply),
    }
    assert tuple(plan) == INTERACTIONS, "INTERACTIONS names every interaction, in order"
    return plan


@dataclass
class Timings:
    wall: list[float]
    cpu: list[float]


def measure(worlds: dict[str, World], samples: int, only: Sequence[str]) -> dict[str, dict[str, Timings]]:
    """Each interaction's samples alternate between the databases, so both meet the same load
    from whatever else runs on the machine. Wall time is what Slack waits; CPU time (this
    process's, the in-process fake Slack's included) is steadier on a busy machine."""
    found: dict[str, dict[str, Timings]] = {name: {} for name in worlds}
    plans = {name: interactions(world) for name, world in worlds.items()}
    for interaction in only or plans[next(iter(plans))]:
        for i in range(samples + WARMUPS):
            for name in worlds:
                prepare, timed = plans[name][interaction]
                given = prepare()
                wall, cpu = time.perf_counter(), time.process_time()
                timed(given)
                if i >= WARMUPS:
                    timings = found[name].setdefault(interaction, Timings([], []))
                    timings.wall.append((time.perf_counter() - wall) * 1000)
                    timings.cpu.append((time.process_time() - cpu) * 1000)
    return found


def world_for(
    slack: FakeSlack, workdir: Path, name: str, *, history: bool, samples: int, baseline_clients: int = 1
) -> tuple[Bot, World]:
    url = f"sqlite:///{workdir / name}.db"
    upgrade(open_database(url))
    settings = Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=sr.SIGNING_SECRET,
        slack_app_token=None,
        slack_api_url=slack.url,
        database_url=url,
    )
    bot = build_bot(settings, clock=clock, migrate=False, listener_executor=Inline(), pace_per_second=None)
    ids = seed(bot, history=history, baseline_clients=baseline_clients)
    ratings = sent_checkins(bot, slack, ids["schedule"], samples + WARMUPS)
    http = TestClient(bot_asgi(bot, run_scheduler=False))
    return bot, World(http, slack, ids, ratings)


def fake_slack() -> FakeSlack:
    """A workspace of its own for each database's bot: what Slack shows the coach (their Home,
    the messages) is then what that bot published."""
    slack = FakeSlack(token=BOT_TOKEN).start()
    for user in (sr.COACH, LEADER, MEMBER):
        slack.add_user(user, tz="America/Los_Angeles")
    slack.set_members(CHANNEL, [slack.bot_user_id, sr.COACH, MEMBER])
    return slack


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--samples", type=int, default=SAMPLES, help="timed requests per interaction and database"
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="INTERACTION", help="time only this one (repeatable)"
    )
    parser.add_argument(
        "--baseline-clients",
        type=int,
        default=1,
        metavar="N",
        help="clients in the baseline database (default 1, the issue's empty database; "
        f"{YEARS['clients']} keeps the roster and removes only the history)",
    )
    args = parser.parse_args()
    unknown = set(args.only) - set(INTERACTIONS)
    if unknown:
        parser.error(f"no interaction {', '.join(sorted(unknown))}; there are: {', '.join(INTERACTIONS)}")
    worlds: dict[str, World] = {}
    bots, slacks = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, history in (("empty", False), ("three years", True)):
                built = time.perf_counter()
                slacks.append(fake_slack())
                bot, world = world_for(
                    slacks[-1],
                    Path(tmp),
                    name.replace(" ", "_"),
                    history=history,
                    samples=args.samples,
                    baseline_clients=args.baseline_clients,
                )
                print(f"{name}: seeded in {time.perf_counter() - built:.1f} s", file=sys.stderr)
                bots.append(bot)
                worlds[name] = world
            with worlds["empty"].http, worlds["three years"].http:
                settle_heap()  # as `coachbot serve` does before it takes its first request
                results = measure(worlds, args.samples, args.only)
            for bot in bots:
                bot.engine.dispose()
    finally:
        for slack in slacks:
            slack.stop()
    print(f"\n{args.samples} samples per interaction and database, server time in ms (SQLite)")
    print(f'the baseline ("empty"): {args.baseline_clients} client(s) with no history\n')
    columns = ("interaction", "empty p50", "p99", "3 years p50", "p99", "p50", "p99", "CPU")
    header = "{:<22} {:>9} {:>7} {:>11} {:>7}  {:>6} {:>6} {:>6}  {}".format(*columns, "goal")
    print(" " * 63 + "ratio 3 years / empty")
    print(header)
    print("-" * len(header))
    missed = 0
    for name, empty in results["empty"].items():
        full = results["three years"][name]
        e50, e99 = percentile(empty.wall, 0.5), percentile(empty.wall, 0.99)
        f50, f99 = percentile(full.wall, 0.5), percentile(full.wall, 0.99)
        ratio = f99 / e99 if e99 else float("inf")
        cpu = percentile(full.cpu, 0.5) / max(percentile(empty.cpu, 0.5), 0.01)
        ok = ratio <= RATIO_GOAL and f99 < P99_GOAL_MS
        missed += not ok
        verdict = "ok" if ok else "MISSED"
        ratios = f"{f50 / e50:>5.2f}x {ratio:>5.2f}x {cpu:>5.2f}x"
        figures = f"{e50:>9.1f} {e99:>7.1f} {f50:>11.1f} {f99:>7.1f}  {ratios}"
        print(f"{name:<22} {figures}  {verdict}")
    print(f"\ngoals: p99 within {RATIO_GOAL}x of the empty database and under {P99_GOAL_MS:.0f} ms")
    print(f"{missed} of {len(results['empty'])} interactions missed a goal")
    print("CPU: median CPU time (this process, the in-process fake Slack's included), 3 years / empty")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
