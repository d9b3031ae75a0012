"""An editor in Chromium: logs in, reads the charts, downloads a CSV."""
from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from tests.chromium import browser, page, serve  # noqa: F401  (fixtures; skip without Chromium)
from tests.test_feedback import Shopper
from tests.test_insights import PASSWORD, WRONG_PASSWORD


def log_in(page, base: str, password: str = PASSWORD) -> None:
    """What an editor does: open /insights, land on the login, type the password."""
    page.goto(base + "/insights")
    page.get_by_label("Editors’ password").fill(password)
    page.get_by_role("button", name="Log in").click()


def shoppers_were_here(app) -> None:
    """A few votes, reads and searches, made through the site."""
    for n, answer in enumerate(["yes", "yes", "no"]):
        Shopper(app, f"192.0.2.{n}").vote(answer)
    client = app.test_client()
    for query in ["parcel", "kayak rental", "kayak rental"]:
        client.get("/search", query_string={"q": query})


@pytest.fixture
def editors_app(make_app):
    app = make_app(KB_EDITOR_PASSWORD=PASSWORD)
    shoppers_were_here(app)
    return app


def test_editor_logs_in_sees_the_charts_and_downloads_the_content_gaps(page, serve, editors_app, tmp_path):
    base = serve(editors_app)
    log_in(page, base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")
    chart = page.get_by_role("img", name=re.compile(r"^Searches per day, the last 30 days: 3 in all"))
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 200
    expect(page.get_by_role("img", name=re.compile(r"^Helpful share of votes per day"))).to_be_visible()
    gaps = page.get_by_role("region", name="Content gaps: searches with no result")
    with page.expect_download() as download:
        gaps.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("content-gaps-")
    exported = list(csv.reader(saved.open(encoding="utf-8-sig")))
    assert [row[:2] for row in exported] == [["Query", "Searches"], ["kayak rental", "2"]]


def test_wrong_password_keeps_the_editor_on_the_login_with_a_message(page, serve, editors_app):
    log_in(page, serve(editors_app), "not it")
    expect(page.get_by_role("alert")).to_have_text(WRONG_PASSWORD)
    expect(page.get_by_label("Editors’ password")).to_be_visible()
