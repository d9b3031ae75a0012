"""Contact requests, their files and their deliveries: the outbox.

A request is stored, with one delivery row per destination (the support
address, the shopper's confirmation, the webhook), in the transaction that
precedes the shopper's "Sent". The sender (``kb.contact_requests.outbox``)
works only from these rows, so nothing is lost when a destination is down
or a process dies. Files and deliveries go with their request.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import db

REFERENCE_CHARS = 16
NAME_CHARS = 100
EMAIL_CHARS = 254
TOPIC_CHARS = 100
ORDER_CHARS = 40
MAX_MESSAGE_CHARS = 5000
FILENAME_CHARS = 200

PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
# Where a request goes: the shop's support address, the shopper's confirmation, the helpdesk's webhook.
SUPPORT_EMAIL, CONFIRMATION, WEBHOOK = "email", "confirmation", "webhook"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ContactRequest(db.Model):
    """What a shopper sent: plain text, escaped wherever it is shown."""

    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(REFERENCE_CHARS), unique=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_CHARS))
    email: Mapped[str] = mapped_column(sa.String(EMAIL_CHARS))
    topic: Mapped[str] = mapped_column(sa.String(TOPIC_CHARS))
    order_number: Mapped[str | None] = mapped_column(sa.String(ORDER_CHARS))
    message: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(16))
    # The visit as JSON (searches, articles read and votes, the page before), only with the shopper's consent.
    context: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), index=True)


class Attachment(db.Model):
    """A photo or PDF as it was checked and cleaned, never as it was uploaded."""

    __tablename__ = "contact_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("contact_requests.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(FILENAME_CHARS))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Delivery(db.Model):
    """One request on its way to one destination.

    ``next_attempt_at`` is when a sender may take it: after a failure, the
    backoff; while ``sending``, the end of the sender's lease, after which
    another sender takes it over (a crashed one never holds it for good).
    """

    __tablename__ = "contact_deliveries"
    __table_args__ = (sa.UniqueConstraint("request_id", "channel"),
                      sa.Index("ix_contact_deliveries_status_next_attempt_at", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("contact_requests.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
