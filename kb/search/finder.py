"""Answering one query against one index generation.

Every article with any of the query's words (or their synonyms) is ranked by
one BM25F score: an article lacking a word a question carries ("how do I",
"is it possible") is not pushed below the ones that happen to have it.
Unknown words are corrected against the articles' vocabulary first ("refnud
polcy" -> "refund policy"), and fuzzy matching is the last resort before an
empty page. Results are cached per generation: shoppers ask the
same things, and a new generation starts with an empty cache.
"""
from __future__ import annotations

import bisect
import hashlib
import logging
import math
import threading
import time
from collections import Counter
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from markupsafe import Markup

from kb.node_cache import NodeCache
from kb.search import semantic, snippets
from kb.search.engine import Clause, Generation, best, term
from kb.search.lifecycle import read_speller, read_vocabulary, stored_fingerprint
from kb.search.query import Synonyms, Words, droppable, split

PER_PAGE = 10
CACHE_ENTRIES = 4096
PREFIX_WORDS = 8
LOOK_FOR_VECTORS = 1.0  # seconds between looks for vectors still being made

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    slug: str
    title: str
    category: str | None
    anchor: str | None  # the section that answers, when the match lies in one
    section: str | None
    snippet: Markup
    language: str | None = None  # set on an original shown because the shopper's language has no translation


@dataclass(frozen=True)
class CategoryCount:
    slug: str
    count: int


@dataclass(frozen=True)
class Results:
    query: str
    hits: tuple[Hit, ...] = ()
    total: int = 0
    page: int = 1
    pages: int = 0
    category: str | None = None
    categories: tuple[CategoryCount, ...] = ()
    showing: str | None = None  # the corrected query we searched for instead of ``query``
    fuzzy: bool = False
    order_number: bool = False  # looked like an order or tracking number
    unavailable: bool = False  # no index could be opened: say so, never "nothing found"


@dataclass(frozen=True)
class _Plan:
    clauses: list[Clause]
    phrases: list[tuple[str, ...]]
    words: list[str]
    showing: str | None


class Finder:
    """One generation, opened once per process, with its caches."""

    def __init__(self, generation: Path, library, embedder=None, language: str | None = None,
                 shared: NodeCache | None = None):
        self.generation = generation
        self.shared = shared  # results the node's other workers found (kb.node_cache)
        self.language = language  # the analyzer's language; None: English
        self.engine = Generation(generation, language)
        self.library = library
        self.vocabulary = read_vocabulary(generation)
        # Made here, when gunicorn opens the index in a new worker, not on a shopper's first search
        # (10 ms at 20,000 articles); tuples of strings the garbage collector soon stops visiting.
        self._surface = _words_by_term(self.vocabulary)
        self._sorted_words = sorted(self.vocabulary)
        self.speller = read_speller(generation, self.vocabulary)  # also here, not on a first typo: 5 ms at 20,000
        self._embedder = embedder
        self._look_again = 0.0  # when to look for vectors the background job may have written meanwhile
        self.neighbours = self._neighbours()
        self.blend = semantic.Blend()
        self._docs = {slug: doc for doc, slug in enumerate(self.engine.slugs)}
        self._outlines = _stored_outlines(generation)
        self._cache: OrderedDict[tuple, Results] = OrderedDict()
        self._synonyms: Synonyms | None = None
        self._shared_key: tuple = ()  # what, besides the query, the results depend on
        # Whoosh searchers and our caches are not made for concurrent use; gunicorn's
        # sync workers never wait here, a threaded server takes turns.
        self._lock = threading.Lock()

    def close(self) -> None:
        self.engine.close()
        if self._outlines is not None:
            self._outlines.close()

    def _neighbours(self) -> semantic.Neighbours | None:
        """The generation's vectors when semantic search is on and they are there; else lexical only."""
        if self._embedder is None:
            return None
        if not semantic.present(self.generation, stored_fingerprint(self.generation)):
            self._look_again = time.monotonic() + LOOK_FOR_VECTORS
            return None
        try:
            return semantic.Neighbours(self.generation, self._embedder)
        except (OSError, ValueError, KeyError) as error:
            log.error("semantic search is off for %s: its vectors cannot be read: %s", self.generation.name, error)
            return None

    def _semantic(self) -> semantic.Neighbours | None:
        """The vectors, once they are there: looked for at most every LOOK_FOR_VECTORS seconds until then."""
        if self.neighbours is None and self._look_again and time.monotonic() >= self._look_again:
            self._look_again = 0.0
            self.neighbours = self._neighbours()
        return self.neighbours

    def set_blend(self, blend: semantic.Blend) -> None:
        """Mix the two rankings differently (the quality benchmark's sweep); forgets cached results."""
        with self._lock:
            self.blend = blend
            self._cache.clear()

    def search(self, query: str, synonyms: Synonyms, *, category: str | None = None, page: int = 1,
               per_page: int = PER_PAGE, prefix: bool = False, correct: bool = True) -> Results:
        """Results for an already normalized query.

        ``prefix`` treats the last word as unfinished (instant search);
        ``correct=False`` searches the words as typed ("search instead for").
        """
        with self._lock:
            return self._cached(query, synonyms, category, page, per_page, prefix, correct)

    def _cached(self, query, synonyms, category, page, per_page, prefix, correct) -> Results:
        if synonyms is not self._synonyms:
            self._cache.clear()
            self._synonyms = synonyms
            rules = hashlib.blake2b(repr(synonyms.rules).encode(), digest_size=16).hexdigest()
            self._shared_key = (self.generation.name, self.language, rules)
        key = (query, category, page, per_page, prefix, correct, self._semantic() is not None)
        return _kept(self._cache, key, CACHE_ENTRIES,
                     lambda: self._answered(key, lambda: self._search(query, synonyms, *key[1:-1])))

    def _answered(self, key: tuple, search) -> Results:
        """What another worker of this node found for ``key``, else ``search()``, kept for the others."""
        if self.shared is None:
            return search()
        shared_key = (*self._shared_key, self.blend, *key)
        found = self.shared.get(shared_key)
        if found is None:
            found = search()
            self.shared.put(shared_key, found)
        return found

    def _search(self, query, synonyms, category, page, per_page, prefix, correct) -> Results:
        plan = self._plan(split(query), synonyms, prefix, correct)
        if not plan.clauses and not plan.phrases:
            return Results(query)
        scored = self.neighbours.scores(query, self.blend.article_weight) if self.neighbours else None
        matches = self.engine.matches(plan.clauses, plan.phrases)
        found = matches.found
        fuzzy = not found.any() and not prefix and correct
        if fuzzy:
            matches = self.engine.fuzzy(plan.words)
            found = matches.found
        shown = found & (self.engine.topic_of == self.engine.topic_number.get(category, -1)) if category else found
        start = (page - 1) * per_page
        first, end = (0, max(start + per_page, self.blend.lexical_top)) if scored else (start, start + per_page)
        docs = best(matches.scores, shown, first, end)
        added = [] if scored is None else [
            doc for slug in scored.nearest(self.blend.neighbours, self.blend.min_similarity)
            if (doc := self._docs.get(slug)) is not None and not found[doc]]
        counts = Counter(dict(zip(self.engine.topics, np.bincount(self.engine.topic_of[found],
                                                                  minlength=len(self.engine.topics)).tolist())))
        counts.update(map(self.engine.categories.__getitem__, added))
        if category:
            added = [doc for doc in added if self.engine.categories[doc] == category]
        if scored:
            coverage = {doc: matches.parts[doc] / matches.asked for doc in docs}  # the share of the query it has
            docs = self._blended(docs, coverage, added, scored)[start:start + per_page]
        words = self._highlighter(plan)
        total = int(shown.sum()) + len(added)
        return Results(
            query=query,
            hits=tuple(self._hit(doc, words, scored) for doc in docs
                       if self.engine.slugs[doc] in self.library.articles),
            total=total, page=page, pages=math.ceil(total / per_page), category=category,
            categories=tuple(CategoryCount(slug, n) for slug, n in sorted(counts.items(), key=lambda c: (-c[1], c[0]))
                             if n),
            showing=plan.showing, fuzzy=fuzzy and found.any(),
        )

    def _known(self, word: str, synonyms: Synonyms) -> bool:
        text = term(word, self.language)
        return word in self.vocabulary or not text or self.engine.has_term(text) or (text,) in synonyms.rules

    def _plan(self, typed: Words, synonyms: Synonyms, prefix: bool, correct: bool) -> _Plan:
        words = list(typed.words)
        drop = droppable(typed.words, self.language)
        # A last word the articles have is searched as typed, so the instant list is the results page's top;
        # one they lack is taken as unfinished and searched by its completions, never "corrected".
        last = words[-1] if prefix and words and words[-1] not in drop and len(words[-1]) >= 2 else ""
        completions = self._completions(last) if last and not self._known(last, synonyms) else ()
        if completions:
            words.pop()
        fixes = {w: fixed for w in words if correct and w not in drop and not self._known(w, synonyms)
                 and (fixed := self.speller.correct(w))}
        corrected = [fixes.get(w, w) for w in words]
        clauses = synonyms.clauses(tuple(corrected), drop)
        if completions:
            clauses.append(completions)
        phrases = [p for p in (tuple(t for t in (term(w, self.language) for w in words) if t)
                               for words in typed.phrases) if p]
        showing = Words(tuple(fixes.get(w, w) for w in typed.words), typed.phrases).text() if fixes else None
        return _Plan([c for c in clauses if c], phrases, [w for w in corrected if w not in drop], showing)

    def _completions(self, start: str) -> Clause:
        """The terms of the commonest article words starting with what the shopper is typing."""
        words = self._sorted_words
        first = bisect.bisect_left(words, start)
        last = bisect.bisect_left(words, start + "\uffff")
        likely = sorted(words[first:last], key=lambda w: -self.vocabulary[w][0])[:PREFIX_WORDS]
        return tuple((t,) for t in dict.fromkeys(self.vocabulary[w][1] for w in likely) if t)

    def _highlighter(self, plan: _Plan):
        texts = {t for clause in plan.clauses for terms in clause for t in terms}
        texts |= {t for phrase in plan.phrases for t in phrase}
        return snippets.matcher(set().union(*(self._surface.get(t, ()) for t in texts)))

    def _blended(self, lexical: list[int], coverage: dict[int, float], added: list[int],
                 scored: semantic.Scored) -> list[int]:
        """Whoosh's top ``lexical_top`` and the model's additions in blended order, then the rest of Whoosh's."""
        blend = self.blend
        top = lexical[:blend.lexical_top]
        rank = {doc: n for n, doc in enumerate(top, 1)}
        candidates = dict.fromkeys([*top, *added])

        def score(doc: int) -> float:
            similarity = scored.similarity(self.engine.slugs[doc])
            lexical_score = blend.lexical(rank.get(doc, blend.lexical_top + 1), coverage.get(doc, 0.0))
            return blend.weight * similarity + (1 - blend.weight) * lexical_score

        return sorted(candidates, key=lambda d: (-score(d), d)) + lexical[len(top):]

    def _outline(self, doc: int, article) -> snippets.Outline:
        """An article's sections for snippets: as the build stored them, else cut from the article now."""
        return self._outlines[doc] if self._outlines is not None else snippets.outline(article)

    def _hit(self, doc: int, words: snippets.Matcher | None, scored: semantic.Scored | None = None) -> Hit:
        article = self.library.articles[self.engine.slugs[doc]]
        outline = self._outline(doc, article)
        found = snippets.excerpt(article, outline, words)
        section = found.section
        if scored is not None and not found.matched:
            # None of the words is in the article: the model's nearest section is the answer to link.
            anchor, _ = scored.passage(article.slug)
            section = next((s for s in outline.sections if anchor and s.anchor == anchor), None)
            if section is not None:
                found = snippets.Excerpt(section, snippets.highlight(section.text, None))
        return Hit(slug=article.slug, title=article.title, category=article.category,
                   anchor=section.anchor if section else None, section=section.title if section else None,
                   snippet=found.snippet)


def _stored_outlines(generation: Path) -> snippets.Outlines | None:
    """The outlines the build stored; None for a generation built before they were (served while a new one cannot be)."""
    try:
        return snippets.Outlines(generation / snippets.OUTLINES)
    except (OSError, ValueError) as error:
        log.warning("snippets of %s are cut from the articles on each search: %s", generation.name, error)
        return None


def _words_by_term(vocabulary: dict[str, list]) -> dict[str, tuple[str, ...]]:
    """Indexed term -> the words in articles that have it, for highlighting."""
    surface: dict[str, list[str]] = {}
    for word, (_, text) in vocabulary.items():
        surface.setdefault(text, []).append(word)
    return {text: tuple(words) for text, words in surface.items()}


def _kept(store: OrderedDict, key, limit: int, make):
    """``store[key]``, made by ``make()`` when missing; past ``limit`` entries the least recently used leaves."""
    found = store.get(key)
    if found is None:
        found = store[key] = make()
        if len(store) > limit:
            store.popitem(last=False)
    else:
        store.move_to_end(key)
    return found
