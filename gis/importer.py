"""Reading uploaded geometry files (GeoJSON, zipped Shapefile, GeoPackage) into an import plan.

Pure: no Flask, no database. The caller stores the upload under a name it chose, passes the path,
the user's CRS choice, the district boundaries and the projects the user may edit, and gets back
an `ImportPlan`: one row per feature with its match, CRS, area, notes and errors. Nothing is saved
here; a plan with any error is refused whole (all-or-nothing).
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pyogrio
import pyproj
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from gis import crs as crsmod
from gis.districts import DistrictBoundaries, validate_lonlat
from gis.geometry import (
    SQUARE_METRES_PER_MU,
    anchor_point,
    distance_m,
    polygonal_parts,
    repair_polygonal,
    round_coords,
    to_geojson,
)
from gis.matching import CODE_FIELDS, NAME_FIELDS, Candidate, Match, Matcher, find_field

FORMATS = {"geojson": "GeoJSON", "shapefile": "Shapefile（zip 压缩包）", "gpkg": "GeoPackage"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
# A project point this far from its imported outline is worth a second look.
FAR_FROM_OUTLINE_M = 300.0
_SQLITE_MAGIC = b"SQLite format 3\x00"


class ImportRefused(ValueError):
    """A file that cannot be imported at all; the message is Chinese and says why."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what an upload may make the server read or unpack."""

    max_archive_members: int = 64
    max_unpacked_bytes: int = 200 * 1024 * 1024
    # Legitimate .dbf files of mostly blank fields compress well; a bomb compresses far better.
    max_ratio: float = 200.0
    ratio_checked_above: int = 1024 * 1024
    max_features: int = 5000


@dataclass
class PlanRow:
    """One feature of the file: what it is, where, what it matched, and what is wrong with it."""

    index: int
    code_value: str = ""
    name_value: str = ""
    kind: str | None = None  # "point" | "outline"
    geometry: BaseGeometry | None = None  # WGS84 lon/lat
    area_m2: float | None = None
    adcode: str | None = None
    match: Match = field(default_factory=lambda: Match(None, None))
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    repaired: bool = False
    misplaced: bool = False  # outside the city or not convertible: the CRS is likely wrong

    @property
    def area_mu(self) -> float | None:
        """Area in 亩."""
        return None if self.area_m2 is None else self.area_m2 / SQUARE_METRES_PER_MU

    @property
    def matched(self) -> bool:
        """True when the feature will update a project."""
        return self.match.code is not None and not self.errors


@dataclass
class ImportPlan:
    """Everything the preview shows and the confirm step re-checks."""

    format: str
    crs: crsmod.ResolvedCrs
    code_field: str | None
    name_field: str | None
    rows: list[PlanRow]
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        """File-level errors plus rows with errors."""
        return len(self.errors) + sum(1 for r in self.rows if r.errors)

    @property
    def matched_rows(self) -> list[PlanRow]:
        """Rows that will be saved."""
        return [r for r in self.rows if r.matched]

    @property
    def ok(self) -> bool:
        """True when the import may be confirmed: no error at all and something to save."""
        return self.error_count == 0 and bool(self.matched_rows)

    @property
    def digest(self) -> str:
        """A fingerprint of what would be saved, so a confirm saves exactly what was previewed."""
        payload = [
            [
                r.index,
                r.match.code,
                self.versions.get(r.match.code or "", 0),
                r.kind,
                to_geojson(r.geometry) if r.geometry is not None else None,
            ]
            for r in self.matched_rows
        ]
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


# ---------------------------------------------------------------- formats and archives


def detect_format(filename: str, head: bytes) -> str:
    """`geojson`, `shapefile` (zipped) or `gpkg`, from the extension checked against the bytes."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix == ".zip":
        if not head.startswith(b"PK\x03\x04") and not head.startswith(b"PK\x05\x06"):
            raise ImportRefused("文件扩展名为 .zip，但内容不是 zip 压缩包。")
        return "shapefile"
    if suffix == ".gpkg":
        if not head.startswith(_SQLITE_MAGIC):
            raise ImportRefused("文件扩展名为 .gpkg，但内容不是 GeoPackage。")
        return "gpkg"
    if suffix in (".geojson", ".json"):
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            raise ImportRefused("文件扩展名为 GeoJSON，但内容不是 JSON 对象。")
        return "geojson"
    if suffix == ".shp":
        raise ImportRefused(
            "Shapefile 由多个文件组成，请把 .shp、.shx、.dbf、.prj 一起压缩为 zip 上传。"
        )
    raise ImportRefused(
        "只支持 GeoJSON（.geojson/.json）、zip 压缩的 Shapefile（.zip）和 GeoPackage（.gpkg）。"
    )


def _unsafe_member(name: str) -> bool:
    parts = re.split(r"[/\\]", name)
    return (
        name.startswith(("/", "\\"))
        or bool(re.match(r"^[A-Za-z]:", name))
        or ".." in parts
        or "\x00" in name
    )


def check_archive(archive: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """Refuse an archive before unpacking anything: count, sizes, ratio, paths, links, crypto."""
    infos = archive.infolist()
    if len(infos) > limits.max_archive_members:
        raise ImportRefused(
            f"压缩包内文件过多（{len(infos)} 个，上限 {limits.max_archive_members} 个）。"
        )
    total = 0
    for info in infos:
        if _unsafe_member(info.filename):
            raise ImportRefused(
                f"压缩包内含不安全的路径“{info.filename}”（绝对路径或 ..），已拒绝。"
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ImportRefused(f"压缩包内含符号链接“{info.filename}”，已拒绝。")
        if info.flag_bits & 0x1:
            raise ImportRefused("压缩包已加密，请上传未加密的压缩包。")
        total += info.file_size
        if info.file_size > limits.ratio_checked_above and (
            info.compress_size == 0 or info.file_size / info.compress_size > limits.max_ratio
        ):
            raise ImportRefused(f"压缩包内“{info.filename}”的压缩比异常（疑似压缩炸弹），已拒绝。")
    if total > limits.max_unpacked_bytes:
        raise ImportRefused(
            f"压缩包解压后共 {total // (1024 * 1024)} MB，超过上限 "
            f"{limits.max_unpacked_bytes // (1024 * 1024)} MB。"
        )
    return infos


def unpack_shapefile(path: Path, workdir: Path, limits: Limits) -> tuple[Path, bool]:
    """Unpack the one shapefile of a checked zip into `workdir`; return (.shp path, has .cpg)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused("不是有效的 zip 压缩包。") from None
    with archive:
        infos = check_archive(archive, limits)
        members: dict[str, dict[str, zipfile.ZipInfo]] = {}
        for info in infos:
            if info.is_dir() or info.filename.startswith("__MACOSX/"):
                continue
            pure = PurePosixPath(info.filename.replace("\\", "/"))
            suffix = pure.suffix.lower()
            if suffix in SHAPEFILE_PARTS:
                stem = str(pure.with_suffix("")).lower()
                members.setdefault(stem, {})[suffix] = info
        layers = [stem for stem, parts in members.items() if ".shp" in parts]
        if not layers:
            raise ImportRefused("压缩包中没有 .shp 文件。")
        if len(layers) > 1:
            names = "、".join(sorted(PurePosixPath(s).name for s in layers))
            raise ImportRefused(f"压缩包中有多个 Shapefile（{names}），请每次只上传一个图层。")
        parts = members[layers[0]]
        missing = [s for s in (".shx", ".dbf") if s not in parts]
        if missing:
            raise ImportRefused(f"Shapefile 缺少 {'、'.join(missing)} 文件，请一并压缩上传。")
        for suffix, info in parts.items():
            # Server-chosen names: nothing from the archive decides where bytes are written.
            _copy_bounded(archive, info, workdir / f"layer{suffix}")
    return workdir / "layer.shp", ".cpg" in parts


def _copy_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    written = 0
    try:
        with archive.open(info) as source, target.open("wb") as sink:
            while chunk := source.read(64 * 1024):
                written += len(chunk)
                if written > info.file_size:
                    raise ImportRefused("压缩包内文件的实际大小与声明不符，已拒绝。")
                sink.write(chunk)
    except (zipfile.BadZipFile, EOFError, NotImplementedError) as exc:
        raise ImportRefused(f"压缩包已损坏或使用了不支持的压缩方式：{exc}") from None


# ---------------------------------------------------------------- reading


@dataclass
class Layer:
    """The features of a file in its own CRS, with what the file says about that CRS."""

    rows: list[tuple[dict[str, str], BaseGeometry | None]]
    declared: pyproj.CRS | None
    declared_implicitly: bool
    notes: list[str]


def _pick_layer(path: Path) -> str | None:
    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError) as exc:
        raise ImportRefused(f"无法读取 GeoPackage：{exc}") from None
    spatial = [str(name) for name, geometry_type in layers if geometry_type]
    if not spatial:
        raise ImportRefused("GeoPackage 中没有包含几何的图层。")
    if len(spatial) > 1:
        raise ImportRefused(
            f"GeoPackage 中有多个图层（{'、'.join(spatial)}），请每次只上传一个图层。"
        )
    return spatial[0]


def _read(
    path: Path, layer: str | None, encoding: str | None, limits: Limits
) -> tuple[Any, list[str]]:
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = pyogrio.read_info(path, layer=layer, encoding=encoding)
        count = int(info.get("features") or 0)
        if count > limits.max_features:
            raise ImportRefused(f"文件包含 {count} 个要素，超过上限 {limits.max_features} 个。")
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    for warning in caught:
        notes.append(f"读取时的提示：{warning.message}")
    return frame, notes


def read_layer(path: Path, fmt: str, workdir: Path, limits: Limits) -> Layer:
    """Read the features of an upload (already stored at `path`) into `Layer`."""
    declared_implicitly = False
    layer: str | None = None
    encoding: str | None = None
    notes: list[str] = []
    if fmt == "shapefile":
        path, has_cpg = unpack_shapefile(path, workdir, limits)
        # Without a .cpg the encoding is unknown: try UTF-8, then GB18030 (GBK) as Chinese
        # desktop GIS writes it; never ISO-8859-1, which turns Chinese into mojibake.
        encoding = None if has_cpg else "UTF-8"
    elif fmt == "gpkg":
        layer = _pick_layer(path)
    elif fmt == "geojson":
        declared_implicitly = not _geojson_declares_crs(path)
    else:
        raise ImportRefused(f"不支持的格式：{fmt}")
    try:
        try:
            frame, read_notes = _read(path, layer, encoding, limits)
        except UnicodeDecodeError:
            if fmt != "shapefile" or encoding != "UTF-8":
                raise
            encoding = "GB18030"
            frame, read_notes = _read(path, layer, encoding, limits)
            notes.append("Shapefile 缺少 .cpg 编码文件，属性表已按 GBK（GB18030）编码读取。")
    except UnicodeDecodeError:
        raise ImportRefused("文件的属性表编码无法识别（应为 UTF-8 或 GBK）。") from None
    except (DataSourceError, DataLayerError, FieldError, GeometryError, ValueError) as exc:
        raise ImportRefused(f"无法读取文件：{exc}") from None
    notes.extend(read_notes)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    rows: list[tuple[dict[str, str], BaseGeometry | None]] = []
    for record, geometry in zip(
        frame[columns].itertuples(index=False, name=None), frame.geometry, strict=True
    ):
        properties = {col: _text(value) for col, value in zip(columns, record, strict=True)}
        rows.append((properties, geometry))
    return Layer(rows, frame.crs, declared_implicitly, notes)


def _geojson_declares_crs(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ImportRefused("GeoJSON 文件不是有效的 UTF-8 JSON。") from None
    if not isinstance(data, dict):
        raise ImportRefused("GeoJSON 文件的顶层应为对象。")
    return data.get("crs") is not None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN: an empty numeric field
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


# ---------------------------------------------------------------- checking and matching


def _check_coordinates(
    rows: Sequence[tuple[dict[str, str], BaseGeometry | None]], resolved: crsmod.ResolvedCrs
) -> None:
    geometries = [g for _, g in rows if g is not None and not g.is_empty]
    if not geometries:
        raise ImportRefused("文件中没有任何几何要素。")
    minx, miny, maxx, maxy = shapely.total_bounds(geometries)
    if resolved.is_geographic and crsmod.looks_swapped(minx, miny, maxx, maxy):
        raise ImportRefused(
            "经纬度填反了：文件中的 X 约为 39（应为经度约 106°），Y 约为 106（应为纬度约 39°）。"
            "请在 GIS 软件中交换 X/Y 后重新上传。"
        )
    if resolved.is_geographic and crsmod.looks_projected(minx, miny, maxx, maxy):
        hint = crsmod.projected_hint(minx, miny, maxx, maxy)
        raise ImportRefused(
            f"坐标系为经纬度（{resolved.label}），但坐标值是以米为单位的投影坐标。{hint}"
            "请在上传时选择正确的坐标系，或修正文件的坐标系声明。"
        )
    if not resolved.is_geographic and crsmod.looks_geographic(minx, miny, maxx, maxy):
        raise ImportRefused(
            f"坐标系为平面投影（{resolved.label}），但坐标值像是经纬度（度）。"
            "请选择 WGS84 或 CGCS2000 经纬度，或修正文件的坐标系声明。"
        )


def _prepare_geometry(row: PlanRow, raw: BaseGeometry | None, resolved: crsmod.ResolvedCrs) -> None:
    if raw is None or raw.is_empty:
        row.errors.append("要素没有几何。")
        return
    geometry = shapely.force_2d(raw)
    if isinstance(geometry, MultiPoint) and len(geometry.geoms) == 1:
        geometry = geometry.geoms[0]
    if isinstance(geometry, Point):
        row.kind = "point"
    elif isinstance(geometry, Polygon | MultiPolygon):
        row.kind = "outline"
        fixed, repair = repair_polygonal(geometry)
        if fixed is None:
            row.errors.append(f"几何无效且无法修复（{repair.reason if repair else '无面积'}）。")
            return
        if repair is not None:
            row.repaired = True
            change = ""
            if repair.area_before > 0:
                change = f"，修复后面积变化 {abs(repair.area_after / repair.area_before - 1):.1%}"
            row.notes.append(f"几何无效（{repair.reason}），已用 make_valid 自动修复{change}。")
        geometry = fixed
    else:
        row.errors.append(
            f"不支持的几何类型 {geometry.geom_type}：只接受点（项目位置）或面（项目红线/宗地）。"
        )
        return
    if resolved.is_geographic:
        probe = geometry if isinstance(geometry, Point) else geometry.representative_point()
        problem = validate_lonlat(probe.x, probe.y)
        if problem:
            row.errors.append(problem)
            return
    lonlat = crsmod.to_lonlat(geometry, resolved.crs)
    if not all(map(_finite, lonlat.bounds)):
        row.errors.append("坐标无法换算为经纬度，请核对坐标系（是否带带号）。")
        row.misplaced = True
        return
    lonlat = round_coords(lonlat)
    if row.kind == "outline":
        lonlat = polygonal_parts(shapely.make_valid(lonlat)) if not lonlat.is_valid else lonlat
        if lonlat is None or lonlat.is_empty:
            row.errors.append("几何在换算后为空。")
            return
        row.area_m2 = crsmod.area_m2(lonlat)
    row.geometry = lonlat


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


def analyse(
    path: Path,
    fmt: str,
    chosen_crs: str | None,
    boundaries: DistrictBoundaries,
    candidates: Iterable[Candidate],
    workdir: Path,
    limits: Limits | None = None,
) -> ImportPlan:
    """Read, check, repair, measure and match every feature of a stored upload."""
    limits = limits or Limits()
    layer = read_layer(path, fmt, workdir, limits)
    try:
        resolved = crsmod.resolve(
            layer.declared, chosen_crs, declared_implicitly=layer.declared_implicitly
        )
    except crsmod.CrsRefused as exc:
        raise ImportRefused(str(exc)) from None
    _check_coordinates(layer.rows, resolved)
    pool = list(candidates)
    matcher = Matcher(pool)
    by_code = {c.code: c for c in pool}
    columns = list(layer.rows[0][0]) if layer.rows else []
    code_field = find_field(columns, CODE_FIELDS)
    name_field = find_field(columns, NAME_FIELDS)
    plan = ImportPlan(
        format=fmt,
        crs=resolved,
        code_field=code_field,
        name_field=name_field,
        rows=[],
        notes=list(layer.notes),
        versions={c.code: c.version for c in pool},
    )
    if code_field is None and name_field is None:
        plan.errors.append(
            "文件中没有可用于匹配的属性：需要项目编号（code/项目编号）或项目名称（name/项目名称）字段。"
        )
    names = boundaries.names
    claimed: dict[str, int] = {}
    for index, (properties, raw) in enumerate(layer.rows, start=1):
        row = PlanRow(
            index=index,
            code_value=properties.get(code_field, "") if code_field else "",
            name_value=properties.get(name_field, "") if name_field else "",
        )
        plan.rows.append(row)
        _prepare_geometry(row, raw, resolved)
        if row.geometry is not None:
            lon, lat = (
                (row.geometry.x, row.geometry.y)
                if row.kind == "point"
                else anchor_point(row.geometry)
            )
            row.adcode = boundaries.locate(lon, lat)
            if row.adcode is None:
                row.misplaced = True
                row.errors.append(f"位置（{lon:.5f}, {lat:.5f}）不在石嘴山市范围内。")
        row.match = matcher.match(properties, code_field, name_field)
        if row.match.code is None:
            if not row.errors:
                row.notes.append(f"未匹配，将跳过：{row.match.message}")
            continue
        if row.match.code in claimed:
            row.errors.append(
                f"与第 {claimed[row.match.code]} 个要素匹配到同一项目 {row.match.code}。"
            )
            continue
        claimed[row.match.code] = index
        project = by_code[row.match.code]
        if row.adcode is not None and row.adcode != project.adcode:
            row.notes.append(
                f"要素位于{names.get(row.adcode, row.adcode)}，与项目所属"
                f"{names.get(project.adcode, project.adcode)}不一致，保存后将标记为待核对。"
            )
        if (
            row.kind == "outline"
            and row.geometry is not None
            and project.lon is not None
            and project.lat is not None
        ):
            gap = distance_m(project.lon, project.lat, row.geometry)
            if gap > FAR_FROM_OUTLINE_M:
                row.notes.append(f"项目现有坐标距红线约 {gap:.0f} 米，请核对是否为同一项目。")
    outside = sum(1 for r in plan.rows if r.misplaced)
    if outside and not resolved.is_geographic:
        raw_bounds = shapely.total_bounds([g for _, g in layer.rows if g is not None])
        hint = crsmod.projected_hint(*raw_bounds)
        if hint:
            plan.errors.append(f"有 {outside} 个要素不在石嘴山市范围内。{hint}请核对所选坐标系。")
    if plan.rows and not plan.matched_rows and not plan.error_count:
        plan.errors.append("没有任何要素匹配到您可以编辑的项目，未导入任何内容。")
    return plan
