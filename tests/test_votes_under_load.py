"""Two hundred shoppers behind one address vote at once: every vote is its own row.

Served as in production (nginx in front of gunicorn's two workers, ``scripts/nodes
--nodes 1``), on SQLite, or on PostgreSQL when KB_TEST_DATABASE_URL is set. Every
request reaches the node from nginx's one address, as from an office or a phone
network; the feedback limit is raised so that it holds back nobody.
"""
from __future__ import annotations

import http.cookiejar
import json
import threading
import urllib.request
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from kb.extensions import sqlalchemy_url
from tests.nodes import require_nginx, running_nodes

SHOPPERS = 200


class Shopper:
    """A browser with its own cookies, sending the feedback form as static/feedback.js does."""

    def __init__(self, balancer: str):
        self.balancer = balancer
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = self._json(urllib.request.Request(f"{balancer}/feedback/token"))["csrf_token"]

    def _json(self, request: urllib.request.Request) -> dict:
        request.add_header("Accept", "application/json")
        with self.opener.open(request, timeout=60) as response:
            return json.load(response)

    def vote(self, slug: str, helpful: str) -> str:
        body = urlencode({"csrf_token": self.token, "helpful": helpful}).encode()
        return self._json(urllib.request.Request(f"{self.balancer}/articles/{slug}/feedback", data=body))["message"]


def all_at_once(shoppers: list[Shopper], slug: str) -> list[str]:
    """Each shopper votes from a thread of its own, all released together; their answers."""
    start, answers = threading.Barrier(len(shoppers)), []

    def vote(shopper: Shopper, helpful: str) -> None:
        start.wait()
        answers.append(shopper.vote(slug, helpful))

    threads = [threading.Thread(target=vote, args=(shopper, "yes" if n % 3 else "no"))
               for n, shopper in enumerate(shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def votes_per_article(database_url: str) -> dict[str, int]:
    engine = sa.create_engine(sqlalchemy_url(database_url))
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT article_slug, count(*) FROM votes GROUP BY article_slug")).all()
    engine.dispose()
    return dict(rows)


@pytest.fixture
def balancer(content, database_url):
    require_nginx()
    with running_nodes("--nodes", "1", "--workers", "2", "--database-url", database_url,
                       "--content", str(content.root), env={"KB_FEEDBACK_RATE_LIMIT": "100000 per minute"}) as urls:
        yield urls["balancer"]


def test_two_hundred_shoppers_from_one_address_voting_at_once_are_two_hundred_votes(balancer, database_url):
    shoppers = [Shopper(balancer) for _ in range(SHOPPERS)]
    first = all_at_once(shoppers, "start-a-return")  # new visitors: each gets its cookie with this vote
    again = all_at_once(shoppers, "track-your-order")  # the same shoppers, each with its own cookie now
    assert len(first) == len(again) == SHOPPERS
    assert set(first) | set(again) <= {"Thanks for your feedback!",
                                       "Thanks for telling us. What went wrong? Tell us below, or talk to a person."}
    assert votes_per_article(database_url) == {"start-a-return": SHOPPERS, "track-your-order": SHOPPERS}
