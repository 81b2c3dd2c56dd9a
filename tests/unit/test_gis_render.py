"""gis.render: static maps draw Chinese with the shipped font — no "Glyph … missing" warning."""

from __future__ import annotations

import datetime as dt
import io
import warnings

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gis.districts import default_boundaries
from gis.fonts import cjk_family, cjk_font_path
from gis.render import MapPoint, render_choropleth, render_project_map
from tests.factories import POINTS
from tests.gisfiles import parcel

AS_OF = dt.date(2026, 11, 27)
POINTS_DRAWN = [
    MapPoint(*POINTS["dwk"], "unresolved", 800, parcel("dwk")),
    MapPoint(*POINTS["hn"], "in_progress", 120),
    MapPoint(*POINTS["pl"], "resolved", 2400),
]


def _glyph_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_the_cjk_font_ships_with_the_python_packages():
    assert cjk_font_path().is_file()
    assert cjk_font_path().stat().st_size > 1_000_000
    assert cjk_family() == "Noto Sans SC"


def test_without_the_cjk_font_matplotlib_warns_about_missing_glyphs():
    # The control: proves the check below would catch a map drawn without the font.
    figure = Figure()
    FigureCanvasAgg(figure)
    figure.suptitle("石嘴山市", family="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(io.BytesIO(), format="png")
    assert _glyph_warnings(caught)


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_project_map_renders_chinese_without_missing_glyphs(fmt):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = render_project_map(
            default_boundaries(),
            POINTS_DRAWN,
            title="石嘴山市城镇住宅“办证难”项目分布图",
            subtitle="大武口区 · 未化解 · 共 3 个项目",
            as_of=AS_OF,
            fmt=fmt,
        )
    assert _glyph_warnings(caught) == []
    assert data.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in data[:500]
    assert len(data) > 20_000


def test_choropleth_renders_with_out_of_scope_districts_greyed():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = render_choropleth(
            default_boundaries(),
            {"640202": 12, "640205": 0, "640221": None},
            title="石嘴山市各县区未销号问题数",
            measure="未销号问题数",
            unit="项",
            as_of=AS_OF,
        )
    assert _glyph_warnings(caught) == []
    assert data.startswith(b"\x89PNG")


def test_an_empty_map_still_renders():
    data = render_project_map(default_boundaries(), [], title="空", subtitle="", as_of=AS_OF)
    assert data.startswith(b"\x89PNG")


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unsupported"):
        render_project_map(default_boundaries(), [], title="x", subtitle="", as_of=AS_OF, fmt="gif")
