"""Core models: districts, departments, users, API tokens, projects, defects, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from cases.taxonomy import DEFECT_STATUSES, DEFECT_TYPES, PATHS, PROJECT_STATES, PROJECT_TYPES

JSONType = JSON().with_variant(JSONB(), "postgresql")

ROLES: dict[str, str] = {
    "admin": "系统管理员",
    "caseworker": "自然资源局经办人",
    "district": "县区政府用户",
    "department": "部门用户",
    "leader": "市政府领导",
    "auditor": "审计管理员",
}


def utcnow() -> dt.datetime:
    """Current time in UTC, timezone-aware (`app.clock.now`, which tests may move)."""
    from app import clock

    return clock.now()


def _in_list(column: str, values: Any) -> str:
    """SQL `column IN (...)` for a check constraint built from a `cases` code list."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores aware datetimes as UTC; SQLite loses the zone, so it is restored on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class District(db.Model):
    """A county-level division of 石嘴山市 (大武口区, 惠农区, 平罗县)."""

    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    adcode: Mapped[str] = mapped_column(String(6), unique=True)


class Department(db.Model):
    """A lead or cooperating department of 附件3."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))


class User(UserMixin, db.Model):
    """An account, bound to a district or department where its role requires."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in_list("role", ROLES), name="role_known"),
        CheckConstraint("role <> 'district' OR district_code IS NOT NULL", name="district_bound"),
        CheckConstraint(
            "role <> 'department' OR department_code IS NOT NULL", name="department_bound"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"))
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised whenever the account's sessions must end (logout, password change, disable, role or
    # binding change): the session carries "id:epoch" and a stale epoch loads no user.
    session_epoch: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Consecutive failed logins, reset by a successful one or when the lock expires.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failed_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    district: Mapped[District | None] = relationship()
    department: Mapped[Department | None] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """Flask-Login's session id: the epoch makes old sessions of this account invalid."""
        return f"{self.id}:{self.session_epoch}"

    @property
    def role_label(self) -> str:
        """Chinese name of the role."""
        return ROLES[self.role]


class ApiToken(db.Model):
    """An API token; only its SHA-256 is stored, so a database leak exposes no usable token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Project(db.Model):
    """A stuck housing project (项目) with its 附件3 facts."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(
            "project_type IS NULL OR " + _in_list("project_type", PROJECT_TYPES),
            name="project_type_known",
        ),
        CheckConstraint(_in_list("state", PROJECT_STATES), name="state_known"),
        CheckConstraint("total_households >= 0", name="total_nonnegative"),
        CheckConstraint(
            "certified_households >= 0 AND certified_households <= total_households",
            name="certified_within_total",
        ),
        Index("ix_projects_district_state", "district_code", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    address: Mapped[str] = mapped_column(String(255), default="")
    developer: Mapped[str] = mapped_column(String(128), default="")
    developer_exists: Mapped[bool | None] = mapped_column(Boolean)
    project_type: Mapped[str | None] = mapped_column(String(16), index=True)
    construction_start_date: Mapped[dt.date | None] = mapped_column(Date)
    completion_date: Mapped[dt.date | None] = mapped_column(Date)
    # The remaining 附件3 facts; their names and types are validated by cases.facts.parse_facts.
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    total_households: Mapped[int] = mapped_column(Integer, default=0)
    certified_households: Mapped[int] = mapped_column(Integer, default=0)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    leader: Mapped[str] = mapped_column(String(64), default="")
    first_registration_date: Mapped[dt.date | None] = mapped_column(Date)  # 首次登记日期
    notes: Mapped[str] = mapped_column(Text, default="")
    # Derived from the defects by cases.progress.project_state, stored so lists can filter on it.
    state: Mapped[str] = mapped_column(String(16), default="unresolved", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    district: Mapped[District] = relationship()
    defects: Mapped[list[Defect]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="Defect.position",
    )

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


defect_cooperation = Table(
    "defect_cooperation",
    db.Model.metadata,
    Column("defect_id", ForeignKey("defects.id", ondelete="CASCADE"), primary_key=True),
    Column("department_code", ForeignKey("departments.code"), primary_key=True, index=True),
)


class Defect(db.Model):
    """One 附件3 problem of a project, routed to its lead department."""

    __tablename__ = "defects"
    __table_args__ = (
        UniqueConstraint("project_id", "type", name="uq_defects_project_type"),
        CheckConstraint(_in_list("type", DEFECT_TYPES), name="type_known"),
        CheckConstraint("path IS NULL OR " + _in_list("path", PATHS), name="path_known"),
        CheckConstraint(
            "engine_path IS NULL OR " + _in_list("engine_path", PATHS), name="engine_path_known"
        ),
        CheckConstraint(_in_list("status", DEFECT_STATUSES), name="status_known"),
        CheckConstraint(
            # COALESCE since a CHECK passes on NULL: a path chosen for a review item needs a reason.
            "override_reason IS NOT NULL OR COALESCE(path, '') = COALESCE(engine_path, '')",
            name="override_has_reason",
        ),
        Index("ix_defects_type_status", "type", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(16))
    # Table order of 附件3 三(一), kept so every list shows defects in the policy's order.
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The path in force: the engine's proposal, or a caseworker's override (with a reason).
    path: Mapped[str | None] = mapped_column(String(48))
    engine_path: Mapped[str | None] = mapped_column(String(48))
    lead_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    needs_government_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    clause: Mapped[str] = mapped_column(String(32))
    extras: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    review_missing: Mapped[list[str]] = mapped_column(JSONType, default=list)
    review_reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    overridden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(24), default="registered", index=True)
    # 交办 time limit and the 一项目一策 plan (时间表、路线图, 附件3 四(二)).
    deadline: Mapped[dt.date | None] = mapped_column(Date, index=True)
    planned_month: Mapped[str | None] = mapped_column(String(7), index=True)
    plan_text: Mapped[str] = mapped_column(Text, default="")
    approval_granted: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_until: Mapped[dt.date | None] = mapped_column(Date)
    status_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    project: Mapped[Project] = relationship(back_populates="defects")
    lead: Mapped[Department] = relationship()
    cooperating: Mapped[list[Department]] = relationship(
        secondary=defect_cooperation, order_by=Department.code
    )

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def in_review(self) -> bool:
        """True while the engine could not decide a path and nobody has chosen one."""
        return self.path is None


class AuditEvent(db.Model):
    """One append-only audit row: who changed what, when, with old and new values."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        # The auditor's search by actor (审计查询, GB/T 22239-2019 8.1.4.3).
        Index("ix_audit_events_actor_name", "actor_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(48), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    # No ON DELETE action: the audit is append-only, so a project with history cannot vanish.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
