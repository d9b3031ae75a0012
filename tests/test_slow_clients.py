"""Slow and idle clients wait in nginx, never in a gunicorn worker (README "Running in production").

gunicorn's two synchronous workers serve one request each: four connections
that send a request line and one header, then nothing, used to hold both and
stop the site. Behind nginx (deploy/nginx.conf, run by ``scripts/nodes
--nodes 1``, the one-machine production set-up) fifty such connections hold
only nginx's, and ordinary requests still answer at once.
"""
from __future__ import annotations

import socket
import time
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest

from tests.nodes import require_nginx, running_nodes

HALF_OPEN = 50


def half_open(address: tuple[str, int], sent: bytes) -> socket.socket:
    connection = socket.create_connection(address, timeout=5)
    if sent:
        connection.sendall(sent)
    return connection


def timed_get(address: tuple[str, int], path: str) -> tuple[int, float]:
    """(status, seconds) of one whole request on a new connection."""
    started = time.perf_counter()
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n".encode())
        answer = b"".join(iter(lambda: connection.recv(65536), b""))
    return int(answer.split()[1]), time.perf_counter() - started


@pytest.fixture
def balancer(content, database_url):
    require_nginx()
    with running_nodes("--nodes", "1", "--workers", "2", "--database-url", database_url,
                       "--content", str(content.root), env={}) as urls:
        parts = urlsplit(urls["balancer"])
        yield parts.hostname, parts.port


def test_fifty_idle_half_open_connections_leave_ordinary_requests_answering_at_once(balancer):
    kinds = [b"", b"GET /healthz HTTP/1.1\r\nHost: shop.example\r\n",
             b"POST /articles/track-your-order/feedback HTTP/1.1\r\nHost: shop.example\r\n"
             b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nhelpful=y"]
    paths = ["/healthz", "/articles/track-your-order", "/"]
    for path in paths * 2:  # each worker's first render of a page is not what this measures
        timed_get(balancer, path)
    with ExitStack() as stack:
        for number in range(HALF_OPEN):
            stack.enter_context(half_open(balancer, kinds[number % len(kinds)]))
        time.sleep(0.5)  # they are all waiting now
        answers = [timed_get(balancer, path) for path in paths * 7]
    assert {status for status, _ in answers} == {200}
    assert max(seconds for _, seconds in answers) < 0.1, sorted(seconds for _, seconds in answers)
