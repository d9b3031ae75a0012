"""Instant search in real Chromium: type, see answers, choose one with the keyboard."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.chromium import browser, live_server, page, serve  # noqa: F401


def test_misspelled_query_shows_instant_results_and_enter_opens_the_section(page, live_server):
    page.goto(live_server + "/")
    box = page.get_by_role("combobox", name="Search for answers")
    box.press_sequentially("trakcing lnk", delay=30)
    first = page.get_by_role("option").first
    expect(first).to_contain_text("Track your order")
    expect(first).to_contain_text("Where is my tracking link?")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("status").first).to_contain_text("Showing results for tracking link. 1 article found")
    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "q-big-option-0")
    box.press("Enter")
    page.wait_for_url("**/articles/track-your-order#tracking-link")
    expect(page.locator("h2#tracking-link")).to_be_in_viewport()


def test_escape_closes_instant_results_and_enter_then_searches(page, live_server):
    page.goto(live_server + "/categories/orders-and-shipping")
    box = page.get_by_role("combobox", name="Search the help center")
    box.press_sequentially("return", delay=30)
    expect(page.get_by_role("listbox")).to_be_visible()
    box.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("Enter")
    page.wait_for_url("**/search?q=return")
    expect(page.locator("h1")).to_have_text("Results for “return”")


def test_a_late_answer_to_an_older_query_never_replaces_newer_results(page, live_server):
    held = []

    def hold_the_first_answer(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/search.json?*", hold_the_first_answer)
    page.goto(live_server + "/categories/orders-and-shipping")
    box = page.get_by_role("combobox", name="Search the help center")
    box.press_sequentially("trac", delay=30)
    page.wait_for_timeout(400)
    assert len(held) == 1  # the answer for "trac" is on its way, slowly
    box.fill("")
    box.press_sequentially("start", delay=30)
    expect(page.get_by_role("option").first).to_have_text("Start a returnReturns and refunds")
    held[0].continue_()
    page.wait_for_timeout(400)
    expect(page.get_by_role("option")).to_have_count(1)
    expect(page.get_by_role("option").first).to_contain_text("Start a return")
