"""The translation layer itself: the reader's language picks the words, an unknown language is
English, and a translated sentence escapes the user text put into it as any template does."""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2
import pytest

from bot import i18n, mrkdwn, prompts
from bot.i18n import dates
from bot.i18n import jinja as i18n_jinja


def test_the_same_template_speaks_the_readers_language() -> None:
    assert prompts.render("checkin_rate_hint") == "1 = not much progress yet · 5 = a lot"
    with i18n.speaking("es"):
        assert prompts.render("checkin_rate_hint") == "1 = poco avance todavía · 5 = mucho"
    # The cached render of a context-free template is per language, not the first one asked.
    assert prompts.render("checkin_rate_hint") == "1 = not much progress yet · 5 = a lot"


@pytest.mark.parametrize("language", [None, "", "xx", "EN"])
def test_a_language_the_bot_has_no_catalog_for_is_english(language: str | None) -> None:
    with i18n.speaking(language) as chosen:
        assert chosen == "en"
        assert prompts.render("checkin_rate_hint").startswith("1 = not much")


@pytest.mark.parametrize(
    ("tag", "language"),
    [("es-LA", "es"), ("es-ES", "es"), ("es_MX", "es"), ("en-US", "en"), ("pt-BR", None), (None, None)],
)
def test_slack_locales_map_to_the_languages_the_bot_speaks(tag: str | None, language: str | None) -> None:
    assert i18n.from_slack_locale(tag) == language


def _env() -> jinja2.Environment:
    env = jinja2.Environment(finalize=mrkdwn.escape, autoescape=False)
    i18n_jinja.install(env)
    return env


def test_user_text_in_a_translated_sentence_is_escaped_and_the_bots_markup_is_not() -> None:
    template = _env().from_string(
        "{% trans who=who, name=name %}Hello {{ name }}, from {{ who }}{% endtrans %}"
    )
    said = template.render(who=mrkdwn.mention("U0LEADER"), name="<!channel> & co")
    assert said == "Hello &lt;!channel&gt; &amp; co, from <@U0LEADER>"


def test_plurals_follow_the_count() -> None:
    template = _env().from_string(
        "{% trans count=n %}one check-in{% pluralize %}{{ count }} check-ins{% endtrans %}"
    )
    assert template.render(n=1) == "one check-in"
    assert template.render(n=3) == "3 check-ins"


def test_dates_are_written_in_the_readers_language() -> None:
    moment = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    assert dates.moment(moment, UTC) == "Dec 2, 2026, 3:30 PM"
    with i18n.speaking("es"):
        assert dates.moment(moment, UTC) == "2 dic 2026, 15:30"
        assert mrkdwn.date(moment).endswith("|2 dic 2026, 15:30 UTC>")
