"""Editors' logins kept on the server: which sessions still count, and how long a guesser must wait.

A signed cookie alone cannot be taken back: a copy saved before logging out
would open insights for as long as the password stays the same. So each
login records the *session generation* (a number kept in the database) in
the cookie, and logging out moves the generation on: every session made
before ends at once, on every node. Editors share one password, so they
share this one login.

Wrong passwords are counted per client address and for the editors' account
as a whole (guesses spread over many addresses), in the database so every
worker and node sees them. After a few failures in a row (``PER_ADDRESS``,
``PER_ACCOUNT``) the next try must wait, twice as long after each further
failure, up to ``LONGEST_WAIT``; a right password clears the address's and
the account's count. Failures are forgotten a day after the last one.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import db, insert_on_conflict, write_transaction

ACCOUNT = "account"  # the key counting every address's failures
FORGET_AFTER = 24 * 60 * 60
LONGEST_WAIT = 15 * 60
PRUNE_CHANCE = 0.01


@dataclass(frozen=True)
class Allowance:
    """Failures in a row before waits begin, then the first wait in seconds (doubling after each failure)."""

    free_tries: int
    first_wait: float

    def wait(self, failures: int) -> float:
        if failures < self.free_tries:
            return 0.0
        doublings = min(failures - self.free_tries, LONGEST_WAIT.bit_length())  # past it, the wait is the longest
        return min(LONGEST_WAIT, self.first_wait * 2 ** doublings)


PER_ADDRESS = Allowance(free_tries=3, first_wait=2)
PER_ACCOUNT = Allowance(free_tries=10, first_wait=2)  # more: editors in several places mistype too


class EditorGeneration(db.Model):
    """One row: the generation a session must carry to count (it moves on at each logout)."""

    __tablename__ = "editor_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(sa.Integer)


class LoginFailure(db.Model):
    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)  # "address/<address>" or "account"
    failures: Mapped[int] = mapped_column(sa.Integer)
    last_failed_at: Mapped[float] = mapped_column(sa.Float, index=True)  # seconds since the epoch


def current_generation() -> int:
    with db.engine.connect() as connection:
        return connection.execute(sa.select(EditorGeneration.generation)).scalar() or 0


def end_every_session() -> None:
    """Logging out: every session carrying the current generation (or an older one) stops counting."""
    with write_transaction() as connection:
        connection.execute(_upsert(connection.dialect.name, EditorGeneration.__table__, ["id"],
                                   {"id": 1, "generation": 1},
                                   {"generation": EditorGeneration.__table__.c.generation + 1}))


def _address_key(address: str) -> str:
    return f"address/{address}"


def seconds_to_wait(address: str) -> float:
    """How long this address must wait before its next try: the longer of its own wait and the account's."""
    now = time.time()
    with db.engine.connect() as connection:
        rows = connection.execute(sa.select(LoginFailure.key, LoginFailure.failures, LoginFailure.last_failed_at)
                                  .where(LoginFailure.key.in_([_address_key(address), ACCOUNT]))).all()
    waits = [0.0]
    for key, failures, last in rows:
        if now - last < FORGET_AFTER:
            allowance = PER_ACCOUNT if key == ACCOUNT else PER_ADDRESS
            waits.append(last + allowance.wait(failures) - now)
    return max(waits)


def count_failure(address: str) -> tuple[int, int]:
    """One more wrong password from ``address``; returns the failures in a row (this address's, the account's)."""
    now = time.time()
    table = LoginFailure.__table__
    counted = []
    with write_transaction() as connection:
        for key in (_address_key(address), ACCOUNT):
            forgotten = table.c.last_failed_at < now - FORGET_AFTER
            upsert = _upsert(connection.dialect.name, table, ["key"], {"key": key, "failures": 1, "last_failed_at": now},
                             {"failures": sa.case((forgotten, 1), else_=table.c.failures + 1), "last_failed_at": now})
            counted.append(connection.execute(upsert.returning(table.c.failures)).scalar_one())
        if random.random() < PRUNE_CHANCE:
            connection.execute(sa.delete(table).where(table.c.last_failed_at < now - FORGET_AFTER))
    return counted[0], counted[1]


def forget_failures(address: str) -> None:
    """The right password: this address and the account start afresh."""
    with write_transaction() as connection:
        connection.execute(sa.delete(LoginFailure).where(LoginFailure.key.in_([_address_key(address), ACCOUNT])))


def _upsert(dialect: str, table: sa.Table, keys: list[str], values: dict, changes: dict) -> sa.Insert:
    insert = insert_on_conflict(table, dialect).values(values)
    return insert.on_conflict_do_update(index_elements=[table.c[key] for key in keys], set_=changes)
