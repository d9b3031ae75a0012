"""``/insights/requests``: contact requests and where each delivery stands, with "send again".

Editors see whether every request reached the team: pending (still being
tried), delivered, or failed (tries used up), with the last error. "Send
again" makes a request's undelivered deliveries due at once with fresh
tries; the request sender does the rest. Messages are shown escaped.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, get_flashed_messages, redirect, render_template, request, url_for

from kb.contact_requests.models import DELIVERED, FAILED, ContactRequest, Delivery
from kb.contact_requests.outbox import send_again
from kb.extensions import db
from kb.insights import access, bp

PAGE_ROWS = 100
STATUSES = ("pending", "delivered", "failed")
SENT_AGAIN = "insights-requests"


@dataclass(frozen=True)
class RequestRow:
    request: ContactRequest
    deliveries: list[Delivery]

    @property
    def status(self) -> str:
        states = {d.status for d in self.deliveries}
        if FAILED in states:
            return "failed"
        return "delivered" if states == {DELIVERED} else "pending"

    @property
    def last_error(self) -> str | None:
        return next((d.last_error for d in self.deliveries if d.status != DELIVERED and d.last_error), None)


def request_rows(status: str | None) -> list[RequestRow]:
    """The latest requests (in one status, or all), newest first, each with its deliveries."""
    found = db.session.scalars(sa.select(ContactRequest).order_by(ContactRequest.id.desc())
                               .limit(PAGE_ROWS * (5 if status else 1))).all()
    by_request = defaultdict(list)
    for delivery in db.session.scalars(sa.select(Delivery).where(Delivery.request_id.in_([r.id for r in found]))
                                       .order_by(Delivery.channel)):
        by_request[delivery.request_id].append(delivery)
    rows = [RequestRow(r, by_request[r.id]) for r in found]
    return [row for row in rows if status in (None, row.status)][:PAGE_ROWS]


@bp.get("/requests")
@access.editors_only
def requests_page():
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        abort(400, description=f"Unknown status {status!r}: choose one of {', '.join(STATUSES)}.")
    return render_template("insights_requests.html", rows=request_rows(status), status=status, statuses=STATUSES,
                           notes=get_flashed_messages(category_filter=[SENT_AGAIN]))


@bp.post("/requests/<reference>/send-again")
@access.editors_only
def send_request_again(reference: str):
    count = send_again(reference)
    if not count:
        flash(f"{reference} has nothing left to send.", SENT_AGAIN)
    else:
        flash(f"{reference} will be sent again within a few seconds.", SENT_AGAIN)
    return redirect(url_for("insights.requests_page", status=request.args.get("status")), 303)
