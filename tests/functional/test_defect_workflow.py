"""The defect lifecycle through the project page: 交办 → 办理 → 报请同意 → 提交销号 → 销号."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, AuditEvent, Defect, DefectEvent, GovernmentApproval, Project
from tests.factories import FIRE_WINDOW_FACTS, csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ARREARS_FACTS = {"project_type": "commercial", "land_premium_unpaid": True}


def _defect(app, code, type_):
    with app.app_context():
        row = db.session.scalars(
            select(Defect).join(Project).where(Project.code == code, Defect.type == type_)
        ).one()
        return row.id, row.version, row.status


def _act(client, app, code, type_, action, data=None, files=None, user_agent_page=True):
    defect_id, version, _ = _defect(app, code, type_)
    page = client.get(f"/projects/{code}")
    form = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        f"a{defect_id}-version": str(version),
    }
    for key, value in (data or {}).items():
        form[f"a{defect_id}-{key}"] = value
    for key, value in (files or {}).items():
        form[f"a{defect_id}-{key}"] = value
    return client.post(
        f"/projects/{code}/defects/{defect_id}/actions/{action}",
        data=form,
        content_type="multipart/form-data",
        follow_redirects=True,
    )


@pytest.fixture()
def fire_project(factory):
    project = factory.project(facts=FIRE_WINDOW_FACTS)
    return project.code


def test_full_lifecycle_from_registration_to_closure_with_evidence(
    app, client, factory, fire_project
):
    factory.user("caseworker", username="cw_flow")
    factory.user("department", username="housing_flow", department="housing")
    login(client, "cw_flow")
    page = _act(client, app, fire_project, "fire", "assign", {"deadline": "2099-12-31"})
    assert "已交办" in page.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})

    login(client, "housing_flow")
    _act(client, app, fire_project, "fire", "start")
    page = _act(
        client,
        app,
        fire_project,
        "fire",
        "submit",
        {"result": "已按建设时消防标准完成验收并出具意见"},
        {"files": (io.BytesIO(PDF), "消防验收意见.pdf")},
    )
    html = page.get_data(as_text=True)
    assert "待销号" in html and "消防验收意见.pdf" in html
    client.post("/logout", data={"csrf_token": csrf_token(html)})

    login(client, "cw_flow")
    page = _act(
        client,
        app,
        fire_project,
        "fire",
        "close",
        {"facts_clear": "y", "problem_solved": "y", "task_done": "y"},
    )
    assert "已销号" in page.get_data(as_text=True)
    with app.app_context():
        project = db.session.scalars(select(Project).where(Project.code == fire_project)).one()
        assert project.state == "resolved"
        actions = db.session.scalars(
            select(DefectEvent.action).where(DefectEvent.project_id == project.id)
        ).all()
        assert sorted(actions) == sorted(["register", "assign", "start", "submit", "close"])
        audit_actions = set(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.project_id == project.id))
        )
        assert {"defect.assign", "defect.start", "defect.submit", "defect.close"} <= audit_actions


def test_submit_without_evidence_is_refused_and_nothing_changes(app, client, factory, fire_project):
    factory.user("caseworker", username="cw_noev")
    login(client, "cw_noev")
    _act(client, app, fire_project, "fire", "assign", {"deadline": "2099-12-31"})
    _act(client, app, fire_project, "fire", "start")
    page = _act(client, app, fire_project, "fire", "submit", {"result": "已办结，材料后补"})
    assert "须附佐证材料" in page.get_data(as_text=True)
    assert _defect(app, fire_project, "fire")[2] == "in_progress"


def test_approval_gate_blocks_submission_until_the_government_agrees(app, client, factory):
    code = factory.project(facts=ARREARS_FACTS).code
    factory.user("caseworker", username="cw_gate")
    login(client, "cw_gate")
    _act(client, app, code, "arrears", "assign", {"deadline": "2099-12-31"})
    _act(client, app, code, "arrears", "start")
    page = _act(
        client,
        app,
        code,
        "arrears",
        "submit",
        {"result": "证缴分离办理登记"},
        {"files": (io.BytesIO(PDF), "登记.pdf")},
    )
    assert "登记同意后才能提交销号" in page.get_data(as_text=True)
    _act(client, app, code, "arrears", "request_approval")
    page = _act(
        client,
        app,
        code,
        "arrears",
        "approve",
        {"document_number": "石政函〔2024〕15号", "decision_date": "2024-07-01"},
    )
    assert "办理中" in page.get_data(as_text=True)
    page = _act(
        client,
        app,
        code,
        "arrears",
        "submit",
        {"result": "证缴分离办理登记"},
        {"files": (io.BytesIO(PDF), "登记.pdf")},
    )
    assert "待销号" in page.get_data(as_text=True)
    with app.app_context():
        approval = db.session.scalars(select(GovernmentApproval)).one()
        assert approval.decision == "granted"
        assert approval.document_number == "石政函〔2024〕15号"


def test_a_department_that_does_not_lead_the_defect_cannot_act(app, client, factory, fire_project):
    factory.user("department", username="tax_flow", department="tax")
    factory.user("caseworker", username="cw_tax")
    login(client, "cw_tax")
    _act(client, app, fire_project, "fire", "assign", {"deadline": "2099-12-31"})
    client.post(
        "/logout", data={"csrf_token": csrf_token(client.get("/account").get_data(as_text=True))}
    )
    login(client, "tax_flow")
    # The tax bureau does not lead or cooperate on a fire defect: the project is out of its scope.
    page = _act_raw(client, app, fire_project, "fire", "start")
    assert page.status_code == 404
    assert _defect(app, fire_project, "fire")[2] == "assigned"


def _act_raw(client, app, code, type_, action):
    defect_id, version, _ = _defect(app, code, type_)
    token = csrf_token(client.get("/account").get_data(as_text=True))
    return client.post(
        f"/projects/{code}/defects/{defect_id}/actions/{action}",
        data={"csrf_token": token, f"a{defect_id}-version": str(version)},
    )


def test_stale_version_refuses_the_action(app, client, factory, fire_project):
    factory.user("caseworker", username="cw_stale")
    login(client, "cw_stale")
    defect_id, version, _ = _defect(app, fire_project, "fire")
    token = csrf_token(client.get(f"/projects/{fire_project}").get_data(as_text=True))
    _act(client, app, fire_project, "fire", "assign", {"deadline": "2099-12-31"})
    page = client.post(
        f"/projects/{fire_project}/defects/{defect_id}/actions/start",
        data={"csrf_token": token, f"a{defect_id}-version": str(version)},
        follow_redirects=True,
    )
    assert "已被他人更新" in page.get_data(as_text=True)
    assert _defect(app, fire_project, "fire")[2] == "assigned"


def test_action_without_csrf_token_is_refused(app, client, factory, fire_project):
    factory.user("caseworker", username="cw_csrf")
    login(client, "cw_csrf")
    defect_id, version, _ = _defect(app, fire_project, "fire")
    answer = client.post(
        f"/projects/{fire_project}/defects/{defect_id}/actions/assign",
        data={f"a{defect_id}-version": str(version), f"a{defect_id}-deadline": "2099-12-31"},
    )
    assert answer.status_code == 400
    assert _defect(app, fire_project, "fire")[2] == "registered"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("evil.pdf", b"MZ\x90\x00 not a pdf", "只接受 PDF"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "只接受 PDF"),
        ("empty.pdf", b"", "空的"),
    ],
)
def test_evidence_of_the_wrong_type_is_refused_by_content(
    app, client, factory, fire_project, filename, content, message
):
    factory.user("caseworker", username="cw_type")
    login(client, "cw_type")
    _act(client, app, fire_project, "fire", "assign", {"deadline": "2099-12-31"})
    _act(client, app, fire_project, "fire", "start")
    page = _act(
        client,
        app,
        fire_project,
        "fire",
        "submit",
        {"result": "已完成验收"},
        {"files": (io.BytesIO(content), filename)},
    )
    assert message in page.get_data(as_text=True)
    assert _defect(app, fire_project, "fire")[2] == "in_progress"
    with app.app_context():
        assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_oversized_evidence_is_refused(app, client, factory, fire_project):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    try:
        factory.user("caseworker", username="cw_big")
        login(client, "cw_big")
        _act(client, app, fire_project, "fire", "assign", {"deadline": "2099-12-31"})
        _act(client, app, fire_project, "fire", "start")
        page = _act(
            client,
            app,
            fire_project,
            "fire",
            "submit",
            {"result": "已完成验收"},
            {"files": (io.BytesIO(PDF + b"0" * 2048), "big.pdf")},
        )
        assert "上限" in page.get_data(as_text=True)
        assert _defect(app, fire_project, "fire")[2] == "in_progress"
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = 20 * 1024 * 1024


def test_path_tricks_in_the_filename_never_reach_the_disk(
    app, client, factory, fire_project, tmp_path
):
    saved_dir = app.config["ATTACHMENT_DIR"]
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "att")
    try:
        factory.user("caseworker", username="cw_path")
        login(client, "cw_path")
        _act(client, app, fire_project, "fire", "assign", {"deadline": "2099-12-31"})
        _act(client, app, fire_project, "fire", "start")
        _act(
            client,
            app,
            fire_project,
            "fire",
            "submit",
            {"result": "已完成验收"},
            {"files": (io.BytesIO(PDF), "../../etc/passwd.pdf")},
        )
        with app.app_context():
            row = db.session.scalars(select(Attachment)).one()
            assert row.original_name == "passwd.pdf"
            assert re.fullmatch(r"[0-9a-f]{32}\.pdf", row.stored_name)
        stored = list((tmp_path / "att").rglob("*"))
        assert all(str(p).startswith(str(tmp_path / "att")) for p in stored)
        assert not (tmp_path / "etc").exists()
    finally:
        app.config["ATTACHMENT_DIR"] = saved_dir


def test_evidence_download_is_scoped_to_those_who_see_the_project(app, client, factory):
    code = factory.project(district="dwk", facts=FIRE_WINDOW_FACTS).code
    factory.user("caseworker", username="cw_dl")
    factory.user("district", username="hn_dl", district="hn")
    login(client, "cw_dl")
    _act(client, app, code, "fire", "assign", {"deadline": "2099-12-31"})
    _act(client, app, code, "fire", "start")
    _act(
        client,
        app,
        code,
        "fire",
        "submit",
        {"result": "已完成验收"},
        {"files": (io.BytesIO(PDF), "意见.pdf")},
    )
    with app.app_context():
        attachment_id = db.session.scalars(select(Attachment.id)).one()
    ok = client.get(f"/attachments/{attachment_id}")
    assert ok.status_code == 200 and ok.data == PDF
    assert ok.headers["X-Content-Type-Options"] == "nosniff"
    ok.close()
    client.post(
        "/logout", data={"csrf_token": csrf_token(client.get("/account").get_data(as_text=True))}
    )
    login(client, "hn_dl")
    assert client.get(f"/attachments/{attachment_id}").status_code == 404


def test_plan_and_planned_month_are_saved_and_bad_months_refused(
    app, client, factory, fire_project
):
    factory.user("caseworker", username="cw_plan")
    login(client, "cw_plan")
    defect_id, version, _ = _defect(app, fire_project, "fire")
    token = csrf_token(client.get(f"/projects/{fire_project}").get_data(as_text=True))
    bad = client.post(
        f"/projects/{fire_project}/defects/{defect_id}/plan",
        data={
            "csrf_token": token,
            f"p{defect_id}-version": str(version),
            f"p{defect_id}-plan_text": "先补齐资料",
            f"p{defect_id}-planned_month": "2024-13",
        },
        follow_redirects=True,
    )
    assert "格式应为 YYYY-MM" in bad.get_data(as_text=True)
    good = client.post(
        f"/projects/{fire_project}/defects/{defect_id}/plan",
        data={
            "csrf_token": token,
            f"p{defect_id}-version": str(version),
            f"p{defect_id}-plan_text": "先补齐资料，再组织联合验收",
            f"p{defect_id}-planned_month": "2024-10",
        },
        follow_redirects=True,
    )
    html = good.get_data(as_text=True)
    assert "先补齐资料，再组织联合验收" in html and "计划完成 2024-10" in html


def test_certificates_accumulate_and_cannot_exceed_total(app, client, factory):
    code = factory.project(
        facts=FIRE_WINDOW_FACTS, total_households=100, certified_households=10
    ).code
    factory.user("caseworker", username="cw_cert")
    login(client, "cw_cert")

    def post(households, date="2024-06-30"):
        with app.app_context():
            version = db.session.scalars(select(Project.version).where(Project.code == code)).one()
        token = csrf_token(client.get(f"/projects/{code}").get_data(as_text=True))
        return client.post(
            f"/projects/{code}/certificates",
            data={
                "csrf_token": token,
                "version": str(version),
                "entry_date": date,
                "households": str(households),
            },
            follow_redirects=True,
        ).get_data(as_text=True)

    assert "办证记录已保存" in post(30)
    assert "超过总户数" in post(61)
    assert "晚于今天" in post(1, "2999-01-01")
    with app.app_context():
        project = db.session.scalars(select(Project).where(Project.code == code)).one()
        assert project.certified_households == 40
        assert project.first_registration_date.isoformat() == "2024-06-30"
