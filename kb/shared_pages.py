"""Whole pages kept rendered, because nearly every visitor is sent the same bytes.

The home page, a category or an article differs between two visitors only in
what is theirs: a message waiting for them (a flash), their own vote, and the
feedback form's CSRF token (empty for a visitor who has no session yet:
reading sets no cookie). For everyone else a page is rendered once per
version (the caller's: the minute, which moves the contact panel's "Open
now", and for an article the helpfulness line) and kept; a request then only
writes its own form token into the kept page. Rendering an article's layout,
forms and structured data took most of a millisecond; the copy takes
microseconds, so a page costs little more than the framework around it.
"""
from __future__ import annotations

import secrets

from flask import current_app, render_template, request, session

from kb.feedback.visitors import form_token
from kb.fragments import kept
from kb.languages import current_language

# Rendered where the form token goes; random, so no article can contain it by chance.
TOKEN_MARK = f"kb-form-token-{secrets.token_hex(12)}"


def render_shared(template: str, version: tuple, **context) -> str:
    """``render_template(template, **context)``, from the kept page when the visitor has nothing of their own.

    ``version`` must change whenever the page would: the context must not
    hold anything about this visitor (the caller renders those pages itself).
    """
    if session.get("_flashes"):
        return render_template(template, **context)
    # The language is in the key: the home page at "/" answers in the browser's language.
    page = kept(current_app.jinja_env, "page", (template, request.scheme, request.host, request.path,
                                                current_language()),
                lambda: render_template(template, form_token=TOKEN_MARK, **context), version)
    return page.replace(TOKEN_MARK, form_token()) if TOKEN_MARK in page else page
