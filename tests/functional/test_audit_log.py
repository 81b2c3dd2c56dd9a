"""The auditor's search and export, and what the security audit records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.services import audit
from tests.factories import bearer, csrf_token, login
from tests.functional.security_world import ID_NUMBER


def _auditor(app, factory):
    factory.user("auditor", username="aud")
    client = app.test_client()
    assert login(client, "aud").status_code == 302
    return client


def _add(app, action: str, entity_id: str, at: dt.datetime, actor: str = "someone", **changes):
    with app.app_context():
        row = audit.record(None, action, "project", entity_id, changes=changes)
        row.actor_name = actor
        row.occurred_at = at
        db.session.commit()


def _csv(answer) -> list[list[str]]:
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_auditor_searches_by_actor_action_date_and_entity(app, factory):
    client = _auditor(app, factory)
    noon = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)  # 12:00 in 石嘴山
    _add(app, "project.update", "DWK-0001", noon, actor="zhang")
    _add(app, "project.create", "PL-0002", noon + dt.timedelta(days=2), actor="li")
    _add(app, "auth.login", "zhang", noon + dt.timedelta(days=5), actor="zhang")

    def found(**args) -> str:
        answer = client.get("/audit", query_string=args)
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    html = found(actor="zha")
    assert "DWK-0001" in html and "PL-0002" not in html
    html = found(action="auth.")
    assert "登录" in html and "DWK-0001" not in html
    html = found(action="project.create")
    assert "PL-0002" in html and "DWK-0001" not in html
    html = found(date_from="2026-03-11", date_to="2026-03-12")
    assert "PL-0002" in html and "DWK-0001" not in html
    html = found(date_from="2026-03-10", date_to="2026-03-10")
    assert "DWK-0001" in html and "PL-0002" not in html
    html = found(entity_type="project", entity="PL-")
    assert "PL-0002" in html and "DWK-0001" not in html
    assert "日期格式" in found(date_from="10/03/2026")
    assert "结束日期不能早于开始日期" in found(date_from="2026-03-12", date_to="2026-03-01")


def test_the_audit_is_paginated(app, factory):
    client = _auditor(app, factory)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with app.app_context():
        for i in range(120):
            row = audit.record(None, "project.update", "project", f"DWK-{i:04d}")
            row.occurred_at = start + dt.timedelta(minutes=i)
        db.session.commit()
    first = client.get("/audit?action=project.update").get_data(as_text=True)
    assert "共 120 条" in first and "第 1 / 3 页" in first
    assert "DWK-0119" in first and "DWK-0000" not in first
    last = client.get("/audit?action=project.update&page=3").get_data(as_text=True)
    assert "DWK-0000" in last and "DWK-0119" not in last


def test_the_export_is_csv_masked_safe_for_spreadsheets_and_audited(app, factory):
    client = _auditor(app, factory)
    moment = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)
    _add(app, "project.update", "DWK-0001", moment, notes=f"业主身份证 {ID_NUMBER}")
    _add(app, "project.update", "=HYPERLINK(1)", moment)
    answer = client.get("/audit/export.csv?action=project.update")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = _csv(answer)
    assert rows[0][:3] == ["编号", "时间（北京时间）", "操作人"]
    body = answer.get_data(as_text=True)
    assert ID_NUMBER not in body
    assert "640202********1234" in body
    assert any(row[6] == "'=HYPERLINK(1)" for row in rows[1:])
    assert {row[3] for row in rows[1:]} == {"project.update"}
    with app.app_context():
        exported = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "audit.export")
        ).one()
        assert exported.actor_name == "aud"
        assert exported.changes == {"filters": {"action": "project.update"}}


def test_refusals_and_token_changes_are_audited(app, client, factory):
    user = factory.user("leader", username="curious")
    token = factory.token(user)
    login(client, "curious")
    assert client.get("/projects/new").status_code == 403
    assert client.get("/audit").status_code == 403
    client.post("/logout", data={})  # no CSRF token
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        actions = [(r.action, r.entity_id) for r in rows]
    assert ("token.create", "curious") in actions
    assert ("security.forbidden", "projects.create") in actions
    assert ("security.forbidden", "audit_log.index") in actions
    assert ("security.csrf", "auth.logout") in actions
    api = app.test_client()
    assert api.post("/api/v1/projects", json={}, headers=bearer(token)).status_code == 403
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (last.action, last.entity_id, last.actor_name) == (
            "security.forbidden",
            "api.create_project",
            "curious",
        )
    page = client.get("/account/tokens").get_data(as_text=True)
    revoke = re.search(r'action="(/account/tokens/\d+/revoke)"', page)
    assert revoke, page
    revoke = revoke.group(1)
    client.post(revoke, data={"csrf_token": csrf_token(page)})
    with app.app_context():
        assert "token.revoke" in db.session.scalars(select(AuditEvent.action)).all()
