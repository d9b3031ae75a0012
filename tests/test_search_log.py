"""What editors will read in the search log, and the "Contact us" page that asks before it connects."""
from __future__ import annotations

import sqlalchemy as sa

from kb.extensions import db
from kb.searchlog import SearchLog


def logged(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(sa.select(SearchLog).order_by(SearchLog.id)).all()
        return [(row.query, row.results, row.category, row.outcome) for row in rows]


def test_each_search_is_logged_once_with_its_count_and_topic(app, client):
    client.get("/search?q=Track+my+parcel")
    client.get("/search?q=parcel&category=returns-and-refunds")
    client.get("/search?q=parcel&page=2")
    client.get("/search.json?q=parc")
    assert logged(app) == [("track my parcel", 2, None, None), ("parcel", 1, "returns-and-refunds", None)]


def test_order_numbers_emails_and_phone_numbers_are_never_logged(app, client):
    client.get("/search?q=where+is+AP-20418833")
    client.get("/search?q=refund+for+jo@example.com")
    client.get("/search?q=call+me+07700+900123")
    client.get("/search?q=%2B44+(0)131+496+0123+or+AB123456789GB")
    queries = [query for query, *_ in logged(app)]
    assert queries == ["where is [order number]", "refund for [email]", "call me [phone]",
                       "[phone] or [order number]"]


def test_search_with_no_answer_is_logged_and_offers_to_ask_us(app, client):
    page = client.get("/search?q=zebra").get_data(as_text=True)
    assert 'class="contact-panel contact-prominent"' in page
    assert 'href="/contact?q=zebra">Ask us</a>' in page
    assert logged(app) == [("zebra", 0, None, None)]


def test_contact_page_asks_first_and_keeps_every_channel_in_view(client):
    page = client.get("/contact").get_data(as_text=True)
    assert '<label for="question">What do you need help with?</label>' in page
    assert "0131 496 0123" in page and "help@shop.example" in page


def test_question_gets_suggestions_and_a_prefilled_email(app, client):
    page = client.get("/contact?q=tracking+link").get_data(as_text=True)
    assert logged(app) == [("tracking link", 1, None, None)]
    assert 'href="/contact/1/article/track-your-order?section=tracking-link"' in page
    assert 'href="/contact/1/email?q=tracking+link"' in page
    email = client.get("/contact/1/email?q=tracking+link")
    assert email.status_code == 302
    assert email.headers["Location"] == "mailto:help@shop.example?subject=Help%20with%3A%20tracking%20link" \
                                        "&body=tracking%20link%0A%0A"


def test_opening_a_suggestion_counts_as_helped_unless_the_shopper_then_writes(app, client):
    client.get("/contact?q=tracking+link")
    client.get("/contact?q=return")
    opened = client.get("/contact/1/article/track-your-order?section=tracking-link")
    assert opened.headers["Location"] == "/articles/track-your-order#tracking-link"
    client.get("/contact/2/article/start-a-return")
    client.get("/contact/2/email?q=return")
    client.get("/contact/2/article/start-a-return")
    assert [outcome for *_, outcome in logged(app)] == ["helped", "contacted"]
