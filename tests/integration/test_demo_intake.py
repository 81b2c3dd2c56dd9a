"""Demo 群众诉求 and 提示建议单: fictional, valid, deterministic and idempotent."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.demo.dataset import demo_projects
from app.demo.intake import DEMO_COMPLAINTS, load_intake
from app.demo.loader import ensure_demo_accounts, load_projects
from app.extensions import db
from app.models import Complaint, PromptSheet
from cases.intake import normalize_id_number, normalize_phone
from tests.factories import TODAY


def test_demo_people_are_fictional_but_pass_validation():
    for demo in DEMO_COMPLAINTS:
        if demo.phone:
            assert re.fullmatch(r"1390000\d{4}", normalize_phone(demo.phone)), demo.phone
        if demo.id_number:
            assert normalize_id_number(demo.id_number, TODAY) == demo.id_number


def test_demo_intake_loads_once_through_the_services(app_ctx):
    ensure_demo_accounts()
    wanted = {"DWK-0001", "DWK-0002", "HN-0001"}
    load_projects([p for p in demo_projects() if p["code"] in wanted], TODAY)
    assert load_intake(TODAY) == (len(DEMO_COMPLAINTS), 3)
    assert load_intake(TODAY) == (0, 0)
    complaints = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert {c.source for c in complaints} == {"12345", "haochaping", "letters_visits", "online"}
    assert sum(c.project_id is not None for c in complaints) == 3
    assert sum(c.status == "answered" for c in complaints) == 3
    sheets = db.session.scalars(select(PromptSheet).order_by(PromptSheet.seq)).all()
    assert [s.seq for s in sheets] == [1, 2, 3]
    assert sum(s.reply_date is not None for s in sheets) == 2
