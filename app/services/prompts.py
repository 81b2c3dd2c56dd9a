"""工作办理提示建议单 use cases: issue from a defect or complaint, list, reply (附件3 三(一)8).

附件3 三(一)8: "对群众提出的各类办证诉求和问题,及时向上游审批供给环节反映,必要时发送工作办理
提示建议单". The 市自然资源局 issues a sheet to a department; sheets are numbered per year
(`石自然提〔2024〕12号`) with no gaps and no duplicates: the number is the year's highest plus one,
the database refuses a duplicate (year, seq), and a refused insert is retried with the next number.
The addressed department (or a caseworker) records the reply and its date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import COMPLAINT_SOURCES, Complaint, Defect, Project, PromptSheet, User
from app.privacy import mask_text
from app.scoping import can, may_reply_prompt, visible_prompt_sheets
from app.services import audit
from app.services.complaints import Page, get_complaint
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from app.services.workflow import load_defect
from cases.intake import format_prompt_number, next_prompt_seq
from cases.taxonomy import DEFECT_TYPES, DEPARTMENTS, DISTRICTS, PATHS

ISSUER = "nr"  # 市自然资源局 issues the sheets; it is never their addressee.
PROMPT_STATUSES: dict[str, str] = {"pending": "待回复", "replied": "已回复"}
MAX_TEXT = {"subject": 128, "content": 4000, "reply": 4000}
NUMBER_ATTEMPTS = 8
CLOSING = (
    "根据《石嘴山市全面化解城镇住宅“办证难”问题工作方案》附件3 三(一)8 的要求，现将有关情况"
    "提示如下，请贵单位依职责及时研究办理，并将办理情况书面回复市自然资源局。"
)


@dataclass(frozen=True)
class SheetInput:
    """What the issuer writes: addressee, subject (事由) and content."""

    department: str
    subject: str
    content: str


@dataclass(frozen=True)
class SheetFilters:
    """The list filters."""

    department: str | None = None
    district: str | None = None
    status: str | None = None
    year: int | None = None
    q: str | None = None


@dataclass(frozen=True)
class Origin:
    """What a sheet is issued from: a defect of a project, or a complaint."""

    defect: Defect | None = None
    complaint: Complaint | None = None

    @property
    def project(self) -> Project | None:
        """The project concerned, if any."""
        if self.defect is not None:
            return self.defect.project
        return self.complaint.project if self.complaint is not None else None

    @property
    def district(self) -> str | None:
        """The district concerned: the project's, else the complaint's."""
        project = self.project
        if project is not None:
            return project.district_code
        return self.complaint.district_code if self.complaint is not None else None


# ---------------------------------------------------------------- origins and drafts


def _require_issuer(user: User) -> None:
    if not can(user, "prompts.issue"):
        raise Forbidden("只有市自然资源局经办人可以发送工作办理提示建议单。")


def from_defect(user: User, defect_id: int) -> Origin:
    """A defect the user may see, as the origin of a sheet."""
    _require_issuer(user)
    return Origin(defect=load_defect(user, defect_id))


def from_complaint(user: User, complaint_id: int) -> Origin:
    """A complaint the user may see, as the origin of a sheet."""
    _require_issuer(user)
    return Origin(complaint=get_complaint(user, complaint_id))


def draft(origin: Origin) -> SheetInput:
    """A first wording of the sheet, for the issuer to edit."""
    if origin.defect is not None:
        defect = origin.defect
        project = defect.project
        spec = DEFECT_TYPES[defect.type]
        department = defect.lead_code
        if department == ISSUER:
            department = next((c.code for c in defect.cooperating if c.code != ISSUER), "")
        path = f"，拟定化解路径为“{PATHS[defect.path].name}”" if defect.path else ""
        body = (
            f"经梳理，{DISTRICTS[project.district_code].name}{project.name}"
            f"（项目编号 {project.code}）存在“{spec.name}”问题（{defect.clause}）{path}。"
        )
        subject = f"关于{project.name}“{spec.name}”问题的办理提示"
    else:
        complaint = origin.complaint
        assert complaint is not None
        department = ""
        place = complaint.place or DISTRICTS[complaint.district_code].name
        body = (
            f"{complaint.received_on.year}年{complaint.received_on.month}月"
            f"{complaint.received_on.day}日，经{COMPLAINT_SOURCES[complaint.source]}收到群众反映"
            f"{place}办证问题：{mask_text(complaint.content)}"
        )
        subject = f"关于群众反映{place}办证问题的办理提示"
    return SheetInput(department=department, subject=subject[:128], content=f"{body}\n{CLOSING}")


# ---------------------------------------------------------------- issuing


def _validate(data: SheetInput) -> SheetInput:
    if data.department not in DEPARTMENTS:
        raise InvalidInput("department", "请选择送达部门。")
    if data.department == ISSUER:
        raise InvalidInput("department", "提示建议单由市自然资源局发出，请选择其他部门。")
    subject, content = data.subject.strip(), data.content.strip()
    if not subject:
        raise InvalidInput("subject", "请填写事由。")
    if not content:
        raise InvalidInput("content", "请填写提示建议内容。")
    for name, value in (("subject", subject), ("content", content)):
        if len(value) > MAX_TEXT[name]:
            raise InvalidInput(name, f"长度不能超过 {MAX_TEXT[name]} 个字。")
    return SheetInput(data.department, subject, content)


def highest_seq(year: int) -> int | None:
    """The highest number issued in the year so far."""
    return db.session.scalar(select(func.max(PromptSheet.seq)).where(PromptSheet.year == year))


def _number_taken(exc: IntegrityError) -> bool:
    """True when the insert lost the race for its number (and only then)."""
    message = str(exc.orig)
    return any(
        marker in message
        for marker in (
            "uq_prompt_sheets_year_seq",
            "uq_prompt_sheets_number",
            "prompt_sheets.year",
            "prompt_sheets.number",
        )
    )


def issue(user: User, origin: Origin, data: SheetInput, today: dt.date) -> PromptSheet:
    """Issue a numbered sheet dated today; a number taken concurrently is retried."""
    _require_issuer(user)
    data = _validate(data)
    defect_id = origin.defect.id if origin.defect is not None else None
    complaint_id = origin.complaint.id if origin.complaint is not None else None
    project = origin.project
    project_id = project.id if project is not None else None
    district = origin.district
    user_id = user.id
    for _attempt in range(NUMBER_ATTEMPTS):
        seq = next_prompt_seq(highest_seq(today.year))
        sheet = PromptSheet(
            year=today.year,
            seq=seq,
            number=format_prompt_number(today.year, seq),
            department_code=data.department,
            defect_id=defect_id,
            complaint_id=complaint_id,
            project_id=project_id,
            district_code=district,
            subject=data.subject,
            content=data.content,
            issued_by_id=user_id,
            issued_on=today,
            reply="",
        )
        db.session.add(sheet)
        try:
            db.session.flush()
        except IntegrityError as exc:
            db.session.rollback()
            if not _number_taken(exc):
                raise
            continue
        audit.record(
            user,
            "prompt.issue",
            "prompt_sheet",
            sheet.number,
            project_id=project_id,
            changes={
                "department": data.department,
                "subject": data.subject,
                "defect_id": defect_id,
                "complaint_id": complaint_id,
                "issued_on": today.isoformat(),
            },
        )
        db.session.commit()
        return sheet
    raise InvalidInput("number", "编号分配冲突，请稍后重新提交。")


# ---------------------------------------------------------------- reading


def validate_filters(filters: SheetFilters) -> None:
    """Refuse a filter value that is not a known code."""
    checks = {"department": DEPARTMENTS, "district": DISTRICTS, "status": PROMPT_STATUSES}
    for name, known in checks.items():
        value = getattr(filters, name)
        if value and value not in known:
            raise InvalidInput(name, f"未知的筛选值：{value}")
    if filters.year is not None and not 1900 <= filters.year <= 9999:
        raise InvalidInput("year", f"未知的年份：{filters.year}")


def filtered_sheets(user: User, filters: SheetFilters) -> Select[tuple[PromptSheet]]:
    """The scoped, filtered query behind the list."""
    validate_filters(filters)
    stmt = visible_prompt_sheets(user)
    if filters.department:
        stmt = stmt.where(PromptSheet.department_code == filters.department)
    if filters.district:
        stmt = stmt.where(PromptSheet.district_code == filters.district)
    if filters.status == "pending":
        stmt = stmt.where(PromptSheet.reply_date.is_(None))
    elif filters.status == "replied":
        stmt = stmt.where(PromptSheet.reply_date.is_not(None))
    if filters.year:
        stmt = stmt.where(PromptSheet.year == filters.year)
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        pattern = "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(
            or_(
                PromptSheet.number.ilike(pattern, escape="\\"),
                PromptSheet.subject.ilike(pattern, escape="\\"),
                PromptSheet.content.ilike(pattern, escape="\\"),
            )
        )
    return stmt


def list_sheets(user: User, filters: SheetFilters, page: int, per_page: int) -> Page[PromptSheet]:
    """A page of sheets, newest first, with their projects (3 queries)."""
    stmt = filtered_sheets(user, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    rows = db.session.scalars(
        stmt.options(selectinload(PromptSheet.project))
        .order_by(PromptSheet.year.desc(), PromptSheet.seq.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(rows), total, page, per_page)


def years(user: User) -> list[int]:
    """The years that have sheets the user may see, newest first (for the filter)."""
    return list(
        db.session.scalars(
            visible_prompt_sheets(user)
            .with_only_columns(PromptSheet.year)
            .distinct()
            .order_by(PromptSheet.year.desc())
        )
    )


def get_sheet(user: User, sheet_id: int) -> PromptSheet:
    """One sheet, if the user may see it (404 otherwise)."""
    sheet = db.session.scalars(
        visible_prompt_sheets(user)
        .where(PromptSheet.id == sheet_id)
        .options(
            selectinload(PromptSheet.project),
            selectinload(PromptSheet.defect),
            selectinload(PromptSheet.complaint),
            selectinload(PromptSheet.issued_by),
            selectinload(PromptSheet.replied_by),
        )
    ).first()
    if sheet is None:
        raise NotFound("没有找到该提示建议单。")
    return sheet


# ---------------------------------------------------------------- replying


def current_state(sheet: PromptSheet) -> dict[str, Any]:
    """What a conflict page shows of the saved sheet."""
    return {
        "reply": sheet.reply,
        "reply_date": sheet.reply_date.isoformat() if sheet.reply_date else None,
    }


def reply(
    user: User,
    sheet_id: int,
    text: str,
    reply_date: dt.date | None,
    expected_version: int,
    today: dt.date,
) -> PromptSheet:
    """Record (or correct) the addressed department's reply and its date."""
    sheet = get_sheet(user, sheet_id)
    if not may_reply_prompt(user, sheet):
        raise Forbidden("只有送达部门或市自然资源局经办人可以登记回复。")
    if sheet.version != expected_version:
        raise StaleVersion(sheet.version, current_state(sheet))
    text = text.strip()
    if not text:
        raise InvalidInput("reply", "请填写回复内容。")
    if len(text) > MAX_TEXT["reply"]:
        raise InvalidInput("reply", f"长度不能超过 {MAX_TEXT['reply']} 个字。")
    if reply_date is None:
        raise InvalidInput("reply_date", "请填写回复日期。")
    if reply_date > today:
        raise InvalidInput("reply_date", "回复日期不能晚于今天。")
    if reply_date < sheet.issued_on:
        raise InvalidInput("reply_date", "回复日期不能早于提示建议单的印发日期。")
    before = current_state(sheet)
    sheet.reply = text
    sheet.reply_date = reply_date
    sheet.replied_by_id = user.id
    audit.record(
        user,
        "prompt.reply",
        "prompt_sheet",
        sheet.number,
        project_id=sheet.project_id,
        changes={
            "reply": [before["reply"], text],
            "reply_date": [before["reply_date"], reply_date.isoformat()],
        },
    )
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        current = db.session.get(PromptSheet, sheet_id)
        raise StaleVersion(
            current.version if current else 0, current_state(current) if current else {}
        ) from None
    return sheet
