""""Was this helpful?": the vote and comment form under every article.

The form is a plain POST that redirects back to the article (303) with a
flashed thanks, so it works without JavaScript. ``static/feedback.js`` sends
the same form with fetch and ``Accept: application/json`` and gets the same
answers as JSON, to update the section in place. Every refusal says what to
do next: 400 for a forged or malformed post, 429 for a flood, 503 when the
database cannot take the vote; none of them stores anything.
"""
from __future__ import annotations

import logging
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import (Blueprint, Flask, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import format_decimal, gettext, lazy_gettext, ngettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, ServiceUnavailable
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField, ValidationError
from wtforms.validators import AnyOf, InputRequired, Length

from kb.addresses import published_article
from kb.content import Article
from kb.extensions import db
from kb.feedback.models import MAX_COMMENT_CHARS, Ballot, record_vote, tallies, visitor_vote
from kb.languages import current_language, localized
from kb.feedback.visitors import (address_hash, has_form_session, new_visitor_id, page_csrf_token,
                                  remember_visitor, visitor_from_cookie)
from kb.ratelimit import ClientLimit, RateLimited

bp = Blueprint("feedback", __name__)
log = logging.getLogger(__name__)

# Lazy: each is read in the language of the request that shows it.
REASONS = {
    "not-answered": lazy_gettext("It didn’t answer my question"),
    "out-of-date": lazy_gettext("It’s out of date"),
    "hard-to-follow": lazy_gettext("It’s hard to follow"),
    "other": lazy_gettext("Something else"),
}
THANKS_YES = lazy_gettext("Thanks for your feedback!")
THANKS_NO = lazy_gettext("Thanks for telling us. What went wrong? Tell us below, or talk to a person.")
THANKS_DETAILS = lazy_gettext("Thanks, your feedback helps us improve this article.")
UNAVAILABLE = lazy_gettext("Sorry, we couldn’t record your vote right now. Please try again in a few minutes.")
TOO_MANY = lazy_gettext("You’ve sent a lot of feedback in a short time. Please wait a minute and try again.")
EXPIRED = lazy_gettext("This form has expired or didn’t come from our page. Reload the page and try again.")
CHOOSE = lazy_gettext("Choose Yes or No.")
TOO_LONG = lazy_gettext("What you sent is too long for this form. Shorten your comment and try again.")


def _unix_newlines(text: str | None) -> str | None:
    """Browsers send a textarea's line breaks as CRLF but count them as one character."""
    return text.replace("\r\n", "\n") if text else text


class FeedbackForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checked the token before this view ran

        def get_translations(self, form):
            """None: every message here is ours and translated already (Flask-WTF read WTForms' catalog per vote)."""
            return None

    helpful = StringField(validators=[InputRequired(CHOOSE), AnyOf(["yes", "no"], CHOOSE)])
    details = BooleanField()
    reasons = SelectMultipleField(validate_choice=False)  # checked against REASONS below, with a clearer message
    comment = TextAreaField(filters=[_unix_newlines], validators=[
        Length(max=MAX_COMMENT_CHARS,
               message=lazy_gettext("Your comment is %(length)d characters long; please keep it to %(max)d.")),
    ])

    def validate_reasons(self, field):
        unknown = [reason for reason in field.data if reason not in REASONS]
        if unknown:
            raise ValidationError(gettext("Unknown reason %(reason)r: choose from %(known)s.", reason=unknown[0],
                                          known=", ".join(REASONS)))

    def ballot(self) -> Ballot:
        return Ballot(helpful=self.helpful.data == "yes", details=self.details.data,
                      reasons=tuple(dict.fromkeys(self.reasons.data)), comment=(self.comment.data or "").strip())


@dataclass(frozen=True)
class FeedbackState:
    """What the feedback section shows the current visitor."""

    vote: str | None = None  # "yes", "no" or None
    reasons: frozenset[str] = frozenset()
    comment: str = ""
    summary: str | None = None


class Tallies:
    """Every article's (helpful, all) votes, read in one query at most every KB_FEEDBACK_TALLY_SECONDS per worker.

    Article pages are read far more often than votes are cast: a count a few
    seconds old keeps queries off page views. One grouped query for every
    article rather than one per article: at 20,000 articles nearly every
    view was the first of its article in a worker, and its COUNT query was
    a fifth of the page's time. This worker's own votes are counted again at
    once, so a shopper who just voted sees the new count.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.read_at: float | None = None
        self.counts: dict[str, tuple[int, int]] = {}

    def get(self, article_slug: str) -> tuple[int, int]:
        now = time.monotonic()
        if self.read_at is None or now - self.read_at >= self.seconds:
            self.counts, self.read_at = tallies(), now
        return self.counts.get(article_slug, (0, 0))

    def counted(self, article_slug: str, tally: tuple[int, int]) -> None:
        """After a vote here: its article's count as the vote's transaction left it."""
        self.counts[article_slug] = tally


def helpful_ratio(article_slug: str) -> tuple[float, int] | None:
    """(share found helpful, votes) once KB_FEEDBACK_MIN_VOTES votes make it mean something."""
    helpful, total = current_app.extensions["kb.tallies"].get(article_slug)
    if not total or total < current_app.config["KB_FEEDBACK_MIN_VOTES"]:
        return None
    return helpful / total, total


def helpful_summary(article_slug: str) -> str | None:
    """"87% of 143 shoppers found this helpful", or None while there are too few votes."""
    ratio = helpful_ratio(article_slug)
    if ratio is None:
        return None
    share, total = ratio
    return ngettext("%(percent)s%% of %(count)s shopper found this helpful",
                    "%(percent)s%% of %(count)s shoppers found this helpful", total,
                    percent=round(100 * share), count=format_decimal(total))


def feedback_state(article: Article) -> FeedbackState:
    """The section for this visitor; without the database it is the bare form, and the page still renders."""
    visitor = visitor_from_cookie()
    try:
        mine = visitor_vote(article.slug, visitor) if visitor else None
        summary = helpful_summary(article.slug)
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        log.warning("feedback for %s not shown (%s): %s", article.slug, type(error).__name__, error)
        return FeedbackState()
    if mine is None:
        return FeedbackState(summary=summary)
    return FeedbackState("yes" if mine.helpful else "no", mine.reasons, mine.comment, summary)


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _votable(slug: str) -> Article:
    article = published_article(slug, current_language())
    if article is None or article.draft:
        abort(400, description=f"There is no article called “{slug}” to give feedback on.")
    return article


@localized(bp, "/articles/<slug>/feedback", methods=["POST"])
def vote(slug: str):
    article = _votable(slug)
    form = FeedbackForm()
    if not form.validate():
        abort(400, description=next(iter(form.errors.values()))[0])
    ballot = form.ballot()
    visitor = visitor_from_cookie()
    visitor_id = visitor or new_visitor_id()
    limit = ClientLimit("feedback", address_hash(request.remote_addr or ""),
                        current_app.config["KB_FEEDBACK_RATE_LIMIT"])
    try:
        tally = record_vote(article, ballot, visitor_id, current_app.extensions["kb.content_commit"], limit,
                            current_language())
    except sa.exc.SQLAlchemyError as error:
        log.warning("vote on %s not recorded (%s): %s", slug, type(error).__name__, error)
        raise ServiceUnavailable(str(UNAVAILABLE))
    current_app.extensions["kb.tallies"].counted(slug, tally)
    message = str(THANKS_DETAILS if ballot.details else THANKS_YES if ballot.helpful else THANKS_NO)
    if _wants_json():
        response = jsonify(message=message, vote="yes" if ballot.helpful else "no")
    else:
        flash(message, "feedback")
        response = redirect(url_for("site.article", slug=slug, _anchor="feedback"), 303)
    if visitor is None:
        remember_visitor(response, visitor_id)
    return response


@bp.get("/feedback/token")
def token():
    """The form token for static/feedback.js, asked for when the page's form came without one.

    Pages are sent without a session to visitors who have none (reading sets
    no cookie); this starts one when the visitor is about to vote.
    """
    response = jsonify(csrf_token=page_csrf_token())
    response.cache_control.no_store = True
    return response


def _confirm_first_vote(slug: str):
    """A plain form post from a visitor without a session: show the vote back with a token to confirm it.

    Such a visitor read the article without getting a cookie, so their form
    had no token yet. Nothing is stored until they confirm; a forged post
    from another site ends on this page too, and votes only if the shopper
    presses the button.
    """
    article = published_article(slug, current_language())
    form = FeedbackForm()
    if article is None or article.draft or not form.validate():
        return None
    return render_template("feedback_confirm.html", article=article, ballot=form.ballot(),
                           reasons=REASONS, token=page_csrf_token())


@bp.errorhandler(400)
@bp.errorhandler(413)
@bp.errorhandler(429)
@bp.errorhandler(503)
def _refused(error: HTTPException):
    """Refusals as the sender can read them: JSON for the script, a short page for a plain form."""
    message = str({CSRFError: EXPIRED, RateLimited: TOO_MANY, RequestEntityTooLarge: TOO_LONG}.get(
        type(error), error.description))
    if isinstance(error, CSRFError):
        log.info("feedback refused: %s", error.description)
    if _wants_json():
        return jsonify(message=message), error.code
    slug = (request.view_args or {}).get("slug", "")
    if isinstance(error, CSRFError) and not has_form_session():
        confirm = _confirm_first_vote(slug)
        if confirm is not None:
            return confirm
    return render_template("feedback_refused.html", code=error.code, message=message,
                           article=published_article(slug, current_language())), error.code


def _content_commit(folder: Path) -> str | None:
    """The commit checked out where the content folder lives, or None outside a git checkout."""
    try:
        result = subprocess.run(["git", "-C", str(folder), "rev-parse", "--verify", "HEAD"],
                                capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        log.info("content commit unknown: %s", error)
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.extensions["kb.content_commit"] = _content_commit(Path(app.config["KB_CONTENT_DIR"]))
    app.extensions["kb.tallies"] = Tallies(app.config["KB_FEEDBACK_TALLY_SECONDS"])
    app.jinja_env.globals.update(feedback_reasons=REASONS,
                                 page_csrf_token=page_csrf_token, max_comment_chars=MAX_COMMENT_CHARS)
