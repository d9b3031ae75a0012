"""A contact request in real Chromium: suggestions while typing, a photo attached, the visit carried along."""
from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect

from tests.chromium import browser, live_server, page, serve  # noqa: F401  (fixtures; skip without Chromium)
from tests.test_accessibility import blocking_violations
from tests.test_contact_requests import REFERENCE, app, deliver, mailbox, photo_with_location, webhook  # noqa: F401


def test_shopper_sends_a_request_with_a_photo_and_the_agent_gets_it_with_the_visit(page, live_server, app, mailbox,
                                                                                 tmp_path):
    page.goto(live_server + "/search?q=parcel")
    page.goto(live_server + "/articles/start-a-return")
    page.goto(live_server + "/contact")
    form = page.locator("#request-form")
    form.get_by_label("Your name").fill("Ada Shopper")
    form.get_by_label("Your e-mail address").fill("ada@example.com")
    form.get_by_label("Topic").select_option("returns-and-refunds")
    form.get_by_label("Your message").press_sequentially("How do I start a return?")
    expect(page.locator("#request-suggestions").get_by_role("link", name="Start a return")).to_be_visible()
    photo = tmp_path / "parcel.jpg"
    photo.write_bytes(photo_with_location())
    form.get_by_label("Photos or PDFs (optional, up to 3, 5 MB each)").set_input_files(str(photo))
    expect(form.get_by_label("Send the team what I looked at on this visit, so I need not repeat it")).to_be_checked()
    form.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", name="Sent")).to_be_visible()
    reference = REFERENCE.search(page.locator(".request-reference").inner_text()).group(0)
    deliver(app)
    [mail] = mailbox.to("help@shop.example")
    assert reference in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert '- searches: "parcel"' in body and "- read Start a return" in body
    [attachment] = list(mail.iter_attachments())
    assert not Image.open(io.BytesIO(attachment.get_content())).getexif()


def test_request_form_sends_without_javascript(browser, live_server, app):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/contact")
    form = page.locator("#request-form")
    form.get_by_label("Your name").fill("Ada Shopper")
    form.get_by_label("Your e-mail address").fill("ada@example.com")
    form.get_by_label("Your message").fill("Where is my parcel?")
    form.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Sent")).to_be_visible()
    assert REFERENCE.search(page.locator(".request-reference").inner_text())
    context.close()


def test_request_form_and_its_errors_pass_axe(page, live_server, app):
    page.goto(live_server + "/contact")
    assert blocking_violations(page) == []
    page.locator("#request-form").get_by_label("Your e-mail address").evaluate("input => input.type = 'text'")
    page.locator("#request-form").get_by_label("Your e-mail address").fill("not an address")
    page.locator("#request-form").evaluate("form => form.noValidate = true")
    page.locator("#request-form").get_by_role("button", name="Send").click()
    expect(page.get_by_text("“not an address” is not an e-mail address")).to_be_visible()
    assert blocking_violations(page) == []
