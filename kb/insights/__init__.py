"""``/insights``: what editors need after publishing, behind the editors' password.

Per article: views, votes, the helpful share and its trend, the latest "No"
answers, and for articles changed in the period each version's score side by
side. Per search: the top queries, the content gaps (no result) and the
questions after which shoppers still wrote to us. Every table is also a CSV
at ``/insights/<table>.csv`` with the same period arguments.

"Run the search" links use the agent view (``view=agent``), which is not
written to the search log: an editor checking a gap must not add to it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, url_for
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError

from kb import charts
from kb.addresses import external_url
from kb.content import Library
from kb.extensions import limiter
from kb.pageviews import flush_views
from kb.insights import access, logins, reports
from kb.insights.export import EXPORTS, to_csv
from kb.insights.period import PRESETS, Period, PeriodError, parse_period
from kb.translations import Outdated, outdated

bp = Blueprint("insights", __name__, url_prefix="/insights")
log = logging.getLogger(__name__)

PAGE_ROWS = 20
WRONG_PASSWORD = "That password is not right. Try again, or ask whoever runs the help center."
TOO_MANY_TRIES = "Too many tries from this address. Wait a minute, then try again."
WAIT = "Too many wrong passwords. Wait {seconds} seconds, then try again."
NO_DATABASE = "Insights cannot be opened while the database is not answering. Try again in a few minutes."
EXPIRED = "The login form expired. Enter the password again."


def library() -> Library:
    return current_app.extensions["kb.library"]


def library_of(period: Period) -> Library:
    """The articles a period's numbers are about: with a language chosen, its own and the originals it falls back to."""
    default = library()
    translated = default.translations.get(period.language or "")
    if translated is None:
        return default
    return dataclasses.replace(translated, articles={**default.articles, **translated.articles})


def outdated_translations() -> list[Outdated]:
    """Translations whose original changed since, worked out once per process (it asks git)."""
    found = current_app.extensions.get("kb.outdated")
    if found is None:
        found = outdated(library(), Path(current_app.config["KB_CONTENT_DIR"]))
        current_app.extensions["kb.outdated"] = found
    return found


def article_link(slug: str, language: str | None = None) -> str:
    """An article's page in the language it was counted in; slugs of translations lead to their language."""
    default = library()
    if language and language != default.language:
        return url_for("site.article", slug=slug, lang=language)
    if slug not in default.articles:
        language = next((code for code, t in default.translations.items() if slug in t.articles), None)
    return url_for("site.article", slug=slug, lang=language)


def _period():
    return parse_period(request.args, today(), current_app.config["KB_LANGUAGES"])


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def search_link(query: str) -> str:
    return url_for("site.search", q=query, view="agent")


def external_search_link(query: str) -> str:
    """The same link, absolute, for a CSV read away from the site."""
    return external_url("site.search", q=query, view="agent")


def _busiest(points: list[charts.Point]) -> str:
    """", most on 24 Nov (12)", for a chart's summary; nothing when every day is zero."""
    top = max(points, key=lambda p: p.value or 0, default=None)
    return f", most on {top.day:%d %b} ({top.value:,})" if top and top.value else ""


def _charts(period: Period) -> dict:
    helpful = reports.helpful_per_day(period)
    shares = [p.value for p in helpful if p.value is not None]
    searches = reports.searches_per_day(period)
    helpful_label = f"Helpful share of votes per day, {period.label}: " + (
        f"between {round(100 * min(shares))}% and {round(100 * max(shares))}% on {len(shares)} days with votes"
        if shares else "no votes")
    total = sum(p.value for p in searches)
    searches_label = f"Searches per day, {period.label}: {total:,} in all{_busiest(searches)}"
    return {"helpful_chart": charts.ratio_chart(helpful, helpful_label),
            "searches_chart": charts.bar_chart(searches, searches_label)}


def _sparkline(row: reports.ArticleRow):
    label = f"Views per day of {row.title}: {row.views:,} in all{_busiest(row.views_per_day)}"
    return charts.sparkline(row.views_per_day, label)


@bp.before_request
def _write_pending_views() -> None:
    """Views wait in each worker's memory for a few seconds; this worker's count now."""
    flush_views()


@bp.get("")
@access.editors_only
def page():
    try:
        period = _period()
    except PeriodError as error:
        return render_template("insights.html", error=str(error), presets=PRESETS, period=None,
                               exports=EXPORTS), 400
    lib = library_of(period)
    return render_template(
        "insights.html", period=period, presets=PRESETS,
        articles=reports.article_rows(period, lib), sparkline=_sparkline,
        no_votes=reports.latest_no_votes(period, lib, PAGE_ROWS),
        changed=reports.changed_articles(period, lib),
        top_searches=reports.top_searches(period, PAGE_ROWS),
        gaps=reports.searches_without_results(period, PAGE_ROWS),
        contacted=reports.searches_then_contacted(period, PAGE_ROWS),
        reviews=reports.overdue_reviews(lib, today()), outdated=outdated_translations(),
        page_rows=PAGE_ROWS, search_link=search_link, article_link=article_link, exports=EXPORTS, **_charts(period))


@bp.get("/<name>.csv")
@access.editors_only
def export(name: str):
    table = EXPORTS.get(name)
    if table is None:
        abort(404)
    try:
        period = _period()
    except PeriodError as error:
        return Response(str(error), 400, mimetype="text/plain")
    body = to_csv(table.headers, table.rows(period, library_of(period), today(), external_search_link))
    filename = f"{name}-{period.first}-to-{period.last}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _local_insights_path(target: str | None) -> str:
    """Where to go after logging in: only back into /insights on this site, never to another host."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith(bp.url_prefix):
        return url_for("insights.page")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["KB_EDITOR_LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if not access.password():
        return render_template("insights_login.html", enabled=False), 403
    target = _local_insights_path(request.values.get("next"))
    if request.method == "POST":
        try:
            return _try_password(target)
        except sa.exc.SQLAlchemyError as error:
            log.warning("editor login not possible: %s", error)
            return render_template("insights_login.html", enabled=True, target=target, error=NO_DATABASE), 503
    if access.is_editor():
        return redirect(target)
    return render_template("insights_login.html", enabled=True, target=target)


def _try_password(target: str):
    """Log in with the right password, unless this address or the account must wait after wrong ones."""
    address = request.remote_addr or ""
    counted = logins.attempt(address)
    if counted.wait > 0:
        return render_template("insights_login.html", enabled=True, target=target,
                               error=WAIT.format(seconds=math.ceil(counted.wait))), 429
    if access.password_matches(request.form.get("password", "")):
        logins.forget_failures(address)
        access.log_in()
        return redirect(target, 303)
    log.warning("editor login failed from %s (wrong passwords in a row: %d from this address, %d from all)",
                address, counted.in_a_row, counted.in_all)
    return render_template("insights_login.html", enabled=True, target=target, error=WRONG_PASSWORD), 401


@bp.post("/logout")
def logout():
    """An editor's log-out ends every editor's session; anyone else's only leaves their own session."""
    if not access.is_editor():
        return redirect(url_for("site.home"), 303)
    try:
        access.log_out()
    except sa.exc.SQLAlchemyError as error:
        log.warning("editors not logged out: %s", error)
        return render_template("insights_login.html", enabled=True, target=url_for("insights.page"),
                               error=NO_DATABASE), 503
    return redirect(url_for("site.home"), 303)


@bp.errorhandler(RateLimitExceeded)
def _too_many_tries(_error):
    return render_template("insights_login.html", enabled=True, target=url_for("insights.page"),
                           error=TOO_MANY_TRIES), 429


@bp.errorhandler(CSRFError)
def _expired(_error):
    return render_template("insights_login.html", enabled=bool(access.password()),
                           target=url_for("insights.page"), error=EXPIRED), 400


@bp.after_request
def _private(response: Response) -> Response:
    """Editors' numbers and comments stay out of every cache and search engine."""
    response.cache_control.no_store = True
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def init_app(app: Flask) -> None:
    from kb.insights import requests  # noqa: F401  (its routes on bp, added before bp is first registered)

    app.register_blueprint(bp)
