"""Shoppers in several languages: translated articles, addresses, interface text, search and insights."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from kb.content import load_library
from kb.extensions import db
from kb.pageviews import PageView, flush_views
from kb.searchlog import SearchLog
from kb.translations import load_languages

BASE = "https://help.example"

GERMAN_TRACKING = """\
---
title: Bestellung verfolgen
summary: Wo Ihr Paket gerade ist.
category: orders-and-shipping
translation_of: track-your-order
tags: [sendungsverfolgung, paket]
updated: 2026-10-20
featured: true
---
Den Link zur Sendungsverfolgung bekommen Sie per E-Mail.

## Wo ist mein Link? {#link}

In der Versandbestätigung. Zum Zurückschicken siehe [hier](/de/articles/start-a-return).
"""

GERMAN_RETURN = """\
---
title: Rücksendung starten
summary: Schicken Sie etwas zurück.
category: returns-and-refunds
tags: [rücksendung]
updated: 2026-11-01
---
Die Rücksendung ist innerhalb von {{ facts.return_days }} Tagen kostenlos.
"""


@pytest.fixture
def german(content):
    """The content fixture with a German folder: two translations, topics, a contact panel, facts and synonyms."""
    content.write("de/orders-and-shipping/sendung-verfolgen.md", GERMAN_TRACKING)
    content.write("de/returns-and-refunds/start-a-return.md", GERMAN_RETURN)
    content.write("facts.yml", "return_days: 30\n")
    content.write("de/categories.yml", """\
        - slug: orders-and-shipping
          title: Bestellung und Versand
          description: Lieferung und Sendungsverfolgung.
        - slug: returns-and-refunds
          title: Rücksendung und Erstattung
        """)
    content.write("de/contact.yml", """\
        timezone: Europe/London
        channels:
          - kind: phone
            label: Rufen Sie uns an
            value: +44 131 496 0188
            hours:
              mon-fri: "09:00-17:00"
        """)
    content.write("de/synonyms.txt", "retoure => rücksendung\n")
    content.article("refund-times", "Refund times", "Refunds take five working days.", category="returns-and-refunds",
                    tags="[refund, money]")
    return content


@pytest.fixture
def german_app(german, make_app):
    return make_app(KB_BASE_URL=BASE)


@pytest.fixture
def german_client(german_app):
    return german_app.test_client()


def text(response) -> str:
    return response.get_data(as_text=True)


def h1(page: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1).strip()


def switcher(page: str) -> dict[str, str]:
    nav = re.search(r'<nav class="language-switcher".*?</nav>', page, re.S).group(0)
    return dict((code, href) for href, code in re.findall(r'<a href="([^"]+)" hreflang="([^"]+)"', nav))


def alternates(page: str) -> dict[str, str]:
    head = page.split("</head>")[0]
    return dict((code, href) for code, href in re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">',
                                                          head))


# ---------------------------------------------------------------- 1. content and checker

def test_translation_beside_the_original_belongs_to_its_language_not_the_default(german):
    library = load_languages(german.root, ("en", "de"))
    assert set(library.articles) == {"track-your-order", "start-a-return", "refund-times"}
    translated = library.translations["de"]
    assert translated.originals == {"sendung-verfolgen": "track-your-order", "start-a-return": "start-a-return"}
    assert translated.articles["sendung-verfolgen"].language == "de"
    assert translated.category("orders-and-shipping").title == "Bestellung und Versand"
    assert translated.category("returns-and-refunds").description == "Sending something back and getting your money."
    assert translated.contact.channels[0].label == "Rufen Sie uns an"
    assert "innerhalb von 30 Tagen" in translated.articles["start-a-return"].html
    assert not [p for p in library.problems if p.level == "error"]


def test_check_reports_a_translation_of_an_article_that_does_not_exist(german, runner):
    german.write("de/orders-and-shipping/geisterartikel.md", "---\ntitle: Gibt es nicht\n---\nText.\n")
    german.write("de/orders-and-shipping/falsch.md",
                 "---\ntitle: Falsch\ntranslation_of: track-your-ordr\n---\nText.\n")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert ("articles/de/orders-and-shipping/geisterartikel.md: error: translation of an article that does not "
            "exist: no article in the default language has the slug 'geisterartikel'; set 'translation_of' to the "
            "original's slug") in result.output
    assert ("articles/de/orders-and-shipping/falsch.md:3:17: error: translation of an article that does not exist: "
            "no article in the default language has 'translation_of: track-your-ordr'") in result.output


def test_check_reports_missing_translations_once_per_language(german, runner):
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert ("articles/de: warning: missing translations: 1 of 3 articles have no 'de' version yet: refund-times"
            in result.output)


def test_brief_check_for_start_up_logs_counts_missing_translations_instead_of_listing_them(german, runner):
    result = runner.invoke(args=["check", "--format", "brief"])
    assert result.exit_code == 0, result.output
    assert ("articles/de: warning: 1 article has no German translation; `flask --app kb check` lists them\n"
            in result.output)
    assert "refund-times" not in result.output


def test_trailing_slash_under_a_language_prefix_redirects_to_the_address_without(german_client):
    response = german_client.get("/de/articles/sendung-verfolgen/")
    assert response.status_code == 308
    assert response.headers["Location"] == "/de/articles/sendung-verfolgen"


def test_check_reports_a_translation_updated_before_its_original_as_outdated(german, runner):
    german.article("track-your-order", "Track your order", "Now with a new section.", updated="2026-11-02")
    result = runner.invoke(args=["check"])
    assert ("articles/de/orders-and-shipping/sendung-verfolgen.md:7:10: warning: outdated translation of "
            "'track-your-order': the original was updated on 2026-11-02, after this translation (2026-10-20); "
            "translate the changes, then move 'updated' forward") in result.output


def test_check_reports_an_original_committed_after_its_translation_as_outdated(german, runner, tmp_path):
    def commit(message: str, when: str):
        env = {"GIT_AUTHOR_NAME": "Ed", "GIT_AUTHOR_EMAIL": "ed@shop.example", "GIT_COMMITTER_NAME": "Ed",
               "GIT_COMMITTER_EMAIL": "ed@shop.example", "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
               "PATH": "/usr/bin:/bin"}
        for args in (["add", "articles"], ["commit", "-q", "-m", message]):
            subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True, env=env)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    commit("Articles in two languages", "2026-11-01T10:00:00+00:00")
    german.write("returns-and-refunds/start-a-return.md",  # the same `updated` date: only git can tell
                 "---\ntitle: Start a return\ncategory: returns-and-refunds\n---\nReturns are free within 60 days.\n")
    commit("Longer returns", "2026-11-03T09:30:00+00:00")
    outdated = [line for line in runner.invoke(args=["check"]).output.splitlines() if "outdated" in line]
    assert outdated == ["articles/de/returns-and-refunds/start-a-return.md:6:10: warning: outdated translation of "
                        "'start-a-return': the original was changed in a commit of 2026-11-03 09:30, after this "
                        "translation's last commit (2026-11-01 10:00); translate the changes, then move 'updated' "
                        "forward"]


def test_language_folder_is_not_read_as_articles_of_the_default_language(german):
    assert "sendung-verfolgen" not in load_library(german.root, skip=frozenset({"de"})).articles


# ---------------------------------------------------------------- 2. addresses

def test_default_language_keeps_its_unprefixed_addresses(german_client):
    page = german_client.get("/articles/track-your-order")
    assert page.status_code == 200
    assert h1(text(page)) == "Track your order"
    assert '<html lang="en">' in text(page)


def test_german_article_lives_under_its_language_prefix(german_client):
    page = text(german_client.get("/de/articles/sendung-verfolgen"))
    assert h1(page) == "Bestellung verfolgen"
    assert '<html lang="de">' in page


def test_browser_language_picks_the_language_of_the_home_page_only(german_client):
    home = german_client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert "Hallo, wie können wir helfen?" in text(home)
    assert "Accept-Language" in home.headers["Vary"]
    article = german_client.get("/articles/track-your-order", headers={"Accept-Language": "de"})
    assert h1(text(article)) == "Track your order"
    assert "Accept-Language" not in article.headers.get("Vary", "")


def test_home_page_kept_in_memory_is_kept_per_language(german_client):
    english = text(german_client.get("/", headers={"Accept-Language": "en-GB"}))
    german = text(german_client.get("/", headers={"Accept-Language": "de"}))
    again = text(german_client.get("/", headers={"Accept-Language": "en-GB"}))
    assert "Hi, how can we help?" in english and "Hi, how can we help?" in again
    assert "Hallo, wie können wir helfen?" in german


def test_switcher_on_the_english_home_page_keeps_a_german_browser_in_english(german_client):
    page = text(german_client.get("/?lang=en", headers={"Accept-Language": "de"}))
    assert "Hi, how can we help?" in page
    assert switcher(page) == {"en": "/?lang=en", "de": "/de/"}


def test_switcher_leads_to_the_same_article_in_the_other_language(german_client):
    assert switcher(text(german_client.get("/articles/track-your-order"))) == {
        "en": "/articles/track-your-order", "de": "/de/articles/sendung-verfolgen"}
    assert switcher(text(german_client.get("/de/articles/sendung-verfolgen"))) == {
        "en": "/articles/track-your-order", "de": "/de/articles/sendung-verfolgen"}
    assert switcher(text(german_client.get("/categories/orders-and-shipping")))["de"] == \
        "/de/categories/orders-and-shipping"


def test_article_not_translated_yet_shows_the_original_with_a_note(german_client):
    response = german_client.get("/de/articles/refund-times")
    page = text(response)
    assert response.status_code == 200
    assert h1(page) == "Refund times"
    assert ("Diesen Artikel gibt es noch nicht auf Deutsch, deshalb zeigen wir Ihnen das Original auf Englisch."
            in page)
    assert '<article class="article" lang="en">' in page
    assert switcher(page) == {"en": "/articles/refund-times", "de": "/de/articles/refund-times"}
    assert f'<link rel="canonical" href="{BASE}/articles/refund-times">' in page


def test_german_topic_lists_its_translations_then_the_originals_marked_as_english(german_client):
    page = text(german_client.get("/de/categories/returns-and-refunds"))
    assert h1(page).endswith("Rücksendung und Erstattung")
    cards = re.findall(r'<li class="article-card">\s*<a href="([^"]+)"[^>]*>([^<]+)</a>( <span class="original-note">'
                       r'\(Englisch\)</span>)?', page)
    assert cards == [("/de/articles/start-a-return", "Rücksendung starten", ""),
                     ("/de/articles/refund-times", "Refund times", " <span class=\"original-note\">(Englisch)</span>")]


def test_original_slug_under_a_language_prefix_leads_to_its_translation(german_client):
    response = german_client.get("/de/articles/track-your-order")
    assert response.status_code == 301
    assert response.headers["Location"] == "/de/articles/sendung-verfolgen"


def test_unknown_language_is_not_found_and_the_default_language_has_no_prefix(german_client):
    assert german_client.get("/fr/articles/track-your-order").status_code == 404
    response = german_client.get("/en/articles/track-your-order")
    assert response.status_code == 301 and response.headers["Location"] == "/articles/track-your-order"


def test_every_page_names_its_translations_as_hreflang_alternates(german_client):
    assert alternates(text(german_client.get("/articles/track-your-order"))) == {
        "en": f"{BASE}/articles/track-your-order", "de": f"{BASE}/de/articles/sendung-verfolgen",
        "x-default": f"{BASE}/articles/track-your-order"}
    assert alternates(text(german_client.get("/de/"))) == {
        "en": f"{BASE}/", "de": f"{BASE}/de/", "x-default": f"{BASE}/"}
    assert alternates(text(german_client.get("/de/articles/refund-times"))) == {
        "en": f"{BASE}/articles/refund-times", "x-default": f"{BASE}/articles/refund-times"}


def test_sitemap_lists_each_language_with_its_alternates(german_client):
    root = ET.fromstring(german_client.get("/sitemap.xml").data)
    sitemap, xhtml = "{http://www.sitemaps.org/schemas/sitemap/0.9}", "{http://www.w3.org/1999/xhtml}"
    entries = {url.findtext(f"{sitemap}loc"): {link.get("hreflang"): link.get("href")
                                               for link in url.findall(f"{xhtml}link")} for url in root}
    assert f"{BASE}/de/" in entries and f"{BASE}/de/categories/returns-and-refunds" in entries
    assert f"{BASE}/de/articles/refund-times" not in entries  # a fallback is not a page of its own
    assert entries[f"{BASE}/de/articles/sendung-verfolgen"] == entries[f"{BASE}/articles/track-your-order"] == {
        "en": f"{BASE}/articles/track-your-order", "de": f"{BASE}/de/articles/sendung-verfolgen",
        "x-default": f"{BASE}/articles/track-your-order"}


def test_languages_come_from_kb_languages(german, make_app):
    client = make_app(KB_LANGUAGES="en").test_client()
    assert client.get("/de/articles/sendung-verfolgen").status_code == 404
    assert switcher(text(client.get("/"))) == {"en": "/?lang=en"}


# ---------------------------------------------------------------- 3. interface text

def test_german_pages_have_german_navigation_vote_form_and_contact_panel(german_client):
    page = text(german_client.get("/de/articles/sendung-verfolgen"))
    for words in ("Zum Inhalt springen", ">Hilfecenter<", "War das hilfreich?", ">Ja</button>", ">Nein</button>",
                  "Noch Fragen? Sprechen Sie mit uns", "Rufen Sie uns an", "Aktualisiert am", "Bestellung und Versand"):
        assert words in page, words
    assert "Was this helpful?" not in page


def test_german_dates_numbers_and_opening_hours(german_client, monkeypatch):
    monkeypatch.setattr("kb.contact_panel.current_time",
                        lambda: dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc))  # a Saturday
    page = text(german_client.get("/de/articles/sendung-verfolgen"))
    assert '<time datetime="2026-10-20">20. Oktober 2026</time>' in page
    assert "Geschlossen — öffnet Montag 09:00" in page
    assert "Mo–Fr 09:00–17:00" in page
    assert "Noch 1.000 Zeichen" in page


def test_not_found_page_under_a_language_prefix_is_in_that_language(german_client):
    response = german_client.get("/de/articles/gibt-es-nicht")
    assert response.status_code == 404
    assert "Diese Seite finden wir leider nicht" in text(response)


def test_vote_thanks_is_in_the_language_of_the_page(german_client):
    german_client.get("/de/articles/sendung-verfolgen")  # a session and its form token
    token = german_client.get("/feedback/token").get_json()["csrf_token"]
    response = german_client.post("/de/articles/sendung-verfolgen/feedback", data={"helpful": "yes", "csrf_token": token},
                                  headers={"Accept": "application/json"})
    assert response.get_json()["message"] == "Danke für Ihr Feedback!"


def test_a_refused_vote_says_why_in_the_language_of_the_page(german_client):
    token = german_client.get("/feedback/token").get_json()["csrf_token"]
    response = german_client.post("/de/articles/sendung-verfolgen/feedback", data={"csrf_token": token},
                                  headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["message"] == "Bitte wählen Sie Ja oder Nein."
    response = german_client.post("/de/articles/sendung-verfolgen/feedback",
                                  data={"csrf_token": token, "helpful": "no", "details": "1", "comment": "x" * 1001},
                                  headers={"Accept": "application/json"})
    assert response.get_json()["message"] == "Ihr Kommentar ist 1001 Zeichen lang; bitte höchstens 1000."


def test_a_language_without_its_compiled_catalog_still_serves_and_says_so(german, make_app, tmp_path, caplog):
    client = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "no-catalogs")).test_client()
    page = text(client.get("/de/articles/sendung-verfolgen"))
    assert h1(page) == "Bestellung verfolgen" and "Was this helpful?" in page
    assert "no compiled interface catalog for 'de'" in caplog.text


# ---------------------------------------------------------------- 4. search

def hits(client, path: str) -> list[str]:
    return [hit["url"] for hit in client.get(path).get_json()["results"]]


def test_german_search_finds_a_stemmed_form(german_client):
    assert hits(german_client, "/de/search.json?q=Rücksendungen") == ["/de/articles/start-a-return"]


def test_german_synonyms_apply_to_german_searches(german_client):
    assert hits(german_client, "/de/search.json?q=retoure") == ["/de/articles/start-a-return"]


def test_german_search_lists_untranslated_originals_after_german_results_marked(german_client):
    results = german_client.get("/de/search.json?q=refund").get_json()["results"]
    assert [(r["url"], r.get("language")) for r in results] == [("/de/articles/refund-times", "en")]
    page = text(german_client.get("/de/search?q=refund"))
    assert "Noch nicht übersetzt: auf Englisch" in page


def test_german_search_finds_a_translation_through_a_word_only_its_original_has(german_client):
    assert hits(german_client, "/de/search.json?q=tracking") == ["/de/articles/sendung-verfolgen"]


def test_english_search_is_not_changed_by_german_articles(german_client):
    assert hits(german_client, "/search.json?q=tracking") == ["/articles/track-your-order"]
    assert hits(german_client, "/search.json?q=sendungsverfolgung") == []


def test_check_runs_german_search_tests_on_a_german_index(german, runner):
    german.write("de/search-tests.txt", "rücksendungen -> start-a-return\nsendungsverfolgung -> start-a-return\n")
    output = runner.invoke(args=["check"]).output
    assert "articles/de/search-tests.txt:1" not in output
    assert ("articles/de/search-tests.txt:2: error: searching 'sendungsverfolgung' should find 'start-a-return' in "
            "the top 3, found: sendung-verfolgen") in output


# ---------------------------------------------------------------- 5. feedback, search log, insights

def test_votes_searches_and_views_record_their_language(german_app, german_client):
    german_client.get("/de/articles/sendung-verfolgen")
    german_client.get("/articles/track-your-order")
    german_client.get("/de/search?q=paket")
    token = german_client.get("/feedback/token").get_json()["csrf_token"]
    german_client.post("/de/articles/sendung-verfolgen/feedback", data={"helpful": "no", "csrf_token": token},
                       headers={"Accept": "application/json"})
    with german_app.app_context():
        flush_views()
        views = set(db.session.execute(sa.select(PageView.article_slug, PageView.language)))
        searches = set(db.session.execute(sa.select(SearchLog.query, SearchLog.language)))
        votes = db.session.execute(sa.text("SELECT article_slug, language FROM votes")).all()
    assert views == {("sendung-verfolgen", "de"), ("track-your-order", "en")}
    assert searches == {("paket", "de")}
    assert [tuple(v) for v in votes] == [("sendung-verfolgen", "de")]


def logged_in(app):
    """A client of an editor who typed the password into the login form."""
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/insights/login"))).group(1)
    assert client.post("/insights/login", data={"csrf_token": token, "password": "editors only"}).status_code == 303
    return client


@pytest.fixture
def editor(german, make_app):
    app = make_app(KB_EDITOR_PASSWORD="editors only")
    return app, logged_in(app)


def test_insights_can_be_filtered_by_language(editor):
    app, client = editor
    client.get("/de/search?q=paket")
    client.get("/search?q=parcel")
    german = text(client.get("/insights?language=de"))
    assert "paket" in german and "parcel" not in german
    assert "German pages only" in german
    assert "/insights/searches.csv?period=30&amp;language=de" in german
    assert "paket" not in client.get("/insights/searches.csv?period=30&language=en").get_data(as_text=True)
    assert client.get("/insights?language=fr").status_code == 400


def test_insights_lists_outdated_translations(german, make_app):
    german.article("track-your-order", "Track your order", "New text.", updated="2026-11-15")
    client = logged_in(make_app(KB_EDITOR_PASSWORD="editors only"))
    section = text(client.get("/insights")).split('id="outdated"')[1]
    assert "Bestellung verfolgen" in section and "the original was updated on 2026-11-15" in section


def test_migration_adds_a_language_to_votes_searches_and_views_and_takes_it_away(make_app):
    app = make_app(create_tables=False)
    runner = app.test_cli_runner()

    def columns(table: str) -> set[str]:
        with app.app_context():
            return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert all("language" in columns(table) for table in ("votes", "search_log", "page_views"))
    with app.app_context():
        assert sa.inspect(db.engine).get_pk_constraint("page_views")["constrained_columns"] == [
            "article_slug", "language", "day"]
    assert runner.invoke(args=["db", "downgrade", "5c1e0a7b93f2"]).exit_code == 0
    assert not any("language" in columns(table) for table in ("votes", "search_log", "page_views"))
