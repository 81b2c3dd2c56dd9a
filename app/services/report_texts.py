"""The words around the numbers: Jinja2 text templates that a caseworker may edit.

The shipped wording lives in `templates/reports/<kind>/<name>.txt`; a caseworker's edit is stored
in `report_texts` (audited) and wins over the file until reset. Templates run in Jinja's sandbox
with strict undefined variables, and may not contain a typed number: every figure must be a
variable (`{{ 项目数 }}`), so a report can never carry a number that the system did not compute.
Only the policy's own citations (附件3, 石政发〔2024〕11号, 三(一)1 …) are exempt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from sqlalchemy import select

from app.extensions import db
from app.models import REPORT_KINDS, ReportText, User
from app.scoping import can
from app.services import audit
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion

TEMPLATE_ROOT = Path(__file__).resolve().parents[2] / "templates" / "reports"
MAX_LENGTH = 8000

# name -> Chinese label, in document order.
TEXTS: Mapping[str, Mapping[str, str]] = {
    "quarterly": {
        "opening": "开头语",
        "overall": "一、总体进展",
        "types": "二、分类化解情况",
        "districts": "三、分县区推进情况",
        "departments": "四、牵头部门履职情况",
        "problems": "五、存在的问题",
        "next_steps": "六、下一步工作",
    },
    "dispatch": {
        "opening": "开头语",
        "overall": "一、总体情况",
        "districts": "二、县区排名",
        "departments": "三、牵头部门排名",
        "overdue": "四、逾期及提级督办事项",
        "requirements": "五、有关要求",
    },
}

_TAGS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
# Citations of the policy may carry digits; nothing else typed by hand may.
_CITATIONS = re.compile(
    r"附件\s*\d+|石政发〔\d{4}〕\d+号|[一二三四五六七八九十]\([一二三四五六七八九十]\)\d+"
)
_DIGITS = re.compile(r"[0-9０-９]+")

_ENV = SandboxedEnvironment(
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
    keep_trailing_newline=False,
)


@dataclass(frozen=True)
class TextRow:
    """One editable text as the editor lists it."""

    kind: str
    name: str
    label: str
    body: str
    default: str
    customised: bool
    version: int
    updated_by: str
    updated_at: object


def _check_name(kind: str, name: str) -> None:
    if kind not in TEXTS or name not in TEXTS[kind]:
        raise NotFound("没有这段报告文字。")


def default_text(kind: str, name: str) -> str:
    """The shipped wording of a text."""
    _check_name(kind, name)
    return (TEMPLATE_ROOT / kind / f"{name}.txt").read_text(encoding="utf-8")


def current_texts(kind: str) -> dict[str, str]:
    """Every text of a report kind: the caseworkers' edits over the shipped files (one query)."""
    if kind not in TEXTS:
        raise NotFound("没有这种报告。")
    edited = dict(
        db.session.execute(
            select(ReportText.name, ReportText.body).where(ReportText.kind == kind)
        ).all()
    )
    return {name: edited.get(name) or default_text(kind, name) for name in TEXTS[kind]}


def render(source: str, context: Mapping[str, Any]) -> list[str]:
    """Render a text; each non-empty line is one paragraph of the report."""
    text = _ENV.from_string(source).render(dict(context))
    return [line.strip() for line in text.splitlines() if line.strip()]


def typed_numbers(source: str) -> list[str]:
    """Numbers typed by hand outside the template tags (policy citations excepted)."""
    prose = _CITATIONS.sub("", _TAGS.sub("", source))
    return _DIGITS.findall(prose)


def validate(kind: str, name: str, body: str, sample: Mapping[str, Any]) -> None:
    """Refuse a text that is empty, too long, types a number, or does not render on `sample`."""
    _check_name(kind, name)
    if not body.strip():
        raise InvalidInput("body", "报告文字不能为空；如需恢复默认文字，请点“恢复默认”。")
    if len(body) > MAX_LENGTH:
        raise InvalidInput("body", f"报告文字不能超过 {MAX_LENGTH} 个字符。")
    numbers = typed_numbers(body)
    if numbers:
        shown = "、".join(dict.fromkeys(numbers))
        raise InvalidInput(
            "body",
            f"报告中的数字必须由系统统计生成，不能手工填写（发现：{shown}）。"
            "请改用变量，例如 {{ 项目数 }}。",
        )
    try:
        render(body, sample)
    except TemplateSyntaxError as exc:
        raise InvalidInput("body", f"模板第 {exc.lineno} 行语法有误：{exc.message}") from None
    except UndefinedError as exc:
        raise InvalidInput("body", f"模板使用了不存在的变量：{exc.message}") from None
    except SecurityError:
        raise InvalidInput("body", "模板中含有不允许的操作。") from None
    except TemplateError as exc:
        raise InvalidInput("body", f"模板无法生成文字：{exc.message}") from None


def _require_edit(user: User) -> None:
    if not can(user, "reports.texts"):
        raise Forbidden("只有自然资源局经办人可以修改报告文字。")


def list_texts(user: User, kind: str) -> list[TextRow]:
    """The texts of a report kind with who changed them last."""
    _require_edit(user)
    if kind not in TEXTS:
        raise NotFound("没有这种报告。")
    rows = {
        r.name: r
        for r in db.session.scalars(select(ReportText).where(ReportText.kind == kind)).all()
    }
    users = {
        u.id: u.display_name or u.username
        for u in db.session.scalars(
            select(User).where(
                User.id.in_([r.updated_by_id for r in rows.values() if r.updated_by_id])
            )
        )
    }
    result = []
    for name, label in TEXTS[kind].items():
        default = default_text(kind, name)
        row = rows.get(name)
        result.append(
            TextRow(
                kind=kind,
                name=name,
                label=label,
                body=row.body if row else default,
                default=default,
                customised=row is not None,
                version=row.version if row else 0,
                updated_by=users.get(row.updated_by_id or 0, "") if row else "",
                updated_at=row.updated_at if row else None,
            )
        )
    return result


def get_text(user: User, kind: str, name: str) -> TextRow:
    """One text for the editor."""
    _check_name(kind, name)
    return next(t for t in list_texts(user, kind) if t.name == name)


def save_text(
    user: User,
    kind: str,
    name: str,
    body: str,
    expected_version: int,
    sample: Mapping[str, Any],
) -> None:
    """Store a caseworker's wording (validated, audited); `expected_version` 0 = still default."""
    _require_edit(user)
    body = body.replace("\r\n", "\n").strip() + "\n"
    validate(kind, name, body, sample)
    row = db.session.scalars(
        select(ReportText).where(ReportText.kind == kind, ReportText.name == name)
    ).first()
    current_version = row.version if row else 0
    if current_version != expected_version:
        raise StaleVersion(current_version)
    old = row.body if row else default_text(kind, name)
    if old == body:
        return
    if row is None:
        row = ReportText(kind=kind, name=name, body=body, updated_by_id=user.id)
        db.session.add(row)
    else:
        row.body = body
        row.updated_by_id = user.id
    audit.record(
        user,
        "report_text.update",
        "report_text",
        f"{kind}/{name}",
        changes={"body": [old, body]},
    )
    db.session.commit()


def reset_text(user: User, kind: str, name: str, expected_version: int) -> None:
    """Go back to the shipped wording (audited)."""
    _require_edit(user)
    _check_name(kind, name)
    row = db.session.scalars(
        select(ReportText).where(ReportText.kind == kind, ReportText.name == name)
    ).first()
    if row is None:
        return
    if row.version != expected_version:
        raise StaleVersion(row.version)
    audit.record(
        user,
        "report_text.reset",
        "report_text",
        f"{kind}/{name}",
        changes={"body": [row.body, default_text(kind, name)]},
    )
    db.session.delete(row)
    db.session.commit()


__all__ = [
    "REPORT_KINDS",
    "TEXTS",
    "current_texts",
    "default_text",
    "list_texts",
    "render",
    "reset_text",
    "save_text",
    "typed_numbers",
    "validate",
]
