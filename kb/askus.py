"""The "Contact us" page: answers first, then a person, and what happened next.

The shopper says what they need; we suggest articles (as they type, through
the search box script, and as a list when they submit) and show every
channel, with the e-mail already holding their question. The question is
kept in the search log like any search. Opening a suggestion marks it
"helped"; going on to e-mail us marks it "contacted", which wins, so a
shopper who read an article and still wrote is never counted as helped.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for

from kb.contact_requests import enabled as requests_enabled, request_form
from kb.extensions import write_transaction
from kb.languages import localized
from kb.search import current_search, normalize
from kb.searchlog import SearchLog, record_search

bp = Blueprint("askus", __name__)
log = logging.getLogger(__name__)

SUGGESTIONS = 5
HELPED, CONTACTED = "helped", "contacted"
# Larger numbers in a link cannot name a search-log row, so they are a 404, not a database error.
LARGEST_ROW_ID = 2**63 - 1
OUTCOME_KEY_CHARS = 16


def outcome_key(entry: int) -> str:
    """The key an outcome link carries, so only links we handed out can mark a logged question."""
    return hmac.new(current_app.secret_key.encode(), f"kb.askus-outcome:{entry}".encode(),
                    hashlib.sha256).hexdigest()[:OUTCOME_KEY_CHARS]


def _record_outcome(entry: int, outcome: str) -> None:
    """Set what happened after a question; "contacted" is never downgraded to "helped".

    A link without its key (typed, guessed or forged) still takes the shopper
    where they wanted to go, but records nothing.
    """
    if not hmac.compare_digest(request.args.get("key", ""), outcome_key(entry)):
        log.info("outcome of question %s not recorded: the link's key does not match", entry)
        return
    update = sa.update(SearchLog).where(SearchLog.id == entry, sa.or_(SearchLog.outcome.is_(None),
                                                                      SearchLog.outcome != CONTACTED))
    try:
        with write_transaction() as connection:
            connection.execute(update.values(outcome=outcome))
    except sa.exc.SQLAlchemyError as error:
        log.warning("outcome not logged (%s): %s", type(error).__name__, error)


def _email_channel():
    contact = current_app.extensions["kb.library"].contact
    return next((c for c in contact.channels if c.kind == "email"), None) if contact else None


def email_link(question: str) -> str | None:
    """A mailto: link with the shopper's question already written in."""
    channel = _email_channel()
    if channel is None:
        return None
    body = f"{question}\n\n" if question else ""
    return f"mailto:{channel.value}?subject={quote('Help with: ' + question[:80] if question else 'Help')}" \
           f"&body={quote(body)}"


def render_contact_page(question: str, results=None, entry: int | None = None, **form) -> str:
    """The contact page; ``form`` is the request form (``request_form``, ``request_error``) when requests are on."""
    return render_template("ask_us.html", question=question, results=results, entry=entry,
                           key=outcome_key(entry) if entry else None, email=email_link(question),
                           contact_prominent=True, **form)


@localized(bp, "/contact")
def contact():
    question = normalize(request.args.get("q", ""))
    results = current_search().search(question, per_page=SUGGESTIONS) if question else None
    entry = record_search(current_search().loggable(question), results.total) if results is not None else None
    form = {"request_form": request_form(question=question)} if requests_enabled() else {}
    return render_contact_page(question, results, entry, **form)


@bp.route(f"/contact/<int(max={LARGEST_ROW_ID}):entry>/article/<slug>")
def suggestion(entry: int, slug: str):
    """Open a suggested article, counting the question as helped (until the shopper writes to us)."""
    found = current_app.extensions["kb.library"].articles.get(slug)
    if found is None or found.draft:
        abort(404)
    _record_outcome(entry, HELPED)
    return redirect(url_for("site.article", slug=slug, _anchor=request.args.get("section") or None))


@bp.route(f"/contact/<int(max={LARGEST_ROW_ID}):entry>/email")
def write_to_us(entry: int):
    """Go on to e-mail us with the question (as typed, in the shopper's own e-mail); counts as contacted."""
    link = email_link(normalize(request.args.get("q", "")))
    if link is None:
        abort(404)
    _record_outcome(entry, CONTACTED)
    return redirect(link)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
