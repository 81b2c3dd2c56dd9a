"""Importing project outlines and locations from a GIS file: upload → preview → confirm.

The upload is kept under `instance/map-imports/` with a name the server chose (a random token);
the browser only ever sends that token back, never a path. Preview and confirm both run the full
analysis of `gis.importer`, and confirm saves only when the result is exactly what was previewed
(same digest), in one transaction with its audit rows: a failed import saves nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy.orm import load_only, selectinload

from app.extensions import db
from app.models import Project, ProjectGeometry, User, utcnow
from app.scoping import can, may_edit, visible_projects
from app.services import audit
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.geometry import boundaries, sync_geometry
from cases.taxonomy import DISTRICTS
from gis import crs as crsmod
from gis.geometry import anchor_point, to_geojson
from gis.importer import FORMATS, ImportPlan, ImportRefused, Limits, analyse, detect_format
from gis.matching import Candidate

_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
_EXTENSIONS = {"geojson": ".geojson", "shapefile": ".zip", "gpkg": ".gpkg"}
UPLOAD_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Upload:
    """A stored upload awaiting preview/confirm; `filename` is for display only."""

    token: str
    user_id: int
    filename: str
    format: str
    crs_choice: str
    size: int
    created_at: str

    @property
    def format_label(self) -> str:
        """Chinese name of the format."""
        return FORMATS[self.format]


def _require_import(user: User) -> None:
    if not can(user, "projects.edit"):
        raise Forbidden("只有自然资源局经办人和县区用户可以导入项目红线。")


def upload_dir() -> Path:
    """Where uploads wait between the steps (MAP_IMPORT_DIR or instance/map-imports, 0700)."""
    configured = current_app.config.get("MAP_IMPORT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "map-imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _paths(token: str) -> tuple[Path, Path]:
    if not _TOKEN.fullmatch(token):
        raise NotFound("没有找到该导入任务，可能已完成或已过期。")
    base = upload_dir()
    return base / f"{token}.json", base


def _limits() -> Limits:
    config = current_app.config
    return Limits(max_features=int(config.get("MAP_IMPORT_MAX_FEATURES", Limits.max_features)))


def _sweep(now: float) -> None:
    """Remove uploads older than a day (abandoned previews)."""
    for meta in upload_dir().glob("*.json"):
        with contextlib.suppress(OSError):
            if now - meta.stat().st_mtime > UPLOAD_TTL_SECONDS:
                _remove(meta.stem)


def _remove(token: str) -> None:
    base = upload_dir()
    for ext in (".json", *_EXTENSIONS.values()):
        (base / f"{token}{ext}").unlink(missing_ok=True)


def store_upload(user: User, filename: str, stream: IO[bytes], crs_choice: str) -> Upload:
    """Keep an uploaded file under a server-chosen name; refuse unknown formats at once."""
    _require_import(user)
    if crs_choice and crs_choice not in crsmod.CHOICES:
        raise InvalidInput("crs", "请选择列表中的坐标系。")
    head = stream.read(64)
    try:
        fmt = detect_format(filename or "", head)
    except ImportRefused as exc:
        raise InvalidInput("file", str(exc)) from None
    _sweep(time.time())
    token = secrets.token_urlsafe(24)
    meta_path, base = _paths(token)
    data_path = base / f"{token}{_EXTENSIONS[fmt]}"
    size = len(head)
    with data_path.open("xb") as sink:
        sink.write(head)
        shutil.copyfileobj(stream, sink, 1024 * 1024)
        size = sink.tell()
    if size == 0:
        data_path.unlink(missing_ok=True)
        raise InvalidInput("file", "上传的文件是空的。")
    upload = Upload(
        token=token,
        user_id=user.id,
        # Display only: the name is never used to build a path.
        filename=Path((filename or "").replace("\\", "/")).name[:200],
        format=fmt,
        crs_choice=crs_choice,
        size=size,
        created_at=utcnow().isoformat(),
    )
    meta_path.write_text(json.dumps(asdict(upload), ensure_ascii=False), encoding="utf-8")
    return upload


def load_upload(user: User, token: str) -> Upload:
    """The caller's own stored upload (anyone else's is simply not found)."""
    _require_import(user)
    meta_path, _ = _paths(token)
    try:
        upload = Upload(**json.loads(meta_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        raise NotFound("没有找到该导入任务，可能已完成或已过期。") from None
    if upload.user_id != user.id or upload.token != token:
        raise NotFound("没有找到该导入任务，可能已完成或已过期。")
    return upload


def discard(user: User, token: str) -> None:
    """Drop a stored upload without importing anything."""
    load_upload(user, token)
    _remove(token)


def _editable(user: User) -> list[Project]:
    stmt = visible_projects(user).options(
        load_only(
            Project.id,
            Project.code,
            Project.name,
            Project.district_code,
            Project.lon,
            Project.lat,
            Project.version,
        )
    )
    return [p for p in db.session.scalars(stmt) if may_edit(user, p)]


def analyse_upload(user: User, upload: Upload) -> ImportPlan:
    """Run the full check of a stored upload against the projects the user may edit."""
    candidates = [
        Candidate(
            code=p.code,
            name=p.name,
            adcode=DISTRICTS[p.district_code].adcode,
            lon=p.lon,
            lat=p.lat,
            version=p.version,
        )
        for p in _editable(user)
    ]
    _, base = _paths(upload.token)
    path = base / f"{upload.token}{_EXTENSIONS[upload.format]}"
    with tempfile.TemporaryDirectory(dir=base) as workdir:
        try:
            return analyse(
                path,
                upload.format,
                upload.crs_choice or None,
                boundaries(),
                candidates,
                Path(workdir),
                _limits(),
            )
        except ImportRefused as exc:
            raise InvalidInput("file", str(exc)) from None


def preview(user: User, token: str) -> tuple[Upload, ImportPlan]:
    """The upload and what importing it would do."""
    upload = load_upload(user, token)
    return upload, analyse_upload(user, upload)


@dataclass(frozen=True)
class ImportResult:
    """What a confirmed import saved."""

    outlines: int
    points: int
    repaired: int
    mismatched: tuple[str, ...]


def confirm(user: User, token: str, digest: str, today: dt.date) -> ImportResult:
    """Save the previewed plan in one transaction, or nothing at all."""
    upload, plan = preview(user, token)
    if not plan.ok:
        raise InvalidInput("file", "文件存在错误，未导入任何内容。请修正后重新上传。")
    if not secrets.compare_digest(plan.digest, digest or ""):
        raise InvalidInput("digest", "预览之后文件或项目已有变化，请重新预览后再确认。")
    codes = [row.match.code for row in plan.matched_rows]
    projects = {
        p.code: p
        for p in db.session.scalars(
            visible_projects(user)
            .where(Project.code.in_(codes))
            .options(selectinload(Project.geometry))  # type: ignore[attr-defined]
        )
    }
    outlines = points = repaired = 0
    mismatched: list[str] = []
    try:
        for row in plan.matched_rows:
            project = projects.get(row.match.code or "")
            if project is None or not may_edit(user, project):
                raise Forbidden("您不能修改该项目。")
            assert row.geometry is not None
            geometry: ProjectGeometry | None = project.geometry  # type: ignore[attr-defined]
            old = {
                "lon": project.lon,
                "lat": project.lat,
                "outline_area_m2": geometry.outline_area_m2 if geometry else None,
            }
            if row.kind == "outline":
                if geometry is None:
                    geometry = ProjectGeometry()
                    project.geometry = geometry  # type: ignore[attr-defined]
                geometry.outline = to_geojson(row.geometry)
                geometry.outline_area_m2 = row.area_m2
                geometry.outline_source = upload.filename
                geometry.outline_crs = plan.crs.label[:128]
                geometry.outline_repaired = row.repaired
                geometry.outline_imported_at = utcnow()
                outlines += 1
                repaired += int(row.repaired)
                if project.lon is None or project.lat is None:
                    # A project with no location yet gets one inside its outline.
                    project.lon, project.lat = anchor_point(row.geometry)
            else:
                project.lon, project.lat = round(row.geometry.x, 7), round(row.geometry.y, 7)
                points += 1
            project.updated_at = utcnow()
            synced = sync_geometry(project)
            if synced is not None and synced.district_mismatch:
                mismatched.append(project.code)
            audit.record(
                user,
                "geometry.import",
                "project",
                project.code,
                project_id=project.id,
                changes={
                    "kind": row.kind,
                    "file": upload.filename,
                    "crs": plan.crs.label,
                    "feature": row.index,
                    "matched_by": row.match.by,
                    "lon": [old["lon"], project.lon],
                    "lat": [old["lat"], project.lat],
                    "outline_area_m2": [old["outline_area_m2"], row.area_m2],
                    "repaired": row.repaired,
                    "notes": row.notes,
                    "district_mismatch": bool(synced and synced.district_mismatch),
                },
            )
        audit.record(
            user,
            "geometry.import.batch",
            "geometry_import",
            upload.token[:12],
            changes={
                "file": upload.filename,
                "format": upload.format,
                "crs": plan.crs.label,
                "crs_source": plan.crs.source,
                "features": len(plan.rows),
                "saved": len(plan.matched_rows),
                "skipped": len(plan.rows) - len(plan.matched_rows),
                "as_of": today.isoformat(),
            },
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _remove(token)
    return ImportResult(outlines, points, repaired, tuple(mismatched))
