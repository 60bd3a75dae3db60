"""The per-process scheduler: in memory and in UTC, never a shared persistent job store
(APScheduler 3 cannot share one between processes); jobs read what is due from the database."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler


@dataclass(frozen=True)
class IntervalJob:
    id: str
    func: Callable[[], object]
    seconds: float


def build_scheduler(
    jobs: list[IntervalJob], *, at_start: Mapping[str, Callable[[], object]] | None = None
) -> BackgroundScheduler:
    """`jobs` repeat every `seconds`; `at_start` run once as the scheduler starts (catching up on
    what happened while the process was down)."""
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    for job in jobs:
        scheduler.add_job(job.func, "interval", seconds=job.seconds, id=job.id, replace_existing=True)
    for job_id, func in (at_start or {}).items():
        scheduler.add_job(func, "date", id=job_id, replace_existing=True)
    return scheduler
