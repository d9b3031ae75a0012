"""Passage vectors kept across index generations, and the job that embeds them in the background.

An index build only lists the passages a generation needs embedded
(``semantic.PASSAGES``); it never waits for the model. The vectors come from
one cache beside the generations (``KB_INDEX_DIR/vectors.sqlite``), keyed by
the passage's text, how much of it the model reads and the model itself: a
rebuild after an edit embeds only the passages that changed, and a text that
several passages share is embedded once. What the cache lacks is embedded by
a separate, lower-priority process (``main``) while
lexical search answers; the workers blend the model in once the generation's
vectors are there (``semantic.present``).
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import numpy as np

from kb.search import semantic

log = logging.getLogger(__name__)

CACHE = "vectors.sqlite"
LOCK = "embed.lock"
# Passages embedded between two writes to the cache: a job that is stopped keeps what it did.
CHUNK = 256
SQL_VARIABLES = 500  # keys per lookup, well under SQLite's limit on a statement's variables
# The background job's command: main() of this module (``-m`` would import it twice, as a module of kb.search too).
JOB = "import sys; from kb.search.vectors import main; sys.exit(main(sys.argv[1:]))"


def key(text: str, tokens: int) -> str:
    """A passage as embedded: the model, how many tokens of the text it reads, and the text."""
    return hashlib.sha256(f"{semantic.MODEL_SHA256} {tokens}\n{text}".encode()).hexdigest()[:24]


class VectorCache:
    """Vectors by passage key, in one SQLite file that every build and job of an index folder shares."""

    def __init__(self, path: Path):
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def close(self) -> None:
        self._db.close()

    def known(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {}
        for start in range(0, len(keys), SQL_VARIABLES):
            chunk = keys[start:start + SQL_VARIABLES]
            rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                                    chunk)
            found.update((k, np.frombuffer(blob, np.float32)) for k, blob in rows)
        return found

    def add(self, vectors: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                 ((k, v.astype(np.float32).tobytes()) for k, v in vectors.items()))


def finish(generation: Path, embedder=None) -> int | None:
    """Write ``generation``'s vectors from the cache, embedding with ``embedder`` what it lacks.

    Returns how many passages were embedded, or None (and writes nothing)
    when the cache lacks some and there is no ``embedder``. One process of
    an index folder embeds at a time; the others wait, then find the cache
    filled.
    """
    if embedder is None:
        return _finish(generation, None)
    with open(generation.parent / LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _finish(generation, embedder)


def _finish(generation: Path, embedder) -> int | None:
    plan = json.loads((generation / semantic.PASSAGES).read_text())
    rows = plan["rows"]  # [slug, anchor, section, text, tokens]
    keys = [key(text, tokens) for _, _, _, text, tokens in rows]
    with closing(VectorCache(generation.parent / CACHE)) as cache:
        known = cache.known(sorted(set(keys)))
        missing = {k: (text, tokens) for k, (_, _, _, text, tokens) in zip(keys, rows) if k not in known}
        if missing and embedder is None:
            return None
        for tokens in sorted({tokens for _, tokens in missing.values()}):
            wanted = [k for k, (_, t) in missing.items() if t == tokens]
            for start in range(0, len(wanted), CHUNK):
                cut = wanted[start:start + CHUNK]
                done = dict(zip(cut, embedder.embed([missing[k][0] for k in cut], tokens, processes=_cores())))
                cache.add(done)
                known.update(done)
    _write(generation, np.stack([known[k] for k in keys]) if keys else np.zeros((0, semantic.DIMENSIONS), np.float32),
           {"fingerprint": plan["fingerprint"], "model_sha256": semantic.MODEL_SHA256, "embedded": len(missing),
            "rows": [row[:3] for row in rows]})
    return len(missing)


def _write(generation: Path, vectors: np.ndarray, rows: dict) -> None:
    """The vectors, then the rows naming them: each replaced whole, so a reader never sees half of either."""
    draft = generation / f"{semantic.VECTORS}.{os.getpid()}.npy"
    np.save(draft, vectors.astype(np.float32))
    os.replace(draft, generation / semantic.VECTORS)
    draft = generation / f"{semantic.ROWS}.{os.getpid()}"
    draft.write_text(json.dumps(rows))
    os.replace(draft, generation / semantic.ROWS)


def _cores() -> int:
    """Processes for embedding: every core this process may run on (it runs niced, beside serving)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def soon(generation: Path, embedder) -> subprocess.Popen | None:
    """Make ``generation``'s vectors: at once when the cache has them all, else in a background job.

    Returns the job, or None when nothing was left to do.
    """
    if semantic.present(generation, _fingerprint(generation)):
        return None
    try:
        if finish(generation) is not None:
            return None
    except (OSError, ValueError, sqlite3.Error) as error:
        log.error("semantic search vectors for %s cannot be written: %s", generation.name, error)
        return None
    log.info("semantic search starts once the model has read the new articles; lexical search answers meanwhile")
    return subprocess.Popen([sys.executable, "-c", JOB, str(generation), "--model", str(embedder.model_dir)],
                            cwd=Path(__file__).resolve().parents[2], stdin=subprocess.DEVNULL, start_new_session=True)


def _fingerprint(generation: Path) -> str | None:
    try:
        return json.loads((generation / semantic.PASSAGES).read_text())["fingerprint"]
    except (OSError, ValueError, KeyError):
        return None


def main(argv: list[str] | None = None) -> int:
    """The background job: embed one generation's missing passages."""
    parser = argparse.ArgumentParser(description="Embed an index generation's passages for semantic search.")
    parser.add_argument("generation", type=Path)
    parser.add_argument("--model", help="the model folder (default: the installed package's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    os.nice(10)  # serving comes first
    generation = args.generation
    if semantic.present(generation, _fingerprint(generation)):  # another job (another command's app) made them
        return 0
    embedder = semantic.load(args.model)
    if embedder is None:
        return 1
    try:
        started = time.perf_counter()
        embedded = finish(generation, embedder)
    except (OSError, ValueError, sqlite3.Error) as error:  # a generation pruned meanwhile, a full disk
        log.error("semantic search vectors for %s were not made: %s", generation.name, error)
        return 1
    log.info("semantic search is on for %s: %d passages embedded in %.1f s", generation.name, embedded,
             time.perf_counter() - started)
    return 0

