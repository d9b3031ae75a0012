"""What editors will read in the search log, and the "Contact us" page that asks before it connects."""
from __future__ import annotations

import html
import re

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


def outcome_links(client, question: str) -> dict[str, str]:
    """Ask on the contact page; the links it offers, by where they lead ("email" or an article's slug)."""
    page = client.get("/contact", query_string={"q": question}).get_data(as_text=True)
    links = [html.unescape(href) for href in re.findall(r'href="(/contact/\d+/[^"]+)"', page)]
    return {link.split("?")[0].rsplit("/", 1)[-1]: link for link in links}


def test_question_gets_suggestions_and_a_prefilled_email(app, client):
    links = outcome_links(client, "tracking link")
    assert logged(app) == [("tracking link", 1, None, None)]
    assert links["track-your-order"].startswith("/contact/1/article/track-your-order?section=tracking-link&key=")
    assert links["email"].startswith("/contact/1/email?q=tracking+link&key=")
    email = client.get(links["email"])
    assert email.status_code == 302
    assert email.headers["Location"] == "mailto:help@shop.example?subject=Help%20with%3A%20tracking%20link" \
                                        "&body=tracking%20link%0A%0A"


def test_opening_a_suggestion_counts_as_helped_unless_the_shopper_then_writes(app, client):
    tracking = outcome_links(client, "tracking link")
    returns = outcome_links(client, "return")
    opened = client.get(tracking["track-your-order"])
    assert opened.headers["Location"] == "/articles/track-your-order#tracking-link"
    client.get(returns["start-a-return"])
    client.get(returns["email"])
    client.get(returns["start-a-return"])
    assert [outcome for *_, outcome in logged(app)] == ["helped", "contacted"]


def test_an_outcome_link_without_its_key_leads_on_but_records_nothing(app, client):
    genuine = outcome_links(client, "tracking link")["track-your-order"]
    forged = genuine.split("&key=")[0] + "&key=0123456789abcdef"
    for link in (forged, genuine.split("&key=")[0], "/contact/1/email?q=anything"):
        assert client.get(link).status_code == 302  # the shopper still gets where they meant to go
    assert [outcome for *_, outcome in logged(app)] == [None]
