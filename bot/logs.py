"""Logging that never carries coaching text.

slack_sdk logs whole request and response bodies at DEBUG, and bolt logs the body of a request
whose signature fails at INFO. Both are handed one logger pinned at WARNING, so turning on
DEBUG for the process (or the root logger) cannot bring reflection text into the logs.
Our own modules log ids and counts, never answers.
"""

from __future__ import annotations

import logging

SLACK_LOGGER = "coachbot.slack"


def slack_library_logger() -> logging.Logger:
    logger = logging.getLogger(SLACK_LOGGER)
    logger.setLevel(logging.WARNING)
    return logger


def configure(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    slack_library_logger()
