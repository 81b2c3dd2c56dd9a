"""Project geometry on the database: the bbox row kept in step, bbox queries, district check,
the import's all-or-nothing save, the migration's backfill and `flask map recheck`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, Project, ProjectGeometry, User
from app.services import geometry_import
from app.services.errors import InvalidInput
from app.services.geometry import within_bbox
from app.services.projects import (
    ProjectFilters,
    ProjectInput,
    create_project,
    filtered_projects,
    project_input,
    update_project,
)
from tests.factories import POINTS, TODAY
from tests.gisfiles import frame, parcel, write_geojson


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path):
    app.config["MAP_IMPORT_DIR"] = str(tmp_path / "uploads")
    yield
    app.config.pop("MAP_IMPORT_DIR", None)


def _user(rec) -> User:
    user = db.session.get(User, rec.id)
    assert user is not None
    return user


def _geometry(code: str) -> ProjectGeometry | None:
    db.session.expire_all()
    project = db.session.scalars(select(Project).where(Project.code == code)).one()
    return project.geometry


def test_a_located_project_gets_a_point_bbox_and_a_district_check(app_ctx, factory):
    rec = factory.project(district="pl")
    row = _geometry(rec.code)
    lon, lat = POINTS["pl"]
    assert (row.min_lon, row.min_lat, row.max_lon, row.max_lat) == (lon, lat, lon, lat)
    assert row.located_district == "pl"
    assert row.district_mismatch is False
    assert row.outline is None


def test_an_unlocated_project_has_no_geometry_row(app_ctx, factory):
    rec = factory.project(district="pl", lon=None, lat=None)
    assert _geometry(rec.code) is None


def test_coordinates_in_another_district_are_flagged_and_an_edit_clears_it(app_ctx, factory):
    caseworker = factory.user("caseworker")
    lon, lat = POINTS["hn"]
    rec = factory.project(district="dwk", lon=lon, lat=lat, actor=caseworker)
    row = _geometry(rec.code)
    assert row.located_district == "hn" and row.district_mismatch is True
    project = db.session.scalars(select(Project).where(Project.code == rec.code)).one()
    data = project_input(project)
    moved = ProjectInput(**{**data.__dict__, "lon": POINTS["dwk"][0], "lat": POINTS["dwk"][1]})
    update_project(_user(caseworker), rec.code, moved, project.version, TODAY)
    row = _geometry(rec.code)
    assert row.district_mismatch is False
    assert row.min_lon == POINTS["dwk"][0]


def test_district_is_derived_from_the_location_when_missing(app_ctx, factory):
    caseworker = factory.user("caseworker")
    lon, lat = POINTS["hn"]
    data = ProjectInput(name="无县区小区", district="", lon=lon, lat=lat, total_households=10)
    result = create_project(_user(caseworker), data, TODAY)
    assert result.project.district_code == "hn"
    assert result.project.code.startswith("HN-")


def test_a_district_user_cannot_derive_into_another_district(app_ctx, factory):
    user = factory.user("district", district="dwk")
    lon, lat = POINTS["hn"]
    data = ProjectInput(name="越界小区", district="", lon=lon, lat=lat)
    from app.services.errors import Forbidden

    with pytest.raises(Forbidden):
        create_project(_user(user), data, TODAY)


def test_bbox_query_uses_point_and_outline_boxes(app_ctx, factory, tmp_path):
    caseworker = factory.user("caseworker")
    recs = {d: factory.project(district=d, actor=caseworker) for d in ("dwk", "hn", "pl")}
    # An outline ~2 km east of the dwk project's point widens its box.
    far = parcel("dwk")
    from shapely.affinity import translate

    far = translate(far, xoff=0.02)
    path = write_geojson(tmp_path / "a.geojson", frame([far], codes=[recs["dwk"].code]))
    user = _user(caseworker)
    with path.open("rb") as stream:
        upload = geometry_import.store_upload(user, "a.geojson", stream, "")
    _, plan = geometry_import.preview(user, upload.token)
    geometry_import.confirm(user, upload.token, plan.digest, TODAY)

    def codes(bbox) -> set[str]:
        stmt = within_bbox(filtered_projects(user, ProjectFilters()), bbox)
        return {p.code for p in db.session.scalars(stmt)}

    lon, lat = POINTS["dwk"]
    only_outline = (lon + 0.015, lat - 0.005, lon + 0.025, lat + 0.005)
    assert codes(only_outline) == {recs["dwk"].code}
    assert codes((lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)) == {recs["dwk"].code}
    assert codes((100.0, 30.0, 100.1, 30.1)) == set()
    assert codes((106.0, 38.5, 107.0, 39.5)) == {r.code for r in recs.values()}


def test_outline_import_gives_an_unlocated_project_a_location(app_ctx, factory, tmp_path):
    caseworker = factory.user("caseworker")
    rec = factory.project(district="pl", lon=None, lat=None, actor=caseworker)
    user = _user(caseworker)
    path = write_geojson(tmp_path / "a.geojson", frame([parcel("pl")], codes=[rec.code]))
    with path.open("rb") as stream:
        upload = geometry_import.store_upload(user, "宗地.geojson", stream, "")
    _, plan = geometry_import.preview(user, upload.token)
    result = geometry_import.confirm(user, upload.token, plan.digest, TODAY)
    assert result.outlines == 1
    project = db.session.scalars(select(Project).where(Project.code == rec.code)).one()
    assert project.lon is not None and parcel("pl").covers(
        __import__("shapely").Point(project.lon, project.lat)
    )
    assert project.geometry.located_district == "pl"


def test_a_failure_during_confirm_saves_nothing(app_ctx, factory, tmp_path, monkeypatch):
    caseworker = factory.user("caseworker")
    recs = [factory.project(district=d, actor=caseworker) for d in ("dwk", "pl")]
    user = _user(caseworker)
    data = frame([parcel("dwk"), parcel("pl")], codes=[r.code for r in recs])
    path = write_geojson(tmp_path / "a.geojson", data)
    with path.open("rb") as stream:
        upload = geometry_import.store_upload(user, "a.geojson", stream, "")
    _, plan = geometry_import.preview(user, upload.token)
    audits_before = db.session.scalar(select(db.func.count(AuditEvent.id)))
    calls = {"n": 0}
    real = geometry_import.audit.record

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(geometry_import.audit, "record", failing)
    with pytest.raises(RuntimeError):
        geometry_import.confirm(user, upload.token, plan.digest, TODAY)
    db.session.expire_all()
    outlines = db.session.scalars(select(ProjectGeometry.outline)).all()
    assert outlines == [None, None]
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) == audits_before
    # The upload survives a failed confirm, so the user can retry.
    assert geometry_import.load_upload(user, upload.token).token == upload.token


def test_confirm_after_the_project_changed_is_refused(app_ctx, factory, tmp_path):
    caseworker = factory.user("caseworker")
    rec = factory.project(district="dwk", actor=caseworker)
    user = _user(caseworker)
    path = write_geojson(tmp_path / "a.geojson", frame([parcel()], codes=[rec.code]))
    with path.open("rb") as stream:
        upload = geometry_import.store_upload(user, "a.geojson", stream, "")
    _, plan = geometry_import.preview(user, upload.token)
    project = db.session.scalars(select(Project).where(Project.code == rec.code)).one()
    data = project_input(project)
    update_project(
        user, rec.code, ProjectInput(**{**data.__dict__, "notes": "改过"}), project.version, TODAY
    )
    with pytest.raises(InvalidInput, match="重新预览"):
        geometry_import.confirm(user, upload.token, plan.digest, TODAY)


def test_uploads_are_stored_under_server_chosen_names(app_ctx, factory, app):
    user = _user(factory.user("caseworker"))
    upload = geometry_import.store_upload(
        user, "../../etc/passwd.geojson", io.BytesIO(b'{"type": "FeatureCollection"}'), ""
    )
    stored = sorted(p.name for p in Path(app.config["MAP_IMPORT_DIR"]).iterdir())
    assert stored == [f"{upload.token}.geojson", f"{upload.token}.json"]
    assert upload.filename == "passwd.geojson"


def test_map_recheck_command_fills_the_district_check(app, app_ctx, factory):
    rec = factory.project(district="dwk", lon=POINTS["hn"][0], lat=POINTS["hn"][1])
    db.session.execute(
        text("UPDATE project_geometries SET located_district = NULL, district_mismatch = :f"),
        {"f": False},
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["map", "recheck"])
    assert result.exit_code == 0, result.output
    assert "1 个坐标与所属县区不一致" in result.output
    assert _geometry(rec.code).district_mismatch is True


def test_migration_backfills_located_projects(app, tmp_path):
    """Down to 0003, a project with and one without coordinates, back up: one geometry row."""
    from app import create_app

    url = f"sqlite:///{tmp_path / 'mig.db'}"
    scratch = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with scratch.app_context():
        upgrade(revision="0003_intake_place_district")
        now = "2026-11-27 00:00:00"
        for pid, lon in ((1, 106.37), (2, None)):
            db.session.execute(
                text(
                    "INSERT INTO projects (id, code, name, district_code, address, developer,"
                    " facts, total_households, certified_households, lon, lat, leader, notes,"
                    " state, created_at, updated_at, version) VALUES (:id, :code, 'x', 'dwk',"
                    " '', '', '{}', 0, 0, :lon, :lat, '', '', 'unresolved', :now, :now, 1)"
                ),
                {
                    "id": pid,
                    "code": f"DWK-000{pid}",
                    "lon": lon,
                    "lat": 39.0 if lon else None,
                    "now": now,
                },
            )
        db.session.commit()
        upgrade(revision="0004_project_geometry")
        rows = db.session.execute(
            text("SELECT project_id, min_lon, max_lat, district_mismatch FROM project_geometries")
        ).all()
        assert [tuple(r) for r in rows] == [(1, 106.37, 39.0, 0)]
        downgrade(revision="0003_intake_place_district")
        db.session.remove()
        db.engine.dispose()
