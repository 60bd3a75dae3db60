"""Ack latency of `coachbot serve` (HTTP mode) next to a bare bolt app doing the same Slack work.

Four interactions, signed as Slack signs them, go at 1, 10 and 50 concurrent clients to both
servers in the same run, and the table compares their p50/p99:
- `help`: `/coach help`, answered with a message;
- `start`: `/coach start <protocol>`, acked, then the first page opened with `views.open`;
- `page submitted`: that page submitted with its answers, answered with the next page;
- `rating tapped`: a rating button on a check-in message, acked, then the message updated.
The bare app (bench/bare_app.py) answers each as a plain bolt app would, with views and messages
as big as the bot's and slack_sdk's default client, and stores a submitted page or a rating with
one sqlite3 INSERT and commit. Both servers run the same server code (`bot.server`), so the ratio
is the cost of the bot's own work (ownership checks, the ORM, rendering, the Home republished
after a change). Goals: for `help` and `start`, p99 at 50 clients no more than 1.2 times the
bare app's (issue 14); for every kind, every request answered (Slack gives up after 3 s) and no
bot request over one second.

The windows to submit are opened by each server itself beforehand (untimed), and every rating
taps a check-in of its own, open for an answer: one per leader, 25 leaders a coach
(bench/ack_seed.py).

A second table says where the CPU went, per request: each server's own (its p99 at 50 clients
follows it, as the server is then never idle), the fake Slack's while it answered the bot, and
the load client's. All of them share this machine's CPUs, as a remote Slack would not.

    python bench/ack_latency.py            # full run, about 15 minutes on a busy 2-CPU machine
    python bench/ack_latency.py --quick    # smoke run, under 2 minutes
    python bench/ack_latency.py --requests 3000   # that many per server at every level
    python bench/ack_latency.py --kinds page,rating   # only those interactions

Exits 0 whatever the numbers (a benchmark, not a test); 2 if a server does not come up, 1 if
any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import http.client
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

if not __package__:  # run as a script: `tests` (the fake Slack, request signing) lives in the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk import WebClient
from sqlalchemy import func, select
from sqlmodel import col

from bench.ack_seed import Tap, bare_taps, coach, leader, sent_checkins
from bench.remote_fake import FakeSlackService, start_remote_fake
from bot.storage.db import open_database
from bot.storage.models import OwedMessage, utcnow
from bot.storage.owed import OPEN
from tests import slack_requests as sr

REPO_ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "xoxb-bench-token"
PROTOCOL = "five-lenses"  # any protocol in protocols/; `start` opens its first page
KINDS = ("help", "start", "page", "rating")
LABELS = {"help": "help", "start": "start", "page": "page submitted", "rating": "rating tapped"}
# The first page of PROTOCOL, answered: its submission begins a run and shows the next page.
# Coaches the windows are opened for, a few windows each, as each coach has a few runs going
# (one coach with thousands of unfinished runs would time their Home, not a page).
COACHES = tuple(f"UBENCH{i:03d}" for i in range(100))
PAGE_ONE = {"situation_name": "The budget meeting", "situation": "What happened, at some length. " * 8}
LEVELS = (1, 10, 50)
FULL_REQUESTS = {1: 200, 10: 1000, 50: 1000}
QUICK_REQUESTS = {1: 20, 10: 100, 50: 100}
WARMUP_REQUESTS = 50
WARMUP_CLIENTS = 10
RATIO_GOAL = 1.2
RATIO_GOAL_KINDS = ("help", "start")  # the issue's figure; page and rating have none there
SLOWEST_GOAL_S = 1.0
START_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 30.0
# The bot's outbox sends at its pace (bot.scheduling.dispatch): 1,000 ratings' notices take minutes.
OUTBOX_TIMEOUT_S = 600.0
# A client fetches trigger ids a few at a time and never uses one older than this (the fake,
# like Slack, refuses them after 3 s).
TRIGGER_BATCH = 16
WINDOWS_PER_COACH = 5
TRIGGER_FRESH_S = 1.0


class ServerFailed(Exception):
    """A server process did not come up healthy; the message carries the end of its log."""


# --------------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(name: str, argv: list[str], env: dict[str, str], workdir: Path) -> Server:
    """Logs go to a file, not a pipe: nobody reads a pipe during the run, and a full one would
    block the server mid-benchmark. A new session keeps Ctrl-C from reaching the servers, so
    they stop once, on our SIGTERM."""
    port = free_port()
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            argv,
            cwd=workdir,  # away from the checkout's .env
            env=env | {"PORT": str(port)},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name=name, port=port, process=process, log_path=log_path)


def wait_healthy(server: Server, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=1)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise ServerFailed(f"{server.name} did not come up on port {server.port}:\n{server.log_tail()}")
        time.sleep(0.05)


def stop_server(server: Server) -> None:
    """SIGTERM lets uvicorn finish open requests and run the lifespan exit; kill only if it hangs."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def server_env(fake: FakeSlackService, database_url: str) -> dict[str, str]:
    """HTTP mode: no SLACK_APP_TOKEN, whatever the calling shell has set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return env | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": fake.url(),
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }


# --------------------------------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------------------------------


@dataclass
class Samples:
    """Latencies (seconds) of requests answered 200, every other outcome by kind, and the CPU
    seconds each process ("server", "fake", "client") spent while they were sent."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    cpu: Counter[str] = field(default_factory=Counter)

    def add(self, other: Samples) -> None:
        self.latencies.extend(other.latencies)
        self.errors.update(other.errors)
        self.cpu.update(other.cpu)

    def cpu_per_request(self, process: str) -> float | None:
        """Milliseconds, or None where the CPU time could not be read."""
        if process not in self.cpu or not self.latencies:
            return None
        return self.cpu[process] / len(self.latencies) * 1000


def cpu_seconds(pid: int) -> float | None:
    """User plus system time of every thread of a process, from Linux's /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Triggers:
    """Trigger ids for one client, fetched a batch at a time on a worker thread: a call to the
    fake's process waits for that process's GIL, which it holds while it answers the bot's
    views.open, and the event loop timing every client's requests must not wait with it."""

    def __init__(self, fake: FakeSlackService) -> None:
        self._fake = fake
        self._ids: list[str] = []
        self._fetched = 0.0

    async def next(self) -> str:
        if not self._ids or time.monotonic() - self._fetched > TRIGGER_FRESH_S:
            self._ids = await asyncio.to_thread(self._fake.issue_trigger_ids, TRIGGER_BATCH)
            self._fetched = time.monotonic()
        return self._ids.pop()


def encoded(request: sr.SlackRequest, port: int) -> bytes:
    """A fresh signature (timestamp now), as Slack signs each request."""
    body = request.body.encode()
    headers = request.headers() | {"Host": f"127.0.0.1:{port}", "Content-Length": str(len(body))}
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"POST /slack/events HTTP/1.1\r\n{head}\r\n".encode() + body


class StatusError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> bool:
    """One request on a keep-alive connection; True if the server keeps the connection open.

    A hand-rolled HTTP/1.1 exchange keeps the client's own cost per request to a few
    microseconds, so on a small machine the client takes little CPU from the servers.
    """
    writer.write(payload)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    if "content-length" not in headers:
        raise ValueError("response without Content-Length")
    await reader.readexactly(int(headers["content-length"]))
    status = int(status_line.split(" ", 2)[1])
    if status != 200:
        raise StatusError(status)
    return headers.get("connection", "").lower() != "close"


class Requests:
    """Where one client's requests come from. Commands carry a fresh trigger id each (the bare
    app gets them too, so the client does the same work for both servers); a page submission
    takes one of the windows the server opened, a rating one of the check-ins, never twice."""

    def __init__(
        self,
        kind: str,
        fake: FakeSlackService,
        views: list[tuple[str, dict]],
        taps: list[Tap],
        coach: str = sr.COACH,
    ) -> None:
        self._kind = kind
        self._coach = coach
        self._triggers = Triggers(fake)
        self._views = views
        self._taps = taps

    async def next(self) -> sr.SlackRequest:
        match self._kind:
            case "help":
                return sr.command("help", trigger_id=await self._triggers.next())
            case "start":
                trigger_id = await self._triggers.next()
                return sr.command(f"start {PROTOCOL}", trigger_id=trigger_id, user=self._coach)
            case "page":
                coach, view = self._views.pop()
                return sr.view_submission(view, PAGE_ONE, user=coach)
            case _:
                tap = self._taps.pop()
                return sr.block_action(
                    "checkin_rate:4",
                    tap.delivery_id,
                    trigger_id="bench.trigger",
                    user=tap.leader,
                    message=(tap.channel, tap.ts),
                )


async def one_client(
    port: int, count: int, requests: Requests, ready: asyncio.Barrier, samples: Samples
) -> None:
    """Opens its connection first, waits for every other client, then sends `count` requests
    back to back, timing each from send to the last byte of the response."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await ready.wait()
    try:
        for _ in range(count):
            payload = encoded(await requests.next(), port)
            started = time.perf_counter()
            try:
                keep_open = await exchange(reader, writer, payload)
            except StatusError as error:
                samples.errors[str(error)] += 1
                continue
            except (OSError, EOFError, ValueError, asyncio.IncompleteReadError) as error:
                samples.errors[type(error).__name__] += 1
                keep_open = False
            else:
                samples.latencies.append(time.perf_counter() - started)
            if not keep_open:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def run_load(
    port: int,
    kind: str,
    clients: int,
    total: int,
    fake: FakeSlackService,
    views: list[tuple[str, dict]],
    taps: list[Tap],
    coach: str = sr.COACH,
) -> Samples:
    samples = Samples()
    shares = [total // clients + (1 if i < total % clients else 0) for i in range(min(clients, total))]
    ready = asyncio.Barrier(len(shares))
    await asyncio.gather(
        *(one_client(port, n, Requests(kind, fake, views, taps, coach), ready, samples) for n in shares)
    )
    return samples


@contextlib.contextmanager
def quiet_collector() -> Iterator[None]:
    """No garbage-collector pauses in the client while it times requests (servers unaffected)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


@dataclass
class Cell:
    kind: str
    clients: int
    bare: Samples
    bot: Samples


class Bench:
    """Sends the load, and keeps count of the Web API calls each server owes after its acks
    (views.open after `start`, chat.update after a rating, the bot's Home after its first page
    saved), so it can wait for that work to finish before the next load is measured, and check
    afterwards that Slack took all of it."""

    def __init__(
        self, fake: FakeSlackService, bot: Server, bare: Server, taps: dict[str, list[Tap]], database_url: str
    ) -> None:
        self.fake = fake
        self.outbox = open_database(database_url)
        self.fake_pid = fake.pid()
        self.bot = bot
        self.bare = bare
        self.taps = taps
        self.owed: Counter[str] = Counter()
        self.missing: Counter[str] = Counter()
        self.coach_turn = 0

    def load(self, server: Server, kind: str, clients: int, total: int) -> Samples:
        """The CPU counted is the load's and that of the Web API calls the server makes after
        acking: work it owes for those requests, done on the same CPUs. The windows a page
        submission needs are opened before, untimed."""
        views = self.windows(server, total) if kind == "page" else []
        taps = self.taps[server.name] if kind == "rating" else []
        before = self.cpu_now(server)
        with quiet_collector():
            samples = asyncio.run(run_load(server.port, kind, clients, total, self.fake, views, taps))
        self.owe(server, kind, len(samples.latencies), coaches=len({coach for coach, _ in views}))
        self.drain()
        after = self.cpu_now(server)
        samples.cpu.update({name: after[name] - before[name] for name in before if name in after})
        return samples

    def windows(self, server: Server, count: int) -> list[tuple[str, dict]]:
        """`count` first pages the server opened itself, as coaches' `/coach start` does, each
        with the coach it is for (a window Slack did not open is asked for again)."""
        views: list[tuple[str, dict]] = []
        while len(views) < count:
            coach = COACHES[self.coach_turn % len(COACHES)]
            self.coach_turn += 1
            wanted = min(WINDOWS_PER_COACH, count - len(views))
            ok, refused = self.fake.views_opened()
            acked = asyncio.run(run_load(server.port, "start", wanted, wanted, self.fake, [], [], coach))
            self.owe(server, "start", len(acked.latencies))
            self.drain()
            views += [(coach, view) for view in self.fake.opened_views(ok + sum(refused.values()))]
        return views[:count]

    def owe(self, server: Server, kind: str, acked: int, *, coaches: int = 0) -> None:
        """The bot republishes a coach's Home once for a burst of their changes: at least one
        views.publish per coach whose pages were submitted."""
        if kind == "start":
            self.owed["views.open"] += acked
        elif kind == "rating":
            self.owed["chat.update"] += acked
        elif kind == "page" and server is self.bot:
            self.owed["views.publish"] += min(acked, coaches)

    def cpu_now(self, server: Server) -> dict[str, float]:
        readings = {
            "server": cpu_seconds(server.process.pid),
            "fake": cpu_seconds(self.fake_pid),
            "client": time.process_time(),
        }
        return {name: seconds for name, seconds in readings.items() if seconds is not None}

    def drain(self) -> None:
        """Waits for the calls owed; any never made are counted (and reported), and no longer
        waited for."""
        for method, count in self.owed.items():
            try:
                self.fake.wait_for(method, count=count, timeout=DRAIN_TIMEOUT_S)
            except AssertionError:
                made = self.fake.count_of(method)
                self.missing[method] += count - made
                self.owed[method] = made
        self.wait_outbox_sent()
        time.sleep(0.05)  # the servers reading the last responses

    def wait_outbox_sent(self) -> None:
        """What the bot owes after a request, due now, and sends from its outbox at its pace (a
        coach told of each rating) is that request's work: it is done, and its CPU counted, before the next
        cell, so it does not weigh on that one."""
        deadline = time.monotonic() + OUTBOX_TIMEOUT_S
        while time.monotonic() < deadline:
            with self.outbox.connect() as connection:
                open_ = connection.execute(
                    select(func.count()).where(
                        col(OwedMessage.status).in_(OPEN), col(OwedMessage.due_at) <= utcnow()
                    )
                ).scalar_one()
            if not open_:
                return
            time.sleep(0.2)
        self.missing["outbox messages"] += open_

    def warm_up(self, requests: int, kinds: tuple[str, ...]) -> Samples:
        errors = Samples()
        for server in (self.bare, self.bot):
            for kind in kinds:
                errors.add(self.load(server, kind, WARMUP_CLIENTS, requests))
        return errors

    def cell(self, kind: str, clients: int, total: int) -> Cell:
        """Order bare, bot, bot, bare (half the requests each time), so a drift in the machine's
        speed during the cell weighs on both servers alike."""
        first, second = total // 2, total - total // 2
        bare, bot = Samples(), Samples()
        bare.add(self.load(self.bare, kind, clients, first))
        bot.add(self.load(self.bot, kind, clients, first))
        bot.add(self.load(self.bot, kind, clients, second))
        bare.add(self.load(self.bare, kind, clients, second))
        return Cell(kind=kind, clients=clients, bare=bare, bot=bot)

    def views_opened(self) -> tuple[int, Counter[str]]:
        return self.fake.views_opened()


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest sample at or above q percent of all samples."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


COLUMNS = (
    ("kind", 14),
    ("clients", 8),
    ("requests", 9),
    ("bare p50", 9),
    ("bare p99", 9),
    ("bot p50", 8),
    ("bot p99", 8),
    ("p99 ratio", 10),
    ("bot max", 8),
    ("over 1s", 7),
)


def row(values: list[str], columns: tuple[tuple[str, int], ...] = COLUMNS) -> str:
    return "  ".join(
        value.ljust(width) if i == 0 else value.rjust(width)
        for i, (value, (_, width)) in enumerate(zip(values, columns, strict=True))
    )


def ratio(cell: Cell) -> float:
    return percentile(cell.bot.latencies, 99) / percentile(cell.bare.latencies, 99)


def cpu_ms(samples: Samples, process: str) -> str:
    value = samples.cpu_per_request(process)
    return "n/a" if value is None else f"{value:.2f}"


CPU_COLUMNS = (
    ("kind", 14),
    ("clients", 8),
    ("bare", 6),
    ("bot", 6),
    ("ratio", 6),
    ("fake, bot", 9),
    ("client", 6),
)


def print_cpu(cells: list[Cell]) -> None:
    """Where the machine's CPU went. At 50 clients both servers are busy all the time, so each
    one's p99 follows its own CPU time per request; the fake and the client share the CPUs."""

    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    print(
        "\nCPU in ms per request, all threads of each process during the load "
        f"(Linux /proc counts in {tick_ms:.0f} ms ticks: coarse for a few hundred requests)\n"
    )
    print(row([name for name, _ in CPU_COLUMNS], CPU_COLUMNS))
    for cell in cells:
        bare, bot = cell.bare.cpu_per_request("server"), cell.bot.cpu_per_request("server")
        server_ratio = f"{bot / bare:.2f}" if bare and bot is not None else "n/a"
        print(
            row(
                [
                    LABELS[cell.kind],
                    str(cell.clients),
                    cpu_ms(cell.bare, "server"),
                    cpu_ms(cell.bot, "server"),
                    server_ratio,
                    cpu_ms(cell.bot, "fake"),
                    cpu_ms(cell.bot, "client"),
                ],
                CPU_COLUMNS,
            )
        )


def print_report(cells: list[Cell], bench: Bench, warmup: Samples) -> int:
    """Prints the table and the verdicts; returns the number of failed requests."""
    print("\nlatency in ms, send to last byte of the response; requests = per server\n")
    print(row([name for name, _ in COLUMNS]))
    for cell in cells:
        if not cell.bot.latencies or not cell.bare.latencies:
            print(row([LABELS[cell.kind], str(cell.clients), "0", *["-"] * 7]))
            continue
        bare, bot = cell.bare.latencies, cell.bot.latencies
        print(
            row(
                [
                    LABELS[cell.kind],
                    str(cell.clients),
                    str(len(bot)),
                    ms(percentile(bare, 50)),
                    ms(percentile(bare, 99)),
                    ms(percentile(bot, 50)),
                    ms(percentile(bot, 99)),
                    f"{ratio(cell):.2f}",
                    ms(max(bot)),
                    str(sum(latency > SLOWEST_GOAL_S for latency in bot)),
                ]
            )
        )

    print_cpu(cells)

    print()
    for cell in cells:
        if cell.clients == max(LEVELS) and cell.bot.latencies and cell.bare.latencies:
            if cell.kind in RATIO_GOAL_KINDS:
                verdict = "met" if ratio(cell) <= RATIO_GOAL else "MISSED"
                goal = f"(goal <= {RATIO_GOAL}) {verdict}"
            else:
                goal = "(no figure set; the bot also reads, checks and renders)"
            print(f"p99 ratio at {cell.clients} clients, {LABELS[cell.kind]}: {ratio(cell):.2f} {goal}")
    slowest = max((latency for cell in cells for latency in cell.bot.latencies), default=math.nan)
    verdict = "met" if slowest < SLOWEST_GOAL_S else "MISSED"
    print(f"slowest bot request: {slowest * 1000:.0f} ms (goal < {SLOWEST_GOAL_S * 1000:.0f} ms) {verdict}")

    opened, _ = bench.views_opened()
    print(f"views.open by both servers: {opened} ok of {bench.owed['views.open']} acked (warm-up included)")
    if bench.missing:
        print(f"Web API calls owed after an ack and never made: {dict(bench.missing)}")
    refused = bench.fake.failed_calls()
    print(f"Web API calls refused: {sum(refused.values())}" + (f" {dict(refused)}" if refused else ""))

    errors: Counter[str] = Counter(warmup.errors)
    for cell in cells:
        errors.update({f"bare {k}": v for k, v in cell.bare.errors.items()})
        errors.update({f"bot {k}": v for k, v in cell.bot.errors.items()})
    failed = sum(errors.values())
    print(f"failed requests: {failed}" + (f" {dict(errors)}" if errors else ""))
    return failed


def print_machine() -> None:
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}; slack_bolt {version('slack_bolt')}, "
        f"slack_sdk {version('slack_sdk')}, uvicorn {version('uvicorn')}, starlette {version('starlette')}"
    )


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (few requests per level)")
    parser.add_argument("--requests", type=int, metavar="N", help="requests per server at every level")
    parser.add_argument(
        "--kinds",
        type=lambda text: tuple(text.split(",")),
        default=KINDS,
        metavar="K,K",
        help=f"only these interactions (of {','.join(KINDS)})",
    )
    args = parser.parse_args(argv)
    if not set(args.kinds) <= set(KINDS):
        parser.error(f"--kinds takes {','.join(KINDS)}")
    if args.requests is not None and args.requests < 2:
        parser.error("--requests must be at least 2")
    return args


def run(args: argparse.Namespace) -> int:
    plan = QUICK_REQUESTS if args.quick else FULL_REQUESTS
    if args.requests is not None:
        plan = dict.fromkeys(LEVELS, args.requests)
    warmup = 10 if args.quick else WARMUP_REQUESTS

    print_machine()
    # Unwound in reverse, on any exit: servers stop before their database goes, the fake last.
    with contextlib.ExitStack() as cleanup:
        fake, manager = start_remote_fake(BOT_TOKEN)
        cleanup.callback(manager.shutdown)
        cleanup.callback(fake.stop)
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="coachbot-bench-")))
        database_url = f"sqlite:///{workdir / 'coachbot.db'}"
        env = server_env(fake, database_url)
        bot = start_server("bot", [sys.executable, "-m", "bot", "serve"], env, workdir)
        cleanup.callback(stop_server, bot)
        bare_env = env | {"BARE_DATABASE": str(workdir / "bare.db")}
        bare_argv = [sys.executable, str(REPO_ROOT / "bench" / "bare_app.py")]
        bare = start_server("bare", bare_argv, bare_env, workdir)
        cleanup.callback(stop_server, bare)
        try:
            wait_healthy(bot)
            wait_healthy(bare)
        except ServerFailed as failed:
            print(failed, file=sys.stderr)
            return 2

        ratings = warmup + sum(plan.values())
        coaches = sorted({coach(i) for i in range(ratings)})
        fake.add_users([sr.COACH, *COACHES, *coaches, *map(leader, range(ratings))])
        web = WebClient(token=BOT_TOKEN, base_url=fake.url())
        print(f"sending {ratings} check-ins to rate for each server")
        taps = {"bot": sent_checkins(database_url, web, ratings), "bare": bare_taps(web, ratings)}
        bench = Bench(fake, bot=bot, bare=bare, taps=taps, database_url=database_url)
        cleanup.callback(bench.outbox.dispose)
        print(f"warming up: {warmup} requests of each kind per server")
        warmup_samples = bench.warm_up(warmup, args.kinds)
        cells = []
        for clients in LEVELS:
            for kind in args.kinds:
                print(f"measuring {kind} at {clients} clients: {plan[clients]} requests per server")
                cells.append(bench.cell(kind, clients, plan[clients]))
        failed = print_report(cells, bench, warmup_samples)

        for server in (bot, bare):
            stop_server(server)
            if server.process.returncode not in (0, -signal.SIGTERM):
                print(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        return 1 if failed else 0


def main() -> None:
    args = parse_args()
    # A SIGTERM to the benchmark unwinds like Ctrl-C, so the servers and the fake are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(run(args))
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
