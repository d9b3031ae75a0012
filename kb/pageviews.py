"""Page views: one row per article and day, counted in batches.

Editors need "how often was this read", not who read it, so there is no
per-visit log: nothing to prune, nothing personal, and a row count that grows
with articles times days, never with traffic. Each worker adds views up in
memory and writes them every KB_VIEW_FLUSH_SECONDS in one transaction: a
write per page view would put every article page behind the database's
write lock. Counting is best effort: a locked or unreachable database, or a
worker killed between two writes, loses a few views, never a shopper's page.
Crawlers, link checkers and editors signed in to insights are not shoppers:
their reads are not counted.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import threading
import time
from collections import Counter

import sqlalchemy as sa
from flask import Flask, current_app, request
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import db, write_transaction
from kb.feedback.models import LANGUAGE_CHARS, SLUG_CHARS

log = logging.getLogger(__name__)


class PageView(db.Model):
    __tablename__ = "page_views"

    article_slug: Mapped[str] = mapped_column(sa.String(SLUG_CHARS), primary_key=True)
    # The language the article was read in; a translation may share its original's slug.
    language: Mapped[str] = mapped_column(sa.String(LANGUAGE_CHARS), primary_key=True, server_default="en")
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True, index=True)  # UTC
    views: Mapped[int] = mapped_column(sa.Integer)


COLUMNS = ("article_slug", "language", "day", "views")


@functools.cache
def _add_views(dialect: str) -> sa.Insert:
    """The upsert of a batch, built once per database kind: building it costs more than running it.

    On PostgreSQL the batch goes as one array per column in one statement: at
    20,000 articles a batch holds the views of about 2,000 of them, and sent
    as that many rows it took the worker 30-40 ms of CPU and the server as
    long again. SQLite, in the worker's own process, takes the rows as they are.
    """
    table = PageView.__table__
    if dialect == "postgresql":
        arrays = [sa.bindparam(name, type_=postgresql.ARRAY(table.c[name].type)) for name in COLUMNS]
        batch = sa.func.unnest(*arrays).table_valued(*COLUMNS).render_derived()
        insert = postgresql.insert(table).from_select(COLUMNS, sa.select(*(batch.c[name] for name in COLUMNS)))
    else:
        insert = sqlite.insert(table).values({name: sa.bindparam(name) for name in COLUMNS})
    return insert.on_conflict_do_update(index_elements=[table.c.article_slug, table.c.language, table.c.day],
                                        set_={"views": table.c.views + insert.excluded.views})


class ViewCounter:
    """This worker's views not yet written, and when they were last written."""

    def __init__(self, flush_seconds: float):
        self.flush_seconds = flush_seconds
        self.pending: Counter[tuple[str, str, dt.date]] = Counter()
        self.last_flush = time.monotonic()
        self.lock = threading.Lock()

    def add(self, article_slug: str, language: str = "en") -> bool:
        """Count one view; True when it is time to write."""
        with self.lock:
            self.pending[article_slug, language, dt.datetime.now(dt.timezone.utc).date()] += 1
            return time.monotonic() - self.last_flush >= self.flush_seconds

    def stagger(self, share: float) -> None:
        """Start this worker's clock now, ``share`` of an interval ahead, so the node's workers write in turn.

        Forked together, the workers would otherwise write at the same moment
        every time: at 20,000 articles on PostgreSQL each write (views of about
        2,000 articles) held its worker 70-85 ms, both workers at once, and
        every shopper meanwhile waited for one of them.
        """
        with self.lock:
            self.last_flush = time.monotonic() - share * self.flush_seconds

    def take(self) -> Counter[tuple[str, str, dt.date]]:
        with self.lock:
            taken, self.pending = self.pending, Counter()
            self.last_flush = time.monotonic()
            return taken


def _counter() -> ViewCounter:
    return current_app.extensions["kb.views"]


# Robots name themselves in their User-Agent; shoppers' browsers never say any of these.
NOT_A_SHOPPER = re.compile(r"bot\b|bot/|crawl|spider|slurp|facebookexternalhit|preview|monitor|curl/|wget/|"
                           r"python-requests|python-urllib|httpclient|go-http-client", re.IGNORECASE)


def is_robot() -> bool:
    """Whether this request comes from a crawler, a link checker or a script rather than a shopper's browser."""
    return bool(NOT_A_SHOPPER.search(request.headers.get("User-Agent", "")))


def count_view(article_slug: str, language: str = "en") -> None:
    """Add one view of the article today (UTC) in ``language``, written with the others when due."""
    if _counter().add(article_slug, language):
        flush_views()


def flush_views() -> None:
    """Write this worker's pending views; a database error is logged and swallowed.

    On PostgreSQL the commit does not wait for the disk (``synchronous_commit``
    off, for this transaction only): a crash can lose only the last few views,
    never a vote.
    """
    views = _counter().take()
    if not views:
        return
    # In key order: two workers updating the same rows in different orders would deadlock on PostgreSQL,
    # which notices only after its deadlock_timeout (1 s), holding both workers' shoppers meanwhile.
    rows = [(*key, count) for key, count in sorted(views.items())]
    try:
        with write_transaction() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
                batch = {name: list(column) for name, column in zip(COLUMNS, zip(*rows))}
            else:
                batch = [dict(zip(COLUMNS, row)) for row in rows]
            connection.execute(_add_views(connection.dialect.name), batch)
    except sa.exc.SQLAlchemyError as error:
        log.warning("%d page views not counted (%s): %s", sum(views.values()), type(error).__name__, error)


def init_app(app: Flask) -> None:
    app.extensions["kb.views"] = ViewCounter(app.config["KB_VIEW_FLUSH_SECONDS"])
