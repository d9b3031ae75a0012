"""What the API tells the help widget besides articles: its words, and the contact channels as JSON."""
from __future__ import annotations

from flask_babel import get_translations, gettext

from kb import contact_panel
from kb.contact import opening_hours_text
from kb.languages import library_for


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
