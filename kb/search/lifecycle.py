"""Building index generations and switching between them safely.

The index directory holds one folder per build (a *generation*) and a file
``current`` naming the one being served. A build writes a fresh folder and
only then replaces ``current`` (``os.replace`` is atomic), so a build that
is killed half-way leaves the previous generation serving; the next build
removes its leftovers. Builds take an exclusive file lock, so the workers of
one node never write at the same time; each node builds from its own
content checkout, and equal content gives equal indexes and results.

    KB_INDEX_DIR/
        current              "g-20261124T083000-4242-1a2b"
        build.lock
        vectors.sqlite       passage vectors by text, for every generation (kb.search.vectors)
        g-20261124T083000-4242-1a2b/
            meta.json        fingerprint of the content it was built from
            vocabulary.json  words shoppers read, with counts, for typo correction
            speller.bin      their typo table (kb.search.query.Speller)
            outlines.bin     each article's sections as plain text, for snippets (kb.search.snippets)
            scores.bin       every term's articles and BM25F scores, computed once here
            scores.json      the terms of scores.bin, in order, with their counts
            passages.json    with semantic search on: the article and section passages to embed
            semantic.npy     their vectors, once kb.search.vectors has made them
            semantic.json    which article and section each row is, and the fingerprint (written last)
            ...              Whoosh's files
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.search import semantic, snippets
from kb.search.engine import ENGLISH, TOKEN, Document, document_slugs, term, write_index, write_scores
from kb.search.query import Speller, speller_table

log = logging.getLogger(__name__)

# Bump when the schema, the analyzer or the files of a generation change: the
# fingerprint changes with it, so every node rebuilds on its next start
# (2: the scored postings; 3: kept in scores.bin, not in SQLite; 4: the typo table in speller.bin;
# 5: the snippets' outlines in outlines.bin; 6: common terms' documents as bits; 7: no longer).
INDEX_FORMAT = 7
# Below this many articles a parallel build costs more in start-up than it saves.
PARALLEL_FROM = 500
CURRENT = "current"
META = "meta.json"
VOCABULARY = "vocabulary.json"
SPELLER = "speller.bin"


def fingerprint(articles: Iterable, language: str | None = None) -> str:
    """A digest of every published article's path and content, plus the index format (and a language's analyzer)."""
    digest = hashlib.sha256(f"kb-index {INDEX_FORMAT}\n".encode())
    if language and language != ENGLISH:  # English keeps the fingerprint it always had
        digest.update(f"language {language}\n".encode())
    for article in sorted(articles, key=lambda a: a.slug):
        digest.update(f"{article.path}\0{article.slug}\0{article.source_hash}\n".encode())
    return digest.hexdigest()


def document(article) -> Document:
    headings = " ".join(h.title for h in article.headings)
    return Document(slug=article.slug, category=article.category or "", title=article.title,
                    about=" ".join([article.summary, " ".join(article.tags), headings]), body=article.text)


def vocabulary(articles: Iterable, language: str | None = None) -> dict[str, list]:
    """Every word shoppers can read in the articles: its count and its indexed term.

    The term is computed here, at build time, so that opening a generation
    costs nothing per word.
    """
    counts: Counter[str] = Counter()
    for article in articles:
        for text in (article.title, article.summary, article.text):
            counts.update(w.lower() for w in TOKEN.findall(text))
    return {word: [count, term(word, language)] for word, count in counts.items()}


def current_generation(index_dir: Path) -> Path | None:
    """The generation being served, or None when there is none (or it was removed)."""
    try:
        name = (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    path = index_dir / name
    return path if name and (path / META).is_file() else None


def stored_fingerprint(generation: Path | None) -> str | None:
    if generation is None:
        return None
    try:
        return json.loads((generation / META).read_text())["fingerprint"]
    except (OSError, ValueError, KeyError):
        return None


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Held while building; other processes wait here instead of failing with LockError."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / "build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_generation(index_dir: Path, articles: list, embedder=None, language: str | None = None) -> Path:
    """Write a complete new generation beside the others; does not switch to it.

    With an ``embedder`` (semantic search on) it also holds the articles' vectors;
    ``language`` chooses the analyzer (None: English).
    """
    published = sorted((a for a in articles if not a.draft), key=lambda a: a.slug)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    generation = index_dir / f"g-{stamp}-{os.getpid()}-{secrets.token_hex(2)}"
    generation.mkdir(parents=True)
    processes = min(os.cpu_count() or 1, 4) if len(published) >= PARALLEL_FROM else 1
    write_index(generation, map(document, published), processes, language=language)
    write_scores(generation, processes)
    by_slug = {article.slug: article for article in published}
    snippets.write_outlines(generation / snippets.OUTLINES, map(by_slug.__getitem__, document_slugs(generation)))
    words = vocabulary(published, language)
    (generation / VOCABULARY).write_text(json.dumps(words))
    with open(generation / SPELLER, "wb") as table:
        speller_table(sorted(words)).tofile(table)
    if embedder is not None:
        semantic.plan(generation, published, fingerprint(published, language))
    meta = {"fingerprint": fingerprint(published, language), "articles": len(published), "language": language,
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    (generation / META).write_text(json.dumps(meta))  # written last: marks the generation complete
    return generation


def switch(index_dir: Path, generation: Path) -> None:
    """Point ``current`` at ``generation`` in one atomic rename; readers see old or new, never half."""
    draft = index_dir / f"{CURRENT}.{os.getpid()}"
    draft.write_text(generation.name)
    os.replace(draft, index_dir / CURRENT)


def prune(index_dir: Path, keep: set[Path]) -> None:
    """Remove old generations and the leftovers of killed builds; call with the build lock held.

    The previous generation is kept (in ``keep``) so a worker still reading
    it until its next query never loses its files.
    """
    for path in index_dir.glob("g-*"):
        if path.is_dir() and path not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _replace(index_dir: Path, articles: list, embedder=None, language: str | None = None) -> Path:
    """Build, switch and prune; the caller holds the build lock."""
    previous = current_generation(index_dir)
    fresh = build_generation(index_dir, articles, embedder, language)
    switch(index_dir, fresh)
    prune(index_dir, {fresh, previous})
    return fresh


def rebuild(index_dir: Path, articles: list, embedder=None, language: str | None = None) -> Path:
    """Build a new generation and serve it: ``flask --app kb index``."""
    with build_lock(index_dir):
        return _replace(index_dir, articles, embedder, language)


def ensure_current(index_dir: Path, articles: list, embedder=None, language: str | None = None) -> Path:
    """The generation for this content, building it first when the stored one is stale.

    Called at start-up by every worker: the first to take the lock builds,
    the others wait and then find the fresh generation ready.
    """
    wanted = fingerprint((a for a in articles if not a.draft), language)

    def fresh(generation: Path | None) -> bool:  # semantic search on: its passages must be listed too
        return stored_fingerprint(generation) == wanted and (embedder is None
                                                             or (generation / semantic.PASSAGES).is_file())

    generation = current_generation(index_dir)
    if fresh(generation):
        return generation
    with build_lock(index_dir):
        generation = current_generation(index_dir)
        if fresh(generation):
            return generation
        log.info("search index is missing or stale: building it")
        return _replace(index_dir, articles, embedder, language)


def read_vocabulary(generation: Path) -> dict[str, list]:
    return json.loads((generation / VOCABULARY).read_text())


def read_speller(generation: Path, vocabulary: dict[str, list]) -> Speller:
    """The typo corrector of a generation's ``vocabulary``, with the table made when it was built."""
    counts = {word: count for word, (count, _) in vocabulary.items()}
    table = array("Q")
    table.frombytes((generation / SPELLER).read_bytes())
    return Speller(counts, table)
