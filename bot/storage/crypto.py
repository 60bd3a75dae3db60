"""Encryption at rest of the free text coaches, leaders and members write.

A column typed `SealedText` is encrypted as it is written and decrypted as it is read, by the keys
attached to the engine's dialect (`seal_with`), so services and repository functions never see a
ciphertext. Keys live on the engine, not in a global, so two bots in one process (tests, a
rewrite next to a server) each use their own.

A sealed value is `PREFIX` + a Fernet token (AES-128-CBC with an HMAC-SHA256: authenticated, so a
wrong key or a changed byte is an error, never garbage). Values without the prefix are text
written before encryption was turned on; they read as they are until `coachbot keys rewrite`
seals them. Keys are given newest first: the first writes, all of them read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlmodel.sql.sqltypes import AutoString

PREFIX = "enc1:"
_ATTRIBUTE = "coachbot_keyring"


class KeyProblem(Exception):
    """Sealed text that these keys cannot open (no key, or none of the keys it was written with)."""


class Keyring:
    """The keys of ENCRYPTION_KEY, newest first."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("no key")
        self._newest = Fernet(keys[0])
        self._all = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def parse(cls, raw: str) -> Keyring:
        """Comma-separated keys; ValueError if any is not a key `coachbot keys new` could make."""
        return cls([part.strip() for part in raw.split(",") if part.strip()])

    def seal(self, text: str) -> str:
        return PREFIX + self._newest.encrypt(text.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._all.decrypt(sealed.removeprefix(PREFIX).encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise KeyProblem("none of the keys in ENCRYPTION_KEY opens this text") from None

    def is_current(self, sealed: str) -> bool:
        """Sealed with the newest key (nothing for a rotation to do)."""
        try:
            self._newest.decrypt(sealed.removeprefix(PREFIX).encode("ascii"))
        except InvalidToken:
            return False
        return True


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def seal_with(engine: Engine, keyring: Keyring | None) -> None:
    """Have every SealedText column read and written through this engine use these keys (None:
    write plain text, and refuse to read sealed text)."""
    setattr(engine.dialect, _ATTRIBUTE, keyring)


def keyring_of(dialect: Dialect) -> Keyring | None:
    return getattr(dialect, _ATTRIBUTE, None)


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


class SealedText(sa.types.TypeDecorator):
    """Free text, encrypted at rest when the engine has keys. Stored in an unbounded VARCHAR (the
    type these columns had), so turning encryption on changes no column type but a bounded one."""

    impl = AutoString
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        keyring = keyring_of(dialect)
        if value is None or keyring is None:
            return value
        return keyring.seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not is_sealed(value):
            return value
        keyring = keyring_of(dialect)
        if keyring is None:
            raise KeyProblem("this text is encrypted and ENCRYPTION_KEY is not set")
        return keyring.open(value)


@dataclass(frozen=True)
class SealedColumn:
    table: sa.Table
    column: sa.Column


def sealed_columns(metadata: sa.MetaData) -> Iterator[SealedColumn]:
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, SealedText):
                yield SealedColumn(table, column)
