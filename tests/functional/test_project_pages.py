"""Project pages: login, list, detail, create and edit forms, conflicts, path overrides, CSRF."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Defect, Project
from tests.checks import field_errors, flashes, form_values, is_chinese, row_counts
from tests.factories import FIRE_WINDOW_FACTS, POINTS, csrf_token, login

CLAUSE_FIRE = "附件3 三(一)6"
HOUSING = "市住房和城乡建设局"
FIRE_RESCUE = "市消防救援支队"


@pytest.fixture()
def caseworker(factory):
    return factory.user("caseworker", username="cwpages")


@pytest.fixture()
def signed_in(client, caseworker):
    """The client, signed in as a caseworker."""
    assert login(client, caseworker.username).status_code == 302
    return client


@pytest.fixture()
def make(factory, caseworker):
    def build(district: str = "dwk", facts: dict | None = None, **fields):
        return factory.project(district=district, facts=facts, actor=caseworker, **fields)

    return build


def _html(response) -> str:
    return response.get_data(as_text=True)


def _project_links(html: str) -> list[str]:
    return re.findall(r'<td><a href="/projects/([A-Z]+-\d+)">', html)


def _defect_row(app, code: str, type_: str) -> dict:
    with app.app_context():
        row = db.session.scalars(
            select(Defect).join(Project).where(Project.code == code, Defect.type == type_)
        ).one()
        values = {
            "path": row.path,
            "engine_path": row.engine_path,
            "override_reason": row.override_reason,
            "version": row.version,
            "lead": row.lead_code,
        }
        db.session.remove()
        return values


def _project_row(app, code: str) -> dict:
    with app.app_context():
        project = db.session.scalars(select(Project).where(Project.code == code)).one()
        values = {
            "name": project.name,
            "version": project.version,
            "district": project.district_code,
            "defects": {d.type: d.path for d in project.defects},
        }
        db.session.remove()
        return values


# ---------------------------------------------------------------- login


@pytest.mark.parametrize(
    "url", ["/", "/projects", "/projects/new", "/projects/DWK-0001", "/projects/DWK-0001/edit"]
)
def test_pages_send_anonymous_visitors_to_the_login_page(client, url):
    answer = client.get(url)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_roles_without_project_access_get_403_on_the_list(client, factory, role):
    user = factory.user(role)
    login(client, user.username)
    answer = client.get("/projects")
    assert answer.status_code == 403
    assert is_chinese(_html(answer))


# ---------------------------------------------------------------- list


def test_list_shows_twenty_projects_per_page(signed_in, make):
    for _ in range(25):
        make()
    first = _html(signed_in.get("/projects"))
    assert len(_project_links(first)) == 20
    assert "共 25 个项目" in first
    assert "第 1 / 2 页" in first
    second = _html(signed_in.get("/projects?page=2"))
    assert _project_links(second) == [f"DWK-{n:04d}" for n in range(21, 26)]
    assert "第 2 / 2 页" in second


def test_list_pager_keeps_the_filters(signed_in, make):
    for _ in range(21):
        make("hn", FIRE_WINDOW_FACTS)
    make("dwk", FIRE_WINDOW_FACTS)
    page = _html(signed_in.get("/projects?district=hn&type=fire"))
    assert "共 21 个项目" in page
    nxt = re.search(r'<a href="([^"]+)">下一页</a>', page)
    assert nxt is not None
    second = _html(signed_in.get(nxt.group(1).replace("&amp;", "&")))
    assert _project_links(second) == ["HN-0021"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("district=hn", ["HN-0001"]),
        ("type=fire", ["DWK-0001"]),
        ("lead=tax", ["HN-0001"]),
        ("status=resolved", ["PL-0001"]),
        ("q=湖畔", ["DWK-0001"]),
        ("q=河滨", ["HN-0001"]),
        ("q=pl-0001", ["PL-0001"]),
        ("q=不存在的名字", []),
    ],
)
def test_list_filters_and_text_search(signed_in, make, query, expected):
    make("dwk", FIRE_WINDOW_FACTS, name="星海湖畔小区")
    make("hn", {"sales_invoice_obtainable": False, "invoice_obstacle": "other"}, name="河滨花园")
    make("pl", {}, name="玉皇阁小区")
    html = _html(signed_in.get(f"/projects?{query}"))
    assert _project_links(html) == expected
    if not expected:
        assert "没有符合条件的项目" in html


@pytest.mark.parametrize(
    "query", ["district=xx", "type=roof", "status=done", "lead=police", "district=%00"]
)
def test_list_with_a_bad_filter_value_shows_a_chinese_error_not_a_500(signed_in, make, query):
    make()
    answer = signed_in.get(f"/projects?{query}")
    assert answer.status_code == 200
    [message] = [m for m in flashes(_html(answer)) if "未知" in m]
    assert is_chinese(message)
    assert _project_links(_html(answer)) == ["DWK-0001"]


@pytest.mark.parametrize("page", ["abc", "0", "-3", "99", "1.5", "%C2%B2", "9" * 5000])
def test_list_with_an_odd_page_number_never_fails(signed_in, make, page):
    make()
    assert signed_in.get(f"/projects?page={page}").status_code == 200


def test_district_user_list_shows_only_its_district(client, factory, make):
    make("dwk")
    make("hn")
    user = factory.user("district", district="hn")
    login(client, user.username)
    assert _project_links(_html(client.get("/projects"))) == ["HN-0001"]


# ---------------------------------------------------------------- detail


def test_detail_shows_defects_with_lead_department_clause_and_households(signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS, total_households=120, certified_households=30)
    html = _html(signed_in.get(f"/projects/{rec.code}"))
    assert "未办理消防验收" in html
    assert CLAUSE_FIRE in html
    assert HOUSING in html
    assert FIRE_RESCUE in html
    assert "住建部门牵头审查" in html
    assert "30 / 120 户" in html
    assert "待交办" in html


def test_detail_shows_a_needs_review_defect_with_its_missing_facts(signed_in, make):
    rec = make(facts={"completion_filed": False})
    html = _html(signed_in.get(f"/projects/{rec.code}"))
    assert "待人工研判" in html
    assert "附件3 三(一)5" in html
    assert HOUSING in html
    for label in (
        "手续齐全、能够补办竣工验收备案",
        "质量和消防验收合格但未备案",
        "施工技术资料缺失、参建主体灭失或不配合",
    ):
        assert label in html


def test_detail_of_a_project_without_defects_says_so(signed_in, make):
    rec = make(facts={})
    assert "没有附件3所列的" in _html(signed_in.get(f"/projects/{rec.code}"))


def test_detail_of_an_unknown_project_is_a_chinese_404(signed_in):
    answer = signed_in.get("/projects/DWK-9999")
    assert answer.status_code == 404
    assert is_chinese(_html(answer))


def test_district_user_cannot_open_another_districts_project(client, factory, make):
    rec = make("hn", FIRE_WINDOW_FACTS)
    user = factory.user("district", district="dwk")
    login(client, user.username)
    assert client.get(f"/projects/{rec.code}").status_code == 404
    assert client.get(f"/projects/{rec.code}/edit").status_code == 404


# ---------------------------------------------------------------- create


def _new_form(client) -> dict[str, str]:
    return form_values(_html(client.get("/projects/new")), css_class="project-form")


def _good_create(client, **changes) -> dict[str, str]:
    lon, lat = POINTS["dwk"]
    data = _new_form(client)
    data.update(
        {
            "name": "星海湖畔小区",
            "district": "dwk",
            "total_households": "120",
            "certified_households": "0",
            "lon": str(lon),
            "lat": str(lat),
            "fact_project_type": "commercial",
            "fact_fire_acceptance_done": "0",
            "fact_construction_start_date": "2005-03-01",
            "fact_completion_date": "2007-10-01",
        }
    )
    data.update(changes)
    return data


def test_create_saves_redirects_and_flashes_the_engines_changes(app, signed_in):
    answer = signed_in.post("/projects/new", data=_good_create(signed_in))
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/projects/DWK-0001"
    html = _html(signed_in.get(answer.headers["Location"]))
    messages = flashes(html)
    assert "项目 DWK-0001 已登记。" in messages
    assert "新增问题：未办理消防验收（住建部门牵头审查）" in messages
    assert _project_row(app, "DWK-0001")["defects"] == {"fire": "fire_housing_review"}


def test_create_with_unknown_facts_flashes_the_review_item(signed_in):
    data = _good_create(signed_in, fact_construction_start_date="", fact_completion_date="")
    answer = signed_in.post("/projects/new", data=data, follow_redirects=True)
    assert any(
        m.startswith("新增问题（需人工研判）：未办理消防验收") for m in flashes(_html(answer))
    )


def test_create_in_another_district_warns_about_the_point(signed_in):
    lon, lat = POINTS["hn"]
    data = _good_create(signed_in, lon=str(lon), lat=str(lat))
    answer = signed_in.post("/projects/new", data=data, follow_redirects=True)
    assert any("惠农区" in m and "不一致" in m for m in flashes(_html(answer)))


REFUSALS = {
    "missing_name": ({"name": ""}, "name", "请填写项目名称。"),
    "blank_name": ({"name": "   "}, "name", "请填写项目名称。"),
    "name_too_long": ({"name": "小" * 129}, "name", None),
    "certified_above_total": (
        {"certified_households": "121"},
        "certified_households",
        "已办证户数不能大于总户数。",
    ),
    "negative_total": ({"total_households": "-1"}, "total_households", "不能为负数。"),
    "negative_certified": ({"certified_households": "-1"}, "certified_households", "不能为负数。"),
    "total_not_a_number": ({"total_households": "一百"}, "total_households", None),
    "total_missing": ({"total_households": ""}, "total_households", "请填写总户数。"),
    "total_beyond_a_database_integer": (
        {"total_households": "99999999999999999999"},
        "total_households",
        None,
    ),
    "lon_infinite": ({"lon": "1e400"}, "lon", None),
    "negative_oversize_units": ({"fact_oversize_units": "-2"}, "fact_oversize_units", None),
    "bad_date_text": ({"fact_completion_date": "2007-13-01"}, "fact_completion_date", None),
    "slashed_date": ({"fact_completion_date": "2007/10/1"}, "fact_completion_date", None),
    "completion_before_start": (
        {"fact_completion_date": "2004-01-01"},
        "fact_completion_date",
        "建成日期不能早于开工日期。",
    ),
    "start_in_the_future": (
        {"fact_construction_start_date": "2099-01-01", "fact_completion_date": ""},
        "fact_construction_start_date",
        "日期不能晚于今天。",
    ),
    "lon_outside_the_city": ({"lon": "116.397", "lat": "39.909"}, "lon", None),
    "swapped_lon_lat": (
        {"lon": str(POINTS["dwk"][1]), "lat": str(POINTS["dwk"][0])},
        "lon",
        None,
    ),
    "lon_without_lat": ({"lat": ""}, "lat", "经度和纬度须同时填写。"),
    "lon_not_a_number": ({"lon": "东经106度"}, "lon", None),
    "unknown_district": ({"district": "szs"}, "district", "不是有效的选择。"),
    "unknown_project_type": ({"fact_project_type": "villa"}, "fact_project_type", None),
    "unknown_tri_state": ({"fact_in_litigation": "yes"}, "fact_in_litigation", None),
    "unknown_invoice_obstacle": ({"fact_invoice_obstacle": "lost"}, "fact_invoice_obstacle", None),
    "unknown_developer_exists": ({"developer_exists": "2"}, "developer_exists", None),
}


@pytest.mark.parametrize(("changes", "field", "message"), REFUSALS.values(), ids=list(REFUSALS))
def test_create_refusal_rerenders_the_form_with_a_chinese_message_at_the_field(
    app, signed_in, changes, field, message
):
    data = _good_create(signed_in, **changes)
    before = row_counts(app)
    answer = signed_in.post("/projects/new", data=data)
    assert answer.status_code == 200
    html = _html(answer)
    errors = field_errors(html, field)
    assert errors, f"no error next to {field}"
    assert all(is_chinese(e) for e in errors), errors
    if message:
        assert message in errors
    assert row_counts(app) == before
    # What the user typed is kept, so one mistake does not cost the whole form.
    assert (
        form_values(html, css_class="project-form")["fact_construction_start_date"]
        == (data["fact_construction_start_date"])
    )


def test_district_user_creates_only_in_its_own_district(app, client, factory):
    user = factory.user("district", district="dwk")
    login(client, user.username)
    form = _new_form(client)
    assert 'value="hn"' not in _html(client.get("/projects/new"))
    lon, lat = POINTS["hn"]
    data = {**_good_create(client), "district": "hn", "lon": str(lon), "lat": str(lat)}
    data["csrf_token"] = form["csrf_token"]
    before = row_counts(app)
    answer = client.post("/projects/new", data=data)
    assert answer.status_code == 200
    assert field_errors(_html(answer), "district")
    assert row_counts(app) == before


@pytest.mark.parametrize("role", ["leader", "department"])
def test_read_only_roles_cannot_open_the_create_form(client, factory, role):
    user = factory.user(role)
    login(client, user.username)
    assert client.get("/projects/new").status_code == 403


# ---------------------------------------------------------------- CSRF


def _assert_only_the_refusal_was_audited(app, before: dict[str, int]) -> None:
    """Nothing written but the `security.csrf` audit row of the refusal itself."""
    assert row_counts(app) == before  # row_counts leaves out security.* audit rows
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last.action == "security.csrf"
        db.session.remove()


def test_create_without_csrf_token_is_refused_and_writes_nothing(app, signed_in):
    data = _good_create(signed_in)
    del data["csrf_token"]
    before = row_counts(app)
    answer = signed_in.post("/projects/new", data=data)
    assert answer.status_code == 400
    assert "CSRF" in _html(answer) and is_chinese(_html(answer))
    _assert_only_the_refusal_was_audited(app, before)


def test_create_with_a_forged_csrf_token_is_refused(app, signed_in):
    data = _good_create(signed_in, csrf_token="forged")
    before = row_counts(app)
    assert signed_in.post("/projects/new", data=data).status_code == 400
    _assert_only_the_refusal_was_audited(app, before)


def test_edit_without_csrf_token_is_refused_and_writes_nothing(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    data = _edit_form(signed_in, rec.code)
    data["name"] = "改名"
    del data["csrf_token"]
    before = row_counts(app)
    assert signed_in.post(f"/projects/{rec.code}/edit", data=data).status_code == 400
    _assert_only_the_refusal_was_audited(app, before)
    assert _project_row(app, rec.code)["name"] != "改名"


def test_override_without_csrf_token_is_refused_and_writes_nothing(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    data = _override_form(signed_in, rec.code, "fire")
    data.update({"fire-path": "fire_standard_procedure", "fire-reason": "开工日期经核实有误"})
    del data["fire-csrf_token"]
    before = row_counts(app)
    answer = signed_in.post(f"/projects/{rec.code}/defects/fire/override", data=data)
    assert answer.status_code == 400
    _assert_only_the_refusal_was_audited(app, before)
    assert _defect_row(app, rec.code, "fire")["override_reason"] is None


def test_logout_without_csrf_token_is_refused_and_keeps_the_session(signed_in):
    assert signed_in.post("/logout").status_code == 400
    assert signed_in.get("/projects").status_code == 200


def test_logout_with_csrf_token_ends_the_session(signed_in):
    token = csrf_token(_html(signed_in.get("/projects")))
    assert signed_in.post("/logout", data={"csrf_token": token}).status_code == 302
    assert signed_in.get("/projects").status_code == 302


def test_logout_by_get_is_not_allowed(signed_in):
    assert signed_in.get("/logout").status_code == 405
    assert signed_in.get("/projects").status_code == 200


# ---------------------------------------------------------------- edit


def _edit_form(client, code: str) -> dict[str, str]:
    page = client.get(f"/projects/{code}/edit")
    assert page.status_code == 200
    return form_values(_html(page), css_class="project-form")


def test_edit_form_is_prefilled_with_the_project(signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS, name="星海湖畔小区")
    data = _edit_form(signed_in, rec.code)
    assert data["name"] == "星海湖畔小区"
    assert data["district"] == "dwk"
    assert data["version"] == str(rec.version)
    assert data["fact_project_type"] == "commercial"
    assert data["fact_fire_acceptance_done"] == "0"
    assert data["fact_construction_start_date"] == "2005-03-01"
    assert data["fact_in_litigation"] == ""


def test_edit_saves_changes_and_says_the_classification_did_not_change(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    data = {**_edit_form(signed_in, rec.code), "name": "星海湖畔小区（二期）"}
    answer = signed_in.post(f"/projects/{rec.code}/edit", data=data)
    assert answer.status_code == 302
    messages = flashes(_html(signed_in.get(answer.headers["Location"])))
    assert "已保存。" in messages and "问题分类无变化。" in messages
    row = _project_row(app, rec.code)
    assert row["name"] == "星海湖畔小区（二期）"
    assert row["version"] == rec.version + 1


def test_edit_of_facts_reruns_the_engine_and_flashes_what_changed(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    data = {
        **_edit_form(signed_in, rec.code),
        "fact_in_litigation": "1",
        "fact_construction_start_date": "2021-03-01",
        "fact_completion_date": "2023-10-01",
    }
    answer = signed_in.post(f"/projects/{rec.code}/edit", data=data, follow_redirects=True)
    messages = flashes(_html(answer))
    assert "新增问题：涉法涉诉类“办证难”（法院牵头统筹协调化解）" in messages
    assert (
        "路径变更：未办理消防验收由『住建部门牵头审查』改为『按现行程序办理消防验收』" in messages
    )
    assert _project_row(app, rec.code)["defects"] == {
        "fire": "fire_standard_procedure",
        "litigation": "court_coordination",
    }


def test_edit_that_clears_a_trigger_removes_the_defect(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    data = {**_edit_form(signed_in, rec.code), "fact_fire_acceptance_done": "1"}
    answer = signed_in.post(f"/projects/{rec.code}/edit", data=data, follow_redirects=True)
    assert any(m.startswith("问题不再成立：未办理消防验收") for m in flashes(_html(answer)))
    assert _project_row(app, rec.code)["defects"] == {}


def test_edit_refusal_rerenders_the_form_and_saves_nothing(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    data = {**_edit_form(signed_in, rec.code), "fact_completion_date": "2001-01-01"}
    before = row_counts(app)
    answer = signed_in.post(f"/projects/{rec.code}/edit", data=data)
    assert answer.status_code == 200
    assert field_errors(_html(answer), "fact_completion_date") == ["建成日期不能早于开工日期。"]
    assert row_counts(app) == before
    assert _project_row(app, rec.code)["version"] == rec.version


def test_edit_with_a_stale_version_shows_the_conflict_and_saves_nothing(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS, name="原名称")
    mine = {**_edit_form(signed_in, rec.code), "name": "我的修改", "fact_in_litigation": "1"}
    theirs = {**_edit_form(signed_in, rec.code), "name": "他人的修改"}
    assert signed_in.post(f"/projects/{rec.code}/edit", data=theirs).status_code == 302
    saved = _project_row(app, rec.code)
    before = row_counts(app)
    answer = signed_in.post(f"/projects/{rec.code}/edit", data=mine)
    assert answer.status_code == 409
    html = _html(answer)
    assert "已被他人修改" in html
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", html)
    assert sorted(rows) == sorted(
        [("项目名称", "我的修改", "他人的修改"), ("涉法涉诉", "是", "不详")]
    )
    assert _project_row(app, rec.code) == saved
    assert row_counts(app) == before


def test_conflict_page_shows_codes_as_their_chinese_names(signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    lon, lat = POINTS["hn"]
    mine = {
        **_edit_form(signed_in, rec.code),
        "district": "hn",
        "lon": str(lon),
        "lat": str(lat),
        "fact_project_type": "affordable",
        "fact_fire_acceptance_done": "1",
    }
    theirs = {**_edit_form(signed_in, rec.code), "notes": "他人补充"}
    assert signed_in.post(f"/projects/{rec.code}/edit", data=theirs).status_code == 302
    html = _html(signed_in.post(f"/projects/{rec.code}/edit", data=mine))
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", html)
    assert ("所属县区", "惠农区", "大武口区") in rows
    assert ("项目类型", "经济适用住房", "商品房") in rows
    assert ("已办理消防验收（备案）", "是", "否") in rows
    assert ("备注", "", "他人补充") in rows


def test_edit_with_a_garbage_version_counts_as_stale(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    data = {**_edit_form(signed_in, rec.code), "name": "改名", "version": "abc"}
    assert signed_in.post(f"/projects/{rec.code}/edit", data=data).status_code == 409
    assert _project_row(app, rec.code)["name"] != "改名"


def test_district_user_edits_its_own_project(app, client, factory, make):
    rec = make("dwk", FIRE_WINDOW_FACTS)
    user = factory.user("district", district="dwk")
    login(client, user.username)
    data = {**_edit_form(client, rec.code), "notes": "县区已核实"}
    assert client.post(f"/projects/{rec.code}/edit", data=data).status_code == 302


def test_district_user_cannot_edit_another_districts_project(app, client, factory, make):
    rec = make("hn", FIRE_WINDOW_FACTS)
    own = make("dwk", FIRE_WINDOW_FACTS)
    user = factory.user("district", district="dwk")
    login(client, user.username)
    data = {**_edit_form(client, own.code), "name": "改名", "district": "hn"}
    before = row_counts(app)
    assert client.post(f"/projects/{rec.code}/edit", data=data).status_code == 404
    assert row_counts(app) == before


def test_district_user_cannot_move_its_project_to_another_district(app, client, factory, make):
    rec = make("dwk", FIRE_WINDOW_FACTS)
    user = factory.user("district", district="dwk")
    login(client, user.username)
    lon, lat = POINTS["hn"]
    data = {**_edit_form(client, rec.code), "district": "hn", "lon": str(lon), "lat": str(lat)}
    before = row_counts(app)
    answer = client.post(f"/projects/{rec.code}/edit", data=data)
    assert answer.status_code == 200
    assert field_errors(_html(answer), "district")
    assert row_counts(app) == before
    assert _project_row(app, rec.code)["district"] == "dwk"


@pytest.mark.parametrize("role", ["leader", "department"])
def test_read_only_roles_cannot_edit(app, client, factory, make, role):
    rec = make("dwk", FIRE_WINDOW_FACTS)
    user = factory.user(role, department="housing" if role == "department" else None)
    login(client, user.username)
    assert client.get(f"/projects/{rec.code}").status_code == 200
    assert client.get(f"/projects/{rec.code}/edit").status_code == 403
    token = csrf_token(_html(client.get(f"/projects/{rec.code}")))
    answer = client.post(
        f"/projects/{rec.code}/edit", data={"csrf_token": token, "name": "改名", "version": "1"}
    )
    assert answer.status_code == 403
    assert _project_row(app, rec.code)["name"] != "改名"


# ---------------------------------------------------------------- path override


def _override_form(client, code: str, type_: str) -> dict[str, str]:
    html = _html(client.get(f"/projects/{code}"))
    return form_values(html, action=f"/projects/{code}/defects/{type_}/override")


def _override(client, code: str, type_: str, path: str, reason: str, **extra):
    data = _override_form(client, code, type_)
    data.update({f"{type_}-path": path, f"{type_}-reason": reason, **extra})
    return client.post(f"/projects/{code}/defects/{type_}/override", data=data)


REASON = "经现场核实，该楼实际于2021年开工，应按现行程序办理。"


def test_caseworker_overrides_a_path_with_a_reason(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    answer = _override(signed_in, rec.code, "fire", "fire_standard_procedure", REASON)
    assert answer.status_code == 302
    html = _html(signed_in.get(answer.headers["Location"]))
    assert "化解路径已调整，理由已记录。" in flashes(html)
    assert "按现行程序办理消防验收" in html
    assert REASON in html
    assert "引擎建议「住建部门牵头审查」" in html
    row = _defect_row(app, rec.code, "fire")
    assert row["path"] == "fire_standard_procedure"
    assert row["engine_path"] == "fire_housing_review"
    assert row["override_reason"] == REASON


def test_engine_rerun_keeps_the_override(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    _override(signed_in, rec.code, "fire", "fire_standard_procedure", REASON)
    data = {
        **_edit_form(signed_in, rec.code),
        "fact_in_litigation": "1",
        "fact_construction_start_date": "1999-01-01",
    }
    answer = signed_in.post(f"/projects/{rec.code}/edit", data=data, follow_redirects=True)
    assert answer.status_code == 200
    row = _defect_row(app, rec.code, "fire")
    assert row["path"] == "fire_standard_procedure"
    assert row["override_reason"] == REASON
    # A fact change that moves the engine's own proposal is reported, the override stays.
    data = {
        **_edit_form(signed_in, rec.code),
        "fact_construction_start_date": "",
        "fact_completion_date": "",
    }
    answer = signed_in.post(f"/projects/{rec.code}/edit", data=data, follow_redirects=True)
    assert any(m.startswith("人工调整的路径予以保留") for m in flashes(_html(answer)))
    row = _defect_row(app, rec.code, "fire")
    assert row["path"] == "fire_standard_procedure"
    assert row["engine_path"] is None
    assert row["override_reason"] == REASON


@pytest.mark.parametrize(
    ("path", "reason", "expected"),
    [
        ("fire_standard_procedure", "", "请写明调整理由"),
        ("fire_standard_procedure", "   ", "请写明调整理由"),
        ("fire_standard_procedure", "太短", "理由须为"),
        ("land_allocation", REASON, "不是有效的选择"),
        ("no_such_path", REASON, "不是有效的选择"),
    ],
    ids=["no_reason", "blank_reason", "short_reason", "path_of_another_type", "unknown_path"],
)
def test_override_refusals_change_nothing(app, signed_in, make, path, reason, expected):
    rec = make(facts=FIRE_WINDOW_FACTS)
    before_row = _defect_row(app, rec.code, "fire")
    before = row_counts(app)
    answer = _override(signed_in, rec.code, "fire", path, reason)
    assert answer.status_code == 302
    messages = flashes(_html(signed_in.get(answer.headers["Location"])))
    assert any(m.startswith("调整路径未保存") and expected in m for m in messages), messages
    assert _defect_row(app, rec.code, "fire") == before_row
    assert row_counts(app) == before


def test_override_with_a_stale_defect_version_is_refused(app, signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    stale = _override_form(signed_in, rec.code, "fire")
    assert _override(signed_in, rec.code, "fire", "fire_standard_procedure", REASON).status_code
    stale.update({"fire-path": "fire_exempt", "fire-reason": "另一位经办人的理由"})
    answer = signed_in.post(
        f"/projects/{rec.code}/defects/fire/override", data=stale, follow_redirects=True
    )
    assert any("已被他人修改" in m for m in flashes(_html(answer)))
    assert _defect_row(app, rec.code, "fire")["path"] == "fire_standard_procedure"


def test_override_of_a_defect_the_project_does_not_have_is_404(signed_in, make):
    rec = make(facts=FIRE_WINDOW_FACTS)
    data = _override_form(signed_in, rec.code, "fire")
    data.update({"land-path": "land_allocation", "land-reason": REASON})
    data["land-csrf_token"] = data["fire-csrf_token"]
    answer = signed_in.post(f"/projects/{rec.code}/defects/land/override", data=data)
    assert answer.status_code == 404


@pytest.mark.parametrize("role", ["district", "leader", "department"])
def test_only_caseworkers_may_override(app, client, factory, make, role):
    rec = make("dwk", FIRE_WINDOW_FACTS)
    user = factory.user(role, department="housing" if role == "department" else None)
    login(client, user.username)
    html = _html(client.get(f"/projects/{rec.code}"))
    assert "调整化解路径" not in html
    data = {
        "fire-csrf_token": csrf_token(html),
        "fire-path": "fire_standard_procedure",
        "fire-reason": REASON,
        "fire-version": "1",
    }
    answer = client.post(f"/projects/{rec.code}/defects/fire/override", data=data)
    assert answer.status_code == 403
    assert _defect_row(app, rec.code, "fire")["override_reason"] is None
