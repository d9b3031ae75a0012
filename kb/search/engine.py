"""The Whoosh index: the only module that imports whoosh.

whoosh-reloaded is no longer maintained upstream; keeping every Whoosh call
here makes a switch to a maintained fork (or another engine) a change to one
file. Callers speak in analysed terms and numpy arrays indexed by document
number, never in Whoosh objects.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import json
import multiprocessing
import os
import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import index, query, scoring
from whoosh.query.compound import DefaultOr
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.lang import has_stemmer, stopwords_for_language
from whoosh.support.charset import accent_map


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
# Terms scored per task of a parallel build: a task's round trip costs little beside them, and the
# processes still share the work evenly.
TERMS_PER_TASK = 500


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


def _phrase_query(phrase: Phrase) -> query.Query:
    if len(phrase) == 1:
        return _term_query(phrase[0])
    return _any([query.Phrase(field, list(phrase)) for field in FIELDS])


class _Window:
    """A file-like view of part of an index file, for Whoosh's sequential reads, each an ``os.pread``."""

    def __init__(self, descriptor: int, offset: int, length: int):
        self._descriptor, self._offset, self._length, self._position = descriptor, offset, length, 0

    def read(self, size: int | None = -1) -> bytes:
        left = self._length - self._position
        size = left if size is None or size < 0 else min(size, left)
        data = os.pread(self._descriptor, max(0, size), self._offset + self._position)
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

    def __init__(self, descriptor: int, offset: int, length: int, name: str | None = None, onclose=None):
        super().__init__(_Window(descriptor, offset, length), name=name, onclose=onclose)
        self._descriptor, self._offset = descriptor, offset

    def get(self, position: int, length: int) -> bytes:
        return os.pread(self._descriptor, length, self._offset + position)

    def subset(self, offset: int, length: int, name: str | None = None) -> _IndexFile:
        return _IndexFile(self._descriptor, self._offset + offset, length, name or self._name)


class _IndexStorage(FileStorage):
    """An index folder opened for searching, its files read with ``os.pread``.

    Whoosh's own memory map copies each part of a compound segment into a
    buffer of its own: a private copy of the index in every worker. Read in
    place, the bytes stay in the page cache that all workers share. Whoosh
    reads them only to open a generation and for phrases and fuzzy matches:
    ranking adds up the stored scores.
    """

    def __init__(self, folder: str):
        super().__init__(folder, supports_mmap=False, readonly=True)

    def open_file(self, name: str, **kwargs) -> _IndexFile:
        descriptor = os.open(self._fpath(name), os.O_RDONLY)
        return _IndexFile(descriptor, 0, os.fstat(descriptor).st_size, name, onclose=lambda _: os.close(descriptor))


@dataclass(frozen=True)
class Postings:
    """A term's documents (in any field, ascending) and its BM25F score in each, its fields' scores summed."""

    docs: np.ndarray  # int32
    scores: np.ndarray  # float64


@dataclass(frozen=True)
class Matches:
    """One query against every document: its BM25F score (0: no match) and how many of its parts it has.

    The parts are the query's clauses (a word and its synonyms) and phrases;
    ``asked`` is how many there are.
    """

    scores: np.ndarray  # float64, one per document
    parts: np.ndarray  # uint8, one per document
    asked: int

    @property
    def found(self) -> np.ndarray:
        return self.parts > 0


def _all_of(postings: list[Postings]) -> Postings:
    """The documents having every one of the terms, with their scores added."""
    found = postings[0]
    for other in postings[1:]:
        docs, mine, theirs = np.intersect1d(found.docs, other.docs, assume_unique=True, return_indices=True)
        found = Postings(docs, found.scores[mine] + other.scores[theirs])
    return found


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

    def all_postings(self, terms: list[str]) -> list[Postings]:
        return [self.postings(text) for text in terms]

    def postings(self, text: str) -> Postings:
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
        return Postings(np.array(docs, dtype=np.int32), np.array([scores[doc] for doc in docs], dtype=np.float64))


def _terms(directory: Path) -> tuple[list[str], int]:
    """Every term of an index, in any field, in order; and how many documents it has."""
    with _searcher(directory) as searcher:
        reader = searcher.reader()
        return sorted(set().union(*(reader.field_terms(field) for field in FIELDS))), searcher.doc_count_all()


_pool_scorer: _Scorer | None = None  # in each process of a parallel build's pool (see _scoring)


def _start_pool_scorer(directory: Path) -> None:
    global _pool_scorer
    _pool_scorer = _Scorer(_searcher(directory))


def _pool_postings(terms: list[str]) -> list[Postings]:
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

    Scored once here, a search only adds up stored numbers. The scores are
    Whoosh's own, from the complete index (its idf and field lengths), kept
    as float64 so that the order is Whoosh's to the last tie. One flat file,
    each term's document numbers (int32) then its scores, in term order, and
    the terms with their counts in SCORED_TERMS: a worker looks a term up in
    the sorted list of terms and reads its postings with one ``pread``, from
    the page cache every worker shares.
    """
    terms, _ = _terms(directory)
    tasks = [terms[start:start + TERMS_PER_TASK] for start in range(0, len(terms), TERMS_PER_TASK)]
    counts = []
    with _scoring(directory, processes) as scored, open(directory / SCORES, "wb") as postings:
        for found in itertools.chain.from_iterable(scored(tasks)):
            postings.write(found.docs.tobytes() + found.scores.tobytes())
            counts.append(len(found.docs))
    (directory / SCORED_TERMS).write_text(json.dumps({"terms": terms, "counts": counts}))


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
        self.topics = sorted(set(self.categories), key=str)
        self.topic_number = {topic: n for n, topic in enumerate(self.topics)}
        self.topic_of = np.array([self.topic_number[c] for c in self.categories], dtype=np.int32)
        scored = json.loads((directory / SCORED_TERMS).read_text())
        self._terms: list[str] = scored["terms"]
        self._starts = array("q", itertools.accumulate(scored["counts"], initial=0))  # in postings
        self._scores = os.open(directory / SCORES, os.O_RDONLY)

    def close(self) -> None:
        self._searcher.close()
        os.close(self._scores)

    def has_term(self, text: str) -> bool:
        """Whether any document has the term: a bisection, without reading its postings."""
        found = self._position(text)
        return found is not None and self._span(found)[1] > 0

    def postings(self, text: str) -> Postings:
        """A term's postings as the build scored them (none for a term the index lacks), read on every use.

        A read is a bisection of the sorted terms and one ``pread`` from the
        page cache, cheap beside adding the scores up.
        """
        found = self._position(text)
        if found is None:
            return Postings(np.zeros(0, np.int32), np.zeros(0, np.float64))
        start, count = self._span(found)
        data = os.pread(self._scores, 12 * count, 12 * start)
        return Postings(np.frombuffer(data, np.int32, count), np.frombuffer(data, np.float64, count, 4 * count))

    def _span(self, found: int) -> tuple[int, int]:
        """(first posting, count of postings) of the term at position ``found`` in SCORES."""
        return self._starts[found], self._starts[found + 1] - self._starts[found]

    def _position(self, text: str) -> int | None:
        """Where the term is in the sorted terms of SCORED_TERMS; None for a term the index lacks."""
        found = bisect_left(self._terms, text)
        return found if found < len(self._terms) and self._terms[found] == text else None

    def matches(self, clauses: list[Clause], phrases: list[Phrase]) -> Matches:
        """Every document's BM25F score for the clauses and phrases, and how many of them it matches.

        A clause scores as Whoosh's Or of its alternatives, an alternative as
        the And of its terms; a phrase adds its terms' scores in the documents
        where they stand together. Scores are added up from the stored
        postings, with no second pass through Whoosh's matchers.
        """
        scores, parts = np.zeros(self.size), np.zeros(self.size, np.uint8)
        for clause in clauses:
            part = np.zeros(self.size)
            for terms in clause:
                found = _all_of([self.postings(t) for t in terms])
                part[found.docs] += found.scores
            scores += part
            parts += part > 0
        for phrase in phrases:
            docs = self._phrase_docs(phrase)
            for text in phrase:
                postings = self.postings(text)
                scores[docs] += postings.scores[np.searchsorted(postings.docs, docs)]
            parts[docs] += 1
        return Matches(scores, parts, len(clauses) + len(phrases))

    def _phrase_docs(self, phrase: Phrase) -> np.ndarray:
        """Documents with the terms next to each other in one field, ascending."""
        if any(not self.has_term(t) for t in phrase):
            return np.zeros(0, np.int32)
        return np.array(sorted(self._searcher.docs_for_query(_phrase_query(phrase))), dtype=np.int32)

    def fuzzy(self, words: list[str]) -> Matches:
        """Documents matching any word within one or two edits, with Whoosh's scores.

        The last resort when neither the words nor their corrections match:
        slow (tens of ms), so only tried when everything else found nothing.
        """
        parts = []
        for word in words:
            text = term(word, self.language)
            if len(text) >= 3:
                distance = 1 if len(text) <= 5 else 2
                parts += [query.FuzzyTerm(field, text, maxdist=distance, prefixlength=1) for field in FIELDS]
        scores = np.zeros(self.size)
        if parts:
            for hit in self._searcher.search(query.Or(parts), limit=None):
                scores[hit.docnum] = hit.score
        return Matches(scores, (scores > 0).astype(np.uint8), 1)


def best(scores: np.ndarray, shown: np.ndarray, start: int, end: int) -> list[int]:
    """Positions ``start:end`` of the ``shown`` documents by score, the lowest document number first on a tie.

    Only the documents scoring at least the ``end``-th best are sorted.
    """
    docs = np.flatnonzero(shown)
    found = scores[docs]
    if len(docs) > end > 0:
        floor = np.partition(found, len(found) - end)[len(found) - end]
        docs, found = docs[found >= floor], found[found >= floor]
    return docs[np.lexsort((docs, -found))][start:end].tolist()
