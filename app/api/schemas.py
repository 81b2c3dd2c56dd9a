"""JSON in and out of the API: strict parsing that names the bad field, and serialisation."""

from __future__ import annotations

import math
from typing import Any

from app.models import Defect, Project
from app.services.errors import InvalidInput
from app.services.projects import parse_input_facts, project_facts
from cases.facts import facts_to_dict
from cases.taxonomy import DEPARTMENTS, PATHS

TEXT_FIELDS = ("name", "district", "address", "developer", "leader", "notes")
INT_FIELDS = ("total_households", "certified_households")
FLOAT_FIELDS = ("lon", "lat")
BOOL_FIELDS = ("developer_exists",)
WRITABLE = (*TEXT_FIELDS, *INT_FIELDS, *FLOAT_FIELDS, *BOOL_FIELDS, "facts")
SERVER_ASSIGNED = (
    "code",
    "state",
    "version",
    "defects",
    "needs_review",
    "created_at",
    "updated_at",
)


def require_object(body: Any) -> dict[str, Any]:
    """The request body must be a JSON object."""
    if not isinstance(body, dict):
        raise InvalidInput("body", "请求体应为 JSON 对象。")
    return body


def parse_project_fields(body: dict[str, Any], *, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """Type-check the writable fields present in `body`; unknown fields are refused."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in ignore:
            continue
        if key not in WRITABLE:
            raise InvalidInput(key, f"未知字段：{key}")
        if key in TEXT_FIELDS:
            if not isinstance(value, str):
                raise InvalidInput(key, "应为字符串。")
        elif key in INT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(key, "应为整数。")
        elif key in FLOAT_FIELDS:
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                # An int too large for a float would raise OverflowError in isfinite.
                or (isinstance(value, int) and abs(value) > 10**15)
                or not math.isfinite(value)
            ):
                raise InvalidInput(key, "应为数字或 null。")
            value = float(value) if value is not None else None
        elif key in BOOL_FIELDS and value is not None and not isinstance(value, bool):
            raise InvalidInput(key, "应为 true、false 或 null。")
        out[key] = value
    return out


def merged_facts(current: dict[str, Any], patch: Any) -> Any:
    """JSON-merge-patch of the facts object: given keys replace, `null` makes a fact unknown."""
    if not isinstance(patch, dict):
        raise InvalidInput("facts", "facts 应为 JSON 对象。")
    parse_input_facts(patch)  # names the offending key before merging
    merged = dict(current)
    merged.update(patch)
    return parse_input_facts({k: v for k, v in merged.items() if v is not None})


def defect_json(defect: Defect) -> dict[str, Any]:
    """One defect row: the engine's fields plus its status and any override."""
    body: dict[str, Any] = {
        "type": defect.type,
        "path": defect.path,
        "lead": defect.lead_code,
        "cooperating": [d.code for d in defect.cooperating],
        "needs_government_approval": defect.needs_government_approval,
        "clause": defect.clause,
        "explanation": PATHS[defect.path].explanation if defect.path else None,
        "status": defect.status,
        "engine_path": defect.engine_path,
        "override_reason": defect.override_reason,
        "version": defect.version,
    }
    body.update(defect.extras or {})
    return body


def review_json(defect: Defect) -> dict[str, Any]:
    """A defect the engine could not route: what is missing and why."""
    return {
        "type": defect.type,
        "missing": list(defect.review_missing or []),
        "reason": defect.review_reason,
        "lead": defect.lead_code,
        "lead_name": DEPARTMENTS[defect.lead_code].name,
        "clause": defect.clause,
        "status": defect.status,
        "version": defect.version,
    }


def project_json(project: Project) -> dict[str, Any]:
    """A project as contract.md describes it."""
    return {
        "code": project.code,
        "name": project.name,
        "district": project.district_code,
        "address": project.address,
        "developer": project.developer,
        "developer_exists": project.developer_exists,
        "total_households": project.total_households,
        "certified_households": project.certified_households,
        "lon": project.lon,
        "lat": project.lat,
        "leader": project.leader,
        "notes": project.notes,
        "state": project.state,
        "version": project.version,
        "facts": facts_to_dict(project_facts(project)),
        "defects": [defect_json(d) for d in project.defects if d.path is not None],
        "needs_review": [review_json(d) for d in project.defects if d.path is None],
        "created_at": project.created_at.isoformat(),
        "updated_at": project.updated_at.isoformat(),
    }
