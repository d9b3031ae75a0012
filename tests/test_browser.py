"""A shopper in real Chromium: browse, follow a section link, stay safe, fit a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.chromium import browser, live_server, page, serve  # noqa: F401  (fixtures; skip without Chromium)


def contact_panel_is_visible(page):
    expect(page.locator("#contact")).to_contain_text("Talk to a person")
    expect(page.locator("#contact")).to_contain_text("0131 496 0123")


def test_shopper_browses_from_home_to_a_section_of_an_article(page, live_server):
    page.goto(live_server + "/")
    contact_panel_is_visible(page)
    page.get_by_role("link", name="Orders and shipping").first.click()
    expect(page.locator("h1")).to_contain_text("Orders and shipping")
    contact_panel_is_visible(page)
    page.get_by_role("link", name="Track your order").first.click()
    expect(page.locator("h1")).to_have_text("Track your order")
    contact_panel_is_visible(page)
    page.locator('h2#what-the-statuses-mean a.headerlink').click()
    assert page.url.endswith("/articles/track-your-order#what-the-statuses-mean")
    heading = page.locator("h2#what-the-statuses-mean")
    expect(heading).to_be_in_viewport()


def test_following_a_pasted_section_link_lands_on_that_section(page, live_server):
    page.set_viewport_size({"width": 800, "height": 400})
    page.goto(live_server + "/articles/track-your-order#what-the-statuses-mean")
    expect(page.locator("h2#what-the-statuses-mean")).to_be_in_viewport()


def test_hostile_article_runs_no_script(page, serve, content, make_app):
    content.article("hostile", "Hostile", """
        <script>alert('script')</script>

        <img src="missing.png" onerror="alert('onerror')">

        [click me](javascript:alert('link'))

        <svg onload="alert('svg')"></svg>
        """)
    page.goto(serve(make_app()) + "/articles/hostile")
    expect(page.locator("h1")).to_have_text("Hostile")
    links = page.get_by_text("click me")
    if links.count():
        links.first.click()
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('article script, [onerror], [onload]').length") == 0


@pytest.mark.parametrize("path", ["/", "/categories/orders-and-shipping", "/articles/track-your-order", "/nowhere"])
def test_phone_layout_has_no_horizontal_scroll(page, live_server, path):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server + path)
    contact_panel_is_visible(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
