"""Pages rendered ahead in gunicorn's master: a worker's first shoppers get them without waiting for a render."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from kb import fragments, shared_pages
from kb.extensions import db
from kb.pageviews import PageView, flush_views
from kb.prerender import prerender

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


def test_only_articles_read_lately_are_rendered_ahead_when_not_all_fit(make_app, renders, monkeypatch):
    app = make_app(KB_BASE_URL=BASE)
    with app.app_context():
        db.session.add(PageView(article_slug="start-a-return", language="en",
                                day=dt.datetime.now(dt.timezone.utc).date(), views=40))
        db.session.commit()
    monkeypatch.setitem(fragments.ENTRIES_PER_SLOT, "page", 7)  # home and 2 topics in 2 languages, one article
    assert prerender(app) == 7
    renders.clear()
    client = app.test_client()
    client.get("/articles/start-a-return", base_url=BASE)
    client.get("/articles/track-your-order", base_url=BASE)
    assert renders == ["track-your-order"]


def test_nothing_is_rendered_ahead_without_the_sites_address(make_app, renders):
    app = make_app()
    assert prerender(app) == 0
    assert app.test_client().get("/articles/track-your-order").status_code == 200
    assert renders == ["track-your-order"]


def test_articles_nobody_read_lately_are_left_for_later_when_not_all_fit(make_app, monkeypatch):
    monkeypatch.setitem(fragments.ENTRIES_PER_SLOT, "page", 7)  # room for one of the two articles
    assert prerender(make_app(KB_BASE_URL=BASE)) == 6  # home and 2 topics in 2 languages; neither article read
