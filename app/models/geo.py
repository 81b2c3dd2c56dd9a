"""Project geometry: an optional outline (项目红线/宗地) and the box used for bbox queries.

One row per located project, kept in step with `Project.lon/lat/district_code` by
`app.services.geometry` (a before-flush hook), so every way of saving a project — form, API,
ledger import, demo loader — keeps the bounding box and the district check current.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.extensions import db
from app.models.core import Project, UTCDateTime, utcnow


class ProjectGeometry(db.Model):
    """Where a project is: its bounding box, optional outline, and the district it lies in."""

    __tablename__ = "project_geometries"
    __table_args__ = (
        # A bbox query asks min_lon <= maxx AND max_lon >= minx AND the same for latitudes; the
        # two composite indexes let either side of the comparison narrow the scan.
        Index("ix_project_geometries_min", "min_lon", "min_lat"),
        Index("ix_project_geometries_max", "max_lon", "max_lat"),
    )

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    # Bounding box of the point and the outline together, WGS84 degrees; NULL when unlocated.
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    # GeoJSON Polygon/MultiPolygon text, WGS84, 7 decimals: portable across SQLite/PostgreSQL.
    outline: Mapped[str | None] = mapped_column(Text)
    outline_area_m2: Mapped[float | None] = mapped_column(Float)  # in the Gauss-Krüger zone
    outline_source: Mapped[str] = mapped_column(String(255), default="")
    outline_crs: Mapped[str] = mapped_column(String(128), default="")
    outline_repaired: Mapped[bool] = mapped_column(Boolean, default=False)
    outline_imported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # District code (dwk/hn/pl) the location lies in, per the configured boundaries; NULL when
    # unlocated or outside them. A mismatch with projects.district_code is flagged, not fixed.
    located_district: Mapped[str | None] = mapped_column(String(8))
    district_mismatch: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    project: Mapped[Project] = relationship(back_populates="geometry")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def has_outline(self) -> bool:
        """True when an outline has been imported."""
        return self.outline is not None


# `Project.geometry`, added here so the feature keeps its model in its own module; assigning a
# relationship to a mapped class after the fact is supported by declarative mapping, and unlike a
# backref it exists as soon as this module is imported (queries may name it before any flush).
Project.geometry = relationship(  # type: ignore[attr-defined]
    ProjectGeometry, uselist=False, back_populates="project", cascade="all, delete-orphan"
)


_WATCHED = ("lon", "lat", "district_code")


def _location_changed(project: Project) -> bool:
    state = inspect(project)
    return any(state.attrs[name].history.has_changes() for name in _WATCHED)


@event.listens_for(Session, "before_flush")
def _sync_before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    """Every saved project gets its geometry row recomputed in the same flush."""
    touched = [o for o in session.new if isinstance(o, Project)]
    touched += [o for o in session.dirty if isinstance(o, Project) and _location_changed(o)]
    if not touched:
        return
    # Imported here: the rule needs the configured boundaries, which live above the models.
    from app.services.geometry import sync_geometry

    with session.no_autoflush:
        for project in touched:
            sync_geometry(project)
