"""Votes under load: gunicorn with 2 workers, 50 shoppers at a time, 5,000 votes, SQLite then PostgreSQL.

    .venv/bin/python bench/votes.py [--votes 5000] [--clients 50] [--only sqlite|postgresql]

Each shopper reads an article (for the session and CSRF token, as a browser
does), votes on four articles and then changes their mind on one of them:
five votes, half of the shoppers as the script sends them (fetch, JSON) and
half as a plain form. Each has their own address, sent in X-Forwarded-For with
KB_PROXY_COUNT=1 as a load balancer would, so the per-client rate limit
applies to each shopper as in production. Afterwards the database must hold
exactly one row per (shopper, article) with the shopper's last answer, and no
response may be a 5xx. The same shoppers first vote against a bare Flask
endpoint doing one INSERT per POST (into its own table, in the same database)
in the same run, for comparison.

All shoppers read their article first; votes/s is the votes over the wall
time of the voting that follows, and p50/p99 are the vote requests' latency.
The client runs on the same cores as the server. "cpu ms" is the workers' CPU
time per vote, which other jobs on the machine change far less than votes/s.

PostgreSQL: a fresh database on KB_BENCH_DATABASE_URL or KB_TEST_DATABASE_URL,
or else a throwaway cluster from scripts/test-postgres for the run.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import free_port, wait_until_up  # noqa: E402
from kb.content import load_library  # noqa: E402
from kb.extensions import sqlalchemy_url  # noqa: E402

BARE_APP = '''
"""A bare Flask endpoint doing one INSERT per POST: what a vote could cost at the least."""
import os

import sqlalchemy as sa
from flask import Flask, request

app = Flask(__name__)
engine = sa.create_engine(os.environ["BARE_DATABASE_URL"])
if engine.dialect.name == "sqlite":
    @sa.event.listens_for(engine, "connect")
    def wal(connection, _record):
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA busy_timeout = 5000")
with engine.begin() as connection:
    connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS bare_votes (slug VARCHAR(200), helpful VARCHAR(3))")


@app.get("/articles/<slug>")
def article(slug):
    return '<input name="csrf_token" value="">'


@app.get("/feedback/token")
def token():
    return {"csrf_token": "none"}


@app.post("/articles/<slug>/feedback")
def vote(slug):
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO bare_votes VALUES (:slug, :helpful)"),
                           {"slug": slug, "helpful": request.form["helpful"]})
    return "ok"
'''
VOTES_PER_SHOPPER = 5  # 4 articles, then one changed answer
ARTICLES = 8
TARGETS = {"sqlite": 800, "postgresql": 500}


@dataclass
class Shopper:
    address: str
    script: bool
    ballots: list[tuple[str, str]]  # (slug, "yes"/"no") in the order sent
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""

    @property
    def expected(self) -> dict[str, bool]:
        return {slug: helpful == "yes" for slug, helpful in self.ballots}  # the last answer wins

    @property
    def visitor_id(self) -> str:
        return self.cookies["kb_visitor"].rsplit(".", 1)[0]


def plan(votes: int, slugs: list[str], seed: int = 7) -> list[Shopper]:
    rng = random.Random(seed)
    shoppers = []
    for n in range(votes // VOTES_PER_SHOPPER):
        chosen = rng.sample(slugs, VOTES_PER_SHOPPER - 1)
        ballots = [(slug, rng.choice(("yes", "yes", "no"))) for slug in chosen]
        slug, helpful = rng.choice(ballots)
        ballots.append((slug, "no" if helpful == "yes" else "yes"))
        shoppers.append(Shopper(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", script=n % 2 == 0, ballots=ballots))
    return shoppers


def request(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes, float]:
    """One HTTP/1.0 exchange on a fresh connection, as gunicorn's sync workers close each one."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(raw)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    elapsed = time.perf_counter() - started
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    cookies = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "set-cookie":
            key, _, rest = value.strip().partition("=")
            cookies[key] = rest.split(";", 1)[0]
    return int(lines[0].split()[1]), cookies, body, elapsed


def _headers(shopper: Shopper) -> str:
    cookie = "; ".join(f"{k}={v}" for k, v in shopper.cookies.items())
    return (f"Host: 127.0.0.1\r\nX-Forwarded-For: {shopper.address}\r\n"
            + (f"Cookie: {cookie}\r\n" if cookie else ""))


def form_session(port: int, headers: str, slug: str) -> tuple[dict[str, str], str]:
    """What a browser does before its first vote: it reads the article (which
    sets no cookie), then static/feedback.js asks for a form token, which
    starts the session. Returns the cookies and the token."""
    status, cookies, _, _ = request(port, f"GET /articles/{slug} HTTP/1.0\r\n{headers}\r\n".encode())
    if status != 200:
        raise SystemExit(f"reading /articles/{slug} answered {status}")
    status, started, body, _ = request(port, f"GET /feedback/token HTTP/1.0\r\n{headers}\r\n".encode())
    if status != 200:
        raise SystemExit(f"asking for a form token answered {status}")
    return {**cookies, **started}, json.loads(body)["csrf_token"]


def open_article(port: int, shopper: Shopper) -> None:
    """Read the first article and get a form token, as a browser does before voting."""
    cookies, shopper.token = form_session(port, _headers(shopper), shopper.ballots[0][0])
    shopper.cookies.update(cookies)


def cast_votes(port: int, shopper: Shopper, statuses: list[int], latencies: list[float]) -> None:
    accept = "application/json" if shopper.script else "text/html"
    for slug, helpful in shopper.ballots:
        form = urlencode({"csrf_token": shopper.token, "helpful": helpful}).encode()
        raw = (f"POST /articles/{slug}/feedback HTTP/1.0\r\n{_headers(shopper)}Accept: {accept}\r\n"
               f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n\r\n").encode()
        status, cookies, _, elapsed = request(port, raw + form)
        shopper.cookies.update(cookies)
        statuses.append(status)
        latencies.append(elapsed)


def in_parallel(clients: int, shoppers: list[Shopper], work) -> float:
    """Run ``work(shopper)`` for every shopper on ``clients`` threads; the wall time it took."""
    todo: queue.SimpleQueue[Shopper] = queue.SimpleQueue()
    for shopper in shoppers:
        todo.put(shopper)

    errors: list[BaseException] = []

    def client() -> None:
        while not errors:
            try:
                shopper = todo.get_nowait()
            except queue.Empty:
                return
            try:
                work(shopper)
            except Exception as error:  # any failure ends the run: report it instead of a dead thread
                errors.append(error)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"a shopper failed: {errors[0]!r}")
    return time.perf_counter() - started


def check_stored(url: str, shoppers: list[Shopper]) -> tuple[int, int, int]:
    """(rows stored, rows expected, rows with the wrong answer or no shopper)."""
    expected = {(s.visitor_id, slug): helpful for s in shoppers for slug, helpful in s.expected.items()}
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT visitor_id, article_slug, helpful FROM votes")).all()
    engine.dispose()
    wrong = sum(expected.get((visitor, slug)) != bool(helpful) for visitor, slug, helpful in rows)
    return len(rows), len(expected), wrong


def workers_cpu_seconds(master: int) -> float:
    """CPU time used so far by gunicorn's workers: steady when other jobs share the machine, unlike votes/s."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def gunicorn(app: str, chdir: Path, env: dict, config: Path):
    """Serve ``app``; yields (port, pid of the master)."""
    port = free_port()  # ``config`` is an empty file, so ./gunicorn.conf.py (access log on) is not read
    command = [sys.executable, "-m", "gunicorn", "--config", str(config), "--workers", "2",
               "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir), "--log-level", "warning", app]
    process = subprocess.Popen(command, cwd=chdir, env=env)
    try:
        wait_until_up(port, "/articles/gift-cards")
        if process.poll() is not None:
            raise SystemExit(f"gunicorn for {app} exited: is port {port} taken?")
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/kb.sqlite"


@contextmanager
def postgresql_database():
    """A fresh database on the configured server, or on a throwaway cluster."""
    server = os.environ.get("KB_BENCH_DATABASE_URL") or os.environ.get("KB_TEST_DATABASE_URL")
    cluster = None
    if not server:
        started = subprocess.run([ROOT / "scripts" / "test-postgres"], check=True, capture_output=True, text=True)
        settings = dict(re.findall(r"export (\w+)=(\S+)", started.stdout))
        server, cluster = settings["KB_TEST_DATABASE_URL"], settings["KB_TEST_POSTGRES_DIR"]
    name = f"kb_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(sqlalchemy_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(sqlalchemy_url(server)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        if cluster:
            subprocess.run([ROOT / "scripts" / "test-postgres", "stop", cluster], check=True)


def timed_votes(app: str, chdir: Path, env: dict, config: Path, shoppers: list[Shopper], clients: int) -> dict:
    statuses: list[int] = []
    latencies: list[float] = []
    with gunicorn(app, chdir, env, config) as (port, master):
        in_parallel(clients, shoppers, lambda shopper: open_article(port, shopper))
        cpu = workers_cpu_seconds(master)
        elapsed = in_parallel(clients, shoppers, lambda shopper: cast_votes(port, shopper, statuses, latencies))
        cpu = workers_cpu_seconds(master) - cpu
    latencies.sort()
    return {"rate": len(latencies) / elapsed, "cpu_ms": cpu / len(latencies) * 1000,
            "p50": latencies[len(latencies) // 2] * 1000,
            "p99": latencies[int(len(latencies) * 0.99)] * 1000, "5xx": sum(s >= 500 for s in statuses),
            "other": sum(s not in (200, 303) for s in statuses if s < 500)}


def bench(kind: str, url: str, votes: int, clients: int) -> dict:
    slugs = sorted(a.slug for a in load_library(ROOT / "articles").published)[:ARTICLES]
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bare_app.py").write_text(BARE_APP)
        config = Path(tmp, "gunicorn.conf.py")
        config.touch()
        bare = timed_votes("bare_app:app", Path(tmp), {**os.environ, "BARE_DATABASE_URL": sqlalchemy_url(url)},
                           config, plan(votes, slugs), clients)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "KB_PROXY_COUNT": "1",
               "KB_INDEX_DIR": f"{tmp}/index"}
        subprocess.run([sys.executable, "-m", "flask", "--app", "kb", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        shoppers = plan(votes, slugs)
        result = timed_votes("kb:create_app()", ROOT, env, config, shoppers, clients)
    stored, expected, wrong = check_stored(sqlalchemy_url(url), shoppers)
    return {**result, "kind": kind, "bare": bare["rate"], "bare_cpu_ms": bare["cpu_ms"],
            "stored": stored, "expected": expected, "wrong": wrong}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    databases = {"sqlite": sqlite_database, "postgresql": postgresql_database}
    results = []
    for kind, database in databases.items():
        if args.only in (None, kind):
            with database() as url:
                results.append(bench(kind, url, args.votes, args.clients))

    print(f"gunicorn 2 workers, {args.clients} concurrent shoppers, {args.votes:,} votes "
          f"({args.votes // VOTES_PER_SHOPPER:,} shoppers, {ARTICLES} articles, 1 changed answer each), 127.0.0.1")
    print(f"{'database':<12}{'votes/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'cpu ms':>8}{'bare/s':>8}{'cpu ms':>8}"
          f"{'5xx':>6}{'other':>7}{'stored':>8}{'expected':>10}{'wrong':>7}  verdict")
    failed = False
    for r in results:
        ok = r["5xx"] == 0 and r["other"] == 0 and r["stored"] == r["expected"] and r["wrong"] == 0
        fast = r["rate"] >= TARGETS[r["kind"]]
        failed |= not ok
        verdict = ("exact" if ok else "WRONG") + f", {'meets' if fast else 'BELOW'} {TARGETS[r['kind']]}/s target"
        print(f"{r['kind']:<12}{r['rate']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['cpu_ms']:>8.2f}{r['bare']:>8.0f}"
              f"{r['bare_cpu_ms']:>8.2f}{r['5xx']:>6}{r['other']:>7}{r['stored']:>8,}{r['expected']:>10,}"
              f"{r['wrong']:>7}  {verdict}")
    print("cpu ms: CPU time of the 2 workers per vote (the database server's own CPU not included); "
          "bare: one INSERT per POST, same client, same run")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
