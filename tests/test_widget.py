"""The help widget's server side: widget.yml as editors write it."""
from __future__ import annotations

from kb import ROOT
from kb.widget.suggestions import Rule, Suggestions


def problems(runner) -> list[str]:
    return [line for line in runner.invoke(args=["check"]).output.splitlines() if "widget.yml" in line]


# ---------------------------------------------------------------- widget.yml

def test_the_first_pattern_matching_the_page_chooses_the_suggestions():
    rules = Suggestions((Rule("/checkout", ("a",)), Rule("/checkout*", ("b",)), Rule("/*", ("c",))))
    assert rules.for_path("/checkout") == ("a",)
    assert rules.for_path("/checkout/payment") == ("b",)
    assert rules.for_path("/products/oak-table") == ("c",)
    assert Suggestions((Rule("/products/*", ("a",)),)).for_path("/products") == ()


def test_a_dot_or_bracket_in_a_pattern_is_matched_as_written():
    assert Suggestions((Rule("/help.html", ("a",)),)).for_path("/helpxhtml") == ()
    assert Suggestions((Rule("/sale[1]*", ("a",)),)).for_path("/sale[1]/shoes") == ("a",)


def test_check_reports_an_unknown_slug_in_widget_yml_at_its_line_and_column(runner, content):
    content.write("widget.yml", "/checkout*: [start-a-return, track-your-ordr]\n")
    assert problems(runner) == [
        "articles/widget.yml:1:30: error: '/checkout*' suggests 'track-your-ordr', but no article has that slug "
        "(did you mean 'track-your-order'?)"]


def test_check_reports_patterns_that_cannot_match_a_path(runner, content):
    content.write("widget.yml", """\
        checkout: [start-a-return]
        /search?q=*: [start-a-return]
        /products/*: [start-a-return]
        /products/*: [track-your-order]
        """)
    assert problems(runner) == [
        "articles/widget.yml:1:1: error: bad pattern 'checkout': a pattern is a path on the shop, starting with '/', "
        "like /products/*",
        "articles/widget.yml:2:1: error: bad pattern '/search?q=*': '?' cannot be matched, since only the path is; "
        "write the path alone, with * for any characters",
        "articles/widget.yml:4:1: error: pattern '/products/*' is given twice: only the first one is used; "
        "merge the two lists"]


def test_check_warns_of_old_slugs_and_drafts_in_widget_yml(runner, content):
    content.article("winter-sale", "Winter sale", draft="true", aliases="[sale]")
    content.write("widget.yml", "/*: [sale, ]\n/basket: nothing-here\n")
    assert problems(runner) == [
        "articles/widget.yml:1:6: warning: 'sale' is an old slug of 'winter-sale': write 'winter-sale'",
        "articles/widget.yml:1:6: warning: 'winter-sale' is a draft, so the widget leaves it out",
        "articles/widget.yml:2:10: error: '/basket' suggests 'nothing-here', but no article has that slug"]


def test_check_reports_widget_yml_that_is_not_a_mapping_or_not_yaml(runner, content):
    content.write("widget.yml", "- /checkout\n")
    assert problems(runner) == ["articles/widget.yml:1:1: error: expected lines like "
                                "'/checkout*: [payment-methods, delivery-options-and-costs]'"]
    content.write("widget.yml", "/checkout*: [start-a-return\n")
    assert problems(runner) == ["articles/widget.yml:2:1: error: not valid YAML: expected ',' or ']', but got "
                                "'<stream end>'"]


def test_the_demo_content_suggests_articles_that_exist(runner):
    result = runner.invoke(args=["check", str(ROOT / "articles")])
    assert "widget.yml" not in result.output
