"""Structured data as Chromium sees it: readable, and allowed by the Content Security Policy."""
from __future__ import annotations

from tests.chromium import browser, live_server, page, serve  # noqa: F401  (fixtures; skip without Chromium)


def test_structured_data_is_read_as_data_and_breaks_no_policy(page, live_server):
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(live_server + "/articles/track-your-order")
    types = page.evaluate("""() => JSON.parse(
        document.querySelector('script[type="application/ld+json"]').textContent)['@graph'].map(n => n['@type'])""")
    assert types == ["Article", "BreadcrumbList"]
    page.wait_for_load_state("networkidle")
    assert not [m for m in messages if "Content Security Policy" in m]
