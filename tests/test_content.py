"""Loading editors' files: every good article is served, every bad one is named."""
from __future__ import annotations

import datetime as dt
import time

from kb.content import load_library


def problems_for(library, name):
    return [str(p) for p in library.problems if name in p.path]


def test_article_fields_are_read_from_front_matter(content):
    library = load_library(content.root)
    article = library.articles["track-your-order"]
    assert article.title == "Track your order"
    assert article.summary == "Find out where your parcel is."
    assert article.category == "orders-and-shipping"
    assert article.tags == ("tracking", "parcel")
    assert article.featured is True
    assert [h.id for h in article.headings] == ["tracking-link", "what-the-statuses-mean"]


def test_slug_is_the_file_name_and_category_defaults_to_the_folder(content):
    content.write("returns-and-refunds/refund-times.md", "---\ntitle: Refund times\n---\nFive working days.\n")
    library = load_library(content.root)
    assert library.articles["refund-times"].category == "returns-and-refunds"


def test_broken_file_is_reported_and_every_other_article_still_loads(content):
    content.write("orders-and-shipping/broken.md", "---\ntitle: Broken\ntags: [unclosed\n---\nBody\n")
    library = load_library(content.root)
    assert "track-your-order" in library.articles and "start-a-return" in library.articles
    assert "broken" not in library.articles
    [problem] = problems_for(library, "broken.md")
    assert problem.startswith("articles/orders-and-shipping/broken.md:")
    assert "front matter is not valid YAML" in problem


def test_missing_title_names_the_file(content):
    content.write("orders-and-shipping/untitled.md", "---\nsummary: No title here\n---\nBody\n")
    library = load_library(content.root)
    assert problems_for(library, "untitled.md") == [
        "articles/orders-and-shipping/untitled.md:1: error: 'title' is required and must not be empty"]


def test_impossible_date_is_reported_at_its_line(content):
    content.write("orders-and-shipping/bad-date.md", "---\ntitle: Dated\nsummary: x\nupdated: 2026-02-30\n---\nBody\n")
    library = load_library(content.root)
    [problem] = problems_for(library, "bad-date.md")
    assert problem.startswith("articles/orders-and-shipping/bad-date.md:4:10: error: 'updated' could not be read")
    assert library.articles["bad-date"].updated is None


def test_wrong_type_says_what_was_expected(content):
    content.write("orders-and-shipping/typed.md", "---\ntitle: Typed\ndraft: maybe\n---\nBody\n")
    library = load_library(content.root)
    assert problems_for(library, "typed.md") == [
        "articles/orders-and-shipping/typed.md:3:8: error: 'draft' should be true or false, got text ('maybe')"]


def test_python_tags_in_yaml_are_refused(content, tmp_path):
    marker = tmp_path / "pwned"
    content.write("orders-and-shipping/evil.md",
                  f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n---\nBody\n")
    library = load_library(content.root)
    assert not marker.exists()
    assert "evil" not in library.articles
    assert problems_for(library, "evil.md")


def test_byte_order_mark_and_windows_line_endings_are_accepted(content):
    content.write("orders-and-shipping/windows.md",
                  "\ufeff---\r\ntitle: Saved on Windows\r\nsummary: With a BOM\r\n---\r\n## Heading\r\n\r\nText\r\n")
    library = load_library(content.root)
    article = library.articles["windows"]
    assert article.title == "Saved on Windows"
    assert article.summary == "With a BOM"
    assert not problems_for(library, "windows.md")


def test_file_that_is_not_utf8_is_reported_with_its_line(content):
    content.write("orders-and-shipping/latin1.md", "---\ntitle: Caf\xe9\n---\nBody\n", encoding="latin-1")
    library = load_library(content.root)
    assert problems_for(library, "latin1.md") == [
        "articles/orders-and-shipping/latin1.md:2:11: error: the file is not UTF-8 text (byte 0xe9); save it as UTF-8"]


def test_front_matter_never_closed_is_reported(content):
    content.write("orders-and-shipping/open.md", "---\ntitle: Never closed\nBody text\n")
    library = load_library(content.root)
    assert problems_for(library, "open.md") == [
        "articles/orders-and-shipping/open.md:1: error: front matter is never closed: "
        "add a line '---' after the last field"]


def test_pathological_markdown_gives_an_error_within_a_second(content):
    content.write("orders-and-shipping/brackets.md", "---\ntitle: Brackets\n---\n" + "[" * 20_000 + "\n")
    content.write("orders-and-shipping/nested.md", "---\ntitle: Nested\n---\n" + "- " * 3_000 + "x\n")
    started = time.perf_counter()
    library = load_library(content.root)
    assert time.perf_counter() - started < 1.0
    assert "one paragraph has 20,000 brackets" in problems_for(library, "brackets.md")[0]
    assert "nested too deeply" in problems_for(library, "nested.md")[0]
    assert "track-your-order" in library.articles


def test_duplicate_slug_keeps_the_first_and_names_both(content):
    content.write("returns-and-refunds/track-your-order.md", "---\ntitle: Copy\n---\nBody\n")
    library = load_library(content.root)
    assert library.articles["track-your-order"].title == "Track your order"
    assert problems_for(library, "returns-and-refunds/track-your-order.md") == [
        "articles/returns-and-refunds/track-your-order.md: error: duplicate slug 'track-your-order': "
        "articles/orders-and-shipping/track-your-order.md already uses it; rename one file"]


def test_unknown_category_is_an_error_but_the_article_is_still_served(content):
    content.article("lost", "Lost", category="nowhere")
    library = load_library(content.root)
    assert "lost" in library.articles
    assert "unknown category 'nowhere'" in problems_for(library, "lost.md")[0]


def test_unknown_field_is_a_warning(content):
    content.article("extra", "Extra", colour="blue")
    library = load_library(content.root)
    [problem] = [p for p in library.problems if "extra.md" in p.path]
    assert problem.level == "warning" and "unknown field 'colour'" in problem.message


def test_updated_date_and_drafts(content):
    content.article("secret", "Secret plans", draft="true", updated="2026-05-01")
    library = load_library(content.root)
    assert library.articles["secret"].updated == dt.date(2026, 5, 1)
    assert "secret" not in [a.slug for a in library.published]


def test_categories_follow_their_order(content):
    library = load_library(content.root)
    assert [c.slug for c in library.categories] == ["orders-and-shipping", "returns-and-refunds"]


def test_related_articles_share_a_tag_or_category(content):
    library = load_library(content.root)
    assert [a.slug for a in library.related["track-your-order"]] == ["start-a-return"]


def test_demo_content_loads_without_errors():
    from kb import ROOT
    from kb.translations import load_languages
    library = load_languages(ROOT / "articles", ("en", "de"))
    assert [str(p) for p in library.problems if p.level == "error"] == []
    assert len(library.published) >= 40
    assert {a.category for a in library.published} == {c.slug for c in library.categories}
    assert len(library.translations["de"].published) >= 12


def test_related_articles_put_most_shared_tags_first_with_the_category_counting_as_two(content):
    content.article("lost-parcel", tags="[tracking, parcel]", order=5)  # 2 tags + category: 4
    content.article("delivery-times", tags="[parcel]")  # 1 tag + category: 3
    content.article("customs-charges", order=1)  # category only: 2, first of the 2s by order
    content.article("courier-tracking", category="returns-and-refunds", tags="[tracking, parcel]")  # 2 tags: 2
    content.article("parcel-lockers", tags="[lockers]", order=200)  # 2, but after the limit of 4
    content.article("gift-cards", category="returns-and-refunds", tags="[gifts]")  # nothing in common
    library = load_library(content.root)
    assert [a.slug for a in library.related["track-your-order"]] == [
        "lost-parcel", "delivery-times", "customs-charges", "courier-tracking"]
    assert "track-your-order" not in [a.slug for a in library.related["gift-cards"]]
