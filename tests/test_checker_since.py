"""``check --since REF`` on a real git repository: renames must keep old links working."""
from __future__ import annotations

import os
import subprocess

import pytest

GIT_ENV = {"GIT_AUTHOR_NAME": "Editor", "GIT_AUTHOR_EMAIL": "editor@shop.example",
           "GIT_COMMITTER_NAME": "Editor", "GIT_COMMITTER_EMAIL": "editor@shop.example"}


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


@pytest.fixture
def published(content):
    """The content fixture committed in a repository one folder above it, tagged 'live'."""
    root = content.root.parent
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "Publish")
    git(root, "tag", "live")
    return content


def check_since(runner, ref="live"):
    result = runner.invoke(args=["check", "--since", ref])
    return result.output.splitlines(), result.exit_code


def rename(content, old, new):
    (content.root / old).rename(content.root / new)


def test_renamed_article_without_alias_fails_naming_the_old_address(published, runner):
    rename(published, "returns-and-refunds/start-a-return.md", "returns-and-refunds/send-it-back.md")
    lines, code = check_since(runner)
    assert lines == [
        "articles/returns-and-refunds/start-a-return.md: error: the article /articles/start-a-return, published at "
        "live, is gone: add 'start-a-return' to the 'aliases' of the article that replaces it",
        "2 articles checked: 1 errors, 0 warnings"]
    assert code == 1


def test_renamed_article_with_the_old_slug_as_alias_passes(published, runner):
    published.article("send-it-back", "Start a return", "Returns are free within 30 days.",
                      category="returns-and-refunds", aliases="[start-a-return]")
    (published.root / "returns-and-refunds/start-a-return.md").unlink()
    lines, code = check_since(runner)
    assert lines == ["2 articles checked: 0 errors, 0 warnings"]
    assert code == 0


def test_reworded_heading_without_anchor_mapping_fails(published, runner):
    published.article("track-your-order", "Track your order", "Text.\n\n## Finding your tracking link\n\nIn the email.\n"
                                                              "\n## What the statuses mean\n\nTable.", order=1)
    lines, code = check_since(runner)
    assert lines == [
        "articles/orders-and-shipping/track-your-order.md: error: the section /articles/track-your-order"
        "#tracking-link ('Where is my tracking link?'), published at live, is gone: add "
        "'anchors: {tracking-link: new-anchor}' naming the section that replaces it",
        "2 articles checked: 1 errors, 0 warnings"]
    assert code == 1


def test_reworded_heading_with_anchor_mapping_passes(published, runner):
    published.article("track-your-order", "Track your order", "Text.\n\n## Finding your tracking link\n\nIn the email.\n"
                                                              "\n## What the statuses mean\n\nTable.",
                      anchors="{tracking-link: finding-your-tracking-link}")
    lines, code = check_since(runner)
    assert lines == ["2 articles checked: 0 errors, 0 warnings"]
    assert code == 0


def test_published_article_turned_draft_fails(published, runner):
    published.article("start-a-return", category="returns-and-refunds", draft="true")
    lines, code = check_since(runner)
    assert lines[0] == ("articles/returns-and-refunds/start-a-return.md: error: /articles/start-a-return was "
                        "published at live and is a draft now: shoppers following a link get a page not found")
    assert code == 1


def test_unknown_ref_is_explained_without_a_traceback(published, runner):
    result = runner.invoke(args=["check", "--since", "no-such-ref"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot read {published.root} at that ref: fatal: ")
