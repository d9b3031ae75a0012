"""What the insights page and its exports show, read from votes, comments, the search log and page views.

Every function takes a ``Period`` and returns plain rows; the page and the
CSV exports both use them, so the two never disagree. Counting is done in
SQL (grouped by article, query or day), so a busy shop's 90 days cost a few
aggregate queries, not a scan in Python. Timestamps are stored in UTC;
SQLite hands them back without a zone, so ``_utc`` puts it back.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from kb.charts import Point
from kb.content import Library
from kb.extensions import db
from kb.feedback.models import Comment, Vote
from kb.insights.period import Period
from kb.pageviews import PageView
from kb.reviews import overdue
from kb.searchlog import SearchLog

CONTACTED = "contacted"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _day(column: sa.ColumnElement) -> sa.ColumnElement:
    """The UTC day of a timestamp column, in SQL: PostgreSQL would otherwise use the session's time zone."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone("UTC", column))
    return sa.func.date(column)


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _in(column: sa.ColumnElement, period: Period) -> sa.ColumnElement:
    return sa.and_(column >= period.start, column < period.end)


def _language(column: sa.ColumnElement, period: Period) -> sa.ColumnElement:
    """Only the period's language, when the editor chose one."""
    return column == period.language if period.language else sa.true()


def ratio(helpful: int, total: int) -> float | None:
    return helpful / total if total else None


# ---------------------------------------------------------------- articles

@dataclass(frozen=True)
class ArticleRow:
    slug: str
    title: str
    views: int
    votes: int
    helpful: int
    previous_ratio: float | None  # the period before, for the trend
    views_per_day: tuple[Point, ...]

    @property
    def ratio(self) -> float | None:
        return ratio(self.helpful, self.votes)

    @property
    def trend(self) -> int | None:
        """Change of the helpful share against the period before, in percentage points."""
        if self.ratio is None or self.previous_ratio is None:
            return None
        return round(100 * (self.ratio - self.previous_ratio))


def _views(period: Period) -> dict[str, dict[dt.date, int]]:
    rows = db.session.execute(
        sa.select(PageView.article_slug, PageView.day, PageView.views)
        .where(PageView.day >= period.first, PageView.day <= period.last, _language(PageView.language, period)))
    views: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for slug, day, count in rows:
        views[slug][_as_date(day)] = count
    return views


def _votes(period: Period) -> dict[str, tuple[int, int]]:
    """(helpful, all) votes per article whose latest answer falls in the period."""
    rows = db.session.execute(
        sa.select(Vote.article_slug, sa.func.sum(sa.case((Vote.helpful, 1), else_=0)), sa.func.count())
        .where(_in(Vote.updated_at, period), _language(Vote.language, period)).group_by(Vote.article_slug))
    return {slug: (int(helpful), int(total)) for slug, helpful, total in rows}


def article_rows(period: Period, library: Library) -> list[ArticleRow]:
    """Every published article, and any article with views or votes that has since gone, most viewed first."""
    views, votes, before = _views(period), _votes(period), _votes(period.previous)
    titles = {article.slug: article.title for article in library.published}
    rows = []
    for slug in titles.keys() | views.keys() | votes.keys():
        helpful, total = votes.get(slug, (0, 0))
        daily = views.get(slug, {})
        rows.append(ArticleRow(
            slug=slug, title=titles.get(slug, slug), views=sum(daily.values()), votes=total, helpful=helpful,
            previous_ratio=ratio(*before.get(slug, (0, 0))),
            views_per_day=tuple(Point(day, daily.get(day, 0)) for day in period.days)))
    return sorted(rows, key=lambda row: (-row.views, -row.votes, row.title.lower()))


def helpful_per_day(period: Period) -> list[Point]:
    """The share of votes each day that said Yes; None on days without votes."""
    day = _day(Vote.updated_at)
    rows = db.session.execute(
        sa.select(day, sa.func.sum(sa.case((Vote.helpful, 1), else_=0)), sa.func.count())
        .where(_in(Vote.updated_at, period), _language(Vote.language, period)).group_by(day))
    shares = {_as_date(when): ratio(int(helpful), int(total)) for when, helpful, total in rows}
    return [Point(when, shares.get(when)) for when in period.days]


# ---------------------------------------------------------------- "No" votes

@dataclass(frozen=True)
class NoVote:
    slug: str
    title: str
    when: dt.datetime
    reasons: tuple[str, ...]  # reason codes, see kb.feedback.REASONS
    comment: str


def latest_no_votes(period: Period, library: Library, limit: int | None) -> list[NoVote]:
    rows = db.session.execute(
        sa.select(Vote.article_slug, Vote.updated_at, Vote.reasons, Comment.body)
        .outerjoin(Comment, Comment.vote_id == Vote.id)
        .where(Vote.helpful.is_(False), _in(Vote.updated_at, period), _language(Vote.language, period))
        .order_by(Vote.updated_at.desc(), Vote.id.desc()).limit(limit))
    titles = {article.slug: article.title for article in library.articles.values()}
    return [NoVote(slug, titles.get(slug, slug), _utc(when), tuple(reasons.split()), body or "")
            for slug, when, reasons, body in rows]


# ---------------------------------------------------------------- versions

@dataclass(frozen=True)
class Version:
    source_hash: str
    commit: str | None
    first_vote: dt.datetime | None
    votes: int
    helpful: int
    current: bool

    @property
    def ratio(self) -> float | None:
        return ratio(self.helpful, self.votes)

    @property
    def label(self) -> str:
        return f"commit {self.commit[:7]}" if self.commit else f"file {self.source_hash[:7]}"


@dataclass(frozen=True)
class ChangedArticle:
    slug: str
    title: str
    versions: tuple[Version, ...]  # oldest first


def _versions_by_article() -> dict[str, list[Version]]:
    """Votes grouped by the version of the article they judged, all time: a version's score is its own."""
    rows = db.session.execute(
        sa.select(Vote.article_slug, Vote.source_hash, sa.func.max(Vote.content_commit), sa.func.min(Vote.updated_at),
                  sa.func.count(), sa.func.sum(sa.case((Vote.helpful, 1), else_=0)))
        .group_by(Vote.article_slug, Vote.source_hash))
    versions: dict[str, list[Version]] = defaultdict(list)
    for slug, source_hash, commit, first, total, helpful in rows:
        versions[slug].append(Version(source_hash, commit, _utc(first), int(total), int(helpful), False))
    return versions


def changed_articles(period: Period, library: Library) -> list[ChangedArticle]:
    """Articles that got a new version during the period, with each version's helpfulness side by side.

    A version is known from the votes that judged it (they keep the file's
    hash), so a version starts at its first vote. The version being served
    is listed even before anyone voted on it, when its ``updated`` date
    falls in the period.
    """
    changed = []
    for slug, versions in _versions_by_article().items():
        article = library.articles.get(slug)
        current = article.source_hash if article else None
        versions = [dataclasses.replace(v, current=v.source_hash == current) for v in versions]
        if article and current not in {v.source_hash for v in versions} and article.updated \
                and period.first <= article.updated <= period.last:
            versions.append(Version(current, None, None, 0, 0, True))
        versions.sort(key=lambda v: (v.first_vote is None, v.first_vote or period.end))
        started = [v.first_vote is None or period.start <= v.first_vote < period.end for v in versions[1:]]
        if any(started):
            changed.append(ChangedArticle(slug, article.title if article else slug, tuple(versions)))
    return sorted(changed, key=lambda c: c.title.lower())


# ---------------------------------------------------------------- searches

@dataclass(frozen=True)
class SearchRow:
    query: str
    searches: int
    last_seen: dt.datetime


def _searches(period: Period, condition: sa.ColumnElement, limit: int | None) -> list[SearchRow]:
    count = sa.func.count()
    rows = db.session.execute(
        sa.select(SearchLog.query, count, sa.func.max(SearchLog.created_at))
        .where(_in(SearchLog.created_at, period), _language(SearchLog.language, period), condition)
        .group_by(SearchLog.query).order_by(count.desc(), SearchLog.query).limit(limit))
    return [SearchRow(query, int(searches), _utc(last)) for query, searches, last in rows]


def top_searches(period: Period, limit: int | None) -> list[SearchRow]:
    return _searches(period, sa.true(), limit)


def searches_without_results(period: Period, limit: int | None) -> list[SearchRow]:
    """The content gaps: what shoppers looked for and did not find."""
    return _searches(period, SearchLog.results == 0, limit)


def searches_then_contacted(period: Period, limit: int | None) -> list[SearchRow]:
    """Questions after which the shopper still wrote to us (see kb.askus)."""
    return _searches(period, SearchLog.outcome == CONTACTED, limit)


def searches_per_day(period: Period) -> list[Point]:
    day = _day(SearchLog.created_at)
    rows = db.session.execute(sa.select(day, sa.func.count())
                              .where(_in(SearchLog.created_at, period), _language(SearchLog.language, period))
                              .group_by(day))
    counts = {_as_date(when): int(total) for when, total in rows}
    return [Point(when, counts.get(when, 0)) for when in period.days]


# ---------------------------------------------------------------- reviews

@dataclass(frozen=True)
class OverdueReview:
    slug: str
    title: str
    owner: str
    review_by: dt.date
    days_overdue: int


def overdue_reviews(library: Library, today: dt.date) -> list[OverdueReview]:
    """The checker's overdue articles (``kb.reviews``), with how late each is."""
    return [OverdueReview(a.slug, a.title, a.owner, a.review_by, (today - a.review_by).days)
            for a in overdue(library, today)]
