"""Support agents link to sections: copy buttons, permanent addresses, the section arrived at."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kb.content import load_library
from tests.chromium import browser, live_server, page, serve  # noqa: F401  (fixtures; skip without Chromium)

STATUSES = "What the statuses mean"


@pytest.fixture
def numbered(content, make_app):
    """The tracking article with a permanent number, as editors give it."""
    content.article("track-your-order", "Track your order", """
        Your tracking link arrives by email.

        ## Where is my tracking link? {#tracking-link}

        In the dispatch email.

        ## What the statuses mean

        Dispatched means it is on its way.
        """, summary="Find out where your parcel is.", id=1042)
    return make_app()


@pytest.fixture
def agent_page(browser):
    """A page whose clipboard can be read back, as an agent's browser after allowing it."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    yield context.new_page()
    context.close()


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def announced(page):
    """What screen readers hear from the article's live region."""
    return page.get_by_role("main").get_by_role("status")


# ---------------------------------------------------------------- permanent addresses

def test_permanent_address_redirects_permanently_to_the_article(numbered):
    response = numbered.test_client().get("/a/1042")
    assert response.status_code == 301
    assert response.headers["Location"] == "/articles/track-your-order"


def test_permanent_address_keeps_working_after_a_rename_and_a_move(content, make_app, numbered):
    (content.root / "orders-and-shipping" / "track-your-order.md").unlink()
    content.article("where-is-my-parcel", "Where is my parcel", category="returns-and-refunds", id=1042)
    response = make_app().test_client().get("/a/1042")
    assert response.status_code == 301
    assert response.headers["Location"] == "/articles/where-is-my-parcel"


def test_unknown_or_draft_permanent_address_is_the_friendly_not_found_page(content, make_app):
    content.article("secret-sale", "Secret sale", draft="true", id=7)
    client = make_app().test_client()
    for path in ("/a/7", "/a/999"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Sorry, we can’t find that page" in response.get_data(as_text=True)


def test_article_page_names_its_permanent_address(numbered):
    page = numbered.test_client().get("/articles/track-your-order").get_data(as_text=True)
    assert '<link rel="shortlink" href="http://localhost/a/1042">' in page


def test_duplicate_id_is_reported_and_the_number_keeps_leading_to_the_first_article(content, make_app):
    content.article("track-your-order", "Track your order", id=1042)
    content.article("start-a-return", "Start a return", category="returns-and-refunds", id=1042)
    library = load_library(content.root)
    assert [str(p) for p in library.problems] == [
        "articles/returns-and-refunds/start-a-return.md: error: duplicate id 1042: "
        "articles/orders-and-shipping/track-your-order.md already uses it; "
        "give this article a number no other article has"]
    assert library.articles["start-a-return"].id is None
    assert make_app().test_client().get("/a/1042").headers["Location"] == "/articles/track-your-order"


def test_two_sections_with_one_anchor_are_reported(content):
    content.article("sizes", "Sizes", """
        ## Jackets {#chart}

        Chest sizes.

        ## Boots {#chart}

        Foot lengths.
        """)
    library = load_library(content.root)
    assert [str(p) for p in library.problems] == [
        "articles/orders-and-shipping/sizes.md: error: the sections 'Jackets' and 'Boots' share the anchor "
        "'#chart': give one a different {#anchor}"]
    assert "sizes" in library.articles


def test_check_command_fails_on_a_duplicate_id(content, make_app):
    content.article("track-your-order", "Track your order", id=5)
    content.article("start-a-return", "Start a return", category="returns-and-refunds", id=5)
    result = make_app().test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "duplicate id 5" in result.output


# ---------------------------------------------------------------- in the browser

def test_agent_copies_a_section_link_with_the_keyboard(agent_page, numbered, serve):
    address = serve(numbered)
    agent_page.goto(address + "/articles/track-your-order")
    agent_page.get_by_role("button", name=f"Copy link to “{STATUSES}”").focus()
    agent_page.keyboard.press("Enter")
    expect(announced(agent_page)).to_have_text(f"Link to “{STATUSES}” copied")
    assert clipboard(agent_page) == address + "/a/1042#what-the-statuses-mean"


def test_agent_copies_a_section_as_markdown(agent_page, numbered, serve):
    address = serve(numbered)
    agent_page.goto(address + "/articles/track-your-order")
    agent_page.get_by_role("button", name="Copy Markdown link to “Where is my tracking link?”").click()
    expect(announced(agent_page)).to_have_text("Markdown link to “Where is my tracking link?” copied")
    assert clipboard(agent_page) == (
        f"[Track your order — Where is my tracking link?]({address}/a/1042#tracking-link)")


def test_article_without_a_number_copies_its_canonical_address(agent_page, live_server):
    agent_page.goto(live_server + "/articles/track-your-order")
    agent_page.get_by_role("button", name=f"Copy link to “{STATUSES}”").click()
    expect(announced(agent_page)).to_contain_text("copied")
    assert clipboard(agent_page) == live_server + "/articles/track-your-order#what-the-statuses-mean"


def test_copy_still_works_in_a_browser_without_the_clipboard_api(agent_page, numbered, serve):
    address = serve(numbered)
    agent_page.add_init_script("delete Navigator.prototype.clipboard")
    agent_page.goto(address + "/articles/track-your-order")
    agent_page.get_by_role("button", name=f"Copy link to “{STATUSES}”").click()
    expect(announced(agent_page)).to_have_text(f"Link to “{STATUSES}” copied")
    reader = agent_page.context.new_page()
    reader.goto(address + "/")
    assert clipboard(reader) == address + "/a/1042#what-the-statuses-mean"


def test_every_section_heading_has_both_copy_buttons(page, live_server):
    page.goto(live_server + "/articles/track-your-order")
    for heading in ("h2#tracking-link", "h2#what-the-statuses-mean"):
        buttons = page.locator(f"{heading} .section-tools button")
        expect(buttons).to_have_text(["Copy link", "Copy Markdown"])


def test_pasted_permanent_link_lands_on_the_highlighted_section(page, numbered, serve):
    address = serve(numbered)
    page.set_viewport_size({"width": 800, "height": 400})
    page.goto(address + "/a/1042#what-the-statuses-mean")
    assert page.url == address + "/articles/track-your-order#what-the-statuses-mean"
    target = page.locator("h2#what-the-statuses-mean")
    expect(target).to_be_in_viewport()
    other = page.locator("h2#tracking-link")
    style = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).boxShadow]"
    target_background, target_bar = target.evaluate(style)
    other_background, other_bar = other.evaluate(style)
    assert target_background != other_background
    assert "inset" in target_bar and other_bar == "none"


# ---------------------------------------------------------------- agent search (/search?view=agent)

def test_agent_search_offers_copy_buttons_for_each_result_and_its_matching_section(numbered):
    page = numbered.test_client().get("/search?q=dispatch+email&view=agent").get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in page
    assert 'data-copy-url="http://localhost/a/1042" data-copy-format="link"' in page
    assert 'data-copy-url="http://localhost/a/1042#tracking-link" data-copy-format="markdown" ' \
           'data-copy-title="Track your order — Where is my tracking link?"' in page
    assert '<input type="hidden" name="view" value="agent">' in page


def test_agent_finds_and_copies_a_section_without_the_mouse(agent_page, numbered, serve):
    address = serve(numbered)
    agent_page.goto(address + "/search?view=agent")
    agent_page.keyboard.press("/")
    expect(agent_page.get_by_label("Find an answer to paste into a reply")).to_be_focused()
    agent_page.keyboard.type("dispatch email")
    agent_page.keyboard.press("Enter")
    expect(agent_page.locator("h1")).to_have_text("Agent search: “dispatch email”")
    agent_page.keyboard.press("ArrowDown")
    expect(agent_page.get_by_role("link", name="Track your order")).to_be_focused()
    agent_page.keyboard.press("c")
    expect(announced(agent_page)).to_have_text("Link to “Track your order” copied")
    assert clipboard(agent_page) == address + "/a/1042"
    agent_page.keyboard.press("ArrowDown")
    expect(agent_page.get_by_role("link", name="Where is my tracking link?")).to_be_focused()
    agent_page.keyboard.press("m")
    expect(announced(agent_page)).to_have_text("Markdown link to “Where is my tracking link?” copied")
    assert clipboard(agent_page) == f"[Track your order — Where is my tracking link?]({address}/a/1042#tracking-link)"
    agent_page.keyboard.press("ArrowUp")
    agent_page.keyboard.press("ArrowUp")
    expect(agent_page.get_by_label("Find an answer to paste into a reply")).to_be_focused()


def test_typing_c_in_the_agent_search_box_types_it(agent_page, live_server):
    agent_page.goto(live_server + "/search?view=agent")
    agent_page.keyboard.press("/")
    agent_page.keyboard.type("cm/")
    expect(agent_page.get_by_label("Find an answer to paste into a reply")).to_have_value("cm/")
