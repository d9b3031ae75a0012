"""/insights for editors: who gets in, and the numbers shoppers' own clicks put there."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa

from kb import pageviews
from kb.extensions import db
from kb.feedback import models as feedback_models
from kb.insights import logins
from kb.pageviews import PageView, count_view, flush_views
from tests.test_feedback import Shopper

PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "That password is not right. Try again, or ask whoever runs the help center."
TOO_MANY_TRIES = "Too many tries from this address. Wait a minute, then try again."


class Editor:
    """An editor's browser: logs in through the form, reads the page and downloads CSVs."""

    def __init__(self, app):
        self.client = app.test_client()

    def log_in(self, password: str = PASSWORD, next: str = "/insights", token: str | None = None):
        page = self.client.get("/insights/login").get_data(as_text=True)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        token = token if token is not None else found.group(1) if found else ""
        return self.client.post("/insights/login", data={"csrf_token": token, "password": password, "next": next})

    def log_out(self):
        page = self.insights()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.client.post("/insights/logout", data={"csrf_token": token})

    def insights(self, **period) -> str:
        response = self.client.get("/insights", query_string=period)
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)

    def csv(self, table: str, **period) -> list[list[str]]:
        response = self.client.get(f"/insights/{table}.csv", query_string=period or {"period": "30"})
        assert response.status_code == 200 and response.mimetype == "text/csv"
        return list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


class Tables(HTMLParser):
    """The text of every table row on a page, grouped by the id of the section's heading."""

    def __init__(self, page: str):
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self.current = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "aria-labelledby" in attrs:
            self.current = self.sections.setdefault(attrs["aria-labelledby"], [])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "title" and self.cell is not None:
            self.cell.append("[")  # a chart's summary, kept apart from the cell's text

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.current is not None:
            self.current.append(self.row)
            self.row = None
        elif tag == "title" and self.cell is not None:
            self.cell.append("]")

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def rows(page: str, section: str) -> list[list[str]]:
    """The body rows of a section's table (without the header row)."""
    return Tables(page).sections[section][1:]


@pytest.fixture
def editors_app(make_app):
    return make_app(KB_EDITOR_PASSWORD=PASSWORD)


@pytest.fixture
def editor(editors_app):
    editor = Editor(editors_app)
    assert editor.log_in().status_code == 303
    return editor


# ---------------------------------------------------------------- who gets in

def test_without_a_configured_password_insights_stay_closed_and_say_how_to_open_them(client):
    assert client.get("/insights").headers["Location"] == "/insights/login?next=/insights"
    login = client.get("/insights/login")
    assert login.status_code == 403
    assert "set <code>KB_EDITOR_PASSWORD</code>" in login.get_data(as_text=True)
    assert client.post("/insights/login", data={"password": ""}).status_code in (400, 403)
    assert client.get("/insights/articles.csv").status_code == 302


def test_insights_and_their_csvs_send_a_visitor_who_is_not_logged_in_to_the_login(editors_app):
    client = editors_app.test_client()
    assert client.get("/insights?period=7").headers["Location"] == "/insights/login?next=/insights?period%3D7"
    assert client.get("/insights/content-gaps.csv").status_code == 302
    login = client.get("/insights/login").get_data(as_text=True)
    assert '<label for="editor-password">Editors’ password</label>' in login


def test_wrong_password_is_refused_with_a_message(editors_app):
    editor = Editor(editors_app)
    refused = editor.log_in("correct horse battery")
    assert refused.status_code == 401
    assert WRONG_PASSWORD in refused.get_data(as_text=True)
    assert editor.client.get("/insights").status_code == 302


def test_right_password_opens_insights_until_the_editor_logs_out(editors_app):
    editor = Editor(editors_app)
    assert editor.log_in(next="/insights?period=7").headers["Location"] == "/insights?period=7"
    page = editor.insights()
    assert "<h1>Insights</h1>" in page
    assert editor.log_out().headers["Location"] == "/"
    assert editor.client.get("/insights").status_code == 302


def test_insights_pages_are_never_cached_or_indexed(editor):
    response = editor.client.get("/insights")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_login_without_the_form_token_is_refused(editors_app):
    editor = Editor(editors_app)
    refused = editor.log_in(token="forged")
    assert refused.status_code == 400
    assert "The login form expired. Enter the password again." in refused.get_data(as_text=True)
    assert editor.client.get("/insights").status_code == 302


def test_guessing_the_password_is_rate_limited_per_address(make_app):
    app = make_app(KB_EDITOR_PASSWORD=PASSWORD, KB_EDITOR_LOGIN_RATE_LIMIT="3 per minute")
    editor = Editor(app)
    assert [editor.log_in(f"guess {n}").status_code for n in range(3)] == [401, 401, 401]
    blocked = editor.log_in()
    assert blocked.status_code == 429
    assert TOO_MANY_TRIES in blocked.get_data(as_text=True)
    assert editor.client.get("/insights").status_code == 302


def test_a_session_cookie_saved_before_logging_out_no_longer_opens_insights(editors_app, editor):
    saved = editor.client.get_cookie("session").value
    editor.log_out()
    thief = editors_app.test_client()
    thief.set_cookie("session", saved)
    assert thief.get("/insights?period=7").status_code == 302


def test_logging_out_ends_every_editors_session_at_once(editors_app, editor):
    colleague = Editor(editors_app)
    assert colleague.log_in().status_code == 303
    editor.log_out()
    assert colleague.client.get("/insights").status_code == 302
    assert colleague.log_in().status_code == 303  # logging in again works
    assert colleague.client.get("/insights").status_code == 200


def test_a_visitor_who_is_not_an_editor_cannot_log_the_editors_out(editors_app, editor):
    visitor = Shopper(editors_app)
    answer = visitor.client.post("/insights/logout", data={"csrf_token": visitor.token()})
    assert answer.status_code == 303
    assert editor.client.get("/insights").status_code == 200


@pytest.mark.parametrize("base_url, scheme, secure", [
    ("", "http", False), ("", "https", True), ("https://help.shop.example", "http", True),
])
def test_the_editors_session_cookie_is_secure_whenever_the_site_is_on_https(make_app, base_url, scheme, secure):
    client = make_app(KB_EDITOR_PASSWORD=PASSWORD, KB_BASE_URL=base_url).test_client()
    login = f"{scheme}://help.shop.example/insights/login"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(login).get_data(as_text=True)).group(1)
    answer = client.post(login, data={"csrf_token": token, "password": PASSWORD}, headers={"Referer": login})
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("session=") and ("; Secure" in cookie) is secure


class Clock:
    """The login failures' clock, moved by hand."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(logins, "time", clock)
    return clock


def test_wrong_passwords_from_one_address_make_it_wait_longer_each_time(make_app, clock, caplog):
    app = make_app(KB_EDITOR_PASSWORD=PASSWORD, KB_EDITOR_LOGIN_RATE_LIMIT="1000 per minute")
    editor = Editor(app)
    assert [editor.log_in(f"guess {n}").status_code for n in range(3)] == [401, 401, 401]
    waiting = editor.log_in()
    assert waiting.status_code == 429 and "Wait 2 seconds, then try again." in waiting.get_data(as_text=True)
    clock.now += 2
    assert editor.log_in("guess 3").status_code == 401
    assert "Wait 4 seconds" in editor.log_in().get_data(as_text=True)
    clock.now += 4
    assert editor.log_in().status_code == 303
    assert "editor login failed from 127.0.0.1 (wrong passwords in a row: 4 from this address, 4 from all)" \
        in caplog.text
    assert "guess" not in caplog.text


def test_guesses_sent_at_once_from_many_addresses_still_wait_their_turn(make_app, clock):
    app = make_app(KB_EDITOR_PASSWORD=PASSWORD)
    guessers = []
    for n in range(20):
        guesser = Editor(app)
        guesser.client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"
        page = guesser.client.get("/insights/login").get_data(as_text=True)
        guessers.append((guesser, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)))
    statuses, start = [], threading.Barrier(len(guessers))

    def guess(guesser, token):
        start.wait()
        statuses.append(guesser.client.post("/insights/login", data={"csrf_token": token, "password": "guess"})
                        .status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in guessers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 10 + [429] * 10


def test_the_wait_stops_growing_at_fifteen_minutes():
    assert [logins.PER_ADDRESS.wait(n) for n in (2, 3, 4, 12, 13, 10_000_000)] == [0, 2, 4, 900, 900, 900]


def test_wrong_passwords_spread_over_many_addresses_make_the_account_wait(make_app, clock):
    app = make_app(KB_EDITOR_PASSWORD=PASSWORD)
    for n in range(10):
        guesser = Editor(app)
        guesser.client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"
        assert guesser.log_in(f"guess {n}").status_code == 401
    editor = Editor(app)
    editor.client.environ_base["REMOTE_ADDR"] = "198.51.100.1"
    assert editor.log_in().status_code == 429
    clock.now += 2
    assert editor.log_in().status_code == 303


def test_changing_the_password_logs_every_editor_out(editors_app, editor):
    editors_app.config["KB_EDITOR_PASSWORD"] = "a new password"
    assert editor.client.get("/insights").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/insights", "//evil.example/insights", "/articles/x"])
def test_login_only_ever_returns_into_insights(editors_app, target):
    assert Editor(editors_app).log_in(next=target).headers["Location"] == "/insights"


# ---------------------------------------------------------------- articles

def test_views_are_counted_per_article_and_day_in_one_row(app, client):
    for _ in range(3):
        client.get("/articles/track-your-order")
    client.head("/articles/track-your-order")
    client.get("/articles/no-such-article")
    with app.app_context():
        flush_views()  # as opening the insights page does
        counted = db.session.execute(sa.select(PageView.article_slug, PageView.day, PageView.views)).all()
    assert counted == [("track-your-order", dt.datetime.now(dt.timezone.utc).date(), 3)]


@pytest.mark.parametrize("agent", ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                                   "Mozilla/5.0 (compatible; bingbot/2.0)", "curl/8.5.0", "python-requests/2.32",
                                   "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"])
def test_crawlers_and_link_checkers_are_not_counted_as_readers(app, client, agent):
    client.get("/articles/track-your-order", headers={"User-Agent": agent})
    client.get("/articles/track-your-order", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"})
    with app.app_context():
        flush_views()
        assert db.session.execute(sa.select(sa.func.sum(PageView.views))).scalar_one() == 1


def test_an_editor_checking_an_article_is_not_counted_as_a_reader(editors_app, editor):
    editor.client.get("/articles/track-your-order")
    with editors_app.app_context():
        flush_views()
        assert db.session.execute(sa.select(sa.func.count()).select_from(PageView)).scalar_one() == 0


def test_views_are_written_in_batches_not_one_write_per_page(make_app):
    app = make_app(KB_VIEW_FLUSH_SECONDS=3600)
    client = app.test_client()
    client.get("/articles/track-your-order")

    def stored() -> int:
        with app.app_context():
            return db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(PageView.views), 0))).scalar_one()

    assert stored() == 0
    client.get("/articles/track-your-order")
    with app.app_context():
        flush_views()
    assert stored() == 2


def test_a_nodes_workers_take_turns_writing_their_views(monkeypatch):
    """Forked together, two workers would write at the same moments; staggered, they write half an interval apart."""
    now = [1000.0]
    monkeypatch.setattr(pageviews.time, "monotonic", lambda: now[0])
    workers = {"first": pageviews.ViewCounter(10), "second": pageviews.ViewCounter(10)}
    workers["first"].stagger(0 / 2)
    workers["second"].stagger(1 / 2)
    wrote: dict[str, list[int]] = {"first": [], "second": []}
    for second in range(1, 26):
        now[0] = 1000.0 + second
        for name, counter in workers.items():
            if counter.add("track-your-order"):
                counter.take()
                wrote[name].append(second)
    assert wrote == {"first": [10, 20], "second": [5, 15, 25]}


def test_two_workers_writing_the_same_articles_views_at_once_lose_none(make_app):
    """Each worker writes its views in one transaction: in opposite orders, on PostgreSQL they would deadlock."""
    workers = [make_app(KB_VIEW_FLUSH_SECONDS=3600), make_app(create_tables=False, KB_VIEW_FLUSH_SECONDS=3600)]
    slugs = [f"article-{n:03}" for n in range(300)]
    together = threading.Barrier(2)

    def write(app, order: list[str]) -> None:
        with app.app_context():
            for slug in order:
                count_view(slug)
            together.wait()
            flush_views()

    for _ in range(5):
        threads = [threading.Thread(target=write, args=(app, order))
                   for app, order in zip(workers, (slugs, slugs[::-1]))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with workers[0].app_context():
        assert db.session.execute(sa.select(sa.func.sum(PageView.views))).scalar_one() == 2 * 5 * len(slugs)


def test_migration_adds_the_page_views_table_and_takes_it_away(make_app):
    app = make_app(create_tables=False)
    runner = app.test_cli_runner()

    def tables() -> set[str]:
        with app.app_context():
            return set(sa.inspect(db.engine).get_table_names())
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert "page_views" in tables()
    assert runner.invoke(args=["db", "downgrade", "dd4e097700d9"]).exit_code == 0
    assert "page_views" not in tables() and "votes" in tables()


def test_article_page_is_served_when_its_view_cannot_be_counted(make_app):
    app = make_app(create_tables=False, DATABASE_URL="sqlite:////nonexistent/folder/kb.sqlite")
    page = app.test_client().get("/articles/track-your-order")
    assert page.status_code == 200
    assert "<h1>Track your order</h1>" in page.get_data(as_text=True)


def test_page_shows_views_votes_and_helpful_share_made_through_the_site(editors_app, editor):
    for n, answer in enumerate(["yes", "yes", "no"]):
        Shopper(editors_app, f"192.0.2.{n}").vote(answer)  # each reads the article once, then votes
    for _ in range(2):
        editors_app.test_client().get("/articles/start-a-return")  # a shopper who reads without voting
    editor.client.get("/articles/start-a-return")  # the editor's own check is not a view
    articles = rows(editor.insights(), "articles")
    assert [row[:2] + row[3:] for row in articles[:2]] == [
        ["Track your order", "3", "3", "67%", "–"],
        ["Start a return", "2", "0", "–", "–"],
    ]
    assert "Views per day of Track your order: 3 in all, most on" in articles[0][2]


def test_trend_compares_the_helpful_share_with_the_period_before(editors_app, editor, monkeypatch):
    now = feedback_models.utcnow()
    monkeypatch.setattr(feedback_models, "utcnow", lambda: now - dt.timedelta(days=10))
    Shopper(editors_app, "192.0.2.1").vote("no")
    monkeypatch.setattr(feedback_models, "utcnow", lambda: now)
    Shopper(editors_app, "192.0.2.2").vote("yes")
    week = rows(editor.insights(period="7"), "articles")[0]
    month = rows(editor.insights(period="30"), "articles")[0]
    assert week[3:] == ["1", "100%", "▲ +100 points"]
    assert month[3:] == ["2", "50%", "–"]


def test_no_answers_list_reasons_and_the_comment_escaped(editors_app, editor):
    shopper = Shopper(editors_app)
    shopper.vote("no")
    shopper.tell_more(["out-of-date"], comment="<script>alert(1)</script> The courier changed")
    page = editor.insights()
    assert "It’s out of date" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; The courier changed" in page
    assert "<script>alert(1)" not in page


def test_changed_article_shows_each_versions_helpfulness_side_by_side(content, make_app):
    app = make_app()
    for n in range(2):
        Shopper(app, f"192.0.2.{n}").vote("no", slug="start-a-return")
    content.article("start-a-return", "Start a return", "Returns are free within 60 days.",
                    category="returns-and-refunds")
    app = make_app(KB_EDITOR_PASSWORD=PASSWORD)
    for n in range(2, 5):
        Shopper(app, f"192.0.2.{n}").vote("yes", slug="start-a-return")
    Shopper(app, "192.0.2.9").vote("yes")  # one version only: not a change
    editor = Editor(app)
    editor.log_in()
    version, first_vote, votes, helpful = Tables(editor.insights()).sections["versions"]
    assert version[0] == "Version" and version[1].startswith("file ") and version[2].endswith("(served now)")
    assert first_vote[0] == "First vote"
    assert votes == ["Votes", "2", "3"]
    assert helpful == ["Helpful", "0%", "100%"]
    assert [row[:2] + row[3:] for row in editor.csv("versions")[1:]] == [
        ["Start a return", version[1], "2", "0", "0", "no"],
        ["Start a return", version[2].removesuffix(" (served now)"), "3", "3", "100", "yes"],
    ]


def test_new_version_nobody_voted_on_yet_is_shown_beside_the_old_one(content, make_app):
    app = make_app()
    Shopper(app).vote("no", slug="start-a-return")
    today = dt.datetime.now(dt.timezone.utc).date()
    content.article("start-a-return", "Start a return", "Returns are free within 60 days.",
                    category="returns-and-refunds", updated=today.isoformat())
    editor = Editor(make_app(KB_EDITOR_PASSWORD=PASSWORD))
    editor.log_in()
    version, first_vote, votes, helpful = Tables(editor.insights()).sections["versions"]
    assert version[2].endswith("(served now)") and first_vote[2] == "–"
    assert votes[1:] == ["1", "0"] and helpful[1:] == ["0%", "–"]


# ---------------------------------------------------------------- searches

def ask_then_write_to_us(client, question: str) -> None:
    page = client.get("/contact", query_string={"q": question}).get_data(as_text=True)
    client.get(re.search(r'href="(/contact/\d+/email[^"]*)"', page).group(1).replace("&amp;", "&"))


def test_page_lists_top_searches_content_gaps_and_questions_before_contacting_us(editor):
    shopper = editor.client.application.test_client()
    for query in ["parcel", "parcel", "Parcel", "kayak rental", "kayak rental", "gift wrap"]:
        shopper.get("/search", query_string={"q": query})
    ask_then_write_to_us(shopper, "tracking link")
    page = editor.insights()
    assert [row[:2] for row in rows(page, "searches")] == [
        ["parcel", "3"], ["kayak rental", "2"], ["gift wrap", "1"], ["tracking link", "1"]]
    gaps = rows(page, "content-gaps")
    assert [row[:2] for row in gaps] == [["kayak rental", "2"], ["gift wrap", "1"]]
    assert gaps[0][3] == "Run the search for “kayak rental”"
    assert 'href="/search?q=kayak+rental&amp;view=agent"' in page
    assert [row[:2] for row in rows(page, "contacted")] == [["tracking link", "1"]]


def test_running_a_content_gap_search_does_not_add_to_the_gaps(editor):
    editor.client.get("/search?q=kayak+rental")
    editor.client.get("/search?q=kayak+rental&view=agent")
    assert [row[:2] for row in rows(editor.insights(), "content-gaps")] == [["kayak rental", "1"]]


def test_searches_per_day_chart_sums_up_the_searches_in_words(editor):
    for query in ["parcel", "kayak rental"]:
        editor.client.get("/search", query_string={"q": query})
    page = editor.insights(period="7")
    today = dt.datetime.now(dt.timezone.utc).date()
    assert (f'aria-label="Searches per day, the last 7 days: 2 in all, most on {today:%d %b} (2)"') in page
    assert 'aria-label="Helpful share of votes per day, the last 7 days: no votes"' in page


# ---------------------------------------------------------------- periods and exports

def test_chosen_dates_limit_every_table(editors_app, editor):
    Shopper(editors_app).vote("no")
    editor.client.get("/search?q=kayak+rental")
    yesterday = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    page = editor.insights(**{"from": "2026-01-01", "to": yesterday.isoformat()})
    assert f"Showing 01 Jan 2026 to {yesterday:%d %b %Y}" in page
    assert rows(page, "articles")[0][1:2] + rows(page, "articles")[0][3:4] == ["0", "0"]
    assert "Every search found something." in page
    assert 'href="/insights/articles.csv?from=2026-01-01&amp;to=' in page


@pytest.mark.parametrize("args, message", [
    ({"period": "8"}, "'period' should be one of 7, 30, 90, got '8'."),
    ({"from": "2026-02-30"}, "'from' should be a date like 2026-03-31, got '2026-02-30'."),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "'to' (2026-03-01) is before 'from' (2026-03-02): swap them."),
])
def test_a_period_that_cannot_be_shown_says_what_to_send(editor, args, message):
    response = editor.client.get("/insights", query_string=args)
    assert response.status_code == 400
    assert message.replace("'", "&#39;") in response.get_data(as_text=True)
    assert editor.client.get("/insights/searches.csv", query_string=args).get_data(as_text=True) == message


def test_articles_csv_holds_the_numbers_on_the_page(editors_app, editor):
    Shopper(editors_app, "192.0.2.1").vote("yes")
    Shopper(editors_app, "192.0.2.2").vote("no")
    exported = editor.csv("articles")
    assert exported[0] == ["Article", "Address", "Views", "Votes", "Helpful votes", "Helpful %", "Trend (points)"]
    assert exported[1] == ["Track your order", "track-your-order", "2", "2", "1", "50", ""]
    response = editor.client.get("/insights/articles.csv?period=7")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="articles-')


def test_content_gaps_csv_guards_against_formulas_and_links_each_search(editor):
    for query in ['=HYPERLINK("http://evil.example")', "kayak, rental"]:
        editor.client.get("/search", query_string={"q": query})
    exported = editor.csv("content-gaps", period="7")
    assert exported[0] == ["Query", "Searches", "Last searched (UTC)", "Run the search"]
    assert [row[0] for row in exported[1:]] == ["'=hyperlink(\"http://evil.example\")", "kayak, rental"]
    assert exported[2][3] == "http://localhost/search?q=kayak,+rental&view=agent"


def test_feedback_csv_keeps_the_comment_as_written(editors_app, editor):
    shopper = Shopper(editors_app)
    shopper.vote("no")
    shopper.tell_more(["not-answered", "other"], comment='-1, "quoted"\nsecond line')
    when, article, reasons, comment = editor.csv("feedback")[1]
    assert (article, reasons) == ("Track your order", "It didn’t answer my question; Something else")
    assert comment == "'-1, \"quoted\"\nsecond line"


def test_unknown_table_has_no_csv(editor):
    assert editor.client.get("/insights/nothing.csv").status_code == 404


# ---------------------------------------------------------------- reviews

def test_overdue_reviews_are_listed_with_their_owner(content, make_app):
    content.article("old-news", "Old news", owner="Sam", review_by="2020-01-31")
    editor = Editor(make_app(KB_EDITOR_PASSWORD=PASSWORD))
    editor.log_in()
    assert rows(editor.insights(), "reviews")[0][:3] == ["Old news", "Sam", "2020-01-31"]
    assert editor.csv("reviews")[1][:4] == ["Old news", "old-news", "Sam", "2020-01-31"]


@pytest.mark.parametrize("setting", ["KB_EDITOR_PASSWORD", "KB_EDITOR_LOGIN_RATE_LIMIT", "/insights/<table>.csv"])
def test_insights_settings_are_documented_in_the_readme(setting):
    assert setting in (Path(__file__).resolve().parent.parent / "README.md").read_text()
