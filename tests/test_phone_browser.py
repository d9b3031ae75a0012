"""The demo shop as a new visitor sees it in Chromium, on a phone (375 px) and a laptop (1280 px)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kb import ROOT, create_app
from kb.extensions import db
from tests.chromium import browser, page, serve  # noqa: F401  (fixtures; skip without Chromium)
from tests.test_insights import PASSWORD
from tests.test_insights_browser import log_in

PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1280, "height": 800}

# Elements sticking out of the window on the right, unless a box of theirs that fits clips or scrolls them.
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const held = el => {
    for (let box = el.parentElement; box; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible" && box.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > width + 1 && !held(el); })
    .map(el => el.outerHTML.slice(0, 100));
}"""

# The text before each line break inside an element, as laid out.
LINE_BREAKS = """el => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let text = "", top = null;
  const breaks = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (rect && top !== null && rect.top > top + 2) breaks.push(text);
      if (rect) top = rect.top;
      text += node.data[i];
    }
  }
  return breaks;
}"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The demo content, as shipped: six topics, 45 articles, the shop's contact channels; built once.

    On SQLite whatever KB_TEST_DATABASE_URL says: nothing on these pages depends on the database.
    """
    folder = tmp_path_factory.mktemp("shop")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "KB_CONTENT_DIR": str(ROOT / "articles"),
                      "KB_INDEX_DIR": str(folder / "index"), "DATABASE_URL": f"sqlite:///{folder / 'kb.sqlite'}",
                      "KB_EDITOR_PASSWORD": PASSWORD})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    for query in ["parcel", "kayak rental", "retrun"]:  # so insights has searches to list
        client.get("/search", query_string={"q": query})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def site(shop, serve):
    return serve(shop)


def open_at(page, size: dict, url: str) -> None:
    page.set_viewport_size(size)
    page.goto(url)


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["375px", "1280px"])
@pytest.mark.parametrize("path", ["/", "/search?q=retrun", "/articles/delivery-options-and-costs", "/contact",
                                  "/articles/no-such-thing", "/de/", "/insights"])
def test_no_element_is_wider_than_the_window(page, site, path, size):
    if path == "/insights":
        log_in(page, site)
    open_at(page, size, site + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    assert page.evaluate(STICKING_OUT) == []


def test_first_search_result_starts_within_300px_on_a_phone(page, site):
    open_at(page, PHONE, site + "/search?q=retrun")
    assert page.locator(".search-result").first.bounding_box()["y"] <= 300


def test_topic_filters_on_a_phone_are_one_row_that_scrolls_sideways(page, site):
    open_at(page, PHONE, site + "/search?q=retrun")
    topics = page.get_by_role("navigation", name="Filter by topic").get_by_role("link")
    assert topics.count() == 7  # all topics, and the six that have results
    assert len({round(topics.nth(n).bounding_box()["y"]) for n in range(7)}) == 1
    last = topics.last
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()
    last.click()
    expect(page.locator(".result-count")).to_contain_text("found in")


def test_results_heading_names_the_corrected_words(page, site):
    open_at(page, LAPTOP, site + "/search?q=retrun")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “return”")
    expect(page).to_have_title("“return” · Search · Alder & Pine Help Center")
    page.get_by_role("link", name="retrun", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “retrun”")


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["375px", "1280px"])
def test_email_address_breaks_only_after_its_at_sign(page, site, size):
    open_at(page, size, site + "/")
    address = page.locator("#contact").get_by_role("link", name="help@alderandpine.example")
    expect(address).to_be_visible()
    assert all(before.endswith("@") for before in address.evaluate(LINE_BREAKS))


def test_social_card_sentence_reads_as_text_not_as_a_heading(page, site):
    open_at(page, LAPTOP, site + "/")
    sentence = page.locator(".channel-social .channel-value")
    expect(sentence).to_have_text("Message us on Instagram or Facebook")
    expect(sentence).to_have_css("font-weight", "400")
    expect(page.locator(".channel-email .channel-value a")).to_have_css("font-weight", "600")


def test_copy_tools_show_when_an_agent_hovers_a_heading_and_take_no_room_otherwise(page, site):
    open_at(page, LAPTOP, site + "/articles/delivery-options-and-costs")
    heading = page.locator("h3#express-delivery")
    tools = heading.locator(".section-tools")
    expect(tools).to_have_css("opacity", "0")
    assert tools.bounding_box()["y"] + tools.bounding_box()["height"] <= heading.bounding_box()["y"] + 1
    heading.hover()
    expect(tools).to_have_css("opacity", "1")
    heading.get_by_role("button", name="Copy link to “Express delivery”").click()
    expect(page.get_by_role("status").last).to_have_text("Link to “Express delivery” copied")


def test_copy_tools_are_reached_with_the_keyboard_from_the_headings_link(page, site):
    open_at(page, PHONE, site + "/articles/delivery-options-and-costs")
    heading = page.locator("h3#express-delivery")
    heading.locator("a.headerlink").focus()
    page.keyboard.press("Tab")
    copy = heading.get_by_role("button", name="Copy link to “Express delivery”")
    expect(copy).to_be_focused()
    expect(heading.locator(".section-tools")).to_have_css("opacity", "1")
    expect(copy).to_be_in_viewport()


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["375px", "1280px"])
def test_a_section_reached_by_link_keeps_room_above_it(page, site, size):
    open_at(page, size, site + "/articles/delivery-options-and-costs#express-delivery")
    section = page.locator("h3#express-delivery")
    expect(section).to_be_in_viewport()
    assert 20 <= section.bounding_box()["y"] <= 60


def test_six_topics_fill_two_rows_of_three_on_a_laptop(page, site):
    open_at(page, LAPTOP, site + "/")
    tiles = page.locator(".category-tile")
    expect(tiles).to_have_count(6)
    rows = [round(tiles.nth(n).bounding_box()["y"]) for n in range(6)]
    assert sorted(rows.count(y) for y in set(rows)) == [3, 3]


def test_topics_on_a_phone_are_compact_and_the_contact_panel_comes_soon(page, site):
    open_at(page, PHONE, site + "/")
    tiles = page.locator(".category-tile")
    assert max(tiles.nth(n).bounding_box()["height"] for n in range(6)) <= 130
    assert page.locator("#contact").bounding_box()["y"] <= 2100  # 2,900 px down with the tall cards


@pytest.mark.parametrize("path, box", [("/", "Search for answers"), ("/de/", "Antworten suchen"),
                                       ("/articles/delivery-options-and-costs", "Search the help center")])
def test_search_box_example_shows_whole_on_a_phone(page, site, path, box):
    open_at(page, PHONE, site + path)
    field = page.get_by_role("combobox", name=box)
    fits = field.evaluate("""el => { el.value = el.placeholder; const fits = el.scrollWidth <= el.clientWidth;
                                     el.value = ""; return fits; }""")
    assert fits, field.get_attribute("placeholder")


def test_insights_on_a_phone_shows_whole_dates_and_none_of_the_shoppers_ways(page, site):
    log_in(page, site)
    open_at(page, PHONE, site + "/insights")
    for label in ("From", "to"):
        field = page.get_by_label(label, exact=True)
        assert field.evaluate("el => el.scrollWidth <= el.clientWidth && el.clientWidth >= 120"), label
    trend = page.get_by_role("region", name="Articles").locator('td[data-label="Trend"]').first
    box = trend.bounding_box()  # the last column: on screen, not past the table's right edge
    assert box["x"] + box["width"] <= PHONE["width"]
    for chrome in ("#contact", ".language-switcher", ".header-contact"):
        expect(page.locator(chrome)).to_have_count(0)
