"""Contact requests: the form, storage before "Sent", and delivery from the outbox to a real SMTP server and webhook."""
from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import io
import json
import queue
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from PIL import Image

from kb.contact_requests.models import Attachment, ContactRequest, Delivery, utcnow
from kb.contact_requests.outbox import claim_due, prune, send_again, send_due
from kb.contact_requests.transports import senders
from kb.extensions import db
from tests.test_insights import PASSWORD, Editor

REFERENCE = re.compile(r"AP-[2-9A-Z]{4}-[2-9A-Z]{2}")
SECRET = "webhook-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """A real SMTP server (aiosmtpd) on a fixed port that can be stopped and started again."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


class Receiver(BaseHTTPRequestHandler):
    """The helpdesk's end of the webhook: keeps what it gets, answers with the status it is told."""

    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers, body))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def webhook():
    handler = type("Handler", (Receiver,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def app(make_app, mailbox, webhook):
    return make_app(KB_SMTP_HOST="127.0.0.1", KB_SMTP_PORT=mailbox.port, KB_SMTP_STARTTLS=False,
                    KB_REQUESTS_EMAIL_TO="help@shop.example", KB_REQUESTS_EMAIL_FROM="help-center@shop.example",
                    KB_REQUESTS_WEBHOOK_URL=f"http://127.0.0.1:{webhook.server_port}/hook",
                    KB_REQUESTS_WEBHOOK_SECRET=SECRET, KB_REQUESTS_RETRY_SECONDS=0, KB_REQUESTS_RETRY_MAX_SECONDS=0)


class Shopper:
    """One shopper's browser without JavaScript: cookies kept, the form's token read from the contact page."""

    def __init__(self, app, address: str = "192.0.2.1"):
        self.client = app.test_client()
        self.environ = {"REMOTE_ADDR": address}

    def contact_page(self, path: str = "/contact", **headers):
        return self.client.get(path, environ_base=self.environ, headers=headers)

    def send(self, path: str = "/contact/request", page: str = "/contact", files=(), **fields):
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.contact_page(page).text).group(1)
        data = {"csrf_token": token, "name": "Ada Shopper", "email": "ada@example.com",
                "topic": "returns-and-refunds", "message": "The label link does not work.", "share_visit": "y",
                **fields}
        data["photos"] = [(io.BytesIO(content), name) for name, content in files]
        return self.client.post(path, data=data, environ_base=self.environ, content_type="multipart/form-data")

    def sent_reference(self, **fields) -> str:
        response = self.send(**fields)
        assert response.status_code == 303, response.text
        page = self.client.get(response.headers["Location"], environ_base=self.environ).text
        return REFERENCE.search(page).group(0)


def stored(app) -> list[ContactRequest]:
    with app.app_context():
        found = db.session.scalars(sa.select(ContactRequest).order_by(ContactRequest.id)).all()
        db.session.expunge_all()
        return found


def deliver(app) -> int:
    with app.app_context():
        return send_due(senders())


def deliveries(app) -> dict[str, str]:
    with app.app_context():
        return {channel: status for channel, status in db.session.execute(sa.select(Delivery.channel, Delivery.status))}


def test_contact_page_has_a_request_form_that_works_without_javascript(app):
    page = Shopper(app).contact_page().text
    assert 'enctype="multipart/form-data"' in page and 'method="post"' in page
    assert '<input checked id="share_visit" name="share_visit" type="checkbox"' in page
    assert '<option value="returns-and-refunds">Returns and refunds</option>' in page


def test_contact_page_keeps_the_mailto_only_when_requests_have_nowhere_to_go(make_app):
    page = make_app().test_client().get("/contact").text
    assert "request-form" not in page and "mailto:help@shop.example" in page


def test_sent_request_is_stored_before_the_shopper_sees_its_reference(app):
    shopper = Shopper(app)
    reference = shopper.sent_reference()
    [request] = stored(app)
    assert request.reference == reference and request.message == "The label link does not work."
    assert request.topic == "Returns and refunds"
    assert deliveries(app) == {"email": "pending", "confirmation": "pending", "webhook": "pending"}


def test_reloading_the_sent_page_leads_back_to_the_contact_page(app):
    shopper = Shopper(app)
    shopper.sent_reference()
    assert shopper.client.get("/contact/sent").headers["Location"] == "/contact"


def test_missing_email_is_refused_with_a_message_and_the_text_kept(app):
    response = Shopper(app).send(email="", message="Where is my <b>parcel</b>?")
    assert response.status_code == 400
    assert "Please tell us your e-mail address, so we can answer." in response.text
    assert "Where is my &lt;b&gt;parcel&lt;/b&gt;?" in response.text
    assert stored(app) == []


@pytest.mark.parametrize("field", ["name", "email", "order_number"])
def test_a_line_break_in_a_header_field_is_refused(app, field):
    response = Shopper(app).send(**{field: "AP-1234567\r\nBcc: victim@example.com"})
    assert response.status_code == 400 and stored(app) == []


def test_an_order_number_must_match_the_shops_pattern(app):
    response = Shopper(app).send(order_number="my order")
    assert "“my order” does not look like one of our order numbers" in response.text
    Shopper(app).sent_reference(order_number="AP-1234567")
    assert stored(app)[0].order_number == "AP-1234567"


def test_a_filled_in_honeypot_stores_nothing(app):
    response = Shopper(app).send(homepage="http://spam.example")
    assert response.status_code == 400 and stored(app) == []


def test_requests_beyond_the_rate_limit_are_refused_with_429(make_app, mailbox, webhook):
    app = make_app(KB_SMTP_HOST="127.0.0.1", KB_SMTP_PORT=mailbox.port, KB_REQUESTS_EMAIL_TO="help@shop.example",
                   KB_REQUESTS_RATE_LIMIT="2 per hour")
    shopper = Shopper(app)
    shopper.sent_reference()
    shopper.sent_reference()
    response = shopper.send()
    assert response.status_code == 429 and "You’ve sent several requests in a short time" in response.text
    assert len(stored(app)) == 2


def test_an_expired_form_keeps_the_shoppers_text(app):
    shopper = Shopper(app)
    shopper.contact_page()
    response = shopper.client.post("/contact/request", data={"csrf_token": "forged", "message": "My parcel"},
                                   content_type="multipart/form-data")
    assert response.status_code == 400 and "This form has expired" in response.text and "My parcel</textarea>" \
        in response.text


def test_support_email_carries_the_visit_votes_and_reference(app, mailbox):
    shopper = Shopper(app)
    token = shopper.client.get("/feedback/token").get_json()["csrf_token"]
    shopper.client.post("/articles/start-a-return/feedback", data={
        "csrf_token": token, "helpful": "no", "details": "y", "reasons": "hard-to-follow",
        "comment": "the label link does not work"})
    reference = shopper.sent_reference(visit=json.dumps({"searches": ["return label"],
                                                         "articles": ["track-your-order", "no-such-article"]}),
                                       came_from="http://localhost/articles/start-a-return")
    assert deliver(app) == 3
    [mail] = mailbox.to("help@shop.example")
    assert mail["Subject"] == f"[{reference}] Returns and refunds: The label link does not work."
    assert mail["Reply-To"] == "Ada Shopper <ada@example.com>"
    assert mail["Message-ID"] == f"<{reference}.email@shop.example>"
    body = mail.get_content().replace("\r\n", "\n")
    assert "- came from: /articles/start-a-return" in body
    assert '- searches: "return label"' in body
    assert "- read Track your order\n" in body
    assert "- read Start a return, voted No (It’s hard to follow): \"the label link does not work\"" in body
    assert "no-such-article" not in body


def test_unticking_the_consent_box_sends_no_visit(app, mailbox):
    Shopper(app).sent_reference(share_visit="", visit=json.dumps({"searches": ["secret"], "articles": []}))
    assert stored(app)[0].context is None
    deliver(app)
    body = mailbox.to("help@shop.example")[0].get_content()
    assert "The shopper chose not to share their visit." in body and "secret" not in body


def test_a_german_shopper_gets_the_form_the_sent_page_and_the_confirmation_in_german(app, mailbox):
    shopper = Shopper(app)
    assert "Schreiben Sie unserem Team" in shopper.contact_page("/de/contact").text
    response = shopper.send(path="/de/contact/request", page="/de/contact")
    sent = shopper.client.get(response.headers["Location"]).text
    assert response.headers["Location"] == "/de/contact/sent" and "<h1>Gesendet</h1>" in sent
    reference = REFERENCE.search(sent).group(0)
    deliver(app)
    [mail] = mailbox.to("ada@example.com")
    assert mail["Subject"] == f"Wir haben Ihre Anfrage {reference} erhalten"
    assert reference in mail.get_content()


def test_smtp_down_while_requests_are_sent_delivers_every_one_exactly_once_when_back(app, mailbox):
    references = [Shopper(app, f"192.0.2.{n}").sent_reference() for n in range(1, 4)]
    mailbox.stop()
    deliver(app)
    references += [Shopper(app, f"192.0.2.{n}").sent_reference() for n in range(4, 7)]
    deliver(app)
    assert mailbox.messages == []
    with app.app_context():
        errors = db.session.scalars(sa.select(Delivery.last_error).where(Delivery.channel == "email")).all()
    assert errors and all(error.startswith("ConnectionRefusedError") for error in errors)
    mailbox.start()
    deliver(app)
    deliver(app)
    ids = [m["Message-ID"] for m in mailbox.to("help@shop.example")]
    assert sorted(ids) == sorted(f"<{reference}.email@shop.example>" for reference in references)
    assert set(deliveries(app).values()) == {"delivered"}


def test_a_running_sender_delivers_requests_stored_after_its_last_round(app, mailbox):
    """The sender process keeps one app context (and database session) for its whole life, unlike ``deliver``."""
    rounds, done = queue.Queue(), queue.Queue()

    def sender():
        with app.app_context():
            while rounds.get():
                done.put(send_due(senders()))
    thread = threading.Thread(target=sender)
    thread.start()
    for n in (1, 2, 3):
        Shopper(app, f"192.0.2.{n}").sent_reference()
        rounds.put(True)
        assert done.get(timeout=30) == 3
    rounds.put(False)
    thread.join()
    assert len(mailbox.to("help@shop.example")) == 3


def test_an_smtp_server_that_hangs_up_is_tried_once_a_round_not_once_a_request(make_app):
    """Each try at a dead server can cost a 30 s timeout: the round's other e-mails wait for the next round."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def hang_up():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            accepted.append(connection)
            connection.close()
    threading.Thread(target=hang_up, daemon=True).start()
    app = make_app(KB_SMTP_HOST="127.0.0.1", KB_SMTP_PORT=listener.getsockname()[1], KB_SMTP_STARTTLS=False,
                   KB_REQUESTS_EMAIL_TO="help@shop.example")
    for n in range(1, 6):
        Shopper(app, f"192.0.2.{n}").sent_reference()
    deliver(app)
    listener.close()
    assert len(accepted) == 2  # the support e-mail and the confirmation, once each
    with app.app_context():
        errors = db.session.scalars(sa.select(Delivery.last_error)).all()
    assert len(errors) == 10 and all(error.startswith("SMTPServerDisconnected") for error in errors)


def test_two_senders_at_once_deliver_each_request_once(app, mailbox):
    for n in range(1, 6):
        Shopper(app, f"192.0.2.{n}").sent_reference()
    threads = [threading.Thread(target=deliver, args=(app,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mailbox.to("help@shop.example")) == 5 and len(mailbox.to("ada@example.com")) == 5


def test_a_claimed_delivery_is_not_taken_by_another_sender_until_its_lease_ends(app):
    Shopper(app).sent_reference()
    with app.app_context():
        assert len(claim_due()) == 3
        assert claim_due() == []


def test_a_delivery_sent_again_after_a_crash_carries_the_same_idempotency_key(app, mailbox, webhook):
    """A sender that dies after sending, before recording, leaves the delivery to the next sender once its lease
    ends; the copy it sends has the same Message-ID and Idempotency-Key, so the helpdesk keeps one."""
    Shopper(app).sent_reference()
    with app.app_context():
        for claim in claim_due():  # sent, then the sender dies: nothing recorded
            senders()[claim.channel](claim.request_id)
        with db.engine.begin() as connection:  # the lease runs out
            connection.execute(sa.update(Delivery).values(next_attempt_at=utcnow()))
    assert deliver(app) == 3
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == 4 and len(set(ids)) == 2
    keys = [headers["Idempotency-Key"] for headers, _ in webhook.RequestHandlerClass.received]
    assert len(keys) == 2 and len(set(keys)) == 1
    assert set(deliveries(app).values()) == {"delivered"}


def test_webhook_body_is_signed_and_carries_its_idempotency_key(app, webhook):
    reference = Shopper(app).sent_reference(order_number="AP-1234567")
    deliver(app)
    [(headers, body)] = webhook.RequestHandlerClass.received
    assert headers["Idempotency-Key"] == f"{reference}.webhook"
    expected = hmac.new(SECRET.encode(), headers["X-KB-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-KB-Signature"] == "sha256=" + expected.hexdigest()
    payload = json.loads(body)
    assert payload["reference"] == reference and payload["order_number"] == "AP-1234567"
    assert payload["context"]["language"] == "en"


def test_a_webhook_answering_500_is_retried_then_failed_and_can_be_sent_again(app, webhook):
    app.config["KB_REQUESTS_MAX_ATTEMPTS"] = 2
    webhook.RequestHandlerClass.status = 500
    reference = Shopper(app).sent_reference()
    deliver(app)
    deliver(app)
    assert deliveries(app)["webhook"] == "failed"
    webhook.RequestHandlerClass.status = 200
    with app.app_context():
        assert send_again(reference) == 1
    deliver(app)
    assert deliveries(app)["webhook"] == "delivered"
    assert len(webhook.RequestHandlerClass.received) == 3


def test_editors_see_a_failed_request_with_its_error_and_send_it_again(app, webhook):
    app.config.update(KB_EDITOR_PASSWORD=PASSWORD, KB_REQUESTS_MAX_ATTEMPTS=1)
    webhook.RequestHandlerClass.status = 503
    reference = Shopper(app).sent_reference(message="My <script>alert(1)</script> parcel")
    deliver(app)
    editor = Editor(app)
    editor.log_in()
    page = editor.client.get("/insights/requests?status=failed").text
    assert reference in page and "HTTPError: HTTP Error 503: Service Unavailable" in page
    assert "My &lt;script&gt;alert(1)&lt;/script&gt; parcel" in page
    assert reference not in editor.client.get("/insights/requests?status=delivered").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    webhook.RequestHandlerClass.status = 200
    response = editor.client.post(f"/insights/requests/{reference}/send-again", data={"csrf_token": token})
    assert f"{reference} will be sent again" in editor.client.get(response.headers["Location"]).text
    deliver(app)
    assert reference in editor.client.get("/insights/requests?status=delivered").text


def test_request_list_is_for_editors_only(app):
    assert Shopper(app).client.get("/insights/requests").headers["Location"].startswith("/insights/login")


def test_delivered_requests_and_their_files_are_deleted_after_the_retention_period(app):
    Shopper(app).sent_reference(files=[("receipt.pdf", b"%PDF-1.4\n%%EOF\n")])
    deliver(app)
    with app.app_context():
        assert prune(90) == 0
        assert prune(-1) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert stored(app) == []


def test_undelivered_requests_are_kept_past_the_retention_period(app, mailbox):
    mailbox.stop()
    Shopper(app).sent_reference()
    deliver(app)
    with app.app_context():
        assert prune(-1) == 0
    mailbox.start()


def photo_with_location(kind: str = "JPEG") -> bytes:
    image = Image.new("RGB", (40, 30), "orange")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (55.0, 57.0, 1.0)}  # GPSInfo
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, kind, exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_a_photos_location_never_travels_on(app, mailbox, kind):
    original = photo_with_location(kind)
    assert Image.open(io.BytesIO(original)).getexif()
    Shopper(app).sent_reference(files=[("parcel.jpeg", original)])
    deliver(app)
    [mail] = mailbox.to("help@shop.example")
    [attachment] = list(mail.iter_attachments())
    data = attachment.get_content()
    assert attachment.get_filename() == ("parcel.jpg" if kind == "JPEG" else "parcel.png")
    rebuilt = Image.open(io.BytesIO(data))
    assert not rebuilt.getexif() and rebuilt.size == (40, 30)
    assert b"PhoneMaker" not in data


@pytest.mark.parametrize("name, data", [
    ("parcel.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("parcel.png", b"#!/bin/sh\nrm -rf /\n"),
    ("receipt.pdf", b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n"),
])
def test_a_script_or_svg_disguised_as_a_photo_is_refused(app, name, data):
    response = Shopper(app).send(files=[(name, data)])
    assert response.status_code == 400 and f"“{name}”" in response.text
    assert stored(app) == []


def test_a_file_over_5_mb_is_refused_with_413(app):
    response = Shopper(app).send(files=[("big.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024))])
    assert response.status_code == 413 and "“big.pdf” is larger than 5 MB" in response.text
    assert stored(app) == []


def test_a_post_larger_than_three_files_is_refused_with_413(app):
    chunk = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 - 100)
    response = Shopper(app).send(files=[(f"{n}.pdf", chunk) for n in range(4)])
    assert response.status_code == 413 and stored(app) == []


def test_more_than_three_files_are_refused(app):
    response = Shopper(app).send(files=[(f"{n}.pdf", b"%PDF-1.4\n") for n in range(4)])
    assert response.status_code == 400 and "Please attach at most 3 files." in response.text
