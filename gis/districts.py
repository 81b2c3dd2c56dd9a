"""District boundaries: load and validate a GeoJSON, then find the district containing a point."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

DEFAULT_BOUNDARIES: Path = (
    Path(__file__).resolve().parent / "data" / "shizuishan_districts_wgs84.geojson"
)

# How a GeoJSON `crs` member names longitude/latitude on WGS84 or CGCS2000 ("EPSG:4490",
# "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:OGC:1.3:CRS84"); RFC 7946 dropped `crs`, so an
# absent member means CRS84 too.
_LONLAT_CRS = re.compile(r"(?:CRS84|EPSG:{1,2}(?:4326|4490))\Z", re.IGNORECASE)
_POLYGONAL = ("Polygon", "MultiPolygon")


class BoundaryError(ValueError):
    """A boundary file that cannot be used; the message is Chinese and meant for the operator."""


@dataclass(frozen=True, slots=True)
class DistrictShape:
    """One district of a boundary file: its 行政区划代码, name and (multi)polygon."""

    adcode: str
    name: str
    geometry: BaseGeometry


class DistrictBoundaries:
    """The districts of one boundary file, prepared for fast point-in-polygon tests."""

    def __init__(self, districts: Sequence[DistrictShape], source: str = "") -> None:
        if not districts:
            raise BoundaryError("行政区划边界为空：至少需要一个区县。")
        self._districts: tuple[DistrictShape, ...] = tuple(districts)
        self._by_adcode: dict[str, DistrictShape] = {}
        for district in self._districts:
            if district.adcode in self._by_adcode:
                raise BoundaryError(f"行政区划代码 {district.adcode} 重复出现。")
            self._by_adcode[district.adcode] = district
            # Preparing builds the spatial index once, so each later covers() is cheap.
            shapely.prepare(district.geometry)
        self._bounds = tuple(d.geometry.bounds for d in self._districts)
        self._points = {
            d.adcode: _xy(d.geometry.representative_point().coords[0]) for d in self._districts
        }
        for district in self._districts:
            # GEOS builds a prepared geometry's indexes lazily on the first query; doing it here,
            # before the object is shared, keeps concurrent requests from racing to build them.
            district.geometry.covers(shapely.Point(self._points[district.adcode]))
        self.source = source

    def __repr__(self) -> str:
        return f"DistrictBoundaries({list(self._by_adcode)!r}, source={self.source!r})"

    @property
    def adcodes(self) -> tuple[str, ...]:
        """The adcodes in file order."""
        return tuple(self._by_adcode)

    @property
    def names(self) -> Mapping[str, str]:
        """adcode → district name."""
        return {d.adcode: d.name for d in self._districts}

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of all districts together."""
        return (
            min(b[0] for b in self._bounds),
            min(b[1] for b in self._bounds),
            max(b[2] for b in self._bounds),
            max(b[3] for b in self._bounds),
        )

    def name(self, adcode: str) -> str:
        """The name of a district."""
        return self._get(adcode).name

    def geometry(self, adcode: str) -> BaseGeometry:
        """The (multi)polygon of a district, in longitude/latitude."""
        return self._get(adcode).geometry

    def representative_point(self, adcode: str) -> tuple[float, float]:
        """A (lon, lat) guaranteed to lie inside the district."""
        self._get(adcode)
        return self._points[adcode]

    def locate(self, lon: float, lat: float) -> str | None:
        """The adcode of the district covering (lon, lat), or None outside every district."""
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return None
        point = shapely.Point(lon, lat)
        for district, (minx, miny, maxx, maxy) in zip(self._districts, self._bounds, strict=True):
            # covers, not contains: a point exactly on a border still belongs somewhere; the
            # first district in file order wins, so the answer is deterministic.
            if minx <= lon <= maxx and miny <= lat <= maxy and district.geometry.covers(point):
                return district.adcode
        return None

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        """`locate` for many points at once (vectorised; same answers as calling it per point)."""
        if len(lons) != len(lats):
            raise ValueError("lons and lats differ in length")
        count = len(lons)
        points = np.asarray(
            shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)),
            dtype=object,
        ).reshape(count)
        found: list[str | None] = [None] * count
        pending = np.ones(count, dtype=np.bool_)
        for district in self._districts:
            hits = np.logical_and(pending, shapely.covers(district.geometry, points))
            for index in np.flatnonzero(hits):
                found[int(index)] = district.adcode
            pending = np.logical_and(pending, np.logical_not(hits))
        return found

    def contains(self, lon: float, lat: float) -> bool:
        """True when (lon, lat) lies in one of the districts (borders included)."""
        return self.locate(lon, lat) is not None

    def _get(self, adcode: str) -> DistrictShape:
        try:
            return self._by_adcode[adcode]
        except KeyError:
            raise KeyError(f"边界文件中没有行政区划代码 {adcode}") from None


def _xy(coords: Sequence[float]) -> tuple[float, float]:
    return (float(coords[0]), float(coords[1]))


def parse_boundaries(data: object, source: str = "") -> DistrictBoundaries:
    """Build boundaries from a decoded GeoJSON FeatureCollection, raising `BoundaryError`."""
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise BoundaryError("边界文件必须是 GeoJSON FeatureCollection。")
    _check_crs(data.get("crs"))
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryError("边界文件中没有任何要素（features 为空）。")
    return DistrictBoundaries(
        [_parse_feature(number, f) for number, f in enumerate(features, start=1)], source
    )


def _check_crs(crs: object) -> None:
    if crs is None:
        return
    name = ""
    if isinstance(crs, Mapping) and isinstance(crs.get("properties"), Mapping):
        name = str(crs["properties"].get("name", ""))
    if not _LONLAT_CRS.search(name):
        raise BoundaryError(
            f"边界文件的坐标参考系为“{name or crs}”，须为 WGS84 或 CGCS2000 经纬度，请先转换。"
        )


def _parse_feature(number: int, feature: object) -> DistrictShape:
    if not isinstance(feature, Mapping):
        raise BoundaryError(f"第 {number} 个要素不是 GeoJSON Feature。")
    properties = feature.get("properties")
    if not isinstance(properties, Mapping):
        properties = {}
    adcode = properties.get("adcode")
    # An integer adcode is common in published files; booleans are not codes.
    if isinstance(adcode, bool) or not isinstance(adcode, str | int) or str(adcode).strip() == "":
        raise BoundaryError(f"第 {number} 个要素缺少行政区划代码（adcode）。")
    adcode = str(adcode).strip()
    raw_name = properties.get("name")
    name = raw_name.strip() if isinstance(raw_name, str) and raw_name.strip() else adcode
    geometry = _parse_geometry(number, adcode, feature.get("geometry"))
    return DistrictShape(adcode=adcode, name=name, geometry=geometry)


def _parse_geometry(number: int, adcode: str, raw: object) -> BaseGeometry:
    where = f"第 {number} 个要素（{adcode}）"
    if not isinstance(raw, Mapping) or raw.get("type") not in _POLYGONAL:
        raise BoundaryError(f"{where}的几何必须是 Polygon 或 MultiPolygon。")
    try:
        geometry = shape(dict(raw))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, ShapelyError):
        raise BoundaryError(f"{where}的几何坐标无法读取。") from None
    if geometry.is_empty:
        raise BoundaryError(f"{where}的几何为空。")
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise BoundaryError(f"{where}的几何无效（{reason}），请先修复边界。")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise BoundaryError(
            f"{where}的坐标超出经纬度范围，可能是投影坐标（如 CGCS2000 高斯-克吕格），"
            "请先转换为经纬度。"
        )
    return geometry


def _unreadable(path: Path | str | None, exc: OSError) -> BoundaryError:
    reason = "文件不存在" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
    return BoundaryError(f"无法读取行政区划边界文件 {path}：{reason}")


def load_boundaries(path: Path | str) -> DistrictBoundaries:
    """Read and validate a boundary GeoJSON file, raising `BoundaryError` when it is unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise _unreadable(path, exc) from None
    except UnicodeDecodeError:
        raise BoundaryError(f"行政区划边界文件 {path} 不是 UTF-8 编码的文本。") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BoundaryError(
            f"行政区划边界文件 {path} 不是有效的 JSON（第 {exc.lineno} 行）。"
        ) from None
    return parse_boundaries(data, source=str(path))


def boundaries_from(path: Path | str | None = None) -> DistrictBoundaries:
    """`load_boundaries`, cached until the file changes; None or "" means the bundled sample."""
    # The DISTRICT_BOUNDARIES setting is None when unset, so callers can pass it through.
    resolved = Path(path or DEFAULT_BOUNDARIES).resolve()
    try:
        stat = resolved.stat()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    # Keyed on mtime and size so that replacing the file takes effect without a restart.
    return _cached_boundaries(str(resolved), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _cached_boundaries(path: str, mtime_ns: int, size: int) -> DistrictBoundaries:
    return load_boundaries(path)


def default_boundaries() -> DistrictBoundaries:
    """The bundled sample boundaries of 石嘴山市."""
    return boundaries_from(None)


def validate_lonlat(lon: float, lat: float) -> str | None:
    """A Chinese message when (lon, lat) is impossible or looks swapped, else None."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return "经纬度必须是有效数字。"
    # 石嘴山 lies near 106.4°E, 39°N: these ranges are what the swapped pair looks like.
    if 37 <= lon <= 40 and 104 <= lat <= 108:
        return "经纬度可能填反了：经度应约为 106°（东经），纬度应约为 39°（北纬）。"
    if abs(lon) > 1000 or abs(lat) > 1000:
        return "坐标数值过大，像是投影坐标（米），请先转换为 WGS84/CGCS2000 经纬度。"
    if not -180 <= lon <= 180:
        return f"经度 {lon} 超出范围，应在 -180 到 180 之间。"
    if not -90 <= lat <= 90:
        return f"纬度 {lat} 超出范围，应在 -90 到 90 之间。"
    return None
