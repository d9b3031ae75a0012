"""Pages rendered once in gunicorn's master, before it forks the workers, into a file every worker reads.

A fresh worker renders each page the first time a shopper asks for it (one
to two milliseconds an article), so the first second after a start or a
deploy is the slowest a shopper sees: every worker renders the same pages at
once while requests queue behind them. And a worker keeps only its 512 most
recent pages (``kb.fragments``): with thousands of articles, most reads of
an article are its first in that worker, so it is rendered again and again.
The master renders every page instead, home, topics and articles in every
language, and writes them compressed into one file the workers inherit. A
worker that has not kept a page reads it from there (a ``pread`` and an
inflate, tens of microseconds). The file lives in memory (``memfd``, where
Linux has it), never written to disk, and its bytes are shared by all
processes without counting in any worker's resident set. At 20,000 articles
rendering them all added 25 to 27 seconds to gunicorn's start (130 s before).

Pages are kept per address, host included, so this needs ``KB_BASE_URL``,
the address shoppers use: without it there is no knowing which host to
render for, and nothing is done. A page is kept with the version its caller
gives (``kb.shared_pages``: for an article, its helpfulness line): once
votes change that, the page is rendered again as usual. The file has no
name (it is gone when the last process holding it exits) and is written only
by the master: a worker never sees another's pages. Reads made here are a
robot's: not counted as views.
"""
from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

from flask import Flask, url_for

from kb.fragments import ENTRIES_PER_SLOT
from kb.languages import languages, library_for, prefix
from kb.node_cache import unnamed_file

log = logging.getLogger(__name__)

USER_AGENT = "kb-prerender (bot)"  # a robot's name (kb.pageviews.is_robot): these reads are not views


class PagesAhead:
    """Pages rendered in the master: where each lies in the shared file, and the version it was rendered for."""

    def __init__(self):
        self._file = None
        self._end = 0
        self._where: dict[Hashable, tuple[int, int, object]] = {}
        self._recording = False

    @property
    def size(self) -> int:
        """Bytes written to the file."""
        return self._end

    def page(self, key: Hashable, version: object, render: Callable[[], str]) -> str:
        """The page rendered ahead for ``key`` at this ``version``, else ``render()`` (written down while recording)."""
        found = self._where.get(key)
        if found is not None and found[2] == version:
            offset, length, _ = found
            return zlib.decompress(os.pread(self._file.fileno(), length, offset)).decode()
        page = render()
        if self._recording:
            self._write(key, version, page)
        return page

    @contextmanager
    def recording(self) -> Iterator[None]:
        """Pages rendered meanwhile are written down (in the master only: a worker's would be its own)."""
        self._recording = True
        try:
            yield
        finally:
            self._recording = False

    def _write(self, key: Hashable, version: object, page: str) -> None:
        if self._file is None:
            self._file = unnamed_file("kb-pages")
        data = zlib.compress(page.encode())
        os.pwrite(self._file.fileno(), data, self._end)
        self._where[key] = (self._end, len(data), version)
        self._end += len(data)


def pages_ahead(app: Flask) -> PagesAhead:
    return app.extensions["kb.pages_ahead"]


def init_app(app: Flask) -> None:
    app.extensions["kb.pages_ahead"] = PagesAhead()


def prerender(app: Flask) -> int:
    """Render every page shoppers can open into the shared file; how many were rendered."""
    base = app.config["KB_BASE_URL"].rstrip("/")
    if not base:
        return 0
    with app.test_request_context(base_url=base + "/"):
        paths = _paths()
    client, ahead = app.test_client(), pages_ahead(app)
    with ahead.recording():
        failed = [path for path in paths
                  if client.get(path, base_url=base + "/", headers={"User-Agent": USER_AGENT}).status_code != 200]
    if len(paths) > ENTRIES_PER_SLOT["page"]:
        # The master kept the last pages it rendered, an arbitrary few: not worth their memory in every worker.
        app.jinja_env.fragment_store.pop("page", None)
    if failed:
        log.warning("%d of %d pages could not be rendered ahead, first %s", len(failed), len(paths), failed[0])
    return len(paths) - len(failed)


def _paths() -> list[str]:
    """Home and topic pages of every language, then every published article of every language."""
    pages, articles = [], []
    for language in languages():
        lang = prefix(language)
        library = library_for(language)
        pages.append(url_for("site.home", lang=lang))
        pages += [url_for("site.category", slug=c.slug, lang=lang) for c in library.categories]
        articles += [url_for("site.article", slug=a.slug, lang=lang)
                     for a in library.published if (a.language or language) == language]
    return pages + articles
