"""Pages rendered once in gunicorn's master, before it forks the workers.

A fresh worker renders each page the first time a shopper asks for it (one
to two milliseconds an article), so the first second after a start or a
deploy is the slowest a shopper sees: every worker renders the same pages at
once while requests queue behind them. The master renders them instead, and
every worker is born with them kept (``kb.shared_pages``).

Pages are kept per address, host included, so this needs ``KB_BASE_URL``,
the address shoppers use: without it there is no knowing which host to
render for, and nothing is done. Home and topic pages come first, then the
articles most read in the last ``VIEWS_DAYS`` days, up to what the page slot
keeps; all articles when they fit. A page rendered here and never asked for
is memory every worker holds for nothing (512 pages of some 15 KB are about
7 MiB in each), so when not all fit, an article nobody read lately is left to
be rendered on demand. Reads made here are a robot's: not counted as views.
"""
from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from flask import Flask, url_for

from kb.extensions import db
from kb.fragments import ENTRIES_PER_SLOT
from kb.languages import languages, library_for, prefix
from kb.pageviews import PageView

log = logging.getLogger(__name__)

VIEWS_DAYS = 30
USER_AGENT = "kb-prerender (bot)"  # a robot's name (kb.pageviews.is_robot): these reads are not views


def prerender(app: Flask) -> int:
    """Render the pages shoppers are likeliest to ask for first; how many were rendered."""
    base = app.config["KB_BASE_URL"].rstrip("/")
    if not base:
        return 0
    with app.test_request_context(base_url=base + "/"):
        paths = _paths()[:ENTRIES_PER_SLOT["page"]]
    client = app.test_client()
    failed = [path for path in paths
              if client.get(path, base_url=base + "/", headers={"User-Agent": USER_AGENT}).status_code != 200]
    if failed:
        log.warning("%d of %d pages could not be rendered ahead, first %s", len(failed), len(paths), failed[0])
    return len(paths) - len(failed)


def _paths() -> list[str]:
    """Home and topic pages of every language, then articles, most read first (see the module's docstring)."""
    pages, articles = [], []
    for language in languages():
        lang = prefix(language)
        library = library_for(language)
        pages.append(url_for("site.home", lang=lang))
        pages += [url_for("site.category", slug=c.slug, lang=lang) for c in library.categories]
        articles += [(language, a.slug) for a in library.published if (a.language or language) == language]
    views = _recent_views()
    if len(pages) + len(articles) > ENTRIES_PER_SLOT["page"]:
        articles = [read for read in articles if views.get(read)]
    articles.sort(key=lambda read: -views.get(read, 0))  # stable: the library's order among equals
    return pages + [url_for("site.article", slug=slug, lang=prefix(language)) for language, slug in articles]


def _recent_views() -> dict[tuple[str, str], int]:
    """(language, slug) -> views in the last VIEWS_DAYS days; empty when the database cannot say."""
    since = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=VIEWS_DAYS)
    try:
        rows = db.session.execute(
            sa.select(PageView.language, PageView.article_slug, sa.func.sum(PageView.views))
            .where(PageView.day >= since).group_by(PageView.language, PageView.article_slug)).all()
    except sa.exc.SQLAlchemyError as error:
        log.warning("page views cannot be read (%s): articles are rendered ahead only if all fit", error)
        return {}
    finally:
        db.session.remove()
    return {(language, slug): views for language, slug, views in rows}
