"""Charts are drawn with matplotlib's Figure and the shipped CJK font: every Chinese label has its
glyphs (matplotlib's "Glyph … missing" warning is an error in this suite), and the dashboard's
bars carry links to the list behind them."""

from __future__ import annotations

import warnings

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from app.services import report_charts as charts
from cases.dispatch import FLAG_BELOW
from tests.unit.test_cases_reporting import q3


def _link(kind: str, code: str) -> str:
    return f"/projects?{kind}={code}"


@pytest.mark.parametrize(
    "draw",
    [
        lambda f: charts.type_chart(f, _link),
        lambda f: charts.lead_chart(f, _link),
        lambda f: charts.district_type_chart(f, _link),
        lambda f: charts.trend_chart(f),
        lambda f: charts.district_rate_chart(f, _link),
        lambda f: charts.dispatch_score_chart(
            "县区综合得分", ["大武口区", "惠农区"], [88.0, 45.5], FLAG_BELOW
        ),
    ],
    ids=["types", "leads", "district_type", "trend", "district_rates", "dispatch_scores"],
)
def test_every_chart_renders_its_chinese_labels_without_a_missing_glyph(draw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # also outside pytest's own filter
        png = charts.to_png(draw(q3()), dpi=60)
    assert png.startswith(b"\x89PNG")


def test_the_glyph_check_would_catch_a_label_drawn_without_the_cjk_font():
    # The control: the same label in matplotlib's default font (no Chinese) must trip the check.
    figure = Figure(figsize=(2, 1))
    FigureCanvasAgg(figure)
    figure.text(0.1, 0.5, "分类化解情况", fontfamily="DejaVu Sans")
    with pytest.raises(UserWarning, match=r"[Gg]lyph .* missing"):
        charts.to_png(figure, dpi=40)


def test_dashboard_charts_link_each_bar_to_the_filtered_list():
    chart = charts.for_page("types", charts.type_chart(q3(), _link, 5.3), "分类化解情况")
    assert chart.data_uri.startswith("data:image/png;base64,")
    hrefs = {a.href for a in chart.areas}
    assert {"/projects?type=fire", "/projects?type=land", "/projects?type=deed_tax"} <= hrefs
    for area in chart.areas:
        x0, y0, x1, y1 = map(int, area.coords.split(","))
        assert 0 <= x0 < x1 <= chart.width and 0 <= y0 < y1 <= chart.height
        assert area.title
    matrix = charts.for_page("m", charts.district_type_chart(q3(), _link, 5.3), "矩阵")
    assert "/projects?district_type=hn:deed_tax" in {a.href for a in matrix.areas}
