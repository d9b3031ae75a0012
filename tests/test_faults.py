"""Faults a node survives: a database that goes away, broken content files, a full or read-only index disk.

A build killed by SIGKILL is covered in test_search_index.py
(``test_build_killed_midway_leaves_the_previous_index_serving``): the next
start serves the old index and rebuilds. Every fault here is real: a
PostgreSQL server stopped and started again, a SQLite file held locked by
another process, a tmpfs that is full or mounted read-only. Nothing is mocked.
"""
from __future__ import annotations

import logging
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from kb.extensions import db

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = "track-your-order"
UNAVAILABLE = "Sorry, we couldn’t record your vote right now. Please try again in a few minutes."
IN_CI = os.environ.get("CI") == "true"


def vote(client, helpful: str = "yes", slug: str = ARTICLE):
    """As static/feedback.js votes: the page, then a form token (reading sets no cookie)."""
    assert client.get(f"/articles/{slug}").status_code == 200
    token = client.get("/feedback/token").get_json()["csrf_token"]
    return client.post(f"/articles/{slug}/feedback", data={"csrf_token": token, "helpful": helpful},
                       headers={"Accept": "application/json"})


def assert_site_serves(client) -> None:
    """What a shopper needs with the fault still there: pages and search."""
    assert client.get("/").status_code == 200
    page = client.get(f"/articles/{ARTICLE}")
    assert page.status_code == 200 and "Track your order" in page.get_data(as_text=True)
    search = client.get("/search", query_string={"q": "tracking"})
    assert search.status_code == 200 and f"/articles/{ARTICLE}" in search.get_data(as_text=True)


# -- the database ------------------------------------------------------------------------------------------

class Cluster:
    """A PostgreSQL server of our own (scripts/test-postgres), to stop and start under a running app."""

    def __init__(self):
        started = subprocess.run([ROOT / "scripts" / "test-postgres"], capture_output=True, text=True, check=True)
        settings = dict(re.findall(r"export (\w+)=(\S+)", started.stdout))
        self.dir, self.url = Path(settings["KB_TEST_POSTGRES_DIR"]), settings["KB_TEST_DATABASE_URL"]
        self.port = sa.make_url(self.url).port
        self.bin = Path(max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)))

    def _pg_ctl(self, *args: str) -> None:
        owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*owner, self.bin / "pg_ctl", f"--pgdata={self.dir / 'data'}", "--wait", *args],
                       check=True, capture_output=True)

    def stop(self) -> None:
        self._pg_ctl("--mode=fast", "stop")

    def start(self) -> None:
        self._pg_ctl(f"--log={self.dir / 'server.log'}", "start",
                     "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir}")

    def remove(self) -> None:
        subprocess.run([ROOT / "scripts" / "test-postgres", "stop", self.dir], check=True)


@pytest.fixture
def cluster():
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        if IN_CI:
            pytest.fail("PostgreSQL is not installed, and CI must run the database fault test")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = Cluster()
    yield server
    server.remove()


def test_postgresql_down_at_start_and_mid_run_pages_render_votes_503_and_recover(cluster, make_app, caplog):
    cluster.stop()
    app = make_app(create_tables=False, DATABASE_URL=cluster.url)  # the node starts while the database is down
    client = app.test_client()
    assert_site_serves(client)
    refused = vote(client)
    assert refused.status_code == 503 and refused.json["message"] == UNAVAILABLE
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["failed"] == ["database"]
    assert "vote on track-your-order not recorded (OperationalError)" in caplog.text

    cluster.start()
    with app.app_context():
        db.create_all()
    assert vote(client).status_code == 200  # no restart
    assert client.get("/healthz").status_code == 200

    cluster.stop()  # mid-run
    assert_site_serves(client)
    assert vote(client, "no").status_code == 503
    cluster.start()
    assert vote(client, "no").status_code == 200  # the first vote after the database is back counts
    assert client.get("/healthz").json["status"] == "ok"


def test_votes_answer_503_while_sqlite_is_locked_by_another_process_and_work_once_released(tmp_path, make_app):
    path = tmp_path / "locked.sqlite"
    app = make_app(DATABASE_URL=f"sqlite:///{path}", KB_SQLITE_BUSY_TIMEOUT_MS=100)
    client = app.test_client()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock and never lets go
    try:
        assert_site_serves(client)
        refused = vote(client)
        assert refused.status_code == 503 and refused.json["message"] == UNAVAILABLE
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert vote(client).status_code == 200


# -- content -----------------------------------------------------------------------------------------------

def test_broken_content_files_are_skipped_and_everything_else_is_served(content, make_app, caplog):
    content.write("orders-and-shipping/bad-yaml.md", "---\ntitle: [unclosed\n---\nBody.\n")
    content.write("orders-and-shipping/latin1.md", "---\ntitle: Caf\xe9\n---\nCaf\xe9 au lait.\n", encoding="latin-1")
    content.write("orders-and-shipping/empty.md", "")
    content.write("orders-and-shipping/binary.md", b"\x00\xff\xfe\x89PNG\r\n\x1a\n" * 50)
    content.write("orders-and-shipping/no-title.md", "---\nsummary: Nothing else.\n---\nText.\n")
    content.write("synonyms.txt", "parcel, package\n=> => =>\n\xff\n")
    client = make_app().test_client()
    assert_site_serves(client)
    assert client.get("/articles/start-a-return").status_code == 200
    assert client.get("/articles/bad-yaml").status_code == 404
    assert client.get("/categories/orders-and-shipping").status_code == 200
    assert client.get("/healthz").json["status"] == "ok"
    assert "bad-yaml.md" in caplog.text and "latin1.md" in caplog.text


def test_an_article_linked_from_outside_the_content_folder_is_never_served(content, make_app, tmp_path, caplog):
    outside = tmp_path / "private" / "x.md"
    outside.parent.mkdir()
    outside.write_text("---\ntitle: Private notes\n---\nNot for shoppers: the staff discount code.\n")
    (content.root / "orders-and-shipping" / "x.md").symlink_to(outside)
    client = make_app().test_client()
    assert client.get("/articles/x").status_code == 404
    assert "Private notes" not in client.get("/categories/orders-and-shipping").get_data(as_text=True)
    assert client.get("/api/v1/articles/x").status_code == 404
    assert "Private notes" not in client.get("/search", query_string={"q": "staff discount"}).get_data(as_text=True)
    assert f"articles/orders-and-shipping/x.md: error: cannot be read: it is a symbolic link to {outside}" \
        in caplog.text


# -- the index disk ----------------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs for the index, so it can really fill up or turn read-only (needs root and mount)."""
    mount = tmp_path / "index"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        reason = f"cannot mount a tmpfs to fill ({made.stderr.decode().strip()})"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    yield mount
    subprocess.run(["umount", "--lazy", str(mount)], check=True)


def fill(disk: Path) -> None:
    # Unbuffered: a buffered file would try its last bytes again on closing, and fail there.
    with open(disk / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError:
            pass


def test_full_index_disk_keeps_the_last_good_index_serving(content, make_app, small_disk, caplog):
    make_app(KB_INDEX_DIR=str(small_disk))  # a good index
    content.article("gift-wrap", "Gift wrap", "We wrap presents in recycled paper.")
    fill(small_disk)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="kb.search"):
        client = make_app(KB_INDEX_DIR=str(small_disk)).test_client()  # restart after a deploy: rebuild fails
    assert f"search index could not be built in {small_disk}: [Errno 28] No space left on device" in caplog.text
    assert_site_serves(client)  # from the last good index
    assert client.get("/articles/gift-wrap").status_code == 200
    assert client.get("/healthz").json["checks"]["index"] == "ok"


def test_index_command_on_a_full_disk_says_why_and_the_site_keeps_searching(content, make_app, small_disk):
    app = make_app(KB_INDEX_DIR=str(small_disk))
    content.article("gift-wrap", "Gift wrap", "We wrap presents in recycled paper.")
    fill(small_disk)
    result = app.test_cli_runner().invoke(args=["index"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"Error: the search index could not be built in {small_disk}: [Errno 28] No space left on device" \
        in result.output
    page = app.test_client().get("/search", query_string={"q": "track my parcel"}).get_data(as_text=True)
    assert "Track your order" in page  # from the index built before the disk filled


def test_read_only_index_disk_keeps_the_last_good_index_serving(content, make_app, small_disk, caplog):
    make_app(KB_INDEX_DIR=str(small_disk))  # a good index
    content.article("gift-wrap", "Gift wrap", "We wrap presents in recycled paper.")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="kb.search"):
        client = make_app(KB_INDEX_DIR=str(small_disk)).test_client()
    assert f"search index could not be built in {small_disk}: [Errno 30] Read-only file system" in caplog.text
    assert_site_serves(client)
    assert client.get("/articles/gift-wrap").status_code == 200


def test_no_index_at_all_still_serves_pages_and_health_names_the_index(content, make_app, small_disk, caplog):
    fill(small_disk)
    client = make_app(KB_INDEX_DIR=str(small_disk)).test_client()
    assert "No space left on device" in caplog.text
    assert client.get(f"/articles/{ARTICLE}").status_code == 200
    page = client.get("/search", query_string={"q": "tracking"})
    assert page.status_code == 200
    assert "search isn’t working right now" in page.get_data(as_text=True)
    assert "We couldn't find an article" not in page.get_data(as_text=True)
    instant = client.get("/search.json", query_string={"q": "track"})
    assert instant.status_code == 200 and instant.json["unavailable"] is True
    api = client.get("/api/v1/search", query_string={"q": "track"})
    assert api.status_code == 503 and "unavailable" in api.json["detail"]
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["failed"] == ["index"]


# -- what /healthz reports ---------------------------------------------------------------------------------

def test_health_is_ok_json_and_never_cached(client):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.headers["Cache-Control"] == "no-store"
    assert health.json == {"status": "ok", "checks": {"content": "ok", "index": "ok", "database": "ok"}}


def test_health_names_content_with_no_published_article(content, make_app):
    for path in content.root.rglob("*.md"):
        path.unlink()
    health = make_app().test_client().get("/healthz")
    assert health.status_code == 503 and health.json["failed"] == ["content"]
    assert health.json["checks"]["content"] == f"no published articles in {content.root}"


def test_health_tells_anyone_which_part_failed_but_not_why(make_app):
    client = make_app(create_tables=False, DATABASE_URL="postgresql://kb@127.0.0.1:1/kb?connect_timeout=2",
                      KB_INDEX_DIR="/proc/nonexistent/index").test_client()
    health = client.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert health.status_code == 503
    assert health.json == {"status": "failing", "failed": ["database", "index"],
                           "checks": {"content": "ok", "index": "failing", "database": "failing"}}
    relayed = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})  # a proxy on this machine
    assert relayed.json["checks"]["database"] == "failing"


def test_health_gives_its_reasons_on_the_node_itself_or_with_the_token(make_app):
    client = make_app(create_tables=False, DATABASE_URL="postgresql://kb@127.0.0.1:1/kb?connect_timeout=2",
                      KB_HEALTH_TOKEN="s3cret").test_client()
    local = client.get("/healthz")
    assert local.json["checks"]["database"].startswith("OperationalError: ")
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    with_token = client.get("/healthz", environ_base=remote, headers={"Authorization": "Bearer s3cret"})
    assert with_token.json["checks"]["database"].startswith("OperationalError: ")
    wrong = client.get("/healthz", environ_base=remote, headers={"Authorization": "Bearer guess"})
    assert wrong.json["checks"]["database"] == "failing"
