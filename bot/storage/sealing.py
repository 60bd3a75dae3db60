"""Checking the keys against the database at start, and rewriting every sealed column.

These read and write the stored value itself (`type_coerce` to a plain string skips SealedText),
so a rewrite sees which values are plain, which are sealed with an older key, and which are
already sealed with the newest one.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Engine

from bot.config import SetupError
from bot.storage.crypto import PREFIX, KeyProblem, is_sealed, keyring_of, sealed_columns
from bot.storage.models import metadata

README_KEYS = "README.md, section 'Encryption at rest'"
BATCH = 500


def _raw(column: sa.Column) -> sa.ColumnElement:
    return sa.type_coerce(column, sa.String())


def check_keys(engine: Engine) -> None:
    """A SetupError, before the bot serves anyone, if the database holds sealed text that the
    configured keys cannot open: one sample per column, enough to catch a missing or wrong key."""
    keyring = keyring_of(engine.dialect)
    with engine.connect() as connection:
        for sealed in sealed_columns(metadata):
            sample = connection.execute(
                sa.select(_raw(sealed.column)).where(_raw(sealed.column).like(f"{PREFIX}%")).limit(1)
            ).scalar()
            if sample is None:
                continue
            if keyring is None:
                raise SetupError(
                    "the database holds encrypted text and ENCRYPTION_KEY is not set: set it to the "
                    f"key(s) the text was written with; see {README_KEYS}."
                )
            try:
                keyring.open(sample)
            except KeyProblem:
                raise SetupError(
                    "ENCRYPTION_KEY does not open the database's encrypted text (it was written with "
                    f"another key): list the old key after the new one; see {README_KEYS}."
                ) from None


@dataclass(frozen=True)
class Rewritten:
    table: str
    column: str
    sealed: int  # plain text that is now encrypted
    rotated: int  # encrypted with an older key, now with the newest
    current: int  # already encrypted with the newest key


def rewrite(engine: Engine) -> list[Rewritten]:
    """Seal every free-text value with the newest key: plain text written before encryption was
    turned on, and text sealed with an older key. Batches commit as they go, so a rewrite can be
    stopped and run again; each update is compare-and-set on the value it read, so a value the
    running bot changes meanwhile (already with the newest key) is left as the bot wrote it."""
    keyring = keyring_of(engine.dialect)
    if keyring is None:
        raise SetupError(f"ENCRYPTION_KEY is not set: there is no key to encrypt with; see {README_KEYS}.")
    report = []
    for sealed in sealed_columns(metadata):
        (key,) = sealed.table.primary_key.columns
        counts = {"sealed": 0, "rotated": 0, "current": 0}
        last = None
        while True:
            query = sa.select(key, _raw(sealed.column)).where(sealed.column.is_not(None))
            if last is not None:
                query = query.where(key > last)
            with engine.begin() as connection:
                rows = connection.execute(query.order_by(key).limit(BATCH)).all()
                for row_key, stored in rows:
                    if not is_sealed(stored):
                        new, counted = keyring.seal(stored), "sealed"
                    elif keyring.is_current(stored):
                        counts["current"] += 1
                        continue
                    else:
                        new, counted = keyring.seal(keyring.open(stored)), "rotated"
                    connection.execute(
                        sa.update(sealed.table)
                        .where(key == row_key, _raw(sealed.column) == stored)
                        .values({sealed.column.name: sa.type_coerce(new, sa.String())})
                    )
                    counts[counted] += 1
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
        report.append(Rewritten(sealed.table.name, sealed.column.name, **counts))
    return report
