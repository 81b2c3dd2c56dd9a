"""Persist a demo or synthetic data set through the same classification as the forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select

from app.auth.services import create_user
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import Project, User
from app.services import audit
from app.services.projects import (
    ProjectInput,
    apply_classification,
    assign_fields,
    next_project_code,
    parse_input_facts,
    record_registration,
    validate_input,
)
from cases.classify import classify
from cases.taxonomy import DISTRICTS

DEMO_PASSWORD = "Demo#2024szs"

# (username, role, district, department, display name) — exist only in demo data.
DEMO_ACCOUNTS: tuple[tuple[str, str, str | None, str | None, str], ...] = (
    ("admin", "admin", None, None, "系统管理员"),
    ("caseworker", "caseworker", None, None, "市自然资源局经办人"),
    ("dawukou", "district", "dwk", None, "大武口区政府"),
    ("huinong", "district", "hn", None, "惠农区政府"),
    ("pingluo", "district", "pl", None, "平罗县政府"),
    ("tax", "department", None, "tax", "市税务局"),
    ("housing", "department", None, "housing", "市住建局"),
    ("court", "department", None, "court", "市中级人民法院"),
    ("leader", "leader", None, None, "市政府领导"),
    ("auditor", "auditor", None, None, "审计管理员"),
)


def ensure_demo_accounts() -> list[str]:
    """Create the demo accounts that are missing; return the names created."""
    existing = set(db.session.scalars(select(User.username)).all())
    created = []
    for username, role, district, department, name in DEMO_ACCOUNTS:
        if username in existing:
            continue
        create_user(
            username,
            DEMO_PASSWORD,
            role,
            district=district,
            department=department,
            display_name=name,
            must_change_password=False,
        )
        created.append(username)
    return created


def _project_input(row: dict[str, Any]) -> ProjectInput:
    return ProjectInput(
        name=row["name"],
        district=row["district"],
        address=row.get("address", ""),
        developer=row.get("developer", ""),
        developer_exists=row.get("developer_exists"),
        total_households=row.get("total_households", 0),
        certified_households=row.get("certified_households", 0),
        lon=row.get("lon"),
        lat=row.get("lat"),
        leader=row.get("leader", ""),
        notes=row.get("notes", ""),
        facts=parse_input_facts(row.get("facts", {})),
    )


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _renumbered(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Give synthetic rows the next free codes of their districts, after what is stored."""
    next_number: dict[str, int] = {}
    for row in rows:
        district = row["district"]
        if district not in next_number:
            next_number[district] = int(next_project_code(district).split("-")[1])
        prefix = DISTRICTS[district].prefix
        yield {**row, "code": f"{prefix}-{next_number[district]:04d}"}
        next_number[district] += 1


def load_projects(
    rows: Iterable[dict[str, Any]],
    today: dt.date,
    *,
    renumber: bool = False,
    batch_size: int = 500,
    registered_at: dt.datetime | None = None,
) -> int:
    """Insert the projects whose codes are not there yet (idempotent); return how many.

    Every row passes the same validation as the forms, so bad demo data fails loudly.
    `renumber` appends synthetic rows after the stored codes instead of skipping clashes.
    `registered_at` dates the registration (the demo's dispatch history starts after it).
    """
    registered_on = registered_at.astimezone(LOCAL_TZ).date() if registered_at else today
    if renumber:
        rows = _renumbered(rows)
    existing = set(db.session.scalars(select(Project.code)).all())
    added = 0
    for batch in _batches(rows, batch_size):
        for row in batch:
            if row["code"] in existing:
                continue
            data = _project_input(row)
            validate_input(data, today)
            project = Project(code=row["code"], state="unresolved", facts={})
            assign_fields(project, data)
            db.session.add(project)
            apply_classification(project, classify(data.facts))
            if registered_at is not None:
                project.created_at = registered_at
                for defect in project.defects:
                    defect.created_at = defect.status_changed_at = registered_at
            db.session.flush()
            record_registration(project, None, registered_on, at=registered_at)
            existing.add(row["code"])
            added += 1
        db.session.flush()
    if added:
        audit.record(None, "demo.load", "dataset", "projects", changes={"projects": added})
    db.session.commit()
    return added
