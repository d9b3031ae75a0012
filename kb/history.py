"""``check --since REF``: addresses published at a git ref must keep working.

A shopper's bookmark or a support agent's saved reply links to
``/articles/<slug>#<anchor>``. Renaming a file or rewording a heading breaks
that link unless the old slug becomes an alias (a 301) and the old anchor is
listed under ``anchors: {old-anchor: new-anchor}``. The server never sees the
``#anchor`` part of a request, so that mapping cannot redirect by itself; it
records the editor's decision, lets this check pass, and is there for the
article page's script to follow later.
"""
from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

from kb.content import Article, Library, is_article_path, parse_article
from kb.problems import Problem

GIT_TIMEOUT_SECONDS = 60


class HistoryError(Exception):
    """The ref cannot be read (no git, not a repository, unknown ref); the message says which."""


def changes_since(folder: Path, library: Library, ref: str) -> list[Problem]:
    """A problem for each slug and anchor published at ``ref`` that no longer leads anywhere."""
    problems = []
    for old in published_at(folder, ref, library):
        current = library.articles.get(library.aliases.get(old.slug, old.slug))
        if current is None:
            problems.append(Problem(old.path, None, f"the article /articles/{old.slug}, published at {ref}, is gone: "
                                                    f"add '{old.slug}' to the 'aliases' of the article that replaces it"))
        elif current.draft:
            problems.append(Problem(current.path, None, f"/articles/{old.slug} was published at {ref} and is a "
                                                        "draft now: shoppers following a link get a page not found"))
        else:
            problems += _lost_anchors(old, current, ref)
    return problems


def _lost_anchors(old: Article, current: Article, ref: str) -> list[Problem]:
    kept = {h.id for h in current.headings} | {retired for retired, _ in current.anchors}
    line, column = current.where("anchors")
    return [Problem(current.path, line, f"the section /articles/{old.slug}#{heading.id} ('{heading.title}'), "
                                        f"published at {ref}, is gone: add 'anchors: {{{heading.id}: new-anchor}}' "
                                        f"naming the section that replaces it", column=column)
            for heading in old.headings if heading.id not in kept]


def published_at(folder: Path, ref: str, library: Library) -> list[Article]:
    """The published articles of the content folder as it was at ``ref``."""
    listing = _git(folder, "ls-tree", "-r", "-z", "--name-only", ref, "--", ".")
    articles = []
    for name in filter(None, listing.decode("utf-8", "surrogateescape").split("\0")):
        relative = PurePosixPath(name)
        if not is_article_path(relative):
            continue
        data = _git(folder, "show", f"{ref}:./{name}")
        article, _ = parse_article(data, relative.stem, f"{folder.name}/{name}", None, library.facts)
        if article is not None and not article.draft:
            articles.append(article)
    return articles


def _git(folder: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=folder, capture_output=True, timeout=GIT_TIMEOUT_SECONDS)
    except FileNotFoundError:
        raise HistoryError("git is not installed: --since needs it to read the earlier version")
    except subprocess.TimeoutExpired:
        raise HistoryError(f"git {args[0]} took longer than {GIT_TIMEOUT_SECONDS} seconds")
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HistoryError(f"cannot read {folder} at that ref: {reason[0] if reason else 'git failed'}")
    return result.stdout
