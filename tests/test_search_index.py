"""The index lifecycle an operator relies on: stale detection, atomic switch, surviving a killed build."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index
from whoosh.query import And, Or, Term

from kb import ROOT, search
from kb.search import engine, lifecycle, snippets


def found(app, query: str) -> list[str]:
    return [hit.slug for hit in app.extensions["kb.search"].search(query).hits]


def generations(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.glob("g-*"))


def served(index_dir: Path) -> str:
    return (index_dir / "current").read_text()


def flask(*args: str, content: Path, index_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "KB_CONTENT_DIR": str(content), "KB_INDEX_DIR": str(index_dir), "SECRET_KEY": "test"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "kb", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_start_with_unchanged_content_reuses_the_index(make_app, tmp_path):
    make_app()
    first = served(tmp_path / "index")
    make_app()
    assert served(tmp_path / "index") == first and generations(tmp_path / "index") == [first]


def test_start_after_an_edit_rebuilds_the_stale_index(content, make_app, tmp_path):
    make_app()
    content.article("start-a-return", "Start a return", "Print the prepaid label.", category="returns-and-refunds")
    assert found(make_app(), "prepaid") == ["start-a-return"]
    assert len(generations(tmp_path / "index")) == 2  # the previous one stays for workers still reading it


def test_an_index_built_before_scores_were_stored_is_rebuilt_on_start(make_app, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    with monkeypatch.context() as older:
        older.setattr(lifecycle, "INDEX_FORMAT", 1)
        older.setattr(lifecycle, "write_scores", lambda *args: None)
        make_app()
    before = served(index_dir)
    assert not (index_dir / before / engine.SCORES).exists()
    app = make_app()
    assert served(index_dir) != before and (index_dir / served(index_dir) / engine.SCORES).exists()
    assert found(app, "tracking") == ["track-your-order"]


SCORED = [
    engine.Document("a", "", "Return a parcel", "returns parcel", "Book a courier to collect the parcel."),
    engine.Document("b", "", "Refunds", "refund times", "A refund follows the return of the parcel parcel parcel."),
    engine.Document("c", "", "Courier", "", "The courier brings the parcel; a label goes on every return."),
    engine.Document("d", "", "Print a label", "label", "Print the return label at home."),
    engine.Document("e", "", "Print a label", "label", "Print the return label at home."),  # ties with d
    engine.Document("f", "", "Opening hours", "store", "The store opens at nine."),
]


def ranked(generation: engine.Generation, clauses: list, limit: int = 10) -> list[int]:
    matches = generation.matches(clauses, [])
    return engine.best(matches.scores, matches.found, 0, limit)


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("words", [["parcel"], ["label"], ["return", "parcel"], ["refund", "courier", "label"]])
def test_stored_scores_rank_as_whoosh_itself_searches(tmp_path, processes, words):
    """One BM25F score over every article with any of the words: Whoosh's own Or, ties by document number."""
    engine.write_index(tmp_path, SCORED)
    engine.write_scores(tmp_path, processes)
    terms = [engine.term(word) for word in words]
    each = Or([Or([Term(field, text) for field in engine.FIELDS]) for text in terms])
    with index.open_dir(str(tmp_path)).searcher(weighting=engine.WEIGHTING) as searcher:
        whoosh = [hit.docnum for hit in searcher.search(each, limit=None)]
    generation = engine.Generation(tmp_path)
    try:
        assert ranked(generation, [((text,),) for text in terms]) == whoosh
    finally:
        generation.close()


def test_a_synonym_of_two_words_scores_only_where_both_are(tmp_path):
    """An alternative of several terms ("money back") is Whoosh's And of them: the documents with both, scores added."""
    engine.write_index(tmp_path, SCORED)
    engine.write_scores(tmp_path)
    terms = [engine.term("return"), engine.term("label")]
    both = And([Or([Term(field, text) for field in engine.FIELDS]) for text in terms])
    with index.open_dir(str(tmp_path)).searcher(weighting=engine.WEIGHTING) as searcher:
        whoosh = [hit.docnum for hit in searcher.search(both, limit=None)]
    generation = engine.Generation(tmp_path)
    try:
        assert ranked(generation, [(tuple(terms),)]) == whoosh
    finally:
        generation.close()


def test_a_page_past_the_first_continues_the_same_order(tmp_path):
    """Ranking a window (page 2, the instant list's top) never reorders what the whole ranking says."""
    documents = [engine.Document(f"p{n}", "", f"Parcel {n}", "parcel",
                                 "The parcel " * (n % 7 + 1) + ("needs a label." if n % 3 == 0 else ""))
                 for n in range(60)]
    engine.write_index(tmp_path, documents)
    engine.write_scores(tmp_path)
    generation = engine.Generation(tmp_path)
    try:
        matches = generation.matches([((engine.term("parcel"),),), ((engine.term("label"),),)], [])
        whole = engine.best(matches.scores, matches.found, 0, 60)
        assert len(whole) == 60
        assert [engine.best(matches.scores, matches.found, start, start + 10) for start in range(0, 60, 10)] == \
            [whole[start:start + 10] for start in range(0, 60, 10)]
    finally:
        generation.close()


def test_the_master_reads_every_served_index_file_ahead_of_the_workers(app, tmp_path):
    generation = tmp_path / "index" / served(tmp_path / "index")
    assert search.read_ahead(app) >= sum(path.stat().st_size for path in generation.iterdir()) > 0


def test_index_command_switches_a_running_app_to_the_new_index(content, app, runner, tmp_path):
    content.article("start-a-return", "Start a return", "Print the prepaid label.", category="returns-and-refunds")
    result = runner.invoke(args=["index"])
    assert result.exit_code == 0 and result.output.startswith("Indexed 2 articles into ")
    assert found(app, "prepaid") == ["start-a-return"]


def test_index_command_on_a_stale_index_builds_it_once(content, tmp_path):
    index_dir = tmp_path / "index"
    output = flask("index", content=content.root, index_dir=index_dir).communicate(timeout=60)[0]
    assert f"Indexed 2 articles into {index_dir / served(index_dir)}; the help center now searches it." in output
    assert generations(index_dir) == [served(index_dir)]  # the app built it as it loaded: not built again


def test_old_generations_and_leftovers_are_removed_by_the_next_build(make_app, runner, tmp_path):
    make_app()
    leftover = tmp_path / "index" / "g-19990101T000000-1-dead"
    leftover.mkdir()
    for _ in range(3):
        runner.invoke(args=["index"])
    assert len(generations(tmp_path / "index")) == 2 and not leftover.exists()


def test_build_killed_midway_leaves_the_previous_index_serving(content, make_app, tmp_path):
    index_dir = tmp_path / "index"
    running = make_app()
    before = served(index_dir)
    for n in range(300):
        content.article(f"note-{n}", f"Note {n}", " ".join(f"word{n}x{k} parcel" for k in range(300)))
    build = flask("index", content=content.root, index_dir=index_dir)
    try:
        deadline = time.monotonic() + 60
        while not any(not (p / "meta.json").exists() and any(p.iterdir()) for p in index_dir.glob("g-*")):
            assert build.poll() is None and time.monotonic() < deadline, "the build ended before it could be killed"
            time.sleep(0.005)
        build.send_signal(signal.SIGKILL)
    finally:
        build.wait(30)
    assert build.returncode == -signal.SIGKILL
    assert served(index_dir) == before
    assert found(running, "tracking") == ["track-your-order"]
    assert found(make_app(), "word7x3") == ["note-7"]  # the next start repairs it
    assert len(generations(index_dir)) == 2


def test_builds_started_together_wait_for_each_other(content, tmp_path):
    index_dir = tmp_path / "index"
    builds = [flask("index", content=content.root, index_dir=index_dir) for _ in range(3)]
    outputs = [build.communicate(timeout=60)[0] for build in builds]
    assert [build.returncode for build in builds] == [0, 0, 0], outputs
    assert not any("LockError" in output for output in outputs)
    assert (index_dir / served(index_dir) / "meta.json").exists()


def test_snippets_come_from_outlines_stored_at_build_and_read_the_same_cut_from_the_article(
        content, make_app, tmp_path, caplog):
    content.article("book-a-collection", "Book a collection", """
        Returns are free.

        ## Print the label

        Print the prepaid label at home.

        ## Hand it to the courier

        The courier collects the parcel &amp; scans the label.
        """, category="returns-and-refunds")
    stored = make_app().extensions["kb.search"].search("courier parcel").hits
    assert (stored[0].slug, stored[0].anchor) == ("book-a-collection", "hand-it-to-the-courier")
    assert "<mark>courier</mark> collects the <mark>parcel</mark> &amp; scans" in stored[0].snippet
    # A generation built before outlines were stored, served while no new one can be built.
    (tmp_path / "index" / served(tmp_path / "index") / snippets.OUTLINES).unlink()
    assert make_app().extensions["kb.search"].search("courier parcel").hits == stored
    assert "snippets of g-" in caplog.text and "are cut from the articles" in caplog.text
