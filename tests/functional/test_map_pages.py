"""The map pages: /map, static maps, exports, and the upload → preview → confirm import."""

from __future__ import annotations

import io
import json
import re

import pyogrio
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Project
from tests.checks import row_counts
from tests.factories import FIRE_WINDOW_FACTS, POINTS, csrf_token, login
from tests.gisfiles import bowtie, esri_prj, frame, parcel, write_geojson, write_shapefile_zip


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path):
    """Uploads of this test go to its own folder, not the instance folder."""
    folder = tmp_path / "uploads"
    app.config["MAP_IMPORT_DIR"] = str(folder)
    yield folder
    app.config.pop("MAP_IMPORT_DIR", None)


@pytest.fixture()
def caseworker(factory):
    return factory.user("caseworker", username="mappages")


@pytest.fixture()
def projects(factory, caseworker):
    return {
        "dwk": factory.project(district="dwk", facts=FIRE_WINDOW_FACTS, actor=caseworker),
        "hn": factory.project(district="hn", actor=caseworker),
    }


# ---------------------------------------------------------------- the map page


def test_map_page_is_wired_by_data_attributes_without_inline_script(client, caseworker, projects):
    login(client, caseworker.username)
    html = client.get("/map").get_data(as_text=True)
    assert 'id="map"' in html
    assert 'data-projects-url="/api/v1/map/projects.geojson"' in html
    assert 'data-districts-url="/api/v1/map/districts.geojson"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    # CSP-ready: every script is a file, no handler attributes, no style attributes.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert 'style="' not in html.split("<main", 1)[1]
    assert "cdn" not in html.lower()
    assert "未配置底图" in html


def test_nav_links_to_the_map_for_roles_that_see_projects(client, factory, caseworker):
    login(client, caseworker.username)
    assert 'href="/map"' in client.get("/projects").get_data(as_text=True)
    auditor = factory.user("auditor")
    other = client.application.test_client()
    login(other, auditor.username)
    assert other.get("/map").status_code == 403


def test_tile_layer_comes_from_config(app, client, caseworker):
    app.config["MAP_TILE_URL"] = "https://t{s}.example.test/vec_w/{z}/{x}/{y}?tk={tk}"
    app.config["MAP_TILE_TOKEN"] = "secret-token"
    try:
        login(client, caseworker.username)
        html = client.get("/map").get_data(as_text=True)
    finally:
        app.config["MAP_TILE_URL"] = ""
        app.config["MAP_TILE_TOKEN"] = ""
    match = re.search(r'data-tiles="([^"]*)"', html)
    assert match
    tiles = json.loads(match.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert tiles["url"].startswith("https://t{s}.example.test")
    assert tiles["token"] == "secret-token"


def test_map_page_with_a_bad_filter_flashes_and_shows_everything(client, caseworker):
    login(client, caseworker.username)
    answer = client.get("/map?district=nowhere&bbox=1,2")
    assert answer.status_code == 200


def test_the_vendored_files_are_served(client):
    for path in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "/static/js/map.js",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        answer.close()


# ---------------------------------------------------------------- static maps and exports


@pytest.mark.parametrize(
    ("url", "magic"),
    [
        ("/map/static.png", b"\x89PNG"),
        ("/map/static.png?kind=open_defects", b"\x89PNG"),
        ("/map/static.png?kind=uncertified&district=dwk", b"\x89PNG"),
        ("/map/static.svg?type=fire", b"<?xml"),
    ],
)
def test_static_maps_are_images(client, caseworker, projects, url, magic):
    login(client, caseworker.username)
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.data.startswith(magic)


@pytest.mark.parametrize("url", ["/map/static.png?kind=pie", "/map/static.png?bbox=x"])
def test_bad_static_map_requests_are_400(client, caseworker, url):
    login(client, caseworker.username)
    assert client.get(url).status_code == 400


def test_static_map_format_must_be_png_or_svg(client, caseworker):
    login(client, caseworker.username)
    assert client.get("/map/static.gif").status_code == 404


def test_geojson_export_is_scoped_and_audited(app, client, factory, projects):
    user = factory.user("district", district="hn", username="hnexport")
    login(client, user.username)
    answer = client.get("/map/export.geojson")
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    body = json.loads(answer.data)
    assert [f["properties"]["code"] for f in body["features"]] == [projects["hn"].code]
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "map.export")
        ).one()
        assert event.changes["count"] == 1
        assert event.actor_name == "hnexport"


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490", "EPSG:4544"])
def test_geopackage_export_has_points_and_outlines(client, caseworker, projects, tmp_path, crs):
    login(client, caseworker.username)
    _import(
        client,
        write_geojson(tmp_path / "a.geojson", frame([parcel()], codes=[projects["dwk"].code])),
    )
    answer = client.get(f"/map/export.gpkg?crs={crs}")
    assert answer.status_code == 200
    path = tmp_path / "out.gpkg"
    path.write_bytes(answer.data)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"projects", "project_outlines"}
    points = pyogrio.read_dataframe(path, layer="projects")
    assert sorted(points["code"]) == sorted(p.code for p in projects.values())
    assert points.crs.to_epsg() == int(crs.split(":")[1])
    outlines = pyogrio.read_dataframe(path, layer="project_outlines")
    assert list(outlines["code"]) == [projects["dwk"].code]
    assert outlines["area_m2"].iloc[0] > 30_000


def test_geopackage_export_with_an_unknown_crs_is_refused(client, caseworker, projects):
    login(client, caseworker.username)
    answer = client.get("/map/export.gpkg?crs=EPSG:2380")
    assert answer.status_code == 302


def test_empty_export_is_still_a_valid_geopackage(client, caseworker, tmp_path):
    login(client, caseworker.username)
    answer = client.get("/map/export.gpkg")
    assert answer.status_code == 200
    path = tmp_path / "out.gpkg"
    path.write_bytes(answer.data)
    assert len(pyogrio.read_dataframe(path, layer="projects")) == 0


# ---------------------------------------------------------------- import: upload, preview, confirm


def _upload(client, path, crs: str = ""):
    token = csrf_token(client.get("/map/import").get_data(as_text=True))
    data = {"csrf_token": token, "crs": crs, "file": (io.BytesIO(path.read_bytes()), path.name)}
    return client.post("/map/import", data=data, content_type="multipart/form-data")


def _import(client, path, crs: str = ""):
    answer = _upload(client, path, crs)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    preview = client.get(answer.headers["Location"])
    html = preview.get_data(as_text=True)
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]{64})"', html)
    assert digest, html
    return client.post(
        answer.headers["Location"] + "/confirm",
        data={"csrf_token": csrf_token(html), "digest": digest.group(1)},
    )


def test_import_flow_saves_outline_after_preview(app, client, caseworker, projects, tmp_path):
    login(client, caseworker.username)
    code = projects["dwk"].code
    data = frame([parcel()], codes=[code], crs=4544)
    path = write_shapefile_zip(tmp_path / "红线.zip", data)
    answer = _upload(client, path)
    assert answer.status_code == 302
    preview_url = answer.headers["Location"]
    assert re.fullmatch(r"/map/import/[A-Za-z0-9_-]{32}", preview_url)
    before = row_counts(app)
    html = client.get(preview_url).get_data(as_text=True)
    assert code in html and "EPSG:4544" in html and "确认导入 1 个要素" in html
    assert row_counts(app) == before  # previewing saves nothing
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]{64})"', html).group(1)
    done = client.post(
        preview_url + "/confirm", data={"csrf_token": csrf_token(html), "digest": digest}
    )
    assert done.status_code == 302
    with app.app_context():
        project = db.session.scalars(select(Project).where(Project.code == code)).one()
        assert project.geometry.outline is not None
        assert project.geometry.outline_area_m2 == pytest.approx(38_473, rel=0.01)
        assert project.geometry.outline_source == "红线.zip"
        assert project.geometry.max_lon == pytest.approx(POINTS["dwk"][0] + 0.001)
        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
        assert "geometry.import" in actions and "geometry.import.batch" in actions
    detail = client.get(f"/projects/{code}").get_data(as_text=True)
    assert "项目红线" in detail
    # The upload is gone once imported: the same token cannot be replayed.
    assert client.get(preview_url).status_code == 404


def test_preview_shows_a_refusal_for_xian80(client, caseworker, projects, tmp_path):
    login(client, caseworker.username)
    data = frame([parcel()], codes=[projects["dwk"].code], crs=4544).set_crs(
        2380, allow_override=True
    )
    path = write_shapefile_zip(tmp_path / "a.zip", data, prj=esri_prj(2380))
    answer = _upload(client, path)
    html = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "西安1980" in html
    assert '/confirm"' not in html  # no confirm form


def test_preview_lists_repairs_and_confirm_is_refused_when_any_row_is_bad(
    app, client, caseworker, projects, tmp_path
):
    login(client, caseworker.username)
    yinchuan = parcel().__class__([(106.23, 38.49), (106.24, 38.49), (106.24, 38.5)])
    data = frame([bowtie(), yinchuan], codes=[projects["dwk"].code, projects["hn"].code])
    answer = _upload(client, write_geojson(tmp_path / "a.geojson", data))
    url = answer.headers["Location"]
    html = client.get(url).get_data(as_text=True)
    assert "make_valid" in html and "不在石嘴山市范围内" in html
    assert '/confirm"' not in html  # no confirm form
    before = row_counts(app)
    refused = client.post(
        url + "/confirm", data={"csrf_token": csrf_token(html), "digest": "0" * 64}
    )
    assert refused.status_code == 302
    assert row_counts(app) == before  # all or nothing


def test_confirm_with_a_stale_digest_saves_nothing(app, client, caseworker, projects, tmp_path):
    login(client, caseworker.username)
    data = frame([parcel()], codes=[projects["dwk"].code])
    url = _upload(client, write_geojson(tmp_path / "a.geojson", data)).headers["Location"]
    html = client.get(url).get_data(as_text=True)
    before = row_counts(app)
    answer = client.post(
        url + "/confirm", data={"csrf_token": csrf_token(html), "digest": "f" * 64}
    )
    assert answer.status_code == 302 and answer.headers["Location"] == url
    assert row_counts(app) == before


def test_no_prj_needs_a_crs_choice_in_the_form(client, caseworker, projects, tmp_path):
    login(client, caseworker.username)
    data = frame([parcel()], codes=[projects["dwk"].code], crs=4545)
    path = write_shapefile_zip(tmp_path / "a.zip", data, prj=False)
    html = client.get(_upload(client, path).headers["Location"]).get_data(as_text=True)
    assert "没有坐标参考系" in html
    assert _import(client, path, crs="EPSG:4545").status_code == 302


@pytest.mark.parametrize(
    ("name", "content", "word"),
    [
        ("a.kml", b"<kml/>", "只支持"),
        ("a.zip", b"not a zip at all", "不是 zip"),
        ("a.geojson", b"", "不是 JSON"),
    ],
)
def test_bad_uploads_are_refused_on_the_form(
    client, caseworker, upload_dir, tmp_path, name, content, word
):
    login(client, caseworker.username)
    path = tmp_path / name
    path.write_bytes(content)
    answer = _upload(client, path)
    assert answer.status_code == 200
    assert word in answer.get_data(as_text=True)
    assert not upload_dir.exists() or [p for p in upload_dir.iterdir() if p.is_file()] == []


def test_upload_with_a_crs_outside_the_list_is_refused(client, caseworker, projects, tmp_path):
    login(client, caseworker.username)
    path = write_geojson(tmp_path / "a.geojson", frame([parcel()], codes=[projects["dwk"].code]))
    answer = _upload(client, path, crs="EPSG:2380")
    assert answer.status_code == 200
    assert "请选择列表中的坐标系" in answer.get_data(as_text=True)


def test_district_user_cannot_touch_another_districts_project(client, factory, projects, tmp_path):
    user = factory.user("district", district="hn", username="hnimport")
    login(client, user.username)
    data = frame([parcel()], codes=[projects["dwk"].code])
    html = client.get(
        _upload(client, write_geojson(tmp_path / "a.geojson", data)).headers["Location"]
    ).get_data(as_text=True)
    assert "未匹配" in html
    assert '/confirm"' not in html  # no confirm form


@pytest.mark.parametrize("role", ["department", "leader", "auditor"])
def test_roles_that_cannot_edit_cannot_import(client, factory, role):
    user = factory.user(role)
    login(client, user.username)
    assert client.get("/map/import").status_code == 403


def test_another_users_upload_token_is_not_found(client, factory, caseworker, projects, tmp_path):
    login(client, caseworker.username)
    data = frame([parcel()], codes=[projects["dwk"].code])
    url = _upload(client, write_geojson(tmp_path / "a.geojson", data)).headers["Location"]
    other = factory.user("caseworker", username="othercw")
    second = client.application.test_client()
    login(second, other.username)
    assert second.get(url).status_code == 404
    assert second.get("/map/import/..%2F..%2Fsecret_key").status_code == 404
    assert second.get("/map/import/short").status_code == 404


def test_discard_removes_the_upload(client, caseworker, projects, tmp_path):
    login(client, caseworker.username)
    data = frame([parcel()], codes=[projects["dwk"].code])
    url = _upload(client, write_geojson(tmp_path / "a.geojson", data)).headers["Location"]
    html = client.get(url).get_data(as_text=True)
    answer = client.post(url + "/discard", data={"csrf_token": csrf_token(html)})
    assert answer.status_code == 302
    assert client.get(url).status_code == 404


def test_confirm_without_csrf_is_refused(client, caseworker, projects, tmp_path):
    login(client, caseworker.username)
    data = frame([parcel()], codes=[projects["dwk"].code])
    url = _upload(client, write_geojson(tmp_path / "a.geojson", data)).headers["Location"]
    assert client.post(url + "/confirm", data={"digest": "0" * 64}).status_code == 400
