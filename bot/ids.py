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
    CLIENT_FORM = "client_form"
    CLIENT_RECORD = "client_record"
    RUN_DETAIL = "run_detail"
    EDIT_ANSWER = "edit_answer"
    SHARE_TO_CHANNEL = "share_to_channel"
    CHECKIN_FORM = "checkin_form"
    SCHEDULE_FORM = "schedule_form"
    ROUND_FRAME = "round_frame"
    ROUND_RESTATE = "round_restate"
    ROUND_PICKS = "round_picks"
    ROUND_SCHEDULE = "round_schedule"
    # The message shortcut a member uses on their own reply in a round's thread.
    WITHDRAW_REPLY = "withdraw_round_reply"
    # `/coach my data`: what is held, and the confirmation of an erasure (about the submitter
    # alone: neither carries an id).
    MY_DATA = "my_data"
    ERASE_MY_DATA = "erase_my_data"
    # `/coach client remove`: its private_metadata names the client, checked against the coach.
    REMOVE_CLIENT = "remove_client"


class ActionId(StrEnum):
    # The single element inside a step's input block; the block id names the step.
    ANSWER = "answer"
    # The element inside a form's input block (client form, share form); the block id names it.
    FIELD = "field"
    # A protocol chosen from a select (the Home's, `/coach help`'s): the option's value is its id.
    START_PROTOCOL = "start_protocol"
    # A protocol about a client, from a button or a select: pair(protocol id, client id).
    START_ABOUT = "start_about"
    CLIENT_CHECKINS = "client_checkins"
    # Every client in a window, each with Open (or, from `/coach help`'s Check-ins, with Check-ins).
    ALL_CLIENTS = "all_clients"
    CHECKINS_LIST = "checkins_list"
    SHOW_HISTORY = "show_history"
    RESUME_RUN = "resume_run"
    # A page's Back button: the page it is on is kept, the one before shown.
    BACK_PAGE = "back_page"
    OPEN_CLIENT = "open_client"
    SET_PHASE = "set_phase"
    VIEW_RUN = "view_run"
    EDIT_ANSWER = "edit_answer"
    SHARE_CHANNEL = "share_channel"
    SHARE_CLIENT = "share_client"
    WITHDRAW_SHARE = "withdraw_share"
    EXPORT_RUN = "export_run"
    DELETE_RUN = "delete_run"
    # Rating buttons are "checkin_rate:<n>", one action id per number (Slack wants them unique).
    CHECKIN_RATE = "checkin_rate"
    CHECKIN_ANSWER = "checkin_answer"
    CHECKIN_LATER = "checkin_later"
    SET_UP_CHECKINS = "set_up_checkins"
    # Round buttons carry pair(round id, the phase the clicker saw), so a stale click moves nothing.
    ROUND_NEXT = "round_next"
    ROUND_END = "round_end"
    ROUND_RESTATE = "round_restate"
    # Tag buttons are "round_tag:<word>", one per kind of feedback; the value is the reply's id.
    ROUND_TAG = "round_tag"
    ROUND_REMINDERS = "round_reminders"
    ROUND_PICK = "round_pick"
    ROUND_FRAME_INVITED = "round_frame_invited"
    EXPORT_MY_DATA = "export_my_data"
    ERASE_MY_DATA = "erase_my_data"
    PROGRAM_CSV = "program_csv"


class BlockId(StrEnum):
    CLIENT_LEADER = "client_leader"
    CLIENT_ORGANIZATION = "client_organization"
    CLIENT_DOMAIN = "client_domain"
    CLIENT_LANGUAGE = "client_language"
    SHARE_CHANNEL = "share_channel"
    PHASE = "phase"
    SCHEDULE_GOAL = "schedule_goal"
    SCHEDULE_NEW_GOAL = "schedule_new_goal"
    SCHEDULE_CADENCE = "schedule_cadence"
    SCHEDULE_WEEKDAYS = "schedule_weekdays"
    SCHEDULE_TIME = "schedule_time"
    SCHEDULE_FIRST = "schedule_first"
    SCHEDULE_END = "schedule_end"
    SCHEDULE_REMINDER = "schedule_reminder"
    ROUND_MODE = "round_mode"
    ROUND_FACILITATOR = "round_facilitator"
    ROUND_FOCUS = "round_focus"
    ROUND_PICKS = "round_picks"
    ROUND_PROTOCOL = "round_protocol"
    ROUND_EVERY = "round_every"
    ROUND_FIRST = "round_first"
    ROUND_TIME = "round_time"
    ROUND_ROTATION = "round_rotation"
    ROUND_ASK_AHEAD = "round_ask_ahead"


def pair(first: str, second: str) -> str:
    """Two ids in one button value (a run and a step, a run and a share)."""
    return f"{first}:{second}"


def unpair(value: object) -> tuple[str, str] | None:
    if not isinstance(value, str) or value.count(":") != 1:
        return None
    first, second = value.split(":")
    return (first, second) if first and second else None


STEP_BLOCK_PREFIX = "step:"


def step_block_id(step_id: str) -> str:
    return f"{STEP_BLOCK_PREFIX}{step_id}"


def step_of_block(block_id: str) -> str | None:
    return block_id.removeprefix(STEP_BLOCK_PREFIX) if block_id.startswith(STEP_BLOCK_PREFIX) else None
