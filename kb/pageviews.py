"""Page views: one row per article and day, counted up by one upsert per view.

Editors need "how often was this read", not who read it, so there is no
per-visit log: nothing to prune, nothing personal, and a row count that grows
with articles times days, never with traffic. Counting is best effort: a
locked or unreachable database loses the view, never the shopper's page.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import db, write_transaction
from kb.feedback.models import SLUG_CHARS

log = logging.getLogger(__name__)


class PageView(db.Model):
    __tablename__ = "page_views"

    article_slug: Mapped[str] = mapped_column(sa.String(SLUG_CHARS), primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True, index=True)  # UTC
    views: Mapped[int] = mapped_column(sa.Integer)


@functools.cache
def _count_view(dialect: str) -> sa.Insert:
    """The upsert, built once per database kind: building it costs more than running it."""
    table = PageView.__table__
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return insert.values(article_slug=sa.bindparam("slug"), day=sa.bindparam("day"), views=1).on_conflict_do_update(
        index_elements=[table.c.article_slug, table.c.day], set_={"views": table.c.views + 1})


def count_view(article_slug: str) -> None:
    """Add one view of the article today (UTC); a database error is logged and swallowed.

    About a millisecond per article page (bench: SQLite and PostgreSQL). On
    PostgreSQL the commit does not wait for the disk (``synchronous_commit``
    off, for this transaction only): that wait was most of the cost, and a
    crash can lose only the last few views, never a vote.
    """
    today = dt.datetime.now(dt.timezone.utc).date()
    try:
        with write_transaction() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            connection.execute(_count_view(connection.dialect.name), {"slug": article_slug, "day": today})
    except sa.exc.SQLAlchemyError as error:
        log.warning("view of %s not counted (%s): %s", article_slug, type(error).__name__, error)
