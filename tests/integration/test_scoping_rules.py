"""The capability model of app/scoping.py: 三权分立 and the field-level rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Defect, Project, User
from app.scoping import (
    ROLE_CAPABILITIES,
    actor_of,
    can,
    may_progress_defect,
    snapshot_of,
    writable_fields,
)
from cases.workflow import actor_kinds
from tests.factories import FIRE_WINDOW_FACTS


def test_the_administrator_and_the_auditor_hold_disjoint_powers():
    admin, auditor = ROLE_CAPABILITIES["admin"], ROLE_CAPABILITIES["auditor"]
    assert not admin & auditor
    assert not any(c.startswith(("projects.", "audit.", "complaints.", "pii.")) for c in admin)
    assert all(c.startswith("audit.") for c in auditor)
    every = set().union(*ROLE_CAPABILITIES.values())
    assert {c for c in every if c.startswith("audit.")} == {"audit.view", "audit.export"}
    assert [r for r, caps in ROLE_CAPABILITIES.items() if "pii.reveal" in caps] == ["caseworker"]
    assert not any(c.endswith((".create", ".edit")) for c in ROLE_CAPABILITIES["leader"])


def test_nobody_anonymous_can_anything():
    assert not can(None, "projects.view")


@pytest.fixture()
def rows(app_ctx, factory):
    users = {
        "caseworker": factory.user("caseworker"),
        "district": factory.user("district", district="dwk"),
        "other_district": factory.user("district", district="pl"),
        "lead": factory.user("department", department="housing"),
        "cooperating": factory.user("department", department="fire_rescue"),
        "leader": factory.user("leader"),
    }
    rec = factory.project(district="dwk", facts=FIRE_WINDOW_FACTS)
    project = db.session.get(Project, rec.id)
    defect = db.session.scalars(select(Defect).where(Defect.project_id == rec.id)).one()
    return {k: db.session.get(User, u.id) for k, u in users.items()}, project, defect


def test_a_department_updates_its_defects_progress_but_not_the_projects_facts(rows):
    users, project, defect = rows
    assert writable_fields(users["lead"], project) == frozenset()
    assert writable_fields(users["lead"], defect) == {"status", "plan", "deadline", "evidence"}
    assert writable_fields(users["cooperating"], defect) == frozenset()
    assert writable_fields(users["caseworker"], defect) == {
        "status",
        "plan",
        "deadline",
        "evidence",
        "path",
    }
    assert writable_fields(users["caseworker"], project) == {"facts", "certificates"}
    assert writable_fields(users["district"], project) == {"facts", "certificates"}
    assert writable_fields(users["other_district"], project) == frozenset()
    assert writable_fields(users["leader"], project) == frozenset()
    assert writable_fields(users["leader"], defect) == frozenset()


def test_progress_rights_match_the_workflow_engine(rows):
    users, _project, defect = rows
    for user in users.values():
        engine = bool(actor_kinds(snapshot_of(defect), actor_of(user)))
        assert may_progress_defect(user, defect) == engine, user.username
