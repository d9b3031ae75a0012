"""The API's contract: the OpenAPI document at /api/v1/openapi.json, which the tests hold every answer to."""
from __future__ import annotations

from flask import current_app

from kb.addresses import external_url

NULLABLE_URL = {"type": ["string", "null"], "format": "uri"}
# What an article and a search hit both say of the article's language and topic.
IN_LANGUAGE = {
    "language": {"type": "string", "description": "The language the text is in, e.g. en or de"},
    "fallback": {"type": "boolean", "description": "True when the article is not translated into the language asked "
                                                   "for yet, and the original stands in"},
    "category": {"anyOf": [{"$ref": "#/components/schemas/Category"}, {"type": "null"}]},
}
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
    "ArticleSummary": {
        "type": "object",
        "required": ["slug", "id", "title", "summary", "language", "fallback", "category", "url", "permanent_url",
                     "updated", "sections"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string"},
            "id": {"type": ["integer", "null"], "description": "The stable number behind the permanent address"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            **IN_LANGUAGE,
            "url": {"type": "string", "format": "uri"},
            "permanent_url": {**NULLABLE_URL, "description": "/a/<id>: keeps working when the article is renamed"},
            "updated": {"type": ["string", "null"], "format": "date"},
            "sections": {"type": "array", "items": {"$ref": "#/components/schemas/Section"}},
        },
    },
    "SearchHit": {
        "type": "object",
        "required": ["slug", "title", "summary", "language", "fallback", "category", "url", "permanent_url",
                     "section", "snippet"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            **IN_LANGUAGE,
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
    "ArticleList": {
        "type": "object",
        "required": ["articles", "total", "page", "pages", "per_page"],
        "additionalProperties": False,
        "properties": {
            "articles": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleSummary"}},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 0},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    },
    "Topic": {
        "type": "object",
        "required": ["slug", "title", "url", "description", "articles"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "description": {"type": "string"},
            "articles": {"type": "integer", "minimum": 0, "description": "How many published articles it holds"},
        },
    },
    "TopicList": {
        "type": "object",
        "required": ["categories"],
        "additionalProperties": False,
        "properties": {"categories": {"type": "array", "items": {"$ref": "#/components/schemas/Topic"}}},
    },
    "Problem": {
        "type": "object",
        "description": "Problem details (RFC 9457)",
        "required": ["type", "title", "status", "detail"],
        "additionalProperties": False,
        "properties": {
            "type": {"type": "string", "description": "about:blank: the status says what kind of problem it is"},
            "title": {"type": "string", "description": "The status's name, e.g. Not Found"},
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "What went wrong and what to do"},
        },
    },
}
SCHEMAS["Channel"] = {
    "type": "object",
    "required": ["kind", "label", "value", "link", "response", "hours", "open", "status", "links"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "enum": ["phone", "email", "chat", "social"]},
        "label": {"type": "string"},
        "value": {"type": "string", "description": "The number, address or name shown"},
        "link": {"type": ["string", "null"], "description": "tel:, mailto: or https: address"},
        "response": {"type": ["string", "null"], "description": "How fast the team answers"},
        "hours": {"type": "array", "items": {"type": "string"}, "description": "Lines like Mon–Fri 09:00–18:00"},
        "open": {"type": ["boolean", "null"], "description": "Staffed now; null for a channel without hours"},
        "status": {"type": ["string", "null"], "description": "E.g. Open now — until 18:00, in the language asked"},
        "links": {"type": "array", "items": {
            "type": "object", "required": ["label", "url"], "additionalProperties": False,
            "properties": {"label": {"type": "string"}, "url": {"type": "string"}}}},
    },
}
SCHEMAS["Widget"] = {
    "type": "object",
    "required": ["language", "texts", "suggested", "contact", "links"],
    "additionalProperties": False,
    "properties": {
        "language": {"type": "string", "description": "The language of the texts and articles"},
        "texts": {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "The widget's words; {count} and {query} are filled in by the widget"},
        "suggested": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleSummary"},
                      "description": "The articles widget.yml suggests for the path, or the featured ones"},
        "contact": {"type": "array", "items": {"$ref": "#/components/schemas/Channel"}},
        "links": {
            "type": "object", "required": ["api", "home", "contact"], "additionalProperties": False,
            "properties": {"api": {"type": "string", "format": "uri", "description": "The API in this language"},
                           "home": {"type": "string", "format": "uri"},
                           "contact": {"type": "string", "format": "uri",
                                       "description": "The help center's contact page"}},
        },
    },
}
NOT_MODIFIED = {"description": "Not modified since the ETag sent in If-None-Match"}
# One article: what a list gives of it, and its body.
SCHEMAS["Article"] = {
    **SCHEMAS["ArticleSummary"],
    "required": [*SCHEMAS["ArticleSummary"]["required"], "body_html", "body_markdown", "helpful_ratio"],
    "properties": {
        **SCHEMAS["ArticleSummary"]["properties"],
        "body_html": {"type": "string", "description": "The body as the help center shows it: sanitized HTML, "
                                                       "links absolute"},
        "body_markdown": {"type": "string", "description": "The body as the editor wrote it, in Markdown"},
        "helpful_ratio": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                          "description": "Share of readers who found it helpful; null while unknown"},
    },
}


def _json(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _read(operation_id: str, summary: str, schema: str, description: str, parameters: list, **errors) -> dict:
    """A GET: its parameters with ``lang``, its answer, 304 for a matching ETag, and its errors."""
    language = {"name": "lang", "in": "query", "required": False,
                "schema": {"type": "string", "enum": list(current_app.config["KB_LANGUAGES"])},
                "description": "The language (default: the first); /<lang>/api/v1/... says the same"}
    return {"get": {"operationId": operation_id, "summary": summary, "parameters": [*parameters, language],
                    "responses": {"200": _json(schema, description), "304": NOT_MODIFIED,
                                  "400": _error("A parameter cannot be read, or the language is not served"),
                                  **{code.removeprefix("e"): _error(text) for code, text in errors.items()},
                                  "429": _error("Too many requests from this client (KB_API_RATE_LIMIT)")}}}


PAGE = {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "default": 1}}


def _one_article() -> dict:
    path = _read("getArticle", "One published article with its body and its sections' links", "Article",
                 "The article", [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                                  "description": "The last part of the article's URL, e.g. track-your-order"}],
                 e404="No published article has this slug")
    path["get"]["responses"]["301"] = {"description": "An old slug: Location is the article's current API address"}
    return path


def openapi_document() -> dict:
    """The API's contract; built per request only for the server URL, which follows KB_BASE_URL."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{current_app.config['KB_SITE_NAME']} API",
            "version": "1.2.0",
            "description": "Read-only access to published help articles, for helpdesk integrations and the "
                           "help widget. Every read answers with an ETag; send it back in If-None-Match to get "
                           "304 when nothing changed. Errors are problem details (RFC 9457).",
        },
        "servers": [{"url": external_url("api.openapi", lang=None).removesuffix("/openapi.json")}],
        "paths": {
            "/articles": _read(
                "listArticles", "Published articles, in the topics' order, a page at a time", "ArticleList",
                "A page of articles",
                [{"name": "category", "in": "query", "required": False, "schema": {"type": "string"},
                  "description": "Only this topic's articles (its slug)"},
                 {"name": "updated_since", "in": "query", "required": False,
                  "schema": {"type": "string", "format": "date"},
                  "description": "Only articles updated on or after this day (YYYY-MM-DD), for a sync"},
                 PAGE,
                 {"name": "per_page", "in": "query", "required": False,
                  "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}],
                e404="A page past the last one"),
            "/articles/{slug}": _one_article(),
            "/categories": _read("listCategories", "The topics, in the order the help center shows them",
                                 "TopicList", "Every topic", []),
            "/search": _read(
                "search", "Published articles matching the words, best first, ten per page", "SearchResults",
                "The matching articles",
                [{"name": "q", "in": "query", "required": True, "schema": {"type": "string"},
                  "description": "What the shopper asked, e.g. refund times"},
                 {"name": "category", "in": "query", "required": False, "schema": {"type": "string"},
                  "description": "Only articles in this category (its slug)"},
                 PAGE],
                e404="A page past the last one",
                e503="Search is unavailable for a moment: try again"),
            "/widget": _read(
                "getWidget", "What the help widget shows on a page of the shop", "Widget",
                "Its words, the articles suggested for the page and the contact channels with whether they are open",
                [{"name": "path", "in": "query", "required": False, "schema": {"type": "string", "default": "/"},
                  "description": "The path of the shop's page, e.g. /checkout/payment, matched against widget.yml"}]),
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenAPI",
                    "summary": "This document",
                    "responses": {"200": {"description": "The OpenAPI document",
                                          "content": {"application/json": {"schema": {"type": "object"}}}},
                                  "304": NOT_MODIFIED},
                },
            },
        },
        "components": {"schemas": SCHEMAS},
    }
