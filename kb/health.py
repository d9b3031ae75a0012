"""``/healthz``: may this node take traffic? For the load balancer and the operator.

It answers 200 with ``{"status": "ok", ...}`` when the three parts a page,
a search and a vote need are there, and 503 naming each part that failed
otherwise:

- ``content``: at least one published article was loaded at start-up;
- ``index``: the search index generation being served is open and its files
  are still on disk;
- ``database``: one read from a kb table (so an unmigrated database fails
  too) answers.

It is cheap (a stat and one indexed read, no search, no template) and never
cached, so a balancer may ask every few seconds. A node whose database is down
still serves articles; whether to take it out of rotation for that is the
balancer's choice, which is why the answer says which part failed.

Why a part failed (a driver's error, a folder's path) helps an attacker as
much as the operator: anyone is told only ``"failing"``. The reasons are
logged, and shown to a client on the node itself (a loopback address, not
relayed by a proxy) or one sending ``Authorization: Bearer KB_HEALTH_TOKEN``.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify, request

from kb.extensions import db
from kb.search import current_search
from kb.search.lifecycle import META
from kb.searchlog import SearchLog

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _content() -> str | None:
    library = current_app.extensions["kb.library"]
    if not library.published:
        return f"no published articles in {current_app.config['KB_CONTENT_DIR']}"
    return None


def _index() -> str | None:
    finder = current_search().finder()
    if finder is None:
        return f"no search index generation in {current_app.config['KB_INDEX_DIR']}"
    if not (finder.generation / META).is_file():
        return f"the generation being served ({finder.generation.name}) is gone from disk"
    return None


def _database() -> str | None:
    try:
        db.session.execute(sa.select(SearchLog.id).limit(1)).all()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"{type(error).__name__}: {reason}"
    return None


@bp.get("/healthz")
def healthz():
    checks = {"content": _content, "index": _index, "database": _database}
    failed = {part: problem for part, check in checks.items() if (problem := check())}
    for part, problem in failed.items():
        log.warning("health check: %s failed: %s", part, problem)
    shown = failed if _may_see_reasons() else dict.fromkeys(failed, "failing")
    body = {"status": "failing" if failed else "ok",
            "checks": {part: shown.get(part, "ok") for part in checks}}
    if failed:
        body["failed"] = sorted(failed)
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def _may_see_reasons() -> bool:
    """A client on this machine asking directly, or one that knows KB_HEALTH_TOKEN."""
    token = current_app.config["KB_HEALTH_TOKEN"]
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and hmac.compare_digest(sent.encode(), token.encode()):
        return True
    if "X-Forwarded-For" in request.headers:
        return False  # relayed by a proxy on this machine: the peer's address says nothing about the client
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
