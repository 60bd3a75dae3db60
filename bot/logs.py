"""Logging that never carries coaching text.

slack_sdk logs whole request and response bodies at DEBUG, and bolt logs the body of a request
whose signature fails at INFO. Both are handed one logger pinned at WARNING, so turning on
DEBUG for the process (or the root logger) cannot bring reflection text into the logs.
Our own modules log ids and counts, never answers.

Libraries that log every routine step (APScheduler a line per job run, alembic a line per
migration context) are held at WARNING unless LOG_LEVEL is DEBUG: what they did is in our own
lines and in /metrics.

`LOG_FORMAT=json` writes one JSON object a line. A record's structured fields (passed as
`extra={"fields": {...}}`) become keys of that object, and `key=value` pairs in the text format.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

SLACK_LOGGER = "coachbot.slack"
ROUTINE_LOGGERS = ("apscheduler", "alembic")
# bolt reads SLACK_BOT_TOKEN from the environment by itself and, finding it next to the client we
# hand it (which carries that same token), warns that the token "will be unused". It is used.
MISLEADING = warning_client_prioritized_and_token_skipped()
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _DropMisleading(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != MISLEADING


def fields_of(record: logging.LogRecord) -> dict[str, object]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        pairs = "".join(f" {key}={value}" for key, value in fields_of(record).items())
        return super().formatMessage(record) + pairs


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **fields_of(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


_DROP_MISLEADING = _DropMisleading()


def slack_library_logger() -> logging.Logger:
    logger = logging.getLogger(SLACK_LOGGER)
    logger.setLevel(logging.WARNING)
    logger.addFilter(_DROP_MISLEADING)  # adding the same filter again is a no-op
    return logger


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure(level: int | str = logging.INFO, log_format: str = "text") -> None:
    """One handler on stderr for the whole process, at `level` (LOG_LEVEL) in `log_format`."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    slack_library_logger()
    for name in ROUTINE_LOGGERS:  # their routine lines are for debugging only
        logging.getLogger(name).setLevel(logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING)
