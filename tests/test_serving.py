"""Serving under gunicorn: workers forked from a master that loaded the app (preload_app)."""
from __future__ import annotations

import gc
import json
import logging
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

from kb.extensions import after_fork, db

ROOT = Path(__file__).resolve().parent.parent


def test_forked_worker_does_not_reuse_the_masters_database_connection(app):
    with app.app_context():
        with db.engine.connect() as connection:
            masters = connection.connection.dbapi_connection
        after_fork(app).join(10)
        assert db.engine.pool.checkedin() == 1  # opened ahead: the first vote does not wait for it
        with db.engine.connect() as connection:
            assert connection.connection.dbapi_connection is not masters
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    masters.cursor().execute("SELECT 1")  # left open for the master, not closed under it
    masters.close()


def test_a_worker_starts_when_the_database_cannot_be_reached(make_app, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app = make_app(create_tables=False, DATABASE_URL=f"postgresql://kb@127.0.0.1:{closed}/kb")
    after_fork(app).join(10)
    assert "no database connection opened ahead" in caplog.text
    assert app.test_client().get("/articles/track-your-order").status_code == 200


def _get(port: int, path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        answer = b"".join(iter(lambda: connection.recv(65536), b""))
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_gunicorn_workers_forked_from_the_loaded_master_serve_pages_and_the_database(tmp_path, content,
                                                                                     database_url):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test", "KB_CONTENT_DIR": str(content.root),
           "KB_INDEX_DIR": str(tmp_path / "index"), "KB_PORT": str(port), "KB_WORKERS": "2",
           "KB_ACCESS_LOG": str(tmp_path / "access.log"), "KB_BASE_URL": f"http://127.0.0.1:{port}"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "kb", "db", "upgrade"], cwd=ROOT, check=True,
                   env={**env, "KB_INDEX_DIR": str(tmp_path / "index-for-migrating")}, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                               "--no-control-socket", "kb:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "error.log", "w"))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(port, "/healthz")
                workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
                if len(workers) == 2:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "error.log").read_text()
            time.sleep(0.2)
        answers = [_get(port, "/healthz") for _ in range(20)]  # both workers take some of them
        assert {status for status, _ in answers} == {200}
        assert {json.loads(body)["checks"]["database"] for _, body in answers} == {"ok"}
        assert _get(port, "/articles/track-your-order")[0] == 200
        log = (tmp_path / "error.log").read_text()
        # The master built the index while loading the app, before it forked any worker.
        assert log.index("search index is missing or stale") < log.index("Booting worker")
        assert "8 pages rendered ahead" in log  # in English and German: home, 2 topics; the 2 articles
    finally:
        server.terminate()
        server.wait(30)


def test_a_start_with_no_page_to_render_ahead_does_not_log_a_count_of_none(app, caplog):
    caplog.set_level(logging.INFO)
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    master = SimpleNamespace(cfg=SimpleNamespace(preload_app=True), app=SimpleNamespace(wsgi=lambda: app),
                             log=logging.getLogger("gunicorn.error"))
    try:
        hooks["when_ready"](master)  # without KB_BASE_URL nothing is rendered ahead
    finally:
        gc.unfreeze()
    assert "search index read ahead" in caplog.text
    assert "rendered ahead" not in caplog.text


def test_migrating_logs_the_migrations_not_alembics_plugins(tmp_path, content, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test", "KB_CONTENT_DIR": str(content.root),
           "KB_INDEX_DIR": str(tmp_path / "index")}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "kb", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    assert "Running upgrade" in result.stderr
    assert "alembic.runtime.plugins" not in result.stderr + result.stdout


def test_serving_on_a_port_already_taken_says_so_once_and_fails(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run([str(ROOT / "dev"), "serve"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                                env={**os.environ, "KB_HOST": "127.0.0.1", "KB_PORT": str(port)})
    assert result.returncode == 1
    assert result.stdout == ""  # no "Serving the help center at ..." first
    assert result.stderr == (f"Cannot serve at http://127.0.0.1:{port}: address already in use. Is the help center "
                             f"already running? Stop it, or pick another port: KB_PORT={port + 1} ./dev serve\n")
