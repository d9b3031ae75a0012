"""What the agent learns of the shopper's visit, with their consent: nothing the site did not already know.

- the searches and the articles read in this browser tab, which
  ``static/request.js`` keeps in the tab's ``sessionStorage`` (gone when the
  tab closes) and puts in the form; without JavaScript there are none;
- the votes and comments this visitor's cookie cast in the last day;
- the page they came from, and the language.

Everything sent by the browser is checked: only published articles, at most
a few searches, each cut to the search box's length.
"""
from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import request

from kb.addresses import published_article
from kb.feedback.models import Comment, Vote, utcnow
from kb.feedback.visitors import visitor_from_cookie
from kb.extensions import db
from kb.feedback import REASONS
from kb.searchlog import MAX_QUERY_CHARS

MAX_SEARCHES = 10
MAX_ARTICLES = 10
VISIT = dt.timedelta(days=1)


def came_from(referrer: str | None) -> str | None:
    """A page of this site the shopper was on (path and query), or None for another site or none."""
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path[:500] if path.startswith("/") and not path.startswith("//") else None


def _trail(raw: str | None) -> tuple[list[str], list[str]]:
    """(searches, article slugs) from the form's ``visit`` field; anything malformed counts as nothing."""
    try:
        trail = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return [], []
    if not isinstance(trail, dict):
        return [], []

    def strings(key: str, limit: int) -> list[str]:
        values = trail.get(key)
        found = [" ".join(v.split())[:MAX_QUERY_CHARS] for v in values if isinstance(v, str)] \
            if isinstance(values, list) else []
        return list(dict.fromkeys(v for v in found if v))[-limit:]
    return strings("searches", MAX_SEARCHES), strings("articles", MAX_ARTICLES)


def _votes(visitor: str | None) -> dict[str, dict]:
    if visitor is None:
        return {}
    rows = db.session.execute(
        sa.select(Vote.article_slug, Vote.helpful, Vote.reasons, Comment.body)
        .outerjoin(Comment, Comment.vote_id == Vote.id)
        .where(Vote.visitor_id == visitor, Vote.updated_at > utcnow() - VISIT)).all()
    return {row.article_slug: {"vote": "yes" if row.helpful else "no",
                               "reasons": [str(REASONS[r]) for r in row.reasons.split() if r in REASONS],
                               "comment": row.body or ""} for row in rows}


def visit_context(trail: str | None, referrer: str | None, language: str) -> dict:
    """The visit as the agent will read it."""
    searches, slugs = _trail(trail)
    votes = _votes(visitor_from_cookie())
    articles = []
    for slug in dict.fromkeys([*slugs, *votes]):
        article = published_article(slug, language)
        if article is not None:
            articles.append({"slug": slug, "title": article.title, **votes.get(slug, {})})
    return {"searches": searches, "articles": articles, "came_from": came_from(referrer), "language": language}
