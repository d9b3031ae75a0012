"""Search results shared by the workers of one node: a question is worked out once, never answered stale."""
from __future__ import annotations

import json
import os

import pytest

from kb import node_cache
from kb.node_cache import NodeCache
from kb.search.finder import Finder


def in_other_worker(app, query: str) -> list[str]:
    """The slugs a forked process (a gunicorn worker) finds for ``query``."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        status = 1
        try:
            with app.app_context():
                hits = app.extensions["kb.search"].search(query).hits
            os.write(write, json.dumps([hit.slug for hit in hits]).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as answer:
        found = answer.read()
    assert os.waitpid(pid, 0)[1] == 0
    return json.loads(found)


def search(app, query: str) -> list[str]:
    with app.app_context():
        return [hit.slug for hit in app.extensions["kb.search"].search(query).hits]


@pytest.fixture
def searches(monkeypatch) -> list[str]:
    """The queries this process works out itself from now on."""
    made = []
    own = Finder._search

    def counting(self, query, *args):
        made.append(query)
        return own(self, query, *args)

    monkeypatch.setattr(Finder, "_search", counting)
    return made


def test_results_one_worker_found_are_served_by_another_without_searching(app, searches):
    found = in_other_worker(app, "where is my parcel")
    assert set(found) == {"track-your-order", "start-a-return"}
    assert search(app, "where is my parcel") == found
    assert searches == []
    assert search(app, "return") == ["start-a-return"]
    assert searches == ["return"]


def test_a_synonym_an_editor_adds_changes_the_results_every_worker_serves(app, content, searches):
    assert in_other_worker(app, "swap") == []
    content.write("synonyms.txt", "swap => return\n")
    assert search(app, "swap") == ["start-a-return"]
    assert searches == ["swap"]


def test_a_full_file_starts_over_and_never_answers_for_another_question():
    cache = NodeCache(limit=4096)
    for number in range(200):
        cache.put(("question", number), f"answer {number} " * 10)
    assert cache.get(("question", 199)) == "answer 199 " * 10
    assert cache.get(("question", 0)) is None  # overwritten by a later round
    assert all(cache.get(("question", n)) in (None, f"answer {n} " * 10) for n in range(200))
    cache.put(("huge",), "x" * 10_000)  # larger than the whole file: not kept
    assert cache.get(("huge",)) is None


def test_search_answers_without_the_shared_file(make_app, monkeypatch, caplog):
    def refused(name):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(node_cache, "unnamed_file", refused)
    app = make_app()
    assert "track-your-order" in search(app, "where is my parcel")
    assert "answers are not shared between workers: [Errno 24] Too many open files" in caplog.text
