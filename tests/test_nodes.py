"""Two nodes behind nginx on one PostgreSQL behave as one site (scripts/nodes, deploy/nginx.conf).

Runs where nginx is installed and KB_TEST_DATABASE_URL points at PostgreSQL,
as in CI; skipped elsewhere, but in CI (CI=true) a missing part fails the run.
Shoppers vote and search through node A; the counts on the article page and
the editors' insights (votes per article, top searches) read through node B
agree. The feedback limit is counted per client address across both nodes.
"""
from __future__ import annotations

import csv
import http.cookiejar
import io
import json
import os
import random
import re
import shutil
import string
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from kb.extensions import sqlalchemy_url
from tests.nodes import running_nodes

ARTICLE = "gift-cards"
EDITOR_PASSWORD = "two nodes, one site"
TALLY_SECONDS = 1  # each worker counts an article's votes again at most this often
TOO_MANY = "You’ve sent a lot of feedback in a short time. Please wait a minute and try again."


def _missing() -> str | None:
    if not shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin"):
        return "nginx is not installed (apt-get install nginx-light)"
    if not os.environ.get("KB_TEST_DATABASE_URL"):
        return 'needs PostgreSQL: eval "$(scripts/test-postgres)" sets KB_TEST_DATABASE_URL'
    return None


@pytest.fixture(scope="module")
def database():
    """A fresh database on the test server, dropped afterwards; skips (fails in CI) without nginx or PostgreSQL."""
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the two-node test, but {missing}")
        pytest.skip(missing)
    server = sqlalchemy_url(os.environ["KB_TEST_DATABASE_URL"])
    name = f"kb_nodes_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="module")
def site(database):
    """scripts/nodes running: {"balancer": url, "node A": url, "node B": url, "database": url}."""
    env = {"KB_FEEDBACK_MIN_VOTES": "1", "KB_FEEDBACK_RATE_LIMIT": "3 per minute",
           "KB_FEEDBACK_TALLY_SECONDS": str(TALLY_SECONDS), "KB_EDITOR_PASSWORD": EDITOR_PASSWORD}
    with running_nodes("--database-url", database, "--workers", "1", env=env) as urls:
        assert len(urls) == 4, urls
        yield urls


class Shopper:
    """A browser: cookies shared by both nodes (one host), its own address as the balancer would send it."""

    def __init__(self, address: str):
        self.address = address
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, url: str) -> tuple[int, dict, str]:
        request = urllib.request.Request(url, headers={"X-Forwarded-For": self.address})
        with self.opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()

    def log_in(self, node: str) -> None:
        page = self.get(f"{node}/insights/login")[2]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urlencode({"csrf_token": token, "password": EDITOR_PASSWORD, "next": "/insights"}).encode()
        with self.opener.open(urllib.request.Request(f"{node}/insights/login", data=form,
                                                     headers={"X-Forwarded-For": self.address}), timeout=10):
            pass

    def csv(self, url: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.get(url)[2].removeprefix("\ufeff"))))  # Excel's BOM

    def vote(self, node: str, helpful: str, slug: str = ARTICLE, token_from: str | None = None) -> tuple[int, str]:
        self.get(f"{token_from or node}/articles/{slug}")  # reading sets no cookie; the script then asks:
        token = json.loads(self.get(f"{token_from or node}/feedback/token")[2])["csrf_token"]
        request = urllib.request.Request(
            f"{node}/articles/{slug}/feedback", data=urlencode({"csrf_token": token, "helpful": helpful}).encode(),
            headers={"X-Forwarded-For": self.address, "Accept": "application/json"})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, json.loads(response.read())["message"]
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())["message"]


def test_the_balancer_spreads_requests_over_both_nodes(site):
    shopper = Shopper("198.51.100.1")
    answered = {shopper.get(f"{site['balancer']}/healthz")[1]["X-KB-Node"] for _ in range(4)}
    assert answered == {site["node A"].removeprefix("http://"), site["node B"].removeprefix("http://")}


def test_votes_and_searches_through_node_a_are_seen_through_node_b(site):
    node_a, node_b = site["node A"], site["node B"]
    first, second = Shopper("198.51.100.2"), Shopper("198.51.100.3")
    assert first.vote(node_a, "yes")[0] == 200
    assert second.vote(node_a, "no")[0] == 200
    # Signed by the shared SECRET_KEY: node B accepts node A's form token and knows the visitor.
    assert second.vote(node_b, "yes", token_from=node_a)[0] == 200
    # Letters only: six random digits would look like an order number, which the log never keeps.
    query = f"gift card balance {''.join(random.choices(string.ascii_lowercase, k=6))}"
    assert query.split()[-1] in first.get(f"{node_a}/search?{urlencode({'q': query})}")[2]

    reader = Shopper("198.51.100.4")
    time.sleep(TALLY_SECONDS)  # the count a worker shows may be this old (KB_FEEDBACK_TALLY_SECONDS)
    for node in (node_b, node_a):
        assert "100% of 2 shoppers found this helpful" in reader.get(f"{node}/articles/{ARTICLE}")[2], node
    assert re.search(r'value="yes"[^>]*aria-pressed="true"|aria-pressed="true"[^>]*value="yes"',
                     second.get(f"{node_b}/articles/{ARTICLE}")[2])
    # The editors' insights through node B count the votes and the search made through node A.
    editor = Shopper("198.51.100.5")
    editor.log_in(node_b)
    articles = editor.csv(f"{node_b}/insights/articles.csv?period=7")
    gift_cards = next(row for row in articles if row["Address"].rsplit("/", 1)[-1] == ARTICLE)
    assert (gift_cards["Votes"], gift_cards["Helpful votes"]) == ("2", "2")
    searches = {row["Query"]: row["Searches"] for row in editor.csv(f"{node_b}/insights/searches.csv?period=7")}
    assert searches.get(query) == "1"


def test_the_feedback_limit_holds_across_nodes(site):
    node_a, node_b = site["node A"], site["node B"]
    flooder = Shopper("203.0.113.9")
    slugs = ["gift-cards", "sizing-guide", "student-discount", "product-materials", "stock-and-restocks"]
    answers = [flooder.vote(node, "yes", slug)
               for node, slug in zip([node_a, node_b, node_a, node_b, node_a], slugs)]
    assert [status for status, _ in answers] == [200, 200, 200, 429, 429]
    assert answers[3][1] == TOO_MANY
    assert Shopper("203.0.113.10").vote(node_b, "yes", "sizing-guide")[0] == 200  # another shopper is not limited
