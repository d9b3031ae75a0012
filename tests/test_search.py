"""What a shopper notices when searching: forgiving queries, typos, synonyms, snippets, filters."""
from __future__ import annotations

import html
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kb import ROOT, create_app
from kb.search import snippets


def results_of(client, query: str, **params) -> str:
    page = client.get("/search", query_string={"q": query, **params}).get_data(as_text=True)
    return page.split('<main', 1)[1].split("</main>", 1)[0]


def result_links(page: str) -> list[str]:
    return re.findall(r'<li class="search-result">\s*<h2><a href="([^"]+)"', page)


@pytest.fixture
def shop(content, make_app):
    """A few articles written the way the demo shop's are."""
    content.article("return-policy", "Our return policy", """
        You can return unworn items within 30 days.

        ## Refunds for late returns {#late-returns}

        A refund for a late return is at our discretion.
        """, category="returns-and-refunds", summary="What you can send back.")
    content.article("refund-times", "Refund times", "Your refund reaches your bank in 3 to 5 days.",
                    category="returns-and-refunds")
    content.article("jackets", "Waterproof jacket care", "Wash a waterproof jacket at 30 degrees.")
    content.article("hats", "Hats", "A warm jacket and hat for winter.")
    content.article("cafe", "Our café", "The café in our Edinburgh store serves coffee.")
    return make_app()


@pytest.fixture
def shop_client(shop):
    return shop.test_client()


def test_misspelled_words_are_corrected_and_the_page_says_so(shop_client):
    page = results_of(shop_client, "refnud polcy")
    assert "<h1>Results for “refund policy”</h1>" in page  # the words the results are for
    assert 'Search instead for <a href="/search?q=refnud+polcy&amp;exact=1">refnud polcy</a>' in page
    assert result_links(page)[0] == "/articles/return-policy"


def test_a_name_the_articles_lack_is_not_corrected_to_another_word(content, make_app):
    content.article("paying", "Paying for your order", "Once you have paid we email a receipt.")
    page = results_of(make_app().test_client(), "returns from spain")
    assert "Search instead for" not in page and "paid" not in page


def test_search_instead_searches_the_words_as_typed(shop_client):
    page = results_of(shop_client, "refnud polcy", exact="1")
    assert "<h1>Results for “refnud polcy”</h1>" in page and "Search instead for" not in page
    assert "We couldn't find an article for “refnud polcy”." in page


def test_each_way_of_asking_gets_its_own_results_page(shop_client):
    """Results pages are kept rendered: the words, the topic, the page and "as typed" each get their own."""
    corrected = results_of(shop_client, "refnud polcy")
    assert "Search instead for" not in results_of(shop_client, "refnud polcy", exact="1")
    assert results_of(shop_client, "refnud polcy") == corrected
    everywhere = result_links(results_of(shop_client, "jacket"))
    in_topic = result_links(results_of(shop_client, "jacket", category="returns-and-refunds"))
    assert "/articles/jackets" in everywhere and in_topic == []


def test_the_article_about_the_words_ranks_above_a_passing_mention(shop_client):
    links = result_links(results_of(shop_client, "waterproof jacket"))
    assert links[:2] == ["/articles/jackets", "/articles/hats"]


def test_a_question_with_filler_words_finds_the_article_whose_title_answers_it(content, make_app):
    """Words the answer lacks ("get rid of") must not lift an article that happens to have them all."""
    content.article("delete-facebook-account", "How do I delete my Facebook account?",
                    "Open Settings, then Your Facebook information, and choose Deactivation and deletion.")
    content.article("gmail-filters", "Create a Gmail filter for calendar notifications",
                    "To get rid of the notification mails Facebook sends, make a filter in your Gmail account "
                    "that archives them.")
    content.article("dropbox-trust", "Can I trust Dropbox?", "Is it possible that they read my files? "
                    "It is possible: they hold the keys, so encrypt what matters before you upload it.")
    client = make_app().test_client()
    asked = {"I want to get rid of my facebook account, how do I do it?": "/articles/delete-facebook-account",
             "Removing my FB account. Is it possible to delete facebook?": "/articles/delete-facebook-account",
             "is it possible dropbox reads my files": "/articles/dropbox-trust"}
    for question, answer in asked.items():
        assert result_links(results_of(client, question))[0] == answer, question


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory):
    """The demo shop, built once for the tests that only read it."""
    scratch = tmp_path_factory.mktemp("demo")
    return create_app({"TESTING": True, "SECRET_KEY": "test", "KB_CONTENT_DIR": str(ROOT / "articles"),
                       "KB_INDEX_DIR": str(scratch / "index"), "KB_SEMANTIC": False,
                       "DATABASE_URL": f"sqlite:///{scratch / 'kb.sqlite'}"}).test_client()


@pytest.mark.parametrize("question", ["my parcel never arrived", "how do i return something", "refund",
                                      "can i pay with klarna", "waterproof jacket care"])
def test_instant_results_are_the_top_of_the_results_page_in_the_same_order(demo_client, question):
    instant = [hit["url"].split("#")[0] for hit in
               demo_client.get("/search.json", query_string={"q": question}).get_json()["results"]]
    page = [link.split("#")[0] for link in result_links(results_of(demo_client, question))]
    assert instant and instant == page[:len(instant)]


def test_a_snippet_around_inline_markup_reads_as_the_sentence_does(content, make_app):
    content.article("late-refund", "Late refunds", "If your money is late, see [refund times](/articles/refund-times)"
                    ". In the app, select **Track your parcel**. This shows the *courier's* latest scan.")
    page = results_of(make_app().test_client(), "late money courier scan")
    snippet = re.sub(r"<[^>]+>", "", page.split('class="snippet"', 1)[1].split("</p>", 1)[0].split(">", 1)[1])
    assert "see refund times. In the app, select Track your parcel. This shows the courier's latest scan." in \
        html.unescape(snippet)


def test_snippet_shows_where_the_words_meet_in_a_long_section():
    text = "Your order ships today. " * 60 + "To cancel an order, write to us before it ships. " + "Thanks. " * 40
    words = snippets.matcher({"cancel", "order"})
    shown = str(snippets.highlight(text, words))
    assert "To <mark>cancel</mark> an <mark>order</mark>" in shown and shown.startswith("… ")


def test_snippet_marks_the_word_itself_after_letters_that_lower_to_two():
    """"İ" lowers to two characters: the mark must not slide off the word that follows."""
    shown = str(snippets.highlight("İade: send your ORDER back", snippets.matcher({"order"})))
    assert shown == "İade: send your <mark>ORDER</mark> back"


def test_quoted_phrase_needs_the_words_side_by_side(shop_client):
    assert result_links(results_of(shop_client, '"warm jacket"')) == ["/articles/hats"]
    assert result_links(results_of(shop_client, '"jacket warm"')) == []


def test_word_forms_and_accents_meet(shop_client):
    assert "/articles/return-policy" in result_links(results_of(shop_client, "returning"))
    assert result_links(results_of(shop_client, "cafe"))[0] == "/articles/cafe"


def test_snippet_highlights_matches_and_cannot_inject_markup(shop_client):
    page = results_of(shop_client, "<b>bank</b>")
    assert "your <mark>bank</mark> in 3 to 5 days" in page
    assert "<b>" not in page and "&lt;b&gt;bank&lt;/b&gt;" in page


def test_result_links_to_the_section_that_answers(client):
    page = results_of(client, "tracking link")
    assert result_links(page) == ["/articles/track-your-order#tracking-link"]
    assert "› Where is my tracking link?" in page


def test_title_match_links_to_the_top_of_the_article(client):
    assert result_links(results_of(client, "track"))[0] == "/articles/track-your-order"


def test_synonym_added_by_an_editor_works_without_reindexing(content, shop_client):
    assert "/articles/refund-times" not in result_links(results_of(shop_client, "money back"))
    content.write("synonyms.txt", "# ours\nmoney back => refund\nparcel, package\n")
    assert result_links(results_of(shop_client, "money back"))[0] == "/articles/refund-times"
    assert "/articles/track-your-order" in result_links(results_of(shop_client, "package"))


def test_one_way_synonym_does_not_work_backwards(content, make_app):
    content.write("synonyms.txt", "jumper => sweater\n")
    content.article("sweaters", "Sweaters", "Wool sweater sizes.")
    content.article("jumpers", "Jumpers", "Knitted jumper colours.")
    client = make_app().test_client()
    assert set(result_links(results_of(client, "jumper"))) == {"/articles/jumpers", "/articles/sweaters"}
    assert result_links(results_of(client, "sweater")) == ["/articles/sweaters"]


def test_model_code_with_a_wrong_character_is_found_by_fuzzy_matching(content, make_app):
    content.article("xt500", "Tent poles", "The XT500 pole kit fits every tent.")
    page = results_of(make_app().test_client(), "xt501")
    assert "No exact matches: showing articles with similar words." in page
    assert result_links(page) == ["/articles/xt500"]


def test_results_can_be_filtered_by_topic_with_counts_and_paged(content, make_app):
    for n in range(12):
        content.article(f"voucher-{n}", f"Voucher question {n}", "About vouchers.")
    content.article("voucher-refund", "Refunding a voucher", "Vouchers are refunded as vouchers.",
                    category="returns-and-refunds")
    client = make_app().test_client()
    page = results_of(client, "voucher")
    assert "13 articles found" in page
    assert "Orders and shipping <span class=\"count\">(12)</span>" in page
    assert "Returns and refunds <span class=\"count\">(1)</span>" in page
    assert len(result_links(page)) == 10 and "Page 1 of 2" in page
    assert len(result_links(results_of(client, "voucher", page="2"))) == 3
    filtered = results_of(client, "voucher", category="returns-and-refunds")
    assert "1 article found in Returns and refunds" in filtered
    assert result_links(filtered) == ["/articles/voucher-refund"]


def test_order_number_leads_to_tracking_and_the_team(client):
    page = client.get("/search?q=AP-20418833").get_data(as_text=True)
    assert "That looks like an order or tracking number." in page
    assert 'href="/articles/track-your-order"' in page
    assert "We couldn't find" not in page


def test_no_result_puts_the_contact_panel_forward(client):
    page = client.get("/search?q=zebra").get_data(as_text=True)
    assert 'class="contact-panel contact-prominent"' in page
    assert "contact-prominent" not in client.get("/search?q=track").get_data(as_text=True)


def test_instant_results_complete_the_word_being_typed(client):
    data = client.get("/search.json?q=retu").get_json()
    assert data["total"] == 1
    assert data["results"] == [{"title": "Start a return", "category": "Returns and refunds", "section": None,
                                "url": "/articles/start-a-return"}]
    assert data["more"] == "/search?q=retu"


def test_instant_results_correct_typos_and_link_sections(client):
    data = client.get("/search.json?q=trakcing+lnk").get_json()
    assert data["showing"] == "tracking link"
    assert data["results"][0]["url"] == "/articles/track-your-order#tracking-link"


HOSTILE = ['"unbalanced', "(((", "AND", "OR NOT", "title:refund", "nosuchfield:x", "*", "?", "refund?",
           "x" * 10_000, "refund\x00policy", "🧥 jacket 🎒", "استرداد الأموال", "{{7*7}}", "{% if %}", "\\", "'; --",
           "a" * 199 + "é", "ab-1234567 AP-7654321"]


@pytest.mark.parametrize("query", HOSTILE)
def test_odd_queries_get_a_page_not_an_error(client, query):
    page = client.get("/search", query_string={"q": query})
    instant = client.get("/search.json", query_string={"q": query})
    asked = client.get("/contact", query_string={"q": query})
    assert page.status_code == 200 and instant.status_code == 200 and asked.status_code == 200
    assert "<h1>" in page.get_data(as_text=True) and isinstance(instant.get_json()["results"], list)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=300))
@example(query='"')
@example(query="\x00")
@example(query="AND OR NOT ( ) [ ] { } ^ ~ * ? : \\ /")
def test_no_string_makes_search_raise(app, query):
    search = app.extensions["kb.search"]
    for prefix in (False, True):
        results = search.search(query, prefix=prefix)
        assert results.total >= len(results.hits)


def test_check_runs_editors_search_tests_and_reports_misses(content, runner):
    content.write("search-tests.txt", """\
        # what shoppers type -> the article that must be in the top 3
        where is my parcel -> track-your-order
        how do i send it back -> start-a-return
        zebra crossing -> track-your-order
        refund -> no-such-article
        just words
        """)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "articles/search-tests.txt:4: error: searching 'zebra crossing' should find 'track-your-order' " \
           "in the top 3, found: nothing" in lines
    assert "articles/search-tests.txt:5: error: no article 'no-such-article': check the slug after '->'" in lines
    assert "articles/search-tests.txt:6: error: a search test looks like " \
           "'where is my parcel -> track-your-order'" in lines
    assert not any(":2:" in line or ":3:" in line for line in lines)


def test_check_reports_a_synonym_line_it_cannot_read(content, runner):
    content.write("synonyms.txt", "parcel, package\nlonely\n")
    result = runner.invoke(args=["check"])
    assert "articles/synonyms.txt:2: error: a synonym line needs 'word, other word' or 'words => replacement'" \
        in result.output.splitlines()


def test_demo_content_passes_its_own_search_tests(make_app):
    from kb import ROOT
    result = make_app(KB_CONTENT_DIR=str(ROOT / "articles")).test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
