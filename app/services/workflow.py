"""Defect workflow use cases: take an action, keep the plan, record certificates (附件3 四(二))."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Attachment,
    CertificateEntry,
    Defect,
    DefectEvent,
    Department,
    GovernmentApproval,
    Project,
    User,
    utcnow,
)
from app.scoping import actor_of, may_progress_defect, snapshot_of, visible_projects
from app.services import attachments, audit
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from cases.progress import project_state
from cases.workflow import (
    Transition,
    WorkflowError,
    apply_action,
    available_actions,
)

MONTH = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")


def actions_for(user: User, defect: Defect) -> tuple[Transition, ...]:
    """What the user may do with this defect now (buttons on the page)."""
    return available_actions(snapshot_of(defect), actor_of(user))


def load_defect(user: User, defect_id: int) -> Defect:
    """A defect of a project the user may see (404 otherwise)."""
    defect = db.session.scalars(
        select(Defect)
        .join(Project, Defect.project_id == Project.id)
        .where(Defect.id == defect_id)
        .where(Project.id.in_(visible_projects(user).with_only_columns(Project.id)))
        .options(selectinload(Defect.project))
    ).first()
    if defect is None:
        raise NotFound("没有找到该问题。")
    return defect


def _jsonable(effects: Mapping[str, object]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in effects.items()}


def record_event(
    defect: Defect,
    action: str,
    from_status: str | None,
    actor: User | None,
    details: Mapping[str, object] | None = None,
    at: dt.datetime | None = None,
) -> DefectEvent:
    """Append one step to the defect's dated history."""
    event = DefectEvent(
        defect=defect,
        project_id=defect.project_id,
        action=action,
        from_status=from_status,
        to_status=defect.status,
        actor_id=actor.id if actor else None,
        details=_jsonable(details or {}),
        occurred_at=at or utcnow(),
    )
    db.session.add(event)
    return event


def take_action(
    user: User,
    defect_id: int,
    action: str,
    payload: Mapping[str, object],
    expected_version: int,
    today: dt.date,
    uploads: Sequence[attachments.Upload] = (),
    *,
    at: dt.datetime | None = None,
    commit: bool = True,
) -> Defect:
    """Move a defect through the lifecycle, with its history row, approval and evidence.

    `at` dates the step (demo history replays past months); `commit=False` leaves the change in
    the session for a caller that writes more in the same transaction (每月调度 entries).
    """
    defect = load_defect(user, defect_id)
    if defect.version != expected_version:
        raise StaleVersion(defect.version)
    data = dict(payload)
    data["evidence"] = len(uploads)
    try:
        outcome = apply_action(snapshot_of(defect), action, actor_of(user), data, today)
    except WorkflowError as exc:
        raise InvalidInput(exc.field or "action", exc.message) from exc
    effects = dict(outcome.effects)
    previous = defect.status
    defect.status = outcome.status
    defect.status_changed_at = at or utcnow()
    if "deadline" in effects:
        defect.deadline = effects["deadline"]  # type: ignore[assignment]
    if "lead" in effects:
        lead = db.session.get(Department, effects["lead"])
        assert lead is not None
        defect.lead = lead
    if "review_date" in effects:
        defect.suspended_until = effects["review_date"]  # type: ignore[assignment]
    if action == "resume":
        defect.suspended_until = None
    if "approval_granted" in effects:
        defect.approval_granted = bool(effects["approval_granted"])
    event = record_event(defect, action, previous, user, effects, at=at)
    db.session.flush()
    owner_type, owner_id = "defect_event", event.id
    if action in ("approve", "refuse"):
        approval = GovernmentApproval(
            defect_id=defect.id,
            decision="granted" if action == "approve" else "refused",
            document_number=str(effects.get("document_number", "")),
            decision_date=effects["decision_date"],
            reason=str(effects.get("reason", "")),
            recorded_by_id=user.id,
        )
        db.session.add(approval)
        db.session.flush()
        owner_type, owner_id = "approval", approval.id
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            stored.append(attachments.store(user, upload, owner_type, owner_id, defect.project_id))
        project = defect.project
        project.state = project_state(
            d.status
            for d in db.session.scalars(select(Defect).where(Defect.project_id == project.id))
        )
        audit.record(
            user,
            f"defect.{action}",
            "defect",
            f"{project.code}/{defect.type}",
            project_id=project.id,
            changes={
                "status": [previous, defect.status],
                **_jsonable(effects),
                "attachments": [a.original_name for a in stored],
            },
        )
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        attachments.discard(stored)
        raise
    return defect


def may_plan(user: User, defect: Defect) -> bool:
    """The plan (一项目一策) is kept by the caseworker, the lead department or the district."""
    return may_progress_defect(user, defect)


def update_plan(
    user: User,
    defect_id: int,
    plan_text: str,
    planned_month: str | None,
    expected_version: int,
    *,
    at: dt.datetime | None = None,
    delay_reason: str = "",
) -> Defect:
    """Set the defect's 一项目一策 text and planned month (时间表、路线图); `at` dates the step.

    Moving the planned month later is a 延期: its reason is kept with the step, and the 台账's
    延期次数 and 延期原因 are read from these steps (`cases.ledger.postponements`).
    """
    defect = load_defect(user, defect_id)
    if not may_plan(user, defect):
        raise Forbidden("您不能修改该问题的化解计划。")
    if defect.version != expected_version:
        raise StaleVersion(defect.version)
    plan_text = plan_text.strip()
    if len(plan_text) > 4000:
        raise InvalidInput("plan_text", "化解计划不能超过 4000 个字。")
    if planned_month and not MONTH.match(planned_month):
        raise InvalidInput("planned_month", "计划完成月份格式应为 YYYY-MM，例如 2024-09。")
    delay_reason = delay_reason.strip()
    if len(delay_reason) > 500:
        raise InvalidInput("delay_reason", "延期原因不能超过 500 个字。")
    old = {"plan_text": defect.plan_text, "planned_month": defect.planned_month}
    defect.plan_text = plan_text
    defect.planned_month = planned_month or None
    details: dict[str, object] = {"planned_month": planned_month}
    previous = old["planned_month"]
    postponed = bool(previous and planned_month and planned_month > previous)
    if postponed and delay_reason:
        details["delay_reason"] = delay_reason
    record_event(defect, "plan", defect.status, user, details, at=at)
    audit.record(
        user,
        "defect.plan",
        "defect",
        f"{defect.project.code}/{defect.type}",
        project_id=defect.project_id,
        changes={
            "plan_text": [old["plan_text"], plan_text],
            "planned_month": [old["planned_month"], defect.planned_month],
            **({"delay_reason": delay_reason} if postponed and delay_reason else {}),
        },
    )
    db.session.commit()
    return defect


def add_certificates(
    user: User,
    project: Project,
    entry_date: dt.date,
    households: int,
    note: str,
    expected_version: int,
    today: dt.date,
) -> CertificateEntry:
    """Record certificates issued on a date; 已办证户数 is the sum of the entries."""
    if project.version != expected_version:
        raise StaleVersion(project.version)
    if households < 1:
        raise InvalidInput("households", "本次办证户数应至少为 1。")
    if entry_date > today:
        raise InvalidInput("entry_date", "办证日期不能晚于今天。")
    if project.certified_households + households > project.total_households:
        raise InvalidInput(
            "households",
            f"累计办证户数将超过总户数（{project.total_households} 户），请核对。",
        )
    entry = CertificateEntry(
        project=project,
        entry_date=entry_date,
        households=households,
        kind="issued",
        note=note.strip()[:255],
        created_by_id=user.id,
    )
    db.session.add(entry)
    before = project.certified_households
    project.certified_households = before + households
    if project.first_registration_date is None or entry_date < project.first_registration_date:
        project.first_registration_date = entry_date
    audit.record(
        user,
        "project.certificates",
        "project",
        project.code,
        project_id=project.id,
        changes={
            "certified_households": [before, project.certified_households],
            "entry_date": entry_date.isoformat(),
        },
    )
    db.session.commit()
    return entry


def history(project: Project) -> list[DefectEvent]:
    """The project's defect history, newest first, in one query."""
    return list(
        db.session.scalars(
            select(DefectEvent)
            .where(DefectEvent.project_id == project.id)
            .options(selectinload(DefectEvent.actor), selectinload(DefectEvent.defect))
            .order_by(DefectEvent.occurred_at.desc(), DefectEvent.id.desc())
        )
    )
