"""Whole pages kept rendered, because nearly every visitor is sent the same bytes.

The home page, a category or an article differs between two visitors only in
what is theirs: a message waiting for them (a flash), their own vote, and the
feedback form's CSRF token (empty for a visitor who has no session yet:
reading sets no cookie). For everyone else a page is rendered once per
version (the caller's: for an article, the helpfulness line), or read from
the pages gunicorn's master rendered for every worker (``kb.prerender``),
and kept; a request then only writes in what changes under a kept page:
its own form token and the contact panel's channels of this minute ("Open
now"), kept apart (``kb.contact_panel``). Rendering an article's layout, forms and
structured data took most of a millisecond; the copy takes microseconds, so
a page costs little more than the framework around it.
"""
from __future__ import annotations

import secrets

from flask import current_app, render_template, request, session
from markupsafe import Markup

from kb import contact_panel
from kb.feedback.visitors import form_token
from kb.fragments import kept
from kb.languages import current_language
from kb.prerender import pages_ahead

# Rendered where the form token and the contact channels go; random, so no article can contain them by chance.
TOKEN_MARK = f"kb-form-token-{secrets.token_hex(12)}"
CHANNELS_MARK = Markup(f"kb-contact-channels-{secrets.token_hex(12)}")


def render_shared(template: str, version: tuple, *, variant: tuple = (), slot: str = "page", **context) -> str:
    """``render_template(template, **context)``, from the kept page when the visitor has nothing of their own.

    ``version`` must change whenever the page would: the context must not
    hold anything about this visitor (the caller renders those pages itself).
    A page is kept per address path; ``variant`` tells apart the pages one
    path serves (a search's words and filters), so that other query
    parameters (a campaign's tags) do not each make a copy. ``slot`` keeps
    a kind of page apart (see ``kb.fragments.ENTRIES_PER_SLOT``): reading
    many articles must not push the searches out.
    """
    if session.get("_flashes"):
        return render_template(template, **context)
    # The language is in the key: the home page at "/" answers in the browser's language.
    key = (template, request.scheme, request.host, request.path, current_language(), *variant)

    def render() -> str:
        return render_template(template, form_token=TOKEN_MARK, contact_channels=lambda: CHANNELS_MARK, **context)

    # Not kept by this worker: read from the pages the master rendered ahead (kb.prerender), else rendered.
    page = kept(current_app.jinja_env, slot, key, lambda: pages_ahead(current_app).page(key, version, render),
                version)
    if TOKEN_MARK in page:
        page = page.replace(TOKEN_MARK, form_token())
    return page.replace(CHANNELS_MARK, contact_panel.channels())
