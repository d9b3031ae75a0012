"""Which section of an article answers, and the words around the match.

Only the results on the page shown get this treatment, and it works on the
article's sections as the index build stored them, finding the query's words
in them with ``str.find``: Whoosh's highlighter would double the cost of a
query.
"""
from __future__ import annotations

import json
import os
import re
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

from kb.render import plain_text
from kb.search.engine import term

SECTION_START = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
OUTLINES = "outlines.bin"  # in each index generation (see write_outlines)
SNIPPET_CHARS = 180
LEAD_CHARS = 50


@dataclass(frozen=True)
class Section:
    anchor: str | None  # None: the opening paragraphs, before the first heading
    title: str
    text: str


@dataclass(frozen=True)
class Outline:
    """An article's sections, and their titles and text in lower case, kept for scanning."""

    sections: tuple[Section, ...]
    lowered: tuple[tuple[str, str], ...]


def outline(article) -> Outline:
    """The article cut at its h2/h3 headings, as plain text."""
    html = article.html  # unpacked once (see Article.html)
    found, start, anchor, title = [], 0, None, ""
    for match in SECTION_START.finditer(html):
        found.append(Section(anchor, title, plain_text(html[start:match.start()])))
        anchor, title, start = match.group(2), plain_text(match.group(3)), match.end()
    found.append(Section(anchor, title, plain_text(html[start:])))
    return _lowered(tuple(s for s in found if s.text or s.anchor))


def _lowered(sections: tuple[Section, ...]) -> Outline:
    return Outline(sections, tuple((lower(s.title), lower(s.text)) for s in sections))


def lower(text: str) -> str:
    """``text`` in lower case, each character where it was: a match found in it is marked in ``text`` itself.

    A few characters lower to two ("İ" to "i" and a combining dot); those
    keep only the first.
    """
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else "".join(c.lower()[0] for c in text)


def write_outlines(path: Path, articles: Iterable) -> None:
    """Every article's outline, in the order given (the index's document numbers), for ``Outlines``.

    Made here, at index build, once: cut from the article's HTML on each
    search, an outline cost a worker about 0.1 ms for each of the ten
    results a page shows, and the last thousand were kept in each worker's
    memory to make it less often. Stored compressed (37 MB at 20,000
    articles).
    """
    offsets, records = array("Q", [0]), []
    for article in articles:
        sections = [[s.anchor, s.title, s.text] for s in outline(article).sections]
        records.append(zlib.compress(json.dumps(sections, ensure_ascii=False).encode()))
        offsets.append(offsets[-1] + len(records[-1]))
    with open(path, "wb") as file:
        file.write(array("Q", [len(records)]).tobytes() + offsets.tobytes())
        file.writelines(records)


class Outlines:
    """The outlines an index build stored, read on each use with one ``pread`` from the page cache.

    The bytes stay in the page cache, shared by every worker and counted in
    none; a worker holds only the offsets (8 bytes an article).
    """

    def __init__(self, path: Path):
        self._file = os.open(path, os.O_RDONLY)
        try:
            count = array("Q", os.pread(self._file, 8, 0))[0]
            self._offsets = array("Q", os.pread(self._file, 8 * (count + 1), 8))
            if len(self._offsets) != count + 1:
                raise ValueError(f"{path} is cut short")
        except BaseException:
            os.close(self._file)
            raise
        self._start = 8 * (count + 2)

    def __getitem__(self, doc: int) -> Outline:
        start, end = self._offsets[doc], self._offsets[doc + 1]
        stored = json.loads(zlib.decompress(os.pread(self._file, end - start, self._start + start)))
        return _lowered(tuple(Section(*section) for section in stored))

    def close(self) -> None:
        os.close(self._file)


@dataclass(frozen=True)
class Matcher:
    """The query's words as they appear in articles, in lower case.

    Sections are scanned with ``str.find`` for each word, never with a
    regular expression of them all: a question new to a worker compiled
    one, and a result's snippet took 76 us with it against 45 us now (at
    20,000 articles).
    """

    words: tuple[str, ...]


def matcher(words: set[str]) -> Matcher | None:
    return Matcher(tuple(sorted(words))) if words else None


@dataclass(frozen=True)
class Excerpt:
    section: Section | None
    snippet: Markup
    matched: bool = True  # False: no word of the query is in the article


def _terms(lowered: str, words: tuple[str, ...]) -> set[str]:
    """The terms of the ``words`` that ``lowered`` has as whole words."""
    return {term(word) for word in words if next(_occurrences(lowered, word), None) is not None}


def _occurrences(text: str, word: str) -> Iterator[int]:
    """Where ``word`` starts in ``text`` with no word character (``\\w``: letters, digits, "_") either side."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or not _word_character(text[at - 1])) and (end == len(text) or not _word_character(text[end])):
            yield at
        at = text.find(word, at + 1)


def _word_character(character: str) -> bool:
    return character.isalnum() or character == "_"


def _matches(lowered: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) of each word of ``words`` in ``lowered``, from the left; where two start together, the longer."""
    found = sorted((at, -len(word)) for word in words for at in _occurrences(lowered, word))
    kept, end = [], 0
    for at, minus_length in found:
        if at >= end:
            end = at - minus_length
            kept.append((at, end))
    return kept


def best_section(lowered: tuple[tuple[str, str], ...], words: tuple[str, ...]) -> tuple[int, set[str]] | None:
    """Which section (by position) matches the most query terms, heading matches counting double; and those terms."""
    best, best_score, best_terms = None, 0, set()
    for number, (title, text) in enumerate(lowered):
        heading = _terms(title, words)
        terms = heading | _terms(text, words)
        score = 2 * len(heading) + len(terms)
        if score > best_score:
            best, best_score, best_terms = number, score, terms
    return (best, best_terms) if best is not None else None


def highlight(text: str, words: Matcher | None, lowered: str | None = None) -> Markup:
    """About SNIPPET_CHARS of ``text`` around the densest matches, escaped, with <mark>.

    ``lowered`` is ``lower(text)`` when the caller has it already.
    """
    if lowered is None:
        lowered = lower(text)
    matches = _matches(lowered, words.words) if words else []
    if not matches:
        return Markup(escape(_cut(text, 0, _window_end(text, 0))))
    starts, ends = [m[0] for m in matches], [m[1] for m in matches]
    first, last = _densest(starts, ends, [lowered[start:end] for start, end in matches])
    lead = min(LEAD_CHARS, max(0, SNIPPET_CHARS - (last - first)))  # the words of the window stay in view
    start = max(0, text.rfind(" ", 0, max(0, first - lead)) + 1)
    end = _window_end(text, start)
    pieces, position = [Markup("… ")] if start > 0 else [], start
    for at, stop in matches[bisect_left(starts, start):]:
        if stop > end:
            break
        pieces += [escape(text[position:at]), Markup("<mark>"), escape(text[at:stop]), Markup("</mark>")]
        position = stop
    pieces.append(escape(_cut(text, position, end)))
    return Markup("").join(pieces)


def _densest(starts: list[int], ends: list[int], words: list[str]) -> tuple[int, int]:
    """Where the matches of the best window of SNIPPET_CHARS start and end: the most different words, the tightest.

    "cancel order" in a section saying "your order" dozens of times before
    "to cancel an order" shows that sentence, not the first "order" within
    reach of it. Each window ends at the first match past it (a bisection),
    so a common word found a hundred times is not compared with every other.
    """
    def window(i: int) -> tuple[int, int, int, int]:
        past = bisect_left(starts, starts[i] + SNIPPET_CHARS, i)
        return -len(set(words[i:past])), ends[past - 1] - starts[i], starts[i], ends[past - 1]

    *_, first, last = min(map(window, range(len(starts))))
    return first, last


def _window_end(text: str, start: int) -> int:
    """Where a snippet starting at ``start`` ends: at the last space within SNIPPET_CHARS, or at the text's end."""
    end = start + SNIPPET_CHARS
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", start, end)
    return space if space > start else end


def _cut(text: str, start: int, end: int) -> str:
    """``text[start:end]``, with an ellipsis when the text goes on."""
    return text[start:end] + (" …" if end < len(text) else "")


def excerpt(article, sections: Outline, words: Matcher | None) -> Excerpt:
    """The section to link to (None: the top of the article) and its snippet.

    A section is linked only when it matches more of the query than the
    title does: "track" leads to the top of "Track your order", while
    "tracking statuses" leads to the section explaining them.
    """
    found = best_section(sections.lowered, words.words) if words else None
    if found is None:
        return Excerpt(None, highlight(article.summary or article.text, words), matched=False)
    section, terms = sections.sections[found[0]], found[1]
    deeper = section.anchor and len(terms) > len(_terms(lower(article.title), words.words))
    return Excerpt(section if deeper else None, highlight(section.text, words, sections.lowered[found[0]][1]))
