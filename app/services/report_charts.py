"""Charts of the dashboard and the reports, drawn server-side with `matplotlib.figure.Figure`.

Never pyplot: it keeps global state and may pick a GUI backend inside a web server. Every text
artist gets the shipped CJK font of `gis.fonts` (shared with the map), so no label falls back to
a font without Chinese glyphs; matplotlib's "Glyph … missing" warning is an error in the tests.
A `link(kind, code)` callback gives each bar the URL of the list behind it; `for_page` turns those
into an HTML image map, so the dashboard's bars are clickable without any script (the CSP forbids
inline script and style, which rules out inline SVG). The reports pass no links.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cases.reporting import Figures, percent
from cases.taxonomy import DEFECT_TYPES, DEPARTMENTS, DISTRICTS
from gis.fonts import cjk

Link = Callable[[str, str], str | None]
COLOURS = {"closed": "#2f8132", "open": "#d69e2e", "overdue": "#c53030", "line": "#1d4e89"}
# Short names keep the axis readable; the tables beside the charts carry the full ones.
SHORT_TYPE_NAMES = {
    "land": "用地手续",
    "arrears": "欠缴价款税费",
    "deed_tax": "契税申报",
    "planning": "规划核实",
    "completion": "竣工验收备案",
    "fire": "消防验收",
    "litigation": "涉法涉诉",
    "oversize": "经适房超面积",
}


def _no_link(_kind: str, _code: str) -> str | None:
    return None


def _new(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _style(axes: Axes, title: str) -> None:
    axes.set_title(title, fontproperties=cjk(12), loc="left")
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontproperties(cjk(9))
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", color="#e4e7eb", linewidth=0.6)
    axes.set_axisbelow(True)


def _legend(axes: Axes, **kwargs: object) -> None:
    axes.legend(prop=cjk(9), frameon=False, **kwargs)  # type: ignore[arg-type]


def _label_bars(axes: Axes, bars: object, values: list[int]) -> None:
    for bar, value in zip(bars, values, strict=True):  # type: ignore[call-overload]
        if value:
            axes.text(
                bar.get_x() + bar.get_width() + 0.1,
                bar.get_y() + bar.get_height() / 2,
                str(value),
                va="center",
                fontproperties=cjk(8),
                color="#334e68",
            )


def _stacked(
    axes: Axes,
    names: list[str],
    closed: list[int],
    late: list[int],
    other_open: list[int],
    urls: list[str | None],
) -> None:
    """Horizontal bars: 已销号, 未销号 on time, 逾期 (the open parts link to the list)."""
    rows = list(range(len(names)))[::-1]
    parts = (
        ("已销号", closed, COLOURS["closed"], [0] * len(names)),
        ("未销号（未逾期）", other_open, COLOURS["open"], closed),
        (
            "逾期",
            late,
            COLOURS["overdue"],
            [c + o for c, o in zip(closed, other_open, strict=True)],
        ),
    )
    for label, values, colour, left in parts:
        bars = axes.barh(rows, values, left=left, color=colour, label=label, height=0.6)
        for bar, url, name, value in zip(bars, urls, names, values, strict=True):
            bar.set_url(url)
            bar.set_gid(f"{name}：{label} {value} 个")
    totals = [c + o + late_ for c, o, late_ in zip(closed, other_open, late, strict=True)]
    _label_bars(axes, axes.barh(rows, totals, height=0.6, fill=False, linewidth=0), totals)
    axes.set_yticks(rows, names)
    axes.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]


def type_chart(figures: Figures, link: Link = _no_link, width: float = 7.5) -> Figure:
    """附件3 三(一) defect types: 已销号 / 未销号 / 逾期 as of the day."""
    codes = [c for c in DEFECT_TYPES if figures.by_type[c].total] or list(DEFECT_TYPES)
    counts = [figures.by_type[c] for c in codes]
    figure, axes = _new(width, 0.45 * len(codes) + 1.4)
    _stacked(
        axes,
        [SHORT_TYPE_NAMES.get(c, DEFECT_TYPES[c].name) for c in codes],
        [c.closed for c in counts],
        [c.overdue for c in counts],
        [c.open - c.overdue for c in counts],
        [link("type", c) for c in codes],
    )
    _style(axes, f"分类化解情况（截至 {figures.as_of.isoformat()}，单位：个）")
    _legend(axes, loc="lower right")
    return figure


def lead_chart(figures: Figures, link: Link = _no_link, width: float = 7.5) -> Figure:
    """Lead departments (附件3 四(一)): their defects 已销号 / 未销号 / 逾期."""
    codes = list(figures.by_lead) or ["nr"]
    counts = [figures.by_lead[c].defects if c in figures.by_lead else None for c in codes]
    figure, axes = _new(width, 0.45 * len(codes) + 1.4)
    _stacked(
        axes,
        [DEPARTMENTS[c].name for c in codes],
        [c.closed if c else 0 for c in counts],
        [c.overdue if c else 0 for c in counts],
        [c.open - c.overdue if c else 0 for c in counts],
        [link("lead", c) for c in codes],
    )
    _style(axes, "牵头部门履职情况（单位：个）")
    _legend(axes, loc="lower right")
    return figure


def district_type_chart(figures: Figures, link: Link = _no_link, width: float = 8.5) -> Figure:
    """District × defect type: open defects (逾期 in brackets) as a matrix of linked cells."""
    districts = list(DISTRICTS)
    types = list(DEFECT_TYPES)
    figure, axes = _new(width, 2.6)
    peak = max((figures.by_district_type[(d, t)].open for d in districts for t in types), default=0)
    for row, district in enumerate(districts):
        for col, type_code in enumerate(types):
            counts = figures.by_district_type[(district, type_code)]
            share = counts.open / peak if peak else 0
            colour = (
                (1 - 0.75 * share, 1 - 0.45 * share, 1 - 0.2 * share) if counts.total else "#f5f7fa"
            )
            cell = Rectangle((col, row), 1, 1, facecolor=colour, edgecolor="white", linewidth=2)
            cell.set_url(link("district_type", f"{district}:{type_code}") if counts.total else None)
            cell.set_gid(
                f"{DISTRICTS[district].name} · {DEFECT_TYPES[type_code].name}："
                f"未销号 {counts.open} 个，共 {counts.total} 个"
            )
            axes.add_patch(cell)
            text = f"{counts.open}/{counts.total}" if counts.total else "—"
            if counts.overdue:
                text += f"\n逾期{counts.overdue}"
            axes.text(
                col + 0.5,
                row + 0.5,
                text,
                ha="center",
                va="center",
                fontproperties=cjk(8),
                color="#102a43" if share < 0.6 else "white",
            )
    axes.set_xlim(0, len(types))
    axes.set_ylim(len(districts), 0)
    # Two lines per label so eight types fit under a narrow chart.
    names = [SHORT_TYPE_NAMES[t] for t in types]
    names = [n if len(n) <= 4 else n[: len(n) // 2] + "\n" + n[len(n) // 2 :] for n in names]
    axes.set_xticks([c + 0.5 for c in range(len(types))], names)
    axes.set_yticks(
        [r + 0.5 for r in range(len(districts))], [DISTRICTS[d].name for d in districts]
    )
    axes.tick_params(length=0)
    _style(axes, "分县区、分类型未销号问题（未销号/总数）")
    axes.grid(False)
    axes.spines[:].set_visible(False)
    return figure


def _month(month: str) -> str:
    return f"{month[:4]}年{int(month[5:7])}月"


def trend_chart(figures: Figures, width: float = 7.5) -> Figure:
    """Per month: 销号 (bars, left axis) and newly issued certificates (line, right axis)."""
    months = [p.month for p in figures.trend]
    labels = [f"{int(m[5:7])}月" for m in months]
    figure, axes = _new(width, 3.2)
    positions = list(range(len(months)))
    axes.bar(
        positions, [p.closed for p in figures.trend], color=COLOURS["closed"], label="销号（个）"
    )
    axes.set_xticks(positions, labels)
    axes.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    other = axes.twinx()
    other.plot(
        positions,
        [p.certificates for p in figures.trend],
        color=COLOURS["line"],
        marker="o",
        label="新办证（户）",
    )
    other.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    other.set_ylim(bottom=0)
    span = f"{_month(months[0])}—{_month(months[-1])}" if months else ""
    _style(axes, f"月度趋势：销号与新办证（{span}）")
    axes.grid(axis="y", color="#e4e7eb", linewidth=0.6)
    axes.grid(axis="x", visible=False)
    for label in other.get_yticklabels():
        label.set_fontproperties(cjk(9))
    other.spines[["top"]].set_visible(False)
    handles = axes.get_legend_handles_labels()[0] + other.get_legend_handles_labels()[0]
    axes.legend(handles=handles, prop=cjk(9), frameon=False, loc="upper left")
    return figure


def district_rate_chart(figures: Figures, link: Link = _no_link, width: float = 7.5) -> Figure:
    """办证率 and 销号率 per district, in percent (labels rounded as in the tables)."""
    codes = list(DISTRICTS)
    areas = [figures.by_district[c] for c in codes]
    series = (
        (0.2, "办证率", COLOURS["line"], [(a.certified, a.households) for a in areas]),
        (-0.2, "销号率", COLOURS["closed"], [(a.defects.closed, a.defects.total) for a in areas]),
    )
    figure, axes = _new(width, 2.8)
    rows = list(range(len(codes)))[::-1]
    for offset, label, colour, pairs in series:
        values = [100 * part / whole if whole else 0 for part, whole in pairs]
        bars = axes.barh([r + offset for r in rows], values, height=0.38, color=colour, label=label)
        for bar, code, value, (part, whole) in zip(bars, codes, values, pairs, strict=True):
            text = percent(part, whole)
            bar.set_url(link("district", code))
            bar.set_gid(f"{DISTRICTS[code].name}：{label} {text}")
            axes.text(
                value + 1,
                bar.get_y() + bar.get_height() / 2,
                text,
                va="center",
                fontproperties=cjk(8),
            )
    axes.set_yticks(rows, [DISTRICTS[c].name for c in codes])
    axes.set_xlim(0, 115)
    _style(axes, "分县区办证率与销号率（%）")
    _legend(axes, loc="lower right")
    return figure


def dispatch_score_chart(
    title: str, names: list[str], scores: list[float], flag_below: float
) -> Figure:
    """A ranking's scores out of 100, the 约谈通报 line marked."""
    figure, axes = _new(7.5, 0.42 * max(len(names), 1) + 1.4)
    rows = list(range(len(names)))[::-1]
    colours = [COLOURS["overdue"] if s < flag_below else COLOURS["line"] for s in scores]
    bars = axes.barh(rows, scores, color=colours, height=0.6)
    for bar, score in zip(bars, scores, strict=True):
        axes.text(
            bar.get_width() + 1,
            bar.get_y() + bar.get_height() / 2,
            f"{score:.1f}",
            va="center",
            fontproperties=cjk(8),
        )
    axes.axvline(flag_below, color=COLOURS["overdue"], linestyle="--", linewidth=0.8)
    axes.set_yticks(rows, names)
    axes.set_xlim(0, 105)
    _style(axes, title)
    return figure


def to_png(figure: Figure, dpi: int = 200) -> bytes:
    """PNG bytes (for Word and PDF)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


@dataclass(frozen=True)
class Area:
    """A clickable rectangle of a chart image (an HTML image map needs no script or style)."""

    coords: str
    href: str
    title: str


@dataclass(frozen=True)
class PageChart:
    """A chart for a page: PNG as a data URI, its CSS size and the links on it."""

    name: str
    data_uri: str
    width: int
    height: int
    areas: tuple[Area, ...]
    alt: str


def for_page(name: str, figure: Figure, alt: str, scale: float = 1.5) -> PageChart:
    """Render for the dashboard: a PNG at `scale`× for sharp screens, shown at 1×, with an
    image map of every artist that carries a URL (set_url) and a title (set_gid)."""
    dpi = figure.get_dpi() * scale
    figure.set_dpi(dpi)
    canvas = figure.canvas
    canvas.draw()
    renderer = canvas.get_renderer()  # type: ignore[attr-defined]
    height_px = figure.bbox.height
    areas: list[Area] = []
    for axes in figure.axes:
        for artist in (*axes.patches, *axes.texts):
            url = artist.get_url()
            if not url:
                continue
            box = artist.get_window_extent(renderer)
            if box.width < 1 or box.height < 1:
                continue
            x0, x1 = box.x0 / scale, box.x1 / scale
            y0, y1 = (height_px - box.y1) / scale, (height_px - box.y0) / scale
            coords = f"{x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f}"
            areas.append(Area(coords, url, artist.get_gid() or alt))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return PageChart(
        name=name,
        data_uri=f"data:image/png;base64,{encoded}",
        width=round(figure.bbox.width / scale),
        height=round(height_px / scale),
        areas=tuple(areas),
        alt=alt,
    )
