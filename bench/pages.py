"""Page speed: the demo help center under gunicorn (2 workers) against a bare Flask endpoint.

    .venv/bin/python bench/pages.py [--seconds 5] [--rounds 3] [--connections 4]

Needs Debian's ``wrk``. Both servers run on 127.0.0.1 at the same time and
are measured in turn, round after round; the medians and their ratio to the
bare endpoint hold even when the shared machine is busy now and then.
"""
from __future__ import annotations

import argparse
import os
import re
import runpy
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = '''
from flask import Flask
app = Flask(__name__)

@app.route("/")
def bare():
    return "ok"
'''
PAGES = {
    "home": "/",
    "category": "/categories/orders-and-shipping",
    "article": "/articles/track-your-order",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
                if s.recv(12).startswith(b"HTTP/1.") :
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


@contextmanager
def gunicorn(app: str, chdir: Path, env: dict, config: Path) -> int:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", str(config), "--workers", "2",
               "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir), "--log-level", "warning", app]
    # The access log stays on, as in production, but is not printed here.
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(port, "/")
        yield port
    finally:
        process.terminate()
        process.wait(10)


def wrk(port: int, path: str, seconds: int, connections: int) -> dict:
    output = subprocess.run(
        ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {p: _ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50": latency["50"], "p99": latency["99"], "errors": int(errors.group(1)) if errors else 0}


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per page; the median is printed")
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    runs = {name: [] for name in ["bare Flask", *PAGES]}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        Path(tmp, "bare_app.py").write_text(BARE_APP)
        env = {"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{tmp}/kb.sqlite",
               "KB_INDEX_DIR": f"{tmp}/index"}
        subprocess.run([sys.executable, "-m", "flask", "--app", "kb", "db", "upgrade"], cwd=ROOT,
                       env={**os.environ, **env}, check=True, capture_output=True)
        # kb runs with the repository's gunicorn.conf.py, as in production; the
        # bare endpoint with its access log only (the hooks there are kb's).
        log_format = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["access_log_format"]
        Path(tmp, "bare.conf.py").write_text(f"accesslog = '-'\naccess_log_format = {log_format!r}\n")
        bare_port = servers.enter_context(gunicorn("bare_app:app", Path(tmp), {}, Path(tmp, "bare.conf.py")))
        kb_port = servers.enter_context(gunicorn("kb:create_app()", ROOT, env, ROOT / "gunicorn.conf.py"))
        targets = {"bare Flask": (bare_port, "/"), **{name: (kb_port, path) for name, path in PAGES.items()}}
        for port, path in targets.values():
            wrk(port, path, 2, args.connections)  # warm-up
        # Rounds interleave the bare endpoint with the pages, so a neighbour's
        # burst on the shared machine skews one measurement, not the ratio.
        for _ in range(args.rounds):
            for name, (port, path) in targets.items():
                runs[name].append(wrk(port, path, args.seconds, args.connections))

    results = {name: {key: statistics.median(r[key] for r in measured) for key in measured[0]}
               for name, measured in runs.items()}
    bare = results["bare Flask"]["rps"]
    print(f"gunicorn 2 workers, wrk {args.connections} connections, median of {args.rounds} x {args.seconds}s "
          "per page, 127.0.0.1")
    print(f"{'page':<12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'of bare':>10}{'errors':>8}")
    for name, r in results.items():
        print(f"{name:<12}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['rps'] / bare:>10.0%}{r['errors']:>8.0f}")


if __name__ == "__main__":
    main()
