"""Project geometry: a point and an optional outline (项目红线/宗地), repaired, measured, stored.

Geometries are kept as GeoJSON text in WGS84 longitude/latitude with a bounding box beside them,
so the same code runs on SQLite and PostgreSQL without a spatial extension.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

# 7 decimals of a degree is about 1 cm: more is noise, less loses a parcel's corners.
PRECISION = 7
SQUARE_METRES_PER_MU = 10_000 / 15  # 1 亩 = 666.67 m²

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Repair:
    """What `repair_polygonal` did to an invalid geometry, for the user to read."""

    reason: str
    area_before: float
    area_after: float


def round_coords(geometry: BaseGeometry) -> BaseGeometry:
    """Snap coordinates to `PRECISION` decimals (GEOS keeps the topology valid)."""
    return shapely.set_precision(geometry, 10**-PRECISION, mode="pointwise")


def polygonal_parts(geometry: BaseGeometry) -> Polygon | MultiPolygon | None:
    """The polygons of a geometry (a GeometryCollection from make_valid included), or None."""
    polygons: list[Polygon] = []
    for part in shapely.get_parts(geometry):
        if isinstance(part, Polygon) and not part.is_empty:
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(p for p in part.geoms if not p.is_empty)
        elif part.geom_type == "GeometryCollection":
            inner = polygonal_parts(part)
            if inner is not None:
                polygons.extend(shapely.get_parts(inner))
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def repair_polygonal(geometry: BaseGeometry) -> tuple[Polygon | MultiPolygon | None, Repair | None]:
    """A valid (multi)polygon for `geometry`, repairing it with make_valid when needed."""
    if geometry.is_valid:
        return polygonal_parts(geometry), None
    reason = shapely.is_valid_reason(geometry)
    fixed = polygonal_parts(shapely.make_valid(geometry))
    after = float(fixed.area) if fixed is not None else 0.0
    return fixed, Repair(reason=reason, area_before=float(geometry.area), area_after=after)


def to_geojson(geometry: BaseGeometry) -> str:
    """Compact GeoJSON text of a geometry, coordinates rounded to `PRECISION` decimals."""
    return json.dumps(_rounded(mapping(geometry)), separators=(",", ":"))


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, PRECISION)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def from_geojson(text: str) -> BaseGeometry:
    """The geometry of a GeoJSON geometry text (as stored by `to_geojson`)."""
    return shape(json.loads(text))


def bbox_of(
    lon: float | None, lat: float | None, outline: BaseGeometry | None = None
) -> BBox | None:
    """The box covering a project's point and outline; None when it has neither."""
    boxes: list[BBox] = []
    if lon is not None and lat is not None and math.isfinite(lon) and math.isfinite(lat):
        boxes.append((lon, lat, lon, lat))
    if outline is not None and not outline.is_empty:
        minx, miny, maxx, maxy = outline.bounds
        boxes.append((minx, miny, maxx, maxy))
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def anchor_point(outline: BaseGeometry) -> tuple[float, float]:
    """A (lon, lat) guaranteed to lie inside the outline, to place a marker."""
    point = outline.representative_point()
    return (round(point.x, PRECISION), round(point.y, PRECISION))


def distance_m(lon: float, lat: float, geometry: BaseGeometry) -> float:
    """Approximate distance in metres from a lon/lat point to a nearby lon/lat geometry."""
    point = Point(lon, lat)
    if geometry.covers(point):
        return 0.0
    nearest = nearest_points(point, geometry)[1]
    # Equirectangular approximation: fine for the few hundred metres this is used to judge.
    dx = math.radians(nearest.x - lon) * math.cos(math.radians(lat)) * 6_371_000
    dy = math.radians(nearest.y - lat) * 6_371_000
    return math.hypot(dx, dy)


def parse_bbox(text: str) -> BBox:
    """`minx,miny,maxx,maxy` in lon/lat; ValueError with a Chinese message when malformed."""
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("bbox 应为 minx,miny,maxx,maxy 四个数（经纬度）。")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise ValueError("bbox 中有不是数字的值。") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise ValueError("bbox 中有无效数字。")
    if not (
        -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
    ):
        raise ValueError("bbox 超出经纬度范围（经度 -180~180，纬度 -90~90）。")
    if minx > maxx or miny > maxy:
        raise ValueError("bbox 的最小值大于最大值（应为 minx,miny,maxx,maxy）。")
    return (minx, miny, maxx, maxy)
