"""Workflow models: defect history, approvals, certificates, dispatch rounds, prompt sheets,
complaints and attachments (附件3 三(一)8, 四(二))."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.core import Defect, Department, JSONType, Project, User, UTCDateTime, utcnow
from cases.taxonomy import DEFECT_STATUSES
from cases.workflow import TRANSITIONS

COMPLAINT_SOURCES: dict[str, str] = {
    "12345": "12345热线",
    "haochaping": "好差评",
    "letters_visits": "来信来访",
    "online": "网上诉求",
}
ATTACHMENT_OWNERS = ("defect_event", "approval", "dispatch_entry", "complaint")
CERTIFICATE_KINDS: dict[str, str] = {
    "baseline": "登记时已办证",
    "issued": "本月新办证",
    "correction": "更正",
}


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class DefectEvent(db.Model):
    """One step of a defect's life: the dated history every as-of figure is computed from."""

    __tablename__ = "defect_events"
    __table_args__ = (
        CheckConstraint(_in("action", [*TRANSITIONS, "register", "plan"]), name="action_known"),
        CheckConstraint(_in("to_status", DEFECT_STATUSES), name="to_status_known"),
        Index("ix_defect_events_defect_at", "defect_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    defect_id: Mapped[int] = mapped_column(ForeignKey("defects.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    defect: Mapped[Defect] = relationship()
    actor: Mapped[User | None] = relationship()


class GovernmentApproval(db.Model):
    """报经市、县人民政府同意: the decision, its document number and date (附件3 三(一)2、4)."""

    __tablename__ = "government_approvals"
    __table_args__ = (CheckConstraint("decision IN ('granted', 'refused')", name="decision_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    defect_id: Mapped[int] = mapped_column(ForeignKey("defects.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(8))
    document_number: Mapped[str] = mapped_column(String(64), default="")
    decision_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertificateEntry(db.Model):
    """A dated count of certificates issued for a project; their sum is 已办证户数."""

    __tablename__ = "certificate_entries"
    __table_args__ = (
        CheckConstraint(_in("kind", CERTIFICATE_KINDS), name="kind_known"),
        CheckConstraint("kind = 'correction' OR households >= 0", name="households_nonnegative"),
        Index("ix_certificate_entries_project_date", "project_id", "entry_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    entry_date: Mapped[dt.date] = mapped_column(Date, index=True)
    households: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="issued")
    note: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()


class DispatchRound(db.Model):
    """每月调度: one round per month; closing it freezes its entries (附件3 四(二))."""

    __tablename__ = "dispatch_rounds"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint("length(month) = 7", name="month_format"),
        # One round open at a time (cases.dispatch.check_new_round), held by the database too.
        Index(
            "uq_dispatch_rounds_one_open",
            "status",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # YYYY-MM
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    entries: Mapped[list[DispatchEntry]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="DispatchEntry.id"
    )

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class DispatchEntry(db.Model):
    """One open defect's line in a round, filled by its lead department or district."""

    __tablename__ = "dispatch_entries"
    __table_args__ = (
        UniqueConstraint("round_id", "defect_id", name="uq_dispatch_entries_round_defect"),
        CheckConstraint(_in("status_at_open", DEFECT_STATUSES), name="status_at_open_known"),
        CheckConstraint(
            "reported_status IS NULL OR " + _in("reported_status", DEFECT_STATUSES),
            name="reported_status_known",
        ),
        CheckConstraint(
            "status_at_close IS NULL OR " + _in("status_at_close", DEFECT_STATUSES),
            name="status_at_close_known",
        ),
        Index("ix_dispatch_entries_round_lead", "round_id", "lead_code"),
        Index("ix_dispatch_entries_round_district", "round_id", "district_code"),
        Index("ix_dispatch_entries_round_reported", "round_id", "reported_at"),
        Index("ix_dispatch_entries_round_escalate", "round_id", "escalate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("dispatch_rounds.id", ondelete="CASCADE"))
    defect_id: Mapped[int] = mapped_column(ForeignKey("defects.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"))
    lead_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    status_at_open: Mapped[str] = mapped_column(String(24))
    deadline_at_open: Mapped[dt.date | None] = mapped_column(Date)
    planned_month_at_open: Mapped[str | None] = mapped_column(String(7))
    progress: Mapped[str] = mapped_column(Text, default="")
    reported_status: Mapped[str | None] = mapped_column(String(24))
    # The defect's status when the round closed: what the round achieved, frozen with it.
    status_at_close: Mapped[str | None] = mapped_column(String(24))
    blocker: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    time_limit: Mapped[dt.date | None] = mapped_column(Date)
    escalate: Mapped[bool] = mapped_column(Boolean, default=False)  # 提级督办
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    round: Mapped[DispatchRound] = relationship(back_populates="entries")
    defect: Mapped[Defect] = relationship()
    project: Mapped[Project] = relationship()
    lead: Mapped[Department] = relationship()
    reported_by: Mapped[User | None] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class Complaint(db.Model):
    """群众诉求 from 12345, 好差评, 来信来访 or online (附件3 三(一)8); personal data masked."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_in("source", COMPLAINT_SOURCES), name="source_known"),
        CheckConstraint("status IN ('open', 'answered')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    # 涉及小区或地址 as the complainant named it: prefills a new project and the picker.
    place: Mapped[str] = mapped_column(String(255), default="")
    complainant_name: Mapped[str] = mapped_column(String(64), default="")
    complainant_phone: Mapped[str] = mapped_column(String(32), default="")
    complainant_id_number: Mapped[str] = mapped_column(String(18), default="")
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    project: Mapped[Project | None] = relationship()
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class PromptSheet(db.Model):
    """工作办理提示建议单, numbered per year (石自然提〔2024〕12号), 附件3 三(一)8."""

    __tablename__ = "prompt_sheets"
    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_prompt_sheets_year_seq"),
        # A sheet answers a defect or a complaint (附件3 三(一)8), never nothing.
        CheckConstraint("defect_id IS NOT NULL OR complaint_id IS NOT NULL", name="has_origin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    defect_id: Mapped[int | None] = mapped_column(ForeignKey("defects.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    # The district the sheet concerns (its project's, else its complaint's): district scoping.
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True)
    subject: Mapped[str] = mapped_column(String(128))
    content: Mapped[str] = mapped_column(Text)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    reply: Mapped[str] = mapped_column(Text, default="")
    reply_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship()
    project: Mapped[Project | None] = relationship()
    defect: Mapped[Defect | None] = relationship()
    complaint: Mapped[Complaint | None] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    replied_by: Mapped[User | None] = relationship(foreign_keys=[replied_by_id])

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class Attachment(db.Model):
    """An evidence file kept under instance/attachments with a server-chosen name."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(_in("owner_type", ATTACHMENT_OWNERS), name="owner_type_known"),
        Index("ix_attachments_owner", "owner_type", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(Integer)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
