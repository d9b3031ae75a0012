"""The shared extensions: created unbound here, bound to each app by ``init_app``.

A concern that needs a table defines its model on ``db`` in its own module
(``kb/feedback/models.py``, ``kb/searchlog.py``) and imports it in ``init_app`` below,
so ``flask --app kb db migrate`` sees it; then it adds an Alembic migration
under ``migrations/versions``. Writes go through ``write_transaction()``.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
import sqlalchemy as sa
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)


# Fixed constraint names, so migrations name what they drop on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
WRITE_OPTION = "kb_write"

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
# Pages carrying no limit of their own (there are no default limits): the
# limiter's per-request bookkeeping was a tenth of an article page's time.
UNLIMITED_ENDPOINTS = frozenset({"site.home", "site.category", "site.article"})


@limiter.request_filter
def _unlimited() -> bool:
    return request.endpoint in UNLIMITED_ENDPOINTS


def sqlalchemy_url(url: str) -> str:
    """Point PostgreSQL URLs at psycopg 3, the driver we install.

    A plain ``postgresql://`` (or Heroku-style ``postgres://``) URL makes
    SQLAlchemy look for psycopg2, which is not installed.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def insert_on_conflict(table: sa.Table, dialect: str) -> sa.Insert:
    """INSERT that can say ON CONFLICT (an upsert), which SQLite and PostgreSQL spell the same way."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@contextmanager
def write_transaction() -> Iterator[Connection]:
    """A short write transaction on its own connection: commits on success, rolls back on error.

    Apart from the request's session, so it never inherits a read already begun
    there. On SQLite it begins with BEGIN IMMEDIATE: the default BEGIN takes
    the write lock only at the first write, so two workers that read first can
    both hold a read lock and one fails at once with "database is locked",
    busy timeout or not, while BEGIN IMMEDIATE takes the lock up front and a
    second writer waits. Before that, the writers of one node queue on a file
    lock (``_sqlite_write_queue``). PostgreSQL needs neither.
    """
    with _sqlite_write_queue(db.engine), db.engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection


@contextmanager
def _sqlite_write_queue(engine: Engine) -> Iterator[None]:
    """Queue this node's SQLite writers on a file lock beside the database.

    SQLite's busy timeout makes a blocked writer sleep 1, 2, 5, 10... ms
    between tries while the lock is held for a fraction of a millisecond, so
    two busy workers spend much of their time asleep (bench/votes.py: about a
    third more votes/s and half the p99 with the queue). The kernel hands a
    file lock to the next waiter at once. The holder waits for nothing but
    SQLite, which its busy timeout bounds, so no waiter waits forever.
    Writers outside kb still meet SQLite's own lock and busy timeout.
    """
    descriptor = _open_write_lock(engine)
    if descriptor is None:
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _open_write_lock(engine: Engine) -> int | None:
    """The lock file beside a SQLite database file, or None (other databases; a folder
    we cannot write, where SQLite then reports the real problem)."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        return None
    try:
        return os.open(f"{path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, synchronous: str) -> None:
    """WAL (readers never wait for the writer), a busy timeout, and BEGIN as we choose it.

    ``synchronous=NORMAL`` in WAL mode survives a crash of the app or of the
    database process; only a power cut can lose the last commits. FULL also
    survives that, at about 60 % of the write rate (measured on our 2-core
    machines: 730 against 1,260 inserts/s).
    """
    @event.listens_for(engine, "connect")
    def connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the "begin" hook below opens transactions, not the driver
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection):
        immediate = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def after_fork(app: Flask) -> threading.Thread:
    """Give a forked worker (gunicorn's preload_app) its own database connections, the first opened ahead.

    A pooled connection is a socket or a file handle: shared by the master and
    its workers, two processes would talk over one conversation. ``close=False``
    leaves the parent's connections to the parent and starts this process
    with an empty pool. Then a thread opens the worker's first connection
    (see ``_connect_ahead``); a thread, so that a database that does not
    answer never holds up a worker's start.
    """
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    ahead = threading.Thread(target=_connect_ahead, args=(app,), name="kb-connect-ahead", daemon=True)
    ahead.start()
    return ahead


def _connect_ahead(app: Flask) -> None:
    """Open a connection into the pool and read each table once, before the worker's first shopper needs them.

    On PostgreSQL a new connection is a new server process, which loads what
    it knows of each table on first use: a worker's first vote paid for that
    while the requests behind it queued.
    """
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                for table in db.metadata.sorted_tables:
                    connection.execute(sa.select(sa.literal(1)).select_from(table).limit(0))
        except sa.exc.SQLAlchemyError as error:
            log.warning("no database connection opened ahead: %s", error)


def _trust_proxies(app: Flask) -> None:
    """Believe X-Forwarded-For only from as many proxies as KB_PROXY_COUNT says.

    With the default 0 the client address is the TCP peer, so a shopper who
    sends a made-up X-Forwarded-For header is still limited and hashed by
    their real address. Behind one load balancer, set 1.
    """
    count = int(app.config["KB_PROXY_COUNT"])
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def init_app(app: Flask) -> None:
    """Bind the database, migrations, CSRF and rate limits to ``app``, in that order.

    CSRF is checked before the rate limit, so a forged post is refused without
    touching the database.
    """
    from kb import bodies, feedback, ratelimit, searchlog  # noqa: F401  (models on db.metadata, storage scheme)
    from kb.insights import logins  # noqa: F401  (editors' sessions and login failures on db.metadata)

    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(app.config["DATABASE_URL"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", ratelimit.STORAGE_URI)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # a database outage is answered by the view, not a 500
    _trust_proxies(app)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine, app.config["KB_SQLITE_BUSY_TIMEOUT_MS"],
                              app.config["KB_SQLITE_SYNCHRONOUS"])
    bodies.init_app(app)  # bodies checked before the CSRF token in them
    csrf.init_app(app)
    limiter.init_app(app)
