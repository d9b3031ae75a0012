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

The generator shares the 2 cores with the workers and PostgreSQL: while it
waits for a core, the requests due meanwhile go out late and the answers
that arrive are read late, and both count as the server's latency (in
production the shoppers' browsers are elsewhere). So it sends at a higher
scheduling priority than the server (nice GENERATOR_NICE, when the user
may: as root), and each pass prints how late it sent its requests: a late
generator shows there, not only in p99.

Votes come from simulated visitors: each first reads an article for its
cookie and CSRF token (not counted), then votes with them; each has its own
address in X-Forwarded-For (KB_PROXY_COUNT=1, as behind a balancer), so the
per-client feedback limit applies as in production. KB_BASE_URL is set, as
in production, so the master renders every page before it forks
(``kb.prerender``). An error is a 5xx, a refused vote (4xx) or a failed
connection. Memory is each worker's resident set after the run, RSS and PSS
(shared pages split between the processes sharing them) from
/proc/PID/smaps_rollup.

PostgreSQL: a fresh database on KB_BENCH_DATABASE_URL or KB_TEST_DATABASE_URL,
or else a throwaway cluster from scripts/test-postgres (as bench/votes.py).
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench.pages import free_port, wait_until_up  # noqa: E402
from bench.search_speed import Corpus, write_content  # noqa: E402
from bench.votes import form_session, postgresql_database, request, sqlite_database, workers_cpu_seconds  # noqa: E402
from kb import create_app  # noqa: E402

MIX = (("article", 0.70), ("search", 0.20), ("vote", 0.10))
VISITORS = 300
TARGETS = {"article_p99": 25.0, "search_p99": 150.0, "memory": {"demo": 90.0, "20,000 synthetic": 300.0}}
SEED = 20261124
PASSES = (("fresh", SEED), ("steady", SEED + 1))  # (name, seed of the requests' draw)
HOST = "127.0.0.1"  # the site's address (KB_BASE_URL), as a shopper's browser names it behind the balancer
IDLE_SECONDS = 1.0  # below gunicorn's keepalive (2 s): a kept connection is dropped before the server drops it
GENERATOR_NICE = -10  # the generator's priority while it sends (the server's processes run at 0)


@dataclass
class Visitor:
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""


@dataclass
class Sample:
    kind: str
    latency: float  # seconds from the scheduled moment to the end of the answer
    status: int  # 0: the connection failed
    late: float  # seconds from the scheduled moment until the generator sent the request
    second: int  # the second of the pass the request was due in, from 0

    @property
    def ok(self) -> bool:
        return 0 < self.status < 400


def headers(visitor: Visitor) -> str:
    cookie = "; ".join(f"{k}={v}" for k, v in visitor.cookies.items())
    return f"Host: {HOST}\r\nX-Forwarded-For: {visitor.address}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "")


def plan(count: int, slugs: list[str], queries: list[str], visitors: list[Visitor],
         seed: int = SEED) -> list[tuple[str, bytes]]:
    """The requests to send, in order: (kind, raw HTTP/1.1 request)."""
    rng = random.Random(seed)
    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=count)
    planned = []
    for kind in kinds:
        visitor = rng.choice(visitors)
        if kind == "article":
            raw = f"GET /articles/{rng.choice(slugs)} HTTP/1.1\r\n{headers(visitor)}\r\n".encode()
        elif kind == "search":
            raw = f"GET /search?q={quote_plus(rng.choice(queries))} HTTP/1.1\r\n{headers(visitor)}\r\n".encode()
        else:
            form = urlencode({"csrf_token": visitor.token, "helpful": rng.choice(("yes", "yes", "no"))}).encode()
            raw = (f"POST /articles/{rng.choice(slugs)}/feedback HTTP/1.1\r\n{headers(visitor)}"
                   f"Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   f"Content-Length: {len(form)}\r\n\r\n").encode() + form
        planned.append((kind, raw))
    return planned


def meet(port: int, visitors: list[Visitor], slug: str) -> None:
    """Each visitor reads a page and gets a form token first, as a browser does before voting."""
    for visitor in visitors:
        cookies, visitor.token = form_session(port, headers(visitor), slug)
        visitor.cookies.update(cookies)


class Exchange:
    """One request on one connection, and as much of its answer as has arrived."""

    def __init__(self, index: int, due: float, sock: socket.socket, reused: bool, late: float, request: bytes):
        self.index, self.due, self.sock, self.reused = index, due, sock, reused
        self.late = late  # seconds from the due moment until the request first went out
        self.unsent = request
        self.received = bytearray()

    def answer(self) -> tuple[int, bool] | None:
        """(status, whether the server keeps the connection) once the whole answer is in, else None."""
        head_end = self.received.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        lines = bytes(self.received[:head_end]).decode("latin-1").split("\r\n")
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        version, status = lines[0].split()[:2]
        body = len(self.received) - head_end - 4
        keep = version == "HTTP/1.1" and fields.get("connection") != "close"
        if "content-length" in fields:
            return (int(status), keep) if body >= int(fields["content-length"]) else None
        if fields.get("transfer-encoding") == "chunked":
            return (int(status), keep) if self.received.endswith(b"\r\n0\r\n\r\n") else None
        return None  # the answer ends when the server closes the connection


def paced(port: int, planned: list[tuple[str, bytes]], rate: float) -> tuple[list[Sample], float]:
    """Send request i at start + i/rate (open loop); (samples, seconds from first send to last answer).

    One thread and non-blocking sockets: a request costs the client a few
    system calls, so the generator leaves the 2 cores to the server (64
    threads taking turns on the GIL once added tens of ms to p99). Requests
    are HTTP/1.1 and reuse a connection the server keeps open (gthread
    workers), else open a new one (sync workers close each). A request due
    while every open connection is busy opens another: nothing waits for a
    free connection, so a slow server shows in p99. A connection idle for
    IDLE_SECONDS is dropped before gunicorn's keep-alive timeout closes it.
    """
    selector = selectors.DefaultSelector()
    idle: list[tuple[socket.socket, float]] = []  # reused last-in first-out: a few connections stay hot
    samples: list[Sample] = []
    in_flight = 0
    start = time.perf_counter() + 0.2
    sent = 0

    def kept_connection(now: float) -> socket.socket | None:
        """The most recently used idle connection the server still keeps open, if any."""
        while idle:
            sock, since = idle.pop()
            if now - since < IDLE_SECONDS:
                return sock
            sock.close()
        return None

    def new_connection() -> socket.socket:
        sock = socket.socket()
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect_ex(("127.0.0.1", port))
        return sock

    def send(index: int, due: float, late: float | None = None) -> None:
        """Send request ``index``; ``late`` is how late it first went out, when it goes again on a new connection."""
        nonlocal in_flight
        now = time.perf_counter()
        kept = kept_connection(now) if late is None else None
        exchange = Exchange(index, due, kept or new_connection(), kept is not None,
                            now - due if late is None else late, planned[index][1])
        selector.register(exchange.sock, selectors.EVENT_WRITE, exchange)
        in_flight += 1

    def finish(exchange: Exchange, status: int, keep: bool) -> None:
        nonlocal in_flight
        in_flight -= 1
        selector.unregister(exchange.sock)
        samples.append(Sample(planned[exchange.index][0], time.perf_counter() - exchange.due, status,
                              exchange.late, int(exchange.index / rate)))
        if keep:
            idle.append((exchange.sock, time.perf_counter()))
        else:
            exchange.sock.close()

    while sent < len(planned) or in_flight:
        now = time.perf_counter()
        while sent < len(planned) and start + sent / rate <= now:
            send(sent, start + sent / rate)
            sent += 1
        wait = start + sent / rate - now if sent < len(planned) else 1.0
        for key, events in selector.select(max(0.0, wait)):
            exchange: Exchange = key.data
            try:
                if events & selectors.EVENT_WRITE:
                    done = exchange.sock.send(exchange.unsent)
                    exchange.unsent = exchange.unsent[done:]
                    if not exchange.unsent:
                        selector.modify(exchange.sock, selectors.EVENT_READ, exchange)
                    continue
                chunk = exchange.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = None
            if chunk:
                exchange.received += chunk
                answer = exchange.answer()
                if answer is not None:
                    finish(exchange, *answer)
                continue
            if chunk is not None and exchange.received:  # closed by the server after an answer without length
                answer = exchange.answer() or (int(bytes(exchange.received).split(b" ", 2)[1]), False)
                finish(exchange, answer[0], False)
            elif exchange.reused and not exchange.received:
                # The server closed a kept connection before reading the request: send it again,
                # on a new connection, as browsers do; the request was never handled.
                in_flight -= 1
                selector.unregister(exchange.sock)
                exchange.sock.close()
                send(exchange.index, exchange.due, exchange.late)
            else:
                finish(exchange, 0, False)
    selector.close()
    for sock, _ in idle:
        sock.close()
    return samples, time.perf_counter() - start


@contextmanager
def ahead_of_the_server():
    """This thread (the generator's) at GENERATOR_NICE meanwhile, when the user may raise priorities."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    raised = generator_may_go_ahead()
    if raised:
        os.setpriority(os.PRIO_PROCESS, 0, GENERATOR_NICE)
    try:
        yield
    finally:
        if raised:
            os.setpriority(os.PRIO_PROCESS, 0, before)


def generator_may_go_ahead() -> bool:
    """Whether ahead_of_the_server() can raise the priority: root, or a user allowed to (RLIMIT_NICE)."""
    return os.geteuid() == 0 or 20 - resource.getrlimit(resource.RLIMIT_NICE)[0] <= GENERATOR_NICE


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
    """gunicorn with the repository's config, 2 workers, no access log; yields (port, master pid, start-up s).

    The config's worker timeout applies: a worker must be serving within it
    (preload_app: the master loads the content, each worker is a fork).
    Start-up counts until both workers answer. Its own log (start-up
    messages, warnings) goes to ``log``.
    """
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                                "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
                                "--log-level", "warning", "--no-control-socket", "kb:create_app()"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(port, probe, timeout=1800)
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}: see {log.name}")
        # Both workers must be serving before the clock starts.
        while len(Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()) < 2:
            time.sleep(0.2)
        for _ in range(20):
            request(port, f"GET {probe} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        yield port, process.pid, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def log_shown_on_failure(path: Path, lines: int = 40):
    """A run that fails prints the end of gunicorn's log: it lives in a folder deleted on exit."""
    try:
        yield
    except BaseException:
        print(f"--- the last {lines} lines of {path.name}:", *path.read_text().splitlines()[-lines:], sep="\n",
              file=sys.stderr)
        raise


def flask(env: dict, *command: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "kb", *command], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * share))] * 1000 if values else float("nan")


def run(label: str, database: str, url: str, content: Path, index: Path, slugs: list[str], queries: list[str],
        args) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "KB_PROXY_COUNT": "1",
           "KB_CONTENT_DIR": str(content), "KB_INDEX_DIR": str(index), "KB_BASE_URL": f"http://{HOST}"}
    # Migrations do not depend on the content: the demo's few articles load in a second, 20,000 in minutes.
    flask({**env, "KB_CONTENT_DIR": str(ROOT / "articles"), "KB_INDEX_DIR": str(index.parent / "index-migrate")},
          "db", "upgrade")
    visitors = [Visitor(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}") for n in range(VISITORS)]
    with open(index.parent / f"gunicorn-{database}.log", "w") as log, \
            serving(env, f"/articles/{slugs[0]}", log) as (port, master, start_up), \
            log_shown_on_failure(Path(log.name)):
        meet(port, visitors, slugs[0])
        passes = {}
        for name, seed in PASSES:
            load_before = os.getloadavg()[0]
            cpu = workers_cpu_seconds(master)
            with ahead_of_the_server():
                samples, seconds = paced(port, plan(args.requests, slugs, queries, visitors, seed), args.rate)
            cpu = workers_cpu_seconds(master) - cpu
            passes[name] = summary(samples, seconds, cpu, (load_before, os.getloadavg()[0]))
        memory = worker_memory(master)
    return {"content": label, "database": database, "memory": memory, "start_up": start_up, "passes": passes}


def summary(samples: list[Sample], seconds: float, cpu: float, load: tuple[float, float]) -> dict:
    kinds = {kind: [s for s in samples if s.kind == kind] for kind, _ in MIX}
    return {"rate": len(samples) / seconds, "load": load, "cpu_ms": cpu / len(samples) * 1000,
            "late": (percentile([s.late for s in samples], 0.99), max(s.late for s in samples) * 1000),
            "errors": sum(not s.ok for s in samples),
            "slow_articles": Counter(s.second for s in kinds["article"] if s.latency * 1000 > TARGETS["article_p99"]),
            "error_statuses": Counter(s.status for s in samples if not s.ok),
            "kinds": {kind: (len(found), percentile([s.latency for s in found], 0.5),
                             percentile([s.latency for s in found], 0.99), sum(not s.ok for s in found))
                      for kind, found in kinds.items()}}


def served_slugs(content: Path, index: Path) -> list[str]:
    """The default language's published articles, as the app loads them (translations have their own URLs)."""
    app = create_app({"KB_CONTENT_DIR": str(content), "KB_INDEX_DIR": str(index), "SECRET_KEY": "bench"})
    return sorted(a.slug for a in app.extensions["kb.library"].published)


def demo_queries() -> list[str]:
    lines = (ROOT / "articles" / "search-tests.txt").read_text().splitlines()
    return [line.split("->")[0].strip() for line in lines if "->" in line and not line.startswith("#")]


def print_header(args) -> None:
    config = "preload_app" if os.environ.get("KB_PRELOAD", "1").lower() not in ("0", "false", "no", "off") \
        else "app loaded per worker"
    print(f"gunicorn 2 workers (gunicorn.conf.py, {config}), {args.requests:,} requests per pass offered at "
          f"{args.rate:.0f}/s ({', '.join(f'{int(w * 100)} % {k}' for k, w in MIX)}), one client thread, 127.0.0.1")
    print("the generator sends at nice {} (the server's processes at 0)".format(GENERATOR_NICE)
          if generator_may_go_ahead() else "the generator sends at the server's priority: this user may not raise it")
    print("pass 1 starts on fresh workers (search results and pages not cached yet); pass 2 sends another "
          "draw of the same mix to the same workers: the steady state")
    print(f"{'content':<18}{'database':<12}{'pass':<6}{'req/s':>7}  {'kind':<8}{'count':>7}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'errors':>8}", flush=True)


def print_result(r: dict) -> None:
    """One run's rows, printed as soon as it ends: the 20,000-article runs take long."""
    indent = " " * 45
    for number, (name, figures) in enumerate(r["passes"].items(), start=1):
        for n, (kind, (count, p50, p99, errors)) in enumerate(figures["kinds"].items()):
            head = f"{r['content']:<18}{r['database']:<12}{number:<6}{figures['rate']:>7.0f}" if n == 0 else indent[:-2]
            print(f"{head}  {kind:<8}{count:>7,}{p50:>9.1f}{p99:>9.1f}{errors:>8}")
        if figures["errors"]:
            print(indent + "errors by status (0: connection failed): "
                  + ", ".join(f"{status}: {n}" for status, n in sorted(figures["error_statuses"].items())))
        print(indent + f"workers' CPU per request {figures['cpu_ms']:.2f} ms; machine load average before/after "
              f"{figures['load'][0]:.1f} / {figures['load'][1]:.1f} ({os.cpu_count()} cores)")
        print(indent + "requests sent late by the generator: p99 {:.1f} ms, at most {:.1f} ms".format(*figures["late"]))
        if figures["slow_articles"]:
            print(indent + f"articles over {TARGETS['article_p99']:.0f} ms by second of the pass: "
                  + ", ".join(f"{second}: {n}" for second, n in sorted(figures["slow_articles"].items())))
    print(indent + "memory per worker after both: " + ", ".join(f"RSS {rss:.0f} MiB / PSS {pss:.0f} MiB"
                                                                 for rss, pss in r["memory"]))
    print(indent + f"start-up until both workers answer: {r['start_up']:.1f} s", flush=True)


def print_targets(results: list[dict], args) -> None:
    print("\ntargets (issue 8):")
    for r in results:
        limit = TARGETS["memory"][r["content"]]
        worst, pss = max(r["memory"])
        for number, (name, p) in enumerate(r["passes"].items(), start=1):
            article_p99, search_p99 = p["kinds"]["article"][2], p["kinds"]["search"][2]
            checks = [(f"0 errors ({p['errors']})", p["errors"] == 0),
                      (f"{args.rate:.0f}/s offered held ({p['rate']:.0f}/s)", p["rate"] >= args.rate * 0.97),
                      (f"article p99 {article_p99:.1f} <= {TARGETS['article_p99']:.0f} ms",
                       article_p99 <= TARGETS["article_p99"]),
                      (f"search p99 {search_p99:.1f} <= {TARGETS['search_p99']:.0f} ms",
                       search_p99 <= TARGETS["search_p99"])]
            if number == len(r["passes"]):
                checks.append((f"RSS per worker {worst:.0f} <= {limit:.0f} MB (PSS {pss:.0f})", worst <= limit))
            print(f"  {r['content'] + ', ' + r['database'] + ', pass ' + str(number):<41}"
                  + "; ".join(f"{text} {'holds' if ok else 'MISSED'}" for text, ok in checks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="requests per run (default 6,000: 10 s)")
    parser.add_argument("--rate", type=float, default=600, help="requests per second offered")
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
                slugs = sorted(raw["slug"] for raw in corpus.articles)  # all published: no need to load them here
                print(f"wrote 20,000 synthetic articles in {time.perf_counter() - started:.0f} s", flush=True)
            else:
                found = queries()
                slugs = None
            started = time.perf_counter()
            flask({**os.environ, "KB_CONTENT_DIR": str(content), "KB_INDEX_DIR": str(index)}, "index")
            print(f"{label}: index built in {time.perf_counter() - started:.0f} s", flush=True)
            slugs = slugs or served_slugs(content, index)
            for database, make in databases.items():
                if args.only in (None, database):
                    with ExitStack() as stack:
                        url = stack.enter_context(make())
                        results.append(run(label, database, url, content, index, slugs, found, args))
                    print_result(results[-1])
    print_targets(results, args)


if __name__ == "__main__":
    main()
