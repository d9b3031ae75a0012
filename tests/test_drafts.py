"""Drafts: invisible to shoppers everywhere; editors preview them with KB_SHOW_DRAFTS."""
from __future__ import annotations

import pytest

BANNER = ('<p class="draft-banner" role="status"><strong>Draft</strong> · shoppers cannot see this article: '
          "it is shown because KB_SHOW_DRAFTS is on.</p>")


@pytest.fixture
def with_draft(content):
    content.article("winter-sale", "Winter sale", "Everything in the winter sale is half price.", draft="true",
                    updated="2026-11-20")
    return content


@pytest.mark.parametrize("show_drafts", [False, True])
def test_draft_is_in_no_list_search_sitemap_or_feed(with_draft, make_app, show_drafts):
    client = make_app(KB_SHOW_DRAFTS=show_drafts).test_client()
    for path in ("/", "/categories/orders-and-shipping", "/search?q=winter+sale", "/sitemap.xml", "/feed.xml"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "winter-sale" not in response.get_data(as_text=True), path
        assert "Winter sale" not in response.get_data(as_text=True), path


def test_draft_is_not_found_for_shoppers(with_draft, client):
    assert client.get("/articles/winter-sale").status_code == 404


def test_draft_preview_shows_the_article_under_a_draft_banner(with_draft, make_app):
    response = make_app(KB_SHOW_DRAFTS=True).test_client().get("/articles/winter-sale")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert BANNER in page
    assert '<meta name="robots" content="noindex">' in page
    assert "Everything in the winter sale is half price." in page


def test_published_article_has_no_draft_banner_in_preview(make_app):
    page = make_app(KB_SHOW_DRAFTS=True).test_client().get("/articles/track-your-order").get_data(as_text=True)
    assert "draft-banner" not in page
