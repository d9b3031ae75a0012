"""The pages a shopper browses: home, categories, articles, search, errors."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.exceptions import HTTPException

from kb import api
from kb.content import Library
from kb.extensions import db
from kb.feedback import feedback_state
from kb.addresses import published_article, without_trailing_slash
from kb.fragments import FragmentCache
from kb.languages import (article_in, current_language, default_language, home_follows_browser, library_for,
                          localized, original_slug)
from kb.insights.access import is_editor
from kb.pageviews import count_view, is_robot
from kb.search import current_search, normalize
from kb.search.engine import term
from kb.search.query import droppable, split
from kb.searchlog import record_search
from kb.shared_pages import render_shared

bp = Blueprint("site", __name__)
log = logging.getLogger(__name__)

INSTANT_RESULTS = 6
SUGGESTIONS = 5


def library() -> Library:
    """The library of the language being served."""
    return library_for()


@localized(bp, "/")
def home():
    lib = library()
    counts = {c.slug: len(category_articles(c.slug)) for c in lib.categories}
    page = render_shared("home.html", (), categories=lib.categories, counts=counts,
                         featured=lib.featured())
    if not home_follows_browser():
        return page
    response = current_app.make_response(page)
    response.vary.add("Accept-Language")  # the same address answers in the browser's language
    return response


def category_articles(slug: str) -> list:
    """A topic's articles in the language served, then the originals not translated yet."""
    lib = library()
    articles = lib.in_category(slug)
    if lib.language and lib.language != default_language():
        default = library_for(default_language())
        articles += [a for a in default.in_category(slug) if a.slug not in lib.by_original]
    return articles


@localized(bp, "/categories/<slug>")
def category(slug: str):
    lib = library()
    found = lib.category(slug)
    if found is None:
        abort(404)
    return render_shared("category.html", (), category=found,
                         articles=category_articles(slug), categories=lib.categories)


def _hidden(article) -> bool:
    return article is None or (article.draft and not current_app.config["KB_SHOW_DRAFTS"])


@localized(bp, "/articles/<slug>")
def article(slug: str):
    lib = library()
    if slug in lib.aliases:
        return redirect(url_for("site.article", slug=lib.aliases[slug]), 301)
    found = lib.articles.get(slug)
    language = current_language()
    fallback = False
    if _hidden(found) and language != default_language():
        original = original_slug(slug, language)
        translated = article_in(original, language) if original else None
        if not _hidden(translated) and translated.slug != slug:  # the original's slug: its translation's address
            return redirect(url_for("site.article", slug=translated.slug), 301)
        # Not translated yet: the original, with a note, never a 404.
        found, fallback = (library_for(default_language()).articles.get(original) if original else None), True
        if not _hidden(found):
            lib = library_for(default_language())
    if _hidden(found):
        abort(404)
    if request.method == "GET" and not found.draft and not is_robot() and not is_editor():  # shoppers' reads
        count_view(found.slug, language)
    feedback = feedback_state(found)
    context = {"article": found, "category": library().category(found.category),
               "related": lib.related.get(found.slug, ()), "feedback": feedback, "fallback": fallback}
    if feedback.vote:  # the visitor's own vote shows on the page
        return render_template("article.html", **context)
    return render_shared("article.html", (feedback.summary,), **context)


@localized(bp, "/search")
def search():
    query = normalize(request.args.get("q", ""))
    category = request.args.get("category") or None
    correct = not request.args.get("exact")
    results = current_search().search(query, category=category, page=request.args.get("page", 1, type=int),
                                      correct=correct)
    titles = {c.slug: c.title for c in library().categories}
    agent = request.args.get("view") == "agent"
    if query and results.page == 1 and not agent and not results.unavailable:  # shoppers' searches, once each
        record_search(current_search().loggable(query), results.total, category, current_language())
    template = "search_agent.html" if agent else "search.html"
    # Kept while the search gives the same results: a new index generation gives new ones.
    return render_shared(template, (results,), variant=(query, category, results.page, correct), slot="search",
                         query=query, exact=None if correct else "1", results=results, category_titles=titles,
                         contact_prominent=bool(query) and not results.total)


@localized(bp, "/search.json")
def search_json():
    """Instant results for the search box: the last word may be unfinished."""
    results = current_search().search(request.args.get("q", ""), per_page=INSTANT_RESULTS, prefix=True)
    titles = {c.slug: c.title for c in library().categories}
    return jsonify(
        query=results.query,
        showing=results.showing,
        total=results.total,
        unavailable=results.unavailable,
        results=[{"title": hit.title, "category": titles.get(hit.category, ""), "section": hit.section,
                  "url": url_for("site.article", slug=hit.slug, _anchor=hit.anchor),
                  **({"language": hit.language} if hit.language else {})} for hit in results.hits],
        more=url_for("site.search", q=results.query),
        all=ngettext("See all %(num)s results", "See all %(num)s results", results.total),
        said=_instant_status(results),
    )


def _instant_status(results) -> str:
    """What a screen reader hears as instant results change, in the page's language."""
    if results.unavailable:
        said = gettext("Search isn’t working right now. Browse the topics or contact us.")
    elif not results.total:
        said = gettext("No articles found. Press Enter to search anyway.")
    else:
        said = ngettext("%(num)s article found, use the arrow keys to choose.",
                        "%(num)s articles found, use the arrow keys to choose.", results.total)
    return gettext("Showing results for %(query)s.", query=results.showing) + " " + said if results.showing else said


def _page_not_found(error: HTTPException):
    if api.is_api(request.path):  # an API address no route matched, such as one with a newline
        return api.json_error(error)
    redirected = without_trailing_slash()
    if redirected:
        return redirected
    suggestions = _named_by(request.path.rstrip("/").rsplit("/", 1)[-1].replace("-", " "))
    return render_template("error.html", code=404, title=gettext("Sorry, we can’t find that page"),
                           suggestions=suggestions or library().featured()[:SUGGESTIONS],
                           popular=not suggestions), 404


def _named_by(words: str) -> list:
    """The articles a missing address's words name ("track my order"), searched as a shopper would.

    A search also finds articles that only mention a word in passing
    ("no such thing" finds "the most important thing you can do" about
    sleeping bags): a suggestion must have one of the words, as typed or
    corrected, in its title, summary or tags.
    """
    language = current_language()
    results = current_search().search(words, per_page=SUGGESTIONS)
    wanted = _terms(results.showing or words, language)
    found = (published_article(hit.slug, language) for hit in results.hits)
    return [article for article in found
            if article and wanted & _terms(" ".join([article.title, article.summary, *article.tags]), language)]


def _terms(text: str, language: str) -> set[str]:
    """The indexed forms of the words that carry meaning ("Tracking my orders" -> track, order)."""
    words = split(text).words
    stop = droppable(words, language)
    return {term(word, language) for word in words if word not in stop} - {""}


def _server_error(error: Exception):
    """The error page must not reuse a session a failed query left broken."""
    log.exception("error while serving %s", request.path, exc_info=error)
    db.session.rollback()
    return render_template("error.html", code=500, title=gettext("Something went wrong on our side"),
                           suggestions=[]), 500


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.add_extension(FragmentCache)
    app.register_error_handler(404, _page_not_found)
    app.register_error_handler(500, _server_error)
