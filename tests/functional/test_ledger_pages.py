"""台账导入导出 through the web: download with the list's filters, upload, preview, confirm."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import LedgerImport, Project
from cases.ledger import PROJECT_SHEET
from tests.checks import flashes, form_values, row_counts
from tests.factories import csrf_token, login
from tests.ledger_book import edit, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEW_ROWS = [(1, None, "星海新村", "大武口区", 120, 0, "2005-03-01", "否")]


@pytest.fixture()
def caseworker(client, factory):
    factory.user("caseworker", username="web_cw")
    login(client, "web_cw")
    return client


def _upload(client, data: bytes, name: str = "台账.xlsx"):
    page = client.get("/ledger")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        "/ledger/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _text(answer) -> str:
    return unescape(answer.get_data(as_text=True))


def _projects(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Project.id))) or 0


def test_the_navigation_and_the_project_list_lead_to_the_ledger(caseworker):
    html = caseworker.get("/projects?district=hn&type=fire").get_data(as_text=True)
    assert 'href="/ledger">台账导入导出</a>' in html
    link = re.search(r'href="(/ledger/export\?[^"]+)"', html)
    assert link is not None
    assert "district=hn" in link.group(1) and "type=fire" in link.group(1)


def test_the_download_from_the_list_keeps_its_filters(app, caseworker, factory):
    factory.project(district="hn", name="惠农的项目")
    factory.project(district="pl", name="平罗的项目")
    answer = caseworker.get("/ledger/export?district=hn&status=&q=")
    assert answer.status_code == 200 and answer.mimetype == XLSX
    assert "attachment" in answer.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(answer.data))[PROJECT_SHEET]
    names = [r[2] for r in ws.iter_rows(min_row=4, values_only=True) if r[2]]
    assert names == ["惠农的项目"]
    csv_answer = caseworker.get("/ledger/export?format=csv")
    assert csv_answer.data.startswith(b"\xef\xbb\xbf") and "text/csv" in csv_answer.content_type


def test_a_bad_filter_or_format_is_a_message_not_an_error(caseworker):
    answer = caseworker.get("/ledger/export?format=pdf", follow_redirects=True)
    assert "导出格式应为 xlsx 或 csv。" in flashes(answer.get_data(as_text=True))
    answer = caseworker.get("/ledger/export?district=mars", follow_redirects=True)
    assert any("未知的筛选值" in m for m in flashes(answer.get_data(as_text=True)))


def test_the_template_downloads(caseworker):
    answer = caseworker.get("/ledger/template")
    assert answer.status_code == 200 and answer.mimetype == XLSX
    assert load_workbook(io.BytesIO(answer.data)).sheetnames[0] == PROJECT_SHEET


def test_upload_shows_a_preview_and_confirming_applies_it(app, caseworker):
    page = _upload(caseworker, workbook(NEW_ROWS))
    html = _text(page)
    assert "检查通过，尚未写入" in html and "星海新村" in html and "将新增" in html
    assert _projects(app) == 0
    values = form_values(page.get_data(as_text=True), action="/confirm")
    action = re.search(r'action="(/ledger/imports/\d+/confirm)"', html).group(1)
    done = caseworker.post(action, data=values, follow_redirects=True)
    assert "已导入：新增 1 个项目" in " ".join(flashes(done.get_data(as_text=True)))
    assert _projects(app) == 1
    again = caseworker.post(action, data=values, follow_redirects=True)
    assert any("修改" in m or "不是待确认" in m for m in flashes(again.get_data(as_text=True)))
    assert _projects(app) == 1


def test_a_file_with_problems_lists_them_and_offers_no_confirmation(app, caseworker):
    rows = [(1, None, "星海", "大武口区", 10, 0, "2003年13月", "否")]
    html = _text(_upload(caseworker, workbook(rows)))
    assert "发现 1 个问题，未导入任何数据" in html
    assert "「项目台账」第3行『开工日期』无法识别：2003年13月" in html
    assert "确认导入" not in html
    assert _projects(app) == 0


@pytest.mark.parametrize(
    ("name", "says"), [("台账.xlsm", "启用宏"), ("台账.xls", "旧版"), ("台账.csv", "CSV")]
)
def test_refused_files_say_why_in_chinese(app, caseworker, name, says):
    before = row_counts(app)
    html = _text(_upload(caseworker, workbook(NEW_ROWS), name))
    assert "有错误，未导入" in html and says in html
    after = row_counts(app)
    assert after.pop("ledger_imports") == before.pop("ledger_imports") + 1
    assert after == before


def test_an_upload_without_a_file_is_refused(caseworker):
    token = csrf_token(caseworker.get("/ledger").get_data(as_text=True))
    answer = caseworker.post("/ledger/import", data={"csrf_token": token}, follow_redirects=True)
    assert "请选择要导入的 .xlsx 文件。" in flashes(answer.get_data(as_text=True))


def test_disagreements_must_be_ticked_before_the_import(app, caseworker):
    rows = [(1, None, "星海", "大武口区", 10, 0, None, "是")]
    page = _upload(caseworker, workbook(rows, defects=[(None, "星海", "用地手续不完善")]))
    html = _text(page)
    assert "问题类型与引擎认定的差异" in html and "表中列有『用地手续不完善』" in html
    action = re.search(r'action="(/ledger/imports/\d+/confirm)"', html).group(1)
    values = form_values(page.get_data(as_text=True), action="/confirm")
    refused = caseworker.post(action, data=values, follow_redirects=True)
    assert "请先核对问题类型的差异" in " ".join(flashes(refused.get_data(as_text=True)))
    assert _projects(app) == 0
    done = caseworker.post(action, data={**values, "confirmed": "y"}, follow_redirects=True)
    assert "已导入" in " ".join(flashes(done.get_data(as_text=True)))
    assert _projects(app) == 1


def test_a_preview_can_be_discarded(app, caseworker):
    page = _upload(caseworker, workbook(NEW_ROWS))
    html = page.get_data(as_text=True)
    action = re.search(r'action="(/ledger/imports/\d+/discard)"', html).group(1)
    values = form_values(html, action="/discard")
    caseworker.post(action, data=values, follow_redirects=True)
    with app.app_context():
        record = db.session.scalars(select(LedgerImport)).one()
        assert record.status == "discarded" and record.content is None
    assert _projects(app) == 0


def test_a_preview_is_rechecked_when_confirmed(app, caseworker, factory, monkeypatch):
    import dataclasses
    import datetime as dt

    from app import clock
    from app.models import User
    from app.services import projects
    from tests.factories import TODAY

    project = factory.project(district="dwk", name="星海", total_households=10)
    export = caseworker.get("/ledger/export").data
    page = _upload(caseworker, edit(export, {(project.code, "总户数"): 11}))
    html = page.get_data(as_text=True)
    values = form_values(html, action="/confirm")
    action = re.search(r'action="(/ledger/imports/\d+/confirm)"', html).group(1)
    later = clock.now() + dt.timedelta(minutes=2)  # within the session's idle limit
    monkeypatch.setattr(clock, "now", lambda: later)
    with app.app_context():  # someone edits the project between the preview and the confirmation
        editor = db.session.scalars(select(User).where(User.username == "web_cw")).one()
        stored = projects.get_project(editor, project.code)
        data = dataclasses.replace(projects.project_input(stored), leader="王区长")
        projects.update_project(editor, project.code, data, stored.version, TODAY)
    done = caseworker.post(action, data=values, follow_redirects=True)
    assert "重新检查发现问题" in " ".join(flashes(done.get_data(as_text=True)))
    assert "『最后更新时间』该项目已于" in _text(done)
    with app.app_context():
        assert db.session.scalars(select(LedgerImport)).one().status == "rejected"
        assert db.session.scalars(select(Project)).one().total_households == 10


def test_a_district_user_sees_its_own_imports_only(app, client, factory):
    factory.user("district", username="web_dwk", district="dwk")
    factory.user("district", username="web_pl", district="pl")
    login(client, "web_dwk")
    html = _text(_upload(client, workbook([(1, None, "外区", "平罗县", 5, 0, None, None)])))
    assert "平罗县不在您的管辖范围内" in html
    own = re.search(r"台账导入 第 (\d+) 号", html).group(1)
    other = app.test_client()
    login(other, "web_pl")
    assert other.get(f"/ledger/imports/{own}").status_code == 404
    assert "外区" not in other.get("/ledger").get_data(as_text=True)


def test_a_leader_exports_but_may_not_import(client, factory):
    factory.user("leader", username="web_leader")
    login(client, "web_leader")
    html = client.get("/ledger").get_data(as_text=True)
    assert "导出台账" in html and "上传并检查" not in html
    assert client.get("/ledger/export").status_code == 200
    token = csrf_token(html)
    data = {"csrf_token": token, "file": (io.BytesIO(workbook(NEW_ROWS)), "a.xlsx")}
    assert client.post("/ledger/import", data=data).status_code == 403


def test_a_department_user_has_no_ledger(client, factory):
    factory.user("department", username="web_dep")
    login(client, "web_dep")
    assert "台账导入导出" not in client.get("/projects").get_data(as_text=True)
    assert client.get("/ledger").status_code == 403


def test_a_postponed_plan_keeps_its_reason_for_the_ledger(app, caseworker, factory):
    from app.models import Defect
    from cases.ledger import DEFECT_SHEET
    from tests.factories import FIRE_WINDOW_FACTS
    from tests.ledger_book import table

    code = factory.project(facts=FIRE_WINDOW_FACTS).code
    for month, reason in (("2027-01", ""), ("2027-03", "等待消防救援支队现场复核")):
        page = caseworker.get(f"/projects/{code}").get_data(as_text=True)
        assert "延期原因（推迟计划完成月份时填写）" in page
        with app.app_context():
            defect = db.session.scalars(select(Defect)).one()
            prefix, version = f"p{defect.id}", defect.version
        caseworker.post(
            f"/projects/{code}/defects/{defect.id}/plan",
            data={
                "csrf_token": csrf_token(page),
                f"{prefix}-plan_text": "组织消防验收",
                f"{prefix}-planned_month": month,
                f"{prefix}-delay_reason": reason,
                f"{prefix}-version": str(version),
            },
        )
    [row] = table(caseworker.get("/ledger/export").data, DEFECT_SHEET)
    assert (row["延期次数"], row["延期原因"]) == (1, "等待消防救援支队现场复核")
    assert row["计划完成时间"] == "2027-03"
