"""The contact panel every page shows: how to reach a person, and whether they are there now.

Its channels ("Open now — until 18:00") change at most once a minute, so
they are rendered once a minute per language and kept. Whole kept pages
(``kb.shared_pages``) hold a mark where the channels go and get this
minute's written in, so a page is not rendered again every minute.
"""
from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, render_template
from markupsafe import Markup, escape

from kb.contact import opening_hours_text
from kb.fragments import kept
from kb.languages import current_language, library_for


def current_time() -> dt.datetime:
    """The moment the contact panel is computed for; tests replace it to freeze time."""
    return dt.datetime.now(dt.timezone.utc)


def channels() -> Markup:
    """The channels with this minute's opening status, in the language served."""
    now = current_time()
    return kept(current_app.jinja_env, "contact", (current_language(),), lambda: _render(now),
                version=int(now.timestamp() // 60))


def _render(now: dt.datetime) -> Markup:
    lib = library_for() if "kb.library" in current_app.extensions else None
    contact = lib.contact if lib else None  # a language may have its own labels, numbers and hours
    return Markup(render_template("_contact_channels.html", channels=contact.panel(now) if contact else []))


def address_breaks(value: str) -> Markup:
    """``value`` allowed to wrap after its "@" only: a narrow card shows "help@" over "alderandpine.example",
    never "help@alderandpine.exa" over "mple" (a word is broken only when it is wider than the card)."""
    return Markup("@<wbr>").join(escape(value).split("@"))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["contact_channels"] = channels
    app.jinja_env.filters["address_breaks"] = address_breaks
    app.jinja_env.globals["opening_hours"] = opening_hours_text
