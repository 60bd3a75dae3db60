"""Replicas starting together on a fresh PostgreSQL database: each applies the migrations on
start, and they take turns under an advisory lock, so all of them come up on one schema."""

from __future__ import annotations

import multiprocessing

import psycopg
from sqlalchemy import inspect

from bot.storage.db import open_database, upgrade
from tests.conftest import _libpq, _with_database

REPLICAS = 3


def _replica(url: str, together, results) -> None:
    """One replica's start: open the database, wait for the others, migrate."""
    engine = open_database(url)
    together.wait()
    try:
        results.put(("applied", len(upgrade(engine))))
    except Exception as error:
        results.put(("failed", f"{type(error).__name__}: {error}".splitlines()[0]))
    finally:
        engine.dispose()


def test_three_replicas_migrating_a_fresh_database_at_once_all_come_up(postgres_server):
    admin_url = postgres_server.admin_url
    with psycopg.connect(_libpq(admin_url), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS fresh_replicas WITH (FORCE)")
        admin.execute("CREATE DATABASE fresh_replicas")
    url = _with_database(admin_url, "fresh_replicas")
    # Forked processes, as replicas are: alembic keeps its migration context per process.
    context = multiprocessing.get_context("fork")
    together, results = context.Barrier(REPLICAS), context.Queue()
    replicas = [context.Process(target=_replica, args=(url, together, results)) for _ in range(REPLICAS)]
    for replica in replicas:
        replica.start()
    outcomes = sorted(results.get(timeout=120) for _ in replicas)
    for replica in replicas:
        replica.join(timeout=30)
    # One replica applied every migration; the others, let in after it, found nothing to do.
    assert [kind for kind, _ in outcomes] == ["applied"] * REPLICAS, outcomes
    assert sorted(count for _, count in outcomes)[:-1] == [0] * (REPLICAS - 1)
    engine = open_database(url)
    assert "delivery" in inspect(engine).get_table_names()
    engine.dispose()
