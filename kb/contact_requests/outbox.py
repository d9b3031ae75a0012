"""Store a request with its deliveries, and send them: at least once, never twice.

Storing is one write transaction (the rate limit, the request, its files,
one delivery per destination), committed before the shopper sees "Sent".

A sender claims due deliveries in a write transaction of its own: on
PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED``, so senders on several
nodes each take different rows; on SQLite ``BEGIN IMMEDIATE`` lets one
claim at a time. A claim marks the row ``sending`` with a lease; the send
happens outside any transaction, then its outcome is recorded. A sender
that dies in between leaves the lease to expire and another sends again,
with the same idempotency key (the webhook's ``Idempotency-Key``, the
e-mail's Message-ID), so the receiver drops the copy.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from kb.contact_requests.models import (CONFIRMATION, DELIVERED, FAILED, PENDING, SENDING, SUPPORT_EMAIL, WEBHOOK,
                                        Attachment, ContactRequest, Delivery, utcnow)
from kb.extensions import write_transaction
from kb.ratelimit import ClientLimit

log = logging.getLogger(__name__)

# Unambiguous when read out on the phone: no 0/O, 1/I/L.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_TRIES = 5
CLAIM_BATCH = 10
# A claimed delivery is the claimer's this long: time to send a whole batch, each send timing out at worst.
SEND_TIMEOUT = 30  # seconds, for SMTP and the webhook alike
LEASE = dt.timedelta(seconds=CLAIM_BATCH * SEND_TIMEOUT + 60)


class Unreachable(OSError):
    """The destination itself did not answer (refused, timed out, unknown host), whatever was being sent.

    The rest of the round's deliveries to it are put off without trying, so
    an outage costs one try per round, not one timeout per request.
    """


@dataclass(frozen=True)
class NewRequest:
    name: str
    email: str
    topic: str
    order_number: str | None
    message: str
    language: str
    context: str | None
    files: tuple[tuple[str, str, bytes], ...] = ()  # (filename, content type, cleaned bytes)


def new_reference(prefix: str) -> str:
    """A reference like AP-7K3Q-92: short enough to read out, random enough not to guess."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


def destinations() -> tuple[str, ...]:
    """Where requests go, as configured: the support address (with a confirmation to the shopper), a webhook."""
    config = current_app.config
    found = []
    if config["KB_SMTP_HOST"] and config["KB_REQUESTS_EMAIL_TO"]:
        found += [SUPPORT_EMAIL, CONFIRMATION]
    if config["KB_REQUESTS_WEBHOOK_URL"] and config["KB_REQUESTS_WEBHOOK_SECRET"]:
        found.append(WEBHOOK)
    return tuple(found)


def store(request: NewRequest, limit: ClientLimit) -> str:
    """Count the hit against ``limit``, store the request and its deliveries; return its reference.

    Raises RateLimited (nothing stored) or SQLAlchemyError (nothing stored either).
    """
    tries = REFERENCE_TRIES
    while True:
        reference = new_reference(current_app.config["KB_REQUESTS_REFERENCE_PREFIX"])
        try:
            _insert(request, reference, limit)
            return reference
        except sa.exc.IntegrityError:  # the reference was taken: draw another
            tries -= 1
            if not tries:
                raise


def _insert(request: NewRequest, reference: str, limit: ClientLimit) -> None:
    now = utcnow()
    with write_transaction() as connection:
        limit.hit(connection)
        request_id = connection.execute(sa.insert(ContactRequest).returning(ContactRequest.id), {
            "reference": reference, "name": request.name, "email": request.email, "topic": request.topic,
            "order_number": request.order_number, "message": request.message, "language": request.language,
            "context": request.context, "created_at": now}).scalar_one()
        if request.files:
            connection.execute(sa.insert(Attachment), [
                {"request_id": request_id, "filename": name, "content_type": kind, "data": data}
                for name, kind, data in request.files])
        if destinations():
            connection.execute(sa.insert(Delivery), [
                {"request_id": request_id, "channel": channel, "status": PENDING, "attempts": 0,
                 "next_attempt_at": now} for channel in destinations()])


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    request_id: int
    channel: str
    attempt: int


def claim_due(due_by: dt.datetime | None = None, limit: int = CLAIM_BATCH) -> list[Claim]:
    """Take up to ``limit`` deliveries due by ``due_by`` (default now), pending or sending with an expired lease."""
    now = utcnow()
    due = (sa.select(Delivery.id, Delivery.request_id, Delivery.channel, Delivery.attempts)
           .where(Delivery.status.in_((PENDING, SENDING)), Delivery.next_attempt_at <= (due_by or now))
           .order_by(Delivery.next_attempt_at).limit(limit))
    with write_transaction() as connection:
        if connection.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        rows = connection.execute(due).all()
        for row in rows:
            connection.execute(sa.update(Delivery).where(Delivery.id == row.id).values(
                status=SENDING, attempts=row.attempts + 1, next_attempt_at=now + LEASE))
    return [Claim(row.id, row.request_id, row.channel, row.attempts + 1) for row in rows]


def record_delivered(claim: Claim) -> None:
    _record(claim, status=DELIVERED, delivered_at=utcnow(), last_error=None)


def record_failure(claim: Claim, error: str) -> None:
    """Retry after an exponential backoff, up to KB_REQUESTS_MAX_ATTEMPTS tries; then it waits for an editor."""
    config = current_app.config
    if claim.attempt >= config["KB_REQUESTS_MAX_ATTEMPTS"]:
        _record(claim, status=FAILED, last_error=error)
        return
    delay = min(config["KB_REQUESTS_RETRY_SECONDS"] * 2 ** (claim.attempt - 1), config["KB_REQUESTS_RETRY_MAX_SECONDS"])
    _record(claim, status=PENDING, last_error=error, next_attempt_at=utcnow() + dt.timedelta(seconds=delay))


def _record(claim: Claim, **values) -> None:
    """Write an outcome only while the claim is still ours (same attempt, still sending)."""
    with write_transaction() as connection:
        connection.execute(sa.update(Delivery).where(Delivery.id == claim.delivery_id, Delivery.status == SENDING,
                                                     Delivery.attempts == claim.attempt).values(**values))


def send_again(reference: str) -> int:
    """An editor's "send again": every delivery of the request not yet delivered is due now, with fresh tries."""
    with write_transaction() as connection:
        request_id = connection.execute(sa.select(ContactRequest.id).where(
            ContactRequest.reference == reference)).scalar()
        if request_id is None:
            return 0
        return connection.execute(sa.update(Delivery).where(
            Delivery.request_id == request_id, Delivery.status != DELIVERED).values(
            status=PENDING, attempts=0, next_attempt_at=utcnow())).rowcount


def prune(days: int) -> int:
    """Delete requests (their files and deliveries with them) delivered everywhere more than ``days`` days ago."""
    cutoff = utcnow() - dt.timedelta(days=days)
    undelivered = sa.select(Delivery.id).where(Delivery.request_id == ContactRequest.id,
                                               Delivery.status != DELIVERED).exists()
    with write_transaction() as connection:
        ids = connection.execute(sa.select(ContactRequest.id).where(
            ContactRequest.created_at < cutoff, ~undelivered)).scalars().all()
        for table in (Attachment, Delivery):
            connection.execute(sa.delete(table).where(table.request_id.in_(ids)))
        connection.execute(sa.delete(ContactRequest).where(ContactRequest.id.in_(ids)))
    return len(ids)


def send_due(senders: dict) -> int:
    """Send every delivery due now with ``senders[channel](request_id)``; returns how many were delivered.

    One round: a delivery that fails in it waits for the next round, however short its backoff.
    """
    delivered = 0
    started = utcnow()
    down: dict[str, str] = {}  # destinations found unreachable in this round, with the error
    while claims := claim_due(started):
        for claim in claims:
            if claim.channel in down:
                record_failure(claim, down[claim.channel])
                continue
            try:
                senders[claim.channel](claim.request_id)
            except OSError as error:  # smtplib's and urllib's errors are all OSErrors
                message = str(error) if isinstance(error, Unreachable) else f"{type(error).__name__}: {error}"
                log.warning("request %s not delivered by %s (try %d): %s", claim.request_id, claim.channel,
                            claim.attempt, message)
                record_failure(claim, message)
                if isinstance(error, Unreachable):
                    down[claim.channel] = message
            else:
                record_delivered(claim)
                delivered += 1
        if len(claims) < CLAIM_BATCH:
            break
    return delivered


def run(senders: dict, poll_seconds: float, prune_every: float = 3600) -> None:
    """The sender's loop: send what is due, prune what retention allows, sleep, again; until stopped."""
    pruned_at = 0.0
    while True:
        try:
            send_due(senders)
            if time.monotonic() - pruned_at >= prune_every:
                removed = prune(current_app.config["KB_REQUESTS_RETENTION_DAYS"])
                if removed:
                    log.info("deleted %d delivered requests past retention", removed)
                pruned_at = time.monotonic()
        except sa.exc.SQLAlchemyError as error:
            log.warning("outbox: the database did not answer (%s); trying again", error)
        time.sleep(poll_seconds)
