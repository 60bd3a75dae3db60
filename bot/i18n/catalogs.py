"""The message catalogs the bot speaks from: one Babel `.po` catalog per language under
bot/locale/<language>/LC_MESSAGES/, read as written.

The bot reads the `.po` files themselves (compiled in memory once per process) instead of
shipping compiled `.mo` files beside them: a translator edits one file, and there is no binary
that can fall out of step with it. English is the source language and has no catalog.
"""

from __future__ import annotations

import functools
import io
from importlib import resources
from importlib.resources.abc import Traversable

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SOURCE = "en"


def _locale_root() -> Traversable:
    return resources.files("bot") / "locale"


def _catalog_files(language: str) -> list[Traversable]:
    folder = _locale_root() / language / "LC_MESSAGES"
    if not folder.is_dir():
        return []
    return sorted((entry for entry in folder.iterdir() if entry.name.endswith(".po")), key=lambda e: e.name)


@functools.cache
def available() -> tuple[str, ...]:
    """English, then every language with a catalog, in name order."""
    root = _locale_root()
    found = sorted(entry.name for entry in root.iterdir() if entry.is_dir() and _catalog_files(entry.name))
    return (SOURCE, *(name for name in found if name != SOURCE))


def read(language: str) -> Catalog:
    """A language's catalog, every `.po` file of its folder in one (an area may keep its own file)."""
    merged = Catalog(locale=language)
    for entry in _catalog_files(language):
        with entry.open("rb") as handle:
            part = read_po(handle, locale=language)
        # The files' own Plural-Forms, not CLDR's: Babel's CLDR data gives Spanish three forms
        # (a "many" for millions) where the catalogs, like gettext, write two.
        merged.mime_headers = part.mime_headers
        for message in part:
            if message.id:
                merged[message.id] = message
        merged.plural_forms  # noqa: B018 - read so a bad header fails here, not mid-request
    return merged


@functools.cache
def translations(language: str) -> NullTranslations:
    """Fuzzy and empty entries are left out, so an unfinished translation falls back to English
    rather than showing a guess."""
    if language == SOURCE or language not in available():
        return NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, read(language), use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)
