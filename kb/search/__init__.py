"""Search: what the app asks of the index, and the index's lifecycle in the app.

The package keeps Whoosh in ``engine`` alone. Here the app gets one
``Search`` per language and process: it opens the generation named by
``current``, moves to a new one when ``flask --app kb index`` switches it,
re-reads the editors' synonyms when they change, and turns order numbers into
a route to the tracking article instead of a failed search.

Each language has its own index (``KB_INDEX_DIR/<code>/`` beside the
default language's), built with its own analyzer from its translations.
A search in a language other than the default lists its own articles
first, then the default language's originals of articles not translated
yet, marked as such: a shopper never misses an answer for want of a
translation.
"""
from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path

from flask import Flask, current_app, has_app_context
from markupsafe import escape

from kb.languages import content_folder, current_language
from kb.node_cache import NodeCache
from kb.search import lifecycle, semantic, vectors
from kb.search.finder import PER_PAGE, CategoryCount, Finder, Hit, Results
from kb.search.lifecycle import CURRENT, current_generation, ensure_current
from kb.search.query import SYNONYMS_FILE, SynonymsFile, normalize

__all__ = ["CategoryCount", "Hit", "Results", "Search", "current_search", "init_app", "normalize", "open_indexes",
           "rebuild"]

log = logging.getLogger(__name__)

READ_AHEAD_CHUNK = 1 << 20  # bytes per read when the master reads the index ahead (see read_ahead)

# What a shopper may type that identifies them: never stored in the search log.
EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
PHONE = re.compile(r"\+?\(?\d(?:[\s().-]*\d){6,}")


class Search:
    """The search a worker process serves from; one per app."""

    def __init__(self, index_dir: Path, library, content_dir: Path, order_number: str, tracking_article: str,
                 embedder=None, language: str | None = None, fallback: Search | None = None,
                 shared: NodeCache | None = None):
        self.index_dir = index_dir
        self.embedder = embedder  # semantic search on: all-MiniLM-L6-v2, loaded once per process
        self.library = library
        self.language = language
        self.fallback = fallback  # the default language's search, for originals not translated yet
        folder, shown = content_folder(content_dir, language if fallback is not None else None)
        self.synonyms = SynonymsFile(folder / SYNONYMS_FILE, f"{shown}/{SYNONYMS_FILE}", language)
        self.order_number = re.compile(order_number)
        self.tracking_article = tracking_article
        self.shared = shared  # one per app, made before gunicorn forks: the workers' results meet there
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
        finder = Finder(generation, self.library, self.embedder, self.language, self.shared)
        previous, self._finder, self._stamp = self._finder, finder, stamp
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
        if self.fallback is not None:
            return self._with_originals(query, category, max(1, page), per_page, prefix, correct)
        return self._own(query, category, page, per_page, prefix, correct)

    def _own(self, query: str, category, page, per_page, prefix, correct) -> Results:
        finder = self.finder()
        if not query or finder is None:
            return Results(query, unavailable=bool(query) and finder is None)
        return finder.search(query, self.synonyms.current(), category=category, page=max(1, page),
                             per_page=per_page, prefix=prefix, correct=correct)

    def _with_originals(self, query: str, category, page, per_page, prefix, correct) -> Results:
        """This language's results, then what only the default language's index found.

        An original found there is listed as its translation when it has
        one (a word like "Klarna" or "tracking" may be in the original
        only), else as itself, marked with its language. The originals are
        searched for the words as typed (no spelling correction): corrected
        into another language, a word finds nonsense.
        """
        window = page * per_page
        own = self._own(query, category, 1, window, prefix, correct)
        other = self.fallback.search(query, category=category, per_page=window, prefix=prefix, correct=False)
        listed = {hit.slug for hit in own.hits}
        originals = []
        for hit in other.hits:
            mine = self.library.articles.get(self.library.by_original.get(hit.slug, ""))
            if mine is None or mine.draft:
                originals.append(replace(hit, language=self.fallback.language))
            elif mine.slug not in listed:
                listed.add(mine.slug)
                originals.append(Hit(slug=mine.slug, title=mine.title, category=mine.category, anchor=None,
                                     section=None, snippet=escape(mine.summary)))
        total = own.total + other.total - (len(other.hits) - len(originals))
        counts = Counter({c.slug: c.count for c in own.categories})
        counts.update({c.slug: c.count for c in other.categories})
        start = (page - 1) * per_page
        return Results(
            query, hits=(own.hits + tuple(originals))[start:start + per_page], total=total, page=page,
            pages=math.ceil(total / per_page), category=category,
            categories=tuple(CategoryCount(slug, n) for slug, n in sorted(counts.items(), key=lambda c: (-c[1], c[0]))),
            showing=own.showing, fuzzy=own.fuzzy and not originals,
            unavailable=own.unavailable and other.unavailable)

    def _tracking(self, query: str) -> Results:
        """An order or tracking number: the tracking article, not an empty page."""
        slug = self.library.by_original.get(self.tracking_article, self.tracking_article)
        article = self.library.articles.get(slug)
        if article is None and self.fallback is not None:
            found = self.fallback._tracking(query)
            return replace(found, hits=tuple(replace(hit, language=self.fallback.language) for hit in found.hits))
        if article is None:
            return Results(query, order_number=True)
        hit = Hit(slug=article.slug, title=article.title, category=article.category, anchor=None, section=None,
                  snippet=escape(article.summary))
        return Results(query, hits=(hit,), total=1, pages=1, order_number=True)


def current_search() -> Search:
    """The search of the language being served."""
    return current_app.extensions["kb.searches"].get(current_language(), current_app.extensions["kb.search"])


def open_indexes(app: Flask) -> None:
    """Open every language's index in a new worker, so that its first shopper does not wait for it.

    gunicorn calls this after forking a worker from the loaded master. The
    master itself never opens an index: forked processes would share its
    open files, and their read positions with them.
    """
    with app.app_context():
        for search in app.extensions["kb.searches"].values():
            search.finder()


def read_ahead(app: Flask) -> int:
    """Read every served generation's files once, so that a node's first searches find them in memory; bytes read.

    gunicorn's master calls this before it forks. A file not read for a
    while comes from the disk: at 20,000 articles a random read of the
    scored postings took 0.2 ms instead of 6 us, and the first second of
    fresh workers, each search reading tens of places, spent a quarter of
    its time waiting (article p99 171 ms where a warm index gave 9-22 ms).
    Read in order, the whole index at 20,000 articles (212 MiB) took 0.35 s.
    """
    read = 0
    for search in app.extensions["kb.searches"].values():
        generation = current_generation(search.index_dir)
        for path in generation.iterdir() if generation else ():
            try:
                with open(path, "rb", buffering=0) as file:
                    while chunk := file.read(READ_AHEAD_CHUNK):
                        read += len(chunk)
            except OSError as error:  # a file pruned meanwhile: the workers will not read it either
                log.info("search index file %s not read ahead: %s", path.name, error)
    return read


def language_index_dir(index_dir: Path, language: str) -> Path:
    """Where a language other than the default keeps its index: a folder beside the default's generations."""
    return index_dir / language


def rebuild(index_dir: Path, articles: list, language: str | None = None, wait: bool = False) -> Path:
    """Build a new generation and serve it (``flask --app kb index``), with vectors when the app's search has a model.

    Only the default language (``language`` None) gets vectors: the model
    understands English. They are made in the background unless ``wait``.
    When the app built that very index as it loaded (the stored one was
    stale), it is not built a second time.
    """
    search = current_app.extensions.get("kb.search") if has_app_context() else None
    embedder = search.embedder if search and language is None else None
    generation = _built(index_dir, articles, language, embedder)
    if embedder is not None and wait:
        vectors.finish(generation, embedder)
    elif embedder is not None:
        vectors.soon(generation, embedder)
    return generation


def _built(index_dir: Path, articles: list, language: str | None, embedder) -> Path:
    target = index_dir if language is None else language_index_dir(index_dir, language)
    analyzer = language or (current_app.config["KB_LANGUAGES"][0] if has_app_context() else None)
    just_built = current_app.extensions.get("kb.index_built_on_load", {}).pop(analyzer, None) if has_app_context() \
        else None
    if just_built and lifecycle.stored_fingerprint(just_built) == lifecycle.fingerprint(
            (a for a in articles if not a.draft), analyzer):
        return just_built
    return lifecycle.rebuild(target, articles, embedder, analyzer)


def init_app(app: Flask) -> None:
    """Make sure the index matches the content (building it if not) and open it.

    A failure to build is logged and the site keeps serving: pages work,
    and search answers from the last good index, or says it is unavailable
    while there is none.
    """
    library = app.extensions["kb.library"]
    index_dir = Path(app.config["KB_INDEX_DIR"])
    content_dir = Path(app.config["KB_CONTENT_DIR"])
    default_language, *others = app.config["KB_LANGUAGES"]
    embedder = semantic.load(app.config["KB_SEMANTIC_MODEL"]) if app.config["KB_SEMANTIC"] else None
    options = (app.config["KB_ORDER_NUMBER_PATTERN"], app.config["KB_TRACKING_ARTICLE"])
    shared = NodeCache()
    search = Search(index_dir, library, content_dir, *options, embedder, default_language, shared=shared)
    searches = {default_language: search}
    for language in others:
        translated = library.translations[language]
        searches[language] = Search(language_index_dir(index_dir, language), translated, content_dir, *options,
                                    language=language, fallback=search, shared=shared)
    built = {}  # language -> the generation built here, because the stored one was stale
    for language, each in searches.items():
        each.synonyms.current()  # stemmed here, once, not on each gunicorn worker's first search
        before = current_generation(each.index_dir)
        try:
            generation = ensure_current(each.index_dir, list(each.library.articles.values()), each.embedder, language)
        except OSError as error:
            log.error("search index could not be built in %s: %s", each.index_dir, error)
            continue
        if generation != before:
            built[language] = generation
        if each.embedder is not None:
            vectors.soon(generation, each.embedder)
    app.extensions["kb.index_built_on_load"] = built
    app.extensions["kb.search"] = search
    app.extensions["kb.searches"] = searches
