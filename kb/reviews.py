"""Review dates: each article may name an ``owner`` and a ``review_by`` date.

Policies and prices drift; an article nobody has read for a year is likely
wrong. The checker warns on overdue articles and the insights page lists
them, both through ``overdue``.
"""
from __future__ import annotations

import datetime as dt

from kb.content import Article, Library


def today() -> dt.date:
    """The date reviews are judged against; tests replace it to freeze time."""
    return dt.date.today()


def overdue(library: Library, on: dt.date | None = None) -> list[Article]:
    """Articles whose review date has passed, the longest overdue first."""
    on = on or today()
    late = [a for a in library.articles.values() if a.review_by is not None and a.review_by < on]
    return sorted(late, key=lambda a: (a.review_by, a.slug))
