"""The JSON API for helpdesk integrations, under /api/v1.

Helpdesk tools look articles up by slug and paste links to sections into
replies, so every URL in a response is absolute and every section carries
its anchor and its permanent address. The contract is the OpenAPI document
at /api/v1/openapi.json; the tests check every response against it. Errors
are JSON with a message that says what to do, browsers may call the API
only from origins listed in KB_CORS_ORIGINS, and each client is
rate-limited (KB_API_RATE_LIMIT) so one runaway integration cannot slow the
help center for shoppers.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from kb.addresses import article_url, external_url, permanent_url, published_article
from kb.content import Article, Category, Library
from kb.extensions import db, limiter
from kb.feedback import helpful_ratio
from kb.search import Hit, Results, current_search, normalize

PREFIX = "/api/v1"
PREFLIGHT_MAX_AGE = 600

bp = Blueprint("api", __name__, url_prefix=PREFIX)
log = logging.getLogger(__name__)


def _too_many_message() -> str:
    return (f"Too many requests from this client: the limit is {current_app.config['KB_API_RATE_LIMIT']}. "
            "Wait a little and try again.")


# One budget per client for the whole API, not one per route.
limiter.shared_limit(lambda: current_app.config["KB_API_RATE_LIMIT"], scope="api",
                     error_message=_too_many_message)(bp)


def library() -> Library:
    return current_app.extensions["kb.library"]


# ---------------------------------------------------------------- representations

def category_json(category: Category) -> dict:
    return {"slug": category.slug, "title": category.title,
            "url": external_url("site.category", slug=category.slug)}


def article_json(article: Article, category: Category | None) -> dict:
    return {
        "slug": article.slug,
        "id": article.id,
        "title": article.title,
        "summary": article.summary,
        "category": category_json(category) if category else None,
        "url": article_url(article),
        "permanent_url": permanent_url(article),
        "updated": article.updated.isoformat() if article.updated else None,
        "sections": [
            {"level": h.level, "anchor": h.id, "title": h.title,
             "url": article_url(article, h.id), "permanent_url": permanent_url(article, h.id)}
            for h in article.headings
        ],
        "helpful_ratio": _helpful_ratio(article.slug),
    }


def _helpful_ratio(slug: str) -> float | None:
    """Null while too few shoppers voted or the database is away: "unknown", never "nobody found it helpful"."""
    try:
        ratio = helpful_ratio(slug)
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        log.warning("helpful ratio of %s unknown (%s)", slug, type(error).__name__)
        return None
    return round(ratio[0], 3) if ratio else None


# ---------------------------------------------------------------- routes

@bp.route("/articles/<slug>", merge_slashes=False)  # "articles//x" names no article: 404, not a redirect
def article(slug: str):
    lib = library()
    if slug in lib.aliases:
        return redirect(url_for("api.article", slug=lib.aliases[slug]), 301)
    found = published_article(slug)
    if found is None:
        abort(404, description=f"No published article has the slug '{slug}'. "
                               f"Find articles with {PREFIX}/search?q=<words>.")
    return jsonify(article_json(found, lib.category(found.category)))


def hit_json(hit: Hit, article: Article, category: Category | None) -> dict:
    section = None
    if hit.anchor:
        section = {"title": hit.section, "anchor": hit.anchor, "url": article_url(article, hit.anchor),
                   "permanent_url": permanent_url(article, hit.anchor)}
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "category": category_json(category) if category else None,
        "url": article_url(article),
        "permanent_url": permanent_url(article),
        "section": section,
        "snippet": hit.snippet.striptags(),
    }


def results_json(results: Results, lib: Library) -> dict:
    return {
        "query": results.query,
        "showing": results.showing,
        "order_number": results.order_number,
        "total": results.total,
        "page": results.page,
        "pages": results.pages,
        # An index a moment older than the content may still name an article that is gone or a draft now.
        "results": [hit_json(hit, article, lib.category(article.category))
                    for hit in results.hits if (article := published_article(hit.slug))],
    }


@bp.route("/search")
def search():
    """The shoppers' search, with every link absolute: the same ranking, spelling fixes and synonyms."""
    query = normalize(request.args.get("q", ""))
    if not query:
        abort(400, description=f"Say what to search for: {PREFIX}/search?q=<words>, e.g. ?q=refund+times.")
    results = current_search().search(query, category=request.args.get("category") or None,
                                      page=request.args.get("page", 1, type=int))
    if results.unavailable:  # an integration should retry, not tell its user that nothing matched
        abort(503, description="Search is unavailable: the index could not be opened. Try again in a minute.")
    return jsonify(results_json(results, library()))


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.route("/", defaults={"anything": ""})
@bp.route("/<path:anything>")
def unknown(anything: str):
    abort(404, description=f"There is nothing at {request.path}. "
                           f"The API is described at {PREFIX}/openapi.json.")


# ---------------------------------------------------------------- errors and CORS

@bp.errorhandler(400)
@bp.errorhandler(404)
@bp.errorhandler(405)
@bp.errorhandler(429)
@bp.errorhandler(500)
@bp.errorhandler(503)
def json_error(error: HTTPException) -> Response:
    """An error as JSON, keeping headers such as Allow and Retry-After."""
    if error.code == 500:
        log.error("API error while serving %s", request.path, exc_info=getattr(error, "original_exception", None))
    response = jsonify(status=error.code, error=error.name, message=error.description)
    response.status_code = error.code
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _method_not_allowed(error: HTTPException):
    """Routing answers a wrong method before any blueprint is chosen, so the API is told apart by its path."""
    if request.path.startswith(PREFIX + "/"):
        return json_error(error)
    return error


@bp.after_request
def _cors(response: Response) -> Response:
    """Let listed origins read responses from a browser; others get no CORS headers at all."""
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin and origin in current_app.config["KB_CORS_ORIGINS"]:
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET"
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


# ---------------------------------------------------------------- OpenAPI

NULLABLE_URL = {"type": ["string", "null"], "format": "uri"}
SCHEMAS = {
    "Category": {
        "type": "object",
        "required": ["slug", "title", "url"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
        },
    },
    "Section": {
        "type": "object",
        "required": ["level", "anchor", "title", "url", "permanent_url"],
        "additionalProperties": False,
        "properties": {
            "level": {"type": "integer", "minimum": 2, "maximum": 4, "description": "2 for h2, 3 for h3, 4 for h4"},
            "anchor": {"type": "string", "description": "The #fragment of the section"},
            "title": {"type": "string"},
            "url": {"type": "string", "format": "uri", "description": "The article's URL with the anchor"},
            "permanent_url": {**NULLABLE_URL, "description": "The permanent address with the anchor"},
        },
    },
    "Article": {
        "type": "object",
        "required": ["slug", "id", "title", "summary", "category", "url", "permanent_url", "updated",
                     "sections", "helpful_ratio"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string"},
            "id": {"type": ["integer", "null"], "description": "The stable number behind the permanent address"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "category": {"anyOf": [{"$ref": "#/components/schemas/Category"}, {"type": "null"}]},
            "url": {"type": "string", "format": "uri"},
            "permanent_url": {**NULLABLE_URL, "description": "/a/<id>: keeps working when the article is renamed"},
            "updated": {"type": ["string", "null"], "format": "date"},
            "sections": {"type": "array", "items": {"$ref": "#/components/schemas/Section"}},
            "helpful_ratio": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                              "description": "Share of readers who found it helpful; null while unknown"},
        },
    },
    "SearchHit": {
        "type": "object",
        "required": ["slug", "title", "summary", "category", "url", "permanent_url", "section", "snippet"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "category": {"anyOf": [{"$ref": "#/components/schemas/Category"}, {"type": "null"}]},
            "url": {"type": "string", "format": "uri"},
            "permanent_url": NULLABLE_URL,
            "section": {"description": "The section that answers, when the match lies in one",
                        "anyOf": [{"$ref": "#/components/schemas/MatchedSection"}, {"type": "null"}]},
            "snippet": {"type": "string", "description": "Plain text around the matching words"},
        },
    },
    "MatchedSection": {
        "type": "object",
        "required": ["title", "anchor", "url", "permanent_url"],
        "additionalProperties": False,
        "properties": {
            "title": {"type": ["string", "null"]},
            "anchor": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "permanent_url": NULLABLE_URL,
        },
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "showing", "order_number", "total", "page", "pages", "results"],
        "additionalProperties": False,
        "properties": {
            "query": {"type": "string", "description": "The query as searched: one line, trimmed"},
            "showing": {"type": ["string", "null"], "description": "The corrected query searched instead"},
            "order_number": {"type": "boolean",
                             "description": "The query looked like an order number: the tracking article is given"},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 0},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
        },
    },
    "Error": {
        "type": "object",
        "required": ["status", "error", "message"],
        "additionalProperties": False,
        "properties": {
            "status": {"type": "integer"},
            "error": {"type": "string"},
            "message": {"type": "string", "description": "What went wrong and what to do"},
        },
    },
}


def _json(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _error(description: str) -> dict:
    return _json("Error", description)


def openapi_document() -> dict:
    """The API's contract; built per request only for the server URL, which follows KB_BASE_URL."""
    too_many = _error("Too many requests from this client (KB_API_RATE_LIMIT)")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{current_app.config['KB_SITE_NAME']} API",
            "version": "1.0.0",
            "description": "Read-only access to published help articles, for helpdesk integrations.",
        },
        "servers": [{"url": external_url("api.openapi").removesuffix("/openapi.json")}],
        "paths": {
            "/articles/{slug}": {
                "get": {
                    "operationId": "getArticle",
                    "summary": "One published article with its sections and their links",
                    "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                                    "description": "The last part of the article's URL, e.g. track-your-order"}],
                    "responses": {
                        "200": _json("Article", "The article"),
                        "301": {"description": "An old slug: Location is the article's current API address"},
                        "404": _error("No published article has this slug"),
                        "429": too_many,
                    },
                },
            },
            "/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Published articles matching the words, best first, ten per page",
                    "parameters": [
                        {"name": "q", "in": "query", "required": True, "schema": {"type": "string"},
                         "description": "What the shopper asked, e.g. refund times"},
                        {"name": "category", "in": "query", "required": False, "schema": {"type": "string"},
                         "description": "Only articles in this category (its slug)"},
                        {"name": "page", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "default": 1}},
                    ],
                    "responses": {
                        "200": _json("SearchResults", "The matching articles"),
                        "400": _error("No query was given"),
                        "429": too_many,
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenAPI",
                    "summary": "This document",
                    "responses": {"200": {"description": "The OpenAPI document",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}},
                },
            },
        },
        "components": {"schemas": SCHEMAS},
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(405, _method_not_allowed)
