"""Policy facts: numbers many articles repeat, kept once in ``facts.yml``.

Articles write ``{{ facts.return_days }}`` and the value is put in when the
content is loaded, so changing the return window is a one-line commit. This
is a regular-expression substitution on purpose, not a template engine: an
article cannot run code, and a name that is not in the file stays visible
in the page (and is a checker error) instead of silently becoming blank.

``facts.yml`` maps a name to a value, or to a mapping that also tells the
checker how the value reads in a sentence, so it can warn when an article
states it literally instead of using the placeholder::

    phone_hours: Monday to Friday 09:00–18:00
    return_days:
      value: 30
      literal: [30 days]          # how a sentence states it (default: the value)
      near: [return, exchange]    # the subject it must stand near to be flagged
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.names import read_inside
from kb.problems import Problem

FACTS_FILE = "facts.yml"
PLACEHOLDER = re.compile(r"\{\{\s*facts\.(\w+)\s*\}\}")
# A literal counts as "next to its subject" when a subject word starts within
# this many characters of it on the same line: about one clause of a sentence.
NEAR_CHARS = 80


@dataclass(frozen=True)
class Fact:
    name: str
    value: str
    literal: tuple[str, ...] = ()
    near: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    """The facts by name, and what was wrong in the file."""

    by_name: dict[str, Fact] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Placeholder:
    """A ``{{ facts.name }}`` whose name is not in the facts file, at its offset in the text."""

    offset: int
    name: str


def load_facts(content_dir: Path) -> Facts:
    """Read ``facts.yml``; a missing file simply means no facts."""
    path = content_dir / FACTS_FILE
    name = f"{content_dir.name}/{FACTS_FILE}"
    try:
        data = yaml.safe_load(read_inside(path, content_dir).decode("utf-8-sig"))
    except FileNotFoundError:
        return Facts()
    except (OSError, UnicodeDecodeError) as error:
        return Facts(problems=(Problem(name, None, f"cannot be read: {error}"),))
    except RecursionError:
        return Facts(problems=(Problem(name, None, "cannot be read: nested too deeply"),))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return Facts(problems=(Problem(name, mark.line + 1 if mark else None, f"not valid YAML: {error}",
                                       column=mark.column + 1 if mark else None),))
    if data is None:
        return Facts()
    if not isinstance(data, dict):
        return Facts(problems=(Problem(name, 1, "expected 'name: value' lines, got something else"),))
    facts, problems = {}, []
    for key, entry in data.items():
        try:
            facts[str(key)] = _fact(str(key), entry)
        except ValueError as error:
            problems.append(Problem(name, None, f"fact '{key}': {error}"))
    return Facts(facts, tuple(problems))


def _fact(name: str, entry) -> Fact:
    if not isinstance(entry, dict):
        entry = {"value": entry}
    value = entry.get("value")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError(f"expected a 'value' that is text or a number, got {type(value).__name__}")
    return Fact(name, str(value), _strings(entry.get("literal", [str(value)]), "literal"),
                _strings(entry.get("near", []), "near"))


def _strings(value, key: str) -> tuple[str, ...]:
    value = [value] if isinstance(value, (str, int)) else value
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ValueError(f"expected '{key}' to be a list of words, got {type(value).__name__}")
    return tuple(str(v) for v in value if str(v).strip())


def substitute(text: str, facts: Facts) -> tuple[str, list[Placeholder]]:
    """Put each known fact's value in place; unknown placeholders stay as written."""
    unknown = []

    def value(match: re.Match) -> str:
        fact = facts.by_name.get(match.group(1))
        if fact is None:
            unknown.append(Placeholder(match.start(), match.group(1)))
            return match.group(0)
        return fact.value
    return PLACEHOLDER.sub(value, text), unknown


def used(text: str, facts: Facts) -> list[Fact]:
    """The known facts a text's placeholders name, each once, in order of first use."""
    return [facts.by_name[name] for name in dict.fromkeys(PLACEHOLDER.findall(text)) if name in facts.by_name]


@dataclass(frozen=True)
class Literal:
    """A fact's value written out in an article, where the placeholder belongs."""

    line: int
    column: int
    fact: Fact
    text: str
    subject: str


def literal_facts(lines: list[str], facts: Facts) -> list[Literal]:
    """Facts stated literally next to their subject, e.g. "30 days" near "return".

    Only facts with ``near`` words are looked for: "30 days" alone is as
    likely to be a basket kept for 30 days as the return window. Line and
    column count from 1 within ``lines``.
    """
    found = []
    for fact in (f for f in facts.by_name.values() if f.near):
        longest_first = sorted(fact.literal, key=len, reverse=True)
        literal = re.compile(r"(?<![\w–-])(?:%s)(?!\w|[.,]\d)" % "|".join(map(re.escape, longest_first)), re.I)
        subject = re.compile(r"\b(?:%s)" % "|".join(map(re.escape, fact.near)), re.I)
        for number, line in enumerate(lines, start=1):
            for match in literal.finditer(line):
                window = line[max(0, match.start() - NEAR_CHARS): match.end() + NEAR_CHARS]
                near = subject.search(window)
                if near:
                    found.append(Literal(number, match.start() + 1, fact, match.group(0), near.group(0)))
    return found
