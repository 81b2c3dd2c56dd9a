"""Chinese labels for templates, all taken from the `cases` taxonomy."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context

from app.models import ROLES
from cases import taxonomy, workflow

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

ACTION_LABELS: dict[str, str] = {
    "register": "登记问题",
    "plan": "更新化解计划",
    **{code: t.label for code, t in workflow.TRANSITIONS.items()},
}
AUDIT_LABELS: dict[str, str] = {
    "project.create": "登记项目",
    "project.update": "修改项目",
    "project.certificates": "登记办证数",
    "defect.override": "调整化解路径",
    "defect.plan": "更新化解计划",
    **{f"defect.{code}": t.label for code, t in workflow.TRANSITIONS.items()},
    "dispatch.open": "开启每月调度",
    "dispatch.entry": "调度填报",
    "dispatch.close": "关闭每月调度",
    "ledger.import": "导入台账",
    "ledger.export": "导出台账",
    "report.generate": "生成报告",
    "report_text.update": "修改报告文字",
    "report_text.reset": "恢复默认报告文字",
}
FIELD_NAMES: dict[str, str] = {
    "name": "项目名称",
    "body": "报告文字",
    "format": "格式",
    "district": "县区",
    "district_code": "县区",
    "address": "地址",
    "developer": "开发建设单位",
    "developer_exists": "开发单位存续",
    "total_households": "总户数",
    "certified_households": "已办证户数",
    "lon": "经度",
    "lat": "纬度",
    "leader": "包抓领导",
    "notes": "备注",
    "project_type": "项目类型",
    "construction_start_date": "开工日期",
    "completion_date": "建成日期",
    "facts": "附件3事实",
    "status": "状态",
    "path": "化解路径",
    "override_reason": "调整理由",
    "plan_text": "化解计划",
    "planned_month": "计划完成月份",
    "delay_reason": "延期原因",
    "first_registration_date": "首次登记日期",
    "ledger": "导入的台账文件（SHA-256）",
    "progress": "本月进展",
    "blocker": "堵点",
    "next_step": "下一步措施",
    "time_limit": "完成时限",
    "escalate": "提级督办",
    "reported_status": "填报时状态",
    "action": "同时办理",
    "attachments": "附件",
}


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
        "ACTION_LABELS": ACTION_LABELS,
        "INPUT_LABELS": workflow.INPUT_LABELS,
        "AUDIT_LABELS": AUDIT_LABELS,
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


@pass_context  # keeps Jinja from folding the constant test once, at compile time
def has_capability(_context: object, capability: str) -> bool:
    """Jinja test `'projects.create' is capability`: may the signed-in user do this?"""
    from flask_login import current_user

    from app.scoping import can

    return can(current_user, capability)


def _value(value: object) -> str:
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return f"{len(value)} 项"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "无"
    text = str(value)
    if text in taxonomy.DEFECT_STATUSES:
        return taxonomy.DEFECT_STATUSES[text]
    if text in taxonomy.PATHS:
        return taxonomy.PATHS[text].name
    if text in workflow.TRANSITIONS:  # the action taken with a 调度填报
        return workflow.TRANSITIONS[text].label
    return text if len(text) <= 60 else text[:60] + "…"


def audit_summary(changes: dict[str, object]) -> str:
    """A one-line Chinese summary of an audit row's changes."""
    parts: list[str] = []
    items = changes.get("fields") if isinstance(changes.get("fields"), dict) else changes
    assert isinstance(items, dict)
    for key, value in items.items():
        label = FIELD_NAMES.get(key, workflow.INPUT_LABELS.get(key, key))
        if isinstance(value, list) and len(value) == 2 and key != "attachments":
            parts.append(f"{label}：{_value(value[0])} → {_value(value[1])}")
        else:
            parts.append(f"{label}：{_value(value)}")
    defects = changes.get("defects")
    if isinstance(defects, list) and defects and items is not changes:
        parts.extend(str(d) for d in defects)
    return "；".join(parts)
