"""Personal data masked in every page, export and log; shown in full only by an audited reveal."""

from __future__ import annotations

import io
import logging
import re
import zipfile

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Complaint, User
from app.services import pii
from app.services.errors import Forbidden
from tests.functional.security_world import ID_NUMBER, build_world, rule_methods, send

FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def _text_of(answer) -> str:
    data = answer.get_data()
    if data.startswith(b"PK\x03\x04"):  # .xlsx / .docx: look inside the zip
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(
                archive.read(n).decode("utf-8", "replace")
                for n in archive.namelist()
                if n.endswith(".xml")
            )
    return data.decode("utf-8", "replace")


def test_no_full_id_number_in_any_page_export_or_log(app, factory, caplog):
    world = build_world(app, factory)
    roles = ("caseworker", "district", "department", "leader", "auditor")
    with caplog.at_level(logging.DEBUG):
        for rule in app.url_map.iter_rules():
            if "GET" not in rule_methods(rule) or rule.endpoint == "static":
                continue
            for role in roles:
                for scope in ("own", "other") if world.has_scope(rule) else ("own",):
                    text = _text_of(send(world, role, "GET", rule, scope))
                    assert ID_NUMBER not in text, (rule.rule, role, scope)
                    assert not FULL_ID.search(text), (rule.rule, role, scope)
    logged = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert ID_NUMBER not in logged


def test_a_caseworker_reveal_is_audited_and_others_are_refused(app, factory):
    world = build_world(app, factory)
    complaint_id = world.values["complaint_id"]["own"]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "complaints.reveal")
    shown = send(world, "caseworker", "POST", rule, "own")
    assert ID_NUMBER in shown.get_data(as_text=True)
    assert send(world, "district", "POST", rule, "own").status_code == 403
    with app.app_context():
        reveals = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pii.reveal")
        ).all()
        assert [(r.actor_name, r.entity_id) for r in reveals] == [
            (world.usernames["caseworker"], str(complaint_id))
        ]
        assert ID_NUMBER not in str(reveals[0].changes)


def test_the_reveal_hook_checks_the_permission_and_audits_field_names_only(app_ctx, factory):
    caseworker = factory.user("caseworker")
    district = factory.user("district")
    rec = factory.project()
    allowed = db.session.get(User, caseworker.id)
    refused = db.session.get(User, district.id)
    assert pii.may_reveal(allowed) and not pii.may_reveal(refused)
    with pytest.raises(Forbidden):
        pii.reveal(refused, "owner", "7", ["id_number"])
    pii.reveal(allowed, "owner", "7", ["id_number", "phone", "id_number"], project_id=rec.id)
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.reveal")).one()
    assert (row.entity_type, row.entity_id, row.project_id) == ("owner", "7", rec.id)
    assert row.changes == {"fields": ["id_number", "phone"]}


def test_templates_mask_with_the_filters(app):
    with app.app_context():
        render = app.jinja_env.from_string(
            "{{ n|mask_name }} {{ p|mask_phone }} {{ i|mask_id }} {{ t|mask_pii }}"
        ).render
        out = render(
            n="张三明", p="13912345678", i=ID_NUMBER, t=f"身份证{ID_NUMBER}，电话13912345678"
        )
    assert out == ("张*明 139****5678 640202********1234 身份证640202********1234，电话139****5678")


def test_complaints_store_the_id_number_only_for_the_reveal(app, factory):
    build_world(app, factory)
    with app.app_context():
        stored = db.session.scalars(select(Complaint.complainant_id_number)).all()
    assert stored == [ID_NUMBER, ID_NUMBER]
