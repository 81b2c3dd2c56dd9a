"""Static maps for reports and print: the city with its districts and projects, and a choropleth.

Drawn with `matplotlib.figure.Figure` only (never pyplot, which keeps global state and may pick a
GUI backend in a web server). Coordinates are projected to a transverse Mercator centred on the
city (106.5°E, CGCS2000 ellipsoid), so the scale bar is true to within 0.01 % and grid north is
true north to within 0.3° across 石嘴山. Chinese text uses the shipped CJK font (`gis.fonts`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from gis.districts import DistrictBoundaries
from gis.fonts import cjk

PLOT_CRS = (
    "+proj=tmerc +lat_0=0 +lon_0=106.5 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
)
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
STATE_STYLE: Mapping[str, tuple[str, str]] = {
    "unresolved": ("#c53030", "未化解"),
    "in_progress": ("#d69e2e", "化解中"),
    "resolved": ("#2f8132", "已化解"),
}
HOUSEHOLD_STEPS = (100, 500, 2000)
_TO_PLOT = pyproj.Transformer.from_crs("EPSG:4326", PLOT_CRS, always_xy=True)


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A project as the static map draws it."""

    lon: float
    lat: float
    state: str
    households: int
    outline: BaseGeometry | None = None


def _project(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geometry, _TO_PLOT.transform, interleaved=False)


def _polygon_path(geometry: BaseGeometry) -> MplPath:
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    paths = []
    for polygon in polygons:
        if not isinstance(polygon, Polygon) or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            coords = np.asarray(ring.coords)[:, :2]
            codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
            codes[0] = MplPath.MOVETO
            codes[-1] = MplPath.CLOSEPOLY
            paths.append(MplPath(coords, codes))
    return MplPath.make_compound_path(*paths)


def _marker_area(households: int) -> float:
    """Marker area in points² growing with the square root of households (area ∝ count)."""
    return 12 + 3.2 * math.sqrt(max(households, 0))


def _new_figure(size: tuple[float, float]) -> tuple[Figure, object]:
    figure = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_aspect("equal")
    axes.set_axis_off()
    return figure, axes


def _draw_districts(
    axes: object,
    boundaries: DistrictBoundaries,
    fills: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    for adcode in boundaries.adcodes:
        shape = _project(boundaries.geometry(adcode))
        fill = (fills or {}).get(adcode, "#f4f6f8")
        axes.add_patch(  # type: ignore[attr-defined]
            PathPatch(_polygon_path(shape), facecolor=fill, edgecolor="#334e68", linewidth=1.2)
        )
        point = shape.representative_point()
        text = (labels or {}).get(adcode, boundaries.name(adcode))
        axes.text(  # type: ignore[attr-defined]
            point.x,
            point.y,
            text,
            ha="center",
            va="center",
            fontproperties=cjk(11),
            color="#102a43",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.75},
        )
    minx, miny, maxx, maxy = _project(
        MultiPolygon(
            [
                p
                for a in boundaries.adcodes
                for p in getattr(boundaries.geometry(a), "geoms", [boundaries.geometry(a)])
            ]
        )
    ).bounds
    pad = 0.04 * max(maxx - minx, maxy - miny)
    axes.set_xlim(minx - pad, maxx + pad)  # type: ignore[attr-defined]
    axes.set_ylim(miny - pad, maxy + pad)  # type: ignore[attr-defined]


def _scale_bar(axes: object) -> None:
    """A two-segment scale bar in the lower left, in 公里."""
    x0, x1 = axes.get_xlim()  # type: ignore[attr-defined]
    y0, y1 = axes.get_ylim()  # type: ignore[attr-defined]
    target = (x1 - x0) / 4
    length = max((n * 1000 for n in (1, 2, 5, 10, 20, 50, 100) if n * 1000 <= target), default=1000)
    left, base = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    for i, colour in enumerate(("#102a43", "white")):
        axes.add_patch(  # type: ignore[attr-defined]
            Rectangle(
                (left + i * length / 2, base),
                length / 2,
                height,
                facecolor=colour,
                edgecolor="#102a43",
                linewidth=0.8,
            )
        )
    km = length // 1000
    for offset, text in ((0, "0"), (length / 2, f"{km / 2:g}"), (length, f"{km} 公里")):
        axes.text(  # type: ignore[attr-defined]
            left + offset,
            base + 1.8 * height,
            text,
            ha="center",
            va="bottom",
            fontproperties=cjk(8),
        )


def _north_arrow(axes: object) -> None:
    """An arrow pointing to grid north (true north to within 0.3° here), labelled 北."""
    axes.annotate(  # type: ignore[attr-defined]
        "",
        xy=(0.94, 0.95),
        xytext=(0.94, 0.85),
        xycoords="axes fraction",
        arrowprops={"facecolor": "#102a43", "edgecolor": "#102a43", "width": 4, "headwidth": 12},
    )
    axes.text(  # type: ignore[attr-defined]
        0.94,
        0.965,
        "北",
        transform=axes.transAxes,  # type: ignore[attr-defined]
        ha="center",
        va="bottom",
        fontproperties=cjk(11),
    )


def _titles(figure: Figure, title: str, subtitle: str, footer: str) -> None:
    figure.suptitle(title, fontproperties=cjk(16))
    axes = figure.axes[0]
    if subtitle:
        axes.set_title(subtitle, fontproperties=cjk(10), color="#52606d")
    figure.text(0.01, 0.005, footer, fontproperties=cjk(7), color="#52606d", ha="left", va="bottom")


def _save(figure: Figure, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unsupported format {fmt}")
    buffer = io.BytesIO()
    # Metadata without a date keeps the output reproducible for identical input.
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
    return buffer.getvalue()


def _footer(as_of: dt.date, boundaries_note: str) -> str:
    return (
        f"数据截至 {as_of.isoformat()} · 坐标系 CGCS2000（横轴墨卡托，中央经线 106.5°E）"
        f" · {boundaries_note}"
    )


def render_project_map(
    boundaries: DistrictBoundaries,
    points: Sequence[MapPoint],
    *,
    title: str,
    subtitle: str,
    as_of: dt.date,
    boundaries_note: str = "行政区划边界为示意",
    fmt: str = "png",
) -> bytes:
    """The city, its districts and the projects coloured by state and sized by households."""
    figure, axes = _new_figure((9, 10))
    _draw_districts(axes, boundaries)
    for point in points:
        if point.outline is not None and not point.outline.is_empty:
            axes.add_patch(  # type: ignore[attr-defined]
                PathPatch(
                    _polygon_path(_project(point.outline)),
                    facecolor="none",
                    edgecolor="#7b341e",
                    linewidth=0.8,
                )
            )
    for state, (colour, _) in STATE_STYLE.items():
        chosen = [p for p in points if p.state == state]
        if not chosen:
            continue
        xs, ys = _TO_PLOT.transform([p.lon for p in chosen], [p.lat for p in chosen])
        axes.scatter(  # type: ignore[attr-defined]
            xs,
            ys,
            s=[_marker_area(p.households) for p in chosen],
            c=colour,
            alpha=0.75,
            edgecolors="white",
            linewidths=0.5,
            zorder=3,
        )
    handles = [
        Line2D([], [], marker="o", linestyle="", color=c, markersize=8, label=label)
        for c, label in STATE_STYLE.values()
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color="#9aa5b1",
            markersize=math.sqrt(_marker_area(n)),
            label=f"{n} 户",
        )
        for n in HOUSEHOLD_STEPS
    ]
    if any(p.outline is not None for p in points):
        handles.append(Line2D([], [], color="#7b341e", linewidth=1, label="项目红线"))
    legend = axes.legend(  # type: ignore[attr-defined]
        handles=handles,
        loc="lower right",
        prop=cjk(9),
        title="化解状态 / 总户数",
        frameon=True,
        labelspacing=1.0,
    )
    legend.get_title().set_fontproperties(cjk(9))
    _scale_bar(axes)
    _north_arrow(axes)
    _titles(figure, title, subtitle, _footer(as_of, boundaries_note))
    return _save(figure, fmt)


def render_choropleth(
    boundaries: DistrictBoundaries,
    values: Mapping[str, float | None],
    *,
    title: str,
    measure: str,
    unit: str,
    as_of: dt.date,
    boundaries_note: str = "行政区划边界为示意",
    fmt: str = "png",
) -> bytes:
    """Districts shaded by `values` (adcode → number; None = not in the user's scope)."""
    figure, axes = _new_figure((9, 10))
    known = [v for v in values.values() if v is not None]
    norm = Normalize(vmin=0, vmax=max(known, default=0) or 1)
    cmap = colormaps["OrRd"]
    fills = {}
    labels = {}
    for adcode in boundaries.adcodes:
        value = values.get(adcode)
        name = boundaries.name(adcode)
        if value is None:
            fills[adcode] = "#e4e7eb"
            labels[adcode] = f"{name}\n（无数据）"
        else:
            rgba = cmap(norm(value))
            fills[adcode] = "#{:02x}{:02x}{:02x}".format(*(int(255 * c) for c in rgba[:3]))
            labels[adcode] = f"{name}\n{value:g} {unit}"
    _draw_districts(axes, boundaries, fills, labels)
    bar = figure.colorbar(
        ScalarMappable(norm=norm, cmap=cmap), ax=axes, shrink=0.5, location="right"
    )
    bar.set_label(f"{measure}（{unit}）", fontproperties=cjk(10))
    for tick in bar.ax.get_yticklabels():
        tick.set_fontproperties(cjk(8))
    _scale_bar(axes)
    _north_arrow(axes)
    _titles(figure, title, measure, _footer(as_of, boundaries_note))
    return _save(figure, fmt)
