"""Keeping each project's geometry row in step: bounding box, outline, district check."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, and_

from app.models import Project, ProjectGeometry
from cases.taxonomy import DISTRICTS
from gis.districts import DistrictBoundaries, boundaries_from
from gis.geometry import BBox, anchor_point, bbox_of, from_geojson

_CODE_BY_ADCODE = {d.adcode: code for code, d in DISTRICTS.items()}


def boundaries() -> DistrictBoundaries:
    """The configured district boundaries (DISTRICT_BOUNDARIES), cached until the file changes."""
    path = current_app.config.get("DISTRICT_BOUNDARIES") if has_app_context() else None
    return boundaries_from(path)


def district_at(lon: float | None, lat: float | None) -> str | None:
    """The district code (dwk/hn/pl) whose boundary covers the point, or None."""
    if lon is None or lat is None:
        return None
    adcode = boundaries().locate(lon, lat)
    return _CODE_BY_ADCODE.get(adcode or "")


def district_for_adcode(adcode: str | None) -> str | None:
    """dwk/hn/pl for an adcode of the boundary file (None for an adcode we do not track)."""
    return _CODE_BY_ADCODE.get(adcode or "")


def sync_geometry(project: Project) -> ProjectGeometry | None:
    """Recompute a project's bbox and district check from its point, outline and district."""
    row: ProjectGeometry | None = project.geometry  # type: ignore[attr-defined]
    outline = from_geojson(row.outline) if row is not None and row.outline else None
    box = bbox_of(project.lon, project.lat, outline)
    if row is None:
        if box is None:
            return None
        row = ProjectGeometry()
        project.geometry = row  # type: ignore[attr-defined]
    row.min_lon, row.min_lat, row.max_lon, row.max_lat = box or (None, None, None, None)
    if project.lon is not None and project.lat is not None:
        where: tuple[float, float] | None = (project.lon, project.lat)
    else:
        where = anchor_point(outline) if outline is not None else None
    located = district_at(*where) if where else None
    row.located_district = located
    row.district_mismatch = located is not None and located != project.district_code
    return row


def within_bbox(stmt: Select[Any], bbox: BBox) -> Select[Any]:
    """Narrow a query over projects to those whose box intersects `bbox` (lon/lat)."""
    minx, miny, maxx, maxy = bbox
    return stmt.join(ProjectGeometry, ProjectGeometry.project_id == Project.id).where(
        and_(
            ProjectGeometry.min_lon <= maxx,
            ProjectGeometry.max_lon >= minx,
            ProjectGeometry.min_lat <= maxy,
            ProjectGeometry.max_lat >= miny,
        )
    )
