"""Markdown to safe HTML: the only module that imports markdown and bleach.

Articles are rendered once, when content is loaded, so nothing here is on
the request path. Bleach is unmaintained upstream; keeping it behind
``sanitize()`` makes replacing it a change to one function.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

import bleach
import markdown
from markdown.extensions.toc import slugify as toc_slugify
from bleach.linkifier import LinkifyFilter

# Python-Markdown's inline parser is quadratic in the number of brackets in
# one block: 2,000 '[' in a paragraph take half a second, 10,000 a minute.
# Real articles never come close, so a body over these limits is refused
# with a message instead of stalling start-up.
MAX_BODY_CHARS = 200_000
MAX_BRACKETS_PER_BLOCK = 1_000

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd",
    "li", "ol", "p", "pre", "s", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {
    "*": ["class", "title"],
    "a": ["href", "rel"],
    "abbr": ["title"],
    "img": ["src", "alt", "width", "height"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan", "scope"],
    **{f"h{level}": ["id", "class"] for level in range(2, 7)},
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "tel"})

BRACKETS = re.compile(r"[\[\]<>]")


class RenderError(ValueError):
    """The body cannot be rendered; the message says why, for the editor."""


@dataclass(frozen=True)
class Heading:
    """A section of an article that a support agent can link to."""

    level: int
    id: str
    title: str


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]

    @property
    def text(self) -> str:
        return plain_text(self.html)


# Ids the page around an article uses. A section with one of them would
# capture the layout's links: "Contact us" (#contact) or the skip link (#main)
# would jump into the article. tests/test_render.py checks the list against
# a rendered page.
LAYOUT_IDS = frozenset({
    "main", "contact", "contact-title", "feedback", "feedback-title", "feedback-comment", "feedback-comment-left",
    "feedback-comment-note", "related-title", "toc-title", "q", "q-results", "q-status",
})


def _section_slug(value: str, separator: str) -> str:
    """The toc extension's id for a heading, moved aside when the layout already uses it."""
    slug = toc_slugify(value, separator)
    return f"{slug}{separator}section" if slug in LAYOUT_IDS else slug


def render_markdown(body: str) -> Rendered:
    """Render an article body; raise RenderError for bodies we refuse."""
    _refuse_pathological(body)
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "attr_list", "toc", "sane_lists"],
        extension_configs={
            "toc": {
                "permalink": "#",
                "permalink_class": "headerlink",
                "permalink_title": "Link to this section",
                "toc_depth": "2-4",
                "slugify": _section_slug,
            },
            "tables": {"use_align_attribute": True},
        },
    )
    try:
        raw = md.convert(body)
    except RecursionError:
        raise RenderError("the Markdown is nested too deeply to render (lists or quotes inside each other)")
    safe = sanitize(raw)
    return Rendered(html=safe, headings=tuple(_flatten(md.toc_tokens)))


def _refuse_pathological(body: str) -> None:
    if len(body) > MAX_BODY_CHARS:
        raise RenderError(f"the body is {len(body):,} characters long; the limit is {MAX_BODY_CHARS:,}")
    for block in body.split("\n\n"):
        count = len(BRACKETS.findall(block))
        if count > MAX_BRACKETS_PER_BLOCK:
            raise RenderError(
                f"one paragraph has {count:,} brackets ([ ] < >); "
                f"the limit is {MAX_BRACKETS_PER_BLOCK:,} per paragraph"
            )


def _flatten(tokens: list[dict]) -> list[Heading]:
    headings = []
    for token in tokens:
        headings.append(Heading(level=token["level"], id=token["id"], title=html.unescape(token["name"])))
        headings.extend(_flatten(token["children"]))
    return headings


def _mark_external(attrs: dict, new: bool = False) -> dict:
    """Links to other sites get rel="noopener nofollow"; our own links stay as written."""
    href = attrs.get((None, "href"), "")
    if urlsplit(href).scheme in ("http", "https"):
        attrs[(None, "rel")] = "noopener nofollow"
    else:
        attrs.pop((None, "rel"), None)
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_mark_external], parse_email=False, skip_tags={"pre", "code"})],
)


def sanitize(untrusted_html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes.

    Scripts, event handlers, ``style``, ``javascript:`` and ``data:`` URLs
    are dropped because they are not on the lists, not because we look for them.
    """
    return _cleaner.clean(untrusted_html)


_TAG = re.compile(r"<[^>]+>")
# Tags that end a line of text; any other tag (a link, bold) sits inside a sentence.
_BLOCK_TAG = re.compile(r"</?(?:address|blockquote|br|dd|details|div|dl|dt|h[1-6]|hr|li|ol|p|pre|summary"
                        r"|table|tbody|td|tfoot|th|thead|tr|ul)\b[^>]*>", re.IGNORECASE)


def plain_text(safe_html: str) -> str:
    """The words a shopper reads, for summaries, snippets and the search index.

    A block's edge becomes a space and an inline tag nothing, so "see
    <a>refund times</a>." reads "see refund times." with the full stop
    kept on its word.
    """
    without_permalinks = re.sub(r'<a class="headerlink"[^>]*>#</a>', "", safe_html)
    return " ".join(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", without_permalinks))).split())
