"""Contact requests: a form on the contact page whose requests are stored, then delivered from an outbox.

The form is a plain multipart POST that redirects (303) to a "Sent" page
showing the reference, so it works without JavaScript; ``static/request.js``
adds suggestions as the shopper types and this tab's visit. A refusal shows
the form again with the shopper's text and says what to do: 400 for a field
to correct, 413 for a file too large, 429 for a flood, 503 when the
database cannot store the request (then nothing was stored).
"""
from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, flash, get_flashed_messages, redirect, render_template, request, \
    url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from kb.bodies import allow_files
from kb.contact_requests import commands
from kb.contact_requests.context import came_from, visit_context
from kb.contact_requests.files import MAX_FILE_BYTES, Refused, clean
from kb.contact_requests.forms import MAX_FILES, OTHER_TOPIC, RequestForm
from kb.contact_requests.outbox import NewRequest, destinations, store
from kb.feedback.visitors import address_hash
from kb.languages import current_language, library_for, localized
from kb.ratelimit import ClientLimit, RateLimited

bp = Blueprint("requests", __name__)
log = logging.getLogger(__name__)

SENT = "request-sent"
# The text fields, with room to spare (a 5,000-character message is 20 KB at most), and the files.
TEXT_BYTES = 256 * 1024
MAX_REQUEST_BYTES = MAX_FILES * MAX_FILE_BYTES + TEXT_BYTES
HONEYPOT = lazy_gettext("Your request could not be sent. If you are a person, please use the channels below.")
EXPIRED = lazy_gettext("This form has expired. Your text is still here: please send it again.")
TOO_MANY = lazy_gettext("You’ve sent several requests in a short time. Please wait a while, or use the "
                        "channels below.")
TOO_LARGE = lazy_gettext("The files are too large together. Please attach at most 3 files of up to 5 MB each.")
UNAVAILABLE = lazy_gettext("Sorry, we could not take your request just now, and nothing was sent. "
                           "Please try again in a few minutes, or use the channels below.")


def enabled() -> bool:
    """The form is shown once requests have somewhere to go."""
    return bool(destinations())


def topics() -> list[tuple[str, str]]:
    return [(c.slug, c.title) for c in library_for().categories] + [(OTHER_TOPIC, gettext("Something else"))]


def request_form(formdata=None, question: str = "") -> RequestForm:
    """The form, filled from ``formdata`` (a post) or fresh with the question typed on the contact page."""
    form = RequestForm(formdata=formdata, meta={"csrf": False})
    form.topic.choices = topics()
    if formdata is None:
        form.message.data = question
        form.came_from.data = came_from(request.referrer)
    return form


def _topic_title(slug: str) -> str:
    """The topic as the shop's team reads it: the category's title in the default language."""
    default = current_app.extensions["kb.library"].category(slug)
    return default.title if default else "Something else"


def _page(form: RequestForm, status: int, message: str | None = None):
    """The contact page again, with the form as sent and what to correct."""
    from kb.askus import render_contact_page  # here: kb.askus imports this package for the form
    return render_contact_page("", request_form=form, request_error=message), status


@bp.url_value_preprocessor
def _allow_files(endpoint: str | None, _values: dict | None) -> None:
    """Room for the files, set before anything reads the form (CSRF checks it first, in a before_request)."""
    if endpoint == "requests.send":
        allow_files(frozenset({"photos"}), MAX_REQUEST_BYTES, TEXT_BYTES)


@localized(bp, "/contact/request", methods=["POST"])
def send():
    form = request_form(request.form)
    form.photos.data = request.files.getlist(form.photos.name)
    if form.homepage.data:
        log.info("contact request refused: the honeypot field was filled in")
        return _page(form, 400, str(HONEYPOT))
    if not form.validate():
        return _page(form, 400)
    try:
        files = tuple((f.filename, f.content_type, f.data) for f in map(clean, form.photos.data))
    except Refused as refused:
        form.photos.errors = [str(refused)]
        return _page(form, 400)
    language = current_language()
    context = json.dumps(visit_context(form.visit.data, form.came_from.data, language), ensure_ascii=False) \
        if form.share_visit.data else None
    new = NewRequest(form.name.data, form.email.data, _topic_title(form.topic.data), form.order_number.data or None,
                     form.message.data, language, context, files)
    limit = ClientLimit("contact-request", address_hash(request.remote_addr or ""),
                        current_app.config["KB_REQUESTS_RATE_LIMIT"])
    try:
        reference = store(new, limit)
    except RateLimited:
        return _page(form, 429, str(TOO_MANY))
    except sa.exc.SQLAlchemyError as error:
        log.warning("contact request not stored (%s): %s", type(error).__name__, error)
        return _page(form, 503, str(UNAVAILABLE))
    flash(reference, SENT)
    return redirect(url_for("requests.sent"), 303)


@localized(bp, "/contact/sent")
def sent():
    """"Sent", with the reference, once; a reload or a typed address leads back to the contact page."""
    references = get_flashed_messages(category_filter=[SENT])
    if not references:
        return redirect(url_for("askus.contact"))
    return render_template("request_sent.html", reference=references[-1],
                           confirmation="confirmation" in destinations())


@bp.errorhandler(CSRFError)
@bp.errorhandler(RequestEntityTooLarge)
def _refused(error: HTTPException):
    """An expired form keeps the shopper's text; a post too large to read cannot, and says so."""
    if isinstance(error, RequestEntityTooLarge):
        description = error.description if error.description != RequestEntityTooLarge.description else TOO_LARGE
        try:
            formdata = request.form
        except RequestEntityTooLarge:  # the body, or its text, is too long to read again
            formdata = MultiDict()
        return _page(request_form(formdata), 413, str(description))
    return _page(request_form(request.form), 400, str(EXPIRED))


def init_app(app: Flask) -> None:
    from kb.contact_requests import models  # noqa: F401  (the tables, for migrations)

    app.register_blueprint(bp)
    commands.init_app(app)
    app.jinja_env.globals.update(max_request_files=MAX_FILES)
