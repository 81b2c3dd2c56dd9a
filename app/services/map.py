"""Map use cases: the scoped GeoJSON of projects, district statistics, exports, static maps.

Every read starts from `filtered_projects(user, filters)` (which goes through `app.scoping`), so
the map, the choropleth and the exports show exactly what the project list shows the same user.
Each use case runs a constant number of queries whatever the number of projects.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from flask import current_app, url_for
from sqlalchemy import Select, case, func, select

from app.extensions import db
from app.models import Defect, Project, ProjectGeometry, User
from app.scoping import can, district_choices_for
from app.services import audit
from app.services.errors import Forbidden, InvalidInput
from app.services.geometry import boundaries, district_for_adcode, within_bbox
from app.services.projects import ProjectFilters, filtered_projects
from cases.taxonomy import DEFECT_STATUSES, DEFECT_TYPES, DEPARTMENTS, DISTRICTS, PROJECT_STATES
from gis import crs as crsmod
from gis.districts import DistrictBoundaries
from gis.geometry import BBox, from_geojson, parse_bbox, to_geojson
from gis.render import MapPoint

_CODE_SLOT = "__CODE__"
LABELS = {
    "types": {code: spec.name for code, spec in DEFECT_TYPES.items()},
    "departments": {code: d.name for code, d in DEPARTMENTS.items()},
    "statuses": dict(DEFECT_STATUSES),
}
CLOSED_STATUS = "closed"  # 已销号: a defect no longer open (附件3 四(二))
GEOMETRY_MODES = ("point", "outline")
EXPORT_CRS = tuple(crsmod.CHOICES)


@dataclass(frozen=True)
class MapQuery:
    """The list filters plus the map's own: a bounding box and which geometry to return."""

    filters: ProjectFilters
    bbox: BBox | None = None
    geometry: str = "point"


def parse_map_args(args: Any) -> MapQuery:
    """A `MapQuery` from request arguments; a bad value raises InvalidInput naming the field."""
    filters = ProjectFilters(
        district=args.get("district") or None,
        type=args.get("type") or None,
        lead=args.get("lead") or None,
        status=args.get("status") or None,
        q=(args.get("q") or "").strip()[:100] or None,
    )
    bbox = None
    raw_bbox = args.get("bbox")
    if raw_bbox:
        try:
            bbox = parse_bbox(raw_bbox)
        except ValueError as exc:
            raise InvalidInput("bbox", str(exc)) from None
    geometry = args.get("geometry") or "point"
    if geometry not in GEOMETRY_MODES:
        raise InvalidInput("geometry", "geometry 应为 point 或 outline。")
    return MapQuery(filters=filters, bbox=bbox, geometry=geometry)


def _require_view(user: User) -> None:
    if not can(user, "projects.view"):
        raise Forbidden("您没有查看项目的权限。")


@dataclass(frozen=True)
class MapProject:
    """What the map needs of one located project (read as plain columns, not ORM objects)."""

    id: int
    code: str
    name: str
    district: str
    address: str
    state: str
    total_households: int
    certified_households: int
    lon: float | None
    lat: float | None
    outline: str | None
    area_m2: float | None
    located_district: str | None
    district_mismatch: bool


_COLUMNS = (
    Project.id,
    Project.code,
    Project.name,
    Project.district_code,
    Project.address,
    Project.state,
    Project.total_households,
    Project.certified_households,
    Project.lon,
    Project.lat,
    ProjectGeometry.outline,
    ProjectGeometry.outline_area_m2,
    ProjectGeometry.located_district,
    ProjectGeometry.district_mismatch,
)


def _located(user: User, query: MapQuery) -> Select[Any]:
    stmt = filtered_projects(user, query.filters)
    if query.bbox is not None:
        stmt = within_bbox(stmt, query.bbox)
    else:
        stmt = stmt.join(ProjectGeometry, ProjectGeometry.project_id == Project.id).where(
            ProjectGeometry.min_lon.is_not(None)
        )
    return stmt


def located_projects(user: User, query: MapQuery) -> list[MapProject]:
    """The located projects the user may see under the query, in code order (one query)."""
    stmt = _located(user, query).with_only_columns(*_COLUMNS).order_by(Project.code)
    return [MapProject(*row) for row in db.session.execute(stmt)]


def _defects_by_project(user: User, query: MapQuery) -> dict[int, list[tuple[str, str, str]]]:
    """(type, lead, status) of the defects of the same projects, in one query."""
    ids = _located(user, query).with_only_columns(Project.id)
    stmt = (
        select(Defect.project_id, Defect.type, Defect.lead_code, Defect.status)
        .where(Defect.project_id.in_(ids.scalar_subquery().correlate(None)))
        .order_by(Defect.project_id, Defect.position)
    )
    found: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for project_id, type_, lead, status in db.session.execute(stmt):
        found[project_id].append((type_, lead, status))
    return found


def _unlocated_count(user: User, filters: ProjectFilters) -> int:
    stmt = (
        filtered_projects(user, filters)
        .outerjoin(ProjectGeometry, ProjectGeometry.project_id == Project.id)
        .where(ProjectGeometry.min_lon.is_(None))
    )
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _point_geometry(project: MapProject) -> dict[str, Any] | None:
    if project.lon is not None and project.lat is not None:
        return {"type": "Point", "coordinates": [project.lon, project.lat]}
    if project.outline:
        point = from_geojson(project.outline).representative_point()
        return {"type": "Point", "coordinates": [round(point.x, 7), round(point.y, 7)]}
    return None


def feature(
    project: MapProject, defects: list[tuple[str, str, str]], mode: str, url: str
) -> dict[str, Any]:
    """One GeoJSON Feature; defect codes are named once in the collection's `labels`."""
    point = _point_geometry(project)
    geometry = json.loads(project.outline) if mode == "outline" and project.outline else point
    open_defects = [d for d in defects if d[2] != CLOSED_STATUS]
    located = project.located_district
    return {
        "type": "Feature",
        "id": project.code,
        "geometry": geometry,
        "properties": {
            "code": project.code,
            "name": project.name,
            "district": project.district,
            "district_name": DISTRICTS[project.district].name,
            "address": project.address,
            "state": project.state,
            "state_label": PROJECT_STATES[project.state],
            "total_households": project.total_households,
            "certified_households": project.certified_households,
            "uncertified_households": project.total_households - project.certified_households,
            "open_defects": len(open_defects),
            "defects": [{"type": t, "lead": lead, "status": status} for t, lead, status in defects],
            "lon": point["coordinates"][0] if point else None,
            "lat": point["coordinates"][1] if point else None,
            "has_outline": project.outline is not None,
            "area_m2": round(project.area_m2, 1) if project.area_m2 is not None else None,
            "located_district": located,
            "district_mismatch": bool(project.district_mismatch),
            "url": url.replace(_CODE_SLOT, project.code),
        },
    }


def projects_geojson(user: User, query: MapQuery) -> dict[str, Any]:
    """The FeatureCollection of `GET /api/v1/map/projects.geojson` (contract.md), WGS84."""
    _require_view(user)
    projects = located_projects(user, query)
    defects = _defects_by_project(user, query)
    # Project codes are [A-Z]+-digits: building the link once and substituting is safe and
    # spares ten thousand url_for calls on a full map.
    url = url_for("projects.detail", code=_CODE_SLOT)
    return {
        "type": "FeatureCollection",
        "features": [feature(p, defects.get(p.id, []), query.geometry, url) for p in projects],
        # Chinese names of the codes in `properties.defects`, once instead of per feature.
        "labels": LABELS,
        # Foreign members (RFC 7946 §6.1): how many matched, and how many have no location yet.
        "count": len(projects),
        "unlocated": _unlocated_count(user, query.filters),
    }


@dataclass(frozen=True)
class DistrictStat:
    """What the choropleth shows for one district (of the projects the user may see)."""

    projects: int = 0
    uncertified_households: int = 0
    open_defects: int = 0
    mismatched: int = 0


def district_stats(user: User, filters: ProjectFilters) -> dict[str, DistrictStat]:
    """Per district: projects, households without certificates, open defects (two queries)."""
    _require_view(user)
    base = filtered_projects(user, filters)
    ids = base.with_only_columns(Project.id).scalar_subquery().correlate(None)
    project_rows = db.session.execute(
        select(
            Project.district_code,
            func.count(Project.id),
            func.coalesce(func.sum(Project.total_households - Project.certified_households), 0),
            func.coalesce(
                func.sum(case((ProjectGeometry.district_mismatch.is_(True), 1), else_=0)), 0
            ),
        )
        .outerjoin(ProjectGeometry, ProjectGeometry.project_id == Project.id)
        .where(Project.id.in_(ids))
        .group_by(Project.district_code)
    ).all()
    defect_stmt = (
        select(Project.district_code, func.count(Defect.id))
        .join(Defect, Defect.project_id == Project.id)
        .where(Project.id.in_(ids), Defect.status != CLOSED_STATUS)
        .group_by(Project.district_code)
    )
    # The type and lead filters narrow the choropleth to those defects, not just their projects.
    if filters.type:
        defect_stmt = defect_stmt.where(Defect.type == filters.type)
    if filters.lead:
        defect_stmt = defect_stmt.where(Defect.lead_code == filters.lead)
    open_by_district = {code: n for code, n in db.session.execute(defect_stmt)}
    return {
        code: DistrictStat(
            projects=int(count),
            uncertified_households=int(uncertified),
            open_defects=int(open_by_district.get(code, 0)),
            mismatched=int(mismatched),
        )
        for code, count, uncertified, mismatched in project_rows
    }


def visible_districts(user: User) -> set[str]:
    """District codes whose statistics the user may see (a district user: its own)."""
    return set(district_choices_for(user))


def districts_geojson(user: User, filters: ProjectFilters) -> dict[str, Any]:
    """The configured district boundaries with the choropleth statistics as properties."""
    stats = district_stats(user, filters)
    allowed = visible_districts(user)
    bounds = boundaries()
    features = []
    for adcode in bounds.adcodes:
        code = district_for_adcode(adcode)
        stat = stats.get(code or "", DistrictStat()) if code in allowed else None
        features.append(
            {
                "type": "Feature",
                "id": adcode,
                "geometry": _boundary_geojson(bounds, adcode),
                "properties": {
                    "adcode": adcode,
                    "code": code,
                    "name": bounds.name(adcode),
                    "label_point": list(bounds.representative_point(adcode)),
                    "in_scope": stat is not None,
                    "projects": stat.projects if stat else None,
                    "uncertified_households": stat.uncertified_households if stat else None,
                    "open_defects": stat.open_defects if stat else None,
                    "mismatched": stat.mismatched if stat else None,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "bbox": list(bounds.bbox)}


# Converted once per loaded boundary file; replacing the file loads a new object (new entry).
_BOUNDARY_CACHE: WeakKeyDictionary[DistrictBoundaries, dict[str, dict[str, Any]]] = (
    WeakKeyDictionary()
)


def _boundary_geojson(bounds: DistrictBoundaries, adcode: str) -> dict[str, Any]:
    """A district's geometry as GeoJSON, rounded to 7 decimals."""
    cached = _BOUNDARY_CACHE.setdefault(bounds, {})
    if adcode not in cached:
        cached[adcode] = json.loads(to_geojson(bounds.geometry(adcode)))
    return cached[adcode]


# ---------------------------------------------------------------- static maps


def map_points(user: User, query: MapQuery) -> list[MapPoint]:
    """The located projects as the static map draws them."""
    _require_view(user)
    points = []
    for project in located_projects(user, query):
        point = _point_geometry(project)
        if point is None:
            continue
        lon, lat = point["coordinates"]
        points.append(
            MapPoint(
                lon=lon,
                lat=lat,
                state=project.state,
                households=project.total_households,
                outline=from_geojson(project.outline) if project.outline else None,
            )
        )
    return points


def choropleth_values(user: User, filters: ProjectFilters, kind: str) -> dict[str, float | None]:
    """adcode → open defects or households without certificates; None outside the scope."""
    stats = district_stats(user, filters)
    allowed = visible_districts(user)
    values: dict[str, float | None] = {}
    for adcode in boundaries().adcodes:
        code = district_for_adcode(adcode)
        if code is None or code not in allowed:
            values[adcode] = None
            continue
        stat = stats.get(code, DistrictStat())
        values[adcode] = (
            stat.open_defects if kind == "open_defects" else stat.uncertified_households
        )
    return values


# ---------------------------------------------------------------- exports


def export_rows(user: User, filters: ProjectFilters) -> tuple[list[dict[str, Any]], int]:
    """Located projects as flat attribute rows (codes and Chinese labels) plus geometries."""
    query = MapQuery(filters=filters, geometry="outline")
    projects = located_projects(user, query)
    defects = _defects_by_project(user, query)
    rows = []
    for project in projects:
        items = defects.get(project.id, [])
        open_items = [d for d in items if d[2] != CLOSED_STATUS]
        rows.append(
            {
                "project": project,
                "attributes": {
                    "code": project.code,
                    "name": project.name,
                    "district": project.district,
                    "district_name": DISTRICTS[project.district].name,
                    "address": project.address,
                    "state": project.state,
                    "state_label": PROJECT_STATES[project.state],
                    "total_hh": project.total_households,
                    "certified_hh": project.certified_households,
                    "uncertified_hh": project.total_households - project.certified_households,
                    "open_defects": len(open_items),
                    "defect_types": "、".join(DEFECT_TYPES[t].name for t, _, _ in open_items),
                    "leads": "、".join(
                        sorted({DEPARTMENTS[lead].name for _, lead, _ in open_items})
                    ),
                    "area_m2": round(project.area_m2, 1) if project.area_m2 is not None else None,
                    "mismatch": bool(project.district_mismatch),
                },
            }
        )
    return rows, len(rows)


def export_geojson(user: User, filters: ProjectFilters) -> bytes:
    """GeoJSON (EPSG:4326) of the visible projects: outlines where known, points otherwise."""
    _require_view(user)
    collection = projects_geojson(user, MapQuery(filters=filters, geometry="outline"))
    _audit_export(user, "geojson", filters, collection["count"])
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


def export_geopackage(user: User, filters: ProjectFilters, target_crs: str) -> bytes:
    """GeoPackage with a point layer `projects` and a polygon layer `project_outlines`."""
    import geopandas as gpd
    from shapely.geometry import Point

    _require_view(user)
    if target_crs not in EXPORT_CRS:
        raise InvalidInput("crs", f"不支持的导出坐标系：{target_crs}")
    rows, count = export_rows(user, filters)
    points = [
        {
            **r["attributes"],
            "geometry": Point(*_point_geometry(r["project"])["coordinates"]),  # type: ignore[index]
        }
        for r in rows
    ]
    outlines = [
        {**r["attributes"], "geometry": from_geojson(r["project"].outline)}
        for r in rows
        if r["project"].outline
    ]
    workdir = Path(current_app.instance_path) / "map-exports"
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = Path(tmp) / "projects.gpkg"
        columns = [*(rows[0]["attributes"] if rows else {"code": ""}), "geometry"]
        frame = gpd.GeoDataFrame(points or None, columns=columns, geometry="geometry", crs=4326)
        frame.to_crs(target_crs).to_file(path, layer="projects", driver="GPKG", engine="pyogrio")
        if outlines:
            polygons = gpd.GeoDataFrame(outlines, geometry="geometry", crs=4326).to_crs(target_crs)
            polygons.to_file(path, layer="project_outlines", driver="GPKG", engine="pyogrio")
        data = path.read_bytes()
    _audit_export(user, "gpkg", filters, count, target_crs)
    return data


def _audit_export(
    user: User, fmt: str, filters: ProjectFilters, count: int, target_crs: str = crsmod.WGS84
) -> None:
    """Data leaving the system is recorded: who exported which projects, when."""
    audit.record(
        user,
        "map.export",
        "export",
        f"projects.{fmt}",
        changes={
            "format": fmt,
            "crs": target_crs,
            "count": count,
            "filters": {k: v for k, v in filters.__dict__.items() if v},
        },
    )
    db.session.commit()
