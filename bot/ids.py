"""Every callback_id, action_id and block_id the bot puts in Slack, in one place.

Slack hands these back in payloads; a listener matches on them, so a typo here would be a
silently dead button. Values carry ids only: state lives in the database.
"""

from __future__ import annotations

from enum import StrEnum

COMMAND = "/coach"


class CallbackId(StrEnum):
    PROTOCOL_PAGE = "protocol_page"
    PROTOCOL_SUMMARY = "protocol_summary"


class ActionId(StrEnum):
    # The single element inside a step's input block; the block id names the step.
    ANSWER = "answer"
    START_PROTOCOL = "start_protocol"
    RESUME_RUN = "resume_run"


STEP_BLOCK_PREFIX = "step:"


def step_block_id(step_id: str) -> str:
    return f"{STEP_BLOCK_PREFIX}{step_id}"


def step_of_block(block_id: str) -> str | None:
    return block_id.removeprefix(STEP_BLOCK_PREFIX) if block_id.startswith(STEP_BLOCK_PREFIX) else None
