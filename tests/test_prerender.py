"""Pages rendered once and kept, ahead in gunicorn's master or by a worker: shoppers get them without a render."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from kb import fragments, shared_pages
from kb.extensions import db
from kb.pageviews import PageView, flush_views
from kb.prerender import prerender
from tests.test_feedback import Shopper

BASE = "https://help.example"


@pytest.fixture
def renders(monkeypatch):
    """The pages rendered from their template from now on (a page served from its kept copy is not)."""
    rendered = []
    render = shared_pages.render_template

    def counting(template, **context):
        rendered.append(context.get("article").slug if context.get("article") else template)
        return render(template, **context)

    monkeypatch.setattr(shared_pages, "render_template", counting)
    return rendered


def test_pages_rendered_ahead_are_served_complete_without_rendering_them(make_app, renders):
    app = make_app(KB_BASE_URL=BASE)
    assert prerender(app) == 8  # in English and German: home and 2 topics; then the 2 articles
    renders.clear()
    client, other = app.test_client(), app.test_client()
    page = client.get("/articles/track-your-order", base_url=BASE).get_data(as_text=True)
    assert "Track your order" in page and "Your tracking link arrives by email." in page
    assert shared_pages.TOKEN_MARK not in page and shared_pages.CHANNELS_MARK not in page  # written in
    assert "Contact us" in page and "Was this helpful?" in page
    assert other.get("/", base_url=BASE).status_code == 200
    assert renders == []


def test_reads_made_ahead_are_not_counted_as_views(make_app):
    app = make_app(KB_BASE_URL=BASE)
    prerender(app)
    with app.test_request_context():
        flush_views()
        assert db.session.execute(sa.select(sa.func.count()).select_from(PageView)).scalar_one() == 0


def test_pages_a_worker_does_not_keep_are_read_from_the_masters_file(make_app, renders, monkeypatch):
    monkeypatch.setitem(fragments.ENTRIES_PER_SLOT, "page", 2)  # as with thousands of articles
    app = make_app(KB_BASE_URL=BASE)
    assert prerender(app) == 8
    renders.clear()
    client = app.test_client()
    for _ in range(2):
        for path in ("/articles/track-your-order", "/articles/start-a-return", "/", "/de/"):
            assert client.get(path, base_url=BASE).status_code == 200
    assert "Start a return" in client.get("/articles/start-a-return", base_url=BASE).get_data(as_text=True)
    assert renders == []


def test_a_page_whose_helpful_count_changed_is_rendered_again(make_app, renders):
    app = make_app(KB_BASE_URL="http://localhost", KB_FEEDBACK_MIN_VOTES=1)
    prerender(app)
    assert "found this helpful" not in Shopper(app).read()
    Shopper(app, "192.0.2.1").vote("yes")
    renders.clear()
    assert "100% of 1 shopper found this helpful" in Shopper(app).read()
    assert renders == ["track-your-order"]


def test_nothing_is_rendered_ahead_without_the_sites_address(make_app, renders):
    app = make_app()
    assert prerender(app) == 0
    assert app.test_client().get("/articles/track-your-order").status_code == 200
    assert renders == ["track-your-order"]


def test_as_many_results_pages_are_kept_as_the_slot_holds(client, renders, monkeypatch):
    monkeypatch.setitem(fragments.ENTRIES_PER_SLOT, "search", 3)
    queries = ["parcel", "return", "tracking link"]
    for _ in range(2):
        for query in queries:
            assert client.get("/search", query_string={"q": query}).status_code == 200
    assert renders == ["search.html"] * 3  # the second round is served from the kept pages
