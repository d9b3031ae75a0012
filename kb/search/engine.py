"""The Whoosh index: the only module that imports whoosh.

whoosh-reloaded is no longer maintained upstream; keeping every Whoosh call
here makes a switch to a maintained fork (or another engine) a change to one
file. Callers speak in analysed terms and sets of document numbers (as bits, see
``bitsets``), never in Whoosh objects.
"""
from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import json
import mmap
import multiprocessing
import operator
import os
import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from whoosh import index, query, scoring
from whoosh.query.compound import DefaultOr
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.lang import has_stemmer, stopwords_for_language
from whoosh.support.charset import accent_map

from kb.search import bitsets

# Words as Whoosh's default tokenizer sees them; snippets and the vocabulary
# use the same pattern, so a highlighted word is always a searchable word.
TOKEN_PATTERN = r"\w+(?:\.?\w+)*"
TOKEN = re.compile(TOKEN_PATTERN)

# Title counts four times a body word, summary/tags/headings twice: the boosts
# and BM25F parameters that scored best on real shopper questions (MEASURED.md).
FIELD_BOOSTS = {"title": 4.0, "about": 2.0, "body": 1.0}
FIELDS = tuple(FIELD_BOOSTS)
WEIGHTING = scoring.BM25F(B=1.0, K1=2.5)

# Stemming so "return", "returns" and "returning" meet; accent folding so
# "café" finds "cafe". No stop words at index time: phrases keep them.
ANALYZER = (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)
            | StemFilter(cachesize=100_000))
ENGLISH = "en"
# A generation's scored postings (see write_scores): each term's documents and scores, and the terms.
SCORES = "scores.bin"
SCORED_TERMS = "scores.json"
# The documents of every term in at least one document in BITMAP_SHARE, as bits (see write_scores).
BITMAPS = "bitmaps.bin"
BITMAP_SHARE = 64
# Terms scored per task of a parallel build: a task's round trip costs little beside them, and the
# processes still share the work evenly.
TERMS_PER_TASK = 500
# A tier this many times smaller than a term's postings is looked up in them by bisection (see _scores_of).
BISECTED_BELOW = 16
# Indexes up to this size on disk are memory-mapped, larger ones read (see _IndexStorage).
MAPPED_INDEX_MB = 32


@functools.lru_cache(maxsize=None)
def analyzer(language: str | None = None):
    """The analyzer of a language's index: English (or no language) is ANALYZER, unchanged.

    Other languages stem with their own Snowball stemmer ("Rücksendungen"
    and "Rücksendung" meet in German) before accents are folded, because
    the stemmers expect the language's own letters; a language Whoosh
    cannot stem is only lower-cased and folded.
    """
    code = (language or ENGLISH).split("-")[0]
    if code == ENGLISH:
        return ANALYZER
    chain = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
    if has_stemmer(code):
        chain = chain | StemFilter(lang=code, cachesize=100_000)
    return chain | CharsetFilter(accent_map)


def stop_words(language: str | None) -> frozenset[str]:
    """A language's common words ("wie", "ist", "mein"), dropped from queries; empty for English (see query.py)."""
    code = (language or ENGLISH).split("-")[0]
    if code == ENGLISH:
        return frozenset()
    try:
        return frozenset(stopwords_for_language(code))
    except (KeyError, ValueError):
        return frozenset()


def _schema(language: str | None = None) -> Schema:
    text = {name: TEXT(analyzer=analyzer(language), field_boost=boost) for name, boost in FIELD_BOOSTS.items()}
    return Schema(slug=ID(stored=True, unique=True), category=ID(stored=True), **text)


@functools.lru_cache(maxsize=200_000)
def term(word: str, language: str | None = None) -> str:
    """The indexed form of one word ("Returning" -> "return"); "" for no word."""
    return next((token.text for token in analyzer(language)(word)), "")


@dataclass(frozen=True)
class Document:
    """What the index holds for one article; the article itself stays in the Library."""

    slug: str
    category: str
    title: str
    about: str
    body: str


def write_index(directory: Path, documents: Iterable[Document], processes: int = 1, memory_mb: int = 128,
                language: str | None = None) -> None:
    """Build a complete index in an empty ``directory``; only the build step calls this.

    With several processes each writes its own segment and they are kept
    apart (no final merge): half the build time on 2 cores at 2,000
    articles, for a query cost we could not measure.
    """
    ix = index.create_in(str(directory), _schema(language))
    options = {"procs": processes, "multisegment": True} if processes > 1 else {}
    writer = ix.writer(limitmb=memory_mb, **options)
    for doc in documents:
        writer.add_document(slug=doc.slug, category=doc.category, title=doc.title, about=doc.about, body=doc.body)
    writer.commit()


# A clause is a tuple of alternatives; each alternative is a tuple of terms
# that must all match (a synonym like "money back"). A phrase is a tuple of
# terms that must appear next to each other.
Clause = tuple[tuple[str, ...], ...]
Phrase = tuple[str, ...]


# Whoosh's automatic Or pre-loads and scores every matching document on
# indexes under 5,000 documents; a tree of unions lets the top-N collector
# skip blocks that cannot reach the top (3x faster at 2,000 articles).
def _any(parts: list[query.Query]) -> query.Query:
    return parts[0] if len(parts) == 1 else DefaultOr(parts)


def _term_query(text: str) -> query.Query:
    return _any([query.Term(field, text) for field in FIELDS])


def _clause_query(clause: Clause) -> query.Query:
    return _any([query.And([_term_query(t) for t in terms]) if len(terms) > 1 else _term_query(terms[0])
                 for terms in clause])


def _phrase_query(phrase: Phrase) -> query.Query:
    if len(phrase) == 1:
        return _term_query(phrase[0])
    return _any([query.Phrase(field, list(phrase)) for field in FIELDS])


class _Mapped:
    """An index file memory-mapped: the fastest to read; its pages count in each worker's resident memory."""

    def __init__(self, descriptor: int):
        self._map = mmap.mmap(descriptor, 0, access=mmap.ACCESS_READ)

    def fetch(self, position: int, size: int) -> bytes:
        return self._map[position:position + size]

    def close(self) -> None:
        self._map.close()


class _Read:
    """An index file read with ``os.pread``: its bytes stay in the page cache, outside every worker."""

    def __init__(self, descriptor: int):
        self._descriptor = descriptor

    def fetch(self, position: int, size: int) -> bytes:
        return os.pread(self._descriptor, size, position)

    def close(self) -> None:
        pass


class _Window:
    """A file-like view of part of an index file, for Whoosh's sequential reads."""

    def __init__(self, source: _Mapped | _Read, offset: int, length: int):
        self._source, self._offset, self._length, self._position = source, offset, length, 0

    def read(self, size: int | None = -1) -> bytes:
        left = self._length - self._position
        size = left if size is None or size < 0 else min(size, left)
        data = self._source.fetch(self._offset + self._position, max(0, size))
        self._position += len(data)
        return data

    def readline(self) -> bytes:
        line = b""
        while not line.endswith(b"\n") and (chunk := self.read(256)):
            line += chunk
        end = line.find(b"\n") + 1 or len(line)
        self._position -= len(line) - end
        return line[:end]

    def seek(self, position: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._length}[whence]
        self._position = base + position
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        pass


class _IndexFile(StructFile):
    """A file of the index, or a part of a compound file, read in place without copying it."""

    def __init__(self, source: _Mapped | _Read, offset: int, length: int, name: str | None = None, onclose=None):
        super().__init__(_Window(source, offset, length), name=name, onclose=onclose)
        self._source, self._offset = source, offset

    def get(self, position: int, length: int) -> bytes:
        return self._source.fetch(self._offset + position, length)

    def subset(self, offset: int, length: int, name: str | None = None) -> _IndexFile:
        return _IndexFile(self._source, self._offset + offset, length, name or self._name)


class _IndexStorage(FileStorage):
    """An index folder opened for searching: mapped while small, read once large.

    Whoosh's own memory map copies each part of a compound segment into a
    buffer of its own: a private copy of the index in every worker (217 MiB
    at 20,000 articles, after the first query). Here nothing is copied. A
    map is fastest (at 2,000 articles an uncached search took 7.3 ms mapped,
    8.6 ms read), but every page a worker has touched counts in its resident
    memory: 73 MiB more after 300 searches at 20,000. Read, the bytes stay in
    the page cache, outside every worker. So an index of up to
    MAPPED_INDEX_MB is mapped, and a larger one read.
    """

    def __init__(self, folder: str):
        super().__init__(folder, supports_mmap=False, readonly=True)
        # Whoosh's own files only (MAIN_*.seg, _MAIN_*.toc): ours beside them are read with pread, never mapped.
        size = sum(entry.stat().st_size for entry in os.scandir(folder)
                   if entry.is_file() and entry.name.lstrip("_").startswith(f"{index._DEF_INDEX_NAME}_"))
        self._mapped = size <= MAPPED_INDEX_MB * 2**20

    def open_file(self, name: str, **kwargs) -> _IndexFile:
        descriptor = os.open(self._fpath(name), os.O_RDONLY)
        try:
            length = os.fstat(descriptor).st_size
            source = _Mapped(descriptor) if self._mapped and length else _Read(descriptor)
        except BaseException:
            os.close(descriptor)
            raise

        def close(_):
            source.close()
            os.close(descriptor)

        return _IndexFile(source, 0, length, name, onclose=close)


@dataclass(frozen=True)
class _Postings:
    """A term's documents (in any field, ascending) and its BM25F score in each, its fields' scores summed."""

    docs: array
    scores: array


def _scores_of(postings: _Postings, wanted: bitsets.Members | dict[int, float]) -> dict[int, float]:
    """The scores ``postings`` give the documents in ``wanted`` (a tier, or the documents scored so far).

    A page's tier is often a few hundred documents while a common word has
    20,000 postings: those are found by bisection, without a dictionary of
    every posting (which took most of the ranking's time). A tier as large
    as the postings is found by walking them, testing each posting's flag.
    """
    docs, scores = postings.docs, postings.scores
    if len(wanted) * BISECTED_BELOW < len(docs):
        return _looked_up(postings, wanted)
    if isinstance(wanted, bitsets.Members):
        flags = wanted.flags
        return {doc: score for doc, score in zip(docs, scores) if flags[doc]}
    return {doc: score for doc, score in zip(docs, scores) if doc in wanted}


def _looked_up(postings: _Postings, wanted: Iterable[int]) -> dict[int, float]:
    """The scores of the ``wanted`` documents that ``postings`` have, each found by bisection."""
    docs, scores, found = postings.docs, postings.scores, {}
    for doc in wanted:
        at = bisect_left(docs, doc)
        if at < len(docs) and docs[at] == doc:
            found[doc] = scores[at]
    return found


def _best(scores: dict[int, float], limit: int) -> list[int]:
    """The ``limit`` documents with the highest scores, the lowest document number first on a tie.

    The scores are compared bare to find the lowest that makes the cut, and
    only the documents reaching it are sorted: ranking thousands by a key
    made for each took a fifth of the ranking.
    """
    if len(scores) > limit:
        floor = heapq.nlargest(limit, scores.values())[-1]
        scores = {doc: score for doc, score in scores.items() if score >= floor}
    return sorted(scores, key=lambda doc: (-scores[doc], doc))[:limit]


def _searcher(directory: Path):
    """A searcher on a finished index, scoring as every search does."""
    return _IndexStorage(str(directory)).open_index().searcher(weighting=WEIGHTING)


class _Scorer:
    """Scores a finished index's postings exactly as Whoosh's BM25F scores a search for a term in any field."""

    def __init__(self, searcher):
        self._searcher = searcher
        self._lengths = {field: self._field_lengths(field) for field in FIELDS}
        self._averages = {field: searcher.avg_field_length(field) or 1 for field in FIELDS}

    def _field_lengths(self, field: str) -> array:
        """Each document's length in a field, as BM25F reads it: read once, not once per posting scored."""
        found = array("f", bytes(4 * self._searcher.doc_count_all()))
        for segment, offset in self._searcher.reader().leaf_readers():
            for doc in range(segment.doc_count_all()):
                found[offset + doc] = segment.doc_field_length(doc, field, 1) or 0  # None: empty
        return found

    def all_postings(self, terms: list[str]) -> list[_Postings]:
        return [self.postings(text) for text in terms]

    def postings(self, text: str) -> _Postings:
        """Score every posting of a term, its fields' scores added in FIELDS order, as Whoosh's Or adds them."""
        scores, reader = {}, self._searcher.reader()
        for field in FIELDS:
            if (field, text) not in reader:
                continue
            idf, average, lengths = self._searcher.idf(field, text), self._averages[field], self._lengths[field]
            for segment, offset in reader.leaf_readers():
                if (field, text) not in segment:
                    continue
                postings = segment.postings(field, text)
                while postings.is_active():
                    doc = postings.id() + offset
                    score = scoring.bm25(idf, postings.weight(), lengths[doc], average, WEIGHTING.B, WEIGHTING.K1)
                    scores[doc] = scores.get(doc, 0.0) + score
                    postings.next()
        docs = sorted(scores)
        return _Postings(array("i", docs), array("d", [scores[doc] for doc in docs]))


def _terms(directory: Path) -> tuple[list[str], int]:
    """Every term of an index, in any field, in order; and how many documents it has."""
    with _searcher(directory) as searcher:
        reader = searcher.reader()
        return sorted(set().union(*(reader.field_terms(field) for field in FIELDS))), searcher.doc_count_all()


def _bitmapped(count: int, documents: int) -> bool:
    """Whether a term in ``count`` of the ``documents`` has its documents stored as bits in BITMAPS."""
    return count * BITMAP_SHARE >= documents > 0


def _bitmap_bytes(documents: int) -> int:
    return (documents + 7) // 8


_pool_scorer: _Scorer | None = None  # in each process of a parallel build's pool (see _scoring)


def _start_pool_scorer(directory: Path) -> None:
    global _pool_scorer
    _pool_scorer = _Scorer(_searcher(directory))


def _pool_postings(terms: list[str]) -> list[_Postings]:
    return _pool_scorer.all_postings(terms)


@contextlib.contextmanager
def _scoring(directory: Path, processes: int) -> Iterator[Callable]:
    """A ``map`` of lists of terms to their scored postings, in order: here, or in a pool of ``processes``.

    Scoring is Python work on every posting: at 20,000 articles one
    process scored their 5.9 million postings in 12.2 s, a pool of two on
    2 cores in 6.4 s. Each process of the pool opens its own searcher on
    the finished index and keeps it for all its terms; a process that
    dies fails the build instead of leaving it waiting for its terms.
    """
    if processes <= 1:
        with _searcher(directory) as searcher:
            yield functools.partial(map, _Scorer(searcher).all_postings)
        return
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, fork, _start_pool_scorer, (directory,)) as pool:
        yield functools.partial(pool.map, _pool_postings)


def write_scores(directory: Path, processes: int = 1) -> None:
    """Store every term's scored postings in SCORES, beside the finished index in ``directory``.

    Scored in each worker instead, the words of a fresh worker's first
    searches cost it seconds of CPU, in every worker separately: at 20,000
    articles its first 300 searches took 4.6-4.9 s of CPU that way, and
    2.3-2.5 s reading the stored scores. The scores are Whoosh's own, from
    the complete index (its idf and field lengths), kept as float64 so
    that the order is Whoosh's to the last tie. One flat file, each term's
    document numbers then its scores, in term order, and the terms with
    their counts beside it: a worker looks a term up in the sorted list of
    terms and reads its postings with one ``pread``, from the page cache
    every worker shares. (An SQLite table served as fast, but loaded its
    library and a connection into every worker: 1.5 MiB more in each.)

    The documents of each term in at least one document in BITMAP_SHARE
    are also stored as bits, in term order, in BITMAPS: a question's union,
    tiers and counts per topic are then made of bits read as they are
    (``Generation.term_docs``). A rarer term's bits are made from its
    postings when asked: at most 0.03 ms at 20,000 articles. At 20,000
    articles, 3,360 of 12,107 terms have bits: 8 MiB.
    """
    terms, documents = _terms(directory)
    tasks = [terms[start:start + TERMS_PER_TASK] for start in range(0, len(terms), TERMS_PER_TASK)]
    counts = []
    with _scoring(directory, processes) as scored, open(directory / SCORES, "wb") as postings, \
            open(directory / BITMAPS, "wb") as bitmaps:
        for found in itertools.chain.from_iterable(scored(tasks)):
            postings.write(found.docs.tobytes() + found.scores.tobytes())
            counts.append(len(found.docs))
            if _bitmapped(len(found.docs), documents):
                bitmaps.write(bitsets.of(found.docs).to_bytes(_bitmap_bytes(documents), "little"))
    (directory / SCORED_TERMS).write_text(json.dumps({"terms": terms, "counts": counts}))


def _by_category(categories: list[str | None]) -> dict[str | None, int]:
    """Each category's documents, as bits."""
    docs: dict[str | None, list[int]] = {}
    for doc, category in enumerate(categories):
        docs.setdefault(category, []).append(doc)
    return {category: bitsets.of(found) for category, found in docs.items()}


def _bitmap_slots(directory: Path, counts: list[int], documents: int) -> tuple[int | None, array]:
    """BITMAPS opened, and where each term's bits are in it (-1: none, made from the postings).

    A generation built before bits were stored has no BITMAPS (a node
    serves it while a new one cannot be built): every term's bits are then
    made from its postings.
    """
    try:
        descriptor = os.open(directory / BITMAPS, os.O_RDONLY)
    except FileNotFoundError:
        return None, array("i", [-1] * len(counts))
    slots, taken = array("i"), 0
    for count in counts:
        slots.append(taken if _bitmapped(count, documents) else -1)
        taken += slots[-1] >= 0
    return descriptor, slots


def _stored(searcher) -> list[dict]:
    return [searcher.stored_fields(n) for n in range(searcher.doc_count_all())]


def document_slugs(directory: Path) -> list[str]:
    """The slug of each document of a finished index, by document number (a parallel build numbers them its own way)."""
    with _searcher(directory) as searcher:
        return [fields.get("slug") for fields in _stored(searcher)]


class Generation:
    """One built index, opened once: one searcher for its whole life (never one per query)."""

    def __init__(self, directory: Path, language: str | None = None):
        self.language = language
        self._searcher = _searcher(directory)
        stored = _stored(self._searcher)
        self.slugs = [fields.get("slug") for fields in stored]
        self.categories = [fields.get("category") for fields in stored]
        self.size = len(stored)
        self.category_docs = _by_category(self.categories)
        scored = json.loads((directory / SCORED_TERMS).read_text())
        self._terms: list[str] = scored["terms"]
        self._starts = array("q", itertools.accumulate(scored["counts"], initial=0))  # in postings
        self._scores = os.open(directory / SCORES, os.O_RDONLY)
        self._bitmaps, self._slots = _bitmap_slots(directory, scored["counts"], self.size)

    def close(self) -> None:
        self._searcher.close()
        os.close(self._scores)
        if self._bitmaps is not None:
            os.close(self._bitmaps)

    def has_term(self, text: str) -> bool:
        """Whether any document has the term: a bisection, without reading its postings."""
        found = self._position(text)
        return found is not None and self._span(found)[1] > 0

    def term_docs(self, text: str) -> int:
        """Documents containing a term in any field, as bits: a common term's read as stored, a rare one's made."""
        found = self._position(text)
        if found is None:
            return 0
        slot, size = self._slots[found], _bitmap_bytes(self.size)
        if slot >= 0:
            return int.from_bytes(os.pread(self._bitmaps, size, slot * size), "little")
        start, count = self._span(found)
        docs = array("i")
        docs.frombytes(os.pread(self._scores, 4 * count, 12 * start))  # the documents, without their scores
        return bitsets.of(docs)

    def _term(self, text: str) -> _Postings:
        """A term's postings as the build scored them (none for a term the index lacks), read on every use.

        A read is a bisection of the sorted terms and one ``pread`` from the
        page cache, cheap beside what a search then does with the postings
        (adding up the commonest word's 20,000 at 20,000 articles takes 1 ms).
        A cache of them in each worker held 12 MiB more after 300 first
        searches there and saved 0.1 s of their 2.5 s of CPU, less than two
        runs differ by.
        """
        docs, scores = array("i"), array("d")
        found = self._position(text)
        if found is not None:
            start, count = self._span(found)
            data = os.pread(self._scores, 12 * count, 12 * start)
            docs.frombytes(data[:4 * count])
            scores.frombytes(data[4 * count:])
        return _Postings(docs, scores)

    def _span(self, found: int) -> tuple[int, int]:
        """(first posting, count of postings) of the term at position ``found`` in SCORES."""
        return self._starts[found], self._starts[found + 1] - self._starts[found]

    def _position(self, text: str) -> int | None:
        """Where the term is in the sorted terms of SCORED_TERMS; None for a term the index lacks."""
        found = bisect_left(self._terms, text)
        return found if found < len(self._terms) and self._terms[found] == text else None

    def clause_docs(self, clause: Clause) -> int:
        """Documents with any of the clause's alternatives (all of an alternative's terms), as bits."""
        return functools.reduce(operator.or_, (self._all_of(terms) for terms in clause), 0)

    def _all_of(self, terms: tuple[str, ...]) -> int:
        return functools.reduce(operator.and_, map(self.term_docs, terms))

    def phrase_docs(self, phrase: Phrase) -> int:
        """Documents with the terms next to each other in one field, as bits."""
        if any(not self.has_term(t) for t in phrase):
            return 0
        return bitsets.of(list(self._searcher.docs_for_query(_phrase_query(phrase))))

    def rank(self, clauses: list[Clause], phrases: list[Phrase], *, every: bool, limit: int,
             among: int) -> list[int]:
        """The best ``limit`` of the documents ``among`` by BM25F over the clauses and phrases.

        Without phrases the score is summed from the terms' stored postings:
        a Whoosh search of the same query scores the same (its Or and And add
        their parts' scores), but walks every matching document through its
        matchers again for each search: at 20,000 articles a whole uncached
        search took 31 ms at the median that way, 14 ms this way.
        Phrases need positions: Whoosh ranks those. ``every`` says all the
        documents match every clause, so an intersection (which skips ahead
        in the posting lists) finds them faster than a union.
        """
        if limit <= 0 or not among:
            return []
        if not phrases:
            return self._summed(clauses, limit, bitsets.Members(among, self.size))
        parts = [_clause_query(c) for c in clauses] + [_phrase_query(p) for p in phrases]
        q = query.And(parts) if every and len(parts) > 1 else _any(parts)
        hits = self._searcher.search(q, limit=limit, filter=set(bitsets.members(among)))
        return [hit.docnum for hit in hits]

    def _summed(self, clauses: list[Clause], limit: int, among: bitsets.Members) -> list[int]:
        """Whoosh's order for clauses without phrases: the highest score first, then the lowest document number.

        Every document of a tier has all the terms of some alternative, so
        the scores found in the postings cover them all.
        """
        total: dict[int, float] = {}
        for terms in (terms for clause in clauses for terms in clause):
            first, *others = map(self._term, terms)
            found = _scores_of(first, among)  # the documents with every term so far, and their summed scores
            for postings in others:
                found = {doc: found[doc] + score for doc, score in _scores_of(postings, found).items()}
            for doc, score in found.items():
                total[doc] = total.get(doc, 0.0) + score
        return _best(total, limit)

    def fuzzy_docs(self, words: list[str]) -> dict[int, float]:
        """Documents matching any word within one or two edits, with their scores.

        The last resort when neither the words nor their corrections match:
        slow (tens of ms), so only tried when everything else found nothing.
        """
        parts = []
        for word in words:
            text = term(word, self.language)
            if len(text) >= 3:
                distance = 1 if len(text) <= 5 else 2
                parts += [query.FuzzyTerm(field, text, maxdist=distance, prefixlength=1) for field in FIELDS]
        if not parts:
            return {}
        hits = self._searcher.search(query.Or(parts), limit=None)
        return {hit.docnum: hit.score for hit in hits}
