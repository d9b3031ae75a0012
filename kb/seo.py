"""What search engines, feed readers and link previews read.

Crawlers are one of the ways shoppers arrive, so they get a sitemap, a
robots.txt, one canonical address per page, OpenGraph tags, schema.org data
(Article, BreadcrumbList and FAQPage) and an Atom feed of recently updated
articles. Everything is built from ``Library.published``: drafts never leak
into any of them. Absolute URLs come from ``kb.addresses.external_url``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, render_template, request

from kb.addresses import article_url, external_url, published_article
from kb.content import Article, Category, Library
from kb.languages import (article_in, article_languages, current_language, default_language, languages,
                          original_slug, prefix)
from kb.render import Heading, plain_text

bp = Blueprint("seo", __name__)

FEED_LIMIT = 20
# schema.org / Google truncate headlines past this many characters.
HEADLINE_CHARS = 110
_H2 = re.compile(r'<h2\b[^>]*\bid="([^"]+)"')


def library() -> Library:
    return current_app.extensions["kb.library"]


@dataclass(frozen=True)
class PageMeta:
    """The canonical address and preview text of a page worth indexing."""

    url: str
    title: str
    description: str
    type: str


def page_meta() -> PageMeta | None:
    """Meta for the current page, or None for search results and error pages.

    Worked out from the route rather than passed by each view, so every page
    gets it from base.html; a 404 at /articles/<unknown> gets none because the
    lookup fails, and it must not claim to be the canonical copy of anything.
    """
    lib, args = library(), request.view_args or {}
    if request.endpoint == "site.home":
        return PageMeta(external_url("site.home"), current_app.config["KB_SITE_NAME"], "", "website")
    if request.endpoint == "site.category":
        category = lib.category(args.get("slug"))
        if category is not None:
            return PageMeta(external_url("site.category", slug=category.slug), category.title,
                            category.description, "website")
    if request.endpoint == "site.article":
        article = published_article(args.get("slug"), current_language())
        if article is not None:
            return PageMeta(article_url(article), article.title, article.summary, "article")
    return None


# ---------------------------------------------------------------- schema.org

def _questions(article: Article) -> list[Heading]:
    return [h for h in article.headings if h.level == 2 and h.title.rstrip().endswith("?")]


def is_question_list(article: Article) -> bool:
    """An FAQ: at least two h2 sections and most of them are questions."""
    sections = [h for h in article.headings if h.level == 2]
    questions = _questions(article)
    return len(questions) >= 2 and len(questions) * 2 > len(sections)


def section_texts(article: Article) -> dict[str, str]:
    """The plain text under each h2, up to the next h2: the answer to a question."""
    pieces = _H2.split(article.html)
    # split() gives [intro, id1, html1, id2, html2, ...]; each html starts with the heading's own text.
    texts = {}
    for anchor, fragment in zip(pieces[1::2], pieces[2::2]):
        body = fragment.split("</h2>", 1)[-1]
        texts[anchor] = plain_text(body)
    return texts


def _faq(article: Article, url: str) -> dict:
    answers = section_texts(article)
    return {
        "@type": "FAQPage",
        "@id": url + "#faq",
        "url": url,
        "mainEntity": [_question(h, answers.get(h.id, "")) for h in _questions(article)],
    }


def _question(heading: Heading, answer: str) -> dict:
    return {"@type": "Question", "name": heading.title, "acceptedAnswer": {"@type": "Answer", "text": answer}}


def _breadcrumbs(article: Article, category: Category | None, url: str) -> dict:
    trail = [("Help center", external_url("site.home"))]
    if category is not None:
        trail.append((category.title, external_url("site.category", slug=category.slug)))
    trail.append((article.title, url))
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": number, "name": name, "item": item}
            for number, (name, item) in enumerate(trail, start=1)
        ],
    }


def structured_data(article: Article, category: Category | None) -> dict:
    """schema.org JSON-LD for an article page: Article, its breadcrumb, and FAQPage for question lists."""
    url = article_url(article)
    described = {
        "@type": "Article",
        "@id": url + "#article",
        "headline": article.title[:HEADLINE_CHARS],
        "description": article.summary,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": article.language or default_language(),
        "keywords": list(article.tags),
        "publisher": {"@type": "Organization", "name": current_app.config["KB_SITE_NAME"],
                      "url": external_url("site.home")},
    }
    if article.updated:
        described["dateModified"] = article.updated.isoformat()
    if category is not None:
        described["articleSection"] = category.title
    graph = [described, _breadcrumbs(article, category, url)]
    if is_question_list(article):
        graph.append(_faq(article, url))
    return {"@context": "https://schema.org", "@graph": graph}


# ---------------------------------------------------------------- crawler files

def recently_updated(lib: Library, limit: int = FEED_LIMIT) -> list[Article]:
    """Published articles with an updated date, newest first; undated ones are never "recent"."""
    dated = [a for a in lib.published if a.updated is not None]
    return sorted(dated, key=lambda a: (a.updated, a.title), reverse=True)[:limit]


def category_updated(lib: Library, category: Category) -> dt.date | None:
    dates = [a.updated for a in lib.in_category(category.slug) if a.updated]
    return max(dates, default=None)


# ---------------------------------------------------------------- languages

def offered_languages(lib: Library) -> list[str]:
    """The default language, and each other one with at least one published translation.

    A language with nothing translated yet is still served (every page falls
    back to the original), but not offered to crawlers as a version of its own.
    """
    return [code for code in languages() if code == default_language()
            or (code in lib.translations and any(not a.draft for a in lib.translations[code].articles.values()))]


def article_alternates(article: Article) -> list[tuple[str, str]]:
    """hreflang and address of each language the article is written in, then x-default (the original)."""
    original = original_slug(article.slug, article.language or default_language()) or article.slug
    codes = article_languages(original) or [article.language or default_language()]
    found = [(code, article_url(article_in(original, code) or article)) for code in codes]
    return found + [("x-default", found[0][1])]


def page_alternates() -> list[tuple[str, str]]:
    """hreflang alternates of the page being served (base.html puts them in every indexable page)."""
    args = request.view_args or {}
    if request.endpoint == "site.article":
        article = published_article(args.get("slug"), current_language())
        return article_alternates(article) if article is not None else []
    if request.endpoint not in ("site.home", "site.category"):
        return []
    found = [(code, external_url(request.endpoint, **args, lang=prefix(code))) for code in offered_languages(library())]
    return found + [("x-default", found[0][1])]


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: dt.date | None
    alternates: tuple[tuple[str, str], ...] = ()


def sitemap_entries(lib: Library) -> list[SitemapEntry]:
    """Every indexable address in every offered language, each with its hreflang alternates."""
    codes = offered_languages(lib)
    entries = []
    pages = [("site.home", {}, None)] + [("site.category", {"slug": c.slug}, category_updated(lib, c))
                                         for c in lib.categories]
    for endpoint, args, updated in pages:
        alternates = tuple((code, external_url(endpoint, **args, lang=prefix(code))) for code in codes)
        alternates = alternates + (("x-default", alternates[0][1]),) if len(codes) > 1 else ()
        entries += [SitemapEntry(external_url(endpoint, **args, lang=prefix(code)), updated, alternates)
                    for code in codes]
    for code in codes:
        for article in lib.translations[code].published if code in lib.translations else lib.published:
            alternates = tuple(article_alternates(article))
            entries.append(SitemapEntry(article_url(article), article.updated,
                                        alternates if len(alternates) > 2 else ()))
    return entries


def _xml(template: str, mimetype: str, **context) -> Response:
    return Response(render_template(template, **context), mimetype=mimetype)


@bp.route("/sitemap.xml")
def sitemap():
    return _xml("sitemap.xml", "application/xml", entries=sitemap_entries(library()))


@bp.route("/feed.xml")
def feed():
    entries = recently_updated(library())
    newest = entries[0].updated if entries else dt.date.today()
    return _xml("feed.xml", "application/atom+xml", entries=entries, newest=newest)


@bp.route("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /search",  # result pages are endless variations of the articles themselves
        "Disallow: /api/",
        f"Sitemap: {external_url('seo.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def atom_time(day: dt.date) -> str:
    """RFC 3339, as Atom requires, for an article's updated date."""
    return f"{day.isoformat()}T00:00:00Z"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(page_meta=page_meta, structured_data=structured_data, page_alternates=page_alternates)
    app.jinja_env.filters["atom_time"] = atom_time
