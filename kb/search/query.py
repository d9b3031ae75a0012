"""From what a shopper typed to what the index is asked.

Any string is a valid query: we never hand it to a query parser, we split
it into words with the index's own analyzer, so quotes, brackets, AND/OR,
``field:value``, ``*`` and ``?`` are just characters. Quoted phrases are the
one piece of syntax we honour.
"""
from __future__ import annotations

import bisect
import re
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kb.problems import Problem
from kb.search.engine import TOKEN, Clause, stop_words, term

MAX_QUERY_CHARS = 200
SYNONYMS_FILE = "synonyms.txt"

# The common English stop list plus the words that make a question a
# question: dropped from queries only (the index keeps them for phrases).
STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his i if in into is it its itself just me more most my myself no nor not now
of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself yourselves
how get got im ive dont cant doesnt isnt didnt wont please help hi hello want need know tell find
aren couldn didn doesn hasn haven isn shouldn wasn weren won wouldn d ll m re s t ve
""".split())

QUOTED = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class Words:
    """A query split into loose words and quoted phrases, as typed (lower case)."""

    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]

    def text(self) -> str:
        quoted = [f'"{" ".join(p)}"' for p in self.phrases]
        return " ".join([*quoted, *self.words])


def normalize(raw: str) -> str:
    """The query as we show and cache it: one line, no control characters, capped."""
    printable = "".join(ch if ch.isprintable() else " " for ch in raw)
    return " ".join(printable.split())[:MAX_QUERY_CHARS]


def split(query: str) -> Words:
    """Quoted phrases first, then the loose words of what is left."""
    phrases = tuple(p for p in (tuple(w.lower() for w in TOKEN.findall(q)) for q in QUOTED.findall(query)) if p)
    rest = QUOTED.sub(" ", query)
    return Words(words=tuple(w.lower() for w in TOKEN.findall(rest)), phrases=phrases)


def droppable(words: tuple[str, ...], language: str | None = None) -> frozenset[str]:
    """The stop and question words of a query; none when nothing else would be left."""
    common = stop_words(language) or STOP_WORDS
    stop = frozenset(w for w in words if w.replace("'", "") in common)
    return frozenset() if len(stop) == len(set(words)) else stop


# ---------------------------------------------------------------- synonyms

@dataclass(frozen=True)
class Synonyms:
    """Editors' synonyms, as analysed term sequences.

    ``rules`` maps a sequence of terms to the other sequences that may stand
    for it: "parcel, package" makes each find the other; "money back =>
    refund" lets "money back" also find "refund" (and not the other way).
    """

    rules: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    language: str | None = None  # whose analyzer made the terms (None: English)

    @property
    def longest(self) -> int:
        return max((len(k) for k in self.rules), default=0)

    def clauses(self, words: tuple[str, ...], drop: frozenset[str] = frozenset()) -> list[Clause]:
        """One clause per word, or per run of words a synonym rule covers (longest first).

        Words in ``drop`` (stop words) count only inside a synonym: "log in"
        can mean "sign in", but a lone "in" asks nothing.
        """
        pairs = [(w, t) for w, t in ((w, term(w, self.language)) for w in words) if t]
        terms = [t for _, t in pairs]
        clauses, i = [], 0
        while i < len(terms):
            for size in range(min(self.longest, len(terms) - i), 0, -1):
                key = tuple(terms[i:i + size])
                if key in self.rules:
                    clauses.append((key, *self.rules[key]))
                    i += size
                    break
            else:
                if pairs[i][0] not in drop:
                    clauses.append(((terms[i],),))
                i += 1
        return clauses


def _terms(text: str, language: str | None = None) -> tuple[str, ...]:
    return tuple(t for t in (term(w, language) for w in TOKEN.findall(text)) if t)


def parse_synonyms(text: str, name: str, language: str | None = None) -> Synonyms:
    """Read "a, b, c" (all alike) and "a, b => c" (a and b also find c) lines; '#' starts a comment."""
    rules: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, _, right = line.partition("=>")
            sources, targets = left.split(","), right.split(",")
        else:
            sources = targets = line.split(",")
        sources = [s for s in (_terms(part, language) for part in sources) if s]
        targets = [t for t in (_terms(part, language) for part in targets) if t]
        if not sources or not targets or (len(sources) < 2 and sources == targets):
            problems.append(Problem(name, number, "a synonym line needs 'word, other word' "
                                                  "or 'words => replacement'"))
            continue
        for source in sources:
            alternatives = rules.setdefault(source, [])
            alternatives += [t for t in targets if t != source and t not in alternatives]
    return Synonyms({k: tuple(v) for k, v in rules.items()}, tuple(problems), language)


class SynonymsFile:
    """The synonyms file, re-read when editors change it: a new synonym needs no re-index."""

    def __init__(self, path: Path, name: str, language: str | None = None):
        self.path, self.name, self.language = path, name, language
        self._stamp: tuple | None = None
        self._synonyms = Synonyms(language=language)

    def current(self) -> Synonyms:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            text = self.path.read_text(encoding="utf-8-sig") if stamp else ""
            self._synonyms, self._stamp = parse_synonyms(text, self.name, self.language), stamp
        return self._synonyms


# ---------------------------------------------------------------- typos

def _deletes(word: str, depth: int) -> set[str]:
    found, frontier = set(), {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): "refnud" is one swap from "refund"."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


class Speller:
    """Corrects words against one vocabulary: the words shoppers read in articles.

    Correcting across several fields gives odd answers ("leather care" ->
    "leather cart", MEASURED.md), so there is one list, with how often each
    word occurs. Lookups use a symmetric-delete table: microseconds, where
    Whoosh's corrector takes up to 60 ms.

    The table is made when the index is built (``speller_table``) and kept
    as one array of 64-bit numbers, sorted: a key's CRC-32 above, the word's
    position in ``words`` below. As a dict of lists it took 20 MiB of every
    worker at 20,000 articles, and 0.1 s of a shopper's first typo. Two keys
    with one CRC only add candidates, which the edit distance then weeds out.
    """

    def __init__(self, counts: dict[str, int], table: array | None = None):
        self.counts = counts
        self.words = sorted(counts)
        self._table = speller_table(self.words) if table is None else table

    def correct(self, word: str) -> str | None:
        """The likeliest intended word, or None when nothing is close enough."""
        if len(word) < 3 or not word.isalpha():
            return None
        # Two edits only from six letters on: a five-letter word two edits from
        # another is often a name the articles lack ("spain" is not "paid").
        limit = 1 if len(word) <= 5 else 2
        candidates = {c for key in _deletes(word, limit) | {word} for c in self._spelled_like(key)}
        scored = [(d, -self.counts[c], c) for c in candidates if (d := edit_distance(word, c)) <= limit]
        return min(scored)[2] if scored else None

    def _spelled_like(self, key: str) -> Iterator[str]:
        """The words one deletion or none away from ``key`` (and a few more, whose CRC is the same)."""
        table, crc = self._table, zlib.crc32(key.encode())
        at = bisect.bisect_left(table, crc << 32)
        while at < len(table) and table[at] >> 32 == crc:
            yield self.words[table[at] & 0xFFFFFFFF]
            at += 1


def speller_table(words: list[str]) -> array:
    """The typo table of ``words`` (sorted, as Speller keeps them); see Speller."""
    entries = [zlib.crc32(key.encode()) << 32 | position for position, word in enumerate(words)
               if len(word) >= 3 and word.isalpha() for key in _deletes(word, 1) | {word}]
    return array("Q", sorted(entries))
