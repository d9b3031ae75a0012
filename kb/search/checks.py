"""Search tests that editors own: a query, and the article it must find.

``search-tests.txt`` in the content folder has lines like

    where is my parcel -> track-your-order

``flask --app kb check`` runs them against an index built afresh from the
folder being checked, and reports a miss like any other content problem, so
a shop's CI catches an edit (or a synonym) that breaks a search.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from kb.languages import content_folder
from kb.problems import Problem
from kb.search.finder import Finder
from kb.search.lifecycle import build_generation
from kb.search.query import SYNONYMS_FILE, SynonymsFile, normalize

SEARCH_TESTS_FILE = "search-tests.txt"
TOP = 3


def read_search_tests(path: Path, name: str) -> tuple[list[tuple[int, str, str]], list[Problem]]:
    """(line, query, expected slug) for each test, and problems with lines that are not tests."""
    tests, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        query, arrow, slug = (part.strip() for part in line.rpartition("->"))
        if not arrow or not query or not slug:
            problems.append(Problem(name, number, "a search test looks like 'where is my parcel -> track-your-order'"))
            continue
        tests.append((number, query, slug))
    return tests, problems


def check_search(folder: Path, library, language: str | None = None) -> list[Problem]:
    """Problems in the synonyms file, and every search test that fails, each at its line.

    With a ``language`` the files are that language's (``de/synonyms.txt``),
    tested on an index built with its analyzer from its translations.
    """
    folder, shown = content_folder(folder, language)
    synonyms = SynonymsFile(folder / SYNONYMS_FILE, f"{shown}/{SYNONYMS_FILE}", language).current()
    path, name = folder / SEARCH_TESTS_FILE, f"{shown}/{SEARCH_TESTS_FILE}"
    if not path.is_file():
        return list(synonyms.problems)
    tests, problems = read_search_tests(path, name)
    problems = [*synonyms.problems, *problems]
    with tempfile.TemporaryDirectory(prefix="kb-search-tests-") as scratch:
        generation = build_generation(Path(scratch), list(library.articles.values()), language=language)
        finder = Finder(generation, library, language=language)
        try:
            for number, query, slug in tests:
                if slug not in library.articles:
                    problems.append(Problem(name, number, f"no article '{slug}': check the slug after '->'"))
                    continue
                found = [hit.slug for hit in finder.search(normalize(query), synonyms, per_page=TOP).hits]
                if slug not in found:
                    problems.append(Problem(name, number, f"searching '{query}' should find '{slug}' in the top "
                                                          f"{TOP}, found: {', '.join(found) or 'nothing'}"))
        finally:
            finder.close()
    return problems
