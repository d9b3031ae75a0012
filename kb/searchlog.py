"""The search log: what shoppers searched for, how many answers they got, what happened next.

Editors read it to find questions the help center does not answer yet. A
query is stored normalized (collapsed spaces, lower case, at most 200
characters), never with anything that identifies the shopper.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import db, write_transaction
from kb.languages import current_language

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
MAX_CATEGORY_CHARS = 100


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class SearchLog(db.Model):
    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(sa.String(MAX_QUERY_CHARS))
    results: Mapped[int] = mapped_column(sa.Integer)
    category: Mapped[str | None] = mapped_column(sa.String(MAX_CATEGORY_CHARS))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    # What the shopper did next, e.g. "contacted" or "helped"; set later, so nullable.
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    # The language searched in (searches from before languages were English).
    language: Mapped[str] = mapped_column(sa.String(16), server_default="en")


def normalize_query(query: str) -> str:
    return " ".join(query.split()).lower()[:MAX_QUERY_CHARS]


def record_search(query: str, results: int, category: str | None = None, language: str | None = None) -> int | None:
    """Store one search and return its row id; a database error is logged and swallowed (None).

    Logging a search must never cost the shopper their results page, so a
    locked or unreachable database only loses this row. On PostgreSQL the
    commit does not wait for the disk (``synchronous_commit`` off, for this
    transaction only), as for page views: a crash can lose the last few
    searches, and the results page no longer waits for a flush.
    """
    row = {"query": normalize_query(query), "results": results,
           "category": category[:MAX_CATEGORY_CHARS] if category else None,
           "language": (language or current_language())[:16], "created_at": utcnow()}
    try:
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                return autocommit.execute(_insert_without_waiting(), row).scalar_one()
        with write_transaction() as connection:
            return connection.execute(sa.insert(SearchLog).returning(SearchLog.id), row).scalar_one()
    except sa.exc.SQLAlchemyError as error:
        log.warning("search not logged (%s): %s", type(error).__name__, error)
        return None


@functools.cache
def _insert_without_waiting() -> sa.Insert:
    """PostgreSQL: one statement, its own transaction, whose commit does not wait for the disk.

    A transaction that turns ``synchronous_commit`` off (``SET LOCAL``) and
    then inserts takes four round trips to the server (begin, set, insert,
    commit), and the worker waits through each: a millisecond of every
    search at 600 requests a second. Here the setting is made by the row's
    own SELECT, in a statement that commits by itself.
    """
    table = SearchLog.__table__
    columns = ("query", "results", "category", "language", "created_at")
    without_waiting = sa.select(sa.func.set_config("synchronous_commit", "off", True)).subquery()
    row = sa.select(*(sa.bindparam(name, type_=table.c[name].type) for name in columns)).select_from(without_waiting)
    return sa.insert(table).from_select(columns, row).returning(table.c.id)
