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
    table = EditorGeneration.__table__
    with write_transaction() as connection:
        insert = insert_on_conflict(table, connection.dialect.name).values(id=1, generation=1)
        connection.execute(insert.on_conflict_do_update(index_elements=[table.c.id],
                                                        set_={"generation": table.c.generation + 1}))


def _address_key(address: str) -> str:
    return f"address/{address}"


@dataclass(frozen=True)
class Attempt:
    """A login attempt as counted: refused while ``wait`` > 0, else counted as wrong until proved right."""

    wait: float  # seconds before this address may try again
    in_a_row: int = 0  # wrong passwords from this address, this attempt included
    in_all: int = 0  # wrong passwords from every address, this attempt included


def attempt(address: str) -> Attempt:
    """Refuse a try while this address or the account must wait; otherwise count it as a wrong password.

    Counted before the password is compared, in one transaction holding the
    address's and the account's rows, so guesses sent at once from many
    addresses still wait their turn (``forget_failures`` undoes the count
    when the password was right).
    """
    now = time.time()
    allowances = {_address_key(address): PER_ADDRESS, ACCOUNT: PER_ACCOUNT}
    table = LoginFailure.__table__
    with write_transaction() as connection:
        connection.execute(insert_on_conflict(table, connection.dialect.name).values(
            [{"key": key, "failures": 0, "last_failed_at": 0.0} for key in allowances]).on_conflict_do_nothing())
        rows = connection.execute(sa.select(table.c.key, table.c.failures, table.c.last_failed_at)
                                  .where(table.c.key.in_(allowances)).with_for_update()).all()
        failures = {key: 0 if now - last >= FORGET_AFTER else count for key, count, last in rows}
        wait = max(last + allowances[key].wait(failures[key]) - now for key, _count, last in rows)
        if wait > 0:
            return Attempt(wait)
        for key in allowances:
            connection.execute(sa.update(table).where(table.c.key == key)
                               .values(failures=failures[key] + 1, last_failed_at=now))
        if random.random() < PRUNE_CHANCE:
            connection.execute(sa.delete(table).where(table.c.last_failed_at < now - FORGET_AFTER))
    return Attempt(0.0, failures[_address_key(address)] + 1, failures[ACCOUNT] + 1)


def forget_failures(address: str) -> None:
    """The right password: this address and the account start afresh (this attempt's count included)."""
    with write_transaction() as connection:
        connection.execute(sa.delete(LoginFailure).where(LoginFailure.key.in_([_address_key(address), ACCOUNT])))

