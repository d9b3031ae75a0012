"""Addresses as the world outside sees them: absolute URLs and permanent links.

Support agents paste links into replies that are read months later, and
crawlers and helpdesk tools store the URLs we give them. Absolute URLs are
built on ``KB_BASE_URL`` when it is set, because behind a proxy the request's
host may be an internal name. An article's permanent address ``/a/<id>``
uses the stable number from its front matter, so it survives renames and
moves between categories.
"""
from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from kb.content import Article, Library
from kb.languages import default_language, library_for, original_slug, prefix

bp = Blueprint("addresses", __name__)


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint``, on KB_BASE_URL or else the request's host."""
    base = current_app.config["KB_BASE_URL"].rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def article_url(article: Article, anchor: str | None = None) -> str:
    """The article's address in its own language (a translation's is under /<code>/)."""
    return external_url("site.article", slug=article.slug, _anchor=anchor, lang=prefix(article.language))


def permanent_url(article: Article, anchor: str | None = None) -> str | None:
    """The address that outlives renames; None for an article without an id."""
    if article.id is None:
        return None
    return external_url("addresses.permanent", article_id=article.id, _anchor=anchor)


def find_by_id(library: Library, article_id: int) -> Article | None:
    return next((a for a in library.published if a.id == article_id), None)


def published_article(slug: str | None, language: str | None = None) -> Article | None:
    """The article shoppers may see at ``slug``; None for drafts and unknown slugs.

    With a ``language`` other than the default, a slug not translated yet
    gives the original that page falls back to.
    """
    article = library_for(language or default_language()).articles.get(slug)
    if (article is None or article.draft) and language and language != default_language():
        original = original_slug(slug or "", language)
        article = current_app.extensions["kb.library"].articles.get(original) if original else None
    return None if article is None or article.draft else article


def without_trailing_slash() -> Response | None:
    """A 308 from ``/articles/track-your-order/`` to the address without the slash, when that one is served.

    Links pasted into mails and chats gain a slash now and then; the address
    they meant must still open, and only one address of a page is canonical.
    """
    path = request.path
    if not path.endswith("/") or not path.strip("/"):
        return None
    try:
        current_app.url_map.bind_to_environ(request.environ).match(path.rstrip("/"), request.method)
    except HTTPException:  # no page there either, or one that wants the slash (/de/)
        return None
    query = request.query_string.decode("latin-1")
    return redirect(path.rstrip("/") + (f"?{query}" if query else ""), 308)


@bp.route("/a/<int:article_id>")
def permanent(article_id: int):
    """301 to the article's current address; browsers keep the #section on redirects."""
    article = find_by_id(current_app.extensions["kb.library"], article_id)
    if article is None:
        abort(404)
    return redirect(url_for("site.article", slug=article.slug), 301)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(external_url=external_url, article_url=article_url, permanent_url=permanent_url,
                                 published_article=published_article)
