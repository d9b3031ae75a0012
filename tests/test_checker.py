"""The content checker: one test per kind of mistake, each asserting the exact line editors read.

Every broken file is written into the ``content`` fixture's folder (two sound
articles, ``track-your-order`` with the section ``#tracking-link``, and
``start-a-return``) and checked with ``flask --app kb check``, as in a shop's CI.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from kb import reviews
from kb.checker import check_folder
from kb.content import load_library

FACTS = """\
return_days:
  value: 30
  literal: [30 days]
  near: [return]
free_shipping_threshold: "£50"
"""


def check(runner, *args):
    """Run the checker; return its output lines and exit code."""
    result = runner.invoke(args=["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.output.splitlines(), result.exit_code


def lines_for(runner, name):
    lines, _ = check(runner)
    return [line for line in lines if name in line]


@pytest.mark.parametrize("relative, text, expected", [
    ("orders-and-shipping/bad-yaml.md", "---\ntitle: Broken\nsummary: [unclosed\ntags: x\n---\nBody\n",
     "articles/orders-and-shipping/bad-yaml.md:4:5: error: front matter is not valid YAML: "
     "expected ',' or ']', but got ':'"),
    ("orders-and-shipping/unclosed.md", "---\ntitle: Never closed\nBody\n",
     "articles/orders-and-shipping/unclosed.md:1: error: front matter is never closed: "
     "add a line '---' after the last field"),
    ("orders-and-shipping/no-title.md", "---\nsummary: No title\n---\nBody\n",
     "articles/orders-and-shipping/no-title.md:1: error: 'title' is required and must not be empty"),
    ("orders-and-shipping/empty-title.md", "---\ntitle: \"\"\n---\nBody\n",
     "articles/orders-and-shipping/empty-title.md:2:8: error: 'title' is required and must not be empty"),
    ("orders-and-shipping/typed.md", "---\ntitle: Typed\nfeatured: yes please\n---\nBody\n",
     "articles/orders-and-shipping/typed.md:3:11: error: 'featured' should be true or false, got text ('yes please')"),
    ("orders-and-shipping/anchors.md", "---\ntitle: Anchors\nanchors: [old]\n---\nBody\n",
     "articles/orders-and-shipping/anchors.md:3:10: error: 'anchors' should map old anchors to new ones, "
     "like {old-anchor: new-anchor}, got a list"),
    ("orders-and-shipping/review.md", "---\ntitle: Review\nreview_by: soon\n---\nBody\n",
     "articles/orders-and-shipping/review.md:3:12: error: 'review_by' should be a date like 2026-03-31, "
     "got text ('soon')"),
    ("orders-and-shipping/lost.md", "---\ntitle: Lost\ncategory: gifts\n---\nBody\n",
     "articles/orders-and-shipping/lost.md:3:11: error: unknown category 'gifts' "
     "(known: orders-and-shipping, returns-and-refunds)"),
    ("returns-and-refunds/track-your-order.md", "---\ntitle: Twin\n---\nBody\n",
     "articles/returns-and-refunds/track-your-order.md: error: duplicate slug 'track-your-order': "
     "articles/orders-and-shipping/track-your-order.md already uses it; rename one file"),
    ("orders-and-shipping/collide.md", "---\ntitle: Collide\naliases: [old-name, start-a-return]\n---\nBody\n",
     "articles/orders-and-shipping/collide.md:3:10: error: alias 'start-a-return' is already used by 'start-a-return'"),
    ("orders-and-shipping/empty.md", "---\ntitle: Empty\n---\n\n",
     "articles/orders-and-shipping/empty.md:5: error: the article has no text: write the answer "
     "below the closing '---'"),
    ("orders-and-shipping/latin-1.md", "---\ntitle: Latin\n---\nCaf\xe9 au lait\n".encode("latin-1"),
     "articles/orders-and-shipping/latin-1.md:4:4: error: the file is not UTF-8 text (byte 0xe9); save it as UTF-8"),
    ("orders-and-shipping/long-title.md", "---\ntitle: " + "Very long " * 490 + "\n---\nBody\n",
     "articles/orders-and-shipping/long-title.md:2:8: error: 'title' is 4,899 characters long; keep it to 200 and "
     "put the rest in 'summary' or the body"),
    ("orders-and-shipping/escape.md", "---\ntitle: \"Bell\\a and \\e escape\"\n---\nBody\n",
     "articles/orders-and-shipping/escape.md:2:8: error: 'title' holds the control characters U+0007 BELL, "
     "U+001B ESCAPE: remove them"),
    ("orders-and-shipping/hidden.md", "---\ntitle: Hidden\ntags: [ok, \"r\u202etl\"]\n---\nBody\n",
     "articles/orders-and-shipping/hidden.md:3:7: error: 'tags' holds the control character "
     "U+202E RIGHT-TO-LEFT OVERRIDE: remove it"),
    ("orders-and-shipping/Gift Cards & Vouchers!.md", "---\ntitle: Gift cards\n---\nBody\n",
     "articles/orders-and-shipping/Gift Cards & Vouchers!.md: error: the file name 'Gift Cards & Vouchers!.md' is "
     "not an address: name it 'gift-cards-vouchers.md' (lowercase letters a-z, digits and hyphens)"),
    ("orders-and-shipping/r\u0435turns-p\u043elicy\u202e.md", "---\ntitle: Spoof\n---\nBody\n",
     "articles/orders-and-shipping/r\\u0435turns-p\\u043elicy\\u202e.md: error: the file name "
     "'r\\u0435turns-p\\u043elicy\\u202e.md' is not an address: it has U+0435 CYRILLIC SMALL LETTER IE, "
     "U+043E CYRILLIC SMALL LETTER O, U+202E RIGHT-TO-LEFT OVERRIDE; name it with lowercase letters a-z, digits "
     "and hyphens only"),
    ("de/orders-and-shipping/caf\xe9.md", "---\ntitle: Caf\xe9\n---\nBody\n",
     "articles/de/orders-and-shipping/caf\\xe9.md: error: the file name 'caf\\xe9.md' is not an address: it has "
     "U+00E9 LATIN SMALL LETTER E WITH ACUTE; name it 'cafe.md'"),
    ("orders-and-shipping/old-names.md", "---\ntitle: Old names\naliases: [Where Is My Order]\n---\nBody\n",
     "articles/orders-and-shipping/old-names.md:3:10: error: alias 'Where Is My Order' is not an address: "
     "write 'where-is-my-order'"),
    ("categories.yml", "- slug: Gift Cards\n  title: Gift cards\n",
     "articles/categories.yml: error: category slug 'Gift Cards' is not an address: write 'gift-cards'"),
])
def test_check_reports_each_broken_file_at_its_line_and_column(runner, content, relative, text, expected):
    content.write(relative, text)
    lines, code = check(runner)
    assert expected in lines
    assert code == 1


@pytest.mark.parametrize("body, expected", [
    pytest.param("Read [how to track](/articles/track-your-ordr) first.",
                 "links.md:5:21: error: link to /articles/track-your-ordr: no article has the slug 'track-your-ordr' "
                 "(did you mean 'track-your-order'?)", id="missing article suggests the closest slug"),
    pytest.param("See [the link](/articles/track-your-order#tracking).",
                 "links.md:5:16: error: link to /articles/track-your-order#tracking: 'Track your order' has no "
                 "section '#tracking' (sections: tracking-link, what-the-statuses-mean)",
                 id="missing section of another article lists its sections"),
    pytest.param("## Steps\n\nAs [above](#step) says.",
                 "links.md:7:12: error: link to #step: this article has no section '#step' (sections: steps)",
                 id="missing section of the same article"),
    pytest.param("Intro.\n\n## Talk to us {#contact}\n\nCall.",
                 "links.md:7:15: error: the section id '#contact' is taken by the page around the article; "
                 "choose another {#id}", id="explicit section id the layout uses"),
])
def test_a_broken_link_or_section_is_reported_at_its_line_and_column(runner, content, body, expected):
    content.article("links", body=body)
    assert lines_for(runner, "links.md") == [f"articles/orders-and-shipping/{expected}"]


def test_links_through_aliases_permanent_ids_and_existing_sections_pass(runner, content):
    content.article("start-a-return", category="returns-and-refunds", aliases="[send-it-back]", id=12,
                    body="## How\n\nText.")
    content.article("links", body="[a](/articles/send-it-back#how) [b](/a/12#how) [c](/articles/track-your-order)\n"
                                  "<a href=\"/articles/track-your-order#tracking-link\">d</a> [e](https://x.example/a)")
    lines, code = check(runner)
    assert lines == ["3 articles checked: 0 errors, 0 warnings"]
    assert code == 0


def test_permanent_link_to_an_unknown_id(runner, content):
    content.article("links", body="Old bookmark: [here](/a/404).")
    assert lines_for(runner, "links.md") == [
        "articles/orders-and-shipping/links.md:5:22: error: link to /a/404: no article has the id 404"]


def test_links_inside_code_are_examples_not_links(runner, content):
    content.article("links", body="Write `[x](/articles/nope)`:\n\n```\n[y](/articles/nope-either)\n```\n")
    assert lines_for(runner, "links.md") == []


def test_link_to_a_draft_warns_that_shoppers_get_not_found(runner, content):
    content.article("secret", draft="true")
    content.article("links", body="See [secret](/articles/secret).")
    assert lines_for(runner, "links.md") == [
        "articles/orders-and-shipping/links.md:5:14: warning: link to /articles/secret: 'secret' is a draft, "
        "so shoppers get a page not found"]


def test_missing_image_is_an_error_and_images_in_the_content_folder_or_static_pass(runner, content):
    content.write("images/box.png", b"\x89PNG")
    content.article("pictures", body="![box](images/box.png) ![gone](images/gone.png)\n"
                                     "<img src=\"/static/kb.css\" alt=\"\"> <img src=\"/static/nope.svg\" alt=\"\">")
    assert lines_for(runner, "pictures.md") == [
        "articles/orders-and-shipping/pictures.md:5:32: error: image images/gone.png not found: "
        "expected a file in articles/ or static/",
        "articles/orders-and-shipping/pictures.md:6:45: error: image /static/nope.svg not found: "
        "expected a file in articles/ or static/"]


def test_facts_are_substituted_where_the_placeholder_stands(make_app, content):
    content.write("facts.yml", FACTS)
    content.article("free-delivery", body="Free on orders over {{ facts.free_shipping_threshold }}, "
                                          "returns within {{facts.return_days}} days.")
    page = make_app().test_client().get("/articles/free-delivery").get_data(as_text=True)
    assert "Free on orders over £50, returns within 30 days." in page


def test_unknown_fact_is_an_error_at_its_column_and_stays_visible(make_app, content):
    content.write("facts.yml", FACTS)
    content.article("typo", body="Return it within {{ facts.return_day }} days.")
    app = make_app()
    lines, code = check(app.test_cli_runner())
    assert "articles/orders-and-shipping/typo.md:5:18: error: unknown fact 'facts.return_day': expected one of " \
           "free_shipping_threshold, return_days" in lines
    assert code == 1
    assert "Return it within {{ facts.return_day }} days." in app.test_client().get("/articles/typo").get_data(
        as_text=True)


def test_fact_written_out_next_to_its_subject_is_a_warning(runner, content):
    content.write("facts.yml", FACTS)
    content.article("policy", body="Your basket is kept for 30 days.\n\nYou can return it within 30 days.")
    assert lines_for(runner, "policy.md") == [
        "articles/orders-and-shipping/policy.md:7:26: warning: '30 days' is written out next to 'return': "
        "write {{ facts.return_days }} so the article follows facts.yml"]


def test_facts_file_with_a_value_that_is_not_text_is_named(runner, content):
    content.write("facts.yml", "return_days:\n  value: [30]\n")
    assert lines_for(runner, "facts.yml") == [
        "articles/facts.yml: error: fact 'return_days': expected a 'value' that is text or a number, got list"]


def test_overdue_review_warns_with_the_owner(runner, content, monkeypatch):
    monkeypatch.setattr(reviews, "today", lambda: dt.date(2026, 11, 24))
    content.article("stale", owner="Ana", review_by="2026-11-23")
    content.article("fresh", review_by="2026-11-24")
    assert lines_for(runner, "stale.md") + lines_for(runner, "fresh.md") == [
        "articles/orders-and-shipping/stale.md:5:12: warning: review was due on 2026-11-23 (owner: Ana): "
        "read the article, then move 'review_by' forward"]


def test_overdue_lists_the_longest_overdue_first_for_the_insights_page(content, monkeypatch):
    monkeypatch.setattr(reviews, "today", lambda: dt.date(2026, 11, 24))
    content.article("later", review_by="2026-10-01")
    content.article("earlier", review_by="2026-01-01")
    content.article("not-yet", review_by="2027-01-01")
    assert [a.slug for a in reviews.overdue(load_library(content.root))] == ["earlier", "later"]


def test_retired_anchor_must_point_at_a_section_and_links_to_it_warn(runner, content):
    content.article("start-a-return", category="returns-and-refunds", anchors="{old-steps: steps, gone: nowhere}",
                    body="## Steps\n\nText.")
    content.article("links", body="[old](/articles/start-a-return#old-steps)")
    lines, _ = check(runner)
    assert "articles/returns-and-refunds/start-a-return.md:4:10: error: 'anchors' sends '#gone' to '#nowhere', " \
           "but no section has the anchor '#nowhere' (sections: steps)" in lines
    assert "articles/orders-and-shipping/links.md:5:7: warning: link to /articles/start-a-return#old-steps: " \
           "'#old-steps' was retired; link to '#steps'" in lines


def test_json_format_lists_each_problem_with_line_and_column(runner, content):
    content.write("orders-and-shipping/typed.md", "---\ntitle: Typed\norder: first\n---\nBody\n")
    result = runner.invoke(args=["check", "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "articles": 3, "errors": 1, "warnings": 0,
        "problems": [{"path": "articles/orders-and-shipping/typed.md", "line": 3, "column": 8, "level": "error",
                      "message": "'order' should be a whole number, got text ('first')"}]}


def test_github_format_annotates_the_file_line_and_column(runner, content):
    content.write("orders-and-shipping/typed.md", "---\ntitle: Typed\norder: first\n---\nBody\n")
    content.article("links", body="See [x](/articles/nope), 100% sure.")
    lines, code = check(runner, "--format", "github")
    assert lines == [
        "::error file=articles/orders-and-shipping/links.md,line=5,col=9::link to /articles/nope: "
        "no article has the slug 'nope'",
        "::error file=articles/orders-and-shipping/typed.md,line=3,col=8::'order' should be a whole number, "
        "got text ('first')",
        "4 articles checked: 2 errors, 0 warnings"]
    assert code == 1


def test_python_m_kb_check_runs_without_flask_app(content, tmp_path):
    content.article("links", body="See [x](/articles/nope).")
    env = {**os.environ, "KB_INDEX_DIR": str(tmp_path / "index"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite'}", "SECRET_KEY": "test"}
    env.pop("FLASK_APP", None)
    result = subprocess.run([sys.executable, "-m", "kb", "check", str(content.root)], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-2:] == [
        "articles/orders-and-shipping/links.md:5:9: error: link to /articles/nope: no article has the slug 'nope'",
        "3 articles checked: 1 errors, 0 warnings"]


def billion_laughs() -> str:
    lines, previous = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'], "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
        previous = name
    return "---\ntitle: Laughs\n" + "\n".join(lines) + "\ntags: *i\n---\nBody\n"


def test_hostile_files_each_give_a_line_never_a_traceback(runner, content):
    folder = content.root / "orders-and-shipping"
    content.write("orders-and-shipping/binary-junk.md", bytes(range(256)) * 16)
    content.write("orders-and-shipping/five-megabytes.md", "---\ntitle: Big\n---\n" + "All work, no play. " * 276_000)
    content.write("orders-and-shipping/billion-laughs.md", billion_laughs())
    content.write("orders-and-shipping/deeply-nested.md", "---\ntitle: Deep\ntags: " + "[" * 20_000 + "]" * 20_000
                  + "\n---\nBody\n")
    content.write("orders-and-shipping/nul-byte.md", "---\ntitle: Nul\x00\n---\nBody\n")
    content.write("categories-are-a-list.md", "---\n- a\n- b\n---\nBody\n")
    (folder / "directory.md").mkdir()
    (folder / "symlink-loop.md").symlink_to("symlink-loop.md")
    (folder / "folder-loop").symlink_to(".")
    lines, code = check(runner)
    assert code == 1
    assert [line for line in lines if ": error: " in line] == [
        "articles/categories-are-a-list.md:2: error: front matter should be 'key: value' lines",
        "articles/orders-and-shipping/billion-laughs.md:11:4: error: 'tags' should be a list of words, got a list",
        "articles/orders-and-shipping/binary-junk.md:2:118: error: the file is not UTF-8 text (byte 0x80); "
        "save it as UTF-8",
        "articles/orders-and-shipping/deeply-nested.md:1: error: front matter is nested too deeply to read",
        "articles/orders-and-shipping/directory.md: error: cannot be read: Is a directory",
        "articles/orders-and-shipping/five-megabytes.md:3: error: the article body cannot be shown: "
        "the body is 5,244,001 characters long; the limit is 200,000",
        "articles/orders-and-shipping/nul-byte.md:2:11: error: front matter is not valid YAML: "
        "special characters are not allowed",
        "articles/orders-and-shipping/symlink-loop.md: error: cannot be read: Too many levels of symbolic links",
    ]
    assert lines[-1] == "3 articles checked: 8 errors, 9 warnings"


def test_a_misspelled_field_gets_did_you_mean(runner, content):
    content.write("orders-and-shipping/typo.md", "---\ntitle: Typo\ncatgory: orders-and-shipping\n---\nBody\n")
    assert lines_for(runner, "typo.md") == [
        "articles/orders-and-shipping/typo.md:3:10: warning: unknown field 'catgory' (did you mean 'category'?)"]


def test_two_file_names_equal_once_lower_cased_are_an_error_naming_both(runner, content):
    content.article("kbbad-exchange-policy")
    content.write("returns-and-refunds/KBBAD-Exchange-Policy.md", "---\ntitle: Twin\n---\nBody\n")
    assert "articles/returns-and-refunds/KBBAD-Exchange-Policy.md: error: "\
           "'articles/returns-and-refunds/KBBAD-Exchange-Policy.md' and "\
           "'articles/orders-and-shipping/kbbad-exchange-policy.md' have the same name once lower-cased: macOS and "\
           "Windows cannot check out both; rename or remove one" in check(runner)[0]


@pytest.mark.parametrize("link, leads_to, message", [
    ("x.md", "outside.md", "cannot be read: it is a symbolic link to {target}, outside the content folder, so it "
                           "is not read; copy the file into the folder instead"),
    ("more", "elsewhere", "it is a symbolic link to {target}, outside the content folder, so its articles are not "
                          "read; copy them into the folder instead"),
], ids=["a file", "a folder"])
def test_a_symlink_leading_out_of_the_content_folder_is_an_error_and_never_loaded(runner, content, tmp_path, link,
                                                                                  leads_to, message):
    secret = "---\ntitle: Secret\ncategory: orders-and-shipping\n---\nNot for shoppers.\n"
    target = tmp_path / leads_to
    if target.suffix:
        target.write_text(secret)
    else:
        target.mkdir()
        (target / "secret.md").write_text(secret)
    (content.root / "orders-and-shipping" / link).symlink_to(target)
    lines, code = check(runner)
    assert f"articles/orders-and-shipping/{link}: error: {message.format(target=target)}" in lines
    assert code == 1
    assert not {"x", "secret"} & set(load_library(content.root).articles)


def test_a_symlink_to_another_file_inside_the_folder_is_read(runner, content):
    (content.root / "orders-and-shipping" / "tracking.md").symlink_to("track-your-order.md")
    assert "tracking" in load_library(content.root).articles


def test_check_folder_returns_problems_with_columns_for_other_tools(content):
    content.write("orders-and-shipping/typed.md", "---\ntitle: Typed\norder: first\n---\nBody\n")
    [problem] = check_folder(content.root).problems
    assert (problem.line, problem.column, problem.level) == (3, 8, "error")


def test_changing_a_fact_makes_a_new_version_of_the_articles_using_it(content):
    content.write("facts.yml", FACTS)
    content.article("policy", body="Returns within {{ facts.return_days }} days.")
    before = load_library(content.root).articles
    content.write("facts.yml", FACTS.replace("value: 30", "value: 60"))
    after = load_library(content.root).articles
    assert before["policy"].source_hash != after["policy"].source_hash
    assert before["track-your-order"].source_hash == after["track-your-order"].source_hash
