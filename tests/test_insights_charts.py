"""The inline SVG charts: what a screen reader hears, and gaps that stay gaps."""
from __future__ import annotations

import datetime as dt
import re

from kb.charts import Point, bar_chart, ratio_chart, sparkline

DAYS = [dt.date(2026, 11, 1) + dt.timedelta(days=n) for n in range(4)]


def test_day_without_votes_breaks_the_helpful_line_instead_of_dropping_to_zero():
    svg = ratio_chart([Point(DAYS[0], 1.0), Point(DAYS[1], 0.5), Point(DAYS[2], None), Point(DAYS[3], 0.0)], "x")
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 1  # two days joined, then a lone day
    assert re.search(r'<circle class="chart-dot" cx="630.0" cy="156.0"', svg)  # 0 % sits on the axis


def test_chart_is_an_image_whose_name_summarises_the_data_escaped():
    svg = bar_chart([Point(day, n) for n, day in enumerate(DAYS)], "Searches for <b> & co: 6 in all")
    assert svg.startswith('<svg class="chart chart-bars" role="img" '
                          'aria-label="Searches for &lt;b&gt; &amp; co: 6 in all"')
    assert "<title>Searches for &lt;b&gt; &amp; co: 6 in all</title>" in svg
    assert svg.count("<rect") == 3  # the day with no search has no bar


def test_charts_need_no_inline_styles_under_the_content_security_policy():
    for svg in (ratio_chart([Point(DAYS[0], .5)], "a"), bar_chart([Point(DAYS[0], 2)], "b"),
                sparkline([Point(day, 1) for day in DAYS], "c")):
        assert "style=" not in svg and "<script" not in svg


def test_a_period_without_days_draws_nothing():
    assert ratio_chart([], "a") == bar_chart([], "b") == sparkline([], "c") == ""
