"""The per-process scheduler: in memory and in UTC, never a shared persistent job store
(APScheduler 3 cannot share one between processes); jobs read what is due from the database."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED


@dataclass(frozen=True)
class IntervalJob:
    id: str
    func: Callable[[], object]
    seconds: float


class _Scheduler(BackgroundScheduler):
    """APScheduler 3's BackgroundScheduler, whose thread survives a stop that comes as a one-off
    job finishes.

    After running a job that will not run again (the catch-up at start), the scheduler's thread
    removes it; `shutdown` marks the scheduler stopped without the thread's lock, and a stopped
    scheduler looks for the job among the not-yet-started ones, raises JobLookupError and kills
    its thread with a traceback (seen in the suite; APScheduler issue #104 is its twin, in
    update_job). The job is gone either way."""

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        try:
            super().remove_job(job_id, jobstore)
        except JobLookupError:
            if self.state != STATE_STOPPED:
                raise


def build_scheduler(
    jobs: list[IntervalJob], *, at_start: Mapping[str, Callable[[], object]] | None = None
) -> BackgroundScheduler:
    """`jobs` repeat every `seconds`; `at_start` run once as the scheduler starts (catching up on
    what happened while the process was down)."""
    scheduler = _Scheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    for job in jobs:
        scheduler.add_job(job.func, "interval", seconds=job.seconds, id=job.id, replace_existing=True)
    for job_id, func in (at_start or {}).items():
        scheduler.add_job(func, "date", id=job_id, replace_existing=True)
    return scheduler
