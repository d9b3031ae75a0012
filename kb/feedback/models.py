"""Votes and comments, and the only code that writes or counts them.

One visitor has one vote per article: the unique constraint on
(article_slug, visitor_id) holds it under any concurrency, and a vote is
written with a single upsert, so a shopper who changes their mind changes
the row instead of adding one. A vote is found by its visitor id only, never
by the address it came from: shoppers behind one address (an office, a phone
network, a balancer) each count, and one never changes another's vote.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kb.content import Article
from kb.extensions import db, insert_on_conflict, write_transaction
from kb.ratelimit import ClientLimit

SLUG_CHARS = 200
LANGUAGE_CHARS = 16
MAX_COMMENT_CHARS = 1000


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Vote(db.Model):
    __tablename__ = "votes"
    __table_args__ = (sa.UniqueConstraint("article_slug", "visitor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_slug: Mapped[str] = mapped_column(sa.String(SLUG_CHARS))
    visitor_id: Mapped[str] = mapped_column(sa.String(64))
    helpful: Mapped[bool] = mapped_column(sa.Boolean)
    reasons: Mapped[str] = mapped_column(sa.String(200), default="")  # reason codes joined by spaces
    # The version of the article judged: sha256 of its file, and the content commit when in git.
    source_hash: Mapped[str] = mapped_column(sa.String(64))
    content_commit: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    # The language of the page the vote was cast on (votes from before languages were English).
    language: Mapped[str] = mapped_column(sa.String(LANGUAGE_CHARS), server_default="en")


class Comment(db.Model):
    """What a shopper wrote with their vote: plain text, escaped wherever it is shown."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id", ondelete="CASCADE"), unique=True)
    article_slug: Mapped[str] = mapped_column(sa.String(SLUG_CHARS), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


@dataclass(frozen=True)
class Ballot:
    """What the shopper sent. ``details`` is set by the reasons-and-comment form only,
    so pressing No again keeps the reasons and comment already given."""

    helpful: bool
    details: bool = False
    reasons: tuple[str, ...] = ()
    comment: str = ""


@dataclass(frozen=True)
class VisitorVote:
    helpful: bool
    reasons: frozenset[str]
    comment: str


VOTE_FIELDS = ("article_slug", "visitor_id", "helpful", "reasons", "source_hash", "content_commit", "created_at",
               "updated_at", "language")
CHANGED_BY_A_NEW_ANSWER = ("helpful", "source_hash", "content_commit", "updated_at", "language")


@functools.cache
def _upsert_vote(dialect: str, replace_reasons: bool) -> sa.Insert:
    """The vote's upsert, built once per database kind: building it costs more than running it."""
    table = Vote.__table__
    insert = insert_on_conflict(table, dialect).values({name: sa.bindparam(name) for name in VOTE_FIELDS})
    changed = CHANGED_BY_A_NEW_ANSWER + (("reasons",) if replace_reasons else ())
    return insert.on_conflict_do_update(
        index_elements=[table.c.article_slug, table.c.visitor_id],
        set_={name: insert.excluded[name] for name in changed},
    ).returning(table.c.id)


def _save_comment(connection: sa.Connection, vote_id: int, article_slug: str, text: str, now: dt.datetime) -> None:
    """One comment per vote: sending the form again replaces it, and an empty box removes it."""
    table = Comment.__table__
    if not text:
        connection.execute(sa.delete(table).where(table.c.vote_id == vote_id))
        return
    insert = insert_on_conflict(table, connection.dialect.name).values(
        vote_id=vote_id, article_slug=article_slug, body=text, created_at=now, updated_at=now)
    connection.execute(insert.on_conflict_do_update(index_elements=[table.c.vote_id],
                                                    set_={"body": text, "updated_at": now}))


def record_vote(article: Article, ballot: Ballot, visitor_id: str, content_commit: str | None,
                limit: ClientLimit, language: str = "en") -> tuple[int, int]:
    """Count the hit against ``limit`` and store the visitor's vote (reasons, comment) in one write transaction.

    ``language`` is the page's (an original read through another language's
    address counts there). Over the limit it raises RateLimited, and nothing changes.
    Returns the article's tally with the vote in it, counted in the same
    transaction: on PostgreSQL a count of its own took three more round
    trips (the count, and its own transaction's begin and end).
    """
    now = utcnow()
    # A Yes clears the reasons; a No from the Yes/No buttons keeps the reasons given before.
    replace_reasons = ballot.helpful or ballot.details
    values = {
        "article_slug": article.slug, "visitor_id": visitor_id, "helpful": ballot.helpful,
        "reasons": "" if ballot.helpful else " ".join(ballot.reasons),
        "source_hash": article.source_hash, "content_commit": content_commit, "created_at": now, "updated_at": now,
        "language": language[:LANGUAGE_CHARS],
    }
    with write_transaction() as connection:
        limit.hit(connection)
        vote_id = connection.execute(_upsert_vote(connection.dialect.name, replace_reasons), values).scalar_one()
        if ballot.details:
            _save_comment(connection, vote_id, article.slug, ballot.comment, now)
        helpful, total = connection.execute(sa.select(*_counts()).where(Vote.article_slug == article.slug)).one()
    return int(helpful), int(total)


def visitor_vote(article_slug: str, visitor_id: str) -> VisitorVote | None:
    """The visitor's own vote on an article, asked on each page they read once they have voted.

    On a connection of its own rather than the request's session: the page
    asks the database nothing else (but the tallies, every few seconds:
    ``Tallies``), and the session's begin and teardown cost as much as the
    query. A voter's article page took 0.95 ms, 0.66 ms this way; 0.37 ms
    for a visitor who never voted.
    """
    with db.engine.connect() as connection:
        row = connection.execute(_visitor_vote_query(), {"slug": article_slug, "visitor": visitor_id}).first()
    if row is None:
        return None
    return VisitorVote(row.helpful, frozenset(row.reasons.split()), row.body or "")


@functools.cache
def _visitor_vote_query() -> sa.Select:
    """A visitor's vote on an article and its comment, built once: building it cost more than running it."""
    return (sa.select(Vote.helpful, Vote.reasons, Comment.body)
            .outerjoin(Comment, Comment.vote_id == Vote.id)
            .where(Vote.article_slug == sa.bindparam("slug"), Vote.visitor_id == sa.bindparam("visitor")))


def _counts() -> tuple:
    """The columns (helpful votes, all votes) of a tally."""
    return sa.func.coalesce(sa.func.sum(sa.case((Vote.helpful, 1), else_=0)), 0), sa.func.count()


def tallies() -> dict[str, tuple[int, int]]:
    """(helpful votes, all votes) for every article that has a vote, in one query."""
    rows = db.session.execute(sa.select(Vote.article_slug, *_counts()).group_by(Vote.article_slug))
    return {slug: (int(helpful), int(total)) for slug, helpful, total in rows}
