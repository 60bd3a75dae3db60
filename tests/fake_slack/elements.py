"""Block Kit elements: buttons, selects, inputs, pickers, overflow menus and images.

Which elements a block may hold differs (an input takes no button, an actions block no text
input), so the element sets each block accepts are named here for blocks.py.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from tests.fake_slack.composition import Checker
from tests.fake_slack.wire import Json

_SELECT_COMMON = frozenset({"placeholder", "confirm", "focus_on_load"})
_TEXT_INPUT_COMMON = frozenset({"placeholder", "initial_value", "dispatch_action_config", "focus_on_load"})

# Keys each element may carry besides "type" and "action_id".
_ELEMENT_KEYS: dict[str, frozenset[str]] = {
    "button": frozenset({"text", "url", "value", "style", "confirm", "accessibility_label"}),
    "static_select": _SELECT_COMMON | {"options", "option_groups", "initial_option"},
    "multi_static_select": _SELECT_COMMON
    | {"options", "option_groups", "initial_options", "max_selected_items"},
    "external_select": _SELECT_COMMON | {"initial_option", "min_query_length"},
    "multi_external_select": _SELECT_COMMON | {"initial_options", "min_query_length", "max_selected_items"},
    "users_select": _SELECT_COMMON | {"initial_user"},
    "multi_users_select": _SELECT_COMMON | {"initial_users", "max_selected_items"},
    "conversations_select": _SELECT_COMMON
    | {"initial_conversation", "default_to_current_conversation", "response_url_enabled", "filter"},
    "multi_conversations_select": _SELECT_COMMON
    | {"initial_conversations", "default_to_current_conversation", "max_selected_items", "filter"},
    "channels_select": _SELECT_COMMON | {"initial_channel", "response_url_enabled"},
    "multi_channels_select": _SELECT_COMMON | {"initial_channels", "max_selected_items"},
    "plain_text_input": _TEXT_INPUT_COMMON | {"multiline", "min_length", "max_length"},
    "number_input": _TEXT_INPUT_COMMON | {"is_decimal_allowed", "min_value", "max_value"},
    "email_text_input": _TEXT_INPUT_COMMON,
    "url_text_input": _TEXT_INPUT_COMMON,
    "checkboxes": frozenset({"options", "initial_options", "confirm", "focus_on_load"}),
    "radio_buttons": frozenset({"options", "initial_option", "confirm", "focus_on_load"}),
    "datepicker": frozenset({"initial_date", "placeholder", "confirm", "focus_on_load"}),
    "timepicker": frozenset({"initial_time", "placeholder", "confirm", "focus_on_load", "timezone"}),
    "overflow": frozenset({"options", "confirm"}),
}

_SELECTS = frozenset(t for t in _ELEMENT_KEYS if t.endswith("_select"))
_INTERACTIVE = _SELECTS | {"button", "checkboxes", "radio_buttons", "datepicker", "timepicker", "overflow"}
ACCESSORY_TYPES = _INTERACTIVE | {"image"}
ACTIONS_TYPES = _INTERACTIVE
INPUT_TYPES = _SELECTS | {
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
}

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")


def _is_calendar_date(text: str) -> bool:
    if not _DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


class ElementChecker(Checker):
    """Checks one element at a time; each kind's own rules are in ``_el_<type>``."""

    def element(self, el: Any, ptr: str, allowed: frozenset[str], action_ids: set[str]) -> None:
        """A block element; ``action_ids`` collects ids already used in the enclosing block."""
        if not self.is_object(el, ptr):
            return
        kind = el.get("type")
        if kind is None:
            self.error(ptr, "missing required field: type")
            return
        if kind not in allowed:
            self.error(f"{ptr}/type", f"unsupported type: {kind}")
            return
        if kind == "image":
            self.image_element(el, ptr)
            return
        self.keys(el, _ELEMENT_KEYS[kind] | {"type", "action_id"}, ptr)
        if "action_id" in el and self.string(el["action_id"], f"{ptr}/action_id", min_len=1, max_len=255):
            if el["action_id"] in action_ids:
                self.error(f"{ptr}/action_id", f"duplicate action_id: {el['action_id']}")
            action_ids.add(el["action_id"])
        self._element_common(el, ptr)
        specific = getattr(self, f"_el_{kind}", None)
        if specific is not None:
            specific(el, ptr)

    def _element_common(self, el: Json, ptr: str) -> None:
        if "placeholder" in el:
            self.text(el["placeholder"], f"{ptr}/placeholder", max_len=150, plain_only=True)
        if "confirm" in el:
            self.confirm(el["confirm"], f"{ptr}/confirm")
        for key in ("focus_on_load", "default_to_current_conversation", "response_url_enabled"):
            if key in el:
                self.boolean(el[key], f"{ptr}/{key}")
        if "max_selected_items" in el:
            self.integer(el["max_selected_items"], f"{ptr}/max_selected_items", lo=1)
        if "min_query_length" in el:
            self.integer(el["min_query_length"], f"{ptr}/min_query_length", lo=0)
        if "filter" in el:
            self.is_object(el["filter"], f"{ptr}/filter")
        if "dispatch_action_config" in el:
            self._dispatch_action_config(el["dispatch_action_config"], f"{ptr}/dispatch_action_config")
        for key in ("initial_user", "initial_conversation", "initial_channel"):
            if key in el:
                self.string(el[key], f"{ptr}/{key}", min_len=1, max_len=255)
        for key in ("initial_users", "initial_conversations", "initial_channels"):
            if key in el:
                for i, item in enumerate(self.array(el[key], f"{ptr}/{key}") or []):
                    self.string(item, f"{ptr}/{key}/{i}", min_len=1, max_len=255)

    def _dispatch_action_config(self, value: Any, ptr: str) -> None:
        if not self.is_object(value, ptr):
            return
        self.keys(value, {"trigger_actions_on"}, ptr)
        for i, item in enumerate(
            self.array(value.get("trigger_actions_on", []), f"{ptr}/trigger_actions_on") or []
        ):
            if item not in ("on_enter_pressed", "on_character_entered"):
                self.error(
                    f"{ptr}/trigger_actions_on/{i}", "must be one of: on_enter_pressed, on_character_entered"
                )

    def image_element(self, el: Json, ptr: str) -> None:
        self.keys(el, {"type", "image_url", "alt_text", "slack_file"}, ptr, required=("alt_text",))
        self._image_source(el, ptr)
        if "alt_text" in el:
            self.string(el["alt_text"], f"{ptr}/alt_text", min_len=1, max_len=2000)

    def _image_source(self, obj: Json, ptr: str) -> None:
        if "image_url" not in obj and "slack_file" not in obj:
            self.error(ptr, "missing required field: image_url")
        if "image_url" in obj:
            self.string(obj["image_url"], f"{ptr}/image_url", min_len=1, max_len=3000)
        if "slack_file" in obj:
            self.is_object(obj["slack_file"], f"{ptr}/slack_file")

    def _el_button(self, el: Json, ptr: str) -> None:
        if "text" not in el:
            self.error(ptr, "missing required field: text")
        else:
            self.text(el["text"], f"{ptr}/text", max_len=75, plain_only=True)
        if "value" in el:
            self.string(el["value"], f"{ptr}/value", max_len=2000)
        if "url" in el:
            self.string(el["url"], f"{ptr}/url", min_len=1, max_len=3000)
        if "style" in el and el["style"] not in ("primary", "danger"):
            self.error(f"{ptr}/style", "must be one of: primary, danger")
        if "accessibility_label" in el:
            self.string(el["accessibility_label"], f"{ptr}/accessibility_label", min_len=1, max_len=75)

    def _static_options(self, el: Json, ptr: str) -> set[str]:
        """Options of a static select: exactly one of ``options`` or ``option_groups``."""
        has_options, has_groups = "options" in el, "option_groups" in el
        if has_options == has_groups:
            self.error(ptr, "must provide exactly one of: options, option_groups")
        if has_options:
            return self.options(el["options"], f"{ptr}/options", min_items=1, max_items=100)
        values: set[str] = set()
        if has_groups:
            groups = self.array(el["option_groups"], f"{ptr}/option_groups", min_items=1, max_items=100)
            for i, group in enumerate(groups or []):
                gptr = f"{ptr}/option_groups/{i}"
                if not self.is_object(group, gptr):
                    continue
                self.keys(group, {"label", "options"}, gptr, required=("label", "options"))
                if "label" in group:
                    self.text(group["label"], f"{gptr}/label", max_len=75, plain_only=True)
                if "options" in group:
                    values |= self.options(group["options"], f"{gptr}/options", min_items=1, max_items=100)
        return values

    def _el_static_select(self, el: Json, ptr: str) -> None:
        known = self._static_options(el, ptr)
        if "initial_option" in el:
            self.initial_option(el["initial_option"], f"{ptr}/initial_option", known)

    def _el_multi_static_select(self, el: Json, ptr: str) -> None:
        known = self._static_options(el, ptr)
        if "initial_options" in el:
            self.initial_options(el["initial_options"], f"{ptr}/initial_options", known)

    def _el_external_select(self, el: Json, ptr: str) -> None:
        if "initial_option" in el:
            self.initial_option(el["initial_option"], f"{ptr}/initial_option", None)

    def _el_multi_external_select(self, el: Json, ptr: str) -> None:
        if "initial_options" in el:
            self.initial_options(el["initial_options"], f"{ptr}/initial_options", None)

    def _el_checkboxes(self, el: Json, ptr: str) -> None:
        if "options" not in el:
            self.error(ptr, "missing required field: options")
            return
        known = self.options(el["options"], f"{ptr}/options", min_items=1, max_items=10, mrkdwn_ok=True)
        if "initial_options" in el:
            self.initial_options(el["initial_options"], f"{ptr}/initial_options", known, mrkdwn_ok=True)

    def _el_radio_buttons(self, el: Json, ptr: str) -> None:
        if "options" not in el:
            self.error(ptr, "missing required field: options")
            return
        known = self.options(el["options"], f"{ptr}/options", min_items=1, max_items=10, mrkdwn_ok=True)
        if "initial_option" in el:
            self.initial_option(el["initial_option"], f"{ptr}/initial_option", known, mrkdwn_ok=True)

    def _el_overflow(self, el: Json, ptr: str) -> None:
        if "options" not in el:
            self.error(ptr, "missing required field: options")
            return
        self.options(el["options"], f"{ptr}/options", min_items=2, max_items=5, url_ok=True)

    def _el_plain_text_input(self, el: Json, ptr: str) -> None:
        if "multiline" in el:
            self.boolean(el["multiline"], f"{ptr}/multiline")
        min_length = (
            self.integer(el["min_length"], f"{ptr}/min_length", lo=0, hi=3000) if "min_length" in el else None
        )
        max_length = (
            self.integer(el["max_length"], f"{ptr}/max_length", lo=1, hi=3000) if "max_length" in el else None
        )
        if min_length is not None and max_length is not None and min_length > max_length:
            self.error(f"{ptr}/min_length", "must be less than or equal to max_length")
        if "initial_value" in el:
            self.string(el["initial_value"], f"{ptr}/initial_value", max_len=max_length or 3000)

    def _el_number_input(self, el: Json, ptr: str) -> None:
        if "is_decimal_allowed" not in el:
            self.error(ptr, "missing required field: is_decimal_allowed")
        else:
            self.boolean(el["is_decimal_allowed"], f"{ptr}/is_decimal_allowed")
        for key in ("initial_value", "min_value", "max_value"):
            if key in el and self.string(el[key], f"{ptr}/{key}", min_len=1, max_len=64):
                if not _NUMBER_RE.match(el[key]):
                    self.error(f"{ptr}/{key}", "must be a number")
                elif "." in el[key] and el.get("is_decimal_allowed") is False:
                    self.error(f"{ptr}/{key}", "must be an integer when is_decimal_allowed is false")

    def _el_email_text_input(self, el: Json, ptr: str) -> None:
        if "initial_value" in el:
            self.string(el["initial_value"], f"{ptr}/initial_value", max_len=320)

    def _el_url_text_input(self, el: Json, ptr: str) -> None:
        if "initial_value" in el:
            self.string(el["initial_value"], f"{ptr}/initial_value", max_len=3000)

    def _el_datepicker(self, el: Json, ptr: str) -> None:
        if "initial_date" in el:
            initial, iptr = el["initial_date"], f"{ptr}/initial_date"
            if self.string(initial, iptr, min_len=1, max_len=10) and not _is_calendar_date(initial):
                self.error(iptr, "must be a date in the format YYYY-MM-DD")

    def _el_timepicker(self, el: Json, ptr: str) -> None:
        if "initial_time" in el:
            initial, iptr = el["initial_time"], f"{ptr}/initial_time"
            if self.string(initial, iptr, min_len=1, max_len=5) and not _TIME_RE.match(initial):
                self.error(iptr, "must be a time in the format HH:mm")
        if "timezone" in el:
            self.string(el["timezone"], f"{ptr}/timezone", min_len=1, max_len=255)
