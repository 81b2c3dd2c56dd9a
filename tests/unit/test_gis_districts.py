"""District boundaries: loading, validation, point lookup and coordinate sanity checks."""

import json
import math
from pathlib import Path

import pytest

from gis.districts import (
    DEFAULT_BOUNDARIES,
    BoundaryError,
    DistrictBoundaries,
    boundaries_from,
    default_boundaries,
    load_boundaries,
    validate_lonlat,
)

DWK, HN, PL = "640202", "640205", "640221"


@pytest.fixture(scope="module")
def boundaries() -> DistrictBoundaries:
    return load_boundaries(DEFAULT_BOUNDARIES)


def test_default_file_has_the_three_districts(boundaries):
    assert boundaries.adcodes == (DWK, HN, PL)
    assert dict(boundaries.names) == {DWK: "大武口区", HN: "惠农区", PL: "平罗县"}


@pytest.mark.parametrize("adcode", [DWK, HN, PL])
def test_representative_point_is_found_in_its_district(boundaries, adcode):
    lon, lat = boundaries.representative_point(adcode)
    assert boundaries.locate(lon, lat) == adcode


@pytest.mark.parametrize(
    ("place", "lon", "lat", "adcode"),
    [
        ("大武口区人民政府", 106.3768, 39.0148, DWK),
        ("惠农区城区", 106.7812, 39.2397, HN),
        ("平罗县城", 106.5450, 38.9063, PL),
        ("星海湖", 106.3400, 39.0350, DWK),
        ("红果子镇", 106.6950, 39.1450, HN),
        ("太沙工业园", 106.5850, 38.9300, PL),
    ],
)
def test_real_places_fall_in_their_district(boundaries, place, lon, lat, adcode):
    assert boundaries.locate(lon, lat) == adcode, place
    assert boundaries.contains(lon, lat)


@pytest.mark.parametrize(
    ("place", "lon", "lat"),
    [("银川市", 106.23, 38.49), ("乌海市", 106.82, 39.67), ("null island", 0.0, 0.0)],
)
def test_points_outside_the_city_are_not_located(boundaries, place, lon, lat):
    assert boundaries.locate(lon, lat) is None, place
    assert not boundaries.contains(lon, lat)


def test_non_finite_coordinates_are_not_located(boundaries):
    assert boundaries.locate(math.nan, 39.0) is None
    assert boundaries.locate(106.4, math.inf) is None


def test_a_vertex_on_the_border_is_found(boundaries):
    # A vertex of the outer ring is on the boundary: covers() must still find it.
    lon, lat = boundaries.geometry(HN).geoms[0].exterior.coords[0]
    assert boundaries.locate(lon, lat) is not None


def test_locate_many_agrees_with_locate(boundaries):
    lons = [106.3768, 106.7812, 106.5450, 106.23, 39.01]
    lats = [39.0148, 39.2397, 38.9063, 38.49, 106.37]
    assert boundaries.locate_many(lons, lats) == [
        boundaries.locate(lon, lat) for lon, lat in zip(lons, lats, strict=True)
    ]
    assert boundaries.locate_many([], []) == []


def test_bbox_encloses_the_city(boundaries):
    minx, miny, maxx, maxy = boundaries.bbox
    assert 105.5 < minx < maxx < 107.5
    assert 38.3 < miny < maxy < 39.6
    for adcode in boundaries.adcodes:
        gminx, gminy, gmaxx, gmaxy = boundaries.geometry(adcode).bounds
        assert minx <= gminx and miny <= gminy and gmaxx <= maxx and gmaxy <= maxy
    assert boundaries.locate(minx - 0.01, miny - 0.01) is None


def test_unknown_adcode_is_a_key_error(boundaries):
    with pytest.raises(KeyError):
        boundaries.representative_point("640100")


def test_boundaries_from_is_cached_and_notices_changes(tmp_path):
    assert default_boundaries() is boundaries_from(str(DEFAULT_BOUNDARIES))
    assert boundaries_from(None) is boundaries_from("") is default_boundaries()
    copy = tmp_path / "districts.geojson"
    data = json.loads(DEFAULT_BOUNDARIES.read_text(encoding="utf-8"))
    copy.write_text(json.dumps(data), encoding="utf-8")
    first = boundaries_from(copy)
    assert boundaries_from(str(copy)) is first
    data["features"] = data["features"][:1]
    copy.write_text(json.dumps(data), encoding="utf-8")
    assert boundaries_from(copy).adcodes == (DWK,)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(39.0148, 106.3768), (39.2397, 106.7812), (38.9063, 106.5450)],
)
def test_swapped_lonlat_is_detected(lon, lat):
    assert validate_lonlat(lon, lat) == validate_lonlat(39.0, 106.0)
    assert "填反" in (validate_lonlat(lon, lat) or "")


@pytest.mark.parametrize(
    ("lon", "lat", "word"),
    [
        (181.0, 39.0, "经度"),
        (-180.5, 39.0, "经度"),
        (106.4, 90.5, "纬度"),
        (106.4, -91.0, "纬度"),
        (36512345.0, 4321000.0, "投影坐标"),
        (math.nan, 39.0, "有效数字"),
    ],
)
def test_impossible_coordinates_are_refused(lon, lat, word):
    message = validate_lonlat(lon, lat)
    assert message is not None and word in message


@pytest.mark.parametrize(("lon", "lat"), [(106.3768, 39.0148), (106.23, 38.49), (-180, 90)])
def test_plausible_coordinates_pass(lon, lat):
    assert validate_lonlat(lon, lat) is None


def _collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(properties: dict, ring: list[list[float]] | None = None) -> dict:
    ring = ring or [[106.0, 39.0], [106.1, 39.0], [106.1, 39.1], [106.0, 39.1], [106.0, 39.0]]
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


BOWTIE = [[106.0, 39.0], [106.1, 39.1], [106.1, 39.0], [106.0, 39.1], [106.0, 39.0]]
GAUSS_KRUGER = [
    [36500000.0, 4300000.0],
    [36510000.0, 4300000.0],
    [36510000.0, 4310000.0],
    [36500000.0, 4300000.0],
]


@pytest.mark.parametrize(
    ("content", "word"),
    [
        ("not json {", "JSON"),
        (json.dumps({"type": "Feature"}), "FeatureCollection"),
        (json.dumps(_collection()), "要素"),
        (json.dumps(_collection(_feature({"name": "无代码区"}))), "adcode"),
        (json.dumps(_collection(_feature({"adcode": ""}))), "adcode"),
        (json.dumps(_collection(_feature({"adcode": "640202"}, BOWTIE))), "无效"),
        (json.dumps(_collection(_feature({"adcode": "640202"}, GAUSS_KRUGER))), "投影坐标"),
        (
            json.dumps(_collection(_feature({"adcode": "640202"}), _feature({"adcode": 640202}))),
            "重复",
        ),
        (
            json.dumps(
                _collection(
                    {
                        "type": "Feature",
                        "properties": {"adcode": "640202"},
                        "geometry": {"type": "Point", "coordinates": [106.0, 39.0]},
                    }
                )
            ),
            "Polygon",
        ),
        (
            json.dumps(
                {
                    **_collection(_feature({"adcode": "640202"})),
                    "crs": {"type": "name", "properties": {"name": "EPSG:4524"}},
                }
            ),
            "坐标参考系",
        ),
    ],
)
def test_bad_boundary_files_are_refused(tmp_path, content, word):
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BoundaryError) as caught:
        load_boundaries(path)
    assert word in str(caught.value)


def test_missing_boundary_file_is_refused(tmp_path):
    missing: Path = tmp_path / "nowhere.geojson"
    with pytest.raises(BoundaryError, match=r"无法读取.*文件不存在"):
        load_boundaries(missing)
    with pytest.raises(BoundaryError, match=r"无法读取.*文件不存在"):
        boundaries_from(missing)
    with pytest.raises(BoundaryError, match="无法读取"):
        load_boundaries(tmp_path)  # a directory


def test_non_utf8_boundary_file_is_refused(tmp_path):
    path = tmp_path / "gbk.geojson"
    path.write_bytes('{"name": "大武口区"}'.encode("gbk"))
    with pytest.raises(BoundaryError, match="UTF-8"):
        load_boundaries(path)


@pytest.mark.parametrize(
    "crs_name",
    ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4490"],
)
def test_lonlat_crs_declarations_are_accepted(tmp_path, crs_name):
    path = tmp_path / "ok.geojson"
    data = {
        **_collection(_feature({"adcode": "640202"})),
        "crs": {"type": "name", "properties": {"name": crs_name}},
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_boundaries(path).adcodes == ("640202",)


def test_integer_adcode_and_missing_name_are_accepted(tmp_path):
    path = tmp_path / "ok.geojson"
    path.write_text(json.dumps(_collection(_feature({"adcode": 640202}))), encoding="utf-8")
    loaded = load_boundaries(path)
    assert loaded.adcodes == ("640202",)
    assert loaded.name("640202") == "640202"
    assert loaded.locate(106.05, 39.05) == "640202"
    assert loaded.locate(106.1, 39.05) == "640202"  # on the edge
