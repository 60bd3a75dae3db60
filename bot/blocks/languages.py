"""The words about languages: `/coach language`'s answers, and the client form's language select.

A language is named in itself ("English", "Español"), from Babel's CLDR data, so that someone
who cannot read the language the bot speaks now can still find their own.
"""

from __future__ import annotations

from babel import Locale

from bot import i18n
from bot.blocks.messages import Message, notice_message
from bot.blocks.text import option, plain
from bot.i18n import _
from bot.ids import ActionId, BlockId
from bot.services.languages import Reading

# The value of the client form's choice to follow the leader's own language.
FOLLOW_THEIRS = "slack"


def language_name(language: str) -> str:
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def _choices() -> str:
    return ", ".join(f"`{code}` ({language_name(code)})" for code in i18n.available())


def _reading_context(reading: Reading) -> dict[str, object]:
    return {
        "language": language_name(reading.language),
        "source": reading.source.value,
        "locale": reading.slack_locale or "",
        "choices": _choices(),
    }


def language_message(reading: Reading) -> Message:
    """Bare `/coach language`: what they read, what decided it, and how to change it."""
    return notice_message("language_current", **_reading_context(reading))


def language_set_message(reading: Reading) -> Message:
    """Said in the language just chosen."""
    return notice_message("language_set", **_reading_context(reading))


def language_unknown_message(typed: str) -> Message:
    return notice_message("language_unknown", typed=typed, choices=_choices())


def language_select(current: str | None) -> dict:
    """The client form's choice of the language their check-ins arrive in."""
    options = [option(FOLLOW_THEIRS, _("Same as their Slack"))]
    options += [option(code, language_name(code)) for code in i18n.available()]
    chosen = next((o for o in options if o["value"] == current), options[0])
    return {
        "type": "input",
        "block_id": BlockId.CLIENT_LANGUAGE,
        "optional": True,
        "label": plain(_("Language of their check-ins")),
        "element": {
            "type": "static_select",
            "action_id": ActionId.FIELD,
            "options": options,
            "initial_option": chosen,
        },
    }
