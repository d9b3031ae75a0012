"""The help widget in real Chromium, on a shop that is not ours: another origin, hostile CSS and scripts, strict CSP.

The shop (``tests/storefront/``) resets every element, hides every div,
restyles every button, and has broken ``Array.prototype.map`` and ``fetch``
before the widget runs; its Content-Security-Policy allows the help center
exactly as the README tells a shop to, and no inline style or script.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from werkzeug.wrappers import Request, Response

from tests.chromium import browser, page, serve  # noqa: F401  (fixtures; skip without Chromium)
from tests.test_accessibility import blocking_violations
from tests.test_languages import german  # noqa: F401  (the German content fixture)

STOREFRONT = Path(__file__).parent / "storefront"
# path: (the page's lang, its title, the widget's data- settings)
SHOP_PAGES = {
    "/products/oak-table": ("en", "Oak table", ""),
    "/checkout": ("en", "Checkout", ""),
    "/de/produkte/eichentisch": ("de", "Eichentisch", ""),
    "/p/4711": ("en", "Oak table", ' data-lang="de-AT" data-path="/checkout" data-position="left" '
                                   'data-color="rebeccapurple"'),
}
WIDGET_YML = """\
/checkout*: [start-a-return]
/products/*: [track-your-order, start-a-return]
/de/produkte/*: [track-your-order]
"""
NONCE = "a2b-shop-4711"
HOTPINK = "rgb(255, 105, 180)"
ACCENT = "rgb(30, 91, 63)"
# axe-core itself calls Array.prototype.map: the test, not the widget, takes a working one from a fresh frame.
REPAIR_MAP = """() => {
  const frame = document.createElement("iframe");
  document.body.appendChild(frame);
  Array.prototype.map = frame.contentWindow.Array.prototype.map;
  frame.remove();
}"""


def shop_policy(help_center: str) -> str:
    """The shop's own strict policy, plus exactly the directives the README asks a shop to add."""
    return "; ".join([
        "default-src 'self'", f"script-src 'self' {help_center}", f"connect-src 'self' {help_center}",
        f"img-src 'self' {help_center}", "style-src 'self'", "object-src 'none'", "base-uri 'none'",
        "require-trusted-types-for 'script'", "trusted-types kb-help",
    ])


def nonce_policy(help_center: str) -> str:
    """A shop's policy built on a nonce ('strict-dynamic'): the tag carries the nonce, the help center is only
    a connect-src."""
    return "; ".join([f"script-src 'nonce-{NONCE}' 'strict-dynamic'", f"connect-src 'self' {help_center}",
                      "style-src 'self'", "object-src 'none'", "base-uri 'none'"])


def storefront(addresses: dict):
    """The shop: a few pages in English and German, its hostile stylesheet and script, all under its CSP.

    ``?csp=nonce`` serves a page under a nonce-based policy instead of one listing the help center.
    """
    @Request.application
    def shop(request: Request) -> Response:
        help_center = addresses["help_center"]
        nonced = request.args.get("csp") == "nonce"
        if request.path in ("/hostile.css", "/hostile.js"):
            response = Response((STOREFRONT / request.path.lstrip("/")).read_bytes(),
                                mimetype="text/css" if request.path.endswith(".css") else "text/javascript")
        elif request.path in SHOP_PAGES:
            lang, title, settings = SHOP_PAGES[request.path]
            page = (STOREFRONT / "page.html").read_text().format(
                lang=lang, title=title, help_center=help_center, settings=settings,
                nonce=f' nonce="{NONCE}"' if nonced else "")
            response = Response(page, mimetype="text/html")
        elif request.path == "/favicon.ico":
            response = Response(status=204)
        else:
            response = Response("Not found", status=404)
        response.headers["Content-Security-Policy"] = (nonce_policy if nonced else shop_policy)(help_center)
        return response
    return shop


@pytest.fixture
def shop(german, make_app, serve):  # noqa: F811
    german.write("widget.yml", WIDGET_YML)
    addresses = {}
    url = serve(storefront(addresses))
    addresses["help_center"] = serve(make_app(KB_CORS_ORIGINS=(url,)))
    return SimpleNamespace(url=url, help_center=addresses["help_center"])


@pytest.fixture
def watched(page):
    """The page, with what a shop's owner would look for in the console: script errors and CSP refusals."""
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
    return page


def open_panel(page, shop, path: str = "/products/oak-table", button: str = "Help"):
    page.goto(shop.url + path)
    page.get_by_role("button", name=button, exact=True).click()
    panel = page.get_by_role("dialog", name=button)
    expect(panel).to_be_visible()
    return panel


def screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"widget-{name}.png"
    page.screenshot(path=path)
    print(f"screenshot: {path}")
    return path


def test_a_shopper_searches_with_a_typo_reads_the_section_switches_to_german_and_reaches_the_contact_page(
        watched, shop, tmp_path):
    page = watched
    page.set_viewport_size({"width": 1280, "height": 800})
    panel = open_panel(page, shop)
    expect(panel.get_by_role("region", name="Suggested for this page").get_by_role("link")).to_have_text(
        ["Track your order", "Start a return"])
    box = panel.get_by_role("searchbox", name="Search the help center")
    expect(box).to_be_focused()
    box.press_sequentially("trackng link", delay=30)
    expect(panel.get_by_role("status")).to_have_text("Showing results for “tracking link”. 1 article found")
    screenshot(page, tmp_path, "1280-results")
    panel.get_by_role("link", name="Track your order › Where is my tracking link?").click()
    section = panel.get_by_role("heading", name="Where is my tracking link?")
    expect(section).to_be_focused()
    expect(panel.get_by_role("article").get_by_text("In the dispatch email.")).to_be_in_viewport()
    expect(panel.get_by_role("link", name="Open on the help center ↗")).to_have_attribute(
        "href", shop.help_center + "/articles/track-your-order")
    assert page.url == shop.url + "/products/oak-table"  # the shop's page stayed where it was
    screenshot(page, tmp_path, "1280-article")

    page.set_viewport_size({"width": 375, "height": 740})
    panel = open_panel(page, shop, "/de/produkte/eichentisch", button="Hilfe")
    expect(panel.get_by_role("region", name="Vorschläge für diese Seite").get_by_role("link")).to_have_text(
        ["Bestellung verfolgen"])
    panel.get_by_role("searchbox", name="Im Hilfecenter suchen").press_sequentially("Rücksendungen", delay=30)
    expect(panel.get_by_role("status")).to_have_text("1 Artikel gefunden")
    expect(panel.get_by_role("heading", name="Rufen Sie uns an")).to_be_visible()
    screenshot(page, tmp_path, "375-german")
    contact = panel.get_by_role("link", name="Schreiben Sie uns über die Kontaktseite des Hilfecenters")
    contact.scroll_into_view_if_needed()
    screenshot(page, tmp_path, "375-german-contact")
    with page.expect_popup() as opened:
        contact.click()
    expect(opened.value.get_by_role("heading", level=1)).to_be_visible()
    assert opened.value.url == shop.help_center + "/de/contact"
    assert page.problems == []


def test_keyboard_alone_opens_the_panel_keeps_focus_in_it_and_escape_returns_to_the_button(page, shop):
    page.goto(shop.url + "/checkout")
    launcher = page.get_by_role("button", name="Help", exact=True)
    expect(launcher).to_be_visible()
    for _ in range(10):
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el.getRootNode().activeElement === el"):
            break
    page.keyboard.press("Enter")
    box = page.get_by_role("searchbox", name="Search the help center")
    expect(box).to_be_focused()
    for _ in range(25):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.localName") == "kb-help"  # focus never reaches the shop
    box.focus()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Close help")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="Write to us on the help center’s contact page")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_the_shops_css_cannot_restyle_the_widget_nor_the_widget_the_shop(watched, shop):
    panel = open_panel(watched, shop, "/checkout")
    launcher = watched.get_by_role("button", name="Help", exact=True)
    assert launcher.evaluate("el => getComputedStyle(el).backgroundColor") == ACCENT
    assert panel.evaluate("el => getComputedStyle(el).display") == "flex"
    shop_button = watched.locator("main button")
    assert shop_button.evaluate("el => getComputedStyle(el).backgroundColor") == HOTPINK
    assert watched.evaluate("document.adoptedStyleSheets.length + '/' + document.styleSheets.length") == "0/1"
    assert watched.evaluate("document.body.lastElementChild.localName") == "kb-help"
    assert watched.problems == []


def test_a_shops_data_settings_choose_the_language_the_page_the_corner_and_the_colour(page, shop):
    panel = open_panel(page, shop, "/p/4711", button="Hilfe")
    expect(panel.get_by_role("region", name="Vorschläge für diese Seite").get_by_role("link")).to_have_text(
        ["Rücksendung starten"])
    launcher = page.get_by_role("button", name="Hilfe", exact=True)
    assert launcher.bounding_box()["x"] < 100
    assert panel.bounding_box()["x"] < 100
    assert launcher.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(102, 51, 153)"


def test_under_a_nonce_based_policy_the_widget_needs_its_nonce_and_connect_src_only(watched, shop):
    panel = open_panel(watched, shop, "/checkout?csp=nonce")
    panel.get_by_role("searchbox").press_sequentially("return", delay=30)
    expect(panel.get_by_role("status")).to_have_text("1 article found")
    assert watched.problems == []


def test_a_shop_missing_from_kb_cors_origins_gets_no_button_rather_than_one_that_opens_nothing(page, make_app,
                                                                                              serve):
    addresses = {}
    url = serve(storefront(addresses))
    addresses["help_center"] = serve(make_app())
    with page.expect_response(addresses["help_center"] + "/widget.js") as script:
        page.goto(url + "/checkout")
    assert script.value.ok  # the script ran, and found it may not read the help center's answers
    page.wait_for_load_state("networkidle")
    expect(page.locator("kb-help")).to_have_count(0)
    expect(page.get_by_role("heading", name="Checkout")).to_be_attached()


def test_the_widget_sets_no_cookie_and_asks_no_one_but_the_help_center(page, shop):
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    panel = open_panel(page, shop)
    panel.get_by_role("searchbox").press_sequentially("return", delay=30)
    panel.get_by_role("link", name="Start a return").first.click()
    expect(panel.get_by_role("heading", name="Start a return")).to_be_focused()
    assert {f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for url in asked} == {shop.url, shop.help_center}
    assert page.context.cookies() == []
    assert page.evaluate("document.cookie") == ""


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_serious_problem_in_the_open_panel(browser, shop, width, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    panel = open_panel(page, shop)
    panel.get_by_role("searchbox").press_sequentially("parcel", delay=30)
    expect(panel.get_by_role("status")).to_contain_text("found")
    page.evaluate(REPAIR_MAP)
    assert blocking_violations(page, {"include": [["kb-help"]]}) == []
    panel.get_by_role("link", name="Track your order").first.click()
    expect(panel.get_by_role("heading", name="Track your order")).to_be_focused()
    screenshot(page, tmp_path, f"{width}-axe-article")
    assert blocking_violations(page, {"include": [["kb-help"]]}) == []
    context.close()
