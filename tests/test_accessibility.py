"""Every shopper: axe-core finds nothing serious, keyboard alone is enough, dark mode, print."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.chromium import browser, live_server, page, serve  # noqa: F401  (fixtures; skip without Chromium)
from tests.test_insights import PASSWORD
from tests.test_insights_browser import log_in, shoppers_were_here

PAGES = {
    "home": "/",
    "category": "/categories/orders-and-shipping",
    "article": "/articles/track-your-order",
    "search results": "/search?q=parcel",
    "agent search": "/search?q=parcel&view=agent",
    "not found": "/nowhere",
    "editors' login, switched off": "/insights/login",
}
BLOCKING = ("serious", "critical")


def blocking_violations(page, context: dict | None = None) -> list[str]:
    """axe-core's serious and critical findings in the page (or the ``context`` axe is given), one line per rule."""
    results = Axe().run(page, context=context).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']]}"
        for v in results["violations"] if v["impact"] in BLOCKING
    ]


@pytest.fixture
def dark_page(browser):
    context = browser.new_context(color_scheme="dark")
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_problems(page, live_server, name):
    page.goto(live_server + PAGES[name])
    assert blocking_violations(page) == []


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_problems_in_dark_mode(dark_page, live_server, name):
    dark_page.goto(live_server + PAGES[name])
    assert blocking_violations(dark_page) == []


@pytest.mark.parametrize("viewer", ["page", "dark_page"])
def test_axe_finds_no_serious_problems_on_insights_with_data(request, make_app, serve, viewer):
    app = make_app(KB_EDITOR_PASSWORD=PASSWORD)
    shoppers_were_here(app)
    base = serve(app)
    editor = request.getfixturevalue(viewer)
    editor.goto(base + "/insights/login")
    assert blocking_violations(editor) == []
    log_in(editor, base)
    expect(editor.get_by_role("heading", level=1)).to_have_text("Insights")
    assert blocking_violations(editor) == []


def test_article_arrived_at_by_a_section_link_passes_axe(page, live_server):
    page.goto(live_server + "/articles/track-your-order#what-the-statuses-mean")
    assert blocking_violations(page) == []


def tab_to(page, locator, limit: int = 40) -> None:
    """Press Tab, as a keyboard user does, until ``locator`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{locator} never got the focus after {limit} presses of Tab")


def focus_is_visible(page) -> bool:
    return page.evaluate("getComputedStyle(document.activeElement).outlineStyle") not in ("none", "")


def test_keyboard_alone_goes_from_search_to_an_article_and_a_vote(page, live_server):
    page.goto(live_server + "/")
    tab_to(page, page.get_by_label("Search for answers"))
    page.keyboard.type("return")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("return")
    tab_to(page, page.get_by_role("main").get_by_role("link", name="Start a return").first)
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Start a return")
    yes = page.get_by_role("button", name="Yes", exact=True)
    tab_to(page, yes)
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#feedback")).to_contain_text("Thanks for your feedback!")


def test_keyboard_reaches_the_copy_buttons_of_a_section(page, live_server):
    page.goto(live_server + "/articles/track-your-order")
    tab_to(page, page.get_by_role("button", name="Copy link to “What the statuses mean”"))
    assert focus_is_visible(page)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Copy Markdown link to “What the statuses mean”")).to_be_focused()


def test_skip_link_is_the_first_stop_and_moves_to_the_content(page, live_server):
    page.goto(live_server + "/articles/track-your-order")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def luminance(css_colour: str) -> float:
    red, green, blue = (int(part) for part in css_colour[css_colour.index("(") + 1:-1].split(",")[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_dark_mode_follows_the_system_setting(page, dark_page, live_server):
    colours = "[getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).color]"
    page.goto(live_server + "/articles/track-your-order")
    light_background, light_text = page.evaluate(colours)
    dark_page.goto(live_server + "/articles/track-your-order")
    dark_background, dark_text = dark_page.evaluate(colours)
    assert luminance(light_background) > 0.9 and luminance(light_text) < 0.3
    assert luminance(dark_background) < 0.1 and luminance(dark_text) > 0.8


def test_printed_article_keeps_the_text_and_ends_with_compact_contact_details(page, live_server):
    page.goto(live_server + "/articles/track-your-order")
    page.emulate_media(media="print")
    for hidden in (".search-form", ".headerlink", ".section-tools", "#feedback", ".contact-panel .status"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator(".article-body")).to_contain_text("Your tracking link arrives by email.")
    contact = page.locator("#contact")
    expect(contact).to_be_visible()
    expect(contact).to_contain_text("0131 496 0123")
    article_bottom = page.locator("article").evaluate("el => el.getBoundingClientRect().bottom")
    contact_box = contact.bounding_box()
    assert contact_box["y"] >= article_bottom
    screen_height = page.evaluate("document.getElementById('contact').getBoundingClientRect().height")
    page.emulate_media(media="screen")
    assert screen_height < contact.bounding_box()["height"]
