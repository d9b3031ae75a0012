"""The database under feedback and the search log: migrations, constraints, SQLite settings."""
from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from kb.extensions import db, sqlalchemy_url, write_transaction
from kb.feedback.models import Vote
from kb.ratelimit import DatabaseStorage
from kb.searchlog import SearchLog, record_search

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
TABLES = {"votes", "comments", "search_log", "rate_limits", "editor_generation", "login_failures"}


def table_names(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_db_upgrade_creates_the_tables_the_models_describe(make_app):
    app = make_app(create_tables=False)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert TABLES <= table_names(app)
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output  # models and migrations agree
    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    assert not TABLES & table_names(app)


def test_one_vote_per_visitor_and_article_is_a_database_constraint(app):
    now = dt.datetime.now(dt.timezone.utc)
    row = dict(article_slug="track-your-order", visitor_id="v1", helpful=True, reasons="",
               source_hash="s", created_at=now, updated_at=now)
    with app.app_context():
        db.session.add(Vote(**row))
        db.session.commit()
        db.session.add(Vote(**{**row, "helpful": False}))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(make_app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite settings")
    app = make_app(KB_SQLITE_BUSY_TIMEOUT_MS=1234)
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA busy_timeout")).scalar() == 1234
        assert db.session.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_sqlite_writes_take_the_write_lock_when_they_begin(make_app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite locking")
    app = make_app()
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    with app.app_context():
        with write_transaction():  # nothing written yet, and the lock is already ours
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
        db.session.execute(sa.select(1))  # a read begins without the write lock
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()


def test_a_failed_write_stores_nothing(app):
    with app.app_context():
        with pytest.raises(ZeroDivisionError), write_transaction() as connection:
            connection.execute(sa.insert(SearchLog), {"query": "lost", "results": 0})
            1 / 0
        assert db.session.scalars(sa.select(SearchLog)).all() == []


def test_flask_limiter_counts_hits_in_the_database_every_worker_shares(make_app):
    """The storage behind kb.extensions.limiter (the API's limit): two apps stand for two workers."""
    storage = DatabaseStorage()
    first, second = make_app(), make_app()
    with first.app_context():
        assert storage.incr("api/192.0.2.1", 60) == 1
    with second.app_context():
        assert storage.incr("api/192.0.2.1", 60) == 2
        assert storage.get("api/192.0.2.1") == 2
        assert storage.get_expiry("api/192.0.2.1") > time.time() + 50
        storage.clear("api/192.0.2.1")
        assert storage.get("api/192.0.2.1") == 0


def test_postgres_urls_use_psycopg_3():
    assert sqlalchemy_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlalchemy_url("sqlite:///kb.sqlite") == "sqlite:///kb.sqlite"


def test_record_search_stores_the_normalized_query(app):
    with app.test_request_context():
        record_search("  Where IS   my parcel? " + "x" * 300, 3, "orders-and-shipping")
        row = db.session.scalars(sa.select(SearchLog)).one()
    assert row.query.startswith("where is my parcel? x") and len(row.query) == 200
    assert (row.results, row.category, row.outcome) == (3, "orders-and-shipping", None)
    assert row.created_at is not None


def test_record_search_never_raises_when_the_database_is_down(make_app, caplog):
    app = make_app(create_tables=False, DATABASE_URL="sqlite:////nonexistent/folder/kb.sqlite")
    with app.test_request_context():
        record_search("refund", 2, None)
    assert "search not logged" in caplog.text


@pytest.mark.parametrize("setting", ["KB_PROXY_COUNT", "KB_FEEDBACK_RATE_LIMIT", "KB_FEEDBACK_MIN_VOTES",
                                     "KB_SQLITE_BUSY_TIMEOUT_MS", "KB_SQLITE_SYNCHRONOUS",
                                     "KB_TEST_DATABASE_URL", "flask --app kb db upgrade", "scripts/test-postgres"])
def test_readme_documents_feedback_settings_and_commands(setting):
    assert setting in README
