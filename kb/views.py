"""The pages a shopper browses: home, categories, articles, search, errors."""
from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from kb.contact import opening_hours_text
from kb.content import Library
from kb.fragments import FragmentCache
from kb.search import search_titles

bp = Blueprint("site", __name__)
log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200


def library() -> Library:
    return current_app.extensions["kb.library"]


def current_time() -> dt.datetime:
    """The moment the contact panel is computed for; tests replace it to freeze time."""
    return dt.datetime.now(dt.timezone.utc)


@bp.route("/")
def home():
    lib = library()
    counts = {c.slug: len(lib.in_category(c.slug)) for c in lib.categories}
    return render_template("home.html", categories=lib.categories, counts=counts, featured=lib.featured())


@bp.route("/categories/<slug>")
def category(slug: str):
    lib = library()
    found = lib.category(slug)
    if found is None:
        abort(404)
    return render_template("category.html", category=found, articles=lib.in_category(slug),
                           categories=lib.categories)


@bp.route("/articles/<slug>")
def article(slug: str):
    lib = library()
    if slug in lib.aliases:
        return redirect(url_for("site.article", slug=lib.aliases[slug]), 301)
    found = lib.articles.get(slug)
    if found is None or found.draft:
        abort(404)
    return render_template("article.html", article=found, category=lib.category(found.category),
                           related=lib.related.get(slug, ()))


@bp.route("/search")
def search():
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY_CHARS]
    results = search_titles(library().published, query) if query else []
    return render_template("search.html", query=query, results=results)


def _contact_panel() -> dict:
    """Every page, error pages included, shows how to reach a person.

    The panel's text changes at most once a minute, so templates cache it
    under ``contact_minute`` and call ``contact_panel()`` only on a miss.
    """
    lib = current_app.extensions.get("kb.library")
    contact = lib.contact if lib else None
    now = current_time()
    return {
        "contact_minute": int(now.timestamp() // 60),
        "contact_panel": lambda: contact.panel(now) if contact else [],
    }


def _page_not_found(error: HTTPException):
    lib = library()
    words = request.path.rstrip("/").rsplit("/", 1)[-1].replace("-", " ")
    suggestions = search_titles(lib.published, words)[:5] if words else []
    return render_template("error.html", code=404, title="Sorry, we can’t find that page",
                           suggestions=suggestions), 404


def _server_error(error: Exception):
    log.exception("error while serving %s", request.path, exc_info=error)
    return render_template("error.html", code=500, title="Something went wrong on our side",
                           suggestions=[]), 500


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.add_extension(FragmentCache)
    app.context_processor(_contact_panel)
    app.jinja_env.globals["opening_hours"] = opening_hours_text
    app.register_error_handler(404, _page_not_found)
    app.register_error_handler(500, _server_error)
