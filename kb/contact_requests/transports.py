"""The destinations: e-mail over SMTP (support address and the shopper's confirmation) and a signed webhook.

Each send carries the delivery's idempotency key, ``<reference>.<channel>``:
as the e-mail's Message-ID and the webhook's ``Idempotency-Key`` header. A
delivery sent again after a crash (see ``outbox``) carries the same key, so
the helpdesk keeps one copy.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import smtplib
import socket
import ssl
import textwrap
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formataddr, format_datetime

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from kb.contact_requests.outbox import SEND_TIMEOUT, Unreachable
from kb.contact_requests.models import CONFIRMATION, SUPPORT_EMAIL, WEBHOOK, Attachment, ContactRequest
from kb.extensions import db

# Errors that say the destination is not there at all, rather than that it refused this one message.
UNREACHABLE = (ConnectionError, TimeoutError, socket.gaierror, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back the stored UTC time without its zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def idempotency_key(reference: str, channel: str) -> str:
    return f"{reference}.{channel}"


def _load(request_id: int) -> tuple[ContactRequest, list[Attachment]]:
    """The request and its files, detached, read in a transaction that ends here.

    The sender keeps one session for its whole life: an object left in it
    would be refreshed after the rollback, opening a read that keeps the
    database as it was then (SQLite's snapshot), and hide newer requests.
    """
    found = db.session.get(ContactRequest, request_id)
    files = db.session.scalars(db.select(Attachment).where(Attachment.request_id == request_id)
                               .order_by(Attachment.id)).all()
    db.session.expunge_all()
    db.session.rollback()
    return found, list(files)


def context_of(found: ContactRequest) -> dict | None:
    return json.loads(found.context) if found.context else None


def _message(found: ContactRequest, channel: str, sender: str, to: str) -> EmailMessage:
    """A plain-text e-mail; the headers are built by ``email``, which refuses line breaks in them."""
    message = EmailMessage()
    message["Message-ID"] = f"<{idempotency_key(found.reference, channel)}@{sender.rpartition('@')[2]}>"
    message["Date"] = format_datetime(_aware(found.created_at))
    message["From"] = formataddr((current_app.config["KB_SITE_NAME"], sender))
    message["To"] = to
    return message


def support_email(request_id: int) -> EmailMessage:
    """The e-mail to the shop: the message, the shopper's details and the visit, with the files attached."""
    found, files = _load(request_id)
    config = current_app.config
    message = _message(found, SUPPORT_EMAIL, config["KB_REQUESTS_EMAIL_FROM"], config["KB_REQUESTS_EMAIL_TO"])
    message["Reply-To"] = formataddr((found.name, found.email))
    message["Subject"] = f"[{found.reference}] {found.topic}: {textwrap.shorten(found.message, 60, placeholder=' …')}"
    message.set_content(render_template("email/request_support.txt", request=found, context=context_of(found)))
    for file in files:
        maintype, _, subtype = file.content_type.partition("/")
        message.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=file.filename)
    return message


def confirmation_email(request_id: int) -> EmailMessage:
    """The shopper's copy, in the language they wrote in, with the reference to quote."""
    found, _ = _load(request_id)
    config = current_app.config
    message = _message(found, CONFIRMATION, config["KB_REQUESTS_EMAIL_FROM"], formataddr((found.name, found.email)))
    with current_app.test_request_context(), force_locale(found.language):
        message["Subject"] = gettext("We received your request %(reference)s", reference=found.reference)
        message.set_content(render_template("email/request_confirmation.txt", request=found))
    return message


def send_email(message: EmailMessage) -> None:
    """One message over SMTP, with STARTTLS unless KB_SMTP_STARTTLS=0 (a local relay)."""
    config = current_app.config
    try:
        smtp = smtplib.SMTP(config["KB_SMTP_HOST"], config["KB_SMTP_PORT"], timeout=SEND_TIMEOUT)
    except UNREACHABLE as error:
        raise Unreachable(f"{type(error).__name__}: {error}") from error
    with smtp:
        if config["KB_SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["KB_SMTP_USERNAME"]:
            smtp.login(config["KB_SMTP_USERNAME"], config["KB_SMTP_PASSWORD"])
        smtp.send_message(message)


def webhook_body(request_id: int) -> dict:
    found, files = _load(request_id)
    return {
        "reference": found.reference, "created_at": _aware(found.created_at).isoformat(), "name": found.name,
        "email": found.email, "topic": found.topic, "order_number": found.order_number, "message": found.message,
        "language": found.language, "context": context_of(found),
        "attachments": [{"filename": f.filename, "content_type": f.content_type, "bytes": len(f.data)}
                        for f in files],
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of ``<timestamp>.<body>``: the receiver checks both, so an old body cannot be replayed as new."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_webhook(request_id: int) -> None:
    """POST the request as JSON; any answer but 2xx is a failure to retry (urllib raises HTTPError)."""
    config = current_app.config
    payload = webhook_body(request_id)
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key(payload["reference"], WEBHOOK),
               "X-KB-Timestamp": timestamp,
               "X-KB-Signature": "sha256=" + signature(config["KB_REQUESTS_WEBHOOK_SECRET"], timestamp, body)}
    request = urllib.request.Request(config["KB_REQUESTS_WEBHOOK_URL"], data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError:
        raise
    except urllib.error.URLError as error:
        if isinstance(error.reason, UNREACHABLE):
            raise Unreachable(f"{type(error.reason).__name__}: {error.reason}") from error
        raise


def senders() -> dict:
    """What the outbox calls for each kind of delivery."""
    return {
        SUPPORT_EMAIL: lambda request_id: send_email(support_email(request_id)),
        CONFIRMATION: lambda request_id: send_email(confirmation_email(request_id)),
        WEBHOOK: send_webhook,
    }
