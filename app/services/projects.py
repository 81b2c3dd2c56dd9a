"""Project use cases: list, read, create, update, re-classify and override a path."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    CertificateEntry,
    Defect,
    DefectEvent,
    Department,
    DispatchEntry,
    Project,
    User,
    utcnow,
)
from app.scoping import bound_district, can, may_create_in, may_edit, visible_projects
from app.services import audit
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from app.services.geometry import district_at
from cases.classify import Classification, classify
from cases.facts import Facts, FactsError, facts_to_dict, parse_facts
from cases.progress import project_state
from cases.reconcile import CurrentDefect, DefectChange, reconcile
from cases.taxonomy import (
    DEFECT_TYPES,
    DISTRICTS,
    FACT_FIELDS,
    INITIAL_DEFECT_STATUS,
    PATHS,
    PROJECT_STATES,
)
from gis.districts import boundaries_from, validate_lonlat

# Facts kept as columns of `projects` (filters and sorting need them); the rest live in JSON.
COLUMN_FACTS = ("project_type", "construction_start_date", "completion_date")
MAX_TEXT = {"name": 128, "address": 255, "developer": 128, "leader": 64, "notes": 4000}
# No housing project comes near this; it keeps typos (and 32-bit integer overflow) out.
MAX_HOUSEHOLDS = 100_000


@dataclass(frozen=True)
class ProjectInput:
    """Everything a user writes about a project; the form and the API both build one."""

    name: str
    district: str
    address: str = ""
    developer: str = ""
    developer_exists: bool | None = None
    total_households: int = 0
    certified_households: int = 0
    lon: float | None = None
    lat: float | None = None
    leader: str = ""
    notes: str = ""
    facts: Facts = field(default_factory=Facts)


@dataclass(frozen=True)
class ProjectFilters:
    """The list filters offered by the page and the API."""

    district: str | None = None
    type: str | None = None
    lead: str | None = None
    status: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of a list."""

    items: list[Project]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class SaveResult:
    """A saved project and what the engine's re-run changed, for the user to see."""

    project: Project
    changes: tuple[DefectChange, ...]
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------- reading


def project_facts(project: Project) -> Facts:
    """The project's 附件3 facts as the engine's value object."""
    data: dict[str, Any] = dict(project.facts or {})
    data["project_type"] = project.project_type
    for name in ("construction_start_date", "completion_date"):
        value = getattr(project, name)
        data[name] = value.isoformat() if value else None
    return parse_facts(data)


def project_input(project: Project) -> ProjectInput:
    """The writable state of a project, as the starting point of an edit."""
    return ProjectInput(
        name=project.name,
        district=project.district_code,
        address=project.address,
        developer=project.developer,
        developer_exists=project.developer_exists,
        total_households=project.total_households,
        certified_households=project.certified_households,
        lon=project.lon,
        lat=project.lat,
        leader=project.leader,
        notes=project.notes,
        facts=project_facts(project),
    )


def validate_filters(filters: ProjectFilters) -> None:
    """Refuse a filter value that is not a known code."""
    checks = {
        "district": DISTRICTS,
        "type": DEFECT_TYPES,
        "status": PROJECT_STATES,
    }
    for name, known in checks.items():
        value = getattr(filters, name)
        if value and value not in known:
            raise InvalidInput(name, f"未知的筛选值：{value}")
    if filters.lead and db.session.get(Department, filters.lead) is None:
        raise InvalidInput("lead", f"未知的牵头部门：{filters.lead}")


def filtered_projects(user: User, filters: ProjectFilters) -> Select[tuple[Project]]:
    """The scoped, filtered query behind the list, the API and (later) the map and exports."""
    validate_filters(filters)
    stmt = visible_projects(user)
    if filters.district:
        stmt = stmt.where(Project.district_code == filters.district)
    if filters.status:
        stmt = stmt.where(Project.state == filters.status)
    if filters.type or filters.lead:
        defect = select(Defect.id).where(Defect.project_id == Project.id)
        if filters.type:
            defect = defect.where(Defect.type == filters.type)
        if filters.lead:
            defect = defect.where(Defect.lead_code == filters.lead)
        stmt = stmt.where(defect.exists())
    if filters.q:
        pattern = "%" + filters.q.strip().replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(
            or_(
                Project.code.ilike(pattern, escape="\\"),
                Project.name.ilike(pattern, escape="\\"),
                Project.address.ilike(pattern, escape="\\"),
                Project.developer.ilike(pattern, escape="\\"),
            )
        )
    return stmt


def list_projects(user: User, filters: ProjectFilters, page: int, per_page: int) -> Page:
    """A page of the projects the user may see, with their defects loaded in constant queries."""
    stmt = filtered_projects(user, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    rows = db.session.scalars(
        stmt.options(
            selectinload(Project.district),
            selectinload(Project.defects).selectinload(Defect.cooperating),
        )
        .order_by(Project.code)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(rows), total=total, page=page, per_page=per_page)


def get_project(user: User, code: str) -> Project:
    """One project by code, if the user may see it."""
    project = db.session.scalars(
        visible_projects(user)
        .where(Project.code == code)
        .options(selectinload(Project.defects).selectinload(Defect.cooperating))
    ).first()
    if project is None:
        raise NotFound("没有找到该项目。")
    return project


# ---------------------------------------------------------------- writing


def _check_text(name: str, value: str, *, required: bool = False) -> None:
    if required and not value.strip():
        raise InvalidInput(name, "此项为必填项。")
    if len(value) > MAX_TEXT[name]:
        raise InvalidInput(name, f"长度不能超过 {MAX_TEXT[name]} 个字符。")


def validate_input(data: ProjectInput, today: dt.date) -> list[str]:
    """Refuse an impossible project; return warnings that do not block saving."""
    _check_text("name", data.name, required=True)
    for name in ("address", "developer", "leader", "notes"):
        _check_text(name, getattr(data, name))
    if data.district not in DISTRICTS:
        raise InvalidInput("district", "请选择所属县区。")
    if data.total_households < 0:
        raise InvalidInput("total_households", "总户数不能为负数。")
    if data.certified_households < 0:
        raise InvalidInput("certified_households", "已办证户数不能为负数。")
    if data.total_households > MAX_HOUSEHOLDS:
        raise InvalidInput("total_households", f"总户数过大，请核对（上限 {MAX_HOUSEHOLDS} 户）。")
    if data.certified_households > data.total_households:
        raise InvalidInput("certified_households", "已办证户数不能大于总户数。")
    facts = data.facts
    for name in ("construction_start_date", "completion_date"):
        value = getattr(facts, name)
        if value is not None and value > today:
            # Named like parse_input_facts names facts, so the form shows it next to the field.
            raise InvalidInput(f"facts.{name}", "日期不能晚于今天。")
    start, done = facts.construction_start_date, facts.completion_date
    if start and done and done < start:
        raise InvalidInput("facts.completion_date", "建成日期不能早于开工日期。")
    warnings: list[str] = []
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput("lon" if data.lon is None else "lat", "经度和纬度须同时填写。")
    if data.lon is not None and data.lat is not None:
        problem = validate_lonlat(data.lon, data.lat)
        if problem:
            raise InvalidInput("lon", problem)
        boundaries = boundaries_from(current_app.config["DISTRICT_BOUNDARIES"])
        adcode = boundaries.locate(data.lon, data.lat)
        if adcode is None:
            raise InvalidInput("lon", "坐标不在石嘴山市范围内，请核对经纬度（WGS84）。")
        if adcode != DISTRICTS[data.district].adcode:
            located = next(d.name for d in DISTRICTS.values() if d.adcode == adcode)
            warnings.append(
                f"坐标位于{located}，与所选县区{DISTRICTS[data.district].name}不一致，请核对。"
            )
    return warnings


def assign_fields(project: Project, data: ProjectInput) -> dict[str, Any]:
    """Copy input onto the row; return {field: [old, new]} for the audit."""
    facts = facts_to_dict(data.facts)
    values: dict[str, Any] = {
        "name": data.name.strip(),
        "district_code": data.district,
        "address": data.address.strip(),
        "developer": data.developer.strip(),
        "developer_exists": data.developer_exists,
        "total_households": data.total_households,
        "certified_households": data.certified_households,
        "lon": data.lon,
        "lat": data.lat,
        "leader": data.leader.strip(),
        "notes": data.notes.strip(),
        "project_type": data.facts.project_type,
        "construction_start_date": data.facts.construction_start_date,
        "completion_date": data.facts.completion_date,
        "facts": {k: v for k, v in facts.items() if k not in COLUMN_FACTS},
    }
    changed: dict[str, Any] = {}
    for name, new in values.items():
        old = getattr(project, name, None)
        if old != new:
            changed[name] = [_jsonable(old), _jsonable(new)]
            setattr(project, name, new)
    return changed


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _department_map() -> dict[str, Department]:
    """All departments (ten rows), loaded once per use case instead of once per defect."""
    return {d.code: d for d in db.session.scalars(select(Department))}


def apply_classification(
    project: Project,
    result: Classification,
    departments: Mapping[str, Department] | None = None,
) -> tuple[DefectChange, ...]:
    """Bring the project's defect rows in line with the engine, keeping caseworker overrides.

    `departments` (code -> row) spares a bulk caller (the 台账 import) one query per project.
    """
    departments = departments if departments is not None else _department_map()
    existing = {d.type: d for d in project.defects}
    current = [
        CurrentDefect(
            type=d.type,
            path=d.engine_path,
            overridden=d.override_reason is not None,
            status=d.status,
        )
        for d in project.defects
    ]
    changes = reconcile(current, result)
    proposed = {d.type: d for d in result.defects}
    reviews = {r.type: r for r in result.needs_review}
    order = list(DEFECT_TYPES)
    for change in changes:
        row = existing.get(change.type)
        if change.kind != "removed" or row is None:
            continue
        if row.status == INITIAL_DEFECT_STATUS and _in_dispatch(row):
            # A 每月调度 round lists it: its lines there must keep pointing at it.
            row.review_reason = (
                "按现有事实，引擎已不再认定此问题；该问题已列入每月调度，请审核后处理。"
            )
        elif row.status == INITIAL_DEFECT_STATUS:
            project.defects.remove(row)
        else:
            # Work already under way keeps its history; the caseworker decides its 销号.
            row.review_reason = "按现有事实，引擎已不再认定此问题；该问题已在办理中，请审核后销号。"
    for type_code in order:
        if type_code not in proposed and type_code not in reviews:
            continue
        spec = DEFECT_TYPES[type_code]
        row = existing.get(type_code)
        if row is None:
            row = Defect(
                type=type_code, status=INITIAL_DEFECT_STATUS, position=order.index(type_code)
            )
            project.defects.append(row)
        defect = proposed.get(type_code)
        overridden = row.override_reason is not None
        if defect is not None:
            row.engine_path = defect.path
            row.review_missing = []
            row.review_reason = None
            if not overridden:
                row.path = defect.path
                row.lead = departments[defect.lead]
                row.cooperating = [departments[c] for c in defect.cooperating]
                row.needs_government_approval = defect.needs_government_approval
                row.extras = {
                    k: v for k, v in defect.to_dict().items() if k in _EXTRA_KEYS and v is not None
                }
            row.clause = defect.clause
        else:
            review = reviews[type_code]
            row.engine_path = None
            row.review_missing = list(review.missing)
            row.review_reason = review.reason
            row.clause = spec.clause
            if not overridden:
                row.path = None
                row.lead = departments[spec.lead]
                row.cooperating = [departments[c] for c in spec.cooperating]
                row.needs_government_approval = False
                row.extras = {}
    project.state = project_state([d.status for d in project.defects])
    return changes


_EXTRA_KEYS = frozenset(
    {
        "appraisal_base_date",
        "tax_basis",
        "pursue_land_premium",
        "developer_commitment_required",
        "units",
    }
)


def _in_dispatch(defect: Defect) -> bool:
    """True when a 每月调度 round has an entry for the defect."""
    if defect.id is None:
        return False
    found = db.session.scalar(
        select(DispatchEntry.id).where(DispatchEntry.defect_id == defect.id).limit(1)
    )
    return found is not None


def next_project_code(district: str) -> str:
    """The next stable code of a district, e.g. DWK-0042."""
    prefix = DISTRICTS[district].prefix + "-"
    codes = db.session.scalars(select(Project.code).where(Project.code.startswith(prefix))).all()
    numbers = [int(m.group(1)) for c in codes if (m := re.fullmatch(r"[A-Z]+-(\d+)", c))]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def record_new_defects(
    project: Project, actor: User | None, *, at: dt.datetime | None = None
) -> None:
    """A 'register' history row for each defect that has none yet (新登记, 待交办)."""
    from app.services.workflow import record_event

    known = set(
        db.session.scalars(
            select(DefectEvent.defect_id).where(DefectEvent.project_id == project.id)
        )
    )
    for defect in project.defects:
        if defect.id not in known:
            record_event(defect, "register", None, actor, {"path": defect.path}, at=at)


def record_registration(
    project: Project, actor: User | None, today: dt.date, *, at: dt.datetime | None = None
) -> None:
    """History of a newly stored project: its defects registered, certificates already issued."""
    record_new_defects(project, actor, at=at)
    if project.certified_households:
        db.session.add(
            CertificateEntry(
                project=project,
                entry_date=today,
                households=project.certified_households,
                kind="baseline",
                note="登记项目时已办证户数",
                created_by_id=actor.id if actor else None,
            )
        )


def create_project(user: User, data: ProjectInput, today: dt.date) -> SaveResult:
    """Register a project, classify it, audit it, commit."""
    if not data.district and data.lon is not None and data.lat is not None:
        # No district given but a location: the district is the one the point lies in.
        data = dataclasses.replace(data, district=district_at(data.lon, data.lat) or "")
    if not may_create_in(user, data.district):
        raise Forbidden("您不能在该县区登记项目。")
    warnings = validate_input(data, today)
    project = Project(code=next_project_code(data.district), state="unresolved", facts={})
    assign_fields(project, data)
    db.session.add(project)
    changes = apply_classification(project, classify(data.facts))
    db.session.flush()
    record_registration(project, user, today)
    audit.record(
        user,
        "project.create",
        "project",
        project.code,
        project_id=project.id,
        changes={"fields": project_snapshot(project), "defects": [c.message for c in changes]},
    )
    db.session.commit()
    return SaveResult(project, changes, tuple(warnings))


def update_project(
    user: User, code: str, data: ProjectInput, expected_version: int, today: dt.date
) -> SaveResult:
    """Save an edit if nobody else saved first; re-run the engine and report what changed."""
    project = get_project(user, code)
    if not may_edit(user, project):
        raise Forbidden("您不能修改该项目。")
    if project.version != expected_version:
        raise StaleVersion(project.version, project_snapshot(project))
    if bound_district(user) and data.district != project.district_code:
        raise InvalidInput("district", "县区用户不能把项目移到其他县区。")
    warnings = validate_input(data, today)
    changed = assign_fields(project, data)
    changes: tuple[DefectChange, ...] = ()
    if any(k in changed for k in ("facts", *COLUMN_FACTS)):
        changes = apply_classification(project, classify(data.facts))
        db.session.flush()
        record_new_defects(project, user)
    if "certified_households" in changed:
        before, after = changed["certified_households"]
        db.session.add(
            CertificateEntry(
                project=project,
                entry_date=today,
                households=after - before,
                kind="correction",
                note="编辑项目时更正已办证户数",
                created_by_id=user.id,
            )
        )
    if changed or changes:
        project.updated_at = utcnow()
        audit.record(
            user,
            "project.update",
            "project",
            project.code,
            project_id=project.id,
            changes={"fields": changed, "defects": [c.message for c in changes]},
        )
    db.session.commit()
    return SaveResult(project, changes, tuple(warnings))


def override_path(
    user: User,
    code: str,
    defect_type: str,
    path: str,
    reason: str,
    expected_version: int,
) -> Defect:
    """A caseworker corrects the engine's path with a written reason, which is kept."""
    if not can(user, "defects.override"):
        raise Forbidden("只有自然资源局经办人可以调整化解路径。")
    project = get_project(user, code)
    row = next((d for d in project.defects if d.type == defect_type), None)
    if row is None:
        raise NotFound("该项目没有此类问题。")
    if row.version != expected_version:
        raise StaleVersion(row.version)
    spec = DEFECT_TYPES[defect_type]
    if path not in spec.paths:
        raise InvalidInput("path", "该路径不属于此类问题。")
    reason = reason.strip()
    if len(reason) < 4:
        raise InvalidInput("reason", "请写明调整理由（至少 4 个字）。")
    path_spec = PATHS[path]
    old = {"path": row.path, "override_reason": row.override_reason}
    row.path = path
    row.override_reason = reason
    row.overridden_by_id = user.id
    row.overridden_at = utcnow()
    row.needs_government_approval = path_spec.needs_government_approval
    row.extras = dict(path_spec.fixed_extras)
    departments = _department_map()
    row.lead = departments[spec.lead]
    row.cooperating = [departments[c] for c in (*spec.cooperating, *path_spec.extra_cooperating)]
    audit.record(
        user,
        "defect.override",
        "defect",
        f"{project.code}/{defect_type}",
        project_id=project.id,
        changes={"path": [old["path"], path], "override_reason": [old["override_reason"], reason]},
    )
    db.session.commit()
    return row


def input_snapshot(data: ProjectInput) -> dict[str, Any]:
    """Writable fields as plain JSON values (audit and conflict pages)."""
    snapshot = dataclasses.asdict(data)
    snapshot["facts"] = facts_to_dict(data.facts)
    return snapshot


def project_snapshot(project: Project) -> dict[str, Any]:
    """The project's writable fields as plain JSON values."""
    return input_snapshot(project_input(project))


FIELD_LABELS: dict[str, str] = {
    "name": "项目名称",
    "district": "所属县区",
    "address": "街道/地址",
    "developer": "开发建设单位",
    "developer_exists": "开发建设单位是否存续",
    "total_households": "总户数",
    "certified_households": "已办证户数",
    "lon": "经度",
    "lat": "纬度",
    "leader": "包抓领导",
    "notes": "备注",
}


def conflict_diff(mine: dict[str, Any], theirs: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Fields where the submitted edit and the saved record differ: (label, mine, saved)."""
    rows: list[tuple[str, Any, Any]] = []
    for name, label in FIELD_LABELS.items():
        if mine.get(name) != theirs.get(name):
            rows.append((label, mine.get(name), theirs.get(name)))
    my_facts, their_facts = mine.get("facts", {}), theirs.get("facts", {})
    for spec in FACT_FIELDS:
        if my_facts.get(spec.name) != their_facts.get(spec.name):
            rows.append((spec.label, my_facts.get(spec.name), their_facts.get(spec.name)))
    return rows


def parse_input_facts(raw: Any) -> Facts:
    """Parse facts from user input, naming the offending field on refusal."""
    try:
        return parse_facts(raw)
    except FactsError as exc:
        raise InvalidInput(f"facts.{exc.field}" if exc.field else "facts", exc.message) from exc


def merge_input(current: ProjectInput, changes: dict[str, Any]) -> ProjectInput:
    """Apply a partial update (API PATCH) on top of the current state."""
    return dataclasses.replace(current, **changes)


__all__ = [
    "Page",
    "ProjectFilters",
    "ProjectInput",
    "SaveResult",
    "apply_classification",
    "conflict_diff",
    "create_project",
    "filtered_projects",
    "get_project",
    "input_snapshot",
    "list_projects",
    "override_path",
    "parse_input_facts",
    "project_facts",
    "project_input",
    "update_project",
]
