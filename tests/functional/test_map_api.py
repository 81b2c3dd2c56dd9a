"""GET /api/v1/map/projects.geojson and districts.geojson: scoped, filtered, bbox, errors."""

from __future__ import annotations

import pytest

from tests.checks import assert_api_refusal
from tests.factories import FIRE_WINDOW_FACTS, POINTS, bearer, login
from tests.querycount import QueryCounter

URL = "/api/v1/map/projects.geojson"
DISTRICTS_URL = "/api/v1/map/districts.geojson"
DWK_BOX = "106.30,38.95,106.45,39.08"


@pytest.fixture()
def caseworker(factory):
    return factory.user("caseworker", username="mapcw")


@pytest.fixture()
def three(factory, caseworker):
    """One project per district; the dwk one has a fire defect."""
    return {
        "dwk": factory.project(district="dwk", facts=FIRE_WINDOW_FACTS, actor=caseworker),
        "hn": factory.project(district="hn", actor=caseworker),
        "pl": factory.project(district="pl", actor=caseworker, total_households=300),
    }


def _codes(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    return {f["properties"]["code"] for f in response.get_json()["features"]}


def test_feature_collection_is_wgs84_points_with_labelled_properties(
    client, factory, caseworker, three
):
    body = client.get(URL, headers=bearer(factory.token(caseworker))).get_json()
    assert body["type"] == "FeatureCollection"
    assert body["count"] == 3
    assert body["unlocated"] == 0
    feature = next(f for f in body["features"] if f["id"] == three["dwk"].code)
    assert feature["geometry"] == {"type": "Point", "coordinates": list(POINTS["dwk"])}
    props = feature["properties"]
    assert props["district"] == "dwk" and props["district_name"] == "大武口区"
    assert props["state"] == "unresolved" and props["state_label"] == "未化解"
    assert props["uncertified_households"] == 90
    assert props["open_defects"] == 1
    assert props["defects"][0]["type"] == "fire"
    assert body["labels"]["types"]["fire"]
    assert body["labels"]["departments"][props["defects"][0]["lead"]]
    assert props["url"].endswith(f"/projects/{three['dwk'].code}")
    assert props["district_mismatch"] is False
    assert props["has_outline"] is False


def test_district_user_sees_only_its_district(client, factory, three):
    user = factory.user("district", district="hn")
    assert _codes(client.get(URL, headers=bearer(factory.token(user)))) == {three["hn"].code}
    # Asking for another district answers nothing rather than leaking it.
    assert _codes(client.get(URL + "?district=dwk", headers=bearer(factory.token(user)))) == set()


def test_department_user_sees_only_projects_it_works_on(client, factory, three):
    fire = factory.user("department", department="fire_rescue")
    tax = factory.user("department", department="tax")
    assert _codes(client.get(URL, headers=bearer(factory.token(fire)))) == {three["dwk"].code}
    assert _codes(client.get(URL, headers=bearer(factory.token(tax)))) == set()


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_roles_without_project_view_are_refused(client, factory, three, role):
    user = factory.user(role)
    assert_api_refusal(client.get(URL, headers=bearer(factory.token(user))), None, 403)


def test_anonymous_caller_gets_401_json(client, three):
    assert_api_refusal(client.get(URL), None, 401)
    assert_api_refusal(client.get(DISTRICTS_URL), None, 401)


def test_a_logged_in_session_works_too(client, factory, caseworker, three):
    login(client, caseworker.username)
    assert len(_codes(client.get(URL))) == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("district=hn", {"hn"}),
        ("type=fire", {"dwk"}),
        ("lead=housing", {"dwk"}),
        ("lead=tax", set()),
        ("status=unresolved", {"dwk"}),
        ("status=resolved", {"hn", "pl"}),
        (f"bbox={DWK_BOX}", {"dwk"}),
        (f"bbox={DWK_BOX}&district=hn", set()),
        ("bbox=106.0,38.0,107.5,40.0", {"dwk", "hn", "pl"}),
        ("bbox=100,30,101,31", set()),
    ],
)
def test_filters_and_bbox(client, factory, caseworker, three, query, expected):
    answer = client.get(f"{URL}?{query}", headers=bearer(factory.token(caseworker)))
    assert _codes(answer) == {three[d].code for d in expected}


def test_keyword_filter(client, factory, caseworker, three):
    auth = bearer(factory.token(caseworker))
    assert _codes(client.get(f"{URL}?q={three['pl'].code}", headers=auth)) == {three["pl"].code}


@pytest.mark.parametrize(
    "bbox",
    ["1,2,3", "a,b,c,d", "106.5,39,106.4,39.1", "106,95,107,96", "nan,1,2,3", "1,2,3,4,5", ","],
)
def test_bad_bbox_is_400_naming_the_field(client, factory, caseworker, three, bbox):
    answer = client.get(f"{URL}?bbox={bbox}", headers=bearer(factory.token(caseworker)))
    assert_api_refusal(answer, "bbox")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("district=xx", "district"),
        ("type=nope", "type"),
        ("lead=nope", "lead"),
        ("status=done", "status"),
        ("geometry=line", "geometry"),
    ],
)
def test_bad_filters_are_400_naming_the_field(client, factory, caseworker, three, query, field):
    answer = client.get(f"{URL}?{query}", headers=bearer(factory.token(caseworker)))
    assert_api_refusal(answer, field)


def test_unlocated_projects_are_counted_not_drawn(client, factory, caseworker, three):
    factory.project(district="pl", actor=caseworker, lon=None, lat=None)
    body = client.get(URL, headers=bearer(factory.token(caseworker))).get_json()
    assert body["count"] == 3
    assert body["unlocated"] == 1


def test_a_project_located_in_another_district_is_flagged(client, factory, caseworker):
    lon, lat = POINTS["hn"]
    odd = factory.project(district="dwk", actor=caseworker, lon=lon, lat=lat)
    body = client.get(URL, headers=bearer(factory.token(caseworker))).get_json()
    props = next(f["properties"] for f in body["features"] if f["id"] == odd.code)
    assert props["district_mismatch"] is True
    assert props["located_district"] == "hn"


def test_query_count_is_the_same_for_3_and_30_projects(app, client, factory, caseworker):
    auth = bearer(factory.token(caseworker))
    for i in range(3):
        factory.project(district=("dwk", "hn", "pl")[i], facts=FIRE_WINDOW_FACTS, actor=caseworker)
    client.get(URL, headers=auth)
    with QueryCounter(app) as small:
        assert client.get(URL, headers=auth).status_code == 200
    for i in range(27):
        factory.project(
            district=("dwk", "hn", "pl")[i % 3], facts=FIRE_WINDOW_FACTS, actor=caseworker
        )
    with QueryCounter(app) as large:
        body = client.get(URL, headers=auth).get_json()
    assert body["count"] == 30
    assert small.count == large.count, large.report()
    assert large.count <= 8, large.report()


# ---------------------------------------------------------------- districts


def test_districts_carry_boundaries_and_choropleth_figures(client, factory, caseworker, three):
    body = client.get(DISTRICTS_URL, headers=bearer(factory.token(caseworker))).get_json()
    assert len(body["features"]) == 3
    assert len(body["bbox"]) == 4
    by_code = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert by_code["dwk"]["name"] == "大武口区"
    assert by_code["dwk"]["open_defects"] == 1
    assert by_code["dwk"]["uncertified_households"] == 90
    assert by_code["pl"]["uncertified_households"] == 290
    assert by_code["hn"]["open_defects"] == 0
    assert body["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_district_user_gets_figures_only_for_its_own_district(client, factory, three):
    user = factory.user("district", district="hn")
    body = client.get(DISTRICTS_URL, headers=bearer(factory.token(user))).get_json()
    by_code = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert by_code["hn"]["in_scope"] is True and by_code["hn"]["projects"] == 1
    assert by_code["dwk"]["in_scope"] is False and by_code["dwk"]["open_defects"] is None


def test_district_figures_follow_the_filters(client, factory, caseworker, three):
    auth = bearer(factory.token(caseworker))
    body = client.get(DISTRICTS_URL + "?status=resolved", headers=auth).get_json()
    by_code = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert by_code["dwk"]["projects"] == 0
    assert by_code["pl"]["projects"] == 1
