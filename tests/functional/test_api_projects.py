"""GET/POST/PATCH /api/v1/projects: shape, filters, validation, optimistic locking, scoping."""

from __future__ import annotations

import json

import pytest

from tests.checks import assert_api_refusal, row_counts
from tests.factories import FIRE_WINDOW_FACTS, POINTS, bearer

URL = "/api/v1/projects"
ARREARS = {"land_premium_unpaid": True}  # led by nr, tax and finance cooperate
DEED_TAX = {"sales_invoice_obtainable": False, "invoice_obstacle": "other"}  # led by tax
LITIGATION = {"in_litigation": True}  # led by court

CONTRACT_KEYS = {
    "code",
    "name",
    "district",
    "address",
    "developer",
    "total_households",
    "certified_households",
    "lon",
    "lat",
    "state",
    "version",
    "facts",
    "defects",
}


@pytest.fixture()
def caseworker(factory):
    return factory.user("caseworker")


@pytest.fixture()
def auth(factory, caseworker) -> dict[str, str]:
    return bearer(factory.token(caseworker))


@pytest.fixture()
def make(factory, caseworker):
    """Create projects through the service as one caseworker (one password hash per test)."""

    def build(district: str = "dwk", facts: dict | None = None, **fields):
        return factory.project(district=district, facts=facts, actor=caseworker, **fields)

    return build


def _token_for(factory, role: str, **binding) -> dict[str, str]:
    return bearer(factory.token(factory.user(role, **binding)))


def _valid_body(**overrides) -> dict:
    lon, lat = POINTS["dwk"]
    body = {
        "name": "星海湖畔小区",
        "district": "dwk",
        "address": "大武口区星海路1号",
        "developer": "石嘴山市某房地产开发有限公司",
        "developer_exists": True,
        "total_households": 120,
        "certified_households": 20,
        "lon": lon,
        "lat": lat,
        "facts": dict(FIRE_WINDOW_FACTS),
    }
    body.update(overrides)
    return body


# ---------------------------------------------------------------- GET list


def test_list_answers_items_total_page_and_per_page(client, auth, make):
    make(facts=FIRE_WINDOW_FACTS)
    make(district="hn")
    answer = client.get(URL, headers=auth)
    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert body["total"] == 2
    assert body["page"] == 1
    assert body["per_page"] == 20
    assert [p["code"] for p in body["items"]] == ["DWK-0001", "HN-0001"]
    assert set(body["items"][0]) >= CONTRACT_KEYS


def test_list_of_an_empty_registry_is_an_empty_page(client, auth):
    body = client.get(URL, headers=auth).get_json()
    assert body == {"items": [], "total": 0, "page": 1, "per_page": 20}


@pytest.fixture()
def registry(make):
    """Five projects across districts, defect types, lead departments and states."""
    return {
        "fire_dwk": make("dwk", FIRE_WINDOW_FACTS, name="星海湖畔小区"),
        "arrears_dwk": make("dwk", ARREARS, name="朝阳小区", developer="宁夏星瀚置业"),
        "deed_tax_hn": make("hn", DEED_TAX, name="河滨花园"),
        "litigation_pl": make("pl", LITIGATION, name="平罗县城关小区"),
        "clean_pl": make("pl", {}, name="玉皇阁小区"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("district=dwk", {"fire_dwk", "arrears_dwk"}),
        ("district=pl", {"litigation_pl", "clean_pl"}),
        ("type=fire", {"fire_dwk"}),
        ("type=deed_tax", {"deed_tax_hn"}),
        ("type=oversize", set()),
        ("status=resolved", {"clean_pl"}),
        ("status=unresolved", {"fire_dwk", "arrears_dwk", "deed_tax_hn", "litigation_pl"}),
        ("lead=housing", {"fire_dwk"}),
        ("lead=nr", {"arrears_dwk"}),
        ("lead=tax", {"deed_tax_hn"}),
        ("lead=court", {"litigation_pl"}),
        ("q=湖畔", {"fire_dwk"}),
        ("q=星瀚", {"arrears_dwk"}),
        ("q=HN-0001", {"deed_tax_hn"}),
        ("q=hn-0001", {"deed_tax_hn"}),
        ("q=小区", {"fire_dwk", "arrears_dwk", "litigation_pl", "clean_pl"}),
        ("q=%25", set()),
        ("q=_", set()),
        ("district=dwk&type=arrears", {"arrears_dwk"}),
        ("district=hn&type=fire", set()),
        ("district=&type=&status=&lead=&q=", None),
    ],
)
def test_list_filters(client, auth, registry, query, expected):
    body = client.get(f"{URL}?{query}", headers=auth).get_json()
    codes = {p["code"] for p in body["items"]}
    if expected is None:
        expected = set(registry)
    assert codes == {registry[name].code for name in expected}
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("district=szs", "district"),
        ("district=DWK", "district"),
        ("type=roof", "type"),
        ("status=done", "status"),
        ("lead=police", "lead"),
    ],
)
def test_list_refuses_an_unknown_filter_value_naming_it(client, auth, query, field):
    assert_api_refusal(client.get(f"{URL}?{query}", headers=auth), field)


def test_list_paginates(client, auth, make, caseworker):
    for _ in range(5):
        make()
    body = client.get(f"{URL}?per_page=2&page=2", headers=auth).get_json()
    assert body["total"] == 5
    assert (body["page"], body["per_page"]) == (2, 2)
    assert [p["code"] for p in body["items"]] == ["DWK-0003", "DWK-0004"]
    last = client.get(f"{URL}?per_page=2&page=3", headers=auth).get_json()
    assert [p["code"] for p in last["items"]] == ["DWK-0005"]
    beyond = client.get(f"{URL}?per_page=2&page=9", headers=auth).get_json()
    assert beyond["items"] == [] and beyond["total"] == 5


def test_list_caps_per_page_at_200(client, auth):
    body = client.get(f"{URL}?per_page=5000", headers=auth).get_json()
    assert body["per_page"] == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=%C2%B2", "page"),  # "²" is a Unicode digit but not a number
        ("page=99999999999999999999999", "page"),
        ("page=" + "9" * 5000, "page"),
        ("per_page=0", "per_page"),
        ("per_page=ten", "per_page"),
        ("per_page=%EF%BC%93", "per_page"),  # full-width "３"
    ],
)
def test_list_refuses_a_bad_page_number_naming_the_parameter(client, auth, query, field):
    assert_api_refusal(client.get(f"{URL}?{query}", headers=auth), field)


# ---------------------------------------------------------------- GET one


def test_get_one_answers_the_contract_shape(client, auth, make):
    rec = make(
        facts=FIRE_WINDOW_FACTS,
        address="大武口区星海路1号",
        developer="某开发公司",
        total_households=120,
        certified_households=30,
    )
    answer = client.get(f"{URL}/{rec.code}", headers=auth)
    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) >= CONTRACT_KEYS
    lon, lat = POINTS["dwk"]
    assert body["code"] == rec.code == "DWK-0001"
    assert body["district"] == "dwk"
    assert body["address"] == "大武口区星海路1号"
    assert body["developer"] == "某开发公司"
    assert (body["total_households"], body["certified_households"]) == (120, 30)
    assert (body["lon"], body["lat"]) == (lon, lat)
    assert body["state"] == "unresolved"
    assert body["version"] == rec.version
    assert body["facts"] == FIRE_WINDOW_FACTS
    [fire] = body["defects"]
    assert fire["type"] == "fire"
    assert fire["path"] == "fire_housing_review"
    assert fire["lead"] == "housing"
    assert fire["cooperating"] == ["fire_rescue"]
    assert fire["status"] == "registered"
    assert fire["clause"] == "附件3 三(一)6"
    assert fire["needs_government_approval"] is False


def test_get_one_lists_undecided_defects_under_needs_review(client, auth, make):
    rec = make(facts={"completion_filed": False})
    body = client.get(f"{URL}/{rec.code}", headers=auth).get_json()
    assert body["defects"] == []
    [review] = body["needs_review"]
    assert review["type"] == "completion"
    assert review["lead"] == "housing"
    assert review["status"] == "registered"
    assert review["missing"] == [
        "completion_supplementable",
        "quality_and_fire_accepted",
        "construction_records_lost",
    ]


def test_get_one_of_an_unknown_code_answers_404_json(client, auth):
    assert_api_refusal(client.get(f"{URL}/DWK-9999", headers=auth), None, status=404)


# ---------------------------------------------------------------- POST


def test_post_creates_a_classified_project(client, auth):
    answer = client.post(URL, json=_valid_body(), headers=auth)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert answer.headers["Location"].endswith(f"{URL}/DWK-0001")
    assert body["code"] == "DWK-0001"
    assert body["version"] == 1
    assert body["state"] == "unresolved"
    assert [(d["type"], d["path"], d["lead"], d["status"]) for d in body["defects"]] == [
        ("fire", "fire_housing_review", "housing", "registered")
    ]
    assert body["facts"] == FIRE_WINDOW_FACTS
    assert body["changes"] and all("消防" in c for c in body["changes"])
    fetched = client.get(answer.headers["Location"], headers=auth).get_json()
    assert fetched["code"] == "DWK-0001"
    assert fetched["defects"][0]["path"] == "fire_housing_review"


def test_post_assigns_codes_per_district(client, auth):
    codes = []
    for district in ("dwk", "hn", "dwk", "pl", "hn"):
        lon, lat = POINTS[district]
        body = _valid_body(district=district, lon=lon, lat=lat)
        codes.append(client.post(URL, json=body, headers=auth).get_json()["code"])
    assert codes == ["DWK-0001", "HN-0001", "DWK-0002", "PL-0001", "HN-0002"]


def test_post_ignores_server_assigned_fields(client, auth):
    body = _valid_body(
        code="PL-0042",
        state="resolved",
        version=77,
        defects=[{"type": "land", "path": "land_allocation"}],
        needs_review=[],
        created_at="2000-01-01T00:00:00+00:00",
    )
    answer = client.post(URL, json=body, headers=auth)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    created = answer.get_json()
    assert created["code"] == "DWK-0001"
    assert created["state"] == "unresolved"
    assert created["version"] == 1
    assert [d["type"] for d in created["defects"]] == ["fire"]
    assert not created["created_at"].startswith("2000")


def test_post_accepts_a_project_read_back_from_get(client, auth):
    created = client.post(URL, json=_valid_body(), headers=auth)
    first = client.get(created.headers["Location"], headers=auth).get_json()
    copy = client.post(URL, json=first, headers=auth)
    assert copy.status_code == 201, copy.get_data(as_text=True)
    assert copy.get_json()["code"] == "DWK-0002"
    assert copy.get_json()["facts"] == first["facts"]


def test_post_with_only_name_and_district_is_enough(client, auth):
    answer = client.post(URL, json={"name": "无坐标小区", "district": "pl"}, headers=auth)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["lon"], body["lat"], body["total_households"]) == (None, None, 0)
    assert body["defects"] == [] and body["state"] == "resolved"


def test_post_without_district_takes_the_district_of_the_point(client, auth):
    lon, lat = POINTS["hn"]
    body = _valid_body(lon=lon, lat=lat)
    del body["district"]
    answer = client.post(URL, json=body, headers=auth)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert (answer.get_json()["code"], answer.get_json()["district"]) == ("HN-0001", "hn")


def test_post_warns_when_the_point_lies_in_another_district(client, auth):
    lon, lat = POINTS["hn"]
    answer = client.post(URL, json=_valid_body(lon=lon, lat=lat), headers=auth)
    assert answer.status_code == 201
    [warning] = answer.get_json()["warnings"]
    assert "惠农区" in warning and "大武口区" in warning


BAD_POSTS = {
    "missing_name": ({"name": None}, "name"),
    "blank_name": ({"name": "   "}, "name"),
    "name_too_long": ({"name": "小" * 129}, "name"),
    "name_not_a_string": ({"name": 42}, "name"),
    "missing_district_and_point": ({"district": None, "lon": None, "lat": None}, "district"),
    "unknown_district": ({"district": "szs"}, "district"),
    "district_null": ({"district": "null"}, "district"),
    "certified_above_total": ({"certified_households": 121}, "certified_households"),
    "negative_total": ({"total_households": -1, "certified_households": 0}, "total_households"),
    "negative_certified": ({"certified_households": -5}, "certified_households"),
    "total_as_string": ({"total_households": "120"}, "total_households"),
    "total_as_float": ({"total_households": 120.5}, "total_households"),
    "total_as_bool": ({"total_households": True}, "total_households"),
    "total_null": ({"total_households": None}, "total_households"),
    "total_beyond_any_project": ({"total_households": 10**12}, "total_households"),
    "total_beyond_a_database_integer": ({"total_households": 10**30}, "total_households"),
    "address_too_long": ({"address": "路" * 256}, "address"),
    "notes_too_long": ({"notes": "备" * 4001}, "notes"),
    "lon_without_lat": ({"lat": None}, "lat"),
    "lat_without_lon": ({"lon": None}, "lon"),
    "lon_as_string": ({"lon": "106.37"}, "lon"),
    "lon_as_bool": ({"lon": True}, "lon"),
    "lon_an_integer_beyond_floats": ({"lon": 10**400}, "lon"),
    "point_in_beijing": ({"lon": 116.397, "lat": 39.909}, "lon"),
    "point_just_outside_the_city": ({"lon": 105.0, "lat": 38.0}, "lon"),
    "swapped_lon_lat": ({"lon": POINTS["dwk"][1], "lat": POINTS["dwk"][0]}, "lon"),
    "projected_metres": ({"lon": 36512345.0, "lat": 4321000.0}, "lon"),
    "lon_out_of_range": ({"lon": 200.0, "lat": 39.0}, "lon"),
    "developer_exists_as_string": ({"developer_exists": "yes"}, "developer_exists"),
    "unknown_field": ({"households": 3}, "households"),
    "facts_not_an_object": ({"facts": ["fire_acceptance_done"]}, "facts"),
    "facts_a_string": ({"facts": "fire"}, "facts"),
    "unknown_fact": ({"facts": {"fire_accepted": True}}, "facts.fire_accepted"),
    "fact_of_wrong_type": ({"facts": {"in_litigation": "yes"}}, "facts.in_litigation"),
    "fact_with_bad_date": (
        {"facts": {"completion_date": "2003-13-01"}},
        "facts.completion_date",
    ),
    "completion_before_start": (
        {"facts": {"construction_start_date": "2005-03-01", "completion_date": "2004-01-01"}},
        "facts.completion_date",
    ),
    "start_in_the_future": (
        {"facts": {"construction_start_date": "2099-01-01"}},
        "facts.construction_start_date",
    ),
    "completion_in_the_future": (
        {"facts": {"completion_date": "2099-01-01"}},
        "facts.completion_date",
    ),
}


@pytest.mark.parametrize(("changes", "field"), BAD_POSTS.values(), ids=list(BAD_POSTS))
def test_post_refuses_bad_input_naming_the_field_and_writes_nothing(
    app, client, auth, changes, field
):
    body = _valid_body(**changes)
    for key in [k for k, v in changes.items() if v is None and k in ("name", "district")]:
        del body[key]
    before = row_counts(app)
    assert_api_refusal(client.post(URL, json=body, headers=auth), field)
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("[]", "application/json"),
        ('{"name": "x", "district": "dwk", "lon": NaN, "lat": 39.0}', "application/json"),
        ('{"name": "x", "district": "dwk", "lon": Infinity, "lat": 39.0}', "application/json"),
        ("name=x&district=dwk", "application/x-www-form-urlencoded"),
        ("", "application/json"),
    ],
    ids=["list", "nan", "infinity", "form_encoded", "empty"],
)
def test_post_refuses_a_body_that_is_not_a_usable_json_object(app, client, auth, raw, content_type):
    before = row_counts(app)
    answer = client.post(URL, data=raw, headers={**auth, "Content-Type": content_type})
    assert answer.status_code == 400
    assert answer.get_json()["field"] in ("body", "lon")
    assert row_counts(app) == before


# ---------------------------------------------------------------- PATCH


def _patch(client, auth, code: str, body: dict):
    return client.patch(f"{URL}/{code}", json=body, headers=auth)


def test_patch_with_the_version_saves_and_increments_it(client, auth, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    answer = _patch(client, auth, rec.code, {"version": rec.version, "name": "新名称小区"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["name"] == "新名称小区"
    assert body["version"] == rec.version + 1
    assert body["changes"] == []
    assert client.get(f"{URL}/{rec.code}", headers=auth).get_json()["name"] == "新名称小区"


def test_patch_of_facts_reruns_the_engine(client, auth, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    answer = _patch(
        client, auth, rec.code, {"version": rec.version, "facts": {"fire_acceptance_done": True}}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["defects"] == []
    assert body["state"] == "resolved"
    assert len(body["changes"]) == 1 and "问题不再成立" in body["changes"][0]


def test_patch_of_facts_merges_given_keys_and_keeps_the_others(client, auth, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    body = _patch(
        client, auth, rec.code, {"version": rec.version, "facts": {"in_litigation": True}}
    ).get_json()
    assert body["facts"] == {**FIRE_WINDOW_FACTS, "in_litigation": True}
    assert [d["type"] for d in body["defects"]] == ["fire", "litigation"]
    assert any(c.startswith("新增问题") for c in body["changes"])


def test_patch_null_fact_makes_it_unknown(client, auth, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    body = _patch(
        client,
        auth,
        rec.code,
        {"version": rec.version, "facts": {"construction_start_date": None}},
    ).get_json()
    assert "construction_start_date" not in body["facts"]
    assert body["defects"] == []
    [review] = body["needs_review"]
    assert review["type"] == "fire"
    assert review["missing"] == ["construction_start_date"]


def test_patch_of_project_type_through_facts_is_stored(client, auth, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    body = _patch(
        client, auth, rec.code, {"version": rec.version, "facts": {"project_type": "affordable"}}
    ).get_json()
    assert body["facts"]["project_type"] == "affordable"
    again = client.get(f"{URL}/{rec.code}", headers=auth).get_json()
    assert again["facts"]["project_type"] == "affordable"


def test_patch_of_coordinates_to_null_clears_both(client, auth, make):
    rec = make()
    body = _patch(client, auth, rec.code, {"version": rec.version, "lon": None, "lat": None})
    assert body.status_code == 200
    assert (body.get_json()["lon"], body.get_json()["lat"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x"}, "version"),
        ({"version": "1", "name": "x"}, "version"),
        ({"version": True, "name": "x"}, "version"),
        ({"version": None, "name": "x"}, "version"),
        ({"version": 1, "certified_households": 101}, "certified_households"),
        ({"version": 1, "facts": {"oversize_units": -3}}, "facts.oversize_units"),
        ({"version": 1, "facts": ["x"]}, "facts"),
        ({"version": 1, "facts": {"nope": 1}}, "facts.nope"),
        ({"version": 1, "district": "xx"}, "district"),
        ({"version": 1, "lon": None}, "lon"),
        ({"version": 1, "code": "DWK-0099"}, "code"),
        ({"version": 1, "name": ""}, "name"),
        (
            {"version": 1, "facts": {"completion_date": "2005-01-01"}},
            "facts.completion_date",
        ),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(app, client, auth, make, body, field):
    rec = make(facts=FIRE_WINDOW_FACTS)
    assert rec.version == 1
    before = client.get(f"{URL}/{rec.code}", headers=auth).get_json()
    counts = row_counts(app)
    assert_api_refusal(_patch(client, auth, rec.code, body), field)
    assert client.get(f"{URL}/{rec.code}", headers=auth).get_json() == before
    assert row_counts(app) == counts


def test_patch_with_a_stale_version_answers_409_and_changes_nothing(app, client, auth, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    assert _patch(client, auth, rec.code, {"version": 1, "name": "第一次修改"}).status_code == 200
    before = client.get(f"{URL}/{rec.code}", headers=auth).get_json()
    counts = row_counts(app)
    answer = _patch(
        client,
        auth,
        rec.code,
        {"version": 1, "name": "过期修改", "facts": {"fire_acceptance_done": True}},
    )
    body = assert_api_refusal(answer, None, status=409)
    assert body["current_version"] == 2
    assert body["current"]["name"] == "第一次修改"
    assert client.get(f"{URL}/{rec.code}", headers=auth).get_json() == before
    assert row_counts(app) == counts


def test_patch_of_an_unknown_project_answers_404(client, auth):
    assert_api_refusal(_patch(client, auth, "DWK-0404", {"version": 1}), None, status=404)


def test_patch_refuses_a_body_that_is_not_an_object(client, auth, make):
    rec = make()
    answer = client.patch(
        f"{URL}/{rec.code}",
        data=json.dumps([1]),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert_api_refusal(answer, "body")


# ---------------------------------------------------------------- scoping


def test_district_user_sees_only_its_district(client, factory, make):
    own = make("dwk", FIRE_WINDOW_FACTS)
    other = make("hn", FIRE_WINDOW_FACTS)
    auth = _token_for(factory, "district", district="dwk")
    body = client.get(URL, headers=auth).get_json()
    assert [p["code"] for p in body["items"]] == [own.code]
    assert body["total"] == 1
    assert client.get(f"{URL}/{own.code}", headers=auth).status_code == 200
    assert_api_refusal(client.get(f"{URL}/{other.code}", headers=auth), None, status=404)
    filtered = client.get(f"{URL}?district=hn", headers=auth).get_json()
    assert filtered["items"] == [] and filtered["total"] == 0


def test_district_user_cannot_patch_another_district(app, client, factory, make):
    other = make("hn", FIRE_WINDOW_FACTS)
    auth = _token_for(factory, "district", district="dwk")
    counts = row_counts(app)
    answer = _patch(client, auth, other.code, {"version": other.version, "name": "改名"})
    assert_api_refusal(answer, None, status=404)
    assert row_counts(app) == counts


def test_district_user_cannot_create_in_another_district(app, client, factory):
    auth = _token_for(factory, "district", district="dwk")
    lon, lat = POINTS["hn"]
    counts = row_counts(app)
    answer = client.post(URL, json=_valid_body(district="hn", lon=lon, lat=lat), headers=auth)
    assert_api_refusal(answer, None, status=403)
    assert row_counts(app) == counts


def test_district_user_creates_and_edits_in_its_own_district(client, factory):
    auth = _token_for(factory, "district", district="dwk")
    created = client.post(URL, json=_valid_body(), headers=auth)
    assert created.status_code == 201
    code = created.get_json()["code"]
    assert _patch(client, auth, code, {"version": 1, "notes": "已核实"}).status_code == 200


def test_district_user_cannot_move_its_project_to_another_district(client, factory, make):
    own = make("dwk", FIRE_WINDOW_FACTS)
    auth = _token_for(factory, "district", district="dwk")
    lon, lat = POINTS["hn"]
    answer = _patch(
        client, auth, own.code, {"version": own.version, "district": "hn", "lon": lon, "lat": lat}
    )
    assert_api_refusal(answer, "district")


@pytest.fixture()
def department_registry(make):
    return {
        "led": make("dwk", DEED_TAX),
        "cooperating": make("hn", ARREARS),
        "unrelated": make("pl", FIRE_WINDOW_FACTS),
    }


def test_department_user_sees_projects_it_leads_or_cooperates_on(
    client, factory, department_registry
):
    auth = _token_for(factory, "department", department="tax")
    body = client.get(URL, headers=auth).get_json()
    expected = {department_registry[k].code for k in ("led", "cooperating")}
    assert {p["code"] for p in body["items"]} == expected
    assert body["total"] == 2
    unrelated = department_registry["unrelated"].code
    assert_api_refusal(client.get(f"{URL}/{unrelated}", headers=auth), None, status=404)


def test_department_user_cannot_patch_or_post(app, client, factory, department_registry):
    auth = _token_for(factory, "department", department="tax")
    led = department_registry["led"]
    counts = row_counts(app)
    assert_api_refusal(
        _patch(client, auth, led.code, {"version": led.version, "name": "改名"}), None, status=403
    )
    assert_api_refusal(client.post(URL, json=_valid_body(), headers=auth), None, status=403)
    assert row_counts(app) == counts


def test_department_user_loses_sight_of_a_project_once_its_defect_is_gone(
    client, auth, factory, make
):
    rec = make("dwk", DEED_TAX)
    tax = _token_for(factory, "department", department="tax")
    assert client.get(f"{URL}/{rec.code}", headers=tax).status_code == 200
    _patch(
        client,
        auth,
        rec.code,
        {"version": rec.version, "facts": {"sales_invoice_obtainable": True}},
    )
    assert client.get(f"{URL}/{rec.code}", headers=tax).status_code == 404


def test_leader_reads_everything_but_cannot_write(app, client, factory, make):
    recs = [make("dwk", FIRE_WINDOW_FACTS), make("hn"), make("pl", ARREARS)]
    auth = _token_for(factory, "leader")
    assert client.get(URL, headers=auth).get_json()["total"] == 3
    assert client.get(f"{URL}/{recs[0].code}", headers=auth).status_code == 200
    counts = row_counts(app)
    assert_api_refusal(client.post(URL, json=_valid_body(), headers=auth), None, status=403)
    answer = _patch(client, auth, recs[0].code, {"version": recs[0].version, "name": "改名"})
    assert_api_refusal(answer, None, status=403)
    assert row_counts(app) == counts


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditor_and_admin_cannot_read_projects(app, client, factory, make, role):
    rec = make("dwk", FIRE_WINDOW_FACTS)
    auth = _token_for(factory, role)
    assert_api_refusal(client.get(URL, headers=auth), None, status=403)
    assert_api_refusal(client.get(f"{URL}/{rec.code}", headers=auth), None, status=403)
    counts = row_counts(app)
    assert_api_refusal(client.post(URL, json=_valid_body(), headers=auth), None, status=403)
    patched = _patch(client, auth, rec.code, {"version": rec.version, "name": "改名"})
    assert patched.status_code in (403, 404)
    assert row_counts(app) == counts


def test_projects_without_credentials_answer_401(client, make):
    rec = make()
    assert_api_refusal(client.get(URL), None, status=401)
    assert_api_refusal(client.get(f"{URL}/{rec.code}"), None, status=401)
    assert_api_refusal(client.post(URL, json=_valid_body()), None, status=401)
    assert_api_refusal(_patch(client, {}, rec.code, {"version": 1}), None, status=401)


def test_session_patch_needs_the_csrf_header(client, factory, make):
    from tests.factories import csrf_token, login

    rec = make()
    factory.user("caseworker", username="cwpatch")
    login(client, "cwpatch")
    body = {"version": rec.version, "name": "改名"}
    assert_api_refusal(client.patch(f"{URL}/{rec.code}", json=body), "csrf_token")
    token = csrf_token(client.get("/projects").get_data(as_text=True))
    answer = client.patch(f"{URL}/{rec.code}", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 200
