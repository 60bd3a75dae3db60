"""`coachbot protocols validate` and `show` on a protocol's other languages: a missing field is
named by its path, text for ids the English lacks and Slack's limits are checked per language."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.protocols.catalog import Catalog, InvalidProtocol

ENGLISH = """\
id: mine
version: 1
title: My check
purpose: A small protocol to test languages.
audience: [coach]
minutes: 5
sources:
  - credit: The project
    work: Its own words
pages:
  - id: only
    title: The one page
    intro: Read this first.
    steps:
      - id: feeling
        prompt: How is it going?
        help: Say it plainly.
        input: single_choice
        options:
          - value: "yes"
            label: Well
          - value: "no"
            label: Not well
      - id: notes
        prompt: Anything else?
        input: long_text
        required: false
        placeholder: e.g. a detail
summary: |
  *{{ protocol.title }}*
  • *Going:* {{ answers.feeling }}
  {% if answers.get('notes') %}
  • *Notes:* {{ answers.notes }}
  {% endif %}
"""

SPANISH = """\
translations:
  # The Spanish is the project's own paraphrase, as the English is.
  es:
    title: Mi revisión
    purpose: Un protocolo pequeño para probar idiomas.
    summary: |
      *{{ protocol.title }}*
      • *Cómo va:* {{ answers.feeling }}
      {% if answers.get('notes') %}
      • *Notas:* {{ answers.notes }}
      {% endif %}
    pages:
      only:
        title: La única página
        intro: Lea esto primero.
        steps:
          feeling:
            prompt: ¿Cómo va?
            help: Dígalo con sencillez.
            options:
              "yes": Bien
              "no": No muy bien
          notes:
            prompt: ¿Algo más?
            placeholder: p. ej., un detalle
"""


def validate(tmp_path: Path, text: str, *flags: str):
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["protocols", "validate", *flags, str(path)], catch_exceptions=False)
    return path, result


def test_a_complete_language_validates_and_names_its_languages(tmp_path: Path):
    path, result = validate(tmp_path, ENGLISH + SPANISH)
    assert result.exit_code == 0, result.output
    assert f"{path}: OK (en, es)" in result.output


def test_every_missing_spanish_field_is_reported_by_its_path_and_fails(tmp_path: Path):
    text = ENGLISH + SPANISH.replace("            placeholder: p. ej., un detalle\n", "").replace(
        '              "no": No muy bien\n', ""
    )
    path, result = validate(tmp_path, text)
    assert result.exit_code == 1
    assert f"{path}: es: pages.only.steps.notes.placeholder: missing" in result.output
    assert f"{path}: es: pages.only.steps.feeling.options.no: missing" in result.output
    assert "OK" not in result.output


def test_partial_makes_missing_text_a_warning_but_still_lists_it(tmp_path: Path):
    text = ENGLISH + SPANISH.replace("        intro: Lea esto primero.\n", "")
    path, result = validate(tmp_path, text, "--partial")
    assert result.exit_code == 0
    assert f"{path}: es: pages.only.intro: missing, a warning" in result.output


def test_require_fails_a_protocol_without_that_language(tmp_path: Path):
    path, result = validate(tmp_path, ENGLISH, "--require", "es")
    assert result.exit_code == 1
    assert f"{path}: es: has no text in this language" in result.output
    assert validate(tmp_path, ENGLISH + SPANISH, "--require", "es")[1].exit_code == 0


def test_text_for_ids_or_fields_the_english_lacks_is_an_error(tmp_path: Path):
    extra = "          note:\n            prompt: ¿Un error?\n          notes:\n            help: No.\n"
    maybe = '"no": No muy bien\n              maybe: Quizás'
    text = ENGLISH + SPANISH.replace("          notes:\n", extra).replace('"no": No muy bien', maybe)
    path, result = validate(tmp_path, text)
    assert result.exit_code == 1
    assert f"{path}: es: pages.only.steps.note: is not in the English protocol" in result.output
    assert f"{path}: es: pages.only.steps.notes.help: is not in the English protocol" in result.output
    assert f"{path}: es: pages.only.steps.feeling.options.maybe: is not in the English" in result.output


def test_a_misspelled_field_in_a_translation_is_an_error(tmp_path: Path):
    text = ENGLISH + SPANISH.replace("placeholder: p. ej.", "placehold: p. ej.")
    path, result = validate(tmp_path, text)
    assert result.exit_code == 1
    assert f"{path}: translations.es.pages.only.steps.notes.placehold: Extra inputs" in result.output


def test_slacks_limits_apply_to_each_language(tmp_path: Path):
    long_title = "Mi revisión semanal de la meta"  # 30 characters: more than a modal title's 24
    label = "Bien " * 16  # 80 characters: more than an option's 75
    text = ENGLISH + SPANISH.replace("title: Mi revisión", f"title: {long_title}").replace(
        '"yes": Bien', f'"yes": {label}'
    )
    path, result = validate(tmp_path, text)
    assert result.exit_code == 1
    assert f"{path}: es: title: String should have at most 24 characters" in result.output
    assert f"{path}: es: pages.only.steps.feeling.options.yes: String should have at most 75" in result.output


def test_a_spanish_summary_that_uses_an_optional_answer_unguarded_is_an_error(tmp_path: Path):
    text = ENGLISH + SPANISH.replace("      {% if answers.get('notes') %}\n", "", 1).replace(
        "      • *Notas:* {{ answers.notes }}\n      {% endif %}\n", "      • *Notas:* {{ answers.notes }}\n"
    )
    path, result = validate(tmp_path, text)
    assert result.exit_code == 1
    assert f"{path}: es: summary: " in result.output and "notes" in result.output


def test_english_is_not_a_translation(tmp_path: Path):
    _, result = validate(tmp_path, ENGLISH + SPANISH.replace("  es:\n", "  en:\n"))
    assert result.exit_code == 1
    assert "English is the protocol's own text" in result.output


def test_show_prints_a_protocol_in_another_language(tmp_path: Path):
    (tmp_path / "mine.yaml").write_text(ENGLISH + SPANISH, encoding="utf-8")
    env = {"PROTOCOLS_DIR": str(tmp_path)}
    shown = CliRunner().invoke(main, ["protocols", "show", "mine", "--language", "es"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "Mi revisión (mine v1" in shown.output
    assert "Page 1: La única página" in shown.output and "¿Cómo va?" in shown.output
    assert "no: No muy bien" in shown.output
    english = CliRunner().invoke(main, ["protocols", "show", "mine"], env=env)
    assert "My check (mine v1" in english.output and "¿Cómo va?" not in english.output
    missing = CliRunner().invoke(main, ["protocols", "show", "mine", "--language", "fr"], env=env)
    assert missing.exit_code == 1 and "has no 'fr' text; it has: en, es" in missing.output


def test_a_protocols_dir_protocol_missing_spanish_fails_validation_but_still_serves(tmp_path: Path):
    """Missing text is the author's to finish (validate fails, naming it); a bot still starts
    and shows English in its place. Text that would break Slack stops the start instead."""
    (tmp_path / "mine.yaml").write_text(ENGLISH + SPANISH.replace("        intro: Lea esto primero.\n", ""))
    result = CliRunner().invoke(main, ["protocols", "validate"], env={"PROTOCOLS_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert f"{tmp_path / 'mine.yaml'}: es: pages.only.intro: missing" in result.output
    spanish = Catalog.installed(tmp_path).get("mine").in_language("es")
    assert spanish.pages[0].intro == "Read this first." and spanish.pages[0].title == "La única página"

    (tmp_path / "mine.yaml").write_text(ENGLISH + SPANISH.replace("title: Mi revisión", "title: " + "x" * 25))
    with pytest.raises(InvalidProtocol, match="es: title: String should have at most 24"):
        Catalog.installed(tmp_path)


def test_a_language_the_bot_does_not_speak_is_a_warning(tmp_path: Path):
    path, result = validate(tmp_path, ENGLISH + SPANISH.replace("  es:\n", "  xq:\n"))
    assert result.exit_code == 0
    assert f"{path}: xq: a warning: the bot has no xq catalog" in result.output
    assert f"{path}: OK (en, xq)" in result.output
