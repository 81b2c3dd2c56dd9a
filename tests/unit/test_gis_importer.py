"""gis.importer: every format, every CRS case, and the files that must be refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point

from gis.districts import default_boundaries
from gis.importer import (
    ImportRefused,
    Limits,
    analyse,
    check_archive,
    detect_format,
)
from gis.matching import Candidate
from tests.factories import POINTS
from tests.gisfiles import (
    bowtie,
    esri_prj,
    frame,
    parcel,
    write_geojson,
    write_gpkg,
    write_shapefile_zip,
    zip_bytes,
)

BOUNDARIES = default_boundaries()
CANDIDATES = [
    Candidate("DWK-0001", "星海湖畔小区", "640202", *POINTS["dwk"], version=3),
    Candidate("DWK-0002", "朝阳小区", "640202", None, None, version=1),
    Candidate("HN-0001", "朝阳小区", "640205", *POINTS["hn"], version=1),
    Candidate("PL-0001", "平罗城关小区", "640221", *POINTS["pl"], version=1),
]
# Geodesic area of the test parcel on the ellipsoid: the truth Gauss-Krüger areas must match.
TRUE_AREA = abs(Geod(ellps="GRS80").geometry_area_perimeter(parcel())[0])


def run(path: Path, fmt: str, tmp_path: Path, crs: str | None = None, **kwargs):
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    return analyse(path, fmt, crs, BOUNDARIES, CANDIDATES, workdir, **kwargs)


def assert_parcel_imported(plan, code: str = "DWK-0001") -> None:
    assert plan.ok, (plan.errors, [r.errors for r in plan.rows])
    (row,) = plan.matched_rows
    assert row.match.code == code
    assert row.kind == "outline"
    assert row.adcode == "640202"
    # Square metres in the Gauss-Krüger zone, equal to the geodesic area to 0.1 %, not degrees².
    assert row.area_m2 == pytest.approx(TRUE_AREA, rel=1e-3)
    minx, _, _, maxy = row.geometry.bounds
    lon, lat = POINTS["dwk"]
    assert minx == pytest.approx(lon - 0.001, abs=1e-6)
    assert maxy == pytest.approx(lat + 0.001, abs=1e-6)


# ---------------------------------------------------------------- formats and CRS cases


@pytest.mark.parametrize("epsg", [4326, 4490, 4544, 4545, 4523, 4524])
def test_geojson_in_each_accepted_crs_is_read_and_measured_in_metres(tmp_path, epsg):
    path = write_geojson(tmp_path / "a.geojson", frame([parcel()], codes=["DWK-0001"], crs=epsg))
    plan = run(path, "geojson", tmp_path)
    assert plan.crs.source == "file"
    assert f"EPSG:{epsg}" in plan.crs.label
    assert_parcel_imported(plan)


def test_rfc7946_geojson_without_crs_member_is_wgs84(tmp_path):
    data = frame([parcel()], codes=["DWK-0001"])
    path = write_geojson(tmp_path / "a.geojson", data, declare_crs=False)
    plan = run(path, "geojson", tmp_path)
    assert "4326" in plan.crs.label
    assert_parcel_imported(plan)


def test_geojson_without_crs_member_in_gauss_kruger_metres_needs_the_users_choice(tmp_path):
    data = frame([parcel()], codes=["DWK-0001"], crs=4544)
    path = write_geojson(tmp_path / "a.geojson", data, declare_crs=False)
    with pytest.raises(ImportRefused, match=r"投影坐标.*EPSG:4544 或 4545"):
        run(path, "geojson", tmp_path)
    plan = run(path, "geojson", tmp_path, crs="EPSG:4544")
    assert plan.crs.source == "user"
    assert_parcel_imported(plan)


@pytest.mark.parametrize("epsg", [4326, 4490, 4544, 4545, 4523, 4524])
def test_zipped_shapefile_with_prj_in_each_accepted_crs(tmp_path, epsg):
    path = write_shapefile_zip(tmp_path / "a.zip", frame([parcel()], codes=["DWK-0001"], crs=epsg))
    plan = run(path, "shapefile", tmp_path)
    assert plan.crs.source == "file"
    assert_parcel_imported(plan)


@pytest.mark.parametrize("epsg", [4490, 4544, 4545, 4523, 4524])
def test_esri_prj_files_as_arcgis_writes_them_are_understood(tmp_path, epsg):
    data = frame([parcel()], codes=["DWK-0001"], crs=epsg)
    path = write_shapefile_zip(tmp_path / "a.zip", data, prj=esri_prj(epsg))
    plan = run(path, "shapefile", tmp_path)
    assert str(epsg) in plan.crs.label
    assert_parcel_imported(plan)


@pytest.mark.parametrize("epsg", [4326, 4544, 4545, 4523, 4524])
def test_geopackage_in_each_accepted_crs(tmp_path, epsg):
    path = write_gpkg(tmp_path / "a.gpkg", frame([parcel()], codes=["DWK-0001"], crs=epsg))
    plan = run(path, "gpkg", tmp_path)
    assert_parcel_imported(plan)


def test_zip_with_the_shapefile_in_a_folder_is_read(tmp_path):
    data = frame([parcel()], codes=["DWK-0001"], crs=4544)
    path = write_shapefile_zip(tmp_path / "a.zip", data, folder="导出/")
    assert_parcel_imported(run(path, "shapefile", tmp_path))


# ---------------------------------------------------------------- no CRS: chosen or refused


def test_shapefile_without_prj_is_refused_unless_the_user_chooses_the_crs(tmp_path):
    data = frame([parcel()], codes=["DWK-0001"], crs=4545)
    path = write_shapefile_zip(tmp_path / "a.zip", data, prj=False)
    with pytest.raises(ImportRefused, match=r"没有坐标参考系.*\.prj"):
        run(path, "shapefile", tmp_path)
    plan = run(path, "shapefile", tmp_path, crs="EPSG:4545")
    assert plan.crs.source == "user"
    assert_parcel_imported(plan)


def test_geopackage_without_crs_is_refused_unless_chosen(tmp_path):
    path = write_gpkg(tmp_path / "a.gpkg", frame([parcel()], codes=["DWK-0001"], crs=None))
    with pytest.raises(ImportRefused, match="没有坐标参考系"):
        run(path, "gpkg", tmp_path)
    assert_parcel_imported(run(path, "gpkg", tmp_path, crs="EPSG:4490"))


def test_a_choice_that_contradicts_the_files_declaration_is_refused(tmp_path):
    path = write_gpkg(tmp_path / "a.gpkg", frame([parcel()], codes=["DWK-0001"], crs=4544))
    with pytest.raises(ImportRefused, match="不一致"):
        run(path, "gpkg", tmp_path, crs="EPSG:4545")


def test_choosing_the_crs_the_file_declares_is_fine(tmp_path):
    path = write_gpkg(tmp_path / "a.gpkg", frame([parcel()], codes=["DWK-0001"], crs=4544))
    assert_parcel_imported(run(path, "gpkg", tmp_path, crs="EPSG:4544"))


def test_an_unknown_crs_choice_is_refused(tmp_path):
    path = write_gpkg(tmp_path / "a.gpkg", frame([parcel()], codes=["DWK-0001"], crs=None))
    with pytest.raises(ImportRefused, match="不支持的坐标系选项"):
        run(path, "gpkg", tmp_path, crs="EPSG:2380")


# ---------------------------------------------------------------- refused CRS


@pytest.mark.parametrize(
    ("epsg", "word"),
    [
        (2380, "西安1980"),
        (2381, "西安1980"),
        (4610, "西安1980"),
        (2432, "北京1954"),
        (4214, "北京1954"),
    ],
)
def test_xian80_and_beijing54_are_refused_with_a_clear_message(tmp_path, epsg, word):
    # Coordinates are irrelevant: the CRS alone decides; nothing is transformed or guessed.
    data = frame([parcel()], codes=["DWK-0001"], crs=4544).set_crs(epsg, allow_override=True)
    path = write_shapefile_zip(tmp_path / "a.zip", data, prj=esri_prj(epsg))
    with pytest.raises(ImportRefused, match=rf"{word}.*不会猜测.*CGCS2000"):
        run(path, "shapefile", tmp_path)


def test_xian80_declared_in_a_geojson_is_refused(tmp_path):
    data = frame([parcel()], codes=["DWK-0001"], crs=4544).set_crs(2380, allow_override=True)
    path = write_geojson(tmp_path / "a.geojson", data)
    with pytest.raises(ImportRefused, match="西安1980"):
        run(path, "geojson", tmp_path)


def test_a_crs_on_another_datum_is_refused(tmp_path):
    data = frame([parcel()], codes=["DWK-0001"], crs=4544).set_crs(26913, allow_override=True)
    path = write_gpkg(tmp_path / "a.gpkg", data)
    with pytest.raises(ImportRefused, match="不支持的坐标系"):
        run(path, "gpkg", tmp_path)


# ---------------------------------------------------------------- bad coordinates


def test_swapped_lon_lat_is_refused(tmp_path):
    lon, lat = POINTS["dwk"]
    data = frame([Point(lat, lon)], codes=["DWK-0001"])
    path = write_geojson(tmp_path / "a.geojson", data)
    with pytest.raises(ImportRefused, match="填反"):
        run(path, "geojson", tmp_path)


def test_one_swapped_feature_among_good_ones_fails_the_whole_file(tmp_path):
    lon, lat = POINTS["hn"]
    data = frame([parcel(), Point(lat, lon)], codes=["DWK-0001", "HN-0001"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert not plan.ok
    assert "填反" in plan.rows[1].errors[0]


def test_coordinates_outside_the_city_are_refused(tmp_path):
    yinchuan = Point(106.23, 38.49)
    data = frame([parcel(), yinchuan], codes=["DWK-0001", "PL-0001"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert not plan.ok
    assert "不在石嘴山市范围内" in plan.rows[1].errors[0]
    assert plan.rows[0].errors == []


def test_zone_prefixed_eastings_read_without_the_prefix_are_refused_with_a_hint(tmp_path):
    # Eastings with the zone prefix 35 (EPSG:4523) declared as CM 105°E without prefix (4544).
    data = frame([parcel()], codes=["DWK-0001"], crs=4523).set_crs(4544, allow_override=True)
    plan = run(write_gpkg(tmp_path / "a.gpkg", data), "gpkg", tmp_path)
    assert not plan.ok
    assert any("EPSG:4523" in e for e in plan.errors)


def test_degrees_declared_as_gauss_kruger_are_refused(tmp_path):
    data = frame([parcel()], codes=["DWK-0001"], crs=None)
    path = write_gpkg(tmp_path / "a.gpkg", data)
    with pytest.raises(ImportRefused, match="像是经纬度"):
        run(path, "gpkg", tmp_path, crs="EPSG:4544")


def test_metres_declared_as_lon_lat_are_refused(tmp_path):
    data = frame([parcel()], codes=["DWK-0001"], crs=4524).set_crs(4326, allow_override=True)
    with pytest.raises(ImportRefused, match=r"投影坐标.*EPSG:4524"):
        run(write_gpkg(tmp_path / "a.gpkg", data), "gpkg", tmp_path)


def test_gauss_kruger_with_x_and_y_swapped_gets_a_hint(tmp_path):
    good = frame([parcel()], crs=4544).geometry.iloc[0]
    from shapely import transform

    swapped = transform(good, lambda xy: xy[:, ::-1])
    data = frame([parcel()], codes=["DWK-0001"], crs=4544)
    data = data.set_geometry([swapped], crs=4544)
    plan = run(write_gpkg(tmp_path / "a.gpkg", data), "gpkg", tmp_path)
    assert not plan.ok
    assert any("X/Y 可能互换" in e for e in plan.errors)


# ---------------------------------------------------------------- geometry repair and kinds


def test_self_intersecting_ring_is_repaired_and_reported(tmp_path):
    data = frame([bowtie()], codes=["DWK-0001"], crs=4544)
    path = write_shapefile_zip(tmp_path / "a.zip", data)
    plan = run(path, "shapefile", tmp_path)
    assert plan.ok
    (row,) = plan.rows
    assert row.repaired
    assert row.geometry.is_valid
    assert row.geometry.geom_type == "MultiPolygon"  # the two lobes of the figure eight
    assert any("Self-intersection" in n and "make_valid" in n for n in row.notes)
    assert row.area_m2 == pytest.approx(TRUE_AREA / 2, rel=1e-2)


def test_point_features_set_locations(tmp_path):
    data = frame([Point(*POINTS["pl"])], codes=["PL-0001"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert plan.ok
    assert plan.rows[0].kind == "point"
    assert plan.rows[0].area_m2 is None


def test_line_features_are_refused(tmp_path):
    lon, lat = POINTS["dwk"]
    data = frame([LineString([(lon, lat), (lon + 0.001, lat)])], codes=["DWK-0001"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert not plan.ok
    assert "只接受点" in plan.rows[0].errors[0]


def test_a_feature_located_in_another_district_is_noted(tmp_path):
    data = frame([parcel("hn")], codes=["DWK-0001"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert plan.ok
    notes = " ".join(plan.rows[0].notes)
    assert "惠农区" in notes and "大武口区" in notes and "待核对" in notes
    assert "距红线" in notes


# ---------------------------------------------------------------- matching


def test_matching_by_name_with_full_width_and_spaces(tmp_path):
    data = frame([parcel()], names=["星海湖畔 小区"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert plan.rows[0].match.code == "DWK-0001"
    assert plan.rows[0].match.by == "name"


def test_code_wins_and_is_case_insensitive(tmp_path):
    data = frame([parcel()], codes=["dwk-0001"], names=["平罗城关小区"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert plan.rows[0].match.code == "DWK-0001"


def test_a_name_shared_by_two_projects_does_not_match(tmp_path):
    data = frame([parcel(), parcel("pl")], names=["朝阳小区", "平罗城关小区"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert plan.rows[0].match.code is None
    assert "DWK-0002、HN-0001" in plan.rows[0].notes[0]
    assert plan.ok  # unmatched rows are skipped, the rest is imported


def test_chinese_attribute_names_are_recognised(tmp_path):
    data = frame([parcel()], extra={"项目编号": ["DWK-0001"], "项目名称": ["x"]})
    plan = run(write_gpkg(tmp_path / "a.gpkg", data), "gpkg", tmp_path)
    assert plan.code_field == "项目编号"
    assert plan.rows[0].match.code == "DWK-0001"


def test_gbk_shapefile_without_cpg_is_read_as_gbk(tmp_path):
    data = frame([parcel()], extra={"名称": ["星海湖畔小区"]}, crs=4544)
    path = write_shapefile_zip(tmp_path / "a.zip", data, cpg=False, encoding="GBK")
    plan = run(path, "shapefile", tmp_path)
    assert plan.rows[0].match.code == "DWK-0001"
    assert any("GBK" in n for n in plan.notes)


def test_two_features_for_one_project_are_an_error(tmp_path):
    data = frame([parcel(), parcel()], codes=["DWK-0001", "DWK-0001"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert not plan.ok
    assert "同一项目" in plan.rows[1].errors[0]


def test_nothing_matched_is_an_error(tmp_path):
    data = frame([parcel()], codes=["DWK-9999"])
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert not plan.ok
    assert "没有任何要素匹配" in plan.errors[0]


def test_a_file_without_code_or_name_attributes_is_an_error(tmp_path):
    data = frame([parcel()], extra={"remark": ["x"]})
    plan = run(write_geojson(tmp_path / "a.geojson", data), "geojson", tmp_path)
    assert not plan.ok
    assert "没有可用于匹配的属性" in plan.errors[0]


def test_digest_changes_with_project_versions(tmp_path):
    path = write_geojson(tmp_path / "a.geojson", frame([parcel()], codes=["DWK-0001"]))
    first = run(path, "geojson", tmp_path).digest
    assert run(path, "geojson", tmp_path).digest == first
    bumped = [Candidate("DWK-0001", "星海湖畔小区", "640202", *POINTS["dwk"], version=4)]
    plan = analyse(path, "geojson", None, BOUNDARIES, bumped, tmp_path)
    assert plan.digest != first


# ---------------------------------------------------------------- hostile and broken files


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "member",
    ["../evil.shp", "a/../../evil.shp", "/etc/evil.shp", "C:/evil.shp", "..\\evil.shp"],
)
def test_zip_with_escaping_paths_is_refused(tmp_path, member):
    path = _write(tmp_path, "a.zip", zip_bytes({member: b"x", "ok.dbf": b"x"}))
    with pytest.raises(ImportRefused, match="不安全的路径"):
        run(path, "shapefile", tmp_path)
    assert not (tmp_path.parent / "evil.shp").exists()


def test_zip_with_a_symlink_is_refused(tmp_path):
    path = _write(tmp_path, "a.zip", zip_bytes({"a.shp": b"/etc/passwd"}, symlinks=["a.shp"]))
    with pytest.raises(ImportRefused, match="符号链接"):
        run(path, "shapefile", tmp_path)


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = _write(tmp_path, "a.zip", zip_bytes({"a.dbf": b"\0" * (20 * 1024 * 1024)}))
    with pytest.raises(ImportRefused, match="压缩比"):
        run(path, "shapefile", tmp_path)
    assert list((tmp_path / "work").iterdir()) == []


def test_zip_whose_total_unpacked_size_is_too_large_is_refused(tmp_path):
    path = _write(tmp_path, "a.zip", zip_bytes({"a.shp": b"1" * 4096, "a.dbf": b"2" * 4096}))
    with pytest.raises(ImportRefused, match="超过上限"):
        run(path, "shapefile", tmp_path, limits=Limits(max_unpacked_bytes=4096))


def test_zip_with_too_many_files_is_refused(tmp_path):
    members = {f"f{i}.txt": b"x" for i in range(70)}
    path = _write(tmp_path, "a.zip", zip_bytes(members))
    with pytest.raises(ImportRefused, match="文件过多"):
        run(path, "shapefile", tmp_path)


def test_archive_check_runs_on_the_directory_not_the_data(tmp_path):
    path = _write(tmp_path, "a.zip", zip_bytes({"a.shp": b"x"}))
    with zipfile.ZipFile(path) as archive:
        assert [i.filename for i in check_archive(archive, Limits())] == ["a.shp"]


def test_zip_without_shp_or_with_two_shapefiles_is_refused(tmp_path):
    path = _write(tmp_path, "a.zip", zip_bytes({"readme.txt": b"x"}))
    with pytest.raises(ImportRefused, match=r"没有 \.shp"):
        run(path, "shapefile", tmp_path)
    two = _write(tmp_path, "b.zip", zip_bytes({"a.shp": b"x", "b.shp": b"x"}))
    with pytest.raises(ImportRefused, match="多个 Shapefile"):
        run(two, "shapefile", tmp_path)


def test_shapefile_missing_its_dbf_is_refused(tmp_path):
    path = _write(tmp_path, "a.zip", zip_bytes({"a.shp": b"x", "a.shx": b"x"}))
    with pytest.raises(ImportRefused, match=r"缺少 \.dbf"):
        run(path, "shapefile", tmp_path)


def test_corrupt_zip_and_corrupt_geojson_are_refused(tmp_path):
    path = _write(tmp_path, "a.zip", b"PK\x03\x04garbage")
    with pytest.raises(ImportRefused, match="zip"):
        run(path, "shapefile", tmp_path)
    broken = _write(tmp_path, "a.geojson", b'{"type": "FeatureCollection", "features": [')
    with pytest.raises(ImportRefused, match="GeoJSON"):
        run(broken, "geojson", tmp_path)


def test_geopackage_with_two_layers_is_refused(tmp_path):
    path = write_gpkg(tmp_path / "a.gpkg", frame([parcel()], codes=["DWK-0001"]), layer="a")
    write_gpkg(path, frame([parcel("pl")], codes=["PL-0001"]), layer="b")
    with pytest.raises(ImportRefused, match="多个图层"):
        run(path, "gpkg", tmp_path)


def test_too_many_features_are_refused(tmp_path):
    data = frame([parcel(), parcel("pl")], codes=["DWK-0001", "PL-0001"])
    path = write_geojson(tmp_path / "a.geojson", data)
    with pytest.raises(ImportRefused, match="超过上限 1 个"):
        run(path, "geojson", tmp_path, limits=Limits(max_features=1))


@pytest.mark.parametrize(
    ("name", "head", "fmt"),
    [
        ("a.zip", b"PK\x03\x04rest", "shapefile"),
        ("项目红线.GEOJSON", b'\xef\xbb\xbf {"type"', "geojson"),
        ("a.json", b'{"type"', "geojson"),
        ("a.gpkg", b"SQLite format 3\x00...", "gpkg"),
    ],
)
def test_formats_are_detected_from_extension_and_content(name, head, fmt):
    assert detect_format(name, head) == fmt


@pytest.mark.parametrize(
    ("name", "head", "word"),
    [
        ("a.zip", b"not a zip", "不是 zip"),
        ("a.gpkg", b"PK\x03\x04", "不是 GeoPackage"),
        ("a.geojson", b"<html>", "不是 JSON"),
        ("a.shp", b"\x00\x00\x27\x0a", "压缩为 zip"),
        ("a.kml", b"<kml>", "只支持"),
        ("", b"", "只支持"),
    ],
)
def test_wrong_or_unsupported_files_are_refused_by_name_and_content(name, head, word):
    with pytest.raises(ImportRefused, match=word):
        detect_format(name, head)
