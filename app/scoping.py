"""Who may see and do what: the one place every query and action goes through.

Visibility is applied to queries (`scope_projects`), so a record outside a user's scope is simply
not found (404), which does not reveal that it exists. Actions are capabilities per role, narrowed
by the user's district or department binding.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, exists, false, or_, select

from app.models import Defect, Project, User, defect_cooperation

T = TypeVar("T", bound=tuple[object, ...])

# Capabilities per role; a binding (district/department) narrows them to the user's own records.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    "admin": frozenset({"users.manage"}),
    "caseworker": frozenset(
        {"projects.view", "projects.create", "projects.edit", "defects.override", "api.classify"}
    ),
    "district": frozenset({"projects.view", "projects.create", "projects.edit", "api.classify"}),
    "department": frozenset({"projects.view", "api.classify"}),
    "leader": frozenset({"projects.view", "api.classify"}),
    "auditor": frozenset({"audit.view"}),
}


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


def district_choices_for(user: User) -> list[str]:
    """District codes a user may pick in a form."""
    from cases.taxonomy import DISTRICTS

    if user.role == "district" and user.district_code:
        return [user.district_code]
    return list(DISTRICTS)
