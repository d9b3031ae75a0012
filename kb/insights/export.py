"""Every insights table as CSV, from the same reports the page shows.

Editors open these in a spreadsheet, which runs a cell starting with
= + - @ (or a tab or carriage return) as a formula: a shopper who searched
for ``=HYPERLINK(...)`` must not get to run it on an editor's machine, so
such text cells start with an apostrophe (OWASP's advice). The file starts
with a UTF-8 byte order mark, without which Excel reads "café" as "cafÃ©".
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kb.content import Library
from kb.feedback import REASONS
from kb.insights import reports
from kb.insights.period import Period

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    """One table: its heading (on the page too), the CSV's columns, and the rows for a period."""

    title: str
    headers: tuple[str, ...]
    rows: Callable[[Period, Library, dt.date, Callable[[str], str]], Iterable[tuple]]


def _percent(share: float | None) -> int | str:
    return "" if share is None else round(100 * share)


def _moment(when: dt.datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M") if when else ""


def _articles(period, library, _today, _link):
    for row in reports.article_rows(period, library):
        yield row.title, row.slug, row.views, row.votes, row.helpful, _percent(row.ratio), \
            "" if row.trend is None else row.trend


def _feedback(period, library, _today, _link):
    for vote in reports.latest_no_votes(period, library, limit=None):
        yield _moment(vote.when), vote.title, "; ".join(str(REASONS.get(r, r)) for r in vote.reasons), vote.comment


def _versions(period, library, _today, _link):
    for article in reports.changed_articles(period, library):
        for version in article.versions:
            yield article.title, version.label, _moment(version.first_vote), version.votes, version.helpful, \
                _percent(version.ratio), "yes" if version.current else "no"


def _search_rows(report):
    def rows(period, _library, _today, _link):
        for row in report(period, limit=None):
            yield row.query, row.searches, _moment(row.last_seen)
    return rows


def _content_gaps(period, _library, _today, link):
    for row in reports.searches_without_results(period, limit=None):
        yield row.query, row.searches, _moment(row.last_seen), link(row.query)


def _reviews(_period, library, today, _link):
    for review in reports.overdue_reviews(library, today):
        yield review.title, review.slug, review.owner, review.review_by.isoformat(), review.days_overdue


SEARCH_HEADERS = ("Query", "Searches", "Last searched (UTC)")
EXPORTS = {
    "articles": Export("Articles", ("Article", "Address", "Views", "Votes", "Helpful votes", "Helpful %",
                                    "Trend (points)"), _articles),
    "feedback": Export("Latest “No” answers", ("When (UTC)", "Article", "Reasons", "Comment"), _feedback),
    "versions": Export("Changed articles: before and after", ("Article", "Version", "First vote (UTC)", "Votes",
                                                   "Helpful votes", "Helpful %", "Served now"), _versions),
    "searches": Export("Top searches", SEARCH_HEADERS, _search_rows(reports.top_searches)),
    "content-gaps": Export("Content gaps: searches with no result", SEARCH_HEADERS + ("Run the search",),
                           _content_gaps),
    "contacted": Export("Searches after which shoppers contacted us", SEARCH_HEADERS,
                        _search_rows(reports.searches_then_contacted)),
    "reviews": Export("Overdue reviews", ("Article", "Address", "Owner", "Review by", "Days overdue"), _reviews),
}


def safe_cell(value) -> str | int | float:
    """The value as a spreadsheet will not run it: text that looks like a formula starts with ' ."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(headers: Iterable[str], rows: Iterable[tuple]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
