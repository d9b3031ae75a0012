"""What a shopper sees on each page, without a browser."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from kb import contact_panel


@pytest.fixture
def tuesday_afternoon(monkeypatch):
    moment = dt.datetime(2026, 11, 24, 14, 30, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(contact_panel, "current_time", lambda: moment)
    return moment


def test_home_lists_categories_with_counts_and_featured_articles(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert 'action="/search" method="get"' in page
    assert 'href="/categories/orders-and-shipping"' in page
    assert "1 article<" in page
    assert 'Popular answers' in page and 'href="/articles/track-your-order"' in page


def test_category_page_lists_its_articles(client):
    page = client.get("/categories/returns-and-refunds").get_data(as_text=True)
    assert "<h1>" in page and "Returns and refunds" in page
    assert 'href="/articles/start-a-return"' in page
    assert 'href="/articles/track-your-order"' not in page.split('class="sidebar"')[0]


def test_article_page_has_breadcrumb_summary_updated_and_sections(content, make_app):
    content.article("delivery", "Delivery options", "\n".join(f"## Part {n}\n\nText {n}.\n" for n in range(1, 4)),
                    summary="How we deliver.", updated="2026-10-14")
    page = make_app().test_client().get("/articles/delivery").get_data(as_text=True)
    assert 'aria-label="Breadcrumb"' in page and 'href="/categories/orders-and-shipping"' in page
    assert "How we deliver." in page
    assert '<time datetime="2026-10-14">14 October 2026</time>' in page
    assert "On this page" in page and 'href="#part-2"' in page


def test_short_article_has_no_table_of_contents(client):
    page = client.get("/articles/start-a-return").get_data(as_text=True)
    assert "On this page" not in page


def test_related_articles_are_linked(client):
    page = client.get("/articles/track-your-order").get_data(as_text=True)
    assert "Related articles" in page and 'href="/articles/start-a-return"' in page


def test_old_slug_in_aliases_redirects_permanently(content, make_app):
    content.article("refund-times", "Refund times", aliases="[how-long-refunds-take]")
    response = make_app().test_client().get("/articles/how-long-refunds-take")
    assert response.status_code == 301
    assert response.headers["Location"] == "/articles/refund-times"


def test_draft_is_not_shown_to_shoppers(content, make_app):
    content.article("secret", "Secret plans", draft="true")
    response = make_app().test_client().get("/articles/secret")
    assert response.status_code == 404


def test_search_matches_titles_and_summaries(client):
    page = client.get("/search?q=track").get_data(as_text=True)
    assert "1 article found" in page and 'href="/articles/track-your-order"' in page


def test_search_with_no_result_shows_a_friendly_empty_state(client):
    page = client.get("/search?q=%3Cscript%3Ezebra").get_data(as_text=True)
    assert "We couldn't find an article for “&lt;script&gt;zebra”." in page
    assert "<script>zebra" not in page


def test_unknown_page_is_a_friendly_404_with_search_and_suggestions(client):
    response = client.get("/articles/track-order")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Sorry, we can’t find that page" in page and 'role="search"' in page
    assert 'href="/articles/track-your-order"' in page


def test_missing_article_whose_words_name_no_article_suggests_popular_answers(content, make_app):
    content.article("caring-for-tents", "Caring for tents", "The most important thing is to dry your tent.",
                    summary="Keep a tent dry and clean.")
    page = make_app().test_client().get("/articles/no-such-thing").get_data(as_text=True)
    assert "Popular answers" in page and 'href="/articles/track-your-order"' in page  # the featured article
    assert "Were you looking for one of these?" not in page and "/articles/caring-for-tents" not in page


@pytest.mark.parametrize("path, target", [("/articles/track-your-order/", "/articles/track-your-order"),
                                          ("/categories/orders-and-shipping/?page=2",
                                           "/categories/orders-and-shipping?page=2")])
def test_address_with_a_trailing_slash_redirects_to_the_one_without(client, path, target):
    response = client.get(path)
    assert response.status_code == 308
    assert response.headers["Location"] == target


def test_trailing_slash_on_an_address_that_does_not_exist_is_still_not_found(client):
    assert client.get("/nowhere/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/categories/orders-and-shipping", "/articles/track-your-order",
                                  "/search?q=x", "/nowhere"])
def test_contact_panel_is_on_every_page(client, path, tuesday_afternoon):
    page = client.get(path).get_data(as_text=True)
    assert "Still need help? Talk to a person" in page
    assert "0131 496 0123" in page and "help@shop.example" in page
    assert "Open now — until 18:00" in page
    assert "Usually answered within 3 minutes" in page
    assert 'href="/contact"' in page


def test_server_error_page_keeps_the_contact_panel(make_app, tuesday_afternoon):
    app = make_app(TESTING=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("simulated failure")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page and "0131 496 0123" in page


def test_contact_panel_says_closed_at_night(client, monkeypatch):
    monkeypatch.setattr(contact_panel, "current_time", lambda: dt.datetime(2026, 11, 24, 22, 0, tzinfo=dt.timezone.utc))
    page = client.get("/").get_data(as_text=True)
    assert "Closed — opens tomorrow 09:00" in page


def test_pages_are_served_from_memory_once_content_is_loaded(client, content):
    """A deploy loads the folder once; requests never read or render files."""
    first = client.get("/articles/track-your-order").get_data(as_text=True)
    shutil.rmtree(content.root)
    again = client.get("/articles/track-your-order")
    assert again.status_code == 200 and again.get_data(as_text=True) == first
    assert client.get("/categories/orders-and-shipping").status_code == 200


def test_contact_panel_changes_when_the_phone_line_closes(client, monkeypatch):
    monkeypatch.setattr(contact_panel, "current_time", lambda: dt.datetime(2026, 11, 24, 17, 59, tzinfo=dt.timezone.utc))
    assert "Open now — until 18:00" in client.get("/articles/track-your-order").get_data(as_text=True)
    monkeypatch.setattr(contact_panel, "current_time", lambda: dt.datetime(2026, 11, 24, 18, 0, tzinfo=dt.timezone.utc))
    assert "Closed — opens tomorrow 09:00" in client.get("/articles/track-your-order").get_data(as_text=True)
