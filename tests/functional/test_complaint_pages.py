"""群众诉求 pages with CSRF on: recording, masking, reveal, linking, answering, attachments."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import quote

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Attachment, AuditEvent, Complaint, Project
from tests.factories import csrf_token, login
from tests.intake_support import (
    ID_BAD_CHECKSUM,
    ID_OK,
    PDF,
    PHONE_OK,
    make_complaint,
)

LOCAL_TODAY = dt.date.today()  # the app's clock; tests stay clear of its midnight edge


def _counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {
            "complaints": db.session.scalar(select(func.count(Complaint.id))) or 0,
            "attachments": db.session.scalar(select(func.count(Attachment.id))) or 0,
            "audit": db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action.like("complaint%") | (AuditEvent.action == "pii.reveal")
                )
            )
            or 0,
        }
        db.session.remove()
        return counts


def _form(**overrides) -> dict:
    data = {
        "source": "12345",
        "received_on": (LOCAL_TODAY - dt.timedelta(days=2)).isoformat(),
        "district": "dwk",
        "place": "星海湖畔小区",
        "name": "张三明",
        "phone": PHONE_OK,
        "id_number": ID_OK,
        "content": "房屋交付多年无法办理不动产权证书。",
    }
    data.update(overrides)
    return data


def _post_new(client, data, files=None):
    page = client.get("/complaints/new")
    body = {"csrf_token": csrf_token(page.get_data(as_text=True)), **data}
    if files is not None:
        body["files"] = files
    return client.post(
        "/complaints/new", data=body, content_type="multipart/form-data", follow_redirects=False
    )


def _no_personal_data(html: str) -> None:
    assert ID_OK not in html
    assert PHONE_OK not in html
    assert "张三明" not in html
    assert not re.search(r"\d{17}[\dX]", html), "an 18-character ID number is on the page"


@pytest.fixture()
def cw(client, factory):
    rec = factory.user("caseworker")
    login(client, rec.username)
    return rec


# ---------------------------------------------------------------- recording


def test_caseworker_records_a_complaint_and_sees_it_masked(app, client, cw):
    answer = _post_new(client, _form(), files=(io.BytesIO(PDF), "来信扫描件.pdf"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = client.get(answer.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "张*明" in html and "139****0001" in html and "640202********1232" in html
    assert "来信扫描件.pdf" in html and "12345热线" in html
    _no_personal_data(html)
    listing = client.get("/complaints").get_data(as_text=True)
    assert "星海湖畔小区" in listing and "张*明" in listing
    _no_personal_data(listing)
    assert _counts(app) == {"complaints": 1, "attachments": 1, "audit": 1}


def test_complainant_data_is_optional(app, client, cw):
    answer = _post_new(client, _form(name="", phone="", id_number=""))
    assert answer.status_code == 302
    assert "未留个人信息" in client.get(answer.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"content": "   "}, "请填写诉求内容"),
        ({"id_number": ID_BAD_CHECKSUM}, "校验位不正确"),
        ({"id_number": "64020219900101123"}, "应为 18 位"),
        ({"phone": "1390000000"}, "11 位"),
        ({"phone": "abc"}, "只能包含数字"),
        ({"received_on": (LOCAL_TODAY + dt.timedelta(days=1)).isoformat()}, "不能晚于今天"),
        ({"received_on": ""}, "请填写受理日期"),
        ({"received_on": "2024/13/45"}, "日期"),
        ({"source": "wechat"}, "请选择诉求来源"),
        ({"source": ""}, "请选择诉求来源"),
        ({"district": "nowhere"}, "请选择所属县区"),
        ({"content": "长" * 4001}, "4000"),
    ],
)
def test_bad_input_is_refused_at_its_field_in_chinese_and_writes_nothing(
    app, client, cw, overrides, message
):
    before = _counts(app)
    answer = _post_new(client, _form(**overrides))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert message in html
    assert 'class="field  has-error"' in html or "has-error" in html
    assert _counts(app) == before


def test_a_district_user_cannot_record_for_another_district(app, client, factory):
    rec = factory.user("district", district="dwk")
    login(client, rec.username)
    page = client.get("/complaints/new").get_data(as_text=True)
    assert 'value="hn"' not in page  # only its own district is offered
    answer = _post_new(client, _form(district="hn"))
    assert answer.status_code == 200
    assert "您只能登记本县区（大武口区）的群众诉求" in answer.get_data(as_text=True)
    assert _counts(app)["complaints"] == 0
    assert _post_new(client, _form(district="dwk")).status_code == 302


def test_without_csrf_token_nothing_is_recorded(app, client, cw):
    answer = client.post("/complaints/new", data=_form())
    assert answer.status_code == 400
    assert "CSRF" in answer.get_data(as_text=True)
    assert _counts(app)["complaints"] == 0


@pytest.mark.parametrize("role", ["department", "leader", "auditor", "admin"])
def test_roles_that_do_not_record_get_403(client, factory, role):
    login(client, factory.user(role).username)
    assert client.get("/complaints/new").status_code == 403


# ---------------------------------------------------------------- reveal


def test_caseworker_reveals_personal_data_once_and_it_is_audited(app, client, factory, cw):
    complaint = make_complaint(app, cw, content=f"联系人电话{PHONE_OK}")
    page = client.get(f"/complaints/{complaint}")
    html = page.get_data(as_text=True)
    _no_personal_data(html)
    assert "查看完整信息" in html
    revealed = client.post(
        f"/complaints/{complaint}/reveal", data={"reveal-csrf_token": _token(html, "reveal")}
    )
    text = revealed.get_data(as_text=True)
    assert revealed.status_code == 200
    assert ID_OK in text and PHONE_OK in text and "张三明" in text
    assert "no-store" in revealed.headers["Cache-Control"]
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.reveal")).all()
        assert [(r.actor_id, r.entity_id) for r in rows] == [(cw.id, str(complaint))]
        db.session.remove()
    _no_personal_data(client.get(f"/complaints/{complaint}").get_data(as_text=True))


def _token(html: str, prefix: str) -> str:
    match = re.search(
        rf'id="{prefix}-csrf_token" name="{prefix}-csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, f"no {prefix} form on the page"
    return match.group(1)


@pytest.mark.parametrize("role", ["district", "leader"])
def test_other_roles_see_no_reveal_button_and_are_refused(app, client, factory, role):
    complaint = make_complaint(app, factory.user("caseworker"))
    login(client, factory.user(role).username)
    html = client.get(f"/complaints/{complaint}").get_data(as_text=True)
    assert "查看完整信息" not in html
    _no_personal_data(html)
    refused = client.post(
        f"/complaints/{complaint}/reveal", data={"reveal-csrf_token": csrf_token(html)}
    )
    assert refused.status_code == 403
    assert _counts(app)["audit"] == 1  # only the creation


def test_the_export_is_masked_and_an_excel_file(app, client, cw):
    from openpyxl import load_workbook

    make_complaint(app, cw)
    answer = client.get("/complaints/export.xlsx?source=12345")
    assert answer.status_code == 200
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    book = load_workbook(io.BytesIO(answer.data))
    text = "\n".join(str(c.value) for row in book.active.iter_rows() for c in row)
    assert ID_OK not in text and PHONE_OK not in text and "640202********1232" in text


# ---------------------------------------------------------------- lists


def _queries(app, client, url: str) -> int:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

        def count(*args) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_the_list_takes_the_same_number_of_queries_for_few_and_many_rows(app, client, cw, factory):
    project = factory.project(actor=cw)
    first = make_complaint(app, cw)
    _link(app, cw, first, project.code)
    few = _queries(app, client, "/complaints")
    for _ in range(12):
        made = make_complaint(app, cw)
        _link(app, cw, made, project.code)
    assert _queries(app, client, "/complaints") == few


def _link(app, rec, complaint: int, code: str) -> None:
    from app.services import complaints
    from tests.intake_support import user_of

    with app.app_context():
        version = db.session.get(Complaint, complaint).version
        complaints.link_project(user_of(rec), complaint, code, version)
        db.session.remove()


def test_list_filters_and_pagination(app, client, cw):
    app.config["PROJECTS_PER_PAGE"] = 2
    try:
        for source in ("12345", "12345", "12345", "online"):
            make_complaint(app, cw, source=source, content=f"{source} 诉求")
        make_complaint(app, cw, district="hn", source="letters_visits", content="惠农区诉求 电梯")
        html = client.get("/complaints?source=12345").get_data(as_text=True)
        assert "共 3 件诉求" in html and "第 1 / 2 页" in html
        assert "共 1 件诉求" in client.get("/complaints?district=hn").get_data(as_text=True)
        assert "共 1 件诉求" in client.get("/complaints?q=电梯").get_data(as_text=True)
        assert "共 5 件诉求" in client.get("/complaints?status=open").get_data(as_text=True)
        refused = client.get("/complaints?source=wechat").get_data(as_text=True)
        assert "未知的筛选值" in refused
    finally:
        app.config["PROJECTS_PER_PAGE"] = 20


def test_nav_shows_complaints_and_sheets_to_the_roles_that_see_them(client, factory):
    for role, shown in [
        ("caseworker", True),
        ("district", True),
        ("department", True),
        ("leader", True),
        ("auditor", False),
    ]:
        rec = factory.user(role)
        login(client, rec.username)
        html = client.get("/account").get_data(as_text=True)
        assert ("群众诉求" in html) is shown, role
        assert ("提示建议单" in html) is shown, role
        client.post("/logout", data={"csrf_token": csrf_token(html)})


# ---------------------------------------------------------------- link, answer, project


def _detail(client, complaint: int) -> str:
    page = client.get(f"/complaints/{complaint}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _version_of(html: str, prefix: str) -> str:
    match = re.search(rf'name="{prefix}-version" type="hidden" value="(\d+)"', html)
    assert match
    return match.group(1)


def test_link_answer_and_their_refusals(app, client, cw, factory):
    project = factory.project(actor=cw)
    hn_project = factory.project(district="hn", actor=cw)
    complaint = make_complaint(app, cw)
    html = _detail(client, complaint)
    assert project.code in html  # the picker offers the district's projects
    assert hn_project.code not in html
    data = {"link-csrf_token": _token(html, "link"), "link-version": _version_of(html, "link")}
    refused = client.post(
        f"/complaints/{complaint}/link", data={**data, "link-project": hn_project.code}
    )
    assert "与诉求所属的大武口区不一致" in refused.get_data(as_text=True)
    linked = client.post(
        f"/complaints/{complaint}/link", data={**data, "link-project": project.code.lower()}
    )
    assert linked.status_code == 302
    html = _detail(client, complaint)
    assert f"{project.code}" in html and "改为关联此项目" in html

    data = {
        "answer-csrf_token": _token(html, "answer"),
        "answer-version": _version_of(html, "answer"),
    }
    empty = client.post(f"/complaints/{complaint}/answer", data={**data, "answer-answer": " "})
    assert "请填写答复内容" in empty.get_data(as_text=True)
    saved = client.post(
        f"/complaints/{complaint}/answer",
        data={**data, "answer-answer": f"已答复，回访电话 {PHONE_OK}。"},
    )
    assert saved.status_code == 302
    html = _detail(client, complaint)
    assert "已答复" in html and "139****0001" in html
    _no_personal_data(html)

    # The same (now stale) form again: nobody's answer is overwritten.
    stale = client.post(f"/complaints/{complaint}/answer", data={**data, "answer-answer": "覆盖"})
    assert stale.status_code == 409
    assert "已被他人修改" in stale.get_data(as_text=True)
    as_json = client.post(
        f"/complaints/{complaint}/answer",
        data={**data, "answer-answer": "覆盖"},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 409 and as_json.is_json
    assert as_json.get_json()["current_version"] == 3
    with app.app_context():
        assert "覆盖" not in db.session.get(Complaint, complaint).answer
        db.session.remove()


def test_a_stale_link_is_a_409(app, client, cw, factory):
    project = factory.project(actor=cw)
    complaint = make_complaint(app, cw)
    html = _detail(client, complaint)
    data = {
        "link-csrf_token": _token(html, "link"),
        "link-version": "0",
        "link-project": project.code,
    }
    answer = client.post(f"/complaints/{complaint}/link", data=data)
    assert answer.status_code == 409
    with app.app_context():
        assert db.session.get(Complaint, complaint).project_id is None
        db.session.remove()


def test_other_district_and_department_users_do_not_see_the_complaint(app, client, factory):
    complaint = make_complaint(app, factory.user("caseworker"))
    login(client, factory.user("district", district="hn").username)
    assert client.get(f"/complaints/{complaint}").status_code == 404
    page = client.get("/complaints").get_data(as_text=True)
    assert (
        client.post(
            f"/complaints/{complaint}/answer",
            data={
                "answer-csrf_token": csrf_token(page),
                "answer-answer": "x",
                "answer-version": "1",
            },
        ).status_code
        == 404
    )


def test_a_leader_reads_but_does_not_act(app, client, factory):
    complaint = make_complaint(app, factory.user("caseworker"))
    login(client, factory.user("leader").username)
    html = _detail(client, complaint)
    assert "保存答复" not in html and "关联项目</button>" not in html and "上传" not in html
    answer = client.post(
        f"/complaints/{complaint}/answer",
        data={"answer-csrf_token": csrf_token(html), "answer-answer": "x", "answer-version": "1"},
    )
    assert answer.status_code == 403


def test_a_project_is_registered_from_a_complaint_with_the_form_prefilled(app, client, cw):
    complaint = make_complaint(app, cw)
    page = client.get(f"/complaints/{complaint}/project")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"由群众诉求 #{complaint}" in html and "星海湖畔小区" in html
    _no_personal_data(html)
    data = {
        "csrf_token": csrf_token(html),
        "version": re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1),
        "name": "星海湖畔小区",
        "district": "dwk",
        "total_households": "96",
        "certified_households": "0",
        "fact_project_type": "commercial",
        "fact_fire_acceptance_done": "0",
        "fact_construction_start_date": "2005-03-01",
        "fact_completion_date": "2007-10-01",
    }
    saved = client.post(f"/complaints/{complaint}/project", data=data)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Complaint, complaint)
        assert row.project is not None and saved.headers["Location"].endswith(row.project.code)
        db.session.remove()
    refused = client.post(f"/complaints/{complaint}/project", data={**data, "district": "hn"})
    assert refused.status_code in (200, 409)
    with app.app_context():
        assert db.session.scalar(select(func.count(Project.id))) == 1
        db.session.remove()


# ---------------------------------------------------------------- attachments


def _upload(client, complaint: int, files):
    html = _detail(client, complaint)
    return client.post(
        f"/complaints/{complaint}/attachments",
        data={"attach-csrf_token": _token(html, "attach"), "attach-files": files},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "content,name,message",
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "setup.exe", "只接受"),
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "报告.pdf", "只接受"),
        (b"<!doctype html><script>alert(1)</script>", "通知.pdf", "只接受"),
        (b"", "空文件.pdf", "空的"),
    ],
)
def test_files_of_the_wrong_type_are_refused(app, client, cw, content, name, message):
    complaint = make_complaint(app, cw)
    answer = _upload(client, complaint, (io.BytesIO(content), name))
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)
    assert _counts(app)["attachments"] == 0


def test_a_file_over_the_limit_is_refused(app, client, cw, monkeypatch):
    complaint = make_complaint(app, cw)
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024 * 1024)
    html = _detail(client, complaint)
    # Encoded by hand: the test client would spool a body this large to an unclosed temp file.
    boundary = "----intake-test-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="attach-csrf_token"\r\n\r\n'
            f"{_token(html, 'attach')}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="attach-files"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + b"0" * (1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = client.post(
        f"/complaints/{complaint}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert "超过 1 MB" in answer.get_data(as_text=True)
    assert _counts(app)["attachments"] == 0


@pytest.mark.parametrize(
    "name,tail",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\evil.pdf", "evil.pdf"),
        ("..\\..\\a.pdf", "a.pdf"),
        ("/etc/cron.d/job.pdf", "job.pdf"),
    ],
)
def test_path_tricks_in_file_names_never_reach_the_disk(app, client, cw, name, tail):
    complaint = make_complaint(app, cw)
    assert _upload(client, complaint, (io.BytesIO(PDF), name)).status_code == 302
    with app.app_context():
        row = db.session.scalars(select(Attachment)).one()
        # Shown as its last component (the multipart layer may already drop backslashes) ...
        assert row.original_name.endswith(tail)
        assert "/" not in row.original_name and "\\" not in row.original_name
        # ... and stored under a name the server chose.
        assert re.fullmatch(r"[0-9a-f]{32}\.pdf", row.stored_name)
        db.session.remove()


def test_download_keeps_the_chinese_name_and_is_scoped(app, client, cw, factory):
    complaint = make_complaint(app, cw)
    assert _upload(client, complaint, (io.BytesIO(PDF), "信访件 “甲”.pdf")).status_code == 302
    with app.app_context():
        attachment = db.session.scalars(select(Attachment.id)).one()
        db.session.remove()
    answer = client.get(f"/attachments/{attachment}")
    body = answer.get_data()
    answer.close()  # send_file streams the file: release it
    assert answer.status_code == 200 and body == PDF
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("信访件 “甲”.pdf") in disposition
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.mimetype == "application/pdf"
    for outsider in (factory.user("district", district="hn"), factory.user("department")):
        other = app.test_client()
        login(other, outsider.username)
        assert other.get(f"/attachments/{attachment}").status_code == 404
    own = app.test_client()
    login(own, factory.user("district", district="dwk").username)
    mine = own.get(f"/attachments/{attachment}")
    mine.get_data()
    mine.close()
    assert mine.status_code == 200
    assert app.test_client().get(f"/attachments/{attachment}").status_code in (302, 401)


def test_searching_by_a_complainant_s_number_is_refused_without_the_reveal_right(
    app, client, factory
):
    cw = factory.user("caseworker")
    make_complaint(app, cw, content=f"联系电话 {PHONE_OK}")
    login(client, factory.user("leader").username)
    refused = client.get(f"/complaints?q={PHONE_OK}").get_data(as_text=True)
    assert "不能按身份证号码或手机号码检索" in refused
    _no_personal_data(refused)
    other = app.test_client()
    login(other, cw.username)
    assert "共 1 件诉求" in other.get(f"/complaints?q={PHONE_OK}").get_data(as_text=True)
