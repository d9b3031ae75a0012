"""HTTP caching: unchanged pages cost a 304, assets are cached for a year under changing names."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from kb import contact_panel
from kb.caching import ASSET_MAX_AGE

MONDAY_BEFORE_OPENING = dt.datetime(2026, 11, 23, 8, 59, tzinfo=dt.timezone.utc)  # the phone line opens at 09:00


@pytest.fixture
def clock(monkeypatch):
    """The moment the contact panel is computed for; set ``clock.now`` to move it."""
    class Clock:
        now = MONDAY_BEFORE_OPENING
    monkeypatch.setattr(contact_panel, "current_time", lambda: Clock.now)
    return Clock


def asset_links(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"#]+)', page)


@pytest.mark.parametrize("path", ["/articles/track-your-order", "/categories/orders-and-shipping"])
def test_unchanged_page_is_answered_with_an_empty_304(client, clock, path):
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_page_changes_its_etag_when_the_contact_panel_opens(client, clock):
    closed = client.get("/articles/track-your-order")
    assert "Closed — opens today 09:00" in closed.get_data(as_text=True)
    clock.now = MONDAY_BEFORE_OPENING + dt.timedelta(minutes=1)
    opened = client.get("/articles/track-your-order", headers={"If-None-Match": closed.headers["ETag"]})
    assert opened.status_code == 200
    assert "Open now — until 18:00" in opened.get_data(as_text=True)
    assert opened.headers["ETag"] != closed.headers["ETag"]


def test_page_changes_its_etag_when_the_article_is_edited(content, make_app, clock):
    before = make_app().test_client().get("/articles/track-your-order")
    content.article("track-your-order", "Track your order", "The courier emails you a link.")
    after = make_app().test_client().get("/articles/track-your-order",
                                         headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert "The courier emails you a link." in after.get_data(as_text=True)


def test_last_modified_is_the_articles_updated_date(content, make_app):
    content.article("track-your-order", "Track your order", updated="2026-10-14")
    client = make_app().test_client()
    assert client.get("/articles/track-your-order").headers["Last-Modified"] == "Wed, 14 Oct 2026 00:00:00 GMT"
    assert client.get("/categories/orders-and-shipping").headers["Last-Modified"] == "Wed, 14 Oct 2026 00:00:00 GMT"


def test_if_modified_since_alone_gets_the_whole_page_because_opening_status_has_no_date(content, make_app):
    content.article("track-your-order", "Track your order", updated="2026-10-14")
    response = make_app().test_client().get("/articles/track-your-order",
                                            headers={"If-Modified-Since": "Thu, 15 Oct 2026 00:00:00 GMT"})
    assert response.status_code == 200
    assert "Talk to a person" in response.get_data(as_text=True)


def test_error_pages_are_not_given_validators(client):
    response = client.get("/articles/no-such-article")
    assert response.status_code == 404
    assert "ETag" not in response.headers


def test_static_assets_are_linked_with_their_content_hash_and_cached_for_a_year(client):
    ours = ("/static/kb.css?", "/static/copy.js?", "/static/article.js?", "/static/icons.svg?", "/static/favicon.svg?")
    links = [link for link in asset_links(client.get("/articles/track-your-order").get_data(as_text=True))
             if link.startswith(ours)]
    assert {link.split("?")[0] + "?" for link in links} == set(ours)
    for link in links:
        assert re.search(r"\?v=[0-9a-f]{12}$", link), link
        response = client.get(link)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == f"public, max-age={ASSET_MAX_AGE}, immutable"


def test_asset_asked_for_with_an_old_hash_is_not_cached_for_long(client):
    response = client.get("/static/kb.css?v=000000000000")
    assert response.status_code == 200
    assert "max-age" not in response.headers["Cache-Control"]


def test_deployed_edit_of_an_asset_gets_a_new_address(make_app, tmp_path):
    stylesheet = tmp_path / "static" / "kb.css"
    stylesheet.parent.mkdir()
    stylesheet.write_text("body { color: black; }")

    def deploy():
        app = make_app()
        app.static_folder = str(tmp_path / "static")
        return app.test_client()

    before = asset_links(deploy().get("/").get_data(as_text=True))
    stylesheet.write_text("body { color: navy; }")
    client = deploy()
    after = asset_links(client.get("/").get_data(as_text=True))
    [old] = [link for link in before if link.startswith("/static/kb.css")]
    [new] = [link for link in after if link.startswith("/static/kb.css")]
    assert old != new
    assert client.get(new).headers["Cache-Control"].endswith("immutable")
    assert "max-age" not in client.get(old).headers["Cache-Control"]
