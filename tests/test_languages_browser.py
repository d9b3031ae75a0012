"""Two languages in real Chromium: the switcher keeps the shopper on the article, German search stems."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.chromium import browser, page, serve  # noqa: F401
from tests.test_languages import german  # noqa: F401


@pytest.fixture
def live_german(german, make_app, serve):  # noqa: F811
    return serve(make_app())


def test_switching_language_on_an_article_lands_on_its_translation_and_back(page, live_german):
    page.goto(live_german + "/articles/track-your-order")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
    page.wait_for_url("**/de/articles/sendung-verfolgen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bestellung verfolgen")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    section = page.locator(".article-body h2").first  # the support agents' buttons speak German too
    expect(section.get_by_role("button", name="Link zu „Wo ist mein Link?“ kopieren", exact=True)).to_have_text(
        "Link kopieren")
    page.get_by_role("navigation", name="Sprache").get_by_role("link", name="English").click()
    page.wait_for_url("**/articles/track-your-order")
    expect(page.get_by_role("heading", level=1)).to_have_text("Track your order")


def test_switching_to_a_language_without_the_translation_shows_the_original_with_a_note(page, live_german):
    page.goto(live_german + "/articles/refund-times")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
    page.wait_for_url("**/de/articles/refund-times")
    expect(page.get_by_role("note")).to_have_text(
        "Diesen Artikel gibt es noch nicht auf Deutsch, deshalb zeigen wir Ihnen das Original auf Englisch.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Refund times")


def test_search_in_german_finds_a_stemmed_form(page, live_german):
    page.goto(live_german + "/de/")
    box = page.get_by_role("combobox", name="Antworten suchen")
    box.press_sequentially("Rücksendungen", delay=20)
    expect(page.get_by_role("option").first).to_contain_text("Rücksendung starten")
    expect(page.get_by_role("status").first).to_contain_text("1 Artikel gefunden")
    box.press("Enter")  # no suggestion chosen: the results page
    expect(page.get_by_role("heading", level=1)).to_have_text("Ergebnisse für „Rücksendungen“")
    page.get_by_role("link", name="Rücksendung starten").click()
    page.wait_for_url("**/de/articles/start-a-return")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rücksendung starten")
