"""HTTP caching: cheap revalidation for pages, a year for fingerprinted assets.

Article and category pages carry an ETag made from the exact bytes sent, so
it changes whenever anything a shopper sees changes: the article, the
templates, and the contact panel's "Open now", which moves with the clock.
A browser asking again with If-None-Match gets an empty 304 while the page
is unchanged. Last-Modified tells crawlers when the content was updated, but
a request with only If-Modified-Since still gets the full page: the live
opening status has no modification date, and a 304 could keep it stale.

Static files are linked with ``?v=<hash of their content>``, added to every
``url_for('static', ...)``; a request carrying the current hash may be
cached for a year, because a changed file gets a new address.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for
from werkzeug.http import http_date
from werkzeug.security import safe_join

from kb.addresses import published_article
from kb.languages import current_language, library_for
from kb.seo import category_updated

PAGE_ENDPOINTS = frozenset({"site.article", "site.category"})
ASSET_MAX_AGE = 365 * 24 * 60 * 60
VERSION_CHARS = 12


def _file_hash(static_folder: str, filename: str) -> str | None:
    path = safe_join(static_folder, filename)
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:VERSION_CHARS]


def asset_version(filename: str) -> str | None:
    """The content hash of a static file, or None when there is no such file.

    Hashed once per app: static files ship with the code and a deploy starts
    new workers, so a request never touches the disk for this.
    """
    versions = current_app.extensions.setdefault("kb.asset_versions", {})
    if filename not in versions:
        versions[filename] = _file_hash(current_app.static_folder, filename)
    return versions[filename]


def asset_url(filename: str) -> str:
    """``url_for('static', filename=…)`` built once per app: pages link several
    assets, and building each address on every request was a tenth of a page's time."""
    urls = current_app.extensions.setdefault("kb.asset_urls", {})
    if filename not in urls:
        urls[filename] = url_for("static", filename=filename)
    return urls[filename]


def _fingerprint(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values:
        version = asset_version(values.get("filename", ""))
        if version:
            values["v"] = version


def _content_date(endpoint: str, slug: str) -> dt.date | None:
    lib = library_for()
    if endpoint == "site.article":
        article = published_article(slug, current_language())  # a translation, or the original shown instead
        return article.updated if article else None
    category = lib.category(slug)
    return category_updated(lib, category) if category else None


def _revalidate_page(response: Response) -> Response:
    # private: the page carries the visitor's own vote and form token, so no shared cache may keep it.
    # Set as one string: each change through response.cache_control rewrites the header.
    response.headers["Cache-Control"] = "private, no-cache"
    response.add_etag()
    # Only If-None-Match can answer 304: last_modified is set after the check on purpose.
    if request.if_none_match:
        response.make_conditional(request)
    updated = _content_date(request.endpoint, (request.view_args or {}).get("slug", ""))
    if updated:
        response.headers["Last-Modified"] = _http_date(updated)
    return response


@functools.lru_cache(maxsize=1024)
def _http_date(day: dt.date) -> str:
    return http_date(dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc))


def _cache_asset(response: Response) -> Response:
    filename = (request.view_args or {}).get("filename", "")
    if request.args.get("v") and request.args.get("v") == asset_version(filename):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ASSET_MAX_AGE
        response.cache_control.immutable = True
    return response


def _cache_headers(response: Response) -> Response:
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if request.endpoint in PAGE_ENDPOINTS:
        return _revalidate_page(response)
    if request.endpoint == "static":
        return _cache_asset(response)
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_fingerprint)
    app.jinja_env.globals["asset_url"] = asset_url
    app.after_request(_cache_headers)
