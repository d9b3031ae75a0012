"""Fixtures: a small content folder in tmp_path, the app built on it, a client."""
from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from kb import create_app

# The model reads articles only where a test turns semantic search on: elsewhere
# (apps made here, servers started in subprocesses) it would embed in the background.
os.environ["KB_SEMANTIC"] = "0"
from kb.extensions import db, sqlalchemy_url
from kb.i18n import compile_catalogs

CATEGORIES = """\
- slug: orders-and-shipping
  title: Orders and shipping
  description: Delivery, tracking and changes to an order.
  icon: truck
  order: 1
- slug: returns-and-refunds
  title: Returns and refunds
  description: Sending something back and getting your money.
  icon: return
  order: 2
"""

CONTACT = """\
timezone: Europe/London
channels:
  - kind: phone
    label: Call us
    value: 0131 496 0123
    response: Usually answered within 3 minutes
    hours:
      mon-fri: "09:00-18:00"
  - kind: email
    label: Email
    value: help@shop.example
    response: Replies within 1 working day
"""


class Content:
    """The editors' folder: write articles the way an editor commits them."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, relative: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(textwrap.dedent(text).encode(encoding) if isinstance(text, str) else text)
        return path

    def article(self, slug: str, title: str = "", body: str = "Some helpful text.", *,
                category: str = "orders-and-shipping", **fields) -> Path:
        front = {"title": title or slug.replace("-", " ").capitalize(), "category": category, **fields}
        lines = "\n".join(f"{key}: {value}" for key, value in front.items())
        return self.write(f"{category}/{slug}.md", f"---\n{lines}\n---\n{textwrap.dedent(body)}")


@pytest.fixture(scope="session", autouse=True)
def interface_catalogs():
    """The German interface needs its compiled catalog; ./dev test compiles it, a bare pytest run does here."""
    compile_catalogs()


@pytest.fixture
def content(tmp_path: Path) -> Content:
    folder = Content(tmp_path / "articles")
    folder.write("categories.yml", CATEGORIES)
    folder.write("contact.yml", CONTACT)
    folder.article("track-your-order", "Track your order", """
        Your tracking link arrives by email.

        ## Where is my tracking link? {#tracking-link}

        In the dispatch email.

        ## What the statuses mean

        | Status | Meaning |
        |---|---|
        | Dispatched | On its way |
        """, summary="Find out where your parcel is.", tags="[tracking, parcel]", featured="true", order=1)
    folder.article("start-a-return", "Start a return", "Returns are free within 30 days.",
                   category="returns-and-refunds", summary="Send something back.", tags="[return, parcel]")
    return folder


@pytest.fixture
def database_url(tmp_path: Path):
    """An empty database for one test: a SQLite file, or a fresh schema on KB_TEST_DATABASE_URL."""
    server = os.environ.get("KB_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'kb.sqlite'}"
        return
    schema = f"test_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(sqlalchemy_url(server))
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(sqlalchemy_url(server)).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def make_app(tmp_path: Path, content: Content, database_url: str):
    """Build an app on the temporary content folder (call again after editing it).

    Its tables are created from the models unless ``create_tables=False``
    (the migration tests create them with ``flask db upgrade``).
    """
    apps = []

    def make(create_tables: bool = True, **overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test",
            "KB_CONTENT_DIR": str(content.root),
            "KB_INDEX_DIR": str(tmp_path / "index"),
            "DATABASE_URL": database_url,
            **overrides,
        }
        app = create_app(config)
        apps.append(app)
        if create_tables:
            with app.app_context():
                db.create_all()
        return app
    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
