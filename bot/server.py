"""Serving the bot: HTTP (Starlette on uvicorn) or Socket Mode.

Bolt's own development server is not for production, and its Starlette adapter runs the sync
app on the event loop; here each request is dispatched on a worker thread, so a slow listener
never holds up another request's ack.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial

import anyio.to_thread
import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.context import BoltContext
from slack_bolt.request.internals import build_context
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.assembly import Bot
from bot.config import SetupError
from bot.edge import Malformed, check_shape, read_body, refusal_log, verified
from bot.logs import slack_library_logger
from bot.metrics import CONTENT_TYPE
from bot.storage.db import check_writable

log = logging.getLogger(__name__)

# Slack's payloads are small; anything this large is not from Slack.
MAX_BODY_BYTES = 1_000_000
REQUEST_THREADS = 100


def operator_routes(*, health: Callable[[], None], metrics: Callable[[], bytes] | None) -> list[Route]:
    """`GET /healthz`: 200 while `health` passes (the bot writes to its database there), else
    503; `GET /metrics`: Prometheus' text format."""

    async def healthz(_: Request) -> Response:
        try:
            await run_in_threadpool(health)
        except Exception as error:  # any failure to write the database is "unhealthy"
            log.warning("health check failed: %s", type(error).__name__)
            return JSONResponse({"ok": False, "database": "not writable"}, status_code=503)
        return JSONResponse({"ok": True})

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if metrics is not None:

        async def exposition(_: Request) -> Response:
            return Response(await run_in_threadpool(metrics), media_type=CONTENT_TYPE)

        routes.append(Route("/metrics", exposition, methods=["GET"]))
    return routes


def create_asgi(
    bolt_app: App,
    *,
    signing_secret: str,
    now: Callable[[], float] = time.time,
    health: Callable[[], None] = lambda: None,
    metrics: Callable[[], bytes] | None = None,
    on_refused: Callable[[int], None] = lambda _status: None,
    on_start: Sequence[Callable[[], object]] = (),
    on_stop: Sequence[Callable[[], object]] = (),
) -> Starlette:
    """`POST /slack/events` for commands, interactivity and events alike, beside the operator's
    `/healthz` and `/metrics`.

    A request is verified here before bolt sees it (bot/edge.py): unsigned or stale is 401
    whatever the body, a signed payload not shaped as Slack sends it is 400. `now` is the wall
    clock Slack signs with, not the bot's injected clock."""

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            refusal_log.refused(413, "too large")
            on_refused(413)
            return PlainTextResponse("payload too large", status_code=413)
        if not verified(request.headers, body, signing_secret, now()):
            refusal_log.refused(401, "not signed by Slack, or stale")
            on_refused(401)
            return PlainTextResponse("invalid request", status_code=401)
        try:
            parsed = read_body(body.decode("utf-8"), request.headers.get("content-type"))
            check_shape(parsed)
            bolt_request = to_bolt_request(request, body)
        except Malformed as malformed:
            refusal_log.refused(400, f"malformed: {malformed}")
            on_refused(400)
            return PlainTextResponse("malformed payload", status_code=400)
        except (ValueError, RecursionError):  # not UTF-8, not JSON, numbers too long to read
            refusal_log.refused(400, "malformed: not readable")
            on_refused(400)
            return PlainTextResponse("malformed payload", status_code=400)
        if bolt_request.body != parsed:  # bolt misread a form mentioning "payload" (bot/edge.py)
            bolt_request.body = parsed
            bolt_request.context = build_context(BoltContext(), parsed)
        bolt_response = await run_in_threadpool(bolt_app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        for start in on_start:
            start()
        try:
            yield
        finally:
            for stop in on_stop:
                stop()
            log.info("stopped cleanly")

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            *operator_routes(health=health, metrics=metrics),
        ],
        lifespan=lifespan,
    )


def bot_asgi(bot: Bot, *, run_scheduler: bool = True) -> Starlette:
    starts = [bot.scheduler.start] if run_scheduler else []
    stops = [partial(bot.scheduler.shutdown, wait=True)] if run_scheduler else []
    secret = bot.settings.slack_signing_secret
    return create_asgi(
        bot.app,
        signing_secret=secret.get_secret_value() if secret else "",
        health=partial(check_writable, bot.engine),
        metrics=bot.metrics.exposition,
        on_refused=bot.metrics.refused,
        on_start=starts,
        on_stop=[*stops, bot.engine.dispose],
    )


def settle_heap() -> None:
    """What is built at start lives as long as the process. Freezing it keeps it out of the
    garbage collector's full passes, which otherwise stall every request in flight for 30-50 ms."""
    gc.collect()
    gc.freeze()


def run_http(asgi: Starlette, *, listener: socket.socket) -> None:
    """uvicorn stops on SIGTERM/SIGINT by finishing open requests, then runs the lifespan exit."""
    host, port = listener.getsockname()[:2]
    log.info("serving HTTP on %s port %d at /slack/events, /healthz and /metrics", host, port)
    settle_heap()
    server = uvicorn.Server(
        uvicorn.Config(asgi, log_config=None, log_level="warning", access_log=False, lifespan="on")
    )
    server.run(sockets=[listener])


def announce_database(bot: Bot) -> None:
    log.info("database %s", bot.engine.url.render_as_string(hide_password=True))


def serve_http(bot: Bot) -> None:
    listener = bind_port(bot.settings.host, bot.settings.port, "PORT")
    announce_database(bot)
    run_http(bot_asgi(bot), listener=listener)


def health_server(bot: Bot) -> uvicorn.Server:
    """Socket Mode has no HTTP endpoint of its own: `/healthz` and `/metrics` get one on HEALTH_PORT."""
    asgi = Starlette(
        routes=operator_routes(health=partial(check_writable, bot.engine), metrics=bot.metrics.exposition)
    )
    return uvicorn.Server(
        uvicorn.Config(asgi, log_config=None, log_level="warning", access_log=False, lifespan="off")
    )


def bind_port(host: str, port: int, variable: str) -> socket.socket:
    """The port, bound before anything starts: taken or not allowed is a setup mistake."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise SetupError(
            f"{variable} {port} on HOST {host} cannot be used ({error.strerror}): choose a free port, "
            "or another HOST."
        ) from None
    return listener


def serve_socket_mode(bot: Bot) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handler = SocketModeHandler(
        bot.app,
        bot.settings.slack_app_token.get_secret_value(),
        logger=slack_library_logger(),
        web_client=bot.app.client,
    )
    health = health_server(bot) if bot.settings.health_port else None
    if health is not None:
        listener = bind_port(bot.settings.host, bot.settings.health_port, "HEALTH_PORT")
        # Off the main thread uvicorn leaves the signals alone: the main thread waits on `stop`.
        threading.Thread(
            target=health.run, kwargs={"sockets": [listener]}, name="health", daemon=True
        ).start()
        log.info("serving /healthz and /metrics on %s port %d", bot.settings.host, bot.settings.health_port)
    announce_database(bot)
    bot.scheduler.start()
    settle_heap()
    handler.connect()
    log.info("Socket Mode started; the connection to Slack keeps itself open")
    stop.wait()
    handler.close()
    if health is not None:
        health.should_exit = True
    bot.scheduler.shutdown(wait=True)
    bot.engine.dispose()
    log.info("stopped cleanly")
