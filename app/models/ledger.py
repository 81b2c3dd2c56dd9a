"""The Excel 台账 import record: who brought which file in, when, and what came of it."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.extensions import db
from app.models.core import JSONType, User, UTCDateTime, utcnow

LEDGER_IMPORT_STATUSES: dict[str, str] = {
    "rejected": "有错误，未导入",
    "previewed": "待确认导入",
    "dry_run": "试导入（未写入）",
    "applied": "已导入",
    "duplicate": "同一文件已导入过，未作更改",
    "discarded": "已放弃",
    "failed": "导入失败，未写入",
}
LEDGER_IMPORT_SOURCES: dict[str, str] = {"web": "网页上传", "cli": "命令行"}


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class LedgerImport(db.Model):
    """One upload of a 台账: its SHA-256, the outcome, and the preview a caseworker confirms."""

    __tablename__ = "ledger_imports"
    __table_args__ = (
        CheckConstraint(_in("status", LEDGER_IMPORT_STATUSES), name="status_known"),
        CheckConstraint(_in("source", LEDGER_IMPORT_SOURCES), name="source_known"),
        # "Was this very file applied before?" (the same file applied twice changes nothing).
        Index("ix_ledger_imports_sha256_status", "sha256", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    # The importer's district (a district government's upload is listed to that district only).
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True)
    source: Mapped[str] = mapped_column(String(8), default="web")
    filename: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    # Chinese messages, as shown (capped: a file of ten thousand bad rows keeps the first ones).
    problems: Mapped[list[str]] = mapped_column(JSONType, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Where the sheet's 问题类型 and the engine differ, for a caseworker to confirm.
    disagreements: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # What applying changes (or changed), per project: row, code, name, kind, fields, defects.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The uploaded file, kept only between the preview and the confirmation.
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    user: Mapped[User | None] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        """Chinese name of the outcome."""
        return LEDGER_IMPORT_STATUSES[self.status]

    @property
    def source_label(self) -> str:
        """网页上传 or 命令行."""
        return LEDGER_IMPORT_SOURCES.get(self.source, self.source)
