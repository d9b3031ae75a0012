"""The content checker: every problem in a content folder, at its line and column.

Loading already reports what stops an article being served (bad YAML,
wrong types, duplicates); the checker adds what only matters before a
merge: links to articles or sections that do not exist, missing images,
empty bodies, facts written out instead of their placeholder, overdue
reviews and the editors' search tests. It reads each article's source again
because the loaded article keeps the rendered page, not the lines as written.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kb import ROOT
from dataclasses import replace

from kb.content import Article, Library, load_library
from kb.facts import literal_facts
from kb.history import changes_since
from kb.problems import Problem
from kb.render import LAYOUT_IDS
from kb.reviews import overdue
from kb.search.checks import check_search
from kb.translations import load_languages, translation_problems

STATIC_DIR = ROOT / "static"
FORMATS = ("text", "brief", "json", "github")

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)[^`]*?\1")
INLINE_TARGET = re.compile(r"(!?)\[[^\]\n]*\]\(\s*<?([^\s)>]+)")
REFERENCE_TARGET = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)")
HTML_TARGET = re.compile(r"\b(href|src)\s*=\s*[\"']([^\"']*)[\"']", re.I)
# A link to an article, in the default language or another (/de/articles/<slug>).
ARTICLE_PATH = re.compile(r"^(?:/[a-z]{2,3}(?:-[a-z]{2,4})?)?/articles/([^/]+)/?$")
PERMANENT_PATH = re.compile(r"^/a/(\d+)/?$")


@dataclass(frozen=True)
class Report:
    """What ``check`` prints: the problems, and how many articles were read."""

    articles: int
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return sum(p.level == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    @property
    def summary(self) -> str:
        return f"{self.articles} articles checked: {self.errors} errors, {self.warnings} warnings"


@dataclass(frozen=True)
class Target:
    """A link or image in an article's source, where the editor wrote it."""

    line: int
    column: int
    url: str
    image: bool


def check_folder(folder: Path, static_dir: Path = STATIC_DIR, *, since: str | None = None,
                 languages: tuple[str, ...] = ()) -> Report:
    """Check a content folder; ``since`` names a git ref whose published addresses must still work.

    ``languages`` (the default first) says which top folders hold
    translations; they are checked like the originals, and reported when
    missing or outdated. Raises ``HistoryError`` when that ref cannot be
    read, since no check was made.
    """
    library = load_languages(folder, languages) if len(languages) > 1 else load_library(folder)
    problems = [*library.problems, *(changes_since(folder, library, since) if since else ())]
    for article in library.articles.values():
        problems += check_article(article, library, folder, static_dir)
    for translated in library.translations.values():
        # A translation may link to its own language's articles or, through their fallback, to any original.
        reachable = replace(translated, articles={**library.articles, **translated.articles},
                            aliases={**library.aliases, **translated.aliases})
        for article in translated.articles.values():
            problems += check_article(article, reachable, folder, static_dir)
        problems += check_search(folder, translated, translated.language)
    problems += translation_problems(library, folder)
    problems += [_overdue(article) for article in overdue(library)]
    problems += check_search(folder, library)
    ordered = sorted(problems, key=lambda p: (p.path, p.line or 0, p.column or 0))
    articles = len(library.articles) + sum(len(t.articles) for t in library.translations.values())
    return Report(articles, tuple(ordered))


def check_article(article: Article, library: Library, folder: Path, static_dir: Path) -> list[Problem]:
    """Problems in one loaded article's body: links, images, emptiness, facts, retired anchors."""
    lines = _body_lines(folder.parent / article.path, article)
    if not "".join(lines).strip():
        return [Problem(article.path, article.body_line, "the article has no text: write the answer "
                                                         "below the closing '---'")]
    problems = _anchor_map_problems(article) + _layout_id_problems(article, lines)
    for target in _targets(lines, article.body_line):
        problem = (_image_problem(target, article, folder, static_dir) if target.image
                   else _link_problem(target, article, library))
        if problem:
            problems.append(problem)
    for found in literal_facts(lines, library.facts):
        problems.append(Problem(
            article.path, article.body_line + found.line,
            f"'{found.text}' is written out next to '{found.subject}': write {{{{ facts.{found.fact.name} }}}} "
            "so the article follows facts.yml", level="warning", column=found.column))
    return problems


def _body_lines(path: Path, article: Article) -> list[str]:
    """The body as written, first item the closing '---' line, so indexes map to file lines."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []  # changed since it was loaded; the next run reads it afresh
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[article.body_line:]


def _targets(lines: list[str], body_line: int) -> list[Target]:
    """Links and images outside code, with their line and column in the file."""
    targets, in_fence = [], False
    for index, line in enumerate(lines):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        number = body_line + index + 1
        targets += [Target(number, m.start(2) + 1, m.group(2), m.group(1) == "!") for m in INLINE_TARGET.finditer(line)]
        targets += [Target(number, m.start(1) + 1, m.group(1), False) for m in REFERENCE_TARGET.finditer(line)]
        targets += [Target(number, m.start(2) + 1, m.group(2), m.group(1).lower() == "src")
                    for m in HTML_TARGET.finditer(line)]
    return targets


def _link_problem(target: Target, article: Article, library: Library) -> Problem | None:
    url = urlsplit(target.url)
    if url.scheme or url.netloc:
        return None
    if not url.path:
        return _section_problem(target, article, article, url.fragment, "this article")
    if match := ARTICLE_PATH.match(url.path):
        slug = unquote(match.group(1))
        found = library.articles.get(library.aliases.get(slug, slug))
        if found is None:
            close = difflib.get_close_matches(slug, [*library.articles, *library.aliases], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return _at(target, article, f"link to {target.url}: no article has the slug '{slug}'{hint}")
    elif match := PERMANENT_PATH.match(url.path):
        found = next((a for a in library.articles.values() if a.id == int(match.group(1))), None)
        if found is None:
            return _at(target, article, f"link to {target.url}: no article has the id {match.group(1)}")
    else:
        return None
    if found.draft and not article.draft:
        return _at(target, article, f"link to {target.url}: '{found.slug}' is a draft, so shoppers get a "
                                    "page not found", level="warning")
    return _section_problem(target, article, found, url.fragment, f"'{found.title}'")


def _section_problem(target: Target, article: Article, linked: Article, anchor: str, name: str) -> Problem | None:
    """A ``#section`` must be a heading of the linked article; a retired anchor only lands at the top."""
    if not anchor or anchor in {h.id for h in linked.headings}:
        return None
    retired = dict(linked.anchors)
    if anchor in retired:
        return _at(target, article, f"link to {target.url}: '#{anchor}' was retired; link to '#{retired[anchor]}'",
                   level="warning")
    sections = ", ".join(h.id for h in linked.headings) or "none"
    return _at(target, article, f"link to {target.url}: {name} has no section '#{anchor}' (sections: {sections})")


def _image_problem(target: Target, article: Article, folder: Path, static_dir: Path) -> Problem | None:
    """Images are looked for beside the article, in the content folder, then in static/."""
    url = urlsplit(target.url)
    if url.scheme or url.netloc or not url.path:
        return None
    relative = unquote(url.path).lstrip("/")
    if relative.startswith("static/"):
        places = [static_dir / relative.removeprefix("static/")]
    elif url.path.startswith("/"):
        places = [folder / relative, static_dir / relative]
    else:
        places = [folder.parent / Path(article.path).parent / relative, folder / relative, static_dir / relative]
    if any(place.is_file() for place in places):
        return None
    return _at(target, article, f"image {target.url} not found: expected a file in {folder.name or '.'}/ "
                                "or static/")


def _anchor_map_problems(article: Article) -> list[Problem]:
    """Each retired anchor must point at a section the article still has."""
    line, column = article.where("anchors")
    ids = {h.id for h in article.headings}
    return [Problem(article.path, line, f"'anchors' sends '#{old}' to '#{new}', but no section has the anchor "
                                        f"'#{new}' (sections: {', '.join(sorted(ids)) or 'none'})", column=column)
            for old, new in article.anchors if new not in ids]


def _layout_id_problems(article: Article, lines: list[str]) -> list[Problem]:
    """An explicit ``{#id}`` the page layout already uses would capture its links (e.g. "Contact us")."""
    problems = []
    for heading in article.headings:
        if heading.id not in LAYOUT_IDS:
            continue
        found = next(((number, line.index(f"#{heading.id}}}")) for number, line in enumerate(lines)
                      if f"#{heading.id}}}" in line), (0, None))
        problems.append(Problem(
            article.path, article.body_line + found[0] + 1,
            f"the section id '#{heading.id}' is taken by the page around the article; choose another {{#id}}",
            column=found[1]))
    return problems


def _overdue(article: Article) -> Problem:
    line, column = article.where("review_by")
    owner = f" (owner: {article.owner})" if article.owner else ""
    return Problem(article.path, line, f"review was due on {article.review_by.isoformat()}{owner}: read the article, "
                                       "then move 'review_by' forward", level="warning", column=column)


def _at(target: Target, article: Article, message: str, level: str = "error") -> Problem:
    return Problem(article.path, target.line, message, level=level, column=target.column)


# ---------------------------------------------------------------- output

def as_text(report: Report) -> str:
    return "\n".join([*map(str, report.problems), report.summary])


def as_brief(report: Report) -> str:
    """The text, with long lists summarised: what ``./dev serve`` shows at every start."""
    return "\n".join([*(str(p.briefly()) for p in report.problems), report.summary])


def as_json(report: Report) -> str:
    return json.dumps({"articles": report.articles, "errors": report.errors, "warnings": report.warnings,
                       "problems": [p.as_dict() for p in report.problems]}, indent=2)


def as_github(report: Report) -> str:
    """GitHub Actions workflow commands: each problem becomes an annotation on the pull request."""
    lines = []
    for problem in report.problems:
        where = {"file": problem.path, "line": problem.line, "col": problem.column}
        properties = ",".join(f"{key}={_escape(str(value), True)}" for key, value in where.items() if value)
        lines.append(f"::{problem.level} {properties}::{_escape(problem.message)}")
    return "\n".join([*lines, report.summary])


def _escape(text: str, property_value: bool = False) -> str:
    """The escaping GitHub's runner expects, or a message with '%' or a newline is cut short."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


RENDERERS = {"text": as_text, "brief": as_brief, "json": as_json, "github": as_github}
