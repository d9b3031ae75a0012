"""Articles the help widget suggests on the shop's own pages, chosen by the page's path.

Editors keep ``widget.yml`` in the content folder: each line maps a pattern
for the shop's paths to the articles to suggest there, and the first pattern
that matches the page wins::

    /checkout*: [payment-methods, delivery-options-and-costs]
    /products/*: [sizing-guide, return-policy]

A ``*`` stands for any run of characters, ``/`` included; everything else is
matched as written, against the path only (never the query). Reading never
raises: every mistake comes back as a problem at its line and column, and a
broken line is left out while the others still work.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.names import read_inside
from kb.problems import Problem

WIDGET_FILE = "widget.yml"
# Characters a path pattern cannot hold: the query and fragment are not matched, and spaces are never in a path.
NOT_IN_PATH = re.compile(r"[?#\s]")
SEQUENCE_TAG = "tag:yaml.org,2002:seq"


@dataclass(frozen=True)
class Rule:
    pattern: str
    slugs: tuple[str, ...]

    def matches(self, path: str) -> bool:
        """Whether ``path`` fits the pattern; the parts between stars are found in order, left to right.

        No regular expression: the path is the shopper's to choose, and ``.*`` between several parts
        would try every split of a long path.
        """
        if "*" not in self.pattern:
            return path == self.pattern
        first, *middle, last = self.pattern.split("*")
        end = len(path) - len(last)
        if end < len(first) or not path.startswith(first) or not path.endswith(last):
            return False
        position = len(first)
        for part in middle:
            found = path.find(part, position, end)
            if found < 0:
                return False
            position = found + len(part)
        return True


@dataclass(frozen=True)
class Suggestions:
    """The rules in file order; a page gets the slugs of the first rule matching its path."""

    rules: tuple[Rule, ...] = ()

    def for_path(self, path: str) -> tuple[str, ...]:
        return next((rule.slugs for rule in self.rules if rule.matches(path)), ())


def load_suggestions(path: Path, name: str, articles: dict,
                     aliases: dict[str, str]) -> tuple[Suggestions, list[Problem]]:
    """The rules in ``path`` with every slug checked against the loaded ``articles``; no file means no rules."""
    try:
        root = yaml.compose(read_inside(path, path.parent).decode("utf-8-sig"), Loader=yaml.SafeLoader)
    except FileNotFoundError:
        return Suggestions(), []
    except (OSError, UnicodeDecodeError) as error:
        return Suggestions(), [Problem(name, None, f"cannot be read: {error}")]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        return Suggestions(), [Problem(name, mark.line + 1, f"not valid YAML: {error.problem}", column=mark.column + 1)]
    except (yaml.YAMLError, RecursionError):
        return Suggestions(), [Problem(name, None, "not valid YAML")]
    if root is None:
        return Suggestions(), []
    if not isinstance(root, yaml.MappingNode):
        return Suggestions(), [_at(name, root, "expected lines like "
                                               "'/checkout*: [payment-methods, delivery-options-and-costs]'")]
    rules, problems, seen = [], [], set()
    for key, value in root.value:
        pattern = key.value if isinstance(key, yaml.ScalarNode) else ""
        if wrong := _pattern_problem(pattern, seen):
            problems.append(_at(name, key, wrong))
            continue
        seen.add(pattern)
        slugs, found = _slugs(value, pattern, name, articles, aliases)
        problems += found
        rules.append(Rule(pattern, slugs))
    return Suggestions(tuple(rules)), problems


def _pattern_problem(pattern: str, seen: set[str]) -> str | None:
    if not pattern.startswith("/"):
        return f"bad pattern '{pattern}': a pattern is a path on the shop, starting with '/', like /products/*"
    if bad := NOT_IN_PATH.search(pattern):
        return (f"bad pattern '{pattern}': {bad.group(0)!r} cannot be matched, since only the path is; "
                "write the path alone, with * for any characters")
    if pattern in seen:
        return f"pattern '{pattern}' is given twice: only the first one is used; merge the two lists"
    return None


def _slugs(node: yaml.Node, pattern: str, name: str, articles: dict,
           aliases: dict[str, str]) -> tuple[tuple[str, ...], list[Problem]]:
    """The published slugs a rule names, an old slug replaced by the current one."""
    items = node.value if node.tag == SEQUENCE_TAG else [node]
    slugs, problems = [], []
    for item in items:
        slug = item.value if isinstance(item, yaml.ScalarNode) else ""
        current = aliases.get(slug, slug)
        article = articles.get(current)
        if not slug:
            problems.append(_at(name, item, f"'{pattern}' names no article: list slugs, like [sizing-guide, "
                                            "return-policy]"))
            continue
        if article is None:
            close = difflib.get_close_matches(slug, list(articles), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(_at(name, item, f"'{pattern}' suggests '{slug}', but no article has that slug{hint}"))
            continue
        if current != slug:
            problems.append(_at(name, item, f"'{slug}' is an old slug of '{current}': write '{current}'",
                                level="warning"))
        if article.draft:
            problems.append(_at(name, item, f"'{current}' is a draft, so the widget leaves it out", level="warning"))
            continue
        slugs.append(current)
    return tuple(slugs), problems


def _at(name: str, node: yaml.Node, message: str, level: str = "error") -> Problem:
    return Problem(name, node.start_mark.line + 1, message, level=level, column=node.start_mark.column + 1)
