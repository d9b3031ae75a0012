"""Mixed shopper traffic at a fixed offered rate: 70 % article pages, 20 % searches, 10 % votes.

    .venv/bin/python bench/load.py [--requests 6000] [--rate 600] [--quick] [--only sqlite|postgresql]

kb runs under gunicorn (gunicorn.conf.py's settings, 2 workers, access log
off) on 127.0.0.1, on SQLite and then on PostgreSQL, first with the demo
content and then with 20,000 synthetic articles (bench/search_speed.py's
generator; writing, indexing and loading them takes minutes, ``--quick``
skips it). A paced generator (open loop, like wrk2) sends request i at
start + i/rate from a pool of threads, whatever the server's speed, and a
request's latency counts from that scheduled moment, so a server that falls
behind shows it in p99 instead of slowing the generator down.

Votes come from simulated visitors: each first reads an article for its
cookie and CSRF token (not counted), then votes with them; each has its own
address in X-Forwarded-For (KB_PROXY_COUNT=1, as behind a balancer), so the
per-client feedback limit applies as in production. An error is a 5xx, a
refused vote (4xx) or a failed connection. Memory is each worker's resident
set after the run, RSS and PSS (shared pages split between the processes
sharing them) from /proc/PID/smaps_rollup.

PostgreSQL: a fresh database on KB_BENCH_DATABASE_URL or KB_TEST_DATABASE_URL,
or else a throwaway cluster from scripts/test-postgres (as bench/votes.py).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench.pages import free_port, wait_until_up  # noqa: E402
from bench.search_speed import Corpus, write_content  # noqa: E402
from bench.votes import form_session, postgresql_database, request, sqlite_database  # noqa: E402
from kb.content import load_library  # noqa: E402

MIX = (("article", 0.70), ("search", 0.20), ("vote", 0.10))
VISITORS = 300
TARGETS = {"article_p99": 25.0, "search_p99": 150.0, "memory": {"demo": 90.0, "20,000 synthetic": 300.0}}
SEED = 20261124


@dataclass
class Visitor:
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""


@dataclass
class Sample:
    kind: str
    latency: float  # seconds from the scheduled moment to the end of the answer
    ok: bool


def headers(visitor: Visitor) -> str:
    cookie = "; ".join(f"{k}={v}" for k, v in visitor.cookies.items())
    return f"Host: 127.0.0.1\r\nX-Forwarded-For: {visitor.address}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "")


def plan(count: int, slugs: list[str], queries: list[str], visitors: list[Visitor]) -> list[tuple[str, bytes]]:
    """The requests to send, in order: (kind, raw HTTP/1.0 request)."""
    rng = random.Random(SEED)
    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=count)
    planned = []
    for kind in kinds:
        visitor = rng.choice(visitors)
        if kind == "article":
            raw = f"GET /articles/{rng.choice(slugs)} HTTP/1.0\r\n{headers(visitor)}\r\n".encode()
        elif kind == "search":
            raw = f"GET /search?q={quote_plus(rng.choice(queries))} HTTP/1.0\r\n{headers(visitor)}\r\n".encode()
        else:
            form = urlencode({"csrf_token": visitor.token, "helpful": rng.choice(("yes", "yes", "no"))}).encode()
            raw = (f"POST /articles/{rng.choice(slugs)}/feedback HTTP/1.0\r\n{headers(visitor)}"
                   f"Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   f"Content-Length: {len(form)}\r\n\r\n").encode() + form
        planned.append((kind, raw))
    return planned


def meet(port: int, visitors: list[Visitor], slug: str) -> None:
    """Each visitor reads a page and gets a form token first, as a browser does before voting."""
    for visitor in visitors:
        cookies, visitor.token = form_session(port, headers(visitor), slug)
        visitor.cookies.update(cookies)


def paced(port: int, planned: list[tuple[str, bytes]], rate: float, threads: int) -> tuple[list[Sample], float]:
    """Send request i at start + i/rate (open loop); (samples, seconds from first send to last answer)."""
    samples: list[Sample] = []
    lock = threading.Lock()
    cursor = iter(range(len(planned)))
    start = time.perf_counter() + 0.2

    def worker() -> None:
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            kind, raw = planned[i]
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                status = request(port, raw)[0]
                ok = status < 400
            except OSError:
                ok = False
            sample = Sample(kind, time.perf_counter() - due, ok)
            with lock:
                samples.append(sample)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return samples, time.perf_counter() - start


def worker_memory(master: int) -> list[tuple[float, float]]:
    """(RSS MiB, PSS MiB) of each of gunicorn's workers."""
    found = []
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0])
        found.append((fields["Rss"] / 1024, fields["Pss"] / 1024))
    return found


@contextmanager
def serving(env: dict, probe: str, log):
    """gunicorn with the repository's config, 2 workers, no access log; yields (port, master pid).

    Its own log (start-up messages, warnings) goes to ``log``.
    """
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                                "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
                                "--log-level", "warning", "--no-control-socket",
                                # gunicorn kills a worker silent for --timeout, loading included: loading
                                # 20,000 articles takes longer than the config's 30 s on a busy machine
                                "--timeout", "900", "kb:create_app()"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(port, probe, timeout=900)
        # Both workers must have loaded the content before the clock starts.
        while len(Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()) < 2:
            time.sleep(0.2)
        for _ in range(20):
            request(port, f"GET {probe} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(30)


def flask(env: dict, *command: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "kb", *command], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * share))] * 1000 if values else float("nan")


def run(label: str, database: str, url: str, content: Path, index: Path, queries: list[str], args) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "KB_PROXY_COUNT": "1",
           "KB_CONTENT_DIR": str(content), "KB_INDEX_DIR": str(index)}
    flask(env, "db", "upgrade")
    slugs = sorted(a.slug for a in load_library(content).published)
    visitors = [Visitor(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}") for n in range(VISITORS)]
    with open(index.parent / f"gunicorn-{database}.log", "w") as log, \
            serving(env, f"/articles/{slugs[0]}", log) as (port, master):
        meet(port, visitors, slugs[0])
        load_before = os.getloadavg()[0]
        samples, seconds = paced(port, plan(args.requests, slugs, queries, visitors), args.rate, args.threads)
        memory = worker_memory(master)
        load_after = os.getloadavg()[0]
    kinds = {kind: [s for s in samples if s.kind == kind] for kind, _ in MIX}
    return {"content": label, "database": database, "rate": len(samples) / seconds, "memory": memory,
            "load": (load_before, load_after),
            "errors": sum(not s.ok for s in samples),
            "kinds": {kind: (len(found), percentile([s.latency for s in found], 0.5),
                             percentile([s.latency for s in found], 0.99), sum(not s.ok for s in found))
                      for kind, found in kinds.items()}}


def demo_queries() -> list[str]:
    lines = (ROOT / "articles" / "search-tests.txt").read_text().splitlines()
    return [line.split("->")[0].strip() for line in lines if "->" in line and not line.startswith("#")]


def print_header(args) -> None:
    print(f"gunicorn 2 workers, {args.requests:,} requests per run offered at {args.rate:.0f}/s "
          f"({', '.join(f'{int(w * 100)} % {k}' for k, w in MIX)}), {args.threads} client threads, 127.0.0.1")
    print(f"{'content':<18}{'database':<12}{'req/s':>7}  {'kind':<8}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}", flush=True)


def print_result(r: dict) -> None:
    """One run's rows, printed as soon as it ends: the 20,000-article runs take long."""
    for n, (kind, (count, p50, p99, errors)) in enumerate(r["kinds"].items()):
        head = f"{r['content']:<18}{r['database']:<12}{r['rate']:>7.0f}" if n == 0 else " " * 37
        print(f"{head}  {kind:<8}{count:>7,}{p50:>9.1f}{p99:>9.1f}{errors:>8}")
    print(" " * 39 + f"machine load average before/after: {r['load'][0]:.1f} / {r['load'][1]:.1f} "
          f"({os.cpu_count()} cores)")
    print(" " * 39 + "memory per worker: " + ", ".join(f"RSS {rss:.0f} MiB / PSS {pss:.0f} MiB"
                                                       for rss, pss in r["memory"]), flush=True)


def print_targets(results: list[dict], args) -> None:
    print("\ntargets (issue 8):")
    for r in results:
        name = f"{r['content']}, {r['database']}"
        article_p99, search_p99 = r["kinds"]["article"][2], r["kinds"]["search"][2]
        limit = TARGETS["memory"][r["content"]]
        worst = max(rss for rss, _ in r["memory"])
        checks = [(f"0 errors ({r['errors']})", r["errors"] == 0),
                  (f"{args.rate:.0f}/s offered held ({r['rate']:.0f}/s)", r["rate"] >= args.rate * 0.97),
                  (f"article p99 {article_p99:.1f} <= {TARGETS['article_p99']:.0f} ms",
                   article_p99 <= TARGETS["article_p99"]),
                  (f"search p99 {search_p99:.1f} <= {TARGETS['search_p99']:.0f} ms",
                   search_p99 <= TARGETS["search_p99"]),
                  (f"RSS per worker {worst:.0f} <= {limit:.0f} MB", worst <= limit)]
        print(f"  {name:<32}" + "; ".join(f"{text} {'holds' if ok else 'MISSED'}" for text, ok in checks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="requests per run (default 6,000: 10 s)")
    parser.add_argument("--rate", type=float, default=600, help="requests per second offered")
    parser.add_argument("--threads", type=int, default=64, help="client threads (open loop: enough to keep pace)")
    parser.add_argument("--quick", action="store_true", help="demo content only, no 20,000 synthetic articles")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    databases = {"sqlite": sqlite_database, "postgresql": postgresql_database}
    results = []
    print_header(args)
    with tempfile.TemporaryDirectory(prefix="kb-load.") as tmp:
        contents = [("demo", ROOT / "articles", demo_queries)]
        if not args.quick:
            contents.append(("20,000 synthetic", Path(tmp, "synthetic"), None))
        for label, content, queries in contents:
            index = Path(tmp, f"index-{len(results)}")
            if queries is None:
                started = time.perf_counter()
                corpus = Corpus(20_000)
                write_content(corpus, content)
                found = corpus.queries(300)
                print(f"wrote 20,000 synthetic articles in {time.perf_counter() - started:.0f} s", flush=True)
            else:
                found = queries()
            started = time.perf_counter()
            flask({**os.environ, "KB_CONTENT_DIR": str(content), "KB_INDEX_DIR": str(index)}, "index")
            print(f"{label}: index built in {time.perf_counter() - started:.0f} s", flush=True)
            for database, make in databases.items():
                if args.only in (None, database):
                    with ExitStack() as stack:
                        url = stack.enter_context(make())
                        results.append(run(label, database, url, content, index, found, args))
                    print_result(results[-1])
    print_targets(results, args)


if __name__ == "__main__":
    main()
