"""Search: what the app asks of the index, and the index's lifecycle in the app.

The package keeps Whoosh in ``engine`` alone. Here the app gets one
``Search`` per process: it opens the generation named by ``current``, moves to
a new one when ``flask --app kb index`` switches it, re-reads the editors'
synonyms when they change, and turns order numbers into a route to the
tracking article instead of a failed search.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

from flask import Flask, current_app, has_app_context
from markupsafe import escape

from kb.search import lifecycle, semantic
from kb.search.finder import PER_PAGE, CategoryCount, Finder, Hit, Results
from kb.search.lifecycle import CURRENT, current_generation, ensure_current
from kb.search.query import SYNONYMS_FILE, SynonymsFile, normalize

__all__ = ["CategoryCount", "Hit", "Results", "Search", "current_search", "init_app", "normalize", "rebuild"]

log = logging.getLogger(__name__)

# What a shopper may type that identifies them: never stored in the search log.
EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
PHONE = re.compile(r"\+?\(?\d(?:[\s().-]*\d){6,}")


class Search:
    """The search a worker process serves from; one per app."""

    def __init__(self, index_dir: Path, library, content_dir: Path, order_number: str, tracking_article: str,
                 embedder=None):
        self.index_dir = index_dir
        self.embedder = embedder  # semantic search on: all-MiniLM-L6-v2, loaded once per process
        self.library = library
        self.synonyms = SynonymsFile(content_dir / SYNONYMS_FILE, f"{content_dir.name}/{SYNONYMS_FILE}")
        self.order_number = re.compile(order_number)
        self.tracking_article = tracking_article
        self._finder: Finder | None = None
        self._stamp: tuple | None = None
        self._lock = threading.Lock()

    def finder(self) -> Finder | None:
        """The finder for the generation being served; a stat call per query notices a switch."""
        try:
            stat = os.stat(self.index_dir / CURRENT)
            stamp = (stat.st_ino, stat.st_mtime_ns)
        except FileNotFoundError:
            return self._finder
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._open(stamp)
        return self._finder

    def _open(self, stamp: tuple) -> None:
        generation = current_generation(self.index_dir)
        if generation is None:
            return
        previous, self._finder, self._stamp = self._finder, Finder(generation, self.library, self.embedder), stamp
        if previous is not None:
            previous.close()

    def is_order_number(self, query: str) -> bool:
        return bool(self.order_number.search(query))

    def loggable(self, query: str) -> str:
        """The query as the search log may keep it: order numbers, e-mail addresses and phone numbers blanked.

        The leftmost match wins (an order number on a tie), so "07700 900123"
        is one phone number, not a phone prefix and an order number.
        """
        kinds = (("[order number]", self.order_number), ("[email]", EMAIL), ("[phone]", PHONE))
        kept, position = [], 0
        while found := [(m.start(), rank, label, m) for rank, (label, pattern) in enumerate(kinds)
                        if (m := pattern.search(query, position))]:
            start, _, label, match = min(found)
            kept += [query[position:start], label]
            position = match.end()
        return "".join(kept) + query[position:]

    def search(self, raw_query: str, *, category: str | None = None, page: int = 1, per_page: int = PER_PAGE,
               prefix: bool = False, correct: bool = True) -> Results:
        """Results for anything a shopper typed; never raises for odd input."""
        query = normalize(raw_query)
        if self.is_order_number(query):
            return self._tracking(query)
        finder = self.finder()
        if not query or finder is None:
            return Results(query, unavailable=bool(query) and finder is None)
        return finder.search(query, self.synonyms.current(), category=category, page=max(1, page),
                             per_page=per_page, prefix=prefix, correct=correct)

    def _tracking(self, query: str) -> Results:
        """An order or tracking number: the tracking article, not an empty page."""
        article = self.library.articles.get(self.tracking_article)
        if article is None:
            return Results(query, order_number=True)
        hit = Hit(slug=article.slug, title=article.title, category=article.category, anchor=None, section=None,
                  snippet=escape(article.summary))
        return Results(query, hits=(hit,), total=1, pages=1, order_number=True)


def current_search() -> Search:
    return current_app.extensions["kb.search"]


def rebuild(index_dir: Path, articles: list) -> Path:
    """Build a new generation and serve it (``flask --app kb index``), with vectors when the app's search has a model."""
    search = current_app.extensions.get("kb.search") if has_app_context() else None
    return lifecycle.rebuild(index_dir, articles, search.embedder if search else None)


def init_app(app: Flask) -> None:
    """Make sure the index matches the content (building it if not) and open it.

    A failure to build is logged and the site keeps serving: pages work,
    and search answers from the last good index, or says it is unavailable
    while there is none.
    """
    library = app.extensions["kb.library"]
    index_dir = Path(app.config["KB_INDEX_DIR"])
    embedder = semantic.load(app.config["KB_SEMANTIC_MODEL"]) if app.config["KB_SEMANTIC"] else None
    search = Search(index_dir, library, Path(app.config["KB_CONTENT_DIR"]),
                    app.config["KB_ORDER_NUMBER_PATTERN"], app.config["KB_TRACKING_ARTICLE"], embedder)
    try:
        ensure_current(index_dir, list(library.articles.values()), embedder)
    except OSError as error:
        log.error("search index could not be built in %s: %s", index_dir, error)
    app.extensions["kb.search"] = search
