"""Report models: caseworkers' edits of the report wording, and background report jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.core import JSONType, User, UTCDateTime, utcnow

REPORT_KINDS: dict[str, str] = {"quarterly": "季度书面报告", "dispatch": "月度调度通报"}
REPORT_FORMATS: dict[str, str] = {"docx": "Word 文档（.docx）", "pdf": "PDF"}
JOB_STATUSES: dict[str, str] = {
    "queued": "排队中",
    "running": "生成中",
    "done": "已完成",
    "failed": "失败",
}


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class ReportText(db.Model):
    """A caseworker's wording of one text of a report, replacing the shipped template file."""

    __tablename__ = "report_texts"
    __table_args__ = (
        UniqueConstraint("kind", "name", name="uq_report_texts_kind_name"),
        CheckConstraint(_in("kind", REPORT_KINDS), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    updated_by: Mapped[User | None] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class ReportJob(db.Model):
    """One report generated in the background; its file lives under instance/reports/."""

    __tablename__ = "report_jobs"
    __table_args__ = (
        CheckConstraint(_in("kind", REPORT_KINDS), name="kind_known"),
        CheckConstraint(_in("format", REPORT_FORMATS), name="format_known"),
        CheckConstraint(_in("status", JOB_STATUSES), name="status_known"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        Index("ix_report_jobs_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unguessable handle for the status and download URLs (ids would be enumerable).
    token: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(8))  # 2024Q3 or 2024-07
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"))
    format: Mapped[str] = mapped_column(String(8))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(8), default="queued", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stored_name: Mapped[str | None] = mapped_column(String(64))
    download_name: Mapped[str] = mapped_column(String(128), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship()

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return JOB_STATUSES[self.status]
