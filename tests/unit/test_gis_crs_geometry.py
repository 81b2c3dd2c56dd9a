"""gis.crs and gis.geometry: CRS rules, Gauss-Krüger areas, repair, bbox parsing."""

from __future__ import annotations

import pyproj
import pytest
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, box

from gis import crs as crsmod
from gis.geometry import (
    bbox_of,
    from_geojson,
    parse_bbox,
    repair_polygonal,
    to_geojson,
)
from tests.gisfiles import bowtie, parcel


@pytest.mark.parametrize(
    ("lon", "zone"),
    [(106.2, "EPSG:4544"), (106.49, "EPSG:4544"), (106.5, "EPSG:4545"), (106.8, "EPSG:4545")],
)
def test_the_gauss_kruger_zone_follows_the_longitude(lon, zone):
    assert crsmod.gk_zone_for(lon) == zone


@pytest.mark.parametrize("district", ["dwk", "hn", "pl"])
def test_areas_are_square_metres_matching_the_geodesic_area(district):
    shape = parcel(district, size=0.005)
    geodesic = abs(Geod(ellps="GRS80").geometry_area_perimeter(shape)[0])
    assert crsmod.area_m2(shape) == pytest.approx(geodesic, rel=1e-3)
    assert crsmod.area_m2(shape) > 500_000  # never degrees²


def test_reprojection_round_trips_through_each_gauss_kruger_crs():
    shape = parcel("hn")
    for code in ("EPSG:4544", "EPSG:4545", "EPSG:4523", "EPSG:4524"):
        back = crsmod.to_lonlat(crsmod.from_lonlat(shape, code), pyproj.CRS(code))
        assert back.equals_exact(shape, tolerance=1e-8)


def test_zone_prefix_shows_in_the_easting():
    shape = parcel("dwk")
    assert 35_000_000 < crsmod.from_lonlat(shape, "EPSG:4523").bounds[0] < 36_000_000
    assert 100_000 < crsmod.from_lonlat(shape, "EPSG:4544").bounds[0] < 1_000_000


def test_resolve_prefers_the_files_declaration_and_refuses_guessing():
    declared = pyproj.CRS("EPSG:4544")
    assert crsmod.resolve(declared, None).source == "file"
    assert crsmod.resolve(None, "EPSG:4545").source == "user"
    with pytest.raises(crsmod.CrsRefused, match="系统不会猜测"):
        crsmod.resolve(None, None)
    with pytest.raises(crsmod.CrsRefused, match="不一致"):
        crsmod.resolve(declared, "EPSG:4523")
    # WGS84 and CGCS2000 lon/lat differ by centimetres: not a contradiction.
    assert crsmod.resolve(pyproj.CRS("EPSG:4326"), "EPSG:4490").source == "file"


@pytest.mark.parametrize("code", [2380, 2381, 4610, 2432, 2433, 4214, 4792])
def test_xian80_beijing54_and_new_beijing_are_refused(code):
    with pytest.raises(crsmod.CrsRefused, match="没有通用的转换参数"):
        crsmod.check_supported(pyproj.CRS.from_epsg(code))


@pytest.mark.parametrize("code", [4326, 4490, 4544, 4545, 4523, 4524, 32648, 3857])
def test_wgs84_and_cgcs2000_based_crs_are_accepted(code):
    crsmod.check_supported(pyproj.CRS.from_epsg(code))


def test_hints_name_the_likely_crs():
    assert "4523" in crsmod.projected_hint(35_600_000, 4_300_000, 35_700_000, 4_400_000)
    assert "4524" in crsmod.projected_hint(36_400_000, 4_300_000, 36_500_000, 4_400_000)
    assert "4544" in crsmod.projected_hint(600_000, 4_300_000, 700_000, 4_400_000)
    assert "互换" in crsmod.projected_hint(4_300_000, 600_000, 4_400_000, 700_000)
    assert crsmod.projected_hint(1, 2, 3, 4) == ""


def test_repair_makes_a_bowtie_valid_and_says_why():
    fixed, repair = repair_polygonal(bowtie())
    assert fixed is not None and fixed.is_valid
    assert isinstance(fixed, MultiPolygon)
    assert repair is not None and "Self-intersection" in repair.reason
    same, nothing = repair_polygonal(parcel())
    assert nothing is None and same.equals(parcel())


def test_geojson_text_round_trips_with_seven_decimals():
    shape = box(106.123456789, 39.1, 106.2, 39.2)
    text = to_geojson(shape)
    assert "106.1234568" in text
    assert from_geojson(text).equals_exact(shape, tolerance=1e-7)


def test_bbox_covers_point_and_outline():
    assert bbox_of(106.3, 39.0) == (106.3, 39.0, 106.3, 39.0)
    assert bbox_of(None, None) is None
    assert bbox_of(106.0, 39.5, box(106.3, 39.0, 106.4, 39.1)) == (106.0, 39.0, 106.4, 39.5)
    assert bbox_of(None, None, Point(1, 2).buffer(1)) is not None


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("1,2,3", "四个数"),
        ("a,b,c,d", "不是数字"),
        ("nan,1,2,3", "无效"),
        ("106,39,105,40", "最小值大于最大值"),
        ("106,95,107,96", "超出经纬度范围"),
        ("", "四个数"),
    ],
)
def test_bad_bbox_strings_are_refused(text, word):
    with pytest.raises(ValueError, match=word):
        parse_bbox(text)


def test_good_bbox_is_parsed():
    assert parse_bbox("106.2,38.8, 106.9,39.4") == (106.2, 38.8, 106.9, 39.4)
