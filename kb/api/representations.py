"""What the API says of an article, a topic and a search result: plain dicts, every URL absolute.

A helpdesk pastes these links into replies, so they must open from anywhere:
addresses are made on KB_BASE_URL (or the request's host), and links inside
an article's body are made absolute too.
"""
from __future__ import annotations

import logging
import re

import sqlalchemy as sa

from kb.addresses import article_url, external_url, permanent_url
from kb.content import Article, Category, Library
from kb.extensions import db
from kb.feedback import helpful_ratio
from kb.languages import default_language, prefix
from kb.search import Hit, Results

log = logging.getLogger(__name__)

# An href or src that starts at the site's root ("/articles/x"), not with a scheme or "//".
ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


def category_json(category: Category, language: str | None = None) -> dict:
    return {"slug": category.slug, "title": category.title,
            "url": external_url("site.category", slug=category.slug, lang=prefix(language))}


def topic_json(category: Category, articles: int, language: str) -> dict:
    """A topic as the topics list gives it: with its description and how many articles it holds."""
    return {**category_json(category, language), "description": category.description, "articles": articles}


def language_json(article: Article, asked: str) -> dict:
    """The article's language, and whether it stands in for a translation not written yet."""
    language = article.language or default_language()
    return {"language": language, "fallback": language != asked}


def article_json(article: Article, category: Category | None, asked: str) -> dict:
    """An article's metadata and sections, as lists and the article itself give them."""
    return {
        "slug": article.slug,
        "id": article.id,
        "title": article.title,
        "summary": article.summary,
        **language_json(article, asked),
        "category": category_json(category, article.language) if category else None,
        "url": article_url(article),
        "permanent_url": permanent_url(article),
        "updated": article.updated.isoformat() if article.updated else None,
        "sections": [
            {"level": h.level, "anchor": h.id, "title": h.title,
             "url": article_url(article, h.id), "permanent_url": permanent_url(article, h.id)}
            for h in article.headings
        ],
    }


def full_article_json(article: Article, category: Category | None, asked: str) -> dict:
    """One article with its body, as sanitized HTML with absolute links and as the Markdown written."""
    base = external_url("site.home", lang=None).rstrip("/")
    return {**article_json(article, category, asked),
            "body_html": ROOT_RELATIVE.sub(rf'\1{base}/', article.html),
            "body_markdown": article.markdown,
            "helpful_ratio": _helpful_ratio(article.slug)}


def _helpful_ratio(slug: str) -> float | None:
    """Null while too few shoppers voted or the database is away: "unknown", never "nobody found it helpful"."""
    try:
        ratio = helpful_ratio(slug)
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        log.warning("helpful ratio of %s unknown (%s)", slug, type(error).__name__)
        return None
    return round(ratio[0], 3) if ratio else None


def hit_json(hit: Hit, article: Article, category: Category | None, asked: str) -> dict:
    section = None
    if hit.anchor:
        section = {"title": hit.section, "anchor": hit.anchor, "url": article_url(article, hit.anchor),
                   "permanent_url": permanent_url(article, hit.anchor)}
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        **language_json(article, asked),
        "category": category_json(category, article.language) if category else None,
        "url": article_url(article),
        "permanent_url": permanent_url(article),
        "section": section,
        "snippet": hit.snippet.striptags(),
    }


def results_json(results: Results, found: list[tuple[Hit, Article]], library: Library, asked: str) -> dict:
    return {
        "query": results.query,
        "showing": results.showing,
        "order_number": results.order_number,
        "total": results.total,
        "page": results.page,
        "pages": results.pages,
        "results": [hit_json(hit, article, library.category(article.category), asked) for hit, article in found],
    }
