"""Chinese labels for templates, all taken from the `cases` taxonomy."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from app.models import ROLES
from cases import taxonomy

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def template_context() -> dict[str, Any]:
    """Names every template may use to turn codes into Chinese."""
    return {
        "DEFECT_TYPES": taxonomy.DEFECT_TYPES,
        "PATHS": taxonomy.PATHS,
        "DEPARTMENTS": taxonomy.DEPARTMENTS,
        "PROJECT_TYPES": taxonomy.PROJECT_TYPES,
        "INVOICE_OBSTACLES": taxonomy.INVOICE_OBSTACLES,
        "DISTRICTS": taxonomy.DISTRICTS,
        "DEFECT_STATUSES": taxonomy.DEFECT_STATUSES,
        "PROJECT_STATES": taxonomy.PROJECT_STATES,
        "FACT_FIELDS": taxonomy.FACT_FIELDS,
        "FACT_LABELS": {f.name: f.label for f in taxonomy.FACT_FIELDS},
        "ROLES": ROLES,
    }


def fmt_bool(value: bool | None) -> str:
    """是 / 否 / 不详 for a tri-state fact."""
    if value is None:
        return "不详"
    return "是" if value else "否"


def fmt_datetime(value: dt.datetime | None) -> str:
    """A UTC timestamp shown in Beijing time, the users' clock."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def has_capability(capability: str) -> bool:
    """Jinja test `'projects.create' is capability`: may the signed-in user do this?"""
    from flask_login import current_user

    from app.scoping import can

    return can(current_user, capability)
