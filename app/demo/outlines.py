"""A few illustrative project outlines (示意红线) for the demo data set.

Invented shapes, not real parcels: a rotated rectangle around a project's point, sized from its
households, for the first projects of each district that have a location. Run after the demo
projects are loaded (`flask map demo-outlines`); idempotent, audited like an import.
"""

from __future__ import annotations

import math

import pyproj
from shapely.geometry import Point, Polygon
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Project, ProjectGeometry, utcnow
from app.services import audit
from app.services.geometry import sync_geometry
from cases.taxonomy import DISTRICTS
from gis import crs as crsmod
from gis.geometry import round_coords, to_geojson

PER_DISTRICT = 2
SOURCE = "演示数据（示意红线）"
# Site area per household of a typical 6-storey 小区 of the 2000s, in square metres.
SITE_M2_PER_HOUSEHOLD = 45.0


def outline_around(lon: float, lat: float, households: int, turn_degrees: float) -> Polygon:
    """A rectangle (3:2) centred on the point, rotated, of about households × 45 m²."""
    area = max(households, 20) * SITE_M2_PER_HOUSEHOLD
    width = math.sqrt(area * 1.5)
    height = area / width
    zone = crsmod.gk_zone_for(lon)
    centre = crsmod.from_lonlat(Point(lon, lat), zone)
    turn = math.radians(turn_degrees)
    corners = []
    for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x, y = dx * width / 2, dy * height / 2
        corners.append(
            (
                centre.x + x * math.cos(turn) - y * math.sin(turn),
                centre.y + x * math.sin(turn) + y * math.cos(turn),
            )
        )
    return round_coords(crsmod.to_lonlat(Polygon(corners), pyproj.CRS(zone)))


def attach_demo_outlines(per_district: int = PER_DISTRICT) -> int:
    """Give the first located projects of each district an illustrative outline; return count."""
    added = 0
    for index, code in enumerate(DISTRICTS):
        projects = db.session.scalars(
            select(Project)
            .where(Project.district_code == code, Project.lon.is_not(None))
            .order_by(Project.code)
            .limit(per_district)
            .options(selectinload(Project.geometry))  # type: ignore[attr-defined]
        ).all()
        for offset, project in enumerate(projects):
            row: ProjectGeometry | None = project.geometry  # type: ignore[attr-defined]
            if row is not None and row.outline:
                continue
            assert project.lon is not None and project.lat is not None
            shape = outline_around(
                project.lon, project.lat, project.total_households, 15 + 20 * (index + offset)
            )
            if row is None:
                row = ProjectGeometry()
                project.geometry = row  # type: ignore[attr-defined]
            row.outline = to_geojson(shape)
            row.outline_area_m2 = crsmod.area_m2(shape)
            row.outline_source = SOURCE
            row.outline_crs = "WGS 84（EPSG:4326）"
            row.outline_imported_at = utcnow()
            sync_geometry(project)
            audit.record(
                None,
                "geometry.import",
                "project",
                project.code,
                project_id=project.id,
                changes={
                    "kind": "outline",
                    "file": SOURCE,
                    "outline_area_m2": [None, row.outline_area_m2],
                },
            )
            added += 1
    db.session.commit()
    return added
