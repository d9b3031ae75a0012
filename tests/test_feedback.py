"""'Was this helpful?': what a shopper sees and what is counted, without a browser."""
from __future__ import annotations

import html
import re
import sqlite3
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from kb.extensions import db
from kb.feedback.models import Comment, Vote

ARTICLE = "track-your-order"
THANKS_YES = "Thanks for your feedback!"
THANKS_NO = "Thanks for telling us. What went wrong? Tell us below, or talk to a person."
THANKS_DETAILS = "Thanks, your feedback helps us improve this article."
EXPIRED = "This form has expired or didn’t come from our page. Reload the page and try again."
TOO_MANY = "You’ve sent a lot of feedback in a short time. Please wait a minute and try again."
UNAVAILABLE = "Sorry, we couldn’t record your vote right now. Please try again in a few minutes."


class Shopper:
    """One shopper's browser without JavaScript: cookies kept, the form's token read from the page."""

    def __init__(self, app, address: str = "192.0.2.1", forwarded_for: str | None = None):
        self.app = app
        self.address = address
        self.headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        self.clear_cookies()

    def clear_cookies(self) -> None:
        self.client = self.app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = self.address

    def read(self, slug: str = ARTICLE) -> str:
        return self.client.get(f"/articles/{slug}", headers=self.headers).get_data(as_text=True)

    def token(self, slug: str = ARTICLE) -> str:
        """The page's form token; a visitor without a session gets none there and asks, as feedback.js does."""
        found = re.search(r'name="csrf_token" value="([^"]*)"', self.read(slug)).group(1)
        return found or self.client.get("/feedback/token", headers=self.headers).get_json()["csrf_token"]

    def vote(self, helpful: str, slug: str = ARTICLE, *, script: bool = False, token: str | None = None, **fields):
        data = {"csrf_token": token or self.token(), "helpful": helpful, **fields}
        headers = {**self.headers, **({"Accept": "application/json"} if script else {})}
        return self.client.post(f"/articles/{slug}/feedback", data=data, headers=headers)

    def tell_more(self, reasons=(), comment: str = "", **options):
        return self.vote("no", details="1", reasons=list(reasons), comment=comment, **options)


def stored_votes(app) -> list[Vote]:
    with app.app_context():
        return db.session.scalars(sa.select(Vote).order_by(Vote.id)).all()


def stored_comments(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(Comment.body).order_by(Comment.id)).all()


def feedback_section(page: str) -> str:
    return page[page.index('<section id="feedback"'):page.index("</section>", page.index('<section id="feedback"'))]


# ---------------------------------------------------------------- what a shopper sees

def test_article_asks_was_this_helpful_with_a_form_that_works_without_javascript(app):
    section = feedback_section(Shopper(app).read())
    assert "Was this helpful?" in section
    assert f'method="post" action="/articles/{ARTICLE}/feedback"' in section
    assert 'name="csrf_token"' in section
    assert 'name="helpful" value="yes" aria-pressed="false">Yes</button>' in section
    assert 'name="helpful" value="no" aria-pressed="false">No</button>' in section
    assert 'class="feedback-details" method="post" action="/articles/track-your-order/feedback" hidden' in section


def test_feedback_script_is_loaded_from_our_origin_only(app):
    page = Shopper(app).read()
    assert re.search(r'<script src="/static/feedback.js\?v=\w+" defer></script>', page)
    assert "<script>" not in page


def test_voting_yes_without_javascript_redirects_back_with_thanks(app):
    shopper = Shopper(app)
    response = shopper.vote("yes")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/articles/{ARTICLE}#feedback"
    section = feedback_section(shopper.read())
    assert THANKS_YES in section
    assert 'value="yes" aria-pressed="true"' in section
    assert THANKS_YES not in shopper.read()  # said once


def test_a_no_vote_asks_what_went_wrong_and_puts_the_contact_panel_forward(app):
    shopper = Shopper(app)
    shopper.vote("no")
    page = shopper.read()
    section = feedback_section(page)
    assert THANKS_NO in section
    assert 'class="feedback-details" method="post" action="/articles/track-your-order/feedback">' in section
    assert "It’s out of date" in section and "1,000 characters left" in section
    assert 'class="contact-panel contact-prominent"' in page


def test_reasons_and_comment_are_kept_and_shown_back_escaped(app):
    shopper = Shopper(app)
    shopper.vote("no")
    response = shopper.tell_more(["out-of-date", "hard-to-follow"], "<img src=x onerror=alert(1)>\r\nSizes changed")
    assert response.status_code == 303
    section = feedback_section(shopper.read())
    assert THANKS_DETAILS in section
    assert '&lt;img src=x onerror=alert(1)&gt;\nSizes changed</textarea>' in section
    assert "<img src=x" not in section
    assert 'value="out-of-date" checked' in section and 'value="not-answered">' in section
    assert "958 characters left" in section
    assert stored_comments(app) == ["<img src=x onerror=alert(1)>\nSizes changed"]
    assert stored_votes(app)[0].reasons == "out-of-date hard-to-follow"


def test_pressing_no_again_keeps_the_reasons_and_comment(app):
    shopper = Shopper(app)
    shopper.tell_more(["other"], "Missing returns address")
    shopper.vote("no")
    assert stored_votes(app)[0].reasons == "other"
    assert stored_comments(app) == ["Missing returns address"]


def test_emptying_the_comment_box_removes_the_comment(app):
    shopper = Shopper(app)
    shopper.tell_more(comment="Too long")
    shopper.tell_more(comment="  ")
    assert stored_comments(app) == []


def test_helpful_count_appears_once_there_are_enough_votes(make_app):
    app = make_app(KB_FEEDBACK_MIN_VOTES=3)
    Shopper(app, "192.0.2.1").vote("yes")
    Shopper(app, "192.0.2.2").vote("no")
    assert "found this helpful" not in Shopper(app).read()
    Shopper(app, "192.0.2.3").vote("yes")
    assert '<p class="helpful-count">67% of 3 shoppers found this helpful</p>' in Shopper(app).read()


def test_votes_cast_on_another_worker_show_once_the_count_is_due(make_app, monkeypatch):
    reader = make_app(KB_FEEDBACK_MIN_VOTES=2, KB_FEEDBACK_TALLY_SECONDS=30)
    elsewhere = make_app(KB_FEEDBACK_MIN_VOTES=2)  # another worker or node on the same database
    assert "found this helpful" not in Shopper(reader).read()
    Shopper(elsewhere, "192.0.2.1").vote("yes")
    Shopper(elsewhere, "192.0.2.2").vote("yes")
    assert "found this helpful" not in Shopper(reader).read()  # counted at most every 30 s
    clock = time.monotonic() + 31
    monkeypatch.setattr(time, "monotonic", lambda: clock)
    assert '<p class="helpful-count">100% of 2 shoppers found this helpful</p>' in Shopper(reader).read()


def test_helpdesk_api_gives_the_helpful_ratio_once_there_are_enough_votes(make_app):
    app = make_app(KB_FEEDBACK_MIN_VOTES=3)
    api = app.test_client()
    Shopper(app, "192.0.2.1").vote("yes")
    Shopper(app, "192.0.2.2").vote("no")
    assert api.get(f"/api/v1/articles/{ARTICLE}").get_json()["helpful_ratio"] is None
    Shopper(app, "192.0.2.3").vote("yes")
    assert api.get(f"/api/v1/articles/{ARTICLE}").get_json()["helpful_ratio"] == 0.667


def test_the_script_gets_the_same_answers_as_json(app):
    shopper = Shopper(app)
    response = shopper.vote("no", script=True)
    assert response.status_code == 200
    assert response.get_json() == {"message": THANKS_NO, "vote": "no"}
    refused = shopper.vote("maybe", script=True)
    assert refused.status_code == 400
    assert refused.get_json() == {"message": "Choose Yes or No."}


# ---------------------------------------------------------------- honest counting

def test_changing_your_mind_changes_the_vote_and_never_counts_twice(app):
    shopper = Shopper(app)
    shopper.tell_more(["out-of-date"], "Old prices")
    shopper.vote("yes")
    votes = stored_votes(app)
    assert [(v.article_slug, v.helpful, v.reasons) for v in votes] == [(ARTICLE, True, "")]
    assert 'value="yes" aria-pressed="true"' in shopper.read()


def test_second_vote_from_same_visitor_is_not_counted(app):
    shopper = Shopper(app)
    shopper.vote("yes")
    shopper.vote("yes")
    assert len(stored_votes(app)) == 1


def test_a_shopper_who_cleared_cookies_may_vote_again(app):
    shopper = Shopper(app)
    shopper.vote("yes")
    shopper.clear_cookies()
    shopper.vote("no")
    assert [v.helpful for v in stored_votes(app)] == [True, False]
    assert 'value="no" aria-pressed="true"' in shopper.read()


def test_a_shopper_without_a_cookie_never_takes_over_another_shoppers_vote_from_the_same_address(app):
    first, second = Shopper(app), Shopper(app)
    first.tell_more(["out-of-date"], "The prices are old")
    second.vote("yes")
    assert [(v.helpful, v.reasons) for v in stored_votes(app)] == [(False, "out-of-date"), (True, "")]
    assert stored_comments(app) == ["The prices are old"]
    assert 'value="no" aria-pressed="true"' in first.read()


def test_shoppers_sharing_an_address_count_separately_once_they_have_our_cookie(app):
    first, second = Shopper(app), Shopper(app)
    second.vote("yes", slug="start-a-return")  # now has a visitor cookie
    first.vote("yes")
    second.vote("no")
    assert sorted(v.helpful for v in stored_votes(app) if v.article_slug == ARTICLE) == [False, True]


def test_votes_keep_nothing_about_the_address(app):
    Shopper(app, "198.51.100.7").vote("yes")
    with app.app_context():
        row = db.session.execute(sa.select(Vote.__table__)).one()._asdict()
    assert "address_hash" not in row and "198.51.100.7" not in repr(row)


def test_a_forged_visitor_cookie_is_a_new_visitor(app):
    shopper = Shopper(app)
    shopper.vote("yes")
    shopper.client.set_cookie("kb_visitor", "someone-else.forged-signature")
    response = shopper.vote("yes")
    assert response.status_code == 303
    assert "kb_visitor=" in response.headers["Set-Cookie"]


def test_vote_records_the_article_version_it_judged(content, make_app):
    git = ["git", "-C", str(content.root), "-c", "user.name=Editor", "-c", "user.email=editor@shop.example"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "Articles"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    app = make_app()
    Shopper(app).vote("yes")
    vote = stored_votes(app)[0]
    assert vote.content_commit == commit
    assert vote.source_hash == app.extensions["kb.library"].articles[ARTICLE].source_hash


def test_content_outside_git_records_no_commit(app):
    Shopper(app).vote("yes")
    assert stored_votes(app)[0].content_commit is None


def test_concurrent_votes_from_one_visitor_store_one_row(app):
    shopper = Shopper(app)
    shopper.vote("yes")
    cookie = shopper.client.get_cookie("kb_visitor").value
    token = shopper.token()
    session_cookie = shopper.client.get_cookie("session").value
    answers = []

    def vote(helpful):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = shopper.address
        client.set_cookie("kb_visitor", cookie)
        client.set_cookie("session", session_cookie)
        answers.append(client.post(f"/articles/{ARTICLE}/feedback",
                                   data={"csrf_token": token, "helpful": helpful}).status_code)

    threads = [threading.Thread(target=vote, args=("yes" if n % 2 else "no",)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303] * 12
    assert len(stored_votes(app)) == 1


# ---------------------------------------------------------------- refused posts store nothing

def test_reading_an_article_sets_no_cookie(app):
    response = Shopper(app).client.get(f"/articles/{ARTICLE}")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert 'name="csrf_token" value=""' in feedback_section(response.get_data(as_text=True))


def test_a_first_vote_sent_without_javascript_is_shown_back_to_confirm_and_stored_only_then(app):
    shopper = Shopper(app)
    shopper.read()
    answer = shopper.client.post(f"/articles/{ARTICLE}/feedback", data={
        "csrf_token": "", "helpful": "no", "details": "1", "reasons": ["out-of-date"], "comment": "Line one\n<b>two</b>"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Send your feedback?" in page
    assert "It’s out of date" in page and "&lt;b&gt;two&lt;/b&gt;" in page
    assert stored_votes(app) == []

    form = page[page.index('<form method="post"'):]
    form = form[:form.index("</form>")]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    assert dict(fields)["csrf_token"]
    confirmed = shopper.client.post(f"/articles/{ARTICLE}/feedback", data=MultiDict((k, html.unescape(v)) for k, v in fields))
    assert confirmed.status_code == 303
    [vote] = stored_votes(app)
    assert not vote.helpful and vote.reasons == "out-of-date"
    assert stored_comments(app) == ["Line one\n<b>two</b>"]


def test_feedback_post_without_csrf_token_is_rejected(app):
    shopper = Shopper(app)
    shopper.token()  # a visitor with a session, whose post lost its token
    response = shopper.client.post(f"/articles/{ARTICLE}/feedback", data={"helpful": "yes"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert EXPIRED in page and f'href="/articles/{ARTICLE}#feedback"' in page
    assert stored_votes(app) == []


def test_token_from_another_session_is_rejected(app):
    token = Shopper(app).token()
    other = Shopper(app)
    other.token()  # another browser, with a session of its own, replaying someone's token
    response = other.vote("yes", token=token)
    assert response.status_code == 400
    assert "Send your feedback?" not in response.get_data(as_text=True)
    assert stored_votes(app) == []


@pytest.mark.parametrize("slug, fields, message", [
    ("no-such-article", {"helpful": "yes"}, "There is no article called “no-such-article” to give feedback on."),
    ("secret-sale", {"helpful": "yes"}, "There is no article called “secret-sale” to give feedback on."),
    (ARTICLE, {"helpful": "maybe"}, "Choose Yes or No."),
    (ARTICLE, {}, "Choose Yes or No."),
    (ARTICLE, {"helpful": "no", "details": "1", "reasons": ["rude"]},
     "Unknown reason 'rude': choose from not-answered, out-of-date, hard-to-follow, other."),
    (ARTICLE, {"helpful": "no", "details": "1", "comment": "x" * 1001},
     "Your comment is 1001 characters long; please keep it to 1000."),
])
def test_malformed_feedback_is_rejected_with_a_clear_message(content, make_app, slug, fields, message):
    content.article("secret-sale", "Secret sale", draft="true")
    app = make_app()
    shopper = Shopper(app)
    response = shopper.client.post(f"/articles/{slug}/feedback", data={"csrf_token": shopper.token(), **fields})
    assert response.status_code == 400
    assert str(escape(message)) in response.get_data(as_text=True)
    assert stored_votes(app) == []


def test_form_that_is_not_utf8_is_rejected(app):
    shopper = Shopper(app)
    body = f"csrf_token={shopper.token()}&helpful=no&details=1&comment=%FF%FEbad".encode()
    response = shopper.client.post(f"/articles/{ARTICLE}/feedback", data=body,
                                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "The form was not sent as UTF-8 text." in response.get_data(as_text=True)
    assert stored_votes(app) == []


def test_comment_of_exactly_1000_characters_with_line_breaks_is_accepted(app):
    text = "\r\n".join(["a" * 99] * 10) + "a"  # 1,000 characters as the browser counts them, 1,009 as sent
    assert Shopper(app).tell_more(comment=text).status_code == 303
    assert len(stored_comments(app)[0]) == 1000


# ---------------------------------------------------------------- floods

def test_flood_gets_429_with_a_human_message_and_keeps_earlier_votes(make_app):
    app = make_app(KB_FEEDBACK_RATE_LIMIT="3 per minute")
    shopper = Shopper(app)
    assert [shopper.vote(v).status_code for v in ("yes", "no", "yes")] == [303, 303, 303]
    response = shopper.vote("no")
    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)
    assert shopper.vote("no", script=True).get_json() == {"message": TOO_MANY}
    assert [v.helpful for v in stored_votes(app)] == [True]


def test_rate_limit_holds_across_workers(make_app):
    """Two apps on one database stand for two gunicorn workers (or two nodes)."""
    first, second = make_app(KB_FEEDBACK_RATE_LIMIT="3 per minute"), make_app(KB_FEEDBACK_RATE_LIMIT="3 per minute")
    statuses = [Shopper(worker).vote("yes").status_code for worker in (first, second, first, second)]
    assert statuses == [303, 303, 303, 429]


def test_made_up_forwarded_for_changes_nothing_without_trusted_proxies(make_app):
    app = make_app(KB_FEEDBACK_RATE_LIMIT="2 per minute")
    statuses = [Shopper(app, forwarded_for=f"203.0.113.{n}").vote("yes").status_code for n in range(3)]
    assert statuses == [303, 303, 429]
    assert len(stored_votes(app)) == 2  # two shoppers, then the address's limit


def test_forwarded_for_is_the_client_behind_a_configured_proxy(make_app):
    app = make_app(KB_FEEDBACK_RATE_LIMIT="2 per minute", KB_PROXY_COUNT=1)
    statuses = [Shopper(app, forwarded_for=f"203.0.113.{n}").vote("yes").status_code for n in range(3)]
    assert statuses == [303, 303, 303]
    assert len(stored_votes(app)) == 3


# ---------------------------------------------------------------- the database in trouble

@pytest.mark.parametrize("url", ["sqlite:////nonexistent/folder/kb.sqlite",
                                 "postgresql://kb@127.0.0.1:9/kb?connect_timeout=2"])
def test_database_down_keeps_articles_up_and_the_vote_answers_503(make_app, url):
    app = make_app(create_tables=False, DATABASE_URL=url)
    shopper = Shopper(app)
    page = shopper.read()
    assert "<h1>Track your order</h1>" in page and "Was this helpful?" in page
    response = shopper.vote("yes")
    assert response.status_code == 503
    assert UNAVAILABLE in response.get_data(as_text=True)
    assert shopper.vote("yes", script=True).get_json() == {"message": UNAVAILABLE}
    assert shopper.client.get("/").status_code == 200


def test_locked_database_keeps_articles_up_and_the_vote_answers_503(make_app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single writer lock")
    app = make_app(KB_SQLITE_BUSY_TIMEOUT_MS=100)
    shopper = Shopper(app)
    token = shopper.token()
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert "<h1>Track your order</h1>" in shopper.read()
        response = shopper.vote("yes", token=token)
        assert response.status_code == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert shopper.vote("yes").status_code == 303


# ---------------------------------------------------------------- caching still works

def test_unchanged_article_still_answers_304_to_the_same_visitor(app):
    shopper = Shopper(app)
    first = shopper.client.get(f"/articles/{ARTICLE}")
    again = shopper.client.get(f"/articles/{ARTICLE}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
