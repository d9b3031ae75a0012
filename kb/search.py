"""Finding articles by the words a shopper types."""
from __future__ import annotations

import re
from collections.abc import Iterable

from kb.content import Article

_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.casefold()) if len(w) > 1]


def search_titles(articles: Iterable[Article], query: str) -> list[Article]:
    """Articles whose title, summary or tags contain every word of the query.

    A word matches the start of a word in the article, so "refund" finds
    "refunds". Title matches rank first.
    """
    wanted = _words(query)
    if not wanted:
        return []
    scored = []
    for article in articles:
        title = _words(article.title)
        rest = title + _words(article.summary) + _words(" ".join(article.tags))
        if all(any(w.startswith(q) for w in rest) for q in wanted):
            in_title = sum(any(w.startswith(q) for w in title) for q in wanted)
            scored.append((-in_title, article.order, article.title, article))
    return [entry[-1] for entry in sorted(scored, key=lambda e: e[:3])]
