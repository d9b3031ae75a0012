"""Load the content folder: articles, categories and contact channels.

Reading is kept apart from serving: ``load_library`` turns a folder into an
immutable ``Library`` plus a list of problems, and never raises for a bad
file, so one broken article cannot take the help center down.
"""
from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import heapq
import os
import zlib
from collections import deque
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path, PurePath

import yaml
from frontmatter.default_handlers import YAMLHandler

from kb.contact import Contact, load_contact
from kb.facts import Fact, Facts, load_facts, substitute, used
from kb.names import address_problem, case_clashes, control_characters, name_problem, read_inside, shown
from kb.problems import Problem
from kb.render import Heading, RenderError, plain_text, render_markdown
from kb.widget.suggestions import WIDGET_FILE, Suggestions, load_suggestions

CATEGORIES_FILE = "categories.yml"
CONTACT_FILE = "contact.yml"
MAX_TITLE_CHARS = 200
RELATED_LIMIT = 4
RELATED_TAG_SETS = 3  # see related_articles


@dataclass(frozen=True)
class Category:
    slug: str
    title: str
    description: str = ""
    order: int = 0
    icon: str = "folder"


def pack(html: str) -> bytes:
    """An article's rendered body as kept in memory (see ``Article.html``)."""
    return zlib.compress(html.encode(), 6)


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    path: str
    title: str
    summary: str
    category: str | None
    tags: tuple[str, ...]
    updated: dt.date | None
    draft: bool
    aliases: tuple[str, ...]
    order: int
    featured: bool
    id: int | None
    packed_html: bytes = field(repr=False)  # ``pack(html)``
    packed_markdown: bytes = field(repr=False)  # ``pack(body)``: the Markdown as written, facts put in
    headings: tuple[Heading, ...]
    source_hash: str
    owner: str = ""
    review_by: dt.date | None = None
    anchors: tuple[tuple[str, str], ...] = ()  # retired anchor -> the section that replaced it
    body_line: int = 1
    positions: tuple[tuple[str, int, int], ...] = ()  # (field, line, column) in the file
    language: str = ""  # the language code; "" until the library says which (see kb.translations)
    translation_of: str | None = None  # the default-language slug this translates, when the slugs differ

    @property
    def html(self) -> str:
        """The rendered body.

        Every article is loaded, but pages are served from the kept renders
        (``kb.fragments``) and snippets from kept outlines: the body is read
        when one of those is made, and when the index is built. Compressed,
        20,000 articles' bodies take 38 MiB of each worker's memory instead
        of 97; unpacking one takes tens of microseconds.
        """
        return zlib.decompress(self.packed_html).decode()

    @property
    def markdown(self) -> str:
        """The body as the editor wrote it, with the facts' values in place (for the API)."""
        return zlib.decompress(self.packed_markdown).decode()

    @property
    def text(self) -> str:
        """The words a shopper reads, for the search index and snippets; worked out when asked for, not kept."""
        return plain_text(self.html)

    @property
    def sections(self) -> tuple[Heading, ...]:
        """The h2 and h3 headings, for the table of contents."""
        return tuple(h for h in self.headings if h.level <= 3)

    def where(self, key: str) -> tuple[int | None, int | None]:
        """The line and column of a front matter field, so problems point at it."""
        return next(((line, column) for name, line, column in self.positions if name == key), (None, None))


@dataclass(frozen=True)
class Library:
    """Everything loaded from the content folder, shared read-only by requests."""

    articles: dict[str, Article]
    categories: tuple[Category, ...]
    aliases: dict[str, str]
    contact: Contact | None
    problems: tuple[Problem, ...]
    related: dict[str, tuple[Article, ...]] = field(default_factory=dict)
    facts: Facts = field(default_factory=Facts)
    language: str = ""
    # The default language's library holds the others by code (kb.translations).
    translations: dict[str, Library] = field(default_factory=dict)
    # In a translation: its slug -> the slug of the default-language article it translates.
    originals: dict[str, str] = field(default_factory=dict)
    by_original: dict[str, str] = field(default_factory=dict)  # and back: default slug -> its slug here
    # The widget's articles per shop page (widget.yml), kept by the default language's library only.
    suggestions: Suggestions = field(default_factory=Suggestions)

    @property
    def published(self) -> list[Article]:
        return [a for a in self.articles.values() if not a.draft]

    def category(self, slug: str | None) -> Category | None:
        return next((c for c in self.categories if c.slug == slug), None)

    def in_category(self, slug: str) -> list[Article]:
        return list(self._by_category.get(slug, ()))

    @functools.cached_property
    def _by_category(self) -> dict[str, tuple[Article, ...]]:
        """Each topic's published articles in order, sorted once: the home page counts them on every request."""
        grouped: dict[str, list[Article]] = {}
        for article in sorted(self.published, key=lambda a: (a.order, a.title.lower())):
            grouped.setdefault(article.category, []).append(article)
        return {slug: tuple(articles) for slug, articles in grouped.items()}

    def featured(self) -> list[Article]:
        return sorted((a for a in self.published if a.featured), key=lambda a: (a.order, a.title.lower()))


# ---------------------------------------------------------------- front matter

class FieldError(ValueError):
    """A front matter value of the wrong kind; the message says what was expected."""


def _text(value, name):
    if not isinstance(value, str):
        raise FieldError(f"'{name}' should be text, got {_kind(value)}")
    return value.strip()


def _words(value, name):
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldError(f"'{name}' should be a list of words, got {_kind(value)}")
    return tuple(v.strip() for v in value if v.strip())


def _date(value, name):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise FieldError(f"'{name}' should be a date like 2026-03-31, got {_kind(value)}")


def _flag(value, name):
    if not isinstance(value, bool):
        raise FieldError(f"'{name}' should be true or false, got {_kind(value)}")
    return value


def _anchor_map(value, name):
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise FieldError(f"'{name}' should map old anchors to new ones, like {{old-anchor: new-anchor}}, "
                         f"got {_kind(value)}")
    return tuple((old.strip().lstrip("#"), new.strip().lstrip("#")) for old, new in value.items())


def _integer(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(f"'{name}' should be a whole number, got {_kind(value)}")
    return value


def _kind(value) -> str:
    if value is None:
        return "nothing"
    return {str: "text", bool: "true/false", int: "a number", float: "a number", list: "a list",
            dict: "a mapping", dt.date: "a date", dt.datetime: "a date"}.get(type(value), type(value).__name__) \
        + (f" ({value!r})" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else "")


FIELDS = {
    "title": _text,
    "summary": _text,
    "category": _text,
    "tags": _words,
    "updated": _date,
    "draft": _flag,
    "aliases": _words,
    "order": _integer,
    "featured": _flag,
    "id": _integer,
    "owner": _text,
    "review_by": _date,
    "anchors": _anchor_map,
    "translation_of": _text,
}


class _Loader(yaml.SafeLoader):
    """yaml.safe_load semantics: no Python tags, only plain data."""


def _parse_front_matter(text: str, name: str) -> tuple[dict, dict[str, tuple[int, int]], str, list[Problem]]:
    """Split and parse front matter, keeping the line and column of every field.

    Returns (values, positions, body, problems). Each field is constructed on its
    own so that one bad value (an impossible date, say) is reported at its
    line while the other fields still load.
    """
    handler = YAMLHandler()
    if not handler.detect(text):
        return {}, {}, text, [Problem(name, 1, "no front matter: start the file with a line '---', "
                                              "then 'title: ...', then another '---'")]
    try:
        raw, body = handler.split(text)
    except ValueError:
        return {}, {}, "", [Problem(name, 1, "front matter is never closed: add a line '---' after the last field")]
    try:
        root = yaml.compose(raw, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else _reader_position(raw, error)
        reason = getattr(error, "problem", None) or getattr(error, "reason", None) or str(error).splitlines()[0]
        return {}, {}, body, [Problem(name, line, f"front matter is not valid YAML: {reason}", column=column)]
    except RecursionError:
        return {}, {}, body, [Problem(name, 1, "front matter is nested too deeply to read")]
    if root is None:
        return {}, {}, body, []
    if not isinstance(root, yaml.MappingNode):
        return {}, {}, body, [Problem(name, root.start_mark.line + 1, "front matter should be 'key: value' lines")]
    values, positions, problems = {}, {}, []
    loader = _Loader("")
    for key_node, value_node in root.value:
        key = key_node.value
        position = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        try:
            values[key] = loader.construct_object(value_node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as error:
            problems.append(Problem(name, position[0], f"'{key}' could not be read: {error}", column=position[1]))
            continue
        except RecursionError:
            problems.append(Problem(name, position[0], f"'{key}' is nested too deeply to read", column=position[1]))
            continue
        positions[key] = position
    return values, positions, body, problems


def _text_problems(values: dict, positions: dict, name: str) -> list[Problem]:
    """Control characters in any field (an ESC in a title reaches every page, feed and API answer),
    and a title too long to be one."""
    problems = []
    for key, value in values.items():
        line, column = positions.get(key, (None, None))
        found = control_characters(" ".join(_strings(value)))
        if found:
            what = "the control character" if len(found) == 1 else "the control characters"
            problems.append(Problem(name, line, f"'{key}' holds {what} {', '.join(found)}: remove "
                                                + ("it" if len(found) == 1 else "them"), column=column))
    title = values.get("title")
    if isinstance(title, str) and len(title.strip()) > MAX_TITLE_CHARS:
        line, column = positions.get("title", (None, None))
        problems.append(Problem(name, line, f"'title' is {len(title.strip()):,} characters long; keep it to "
                                            f"{MAX_TITLE_CHARS} and put the rest in 'summary' or the body",
                                column=column))
    return problems


def _strings(value) -> list[str]:
    """Every text inside a field's value: the value itself, list items, mapping keys and values.

    Each list or mapping is visited once, however often YAML aliases repeat
    it: a "billion laughs" value is nine lists of nine, not 9**9 texts.
    """
    texts, pending, seen = [], deque([value]), set()
    while pending:
        item = pending.popleft()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, (list, dict)) and id(item) not in seen:
            seen.add(id(item))
            pending.extend([part for pair in item.items() for part in pair] if isinstance(item, dict) else item)
    return texts


def _reader_position(raw: str, error: yaml.YAMLError) -> tuple[int, int | None]:
    """Where a character YAML refuses (a NUL, say) stands; its error has an offset, not a mark."""
    offset = getattr(error, "position", None)
    if not isinstance(offset, int):
        return 1, None
    return raw.count("\n", 0, offset) + 1, offset - raw.rfind("\n", 0, offset)


def _normalise(values: dict, positions: dict, name: str) -> tuple[dict, list[Problem]]:
    fields, problems = {}, []
    for key, value in values.items():
        line, column = positions.get(key, (None, None))
        if key not in FIELDS:
            close = difflib.get_close_matches(str(key), FIELDS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(FIELDS)}"
            problems.append(Problem(name, line, f"unknown field '{key}' ({hint})", level="warning", column=column))
            continue
        try:
            fields[key] = FIELDS[key](value, key)
        except FieldError as error:
            problems.append(Problem(name, line, str(error), column=column))
    return fields, problems


# ---------------------------------------------------------------- articles

def read_article(path: Path, name: str, folder_category: str | None, facts: Facts = Facts(), *,
                 inside: Path) -> tuple[Article | None, list[Problem]]:
    """Read one article file of the content folder ``inside``; None with problems when it cannot be served.

    Raises OSError when it cannot be read, ``OutsideFolder`` when it links out of the folder.
    """
    return parse_article(read_inside(path, inside), path.stem, name, folder_category, facts)


def parse_article(data: bytes, slug: str, name: str, folder_category: str | None,
                  facts: Facts = Facts()) -> tuple[Article | None, list[Problem]]:
    """Parse an article's bytes; apart from reading, so ``check --since`` can parse a file from git."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - data.rfind(b"\n", 0, error.start)
        return None, [Problem(name, line, f"the file is not UTF-8 text (byte {data[error.start]:#x}); "
                                          "save it as UTF-8", column=column)]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    values, positions, body, problems = _parse_front_matter(text, name)
    if any(p.level == "error" for p in problems) and not values:
        return None, problems
    fields, field_problems = _normalise(values, positions, name)
    problems += field_problems + _text_problems(values, positions, name)
    if not fields.get("title"):
        line, column = positions.get("title", (1, None))
        problems.append(Problem(name, line, "'title' is required and must not be empty", column=column))
        return None, problems
    body_line = text.count("\n", 0, len(text) - len(body)) + 1
    version = _version_hash(data, used(body, facts))
    body, unknown = substitute(body, facts)
    problems += [_unknown_fact(placeholder, body, body_line, name, facts) for placeholder in unknown]
    try:
        rendered = render_markdown(body)
    except RenderError as error:
        problems.append(Problem(name, body_line, f"the article body cannot be shown: {error}"))
        return None, problems
    problems += _duplicate_anchors(rendered.headings, name)
    article = Article(
        slug=slug,
        path=name,
        title=fields["title"],
        summary=fields.get("summary", ""),
        category=fields.get("category") or folder_category,
        tags=fields.get("tags", ()),
        updated=fields.get("updated"),
        draft=fields.get("draft", False),
        aliases=fields.get("aliases", ()),
        order=fields.get("order", 100),
        featured=fields.get("featured", False),
        id=fields.get("id"),
        packed_html=pack(rendered.html),
        packed_markdown=pack(body.strip()),
        headings=rendered.headings,
        source_hash=version,
        owner=fields.get("owner", ""),
        review_by=fields.get("review_by"),
        anchors=fields.get("anchors", ()),
        body_line=body_line,
        positions=tuple((key, line, column) for key, (line, column) in positions.items()),
        translation_of=fields.get("translation_of") or None,
    )
    return article, problems


def _version_hash(data: bytes, facts: list[Fact]) -> str:
    """The file's SHA-256, with the values of the facts it uses when it uses any.

    A changed fact changes what shoppers read, so it must count as a new
    version: the search index is rebuilt and votes are kept apart by version.
    """
    digest = hashlib.sha256(data)
    for fact in facts:
        digest.update(f"\0{fact.name}={fact.value}".encode())
    return digest.hexdigest()


def _unknown_fact(placeholder, body: str, body_line: int, name: str, facts: Facts) -> Problem:
    """A placeholder naming no fact: reported where it stands; the page shows it as written."""
    line = body_line + body.count("\n", 0, placeholder.offset)
    column = placeholder.offset - body.rfind("\n", 0, placeholder.offset)
    known = ", ".join(sorted(facts.by_name)) or "none: add facts.yml to the content folder"
    return Problem(name, line, f"unknown fact 'facts.{placeholder.name}': expected one of {known}", column=column)


def _duplicate_anchors(headings: tuple[Heading, ...], name: str) -> list[Problem]:
    """Two sections given one {#anchor}: a link to the second would land on the first."""
    first_title: dict[str, str] = {}
    problems = []
    for heading in headings:
        if heading.id in first_title:
            problems.append(Problem(name, None, f"the sections '{first_title[heading.id]}' and '{heading.title}' "
                                                f"share the anchor '#{heading.id}': give one a different {{#anchor}}"))
        first_title.setdefault(heading.id, heading.title)
    return problems


def is_article_path(relative: PurePath) -> bool:
    """Markdown files are articles, except editors' notes: names starting with '_' or '.', and README.md."""
    return (relative.suffix == ".md" and not any(part.startswith(("_", ".")) for part in relative.parts)
            and relative.name.lower() != "readme.md")


def article_files(content_dir: Path, skip: frozenset[str] = frozenset()) -> list[Path]:
    """The article files, in a stable order; ``skip`` names top folders that hold translations."""
    return sorted(p for p in content_dir.rglob("*.md") if is_article_path(relative := p.relative_to(content_dir))
                  and relative.parts[0] not in skip)


def _display(path: Path, content_dir: Path) -> str:
    return str(Path(content_dir.name) / path.relative_to(content_dir))


def load_articles(content_dir: Path, categories: tuple[Category, ...], facts: Facts = Facts(), *,
                  skip: frozenset[str] = frozenset(), shown_from: Path | None = None,
                  ) -> tuple[dict[str, Article], list[Problem]]:
    """The articles under ``content_dir``; ``shown_from`` is the content folder, which problems name paths from.

    A file whose name is not an address is not loaded, nor one that links out of the content folder.
    """
    root = shown_from or content_dir
    known = {c.slug for c in categories}
    articles: dict[str, Article] = {}
    paths = article_files(content_dir, skip)
    problems = _case_clash_problems(paths, root) + _folders_linked_out(content_dir, root)
    for path in paths:
        name = _display(path, root)
        if wrong_name := name_problem(path.stem):
            problems.append(Problem(shown(name), None, wrong_name))
            continue
        folder = path.parent.name if path.parent != content_dir else None
        try:
            article, found = read_article(path, name, folder if folder in known else None, facts, inside=root)
        except OSError as error:
            problems.append(Problem(name, None, f"cannot be read: {error.strerror}"))
            continue
        problems += found
        if article is None:
            continue
        if article.slug in articles:
            problems.append(Problem(name, None, f"duplicate slug '{article.slug}': "
                                                f"{articles[article.slug].path} already uses it; rename one file"))
            continue
        owner = next((a for a in articles.values() if article.id is not None and a.id == article.id), None)
        if owner is not None:
            # Served, but without the number: /a/<id> must lead to one article only.
            problems.append(Problem(name, None, f"duplicate id {article.id}: {owner.path} already uses it; "
                                                "give this article a number no other article has"))
            article = replace(article, id=None)
        if article.category is None:
            problems.append(Problem(name, None, "no category: add 'category:' with one of " + ", ".join(sorted(known))))
        elif article.category not in known:
            line, column = article.where("category")
            problems.append(Problem(name, line, f"unknown category '{article.category}' "
                                                f"(known: {', '.join(sorted(known))})", column=column))
        articles[article.slug] = article
    return articles, problems


def _folders_linked_out(content_dir: Path, root: Path) -> list[Problem]:
    """Folders that are symbolic links out of the content folder: never walked into, and said so."""
    problems, inside = [], root.resolve()
    for folder, subfolders, _ in os.walk(content_dir):
        for name in subfolders:
            path = Path(folder) / name
            if path.is_symlink() and not (target := path.resolve()).is_relative_to(inside):
                problems.append(Problem(_display(path, root), None, f"it is a symbolic link to {target}, outside "
                                        "the content folder, so its articles are not read; copy them into the "
                                        "folder instead"))
    return problems


def _case_clash_problems(paths: list[Path], root: Path) -> list[Problem]:
    """Two names equal once lower-cased: macOS and Windows keep only one of them in a checkout."""
    named = [(path.stem, _display(path, root)) for path in paths]
    return [Problem(shown(later), None, f"'{shown(later)}' and '{shown(earlier)}' have the same name once "
                                        "lower-cased: macOS and Windows cannot check out both; rename or remove one")
            for earlier, later in case_clashes(named)]


# ---------------------------------------------------------------- categories

def load_categories(content_dir: Path) -> tuple[tuple[Category, ...], list[Problem]]:
    path = content_dir / CATEGORIES_FILE
    name = _display(path, content_dir)
    try:
        entries = yaml.safe_load(read_inside(path, content_dir).decode("utf-8-sig"))
    except FileNotFoundError:
        return (), [Problem(name, None, "categories file not found: articles cannot be browsed by category")]
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
        mark = getattr(error, "problem_mark", None)
        return (), [Problem(name, mark.line + 1 if mark else None, f"cannot be read: {error}")]
    except RecursionError:
        return (), [Problem(name, None, "cannot be read: nested too deeply")]
    if not isinstance(entries, list):
        return (), [Problem(name, None, "should be a list of categories, each with slug and title")]
    categories, problems = [], []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not entry.get("slug") or not entry.get("title"):
            problems.append(Problem(name, None, f"category #{number} needs at least 'slug' and 'title'"))
            continue
        if wrong := address_problem("category slug", str(entry["slug"])):
            problems.append(Problem(name, None, wrong))
            continue
        order = entry.get("order", number)
        if isinstance(order, bool) or not isinstance(order, int):
            problems.append(Problem(name, None, f"category '{entry['slug']}': 'order' should be a whole number"))
            order = number
        categories.append(Category(
            slug=str(entry["slug"]), title=str(entry["title"]),
            description=str(entry.get("description", "")), order=order, icon=str(entry.get("icon", "folder")),
        ))
    return tuple(sorted(categories, key=lambda c: c.order)), problems


# ---------------------------------------------------------------- the library

def alias_map(articles: dict[str, Article]) -> tuple[dict[str, str], list[Problem]]:
    aliases, problems = {}, []
    for article in articles.values():
        for alias in article.aliases:
            if wrong := address_problem("alias", alias):
                line, column = article.where("aliases")
                problems.append(Problem(article.path, line, wrong, column=column))
                continue
            if alias in articles or alias in aliases:
                owner = alias if alias in articles else aliases[alias]
                line, column = article.where("aliases")
                problems.append(Problem(article.path, line, f"alias '{alias}' is already used by '{owner}'",
                                        column=column))
                continue
            aliases[alias] = article.slug
    return aliases, problems


def related_articles(articles: dict[str, Article]) -> dict[str, tuple[Article, ...]]:
    """Articles sharing the category and tags, most in common first.

    An article is related when it shares the category or a tag; the closest
    share the most tags, the category counting as two, then come by order
    and title. Comparing every pair took minutes at 20,000 articles, so each
    article is filed under its category and under each small set of its tags
    (up to RELATED_TAG_SETS tags), and the ranking is read one closeness at a
    time, best first, until RELATED_LIMIT are found.
    """
    published = sorted((a for a in articles.values() if not a.draft), key=lambda a: (a.order, a.title))
    position = {a.slug: n for n, a in enumerate(published)}  # the tie-breaker: order, title, then file order
    tags = {a.slug: frozenset(a.tags) for a in published}
    filed: dict[tuple, list[Article]] = {}
    for article in published:
        mine = sorted(tags[article.slug])
        for size in range(min(len(mine), RELATED_TAG_SETS) + 1):
            for subset in combinations(mine, size):
                filed.setdefault(("category", article.category, subset), []).append(article)
                filed.setdefault(("any", subset), []).append(article)
    related = {}
    for article in published:
        mine = sorted(tags[article.slug])
        found: list[Article] = []
        for closeness in range(len(mine) + 2, 0, -1):
            tier = []  # lists of articles that may share ``shared`` tags, each in ranking order
            for same_category, shared in ((True, closeness - 2), (False, closeness)):
                if 0 <= shared <= len(mine):
                    tier += [filed.get(("category", article.category, subset) if same_category else ("any", subset), [])
                             for subset in combinations(mine, min(shared, RELATED_TAG_SETS))]
            previous = None
            for other in heapq.merge(*tier, key=lambda a: position[a.slug]):
                if other is previous or other is article:
                    continue
                previous = other
                same = other.category == article.category
                if len(tags[article.slug] & tags[other.slug]) + 2 * same == closeness:
                    found.append(other)
                    if len(found) == RELATED_LIMIT:
                        break
            if len(found) == RELATED_LIMIT:
                break
        related[article.slug] = tuple(found)
    return related


def load_library(content_dir: Path, skip: frozenset[str] = frozenset()) -> Library:
    """Load the whole content folder; problems are returned, never raised.

    ``skip`` names the top folders holding translations (``de/``): they are
    read by ``kb.translations``, never as articles of the default language.
    """
    categories, problems = load_categories(content_dir)
    facts = load_facts(content_dir)
    articles, article_problems = load_articles(content_dir, categories, facts, skip=skip)
    aliases, alias_problems = alias_map(articles)
    contact, contact_problems = load_contact(content_dir / CONTACT_FILE, _display(content_dir / CONTACT_FILE, content_dir))
    suggestions, suggestion_problems = load_suggestions(content_dir / WIDGET_FILE,
                                                        _display(content_dir / WIDGET_FILE, content_dir),
                                                        articles, aliases)
    problems = [*problems, *facts.problems, *article_problems, *alias_problems, *contact_problems,
                *suggestion_problems]
    return Library(
        articles=articles,
        categories=categories,
        aliases=aliases,
        contact=contact,
        problems=tuple(problems),
        related=related_articles(articles),
        facts=facts,
        suggestions=suggestions,
    )
