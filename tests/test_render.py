"""Rendering: sections that agents can link to, and nothing that can run."""
from __future__ import annotations

import re

from kb.render import LAYOUT_IDS, render_markdown


def test_headings_get_stable_ids_and_a_visible_permalink():
    rendered = render_markdown("## Delivery costs\n\ntext\n\n### Express delivery\n\n#### Small print\n")
    assert '<h2 id="delivery-costs">' in rendered.html
    assert '<a class="headerlink" href="#express-delivery" title="Link to this section">#</a>' in rendered.html
    assert [h.id for h in rendered.headings] == ["delivery-costs", "express-delivery", "small-print"]


def test_explicit_id_wins_over_the_generated_one():
    rendered = render_markdown("## Size charts {#sizes}\n")
    assert '<h2 id="sizes">' in rendered.html
    assert rendered.headings[0].title == "Size charts"


def test_a_heading_named_like_a_part_of_the_page_gets_an_id_of_its_own():
    rendered = render_markdown("## Contact\n\nCall us.\n\n## Main\n")
    assert [h.id for h in rendered.headings] == ["contact-section", "main-section"]


def test_layout_ids_are_every_id_the_page_around_an_article_uses(client):
    page = client.get("/articles/track-your-order").get_data(as_text=True)
    body_start = page.index('<div class="article-body"')
    body_end = page.index("</article>")
    layout = set(re.findall(r' id="([^"]+)"', page[:body_start] + page[body_end:]))
    assert layout <= LAYOUT_IDS, layout - LAYOUT_IDS


def test_tables_fenced_code_and_attribute_lists_render():
    rendered = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```\ncode\n```\n\nPara\n{: .note }\n")
    assert '<th align="left">a</th>' in rendered.html and '<td align="right">2</td>' in rendered.html
    assert "<pre><code>code\n</code></pre>" in rendered.html
    assert '<p class="note">Para</p>' in rendered.html


def test_scripts_handlers_and_dangerous_urls_are_removed():
    html = render_markdown(
        '<script>alert(1)</script>\n\n<img src="x.png" onerror="alert(2)">\n\n'
        '[click](javascript:alert(3)) [data](data:text/html,hi)\n\n'
        '<p style="color:red" onclick="alert(4)">styled</p>\n\n<iframe src="https://evil.example"></iframe>\n'
    ).html
    for forbidden in ("<script", "onerror", "javascript:", "data:", "style=", "onclick", "<iframe"):
        assert forbidden not in html
    assert '<img src="x.png">' in html


def test_external_links_get_noopener_nofollow_and_ours_do_not():
    html = render_markdown("[carrier](https://carrier.example/track) and [returns](/articles/start-a-return)").html
    assert '<a href="https://carrier.example/track" rel="noopener nofollow">carrier</a>' in html
    assert '<a href="/articles/start-a-return">returns</a>' in html


def test_plain_text_is_what_a_shopper_reads():
    rendered = render_markdown("## Costs\n\nFree over **£50** &amp; more.\n")
    assert rendered.text == "Costs Free over £50 & more."
