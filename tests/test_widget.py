"""The help widget's server side: widget.yml as editors write it, what the API tells the widget, its files."""
from __future__ import annotations

import datetime as dt
import gzip
import re

import pytest

from kb import ROOT, contact_panel
from kb.widget.suggestions import Rule, Suggestions
from tests.test_languages import german  # noqa: F401  (the German content fixture)

SHOP = "https://shop.example"
BUDGET_BYTES = 20 * 1024

WIDGET_YML = """\
# what the widget suggests on the shop's pages
/checkout*: [start-a-return, track-your-order]
/products/*:
  - track-your-order
"""


@pytest.fixture
def widget_app(content, make_app):
    content.write("widget.yml", WIDGET_YML)
    return make_app(KB_CORS_ORIGINS=(SHOP,))


@pytest.fixture
def widget(widget_app):
    return widget_app.test_client()


def problems(runner) -> list[str]:
    return [line for line in runner.invoke(args=["check"]).output.splitlines() if "widget.yml" in line]


# ---------------------------------------------------------------- widget.yml

def test_the_first_pattern_matching_the_page_chooses_the_suggestions():
    rules = Suggestions((Rule("/checkout", ("a",)), Rule("/checkout*", ("b",)), Rule("/*", ("c",))))
    assert rules.for_path("/checkout") == ("a",)
    assert rules.for_path("/checkout/payment") == ("b",)
    assert rules.for_path("/products/oak-table") == ("c",)
    assert Suggestions((Rule("/products/*", ("a",)),)).for_path("/products") == ()


def test_a_dot_or_bracket_in_a_pattern_is_matched_as_written():
    assert Suggestions((Rule("/help.html", ("a",)),)).for_path("/helpxhtml") == ()
    assert Suggestions((Rule("/sale[1]*", ("a",)),)).for_path("/sale[1]/shoes") == ("a",)


@pytest.mark.parametrize("path, matches", [
    ("/shop/oak/reviews", True), ("/shop/reviews", True), ("/shop/oak/reviews/2", False), ("/shopreviews", False),
    ("/shop/a/reviews/b/reviews", True), ("/shop/" + "a" * 100_000, False),
])
def test_stars_stand_for_any_characters_between_the_parts_written(path, matches):
    assert Rule("/shop/*reviews", ("a",)).matches(path) is matches


def test_a_long_path_against_many_stars_is_answered_at_once():
    assert Rule("/*/*/*/*/*/*/*/*/x", ("a",)).matches("/" * 100_000) is False


def test_check_reports_an_unknown_slug_in_widget_yml_at_its_line_and_column(runner, content):
    content.write("widget.yml", "/checkout*: [start-a-return, track-your-ordr]\n")
    assert problems(runner) == [
        "articles/widget.yml:1:30: error: '/checkout*' suggests 'track-your-ordr', but no article has that slug "
        "(did you mean 'track-your-order'?)"]


def test_check_reports_patterns_that_cannot_match_a_path(runner, content):
    content.write("widget.yml", """\
        checkout: [start-a-return]
        /search?q=*: [start-a-return]
        /products/*: [start-a-return]
        /products/*: [track-your-order]
        """)
    assert problems(runner) == [
        "articles/widget.yml:1:1: error: bad pattern 'checkout': a pattern is a path on the shop, starting with '/', "
        "like /products/*",
        "articles/widget.yml:2:1: error: bad pattern '/search?q=*': '?' cannot be matched, since only the path is; "
        "write the path alone, with * for any characters",
        "articles/widget.yml:4:1: error: pattern '/products/*' is given twice: only the first one is used; "
        "merge the two lists"]


def test_check_warns_of_old_slugs_and_drafts_in_widget_yml(runner, content):
    content.article("winter-sale", "Winter sale", draft="true", aliases="[sale]")
    content.write("widget.yml", "/*: [sale, ]\n/basket: nothing-here\n")
    assert problems(runner) == [
        "articles/widget.yml:1:6: warning: 'sale' is an old slug of 'winter-sale': write 'winter-sale'",
        "articles/widget.yml:1:6: warning: 'winter-sale' is a draft, so the widget leaves it out",
        "articles/widget.yml:2:10: error: '/basket' suggests 'nothing-here', but no article has that slug"]


def test_check_reports_widget_yml_that_is_not_a_mapping_or_not_yaml(runner, content):
    content.write("widget.yml", "- /checkout\n")
    assert problems(runner) == ["articles/widget.yml:1:1: error: expected lines like "
                                "'/checkout*: [payment-methods, delivery-options-and-costs]'"]
    content.write("widget.yml", "/checkout*: [start-a-return\n")
    assert problems(runner) == ["articles/widget.yml:2:1: error: not valid YAML: expected ',' or ']', but got "
                                "'<stream end>'"]


def test_the_demo_content_suggests_articles_that_exist(runner):
    result = runner.invoke(args=["check", str(ROOT / "articles")])
    assert "widget.yml" not in result.output


# ---------------------------------------------------------------- what the API tells the widget

def test_a_checkout_page_gets_the_articles_widget_yml_names_in_order(widget):
    answer = widget.get("/api/v1/widget", query_string={"path": "/checkout/payment"}).json
    assert [a["slug"] for a in answer["suggested"]] == ["start-a-return", "track-your-order"]
    assert answer["suggested"][1]["sections"][0]["anchor"] == "tracking-link"
    assert answer["links"] == {"api": "http://localhost/api/v1", "home": "http://localhost/",
                               "contact": "http://localhost/contact"}


def test_a_page_no_pattern_matches_gets_the_featured_articles(widget):
    answer = widget.get("/api/v1/widget", query_string={"path": "/about-us"}).json
    assert [a["slug"] for a in answer["suggested"]] == ["track-your-order"]


def test_the_widget_is_told_which_channels_are_open_now(widget, monkeypatch):
    monkeypatch.setattr(contact_panel, "current_time", lambda: dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.timezone.utc))
    phone, email = widget.get("/api/v1/widget").json["contact"]
    assert phone == {"kind": "phone", "label": "Call us", "value": "0131 496 0123", "link": "tel:01314960123",
                     "response": "Usually answered within 3 minutes", "hours": ["Mon–Fri 09:00–18:00"],
                     "open": True, "status": "Open now — until 18:00", "links": []}
    assert (email["open"], email["status"]) == (None, None)


def test_a_german_page_gets_german_words_articles_and_channels(german, make_app):  # noqa: F811
    german.write("widget.yml", WIDGET_YML)
    client = make_app().test_client()
    answer = client.get("/api/v1/widget", query_string={"path": "/products/oak", "lang": "de"}).json
    assert answer["language"] == "de"
    assert answer["texts"]["open"] == "Hilfe"
    assert answer["texts"]["results_other"] == "{count} Artikel gefunden"
    assert [a["title"] for a in answer["suggested"]] == ["Bestellung verfolgen"]
    assert answer["contact"][0]["label"] == "Rufen Sie uns an"
    assert answer["links"]["api"] == "http://localhost/de/api/v1"
    assert answer["links"]["contact"] == "http://localhost/de/contact"


def test_a_language_the_help_center_does_not_speak_is_a_400_the_widget_falls_back_from(widget):
    response = widget.get("/api/v1/widget", query_string={"lang": "fr"})
    assert response.status_code == 400
    assert response.json["detail"] == "The help center is not served in 'fr'. Ask for one of: en, de."


# ---------------------------------------------------------------- the script and its stylesheet

@pytest.mark.parametrize("name, mimetype", [("widget.js", "text/javascript"), ("widget.css", "text/css")])
def test_widget_files_keep_a_fixed_address_cached_for_an_hour(widget, name, mimetype):
    response = widget.get(f"/{name}", headers={"Origin": SHOP})
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.cache_control.public and response.cache_control.max_age == 3600
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Set-Cookie" not in response.headers


def test_an_unlisted_shop_may_not_read_the_widgets_stylesheet(widget):
    response = widget.get("/widget.css", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_widget_weighs_less_than_20_kb_gzipped(capsys):
    sizes = {name: len(gzip.compress((ROOT / "static" / name).read_bytes(), 9)) for name in ("widget.js", "widget.css")}
    total = sum(sizes.values())
    with capsys.disabled():
        print(f"\nwidget gzipped: {sizes['widget.js']} B script + {sizes['widget.css']} B stylesheet = {total} B "
              f"({total / 1024:.1f} KB of {BUDGET_BYTES // 1024} KB)")
    assert total <= BUDGET_BYTES


def test_readme_documents_every_data_setting_of_the_widget():
    readme = (ROOT / "README.md").read_text()
    settings = set(re.findall(r'getAttribute\("(data-[a-z-]+)"\)', (ROOT / "static" / "widget.js").read_text()))
    assert settings and [s for s in sorted(settings) if f"`{s}`" not in readme] == []
