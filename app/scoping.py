"""Who may see and do what: the one place every query and action goes through.

Visibility is applied to queries (`scope_projects`), so a record outside a user's scope is simply
not found (404), which does not reveal that it exists. Actions are capabilities per role, narrowed
by the user's district or department binding.

Three levels, all decided here (GB/T 22239-2019 8.1.4.2 访问控制):

1. **Capability** (`can`): what a role may do at all (`ROLE_CAPABILITIES`). A missing capability
   is a 403. 三权分立: `admin` holds only account capabilities (no `projects.view`, no
   `audit.view`), `auditor` only the audit's; nobody holds a capability that alters the audit.
2. **Record** (`scope_projects` and friends): which rows the user sees; out of scope is a 404.
3. **Field** (`FIELD_CAPABILITIES`, `writable_fields`): which fields of a record the user may
   change. A project's facts need `projects.edit` (自然资源局, or the project's own district); a
   defect's progress (status, plan, deadline, evidence) needs `defects.progress` and a relation to
   the defect (caseworker, the lead department, the project's district: `may_progress_defect`,
   which mirrors `cases.workflow.actor_kinds`); its path needs `defects.override`. So a
   department updates its defects' progress and never a project's facts.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, exists, false, or_, select

from app.models import (
    Complaint,
    Defect,
    DispatchEntry,
    Project,
    PromptSheet,
    User,
    defect_cooperation,
)
from cases.workflow import Actor, DefectSnapshot, actor_kinds

T = TypeVar("T", bound=tuple[object, ...])

# Capabilities per role; a binding (district/department) narrows them to the user's own records.
CORE_CAPABILITIES: dict[str, frozenset[str]] = {
    # 系统管理员: accounts only (and their tokens); reads no project, no audit.
    "admin": frozenset({"users.manage", "tokens.manage"}),
    "caseworker": frozenset(
        {
            "projects.view",
            "projects.create",
            "projects.edit",
            "defects.override",
            "defects.progress",
            "api.classify",
        }
    ),
    "district": frozenset(
        {"projects.view", "projects.create", "projects.edit", "defects.progress", "api.classify"}
    ),
    "department": frozenset({"projects.view", "defects.progress", "api.classify"}),
    "leader": frozenset({"projects.view", "api.classify"}),
    # 审计管理员: reads and exports the audit, changes nothing else.
    "auditor": frozenset({"audit.view", "audit.export"}),
}

# 群众诉求 and 工作办理提示建议单 (附件3 三(一)8: 市自然资源局牵头, 各辖区政府按职责分工负责).
# The 自然资源局 caseworker records, answers and issues; a district government records and answers
# its own district's complaints and replies to sheets addressed to 各县区人民政府 about it; a
# department sees the complaints on its projects and replies to the sheets addressed to it;
# leaders read. Only the caseworker may reveal a complainant's personal data (each reveal audited).
INTAKE_CAPABILITIES: dict[str, frozenset[str]] = {
    "caseworker": frozenset(
        {
            "complaints.view",
            "complaints.create",
            "complaints.handle",
            "prompts.view",
            "prompts.issue",
            "prompts.reply",
            "pii.reveal",
        }
    ),
    "district": frozenset(
        {
            "complaints.view",
            "complaints.create",
            "complaints.handle",
            "prompts.view",
            "prompts.reply",
        }
    ),
    "department": frozenset({"complaints.view", "prompts.view", "prompts.reply"}),
    "leader": frozenset({"complaints.view", "prompts.view"}),
}

# 每月调度 (附件3 四(二)): the 自然资源局 caseworker opens and closes the rounds and may fill any
# entry; a department fills the entries it leads, a district government those of its district;
# leaders read every entry and the ranking.
DISPATCH_CAPABILITIES: dict[str, frozenset[str]] = {
    "caseworker": frozenset(
        {"dispatch.view", "dispatch.report", "dispatch.manage", "dispatch.rank"}
    ),
    "district": frozenset({"dispatch.view", "dispatch.report"}),
    "department": frozenset({"dispatch.view", "dispatch.report"}),
    "leader": frozenset({"dispatch.view", "dispatch.rank"}),
}

# 工作看板 and the written reports (附件3 四(二)): the dashboard needs only `projects.view` (its
# figures come from the viewer's scoped projects). The quarterly report is drawn up by the
# 自然资源局 caseworker, read by leaders, and a district government may draw its own district's;
# only the caseworker edits the report wording. The 调度通报 goes with `dispatch.rank`.
REPORT_CAPABILITIES: dict[str, frozenset[str]] = {
    "caseworker": frozenset({"reports.view", "reports.texts"}),
    "district": frozenset({"reports.view"}),
    "leader": frozenset({"reports.view"}),
}

# The Excel 台账 (docs/ledger.md): the 自然资源局 caseworker and a district government take it out
# and bring it back in, a district only its own district's rows (`may_create_in`, `may_edit`);
# leaders take it out only. What is exported is what the user may see (`visible_projects`).
LEDGER_CAPABILITIES: dict[str, frozenset[str]] = {
    "caseworker": frozenset({"ledger.export", "ledger.import"}),
    "district": frozenset({"ledger.export", "ledger.import"}),
    "leader": frozenset({"ledger.export"}),
}


def _combine(*tables: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """One role → capabilities table from the per-feature tables above."""
    roles = list(dict.fromkeys(role for table in tables for role in table))
    return {
        role: frozenset().union(*(table.get(role, frozenset()) for table in tables))
        for role in roles
    }


# Every capability of every role, in one place: `can` reads only this.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = _combine(
    CORE_CAPABILITIES,
    INTAKE_CAPABILITIES,
    DISPATCH_CAPABILITIES,
    REPORT_CAPABILITIES,
    LEDGER_CAPABILITIES,
)


def can(user: User | None, capability: str) -> bool:
    """True when the user's role carries the capability (before record-level narrowing)."""
    if user is None or not user.is_authenticated:
        return False
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def department_touches(department_code: str):  # noqa: ANN201
    """SQL condition: the project has a defect led by, or cooperated on by, the department."""
    led = exists().where(Defect.project_id == Project.id, Defect.lead_code == department_code)
    cooperates = exists().where(
        Defect.project_id == Project.id,
        defect_cooperation.c.defect_id == Defect.id,
        defect_cooperation.c.department_code == department_code,
    )
    return or_(led, cooperates)


def scope_projects(stmt: Select[T], user: User) -> Select[T]:
    """Narrow a query over `Project` to the projects `user` may see."""
    if not can(user, "projects.view"):
        return stmt.where(false())
    if user.role == "district":
        return stmt.where(Project.district_code == user.district_code)
    if user.role == "department":
        assert user.department_code is not None  # enforced by a check constraint
        return stmt.where(department_touches(user.department_code))
    return stmt


def visible_projects(user: User) -> Select[tuple[Project]]:
    """`SELECT projects` already narrowed to the user's scope."""
    return scope_projects(select(Project), user)


def may_create_in(user: User, district_code: str) -> bool:
    """A district user creates projects only in its own district."""
    if not can(user, "projects.create"):
        return False
    return user.role != "district" or user.district_code == district_code


def may_edit(user: User, project: Project) -> bool:
    """Facts are edited by 自然资源局 caseworkers and by the project's own district."""
    if not can(user, "projects.edit"):
        return False
    return user.role != "district" or user.district_code == project.district_code


# Field-level rules: which capability a change to each group of fields needs. The project's
# facts are everything on the project form and in the API's PATCH; a defect's progress is what
# the workflow actions and the plan change; its path and lead come from the engine or an override.
FIELD_CAPABILITIES: dict[str, dict[str, str]] = {
    "project": {
        "facts": "projects.edit",
        "certificates": "projects.edit",
    },
    "defect": {
        "status": "defects.progress",
        "plan": "defects.progress",
        "deadline": "defects.progress",
        "evidence": "defects.progress",
        "path": "defects.override",
    },
}


def actor_of(user: User) -> Actor:
    """The domain's view of an account."""
    return Actor(role=user.role, district=user.district_code, department=user.department_code)


def snapshot_of(defect: Defect) -> DefectSnapshot:
    """The domain's view of a defect row."""
    return DefectSnapshot(
        status=defect.status,
        path=defect.path,
        lead=defect.lead_code,
        project_district=defect.project.district_code,
        needs_government_approval=defect.needs_government_approval,
        approval_granted=defect.approval_granted,
    )


def may_progress_defect(user: User, defect: Defect) -> bool:
    """Progress on a defect: a caseworker, its lead department, or its project's district.

    Who stands in which relation to a defect is the domain's rule (`cases.workflow.actor_kinds`);
    this only adds the role capability on top, so the two can never disagree.
    """
    if not can(user, "defects.progress"):
        return False
    return bool(actor_kinds(snapshot_of(defect), actor_of(user)))


def writable_fields(user: User, record: Project | Defect) -> frozenset[str]:
    """The field groups of `FIELD_CAPABILITIES` the user may change on this (visible) record."""
    if isinstance(record, Project):
        allowed = may_edit(user, record)
        return frozenset(f for f in FIELD_CAPABILITIES["project"] if allowed)
    groups = FIELD_CAPABILITIES["defect"]
    return frozenset(
        field
        for field, capability in groups.items()
        if (capability == "defects.progress" and may_progress_defect(user, record))
        or (capability != "defects.progress" and can(user, capability))
    )


def bound_district(user: User | None) -> str | None:
    """The one district a user is confined to (a 县区 account), or None when not confined."""
    if user is not None and user.role == "district" and user.district_code:
        return user.district_code
    return None


def district_choices_for(user: User) -> list[str]:
    """District codes a user may pick in a form."""
    from cases.taxonomy import DISTRICTS

    if user.role == "district" and user.district_code:
        return [user.district_code]
    return list(DISTRICTS)


# ---------------------------------------------------------------- 群众诉求, 提示建议单


def scope_complaints(stmt: Select[T], user: User) -> Select[T]:
    """Narrow a query over `Complaint`: a district its own, a department those on its projects."""
    if not can(user, "complaints.view"):
        return stmt.where(false())
    if user.role == "district":
        return stmt.where(Complaint.district_code == user.district_code)
    if user.role == "department":
        return stmt.where(
            Complaint.project_id.in_(visible_projects(user).with_only_columns(Project.id))
        )
    return stmt


def visible_complaints(user: User) -> Select[tuple[Complaint]]:
    """`SELECT complaints` already narrowed to the user's scope."""
    return scope_complaints(select(Complaint), user)


def may_record_complaint_in(user: User, district_code: str) -> bool:
    """A district government records the complaints of its own district only."""
    if not can(user, "complaints.create"):
        return False
    return user.role != "district" or user.district_code == district_code


def may_handle_complaint(user: User, complaint: Complaint) -> bool:
    """Link, answer, attach: the caseworker, or the government of the complaint's district."""
    if not can(user, "complaints.handle"):
        return False
    return user.role != "district" or user.district_code == complaint.district_code


def scope_prompt_sheets(stmt: Select[T], user: User) -> Select[T]:
    """Narrow a query over `PromptSheet`: a department its own, a district those about it."""
    if not can(user, "prompts.view"):
        return stmt.where(false())
    if user.role == "department":
        return stmt.where(PromptSheet.department_code == user.department_code)
    if user.role == "district":
        return stmt.where(PromptSheet.district_code == user.district_code)
    return stmt


def visible_prompt_sheets(user: User) -> Select[tuple[PromptSheet]]:
    """`SELECT prompt_sheets` already narrowed to the user's scope."""
    return scope_prompt_sheets(select(PromptSheet), user)


def may_reply_prompt(user: User, sheet: PromptSheet) -> bool:
    """The addressed department (各县区人民政府: the sheet's district) or a caseworker replies."""
    if not can(user, "prompts.reply"):
        return False
    if user.role == "department":
        return user.department_code == sheet.department_code
    if user.role == "district":
        return (
            sheet.department_code == "district_government"
            and sheet.district_code == user.district_code
        )
    return True


# ---------------------------------------------------------------- 每月调度


def scope_dispatch_entries(stmt: Select[T], user: User) -> Select[T]:
    """Narrow a query over `DispatchEntry`: a department the entries it leads, a district those
    of its district (as snapshot when the round opened); caseworkers and leaders see all."""
    if not can(user, "dispatch.view"):
        return stmt.where(false())
    if user.role == "district":
        return stmt.where(DispatchEntry.district_code == user.district_code)
    if user.role == "department":
        return stmt.where(DispatchEntry.lead_code == user.department_code)
    return stmt


def may_report_dispatch(user: User, entry: DispatchEntry) -> bool:
    """An entry is filled by its lead department, its project's district or a caseworker."""
    if not can(user, "dispatch.report"):
        return False
    if user.role == "department":
        return user.department_code == entry.lead_code
    if user.role == "district":
        return user.district_code == entry.district_code
    return True
