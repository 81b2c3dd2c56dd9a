"""Coordinate reference systems: which ones are accepted, which refused, and areas in metres.

Chinese cadastral data is usually CGCS2000 3-degree Gauss-Krüger; 石嘴山 straddles the zone border
at 106.5°E (CM 105°E: EPSG:4544, or 4523 with the zone prefix 35 in the easting; CM 108°E:
EPSG:4545, or 4524 with prefix 36). Xi'an 1980 and Beijing 1954 have no real transformation
parameters in PROJ, so they are refused rather than guessed (see shared/data/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyproj
import shapely
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
# The zone border of the two 3-degree zones that cover 石嘴山.
ZONE_BORDER_LON = 106.5

# What a user may pick when a file carries no CRS; code → Chinese label.
CHOICES: Mapping[str, str] = {
    "EPSG:4326": "WGS84 经纬度（EPSG:4326）",
    "EPSG:4490": "CGCS2000 经纬度（EPSG:4490）",
    "EPSG:4544": "CGCS2000 3度带 高斯-克吕格 中央经线105°E，不带带号（EPSG:4544）",
    "EPSG:4545": "CGCS2000 3度带 高斯-克吕格 中央经线108°E，不带带号（EPSG:4545）",
    "EPSG:4523": "CGCS2000 3度带 高斯-克吕格 第35带，带带号（EPSG:4523）",
    "EPSG:4524": "CGCS2000 3度带 高斯-克吕格 第36带，带带号（EPSG:4524）",
}

# Datum names as PROJ reports them from EPSG codes, OGC WKT and ESRI .prj files.
_ACCEPTED_DATUMS = (
    "world geodetic system 1984",
    "wgs_1984",
    "wgs 84",
    "china 2000",
    "china_2000",
    "china geodetic coordinate system 2000",
    "cgcs2000",
)
_XIAN80 = ("xian 1980", "xian_1980", "xi'an 1980", "xian80", "西安1980", "西安80")
_BEIJING54 = ("beijing 1954", "beijing_1954", "new beijing", "new_beijing", "北京1954", "北京54")


class CrsRefused(ValueError):
    """A CRS the system will not use; the message is Chinese and says what to do instead."""


@dataclass(frozen=True, slots=True)
class ResolvedCrs:
    """The CRS a file's coordinates are read in, and where that came from."""

    crs: pyproj.CRS
    label: str
    source: str  # "file" (declared in the file) or "user" (chosen in the upload form)

    @property
    def is_geographic(self) -> bool:
        """True for longitude/latitude in degrees."""
        return bool(self.crs.is_geographic)


def describe(crs: pyproj.CRS) -> str:
    """A short human label: the name and, when PROJ can tell, the EPSG code."""
    code = crs.to_epsg(min_confidence=70)
    return f"{crs.name}（EPSG:{code}）" if code else crs.name


def _datum_name(crs: pyproj.CRS) -> str:
    names = [crs.name]
    geodetic = crs.geodetic_crs
    if geodetic is not None:
        names.append(geodetic.name)
    if crs.datum is not None:
        names.append(crs.datum.name)
    return " | ".join(names).lower().replace("-", " ")


def check_supported(crs: pyproj.CRS) -> None:
    """Refuse Xi'an 1980, Beijing 1954 and anything not on the WGS84/CGCS2000 datum."""
    names = _datum_name(crs)
    if any(marker in names for marker in _XIAN80):
        raise CrsRefused(
            f"文件的坐标系为西安1980（{crs.name}）。西安80到CGCS2000没有通用的转换参数，"
            "需要测绘部门提供的本地转换参数，系统不会猜测。请先在GIS软件中转换为CGCS2000"
            "（如 EPSG:4544/4545）后再上传。"
        )
    if any(marker in names for marker in _BEIJING54):
        raise CrsRefused(
            f"文件的坐标系为北京1954（{crs.name}）。北京54到CGCS2000没有通用的转换参数，"
            "需要测绘部门提供的本地转换参数，系统不会猜测。请先在GIS软件中转换为CGCS2000"
            "（如 EPSG:4544/4545）后再上传。"
        )
    if not any(marker in names for marker in _ACCEPTED_DATUMS):
        raise CrsRefused(
            f"不支持的坐标系“{crs.name}”。请使用WGS84或CGCS2000经纬度，"
            "或CGCS2000 3度带高斯-克吕格投影（EPSG:4544/4545/4523/4524）。"
        )
    if not (crs.is_geographic or crs.is_projected):
        raise CrsRefused(f"坐标系“{crs.name}”既不是经纬度也不是平面投影，无法使用。")


def parse_choice(choice: str | None) -> pyproj.CRS | None:
    """The CRS a user picked in the form, or None for "as declared by the file"."""
    if not choice:
        return None
    if choice not in CHOICES:
        raise CrsRefused(f"不支持的坐标系选项：{choice}")
    return pyproj.CRS.from_user_input(choice)


def same_crs(a: pyproj.CRS, b: pyproj.CRS) -> bool:
    """True when two CRS definitions describe the same coordinates (ESRI and EPSG spellings)."""
    if a == b:
        return True
    code_a, code_b = a.to_epsg(min_confidence=70), b.to_epsg(min_confidence=70)
    if code_a is not None and code_a == code_b:
        return True
    # WGS84 and CGCS2000 longitude/latitude agree to centimetres: a file declared as one and
    # read as the other is not a conflict worth refusing.
    return bool(a.is_geographic and b.is_geographic)


def resolve(
    declared: pyproj.CRS | None, chosen: str | None, *, declared_implicitly: bool = False
) -> ResolvedCrs:
    """Decide the CRS of a file from what it declares and what the user chose; never guess.

    `declared_implicitly` is for GeoJSON without a `crs` member, which RFC 7946 defines as WGS84
    but which older exports also wrote in projected metres: a user's choice then wins.
    """
    picked = parse_choice(chosen)
    if declared is not None and not declared_implicitly:
        check_supported(declared)
        if picked is not None and not same_crs(declared, picked):
            raise CrsRefused(
                f"文件声明的坐标系为“{describe(declared)}”，与所选的“{CHOICES[chosen or '']}”"
                "不一致。如文件声明正确，请将坐标系选为“按文件声明”；否则请先修正文件。"
            )
        return ResolvedCrs(declared, describe(declared), "file")
    if picked is not None:
        return ResolvedCrs(picked, CHOICES[chosen or ""], "user")
    if declared is not None:
        check_supported(declared)
        return ResolvedCrs(declared, describe(declared) + "（GeoJSON 默认）", "file")
    raise CrsRefused(
        "文件没有坐标参考系（如 Shapefile 缺少 .prj 文件），系统不会猜测。"
        "请在上传时选择文件所用的坐标系，或补齐 .prj 后重新上传。"
    )


def projected_hint(minx: float, miny: float, maxx: float, maxy: float) -> str:
    """A Chinese hint about what CRS raw coordinates look like (for a refusal message)."""
    if minx >= 35_000_000 and maxx < 36_000_000:
        return "东坐标为8位且以35开头，像是带带号的CGCS2000 3度带第35带（EPSG:4523）。"
    if minx >= 36_000_000 and maxx < 37_000_000:
        return "东坐标为8位且以36开头，像是带带号的CGCS2000 3度带第36带（EPSG:4524）。"
    if minx >= 100_000 and maxx < 1_000_000 and miny >= 3_000_000 and maxy < 6_000_000:
        return "坐标像是不带带号的3度带高斯-克吕格坐标（EPSG:4544 或 4545，取决于中央经线）。"
    if minx >= 3_000_000 and maxx < 6_000_000 and miny >= 100_000 and maxy < 37_000_000:
        return "X/Y 可能互换了：测绘习惯中 X 为北坐标，GIS 文件中 X 应为东坐标。"
    return ""


def looks_projected(minx: float, miny: float, maxx: float, maxy: float) -> bool:
    """True when coordinates are metres, far beyond any degree value."""
    return max(abs(minx), abs(maxx), abs(miny), abs(maxy)) > 1000


def looks_geographic(minx: float, miny: float, maxx: float, maxy: float) -> bool:
    """True when every coordinate could be a longitude/latitude in degrees."""
    return max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90


def looks_swapped(minx: float, miny: float, maxx: float, maxy: float) -> bool:
    """True when lon/lat around 石嘴山 (106°E, 39°N) were written as lat/lon."""
    return minx >= 37 and maxx <= 40 and miny >= 104 and maxy <= 108


def gk_zone_for(lon: float) -> str:
    """The CGCS2000 3-degree Gauss-Krüger CRS (without zone prefix) whose zone holds `lon`."""
    return "EPSG:4544" if lon < ZONE_BORDER_LON else "EPSG:4545"


def _transformer(source: str | pyproj.CRS, target: str | pyproj.CRS) -> pyproj.Transformer:
    # always_xy: x is easting/longitude whatever axis order the EPSG definition states.
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def to_lonlat(geometry: BaseGeometry, source: pyproj.CRS) -> BaseGeometry:
    """Reproject a geometry to WGS84 longitude/latitude (a geographic source is kept as is)."""
    if source.is_geographic:
        # CGCS2000 and WGS84 agree to centimetres; PROJ's transformation between them is a no-op.
        return geometry
    try:
        transformer = _transformer(source, WGS84)
    except CRSError as exc:  # pragma: no cover - every accepted CRS has a transformation
        raise CrsRefused(f"无法从“{source.name}”转换到 WGS84：{exc}") from exc
    return shapely.transform(geometry, transformer.transform, interleaved=False)


def area_m2(geometry: BaseGeometry) -> float:
    """Area in square metres of a lon/lat geometry, computed in its Gauss-Krüger zone."""
    if geometry.is_empty:
        return 0.0
    centre = geometry.centroid
    projected = shapely.transform(
        geometry, _transformer(WGS84, gk_zone_for(centre.x)).transform, interleaved=False
    )
    return float(shapely.area(projected))


def from_lonlat(geometry: BaseGeometry, target: str | pyproj.CRS) -> BaseGeometry:
    """Reproject a WGS84 lon/lat geometry into `target` (for exports and tests)."""
    return shapely.transform(geometry, _transformer(WGS84, target).transform, interleaved=False)


def parse_crs(text: str) -> pyproj.CRS:
    """A CRS from WKT, an ESRI .prj or an authority code, refusing what PROJ cannot read."""
    try:
        return pyproj.CRS.from_user_input(text)
    except CRSError as exc:
        raise CrsRefused("无法识别文件中的坐标系定义（.prj）。") from exc
