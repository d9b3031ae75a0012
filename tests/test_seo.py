"""What crawlers, feed readers and link previews read: sitemap, robots.txt, canonical URLs, schema.org, Atom."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from kb import ROOT

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://help.shop.example"


@pytest.fixture
def crawled(content, make_app):
    """A help center with dates, a draft and an undated article, behind its public address."""
    content.article("track-your-order", "Track your order", summary="Find out where your parcel is.",
                    updated="2026-10-14", id=1017)
    content.article("start-a-return", "Start a return", category="returns-and-refunds", updated="2026-11-02", id=1021)
    content.article("refund-times", "Refund times", category="returns-and-refunds")
    content.article("winter-sale", "Winter sale", draft="true", updated="2026-11-20", id=1099)
    return make_app(KB_BASE_URL=BASE).test_client()


def sitemap_entries(client) -> dict[str, str | None]:
    root = ET.fromstring(client.get("/sitemap.xml").data)
    return {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in root}


def json_ld(page: str) -> dict:
    [data] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return json.loads(data)


def graph_node(page: str, kind: str) -> dict:
    return next(node for node in json_ld(page)["@graph"] if node["@type"] == kind)


def head_links(page: str) -> dict[str, list[str]]:
    head = page.split("</head>")[0]
    found: dict[str, list[str]] = {}
    for rel, href in re.findall(r'<link rel="([^"]+)" (?:type="[^"]+" )?href="([^"]+)"', head):
        found.setdefault(rel, []).append(href)
    return found


def og(page: str) -> dict[str, str]:
    return dict(re.findall(r'<meta property="og:([a-z_]+)" content="([^"]*)">', page))


# ---------------------------------------------------------------- sitemap and robots

def test_sitemap_lists_home_categories_and_published_articles_with_their_dates(crawled):
    response = crawled.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    assert sitemap_entries(crawled) == {
        f"{BASE}/": None,
        f"{BASE}/categories/orders-and-shipping": "2026-10-14",
        f"{BASE}/categories/returns-and-refunds": "2026-11-02",
        f"{BASE}/articles/track-your-order": "2026-10-14",
        f"{BASE}/articles/start-a-return": "2026-11-02",
        f"{BASE}/articles/refund-times": None,
    }


def test_robots_txt_points_crawlers_to_the_sitemap_and_away_from_search_results(crawled):
    response = crawled.get("/robots.txt")
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /search" in lines and "Disallow: /api/" in lines
    assert f"Sitemap: {BASE}/sitemap.xml" in lines


def test_drafts_never_reach_crawlers_or_feed_readers(crawled):
    assert not any("winter-sale" in url for url in sitemap_entries(crawled))
    assert b"Winter sale" not in crawled.get("/feed.xml").data
    assert crawled.get("/articles/winter-sale").status_code == 404
    assert crawled.get("/a/1099").status_code == 404
    assert b"Winter sale" not in crawled.get("/categories/orders-and-shipping").data


# ---------------------------------------------------------------- canonical URLs and previews

def test_each_page_worth_indexing_names_one_canonical_address(crawled):
    for path, canonical in [
        ("/", f"{BASE}/"),
        ("/categories/returns-and-refunds?sort=new", f"{BASE}/categories/returns-and-refunds"),
        ("/articles/track-your-order?utm_source=email", f"{BASE}/articles/track-your-order"),
    ]:
        links = head_links(crawled.get(path).get_data(as_text=True))
        assert links["canonical"] == [canonical], path


def test_search_results_and_missing_pages_claim_no_canonical_address(crawled):
    for path in ("/search?q=parcel", "/articles/no-such-article", "/categories/nothing-here", "/nowhere"):
        assert "canonical" not in head_links(crawled.get(path).get_data(as_text=True)), path


def test_shared_article_link_previews_with_title_summary_and_address(crawled):
    page = crawled.get("/articles/track-your-order").get_data(as_text=True)
    assert og(page) == {
        "type": "article",
        "url": f"{BASE}/articles/track-your-order",
        "title": "Track your order",
        "description": "Find out where your parcel is.",
        "site_name": "Alder &amp; Pine Help Center",
    }


def test_category_link_previews_with_its_description(crawled):
    tags = og(crawled.get("/categories/orders-and-shipping").get_data(as_text=True))
    assert tags["title"] == "Orders and shipping"
    assert tags["description"] == "Delivery, tracking and changes to an order."


def test_without_a_base_url_absolute_addresses_use_the_requests_host(client):
    page = client.get("/articles/track-your-order", base_url="https://help.example.org").get_data(as_text=True)
    assert head_links(page)["canonical"] == ["https://help.example.org/articles/track-your-order"]


def test_every_page_links_the_feed(crawled):
    for path in ("/", "/articles/track-your-order", "/nowhere"):
        assert head_links(crawled.get(path).get_data(as_text=True))["alternate"] == ["/feed.xml"]


# ---------------------------------------------------------------- schema.org

def test_article_is_described_with_its_breadcrumb(crawled):
    page = crawled.get("/articles/start-a-return").get_data(as_text=True)
    article = graph_node(page, "Article")
    assert article["headline"] == "Start a return"
    assert article["url"] == article["mainEntityOfPage"] == f"{BASE}/articles/start-a-return"
    assert article["dateModified"] == "2026-11-02"
    assert article["articleSection"] == "Returns and refunds"
    crumbs = graph_node(page, "BreadcrumbList")["itemListElement"]
    assert [(c["position"], c["name"], c["item"]) for c in crumbs] == [
        (1, "Help center", f"{BASE}/"),
        (2, "Returns and refunds", f"{BASE}/categories/returns-and-refunds"),
        (3, "Start a return", f"{BASE}/articles/start-a-return"),
    ]
    assert "FAQPage" not in [node["@type"] for node in json_ld(page)["@graph"]]


def test_article_made_of_questions_is_described_as_an_faq(content, make_app):
    content.article("faq", "Questions", """
        Short answers.

        ## How much is delivery?

        £3.95, free over £50.

        ## Can I return a gift?

        Yes, with the gift receipt.

        ### From abroad

        Use the EU form.

        ## Opening hours

        Every day.
        """)
    page = make_app().test_client().get("/articles/faq").get_data(as_text=True)
    faq = graph_node(page, "FAQPage")
    assert [(q["name"], q["acceptedAnswer"]["text"]) for q in faq["mainEntity"]] == [
        ("How much is delivery?", "£3.95, free over £50."),
        ("Can I return a gift?", "Yes, with the gift receipt. From abroad Use the EU form."),
    ]


def test_article_with_one_question_among_other_sections_is_no_faq(client):
    page = client.get("/articles/track-your-order").get_data(as_text=True)
    assert [node["@type"] for node in json_ld(page)["@graph"]] == ["Article", "BreadcrumbList"]


def test_demo_frequently_asked_questions_are_an_faq_page(make_app):
    page = make_app(KB_CONTENT_DIR=str(ROOT / "articles")).test_client() \
        .get("/articles/frequently-asked-questions").get_data(as_text=True)
    questions = graph_node(page, "FAQPage")["mainEntity"]
    assert questions[0]["name"] == "How much does delivery cost?"
    assert questions[0]["acceptedAnswer"]["text"].startswith("UK standard delivery is £3.95")
    assert all(q["name"].endswith("?") for q in questions)


def test_a_title_with_a_closing_script_tag_stays_inside_the_data(content, make_app):
    content.article("tricky", "Returns </script><script>alert(1)</script>")
    page = make_app().test_client().get("/articles/tricky").get_data(as_text=True)
    assert page.count("</script>") == page.count("<script")
    assert graph_node(page, "Article")["headline"] == "Returns </script><script>alert(1)</script>"


# ---------------------------------------------------------------- Atom feed

def test_feed_lists_recently_updated_articles_newest_first(crawled):
    response = crawled.get("/feed.xml")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.findtext(f"{ATOM}updated") == "2026-11-02T00:00:00Z"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}/feed.xml"
    entries = [
        (e.findtext(f"{ATOM}title"), e.find(f"{ATOM}link").get("href"), e.findtext(f"{ATOM}id"),
         e.findtext(f"{ATOM}updated"))
        for e in feed.findall(f"{ATOM}entry")
    ]
    assert entries == [
        ("Start a return", f"{BASE}/articles/start-a-return", f"{BASE}/a/1021", "2026-11-02T00:00:00Z"),
        ("Track your order", f"{BASE}/articles/track-your-order", f"{BASE}/a/1017", "2026-10-14T00:00:00Z"),
    ]


def test_feed_keeps_only_the_twenty_most_recent(content, make_app):
    for day in range(1, 26):
        content.article(f"note-{day}", f"Note {day}", updated=f"2026-10-{day:02d}")
    feed = ET.fromstring(make_app().test_client().get("/feed.xml").data)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert len(titles) == 20
    assert titles[0] == "Note 25" and titles[-1] == "Note 6"
