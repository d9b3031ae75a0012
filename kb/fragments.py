"""``{% cache slot, key %}…{% endcache %}``: render a piece of a page once, reuse it.

Content is loaded once per process and never changes under a running app, so
an article's HTML, a category's list or the contact panel for the current
minute can be rendered once and served as a string. A request then does no
Markdown work, no file I/O and little template work. Each slot keeps its
newest entries only, so a slot keyed by the minute cannot grow without end.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

DEFAULT_ENTRIES = 4096
# Whole pages are the largest entries (about 15 KB): the most recently rendered 512 are kept,
# and 512 results pages (kept whole by kb.shared_pages). An article's body (a few KB) is rendered
# again only for pages not kept whole: 1,024 of them. The contact channels: one entry per
# language, replaced each minute.
ENTRIES_PER_SLOT = {"article": 1024, "contact": 16, "page": 512, "search": 512}


class FragmentCache(Extension):
    tags = {"cache"}

    def __init__(self, environment):
        super().__init__(environment)
        environment.extend(fragment_store={})

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        parts = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            parts.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_render", [parts[0], nodes.Tuple(parts[1:], "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render(self, slot: str, key: tuple, caller) -> Markup:
        return kept(self.environment, slot, key, lambda: Markup(caller()))


def kept(environment, slot: str, key: tuple, render: Callable[[], str], version: object = None) -> str:
    """What ``render()`` returned for ``key`` in ``slot``, rendered again only when ``version`` changes.

    A new version replaces the old entry instead of adding one, so a page kept
    per minute holds one copy, not one per minute it was asked for.
    """
    entries = environment.fragment_store.setdefault(slot, OrderedDict())
    entry = entries.get(key)
    if entry is None or entry[0] != version:
        entry = entries[key] = (version, render())
        while len(entries) > ENTRIES_PER_SLOT.get(slot, DEFAULT_ENTRIES):
            entries.popitem(last=False)
    return entry[1]
