"""Rate limits counted in the app's database, so they hold across workers and nodes.

Why the database and not Flask-Limiter's memory storage or Redis: a counter
in process memory is per gunicorn worker (two workers would allow twice the
limit) and per node; Redis would be one more server to run for a help
center whose workers and nodes already share a database. It works the same
on SQLite and PostgreSQL. A row per (client, limit) holds the hits in the
current fixed window and when the window ends.

Two ways in:

- ``DatabaseStorage``, the storage behind ``kb.extensions.limiter``, for
  Flask-Limiter's decorators (the API uses them). Each hit is its own short
  write transaction.
- ``ClientLimit.hit(connection)``, counted inside the caller's own write
  transaction. Votes use it: on SQLite, with one writer at a time, a vote
  then takes the write lock once instead of twice, and a refused vote rolls
  back as a whole.
"""
from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass

import limits
import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import TooManyRequests

from kb.extensions import db, insert_on_conflict, write_transaction

STORAGE_URI = "kb-database://"
PRUNE_CHANCE = 0.01  # about one hit in a hundred also deletes windows that ended


class RateLimitCounter(db.Model):
    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(sa.Integer)
    expires_at: Mapped[float] = mapped_column(sa.Float, index=True)  # seconds since the epoch


@functools.cache
def _count_hits(dialect: str) -> sa.Insert:
    """The counter's upsert, built once per database kind: building it costs more than running it."""
    table = RateLimitCounter.__table__
    insert = insert_on_conflict(table, dialect)
    ended = table.c.expires_at <= sa.bindparam("now")
    return insert.values(key=sa.bindparam("key"), hits=sa.bindparam("amount"),
                         expires_at=sa.bindparam("window_end")).on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "hits": sa.case((ended, insert.excluded.hits), else_=table.c.hits + insert.excluded.hits),
            "expires_at": sa.case((ended, insert.excluded.expires_at), else_=table.c.expires_at),
        },
    ).returning(table.c.hits)


def count_hit(connection: sa.Connection, key: str, seconds: int, amount: int = 1) -> int:
    """Add ``amount`` hits to ``key``'s window (a new one when it ended) and return the hits in it."""
    now = time.time()
    hits = connection.execute(_count_hits(connection.dialect.name), {
        "key": key, "amount": amount, "now": now, "window_end": now + seconds,
    }).scalar_one()
    if random.random() < PRUNE_CHANCE:
        connection.execute(sa.delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
    return hits


class RateLimited(TooManyRequests):
    pass


@dataclass(frozen=True)
class ClientLimit:
    """At most ``rule`` (e.g. "20 per minute") hits from ``client`` in ``scope``."""

    scope: str
    client: str
    rule: str

    def hit(self, connection: sa.Connection) -> None:
        """Count one hit in the caller's write transaction; over the limit, raise RateLimited (429)."""
        item = _parse(self.rule)
        key = f"{self.scope}/{self.client}/{item.amount}/{item.multiples}/{item.GRANULARITY.name}"
        if count_hit(connection, key, item.get_expiry()) > item.amount:
            raise RateLimited()


@functools.lru_cache(maxsize=32)
def _parse(rule: str) -> limits.RateLimitItem:
    return limits.parse(rule)


class DatabaseStorage(Storage):
    """A ``limits`` storage on ``db.engine`` of the current app.

    The engine is looked up per call, not kept: Flask-Limiter's ``limiter`` is
    one object shared by every app in the process (tests build many).
    Each call runs in its own short transaction, apart from the request's session.
    """

    STORAGE_SCHEME = ["kb-database"]

    @property
    def base_exceptions(self):
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with write_transaction() as connection:
            return count_hit(connection, key, expiry, amount)

    def _row(self, key: str):
        with db.engine.connect() as connection:
            return connection.execute(
                sa.select(RateLimitCounter.hits, RateLimitCounter.expires_at)
                .where(RateLimitCounter.key == key, RateLimitCounter.expires_at > time.time())
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.hits if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True

    def reset(self) -> int | None:
        with write_transaction() as connection:
            return connection.execute(sa.delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with write_transaction() as connection:
            connection.execute(sa.delete(RateLimitCounter).where(RateLimitCounter.key == key))
