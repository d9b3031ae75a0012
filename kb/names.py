"""File names that become addresses, and files that must stay inside the content folder.

An article's file name is its address (``/articles/<slug>``), so names are
lowercase ASCII letters, digits and hyphens: an address that needs no
escaping, that every file system spells one way, and that cannot pass for
another by looking alike (Cyrillic "е" for Latin "e") or by hiding
characters (a right-to-left override). Anything else is refused with the
name to use instead.

The content folder is a boundary: a symbolic link in it that leads outside
is never read, so nothing outside the folder is ever published.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_RULE = "lowercase letters a-z, digits and hyphens"
# Characters a text field must not hold: C0 and C1 controls (tab and line breaks aside) and bidirectional controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Controls have no Unicode name; the ones editors' tools slip in most, named for the message.
CONTROL_NAMES = {"\x07": "BELL", "\x08": "BACKSPACE", "\x1b": "ESCAPE", "\x00": "NULL", "\x7f": "DELETE"}


class OutsideFolder(OSError):
    """A symbolic link leading out of the content folder."""

    def __str__(self) -> str:
        return self.strerror


def read_inside(path: Path, folder: Path) -> bytes:
    """The file's bytes, unless it resolves (through symbolic links) to a place outside ``folder``."""
    try:
        target = path.resolve()
    except RuntimeError:  # a loop of links: reading it says so
        return path.read_bytes()
    if not target.is_relative_to(folder.resolve()):
        raise OutsideFolder(0, f"it is a symbolic link to {target}, outside the content folder, so it is not "
                               "read; copy the file into the folder instead")
    return path.read_bytes()


def name_problem(stem: str) -> str | None:
    """Why a file name cannot be an address, and what to call the file instead; None when it can."""
    if SLUG.fullmatch(stem):
        return None
    odd = [char for char in dict.fromkeys(stem)
           if not char.isascii() or (unicodedata.category(char)[0] in "CZ" and char != " ")]
    named = ", ".join(_describe(char) for char in odd)
    suggestion = suggested_slug(stem)
    advice = f"name it '{suggestion}.md'" if suggestion else f"name it with {SLUG_RULE} only"
    if named:
        return f"the file name '{shown(stem)}.md' is not an address: it has {named}; {advice}"
    return f"the file name '{stem}.md' is not an address: {advice} ({SLUG_RULE})"


def address_problem(what: str, text: str) -> str | None:
    """Why an alias or a topic's slug cannot be an address, with the one to write; None when it can."""
    if SLUG.fullmatch(text):
        return None
    better = suggested_slug(text)
    return f"{what} '{shown(text)}' is not an address: " + (f"write '{better}'" if better else f"use {SLUG_RULE}")


def suggested_slug(stem: str) -> str | None:
    """The name as an address (``Gift Cards & Vouchers!`` -> ``gift-cards-vouchers``), or None when
    a letter has no plain a-z form (Cyrillic, say), where any guess could be wrong."""
    letters = "".join(char for char in unicodedata.normalize("NFKD", stem) if not unicodedata.combining(char))
    if any(char.isalpha() and not char.isascii() for char in letters):
        return None
    return re.sub(r"[^a-z0-9]+", "-", letters.lower()).strip("-") or None


def shown(text: str) -> str:
    """Text with every character outside printable ASCII written as an escape, so it cannot reorder a line."""
    return "".join(char if " " <= char <= "~" else char.encode("unicode_escape").decode() for char in text)


def _describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; controls have no name of their own, so their category stands in."""
    return f"U+{ord(char):04X} {unicodedata.name(char, CONTROL_NAMES.get(char, 'CONTROL'))}"


def control_characters(text: str) -> list[str]:
    """Each control character in ``text`` once, described (``U+001B ESCAPE``)."""
    return [_describe(char) for char in dict.fromkeys(CONTROL.findall(text))]


def case_clashes(stems_and_names: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Pairs of (earlier name, later name) whose stems are equal once lower-cased but differ as written."""
    first: dict[str, tuple[str, str]] = {}
    clashes = []
    for stem, name in stems_and_names:
        earlier = first.setdefault(stem.lower(), (stem, name))
        if earlier[0] != stem:
            clashes.append((earlier[1], name))
    return clashes
