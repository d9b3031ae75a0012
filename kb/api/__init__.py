"""The JSON API for helpdesk integrations and the help widget, under /api/v1.

Helpdesk tools list and sync articles, look them up by slug and paste links
to sections into replies, so every URL in a response is absolute and every
section carries its anchor and its permanent address. Every resource is
served in each language (``/de/api/v1/...`` or ``?lang=de``), an article
not translated yet standing in as its original, marked ``fallback``. Reads
carry an ETag. The contract is the OpenAPI document at /api/v1/openapi.json;
the tests check every response against it. Errors are problem details (RFC
9457) that say what to do, browsers may call the API only from origins listed
in KB_CORS_ORIGINS, and each client is rate-limited (KB_API_RATE_LIMIT) so one
runaway integration cannot slow the help center for shoppers.
"""
from __future__ import annotations

import datetime as dt
import logging
import math

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from kb.addresses import external_url, published_article
from kb.content import Article
from kb.extensions import limiter
from kb.languages import current_language, default_language, languages, library_for, localized, prefix
from kb.api.openapi import openapi_document
from kb.api.representations import article_json, full_article_json, results_json, topic_json
from kb.search import current_search, normalize
from kb.widget.views import contact_json, texts

PREFIX = "/api/v1"
PREFLIGHT_MAX_AGE = 600
PER_PAGE = 20
MAX_PER_PAGE = 100
SUGGESTED = 5  # the featured articles a page of the shop gets when no widget.yml pattern matches it

bp = Blueprint("api", __name__)
log = logging.getLogger(__name__)


def _too_many_message() -> str:
    return (f"Too many requests from this client: the limit is {current_app.config['KB_API_RATE_LIMIT']}. "
            "Wait a little and try again.")


# One budget per client for the whole API, not one per route.
limiter.shared_limit(lambda: current_app.config["KB_API_RATE_LIMIT"], scope="api",
                     error_message=_too_many_message)(bp)


def route(rule: str, **options):
    """An API route at /api/v1<rule>, and at /<lang>/api/v1<rule> for the other languages."""
    return localized(bp, PREFIX + rule, **options)


@bp.before_request
def _language_from_query() -> None:
    """``?lang=de`` asks for a language as ``/de/api/v1`` does; the address's prefix wins when both are given."""
    asked = request.args.get("lang")
    if asked is None or g.get("kb_language") not in (None, default_language()):
        return
    if asked not in languages():
        abort(400, description=f"The help center is not served in '{asked}'. "
                               f"Ask for one of: {', '.join(languages())}.")
    g.kb_language = asked


def _page(total: int, per_page: int) -> tuple[int, int]:
    """The page asked for and the page count; a page past the last is a 404, not an empty list."""
    page = request.args.get("page", 1, type=int)
    pages = math.ceil(total / per_page)
    if page < 1 or page > max(pages, 1):
        abort(404, description=f"There is no page {request.args.get('page')}: pages run from 1 to {max(pages, 1)}.")
    return page, pages


def _in_language(original: Article, language: str) -> Article:
    """The translation of a default-language article, or the article itself while it has none."""
    translations = library_for(language)
    translated = translations.articles.get(translations.by_original.get(original.slug, ""))
    return translated if translated is not None and not translated.draft else original


# ---------------------------------------------------------------- routes

@route("/articles")
def articles(lang: str | None = None):
    """Published articles in the topics' order, for a helpdesk to list or sync."""
    language, default = current_language(), library_for(default_language())
    listed = [_in_language(a, language) for c in default.categories for a in default.in_category(c.slug)]
    if category := request.args.get("category"):
        listed = [a for a in listed if a.category == category]
    if since := request.args.get("updated_since"):
        try:
            day = dt.date.fromisoformat(since)
        except ValueError:
            abort(400, description=f"updated_since is a day, written YYYY-MM-DD, not '{since}'.")
        listed = [a for a in listed if a.updated and a.updated >= day]
    per_page = request.args.get("per_page", PER_PAGE, type=int)
    if not 1 <= per_page <= MAX_PER_PAGE:
        abort(400, description=f"per_page is from 1 to {MAX_PER_PAGE}, not '{request.args.get('per_page')}'.")
    page, pages = _page(len(listed), per_page)
    shown = listed[(page - 1) * per_page:page * per_page]
    lib = library_for(language)
    return jsonify(articles=[article_json(a, lib.category(a.category), language) for a in shown],
                   total=len(listed), page=page, pages=pages, per_page=per_page)


@route("/articles/<slug>", merge_slashes=False)  # "articles//x" names no article: 404, not a redirect
def article(slug: str, lang: str | None = None):
    language = current_language()
    lib = library_for(language)
    if slug in lib.aliases:
        return redirect(url_for("api.article", slug=lib.aliases[slug], lang=prefix(language)), 301)
    found = published_article(slug, language)
    if found is None:
        abort(404, description=f"No published article has the slug '{slug}'. "
                               f"Find articles with {PREFIX}/search?q=<words>.")
    return jsonify(full_article_json(found, lib.category(found.category), language))


@route("/categories")
def categories(lang: str | None = None):
    language = current_language()
    default, lib = library_for(default_language()), library_for(language)
    return jsonify(categories=[topic_json(lib.category(c.slug) or c, len(default.in_category(c.slug)), language)
                               for c in default.categories])


@route("/search")
def search(lang: str | None = None):
    """The shoppers' search, with every link absolute: the same ranking, spelling fixes and synonyms."""
    query = normalize(request.args.get("q", ""))
    if not query:
        abort(400, description=f"Say what to search for: {PREFIX}/search?q=<words>, e.g. ?q=refund+times.")
    results = current_search().search(query, category=request.args.get("category") or None,
                                      page=request.args.get("page", 1, type=int))
    if results.unavailable:  # an integration should retry, not tell its user that nothing matched
        abort(503, description="Search is unavailable: the index could not be opened. Try again in a minute.")
    if results.page > max(results.pages, 1):
        abort(404, description=f"There is no page {results.page}: pages run from 1 to {max(results.pages, 1)}.")
    language = current_language()
    # An index a moment older than the content may still name an article that is gone or a draft now.
    found = [(hit, article) for hit in results.hits
             if (article := published_article(hit.slug, hit.language or language))]
    return jsonify(results_json(results, found, library_for(language), language))


@route("/widget")
def widget(lang: str | None = None):
    """What the help widget shows on a page of the shop: its words, the articles suggested there, the channels.

    A page no pattern of widget.yml matches gets the featured articles, as the home page shows them.
    """
    language, default = current_language(), library_for(default_language())
    slugs = default.suggestions.for_path(request.args.get("path", "/"))
    chosen = [default.articles[slug] for slug in slugs] if slugs else default.featured()[:SUGGESTED]
    lib = library_for(language)
    suggested = [_in_language(a, language) for a in chosen]
    return jsonify(language=language, texts=texts(),
                   suggested=[article_json(a, lib.category(a.category), language) for a in suggested],
                   contact=contact_json(),
                   links={"api": external_url("api.openapi", lang=prefix(language)).removesuffix("/openapi.json"),
                          "home": external_url("site.home", lang=prefix(language)),
                          "contact": external_url("askus.contact", lang=prefix(language))})


@route("/openapi.json")
def openapi(lang: str | None = None):
    return jsonify(openapi_document())


@route("/", defaults={"anything": ""})
@route("/<path:anything>")
def unknown(anything: str, lang: str | None = None):
    abort(404, description=f"There is nothing at {request.path}. "
                           f"The API is described at {PREFIX}/openapi.json.")


# ---------------------------------------------------------------- errors, ETags and CORS

@bp.errorhandler(400)
@bp.errorhandler(404)
@bp.errorhandler(405)
@bp.errorhandler(429)
@bp.errorhandler(500)
@bp.errorhandler(503)
def json_error(error: HTTPException) -> Response:
    """An error as problem details (RFC 9457), keeping headers such as Allow and Retry-After."""
    if error.code == 500:
        log.error("API error while serving %s", request.path, exc_info=getattr(error, "original_exception", None))
    response = jsonify(type="about:blank", title=error.name, status=error.code, detail=error.description)
    response.status_code = error.code
    response.mimetype = "application/problem+json"
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _method_not_allowed(error: HTTPException):
    """Routing answers a wrong method before any blueprint is chosen, so the API is told apart by its path."""
    if is_api(request.path):
        return json_error(error)
    return error


def is_api(path: str) -> bool:
    """Whether an address is the API's, in the default language or under a language's prefix."""
    first, _, rest = path.lstrip("/").partition("/")
    return path.startswith(PREFIX + "/") or (first in languages()[1:] and ("/" + rest).startswith(PREFIX + "/"))


@bp.after_request
def _conditional(response: Response) -> Response:
    """Every successful read carries an ETag of its body; a client sending it back gets 304 and no body."""
    if request.method == "GET" and response.status_code == 200:
        response.add_etag()
        response.make_conditional(request)
    return response


@bp.after_request
def _cors(response: Response) -> Response:
    """Let listed origins read responses from a browser; others get no CORS headers at all."""
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin and origin in current_app.config["KB_CORS_ORIGINS"]:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "ETag"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET"
            response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(405, _method_not_allowed)
