"""提示建议单 pages with CSRF on: issue from a defect or complaint, print, reply, lists."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, PromptSheet
from tests.factories import FIRE_WINDOW_FACTS, csrf_token, login
from tests.intake_support import ID_OK, defect_id, issue_sheet, make_complaint


def _sheet_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(PromptSheet.id))) or 0
        db.session.remove()
        return count


@pytest.fixture()
def cw(client, factory):
    rec = factory.user("caseworker")
    login(client, rec.username)
    return rec


@pytest.fixture()
def fire(factory):
    return factory.project(facts=FIRE_WINDOW_FACTS)


def _issue_form(client, url: str, **overrides):
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "department": re.search(r'<option selected value="([^"]*)"', html).group(1)
        if re.search(r'<option selected value="([^"]*)"', html)
        else "",
        "subject": re.search(r'name="subject" type="text" value="([^"]*)"', html).group(1),
        "content": "请依职责办理。",
    }
    data.update(overrides)
    return html, client.post(url, data=data)


def test_caseworker_issues_a_sheet_from_a_defect_with_a_prefilled_draft(app, client, cw, fire):
    defect = defect_id(app, fire.code)
    html, answer = _issue_form(client, f"/prompts/new?defect={defect}")
    assert "未办理消防验收" in html and fire.code in html
    assert '<option selected value="housing">' in html  # the defect's lead department
    assert answer.status_code == 302, answer.get_data(as_text=True)
    detail = client.get(answer.headers["Location"]).get_data(as_text=True)
    year = re.search(r"石自然提〔(\d{4})〕1号", detail)
    assert year, detail
    assert "市住房和城乡建设局" in detail and "待回复" in detail
    with app.app_context():
        row = db.session.scalars(select(PromptSheet)).one()
        assert (row.defect_id, row.project_id, row.district_code) == (defect, fire.id, "dwk")
        db.session.remove()


def test_caseworker_issues_a_sheet_from_a_complaint_without_personal_data(app, client, cw):
    complaint = make_complaint(app, cw, content=f"身份证{ID_OK}，请求协调办证。")
    html, answer = _issue_form(client, f"/prompts/new?complaint={complaint}", department="approval")
    assert ID_OK not in html and "640202********1232" in html
    assert answer.status_code == 302
    detail = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "市审批服务管理局" in detail
    complaint_page = client.get(f"/complaints/{complaint}").get_data(as_text=True)
    assert "石自然提〔" in complaint_page


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"department": ""}, "请选择送达部门"),
        ({"department": "nr"}, "请选择其他部门"),
        ({"department": "mars"}, "请选择送达部门"),
        ({"subject": ""}, "请填写事由"),
        ({"content": "  "}, "请填写提示建议内容"),
    ],
)
def test_bad_sheets_are_refused_in_chinese_and_use_no_number(
    app, client, cw, fire, overrides, message
):
    defect = defect_id(app, fire.code)
    _, answer = _issue_form(client, f"/prompts/new?defect={defect}", **overrides)
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)
    assert _sheet_count(app) == 0


def test_a_sheet_needs_exactly_one_origin_the_user_may_see(app, client, cw, factory):
    assert client.get("/prompts/new").status_code == 404
    assert client.get("/prompts/new?defect=1&complaint=1").status_code == 404
    assert client.get("/prompts/new?defect=999999").status_code == 404
    assert client.get("/prompts/new?complaint=abc").status_code == 404


@pytest.mark.parametrize("role", ["district", "department", "leader"])
def test_only_caseworkers_may_open_the_issue_page(app, client, factory, fire, role):
    defect = defect_id(app, fire.code)
    other = app.test_client()
    login(other, factory.user(role).username)
    assert other.get(f"/prompts/new?defect={defect}").status_code == 403


def test_the_print_page_has_the_official_layout(app, client, cw, fire):
    sheet, number = issue_sheet(app, cw, defect=defect_id(app, fire.code))
    page = client.get(f"/prompts/{sheet}/print")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for part in (
        "工作办理提示建议单",
        number,
        "市住房和城乡建设局：",
        "事由：",
        "石嘴山市自然资源局",
        "二〇二六年十一月二十七日",
        "prompt-sheet.css",
    ):
        assert part in html, part
    assert "<script" not in html


def test_the_addressed_department_replies_and_a_stale_reply_is_a_409(app, client, factory, fire):
    cw = factory.user("caseworker")
    sheet, _ = issue_sheet(app, cw, defect=defect_id(app, fire.code))
    housing = factory.user("department", department="housing")
    login(client, housing.username)
    listing = client.get("/prompts").get_data(as_text=True)
    assert "共 1 份提示建议单" in listing
    html = client.get(f"/prompts/{sheet}").get_data(as_text=True)
    assert "登记回复" in html
    token = re.search(r'name="reply-csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    base = {"reply-csrf_token": token, "reply-version": "1"}
    empty = client.post(
        f"/prompts/{sheet}/reply",
        data={**base, "reply-reply": "", "reply-reply_date": "2026-11-27"},
    )
    assert "请填写回复内容" in empty.get_data(as_text=True)
    future = client.post(
        f"/prompts/{sheet}/reply",
        data={**base, "reply-reply": "已办", "reply-reply_date": "2999-01-01"},
    )
    assert "不能晚于今天" in future.get_data(as_text=True)
    # The sheet was issued on the tests' fixed date; the page's own date field defaults to today.
    good = client.post(
        f"/prompts/{sheet}/reply",
        data={
            **base,
            "reply-reply": "已组织现场核查并出具意见。",
            "reply-reply_date": "2026-11-27",
        },
    )
    assert good.status_code == 302, good.get_data(as_text=True)
    stale = client.post(
        f"/prompts/{sheet}/reply",
        data={**base, "reply-reply": "覆盖", "reply-reply_date": "2026-11-27"},
        headers={"Accept": "application/json"},
    )
    assert stale.status_code == 409 and stale.get_json()["current"]["reply"].startswith("已组织")
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "prompt.reply")
            )
            == 1
        )
        db.session.remove()


def test_another_department_neither_sees_nor_replies(app, client, factory, fire):
    cw = factory.user("caseworker")
    sheet, _ = issue_sheet(app, cw, defect=defect_id(app, fire.code))
    login(client, factory.user("department", department="tax").username)
    assert client.get(f"/prompts/{sheet}").status_code == 404
    assert client.get(f"/prompts/{sheet}/print").status_code == 404
    html = client.get("/prompts").get_data(as_text=True)
    assert "共 0 份提示建议单" in html
    answer = client.post(
        f"/prompts/{sheet}/reply",
        data={"reply-csrf_token": csrf_token(html), "reply-reply": "x", "reply-version": "1"},
    )
    assert answer.status_code == 404


def test_list_filters_by_year_department_and_reply(app, client, cw, fire):
    import datetime as dt

    defect = defect_id(app, fire.code)
    issue_sheet(app, cw, defect=defect, on=dt.date(2025, 5, 6), department="tax")
    issue_sheet(app, cw, defect=defect, on=dt.date(2026, 2, 3))
    assert "共 2 份" in client.get("/prompts").get_data(as_text=True)
    assert "共 1 份" in client.get("/prompts?year=2025").get_data(as_text=True)
    assert "共 1 份" in client.get("/prompts?department=tax").get_data(as_text=True)
    assert "共 2 份" in client.get("/prompts?status=pending").get_data(as_text=True)
    assert "共 0 份" in client.get("/prompts?status=replied").get_data(as_text=True)
    assert "共 1 份" in client.get("/prompts?q=〔2026〕").get_data(as_text=True)
    assert "未知的筛选值" in client.get("/prompts?department=mars").get_data(as_text=True)


def test_the_prompt_button_include_renders_for_issuers_only(app, client, factory, fire):
    defect = defect_id(app, fire.code)
    template = '{% set defect = d %}{% include "complaints/_prompt_button.html" %}'

    class Row:
        id = defect

    for role, shown in (("caseworker", True), ("district", False), ("leader", False)):
        rec = factory.user(role)
        with app.test_request_context("/"):
            from flask_login import login_user

            from app.models import User

            login_user(db.session.get(User, rec.id))
            html = render_template_string(template, d=Row())
            assert (f"/prompts/new?defect={defect}" in html) is shown, role
            db.session.remove()
