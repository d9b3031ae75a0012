"""Contact requests that are never lost: 200 at once, the SMTP server down for the first half of them.

    .venv/bin/python bench/requests.py [--requests 200] [--clients 50] [--senders 2] [--down-seconds 0]
                                       [--database-url URL]

gunicorn (2 workers) serves the demo content; two request senders
(``flask --app kb requests send``, as two nodes would run them) deliver to a
real SMTP server (aiosmtpd) on this machine. Shoppers, each from their own
address, open the contact page and send a request, ``--clients`` at a time.
The SMTP server is down until half of the requests have been answered
"Sent" (and ``--down-seconds`` have passed), then comes up while the other
half are sent. The run waits until
every stored request has reached the support address, or 120 s.

It prints how many requests were stored, how many reached the support
address (distinct Message-IDs) and how many arrived twice, and the time
from "Sent" (or from the SMTP server coming back, for requests sent while it
was down) to arrival: p50, p99 and the maximum. Target: 200 / 200 / 0 and a
p99 of at most 30 s. Retries use the defaults (2 s, doubling, up to 20 s).
Without ``--database-url`` the database is a SQLite file in a temporary folder.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import free_port, gunicorn  # noqa: E402
from kb.extensions import sqlalchemy_url  # noqa: E402

REFERENCE = re.compile(r"AP-[2-9A-Z]{4}-[2-9A-Z]{2}")
SUPPORT = "help@shop.example"
WAIT_FOR_DELIVERY = 120


class Mailbox:
    """The shop's SMTP server: when each message arrived, by Message-ID."""

    def __init__(self, port: int):
        self.port = port
        self.arrivals: list[tuple[str, float]] = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        if SUPPORT in envelope.rcpt_tos:
            found = re.search(rb"^Message-ID: <([^>]+)>", envelope.content, re.M | re.I)
            self.arrivals.append((found.group(1).decode() if found else "", time.monotonic()))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in fields.items()]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}"


def exchange(port: int, method: str, path: str, headers: dict, body: bytes | None = None):
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode()
    finally:
        connection.close()


def send_one(port: int, number: int) -> tuple[str, float]:
    """One shopper: the contact page (session and form token), the request, then the "Sent" page."""
    address = {"X-Forwarded-For": f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"}
    _, headers, page = exchange(port, "GET", "/contact", address)
    cookie = "; ".join(value.split(";", 1)[0] for name, value in headers if name.lower() == "set-cookie")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body, kind = multipart({"csrf_token": token, "name": f"Shopper {number}", "email": f"shopper{number}@example.com",
                            "topic": "orders-and-shipping", "message": f"Where is my parcel? (request {number})",
                            "share_visit": "y"})
    status, headers, text = exchange(port, "POST", "/contact/request",
                                     {**address, "Cookie": cookie, "Content-Type": kind}, body)
    if status != 303:
        raise SystemExit(f"request {number} answered {status}: {text[:300]}")
    sent_at = time.monotonic()
    cookie = "; ".join(value.split(";", 1)[0] for name, value in headers if name.lower() == "set-cookie") or cookie
    location = urllib.parse.urlsplit(dict(headers)["Location"]).path
    _, _, sent = exchange(port, "GET", location, {**address, "Cookie": cookie})
    return REFERENCE.search(sent).group(0), sent_at


def run(args, tmp: Path) -> None:
    database = args.database_url or f"sqlite:///{tmp / 'kb.sqlite'}"
    mailbox = Mailbox(free_port())
    env = {**os.environ, "DATABASE_URL": database, "KB_SEMANTIC": "0", "KB_INDEX_DIR": str(tmp / "index"),
           "SECRET_KEY": "bench", "KB_PROXY_COUNT": "1", "KB_SMTP_HOST": "127.0.0.1",
           "KB_SMTP_PORT": str(mailbox.port), "KB_SMTP_STARTTLS": "0", "KB_REQUESTS_EMAIL_TO": SUPPORT,
           "KB_REQUESTS_EMAIL_FROM": "help-center@shop.example", "KB_REQUESTS_RATE_LIMIT": "1000 per hour"}
    flask = [sys.executable, "-m", "flask", "--app", "kb"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    config = tmp / "gunicorn.conf.py"
    config.write_text("")
    logs = [tmp / f"sender-{n}.log" for n in range(args.senders)]
    senders = [subprocess.Popen([*flask, "requests", "send"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=log.open("w")) for log in logs]
    try:
        with gunicorn("kb:create_app()", ROOT, env, config) as port:
            half = args.requests // 2
            with ThreadPoolExecutor(args.clients) as pool:
                started = time.monotonic()
                first = list(pool.map(lambda n: send_one(port, n), range(half)))
                time.sleep(max(0.0, started + args.down_seconds - time.monotonic()))
                mailbox.start()
                back_at = time.monotonic()
                second = list(pool.map(lambda n: send_one(port, n), range(half, args.requests)))
            sent = dict(first + second)
            deadline = time.monotonic() + WAIT_FOR_DELIVERY
            while len({key for key, _ in mailbox.arrivals}) < len(sent) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2)  # a copy sent twice would arrive now
    finally:
        for sender, log in zip(senders, logs):
            if sender.poll() is not None:
                print(f"a request sender stopped during the run:\n{log.read_text()[-2000:]}")
            sender.terminate()
            sender.wait(10)
        mailbox.stop()
    print(f"{args.requests} requests, {args.clients} at a time, {args.senders} senders; "
          f"SMTP down for the first {back_at - started:.1f} s")
    report(database, sent, mailbox.arrivals, back_at)


def report(database: str, sent: dict[str, float], arrivals: list[tuple[str, float]], back_at: float) -> None:
    engine = sa.create_engine(sqlalchemy_url(database))
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM contact_requests")).scalar_one()
    engine.dispose()
    first_arrival: dict[str, float] = {}
    for message_id, at in arrivals:
        first_arrival.setdefault(message_id.split(".email@")[0], at)
    waits = sorted(first_arrival[ref] - max(at, back_at) for ref, at in sent.items() if ref in first_arrival)
    print(f"sent {len(sent)}  stored {stored}  delivered {len(first_arrival)}  "
          f"duplicates {len(arrivals) - len(first_arrival)}")
    if waits:
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
        print(f"from \"Sent\" (or SMTP back) to delivery: p50 {statistics.median(waits):.1f} s  "
              f"p99 {p99:.1f} s  max {waits[-1]:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--senders", type=int, default=2, help="request senders, as on that many nodes")
    parser.add_argument("--down-seconds", type=float, default=0,
                        help="keep the SMTP server down at least this long, however fast the first half is sent")
    parser.add_argument("--database-url", help="e.g. an empty PostgreSQL database; default a SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
