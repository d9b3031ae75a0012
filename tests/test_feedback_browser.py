"""'Was this helpful?' in real Chromium, with and without JavaScript."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.chromium import browser, live_server, page, serve  # noqa: F401  (fixtures; skip without Chromium)

HOSTILE = "<img src=x onerror=alert(1)>"


def test_no_vote_with_reason_and_hostile_comment_is_thanked_and_remembered(page, live_server):
    page.goto(live_server + "/articles/track-your-order")
    feedback = page.locator("#feedback")
    feedback.get_by_role("button", name="No").click()
    expect(feedback.get_by_role("status")).to_have_text(
        "Thanks for telling us. What went wrong? Tell us below, or talk to a person.")
    expect(page.locator("#contact")).to_have_class("contact-panel contact-prominent")
    feedback.get_by_label("It’s out of date").check()
    comment = feedback.get_by_label("Anything else we should know? (optional)")
    comment.fill(HOSTILE)
    expect(feedback.get_by_text("972 characters left")).to_be_visible()
    feedback.get_by_role("button", name="Send feedback").click()
    expect(feedback.get_by_role("status")).to_have_text("Thanks, your feedback helps us improve this article.")

    page.reload()
    expect(feedback.get_by_role("button", name="No")).to_have_attribute("aria-pressed", "true")
    expect(feedback.get_by_label("It’s out of date")).to_be_checked()
    expect(comment).to_have_value(HOSTILE)
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('#feedback img').length") == 0


def test_vote_without_javascript_comes_back_with_thanks(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/articles/start-a-return")
    page.locator("#feedback").get_by_role("button", name="Yes").click()
    # Reading set no cookie, so the first vote comes back to be confirmed.
    expect(page.get_by_role("heading", name="Send your feedback?")).to_be_visible()
    page.get_by_role("button", name="Send my feedback").click()
    assert page.url.endswith("/articles/start-a-return#feedback")
    expect(page.locator("#feedback").get_by_role("status")).to_have_text("Thanks for your feedback!")
    expect(page.locator("#feedback").get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")
    page.locator("#feedback").get_by_role("button", name="No").click()  # the second vote needs no confirming
    expect(page.locator("#feedback").get_by_role("status")).to_have_text(
        "Thanks for telling us. What went wrong? Tell us below, or talk to a person.")
    context.close()
