"""Builders for 每月调度 tests: a small world of users and projects, rounds opened through the
real services, and quick reads of what the database holds."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import AuditEvent, Defect, DispatchEntry, DispatchRound, Project, User
from app.services import attachments, dispatch, workflow
from tests.factories import FIRE_WINDOW_FACTS, TODAY, Factory, ProjectRec, UserRec

MONTH = "2026-11"  # TODAY is 2026-11-27
ARREARS_FACTS: dict[str, Any] = {"project_type": "commercial", "land_premium_unpaid": True}
DEED_TAX_FACTS: dict[str, Any] = {
    "project_type": "commercial",
    "sales_invoice_obtainable": False,
    "invoice_obstacle": "developer_deregistered",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CHECKLIST = {"facts_clear": True, "problem_solved": True, "task_done": True}


@pytest.fixture()
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten accounts per test: a cheap hash keeps the suite fast (login still checks it)."""
    import app.auth.services

    monkeypatch.setattr(
        app.auth.services,
        "hash_password",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )


@dataclass(frozen=True)
class World:
    """Accounts of every role and binding, and projects led by three departments."""

    cw: UserRec
    housing: UserRec
    tax: UserRec
    court: UserRec
    dwk: UserRec
    hn: UserRec
    pl: UserRec
    leader: UserRec
    auditor: UserRec
    admin: UserRec
    fire_dwk: ProjectRec  # fire, led by housing, in 大武口区
    arrears_hn: ProjectRec  # arrears, led by 自然资源局, in 惠农区 (needs 政府同意)
    deed_tax_pl: ProjectRec  # deed_tax, led by tax, in 平罗县
    closed_pl: ProjectRec  # fire in 平罗县, struck off before any round


def build_world(app: Flask, factory: Factory) -> World:
    """The users and projects most dispatch tests start from."""
    cw = factory.user("caseworker")
    housing = factory.user("department", department="housing")
    world = World(
        cw=cw,
        housing=housing,
        tax=factory.user("department", department="tax"),
        court=factory.user("department", department="court"),
        dwk=factory.user("district", district="dwk"),
        hn=factory.user("district", district="hn"),
        pl=factory.user("district", district="pl"),
        leader=factory.user("leader"),
        auditor=factory.user("auditor"),
        admin=factory.user("admin"),
        fire_dwk=factory.project(district="dwk", facts=FIRE_WINDOW_FACTS, actor=cw),
        arrears_hn=factory.project(district="hn", facts=ARREARS_FACTS, actor=cw),
        deed_tax_pl=factory.project(district="pl", facts=DEED_TAX_FACTS, actor=cw),
        closed_pl=factory.project(district="pl", facts=FIRE_WINDOW_FACTS, actor=cw),
    )
    with app.app_context():
        strike_off(world.cw, world.housing, defect_id(world.closed_pl.code, "fire"))
        db.session.remove()
    return world


def user_of(rec: UserRec) -> User:
    """The ORM user of a record, in the current session."""
    user = db.session.get(User, rec.id)
    assert user is not None
    return user


def defect_id(code: str, type_: str) -> int:
    """The id of a project's defect (inside an app context)."""
    return db.session.scalars(
        select(Defect.id).join(Project).where(Project.code == code, Defect.type == type_)
    ).one()


def defect(code: str, type_: str) -> Defect:
    """A project's defect row, fresh from the database."""
    row = db.session.get(Defect, defect_id(code, type_), populate_existing=True)
    assert row is not None
    return row


def act(rec: UserRec, defect_id_: int, action: str, payload: dict[str, object] | None = None):
    """Take a lifecycle action through the workflow service (evidence attached for 提交销号)."""
    row = db.session.get(Defect, defect_id_, populate_existing=True)
    assert row is not None
    uploads = [attachments.Upload("结果.pdf", io.BytesIO(PDF))] if action == "submit" else []
    return workflow.take_action(
        user_of(rec), defect_id_, action, payload or {}, row.version, TODAY, uploads
    )


def strike_off(cw: UserRec, lead: UserRec, defect_id_: int) -> None:
    """交办 → 办理 → 提交销号 → 销号."""
    act(cw, defect_id_, "assign", {"deadline": TODAY + dt.timedelta(days=30)})
    act(lead, defect_id_, "start")
    act(lead, defect_id_, "submit", {"result": "已完成消防验收备案"})
    act(cw, defect_id_, "close", CHECKLIST)


def open_round(cw: UserRec, month: str = MONTH, today: dt.date = TODAY) -> DispatchRound:
    """Open a round through the service (inside an app context)."""
    return dispatch.open_round(user_of(cw), month, today)


def entry_of(month: str, code: str, type_: str) -> DispatchEntry:
    """A project defect's entry in a month's round, fresh from the database."""
    entry = db.session.scalars(
        select(DispatchEntry)
        .join(DispatchRound)
        .join(Project, DispatchEntry.project_id == Project.id)
        .join(Defect, DispatchEntry.defect_id == Defect.id)
        .where(DispatchRound.month == month, Project.code == code, Defect.type == type_)
        .execution_options(populate_existing=True)
    ).one()
    return entry


def audit_count(action: str) -> int:
    """Audit rows of an action."""
    return db.session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def report(**values: Any) -> dispatch.EntryInput:
    """A valid report, with overrides."""
    base: dict[str, Any] = {
        "progress": "已完成现场核查",
        "blocker": "",
        "next_step": "补齐申报材料",
        "time_limit": TODAY + dt.timedelta(days=20),
        "escalate": False,
    }
    base.update(values)
    return dispatch.EntryInput(**base)
