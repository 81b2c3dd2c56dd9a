"""群众诉求 use cases: record, list, link to a project, answer, attach, reveal (附件3 三(一)8).

附件3 三(一)8 asks that residents' "办证难" complaints from every channel (12345, 好差评, 来信来访,
online) be taken up "及时向上游审批供给环节反映". A complaint belongs to a district; it may be
linked to a project (or a project registered from it), answered, and turned into a 提示建议单
(`app.services.prompts`). The complainant's personal data is masked everywhere (`app.privacy`)
except for a `pii.reveal` holder, and every reveal is audited.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import COMPLAINT_SOURCES, Attachment, Complaint, Project, PromptSheet, User, utcnow
from app.privacy import mask_id_card, mask_name, mask_phone, mask_text
from app.scoping import (
    can,
    may_handle_complaint,
    may_record_complaint_in,
    visible_complaints,
    visible_projects,
    visible_prompt_sheets,
)
from app.services import attachments, audit, pii
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from app.services.projects import ProjectInput, SaveResult, create_project
from cases.intake import IntakeError, normalize_id_number, normalize_phone
from cases.taxonomy import DISTRICTS

T = TypeVar("T")

COMPLAINT_STATUSES: dict[str, str] = {"open": "待答复", "answered": "已答复"}
MAX_TEXT = {"place": 255, "name": 64, "content": 4000, "answer": 4000}
EARLIEST_RECEIVED = dt.date(2000, 1, 1)
EXPORT_LIMIT = 10_000
PICKER_LIMIT = 500


@dataclass(frozen=True)
class ComplaintInput:
    """What a user writes when recording a complaint; the form builds one."""

    source: str
    received_on: dt.date | None
    district: str
    content: str
    place: str = ""
    name: str = ""
    phone: str = ""
    id_number: str = ""


@dataclass(frozen=True)
class ComplaintFilters:
    """The list filters: source, district, status and free text."""

    source: str | None = None
    district: str | None = None
    status: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Complainant:
    """The complainant as a page may show them: masked unless revealed."""

    name: str
    phone: str
    id_number: str
    revealed: bool

    @property
    def empty(self) -> bool:
        """Nothing was given (anonymous complaint)."""
        return not (self.name or self.phone or self.id_number)


# ---------------------------------------------------------------- personal data


def complainant(complaint: Complaint, *, revealed: bool = False) -> Complainant:
    """The complainant's name, phone and ID number, masked unless `revealed`."""
    if revealed:
        return Complainant(
            complaint.complainant_name,
            complaint.complainant_phone,
            complaint.complainant_id_number,
            True,
        )
    return Complainant(
        mask_name(complaint.complainant_name),
        mask_phone(complaint.complainant_phone),
        mask_id_card(complaint.complainant_id_number),
        False,
    )


def shown_text(text: str, *, revealed: bool = False) -> str:
    """Free text as shown: any ID or mobile number a person typed into it is masked."""
    return text if revealed else mask_text(text)


def _masked_snapshot(complaint: Complaint) -> dict[str, Any]:
    """The complaint's fields for the audit: never the personal data in full."""
    person = complainant(complaint)
    return {
        "source": complaint.source,
        "received_on": complaint.received_on.isoformat(),
        "district": complaint.district_code,
        "place": mask_text(complaint.place),
        "complainant_name": person.name,
        "complainant_phone": person.phone,
        "complainant_id_number": person.id_number,
        "content": mask_text(complaint.content),
    }


# ---------------------------------------------------------------- reading


def validate_filters(filters: ComplaintFilters) -> None:
    """Refuse a filter value that is not a known code."""
    checks = {"source": COMPLAINT_SOURCES, "district": DISTRICTS, "status": COMPLAINT_STATUSES}
    for name, known in checks.items():
        value = getattr(filters, name)
        if value and value not in known:
            raise InvalidInput(name, f"未知的筛选值：{value}")


def _like(text: str) -> str:
    return "%" + text.strip().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def filtered_complaints(user: User, filters: ComplaintFilters) -> Select[tuple[Complaint]]:
    """The scoped, filtered query behind the list and the export."""
    validate_filters(filters)
    stmt = visible_complaints(user)
    if filters.source:
        stmt = stmt.where(Complaint.source == filters.source)
    if filters.district:
        stmt = stmt.where(Complaint.district_code == filters.district)
    if filters.status:
        stmt = stmt.where(Complaint.status == filters.status)
    if filters.q and filters.q.strip():
        if mask_text(filters.q) != filters.q and not can(user, "pii.reveal"):
            # Searching by a number would confirm who complained without an audited reveal.
            raise InvalidInput("q", "不能按身份证号码或手机号码检索群众诉求。")
        pattern = _like(filters.q)
        stmt = stmt.where(
            or_(
                Complaint.content.ilike(pattern, escape="\\"),
                Complaint.place.ilike(pattern, escape="\\"),
            )
        )
    return stmt


def list_complaints(
    user: User, filters: ComplaintFilters, page: int, per_page: int
) -> tuple[Page[Complaint], dict[int, int]]:
    """A page of complaints with their projects, and how many sheets each led to (4 queries)."""
    stmt = filtered_complaints(user, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    rows = list(
        db.session.scalars(
            stmt.options(selectinload(Complaint.project))
            .order_by(Complaint.received_on.desc(), Complaint.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    sheets: dict[int, int] = {}
    if rows:
        sheets = {
            complaint_id: count
            for complaint_id, count in db.session.execute(
                select(PromptSheet.complaint_id, func.count())
                .where(PromptSheet.complaint_id.in_([r.id for r in rows]))
                .group_by(PromptSheet.complaint_id)
            )
            if complaint_id is not None
        }
    return Page(rows, total, page, per_page), sheets


def get_complaint(user: User, complaint_id: int) -> Complaint:
    """One complaint, if the user may see it (404 otherwise)."""
    complaint = db.session.scalars(
        visible_complaints(user)
        .where(Complaint.id == complaint_id)
        .options(
            selectinload(Complaint.project),
            selectinload(Complaint.answered_by),
            selectinload(Complaint.created_by),
        )
    ).first()
    if complaint is None:
        raise NotFound("没有找到该诉求。")
    return complaint


def sheets_of(user: User, complaint: Complaint) -> list[PromptSheet]:
    """The prompt sheets issued from this complaint that the user may see."""
    return list(
        db.session.scalars(
            visible_prompt_sheets(user)
            .where(PromptSheet.complaint_id == complaint.id)
            .order_by(PromptSheet.year, PromptSheet.seq)
        )
    )


def attachments_of(complaint: Complaint) -> list[Attachment]:
    """The files attached to the complaint."""
    return attachments.for_owners("complaint", [complaint.id]).get(complaint.id, [])


def project_choices(user: User, district: str) -> list[tuple[str, str]]:
    """(code, name) of the visible projects of a district, for the link picker."""
    return [
        (code, name)
        for code, name in db.session.execute(
            visible_projects(user)
            .where(Project.district_code == district)
            .with_only_columns(Project.code, Project.name)
            .order_by(Project.code)
            .limit(PICKER_LIMIT)
        )
    ]


# ---------------------------------------------------------------- writing


def _check_length(field: str, value: str) -> None:
    if len(value) > MAX_TEXT[field]:
        raise InvalidInput(field, f"长度不能超过 {MAX_TEXT[field]} 个字。")


def validate_input(user: User, data: ComplaintInput, today: dt.date) -> dict[str, Any]:
    """Refuse a bad complaint; return its normalised column values."""
    if data.source not in COMPLAINT_SOURCES:
        raise InvalidInput(
            "source", "请选择诉求来源：" + "、".join(COMPLAINT_SOURCES.values()) + "。"
        )
    if data.received_on is None:
        raise InvalidInput("received_on", "请填写受理日期。")
    if data.received_on > today:
        raise InvalidInput("received_on", "受理日期不能晚于今天。")
    if data.received_on < EARLIEST_RECEIVED:
        raise InvalidInput("received_on", "受理日期不合理，请核对。")
    if data.district not in DISTRICTS:
        raise InvalidInput("district", "请选择所属县区。")
    if not may_record_complaint_in(user, data.district):
        own = DISTRICTS[user.district_code].name if user.district_code else ""
        raise InvalidInput("district", f"您只能登记本县区（{own}）的群众诉求。")
    content = data.content.strip()
    if not content:
        raise InvalidInput("content", "请填写诉求内容。")
    _check_length("content", content)
    place, name = data.place.strip(), data.name.strip()
    _check_length("place", place)
    _check_length("name", name)
    try:
        phone = normalize_phone(data.phone)
        id_number = normalize_id_number(data.id_number, today)
    except IntakeError as exc:
        raise InvalidInput(exc.field, exc.message) from exc
    return {
        "source": data.source,
        "received_on": data.received_on,
        "district_code": data.district,
        "place": place,
        "complainant_name": name,
        "complainant_phone": phone,
        "complainant_id_number": id_number,
        "content": content,
    }


def _store_all(
    user: User, complaint: Complaint, uploads: Sequence[attachments.Upload]
) -> list[Attachment]:
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            stored.append(
                attachments.store(user, upload, "complaint", complaint.id, complaint.project_id)
            )
    except Exception:
        attachments.discard(stored)
        raise
    return stored


def record_complaint(
    user: User,
    data: ComplaintInput,
    today: dt.date,
    uploads: Sequence[attachments.Upload] = (),
) -> Complaint:
    """Record a complaint with its files; audited with the personal data masked."""
    if not can(user, "complaints.create"):
        raise Forbidden("您不能登记群众诉求。")
    values = validate_input(user, data, today)
    complaint = Complaint(**values, status="open", answer="", created_by_id=user.id)
    db.session.add(complaint)
    stored: list[Attachment] = []
    try:
        db.session.flush()
        stored = _store_all(user, complaint, uploads)
        audit.record(
            user,
            "complaint.create",
            "complaint",
            str(complaint.id),
            changes={
                "fields": _masked_snapshot(complaint),
                "attachments": [a.original_name for a in stored],
            },
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        attachments.discard(stored)
        raise
    return complaint


def _load_for_change(user: User, complaint_id: int, expected_version: int) -> Complaint:
    complaint = get_complaint(user, complaint_id)
    if not may_handle_complaint(user, complaint):
        raise Forbidden("您不能办理该诉求。")
    if complaint.version != expected_version:
        raise StaleVersion(complaint.version, current_state(complaint))
    return complaint


def current_state(complaint: Complaint) -> dict[str, Any]:
    """What a conflict page shows of the saved complaint (masked)."""
    return {
        "status": complaint.status,
        "answer": mask_text(complaint.answer),
        "project": complaint.project.code if complaint.project else None,
    }


def _commit_change(complaint_id: int) -> None:
    """Commit; a concurrent save caught by the version column becomes StaleVersion."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        current = db.session.get(Complaint, complaint_id)
        raise StaleVersion(
            current.version if current else 0, current_state(current) if current else {}
        ) from None


def link_project(user: User, complaint_id: int, code: str, expected_version: int) -> Complaint:
    """Link the complaint to a project of its district that the user may see."""
    complaint = _load_for_change(user, complaint_id, expected_version)
    code = code.strip().upper()
    if not code:
        raise InvalidInput("project", "请填写或选择项目编号。")
    project = db.session.scalars(visible_projects(user).where(Project.code == code)).first()
    if project is None:
        raise InvalidInput("project", f"没有找到编号为 {code[:16]} 的项目（或您无权查看）。")
    if project.district_code != complaint.district_code:
        raise InvalidInput(
            "project",
            f"项目 {project.code} 位于{DISTRICTS[project.district_code].name}，"
            f"与诉求所属的{DISTRICTS[complaint.district_code].name}不一致。",
        )
    _link(user, complaint, project, created=False)
    _commit_change(complaint.id)
    return complaint


def _link(user: User, complaint: Complaint, project: Project, *, created: bool) -> None:
    old = complaint.project.code if complaint.project else None
    complaint.project = project
    # The complaint's files now belong to the project's evidence as well.
    db.session.execute(
        update(Attachment)
        .where(Attachment.owner_type == "complaint", Attachment.owner_id == complaint.id)
        .values(project_id=project.id)
    )
    audit.record(
        user,
        "complaint.link",
        "complaint",
        str(complaint.id),
        project_id=project.id,
        changes={"project": [old, project.code], "project_created": created},
    )


def create_project_from(
    user: User, complaint_id: int, data: ProjectInput, expected_version: int, today: dt.date
) -> SaveResult:
    """Register a project from a complaint (the project form, prefilled) and link them."""
    complaint = _load_for_change(user, complaint_id, expected_version)
    if data.district != complaint.district_code:
        raise InvalidInput(
            "district", f"项目应位于诉求所属的{DISTRICTS[complaint.district_code].name}。"
        )
    result = create_project(user, data, today)
    complaint = get_complaint(user, complaint_id)
    _link(user, complaint, result.project, created=True)
    _commit_change(complaint.id)
    return result


def answer(user: User, complaint_id: int, text: str, expected_version: int) -> Complaint:
    """Record (or correct) the answer given to the complainant."""
    complaint = _load_for_change(user, complaint_id, expected_version)
    text = text.strip()
    if not text:
        raise InvalidInput("answer", "请填写答复内容。")
    _check_length("answer", text)
    before = {"status": complaint.status, "answer": complaint.answer}
    complaint.answer = text
    complaint.status = "answered"
    complaint.answered_at = utcnow()
    complaint.answered_by_id = user.id
    audit.record(
        user,
        "complaint.answer",
        "complaint",
        str(complaint.id),
        project_id=complaint.project_id,
        changes={
            "status": [before["status"], "answered"],
            "answer": [mask_text(before["answer"]), mask_text(text)],
        },
    )
    _commit_change(complaint.id)
    return complaint


def add_attachments(
    user: User, complaint_id: int, uploads: Sequence[attachments.Upload]
) -> list[Attachment]:
    """Attach files to a complaint (type and size checked by content)."""
    complaint = get_complaint(user, complaint_id)
    if not may_handle_complaint(user, complaint):
        raise Forbidden("您不能为该诉求上传附件。")
    if not uploads:
        raise InvalidInput("files", "请选择要上传的文件。")
    stored: list[Attachment] = []
    try:
        stored = _store_all(user, complaint, uploads)
        audit.record(
            user,
            "complaint.attach",
            "complaint",
            str(complaint.id),
            project_id=complaint.project_id,
            changes={"attachments": [a.original_name for a in stored]},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        attachments.discard(stored)
        raise
    return stored


def reveal(user: User, complaint_id: int) -> Complaint:
    """Show one complaint's personal data in full: `pii.reveal` only, and audited."""
    if not pii.may_reveal(user):
        raise Forbidden("您无权查看群众的完整个人信息。")
    complaint = get_complaint(user, complaint_id)
    pii.reveal(
        user,
        "complaint",
        str(complaint.id),
        [
            name
            for name in ("complainant_name", "complainant_phone", "complainant_id_number")
            if getattr(complaint, name)
        ],
        project_id=complaint.project_id,
    )
    return complaint


# ---------------------------------------------------------------- export

EXPORT_COLUMNS = (
    "编号",
    "来源",
    "受理日期",
    "县区",
    "涉及小区或地址",
    "诉求人",
    "联系电话",
    "身份证号码",
    "诉求内容",
    "关联项目",
    "状态",
    "答复",
    "答复时间",
)


def export_workbook(user: User, filters: ComplaintFilters, now: dt.datetime) -> bytes:
    """The filtered complaints as an .xlsx, personal data always masked; the export is audited."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from app.labels import fmt_datetime

    rows = db.session.scalars(
        filtered_complaints(user, filters)
        .options(selectinload(Complaint.project))
        .order_by(Complaint.received_on.desc(), Complaint.id.desc())
        .limit(EXPORT_LIMIT)
    ).all()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "群众诉求"
    sheet.append(list(EXPORT_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for c in rows:
        person = complainant(c)
        values: list[Any] = [
            c.id,
            COMPLAINT_SOURCES[c.source],
            c.received_on,
            DISTRICTS[c.district_code].name,
            mask_text(c.place),
            person.name,
            person.phone,
            person.id_number,
            mask_text(c.content),
            c.project.code if c.project else "",
            COMPLAINT_STATUSES[c.status],
            mask_text(c.answer),
            fmt_datetime(c.answered_at),
        ]
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # Text a person typed is never a formula (=HYPERLINK(...) and friends).
                cell.data_type = "s"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for column, width in zip(
        "ABCDEFGHIJKLM", (8, 12, 12, 10, 24, 10, 14, 20, 60, 10, 8, 40, 17), strict=True
    ):
        sheet.column_dimensions[column].width = width
    audit.record(
        user,
        "complaints.export",
        "complaint",
        "*",
        changes={"filters": {k: v for k, v in vars(filters).items() if v}, "rows": len(rows)},
    )
    db.session.commit()
    out = io.BytesIO()
    book.properties.created = now.replace(tzinfo=None)
    book.save(out)
    return out.getvalue()
