"""The widget's script and stylesheet, at fixed addresses a shop puts in its pages, and what the API tells it.

A shop embeds ``/widget.js`` once and never changes the tag, so the files
keep their addresses (no fingerprint) and are cached for an hour. The
script fetches its stylesheet (``/widget.css``) and puts it in its shadow
root as a constructed stylesheet, so the shop's Content-Security-Policy needs
no ``style-src`` for it; that fetch is cross-origin, so the stylesheet answers
the origins in KB_CORS_ORIGINS, as the API does. The API's answer for the
widget (``/api/v1/widget``) takes its words and channels from here.
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request, send_from_directory
from flask_babel import get_translations, gettext

from kb import contact_panel
from kb.contact import opening_hours_text
from kb.languages import library_for

bp = Blueprint("widget", __name__)
MAX_AGE = 3600


def texts() -> dict[str, str]:
    """The words the widget shows, in the request's language; the widget fills in ``{count}`` and ``{query}``.

    A count reads "1 article found" or "{count} articles found": languages with more plural forms than
    two would need the count sent to the server, which the widget avoids for one sentence.
    """
    return {
        "open": gettext("Help"),
        "close": gettext("Close help"),
        "search": gettext("Search the help center"),
        "results_one": _found(1),
        "results_other": _found(2),
        "no_results": gettext("No articles found for “{query}”."),
        "showing": gettext("Showing results for %(query)s.", query="“{query}”"),
        "suggested": gettext("Suggested for this page"),
        "back": gettext("Back"),
        "sections": gettext("On this page"),
        "read_on_site": gettext("Open on the help center"),
        "contact": gettext("Still need help? Talk to a person"),
        "contact_page": gettext("Write to us on the help center’s contact page"),
        "unavailable": gettext("The help center cannot be reached right now. Please try again in a minute."),
    }


def _found(count: int) -> str:
    """The search page's "%(num)s articles found" in its singular or plural, with "{count}" for the number."""
    return get_translations().ungettext("%(num)s article found", "%(num)s articles found", count) % {"num": "{count}"}


def contact_json() -> list[dict]:
    """The contact channels with this minute's "open now", in the request's language."""
    contact = library_for().contact
    if contact is None:
        return []
    return [{"kind": channel.kind, "label": channel.label, "value": channel.value, "link": channel.link,
             "response": channel.response, "hours": opening_hours_text(channel),
             "open": status.is_open if status else None, "status": status.text if status else None,
             "links": [{"label": link.label, "url": link.url} for link in channel.links]}
            for channel, status in contact.panel(contact_panel.current_time())]


def _asset(filename: str) -> Response:
    response = send_from_directory(current_app.static_folder, filename, max_age=MAX_AGE)
    response.cache_control.public = True
    origin = request.headers.get("Origin")
    if origin and origin in current_app.config["KB_CORS_ORIGINS"]:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
    return response


@bp.route("/widget.js")
def script():
    return _asset("widget.js")


@bp.route("/widget.css")
def stylesheet():
    return _asset("widget.css")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
