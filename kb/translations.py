"""Translated articles: loading them beside the originals, and finding the ones that fell behind.

The default language stays where it always was; a translation lives in a
folder named after its language (``articles/de/orders-and-shipping/...``),
with the original's slug or an explicit ``translation_of``. That folder may
also hold the language's ``categories.yml`` (titles and descriptions by
slug), ``contact.yml`` (labels, and hours or numbers that differ for that
country), ``facts.yml`` (values worded for that language) and
``synonyms.txt``. What a translation does not provide falls back to the
default language, so a half-translated language is still a whole site.

Each language becomes a ``Library`` of its own, kept in the default
library's ``translations``: the pages, search and checker then treat every
language alike.
"""
from __future__ import annotations

import datetime as dt
import logging
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from kb.contact import load_contact
from kb.content import (CATEGORIES_FILE, CONTACT_FILE, Article, Category, Library, alias_map, load_articles,
                        load_categories, load_library, related_articles)
from kb.facts import Facts, load_facts
from kb.languages import content_folder, language_name
from kb.problems import Problem

log = logging.getLogger(__name__)

GIT_TIMEOUT = 20


def load_languages(content_dir: Path, languages: tuple[str, ...]) -> Library:
    """The default language's library, holding each other language's in ``translations``.

    ``languages`` lists codes, the default first. Problems found in any
    language are the default library's problems, so start-up logs them and
    ``check`` reports them in one list.
    """
    default_language, others = languages[0], languages[1:]
    default = load_library(content_dir, skip=frozenset(others))
    translations, problems = {}, list(default.problems)
    for language in others:
        translated, found = load_translation(content_dir, language, default)
        translations[language] = translated
        problems += found
    return replace(default, language=default_language, translations=translations, problems=tuple(problems))


def load_translation(content_dir: Path, language: str, default: Library) -> tuple[Library, list[Problem]]:
    """One language's folder as a Library; a missing folder is a language with nothing translated yet."""
    folder, shown = content_folder(content_dir, language)
    problems: list[Problem] = []
    categories, found = _categories(folder, content_dir, default.categories)
    problems += found
    facts = _facts(folder, content_dir, default.facts)
    if facts is not default.facts:  # the default's own problems are reported once, with the default's
        problems += facts.problems
    articles, found = load_articles(folder, categories, facts, shown_from=content_dir) if folder.is_dir() else ({}, [])
    problems += found
    articles = {slug: replace(article, language=language) for slug, article in articles.items()}
    originals, by_original, found = _originals(articles, default)
    problems += found
    aliases, found = alias_map(articles)
    problems += found
    contact = default.contact
    if (folder / CONTACT_FILE).is_file():
        contact, found = load_contact(folder / CONTACT_FILE, f"{shown}/{CONTACT_FILE}")
        problems += found
        contact = contact or default.contact
    library = Library(articles=articles, categories=categories, aliases=aliases, contact=contact,
                      problems=tuple(problems), related=related_articles(articles), facts=facts, language=language,
                      originals=originals, by_original=by_original)
    return library, problems


def _shown(problems, content_dir: Path) -> list[Problem]:
    """Problems of a file in the language folder, named from the content folder like every other."""
    return [replace(p, path=f"{content_dir.name}/{p.path}") for p in problems]


def _categories(folder: Path, content_dir: Path,
                defaults: tuple[Category, ...]) -> tuple[tuple[Category, ...], list[Problem]]:
    """The default topics, with the titles and descriptions this language gives them."""
    if not (folder / CATEGORIES_FILE).is_file():
        return defaults, []
    translated, problems = load_categories(folder)
    problems = _shown(problems, content_dir)
    known = {c.slug for c in defaults}
    by_slug = {c.slug: c for c in translated}
    for slug in by_slug.keys() - known:
        problems.append(Problem(f"{content_dir.name}/{folder.name}/{CATEGORIES_FILE}", None,
                                f"category '{slug}' is not in {content_dir.name}/{CATEGORIES_FILE}: "
                                f"translate one of {', '.join(sorted(known))}"))
    merged = tuple(replace(c, title=by_slug[c.slug].title, description=by_slug[c.slug].description or c.description)
                   if c.slug in by_slug else c for c in defaults)
    return merged, problems


def _facts(folder: Path, content_dir: Path, defaults: Facts) -> Facts:
    """The default facts, with the values this language words its own way ("Montag bis Freitag ...")."""
    translated = load_facts(folder)
    if not translated.by_name and not translated.problems:
        return defaults
    return Facts({**defaults.by_name, **translated.by_name}, tuple(_shown(translated.problems, content_dir)))


def _originals(articles: dict[str, Article], default: Library) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """Which default-language article each translation translates, and the problems with that."""
    originals: dict[str, str] = {}
    by_original: dict[str, str] = {}
    problems = []
    for slug, article in articles.items():
        named = article.translation_of or slug
        original = default.aliases.get(named, named)
        line, column = article.where("translation_of")
        if original not in default.articles:
            what = f"'translation_of: {named}'" if article.translation_of else f"the slug '{slug}'"
            problems.append(Problem(article.path, line, f"translation of an article that does not exist: no article "
                                                        f"in the default language has {what}; set 'translation_of' "
                                                        "to the original's slug", column=column))
            continue
        if original in by_original:
            problems.append(Problem(article.path, line, f"'{original}' is already translated by "
                                                        f"{articles[by_original[original]].path}", column=column))
            continue
        originals[slug] = original
        by_original[original] = slug
    return originals, by_original, problems


# ---------------------------------------------------------------- what needs translating

def missing(default: Library, language: str) -> list[Article]:
    """Published default-language articles with no translation into ``language``, in slug order."""
    translated = default.translations.get(language)
    done = translated.by_original if translated else {}
    return sorted((a for a in default.published if a.slug not in done), key=lambda a: a.slug)


@dataclass(frozen=True)
class Outdated:
    """A translation whose original changed after it was last translated."""

    translation: Article
    original: Article
    reason: str


def outdated(default: Library, content_dir: Path) -> list[Outdated]:
    """Translations older than their original: by the ``updated`` dates, or else by their last commits.

    The dates are what editors write; the commits catch an original changed
    without moving its date. Outside a git checkout only the dates count.
    """
    pairs = [(translation, default.articles[original])
             for library in default.translations.values()
             for slug, original in library.originals.items()
             if not (translation := library.articles[slug]).draft]
    committed = _last_commits(content_dir, [a.path for pair in pairs for a in pair]) if pairs else {}
    found = []
    for translation, original in pairs:
        reason = _older_by_date(translation, original) or _older_by_commit(translation, original, committed)
        if reason:
            found.append(Outdated(translation, original, reason))
    return sorted(found, key=lambda o: (o.translation.language, o.translation.path))


def _older_by_date(translation: Article, original: Article) -> str | None:
    if translation.updated and original.updated and translation.updated < original.updated:
        return (f"the original was updated on {original.updated.isoformat()}, after this translation "
                f"({translation.updated.isoformat()})")
    return None


def _older_by_commit(translation: Article, original: Article, committed: dict[str, dt.datetime]) -> str | None:
    mine, theirs = committed.get(translation.path), committed.get(original.path)
    if mine and theirs and theirs > mine:
        return (f"the original was changed in a commit of {theirs:%Y-%m-%d %H:%M}, after this translation's last "
                f"commit ({mine:%Y-%m-%d %H:%M})")
    return None


def _last_commits(content_dir: Path, paths: list[str]) -> dict[str, dt.datetime]:
    """When each file (named from the content folder's parent) was last committed; {} outside git.

    One ``git log`` for all of them: newest commits come first, so a file's
    first appearance is its last change.
    """
    try:
        result = subprocess.run(
            ["git", "-C", str(content_dir.parent), "log", "--format=%x00%ct", "--name-only", "--relative", "--",
             *sorted(set(paths))], capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        log.info("translations compared by date only: %s", error)
        return {}
    if result.returncode != 0:
        return {}
    last: dict[str, dt.datetime] = {}
    for entry in result.stdout.split("\0")[1:]:
        stamp, *names = entry.strip().split("\n")
        when = dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc)
        for name in filter(None, names):
            last.setdefault(name, when)
    return last


def translation_problems(default: Library, content_dir: Path) -> list[Problem]:
    """The checker's part: each language's untranslated articles, and each outdated translation.

    A configured language without a folder is not started yet: only a
    language that has one is held to translating everything.
    """
    problems = []
    for language in default.translations:
        if not (content_dir / language).is_dir():
            continue
        untranslated = missing(default, language)
        if untranslated:
            problems.append(Problem(
                f"{content_dir.name}/{language}", None,
                f"missing translations: {len(untranslated)} of {len(default.published)} articles have no "
                f"'{language}' version yet: {', '.join(a.slug for a in untranslated)}", level="warning",
                brief=f"{len(untranslated)} {'article has' if len(untranslated) == 1 else 'articles have'} no "
                      f"{language_name(language, 'en')} translation; `flask --app kb check` lists them"))
    for stale in outdated(default, content_dir):
        line, column = stale.translation.where("updated")
        problems.append(Problem(stale.translation.path, line, f"outdated translation of '{stale.original.slug}': "
                                                              f"{stale.reason}; translate the changes, then move "
                                                              "'updated' forward", level="warning", column=column))
    return problems
