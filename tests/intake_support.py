"""Builders for 群众诉求 and 提示建议单 tests, going through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Defect, Project, User
from app.services import complaints, prompts
from tests.factories import TODAY, UserRec

# Fictional people: ID numbers with valid GB 11643 check digits, phones in a run of zeros.
ID_OK = "640202199001011232"
ID_OK_2 = "640221197203040517"
ID_BAD_CHECKSUM = "640202199001011234"
PHONE_OK = "13900000001"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def user_of(rec: UserRec) -> User:
    """The ORM user of a record, in the current session."""
    user = db.session.get(User, rec.id)
    assert user is not None
    return user


def complaint_input(**overrides: Any) -> complaints.ComplaintInput:
    """A complete, valid complaint for 大武口区."""
    values: dict[str, Any] = {
        "source": "12345",
        "received_on": TODAY - dt.timedelta(days=3),
        "district": "dwk",
        "place": "星海湖畔小区",
        "name": "张三明",
        "phone": PHONE_OK,
        "id_number": ID_OK,
        "content": "房屋交付多年无法办理不动产权证书，请求协调。",
    }
    values.update(overrides)
    return complaints.ComplaintInput(**values)


def make_complaint(app: Flask, actor: UserRec, **overrides: Any) -> int:
    """A complaint recorded by `actor`; returns its id."""
    with app.app_context():
        row = complaints.record_complaint(user_of(actor), complaint_input(**overrides), TODAY)
        complaint_id = row.id
        db.session.remove()
        return complaint_id


def defect_id(app: Flask, code: str, type_: str | None = None) -> int:
    """The id of a project's defect (its first when no type is given)."""
    with app.app_context():
        stmt = select(Defect.id).join(Project).where(Project.code == code)
        if type_:
            stmt = stmt.where(Defect.type == type_)
        found = db.session.scalars(stmt.order_by(Defect.position)).first()
        assert found is not None
        db.session.remove()
        return found


def issue_sheet(
    app: Flask,
    actor: UserRec,
    *,
    defect: int | None = None,
    complaint: int | None = None,
    department: str = "housing",
    on: dt.date = TODAY,
) -> tuple[int, str]:
    """A sheet issued by `actor` on a date; returns (id, number)."""
    with app.app_context():
        user = user_of(actor)
        origin = (
            prompts.from_defect(user, defect)
            if defect is not None
            else prompts.from_complaint(user, complaint or 0)
        )
        data = prompts.SheetInput(department, "关于测试问题的办理提示", "请依职责办理并回复。")
        sheet = prompts.issue(user, origin, data, on)
        result = (sheet.id, sheet.number)
        db.session.remove()
        return result
