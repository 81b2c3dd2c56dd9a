"""The auditor's search and CSV export of the audit (GB/T 22239-2019 8.1.4.3 c/d).

Read-only: nothing in the application updates or deletes an audit row (the table refuses it at
the database, migration 0002), so the audit is kept for as long as the database is, and at
least the six months the 网络安全法 第二十一条 asks for. Personal data in the recorded changes
is masked in the page and in the export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from sqlalchemy import Select, func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.labels import AUDIT_LABELS
from app.models import AuditEvent
from app.privacy import mask_text
from app.services.errors import InvalidInput

SECURITY_LABELS: dict[str, str] = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.login_locked": "锁定期间尝试登录",
    "auth.lockout": "账号因连续登录失败被锁定",
    "auth.logout": "退出登录",
    "user.create": "创建账号",
    "user.update": "修改账号",
    "user.disable": "停用账号",
    "user.enable": "启用账号",
    "user.reset_password": "重置密码",
    "user.password_change": "修改密码",
    "user.unlock": "解除锁定",
    "user.end_sessions": "结束账号的全部会话",
    "token.create": "创建 API 令牌",
    "token.revoke": "吊销 API 令牌",
    "security.forbidden": "越权访问被拒绝",
    "security.csrf": "缺少 CSRF 令牌的请求被拒绝",
    "pii.reveal": "查看个人信息明文",
    "audit.export": "导出审计日志",
}
ACTION_GROUPS: dict[str, str] = {
    "auth.": "登录与会话",
    "user.": "账号管理",
    "token.": "API 令牌",
    "security.": "安全事件",
    "pii.": "个人信息",
    "audit.": "审计",
    "project.": "项目",
    "defect.": "问题办理",
}
EXPORT_HEADER = (
    "编号",
    "时间（北京时间）",
    "操作人",
    "操作代码",
    "操作",
    "对象类型",
    "对象",
    "项目ID",
    "内容",
    "来源地址",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def action_labels() -> dict[str, str]:
    """Every known action code with its Chinese name."""
    return {**AUDIT_LABELS, **SECURITY_LABELS}


@dataclass(frozen=True)
class AuditFilters:
    """The auditor's search: actor, action (or group 'auth.'), date range, entity."""

    actor: str = ""
    action: str = ""
    date_from: str = ""
    date_to: str = ""
    entity_type: str = ""
    entity: str = ""

    def args(self) -> dict[str, str]:
        """The non-empty filters, for links (pager, export)."""
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class AuditPage:
    """One page of audit rows."""

    items: list[AuditEvent]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))


def _day(field: str, raw: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(field, "日期格式应为 YYYY-MM-DD。") from exc


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def query(filters: AuditFilters) -> Select[tuple[AuditEvent]]:
    """The filtered audit rows, newest first."""
    stmt = select(AuditEvent)
    if filters.actor:
        stmt = stmt.where(AuditEvent.actor_name.like(_like_prefix(filters.actor), escape="\\"))
    if filters.action:
        if filters.action.endswith("."):
            stmt = stmt.where(AuditEvent.action.like(_like_prefix(filters.action), escape="\\"))
        else:
            stmt = stmt.where(AuditEvent.action == filters.action)
    start, end = _day("date_from", filters.date_from), _day("date_to", filters.date_to)
    if start and end and start > end:
        raise InvalidInput("date_to", "结束日期不能早于开始日期。")
    if start:
        stmt = stmt.where(AuditEvent.occurred_at >= _local_midnight(start))
    if end:
        stmt = stmt.where(AuditEvent.occurred_at < _local_midnight(end + dt.timedelta(days=1)))
    if filters.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == filters.entity_type)
    if filters.entity:
        stmt = stmt.where(AuditEvent.entity_id.like(_like_prefix(filters.entity), escape="\\"))
    return stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def search(filters: AuditFilters, page: int, per_page: int) -> AuditPage:
    """One page of the filtered audit, in two queries."""
    stmt = query(filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = max(1, page)
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return AuditPage(list(rows), total or 0, page, per_page)


def changes_text(changes: dict[str, object]) -> str:
    """The recorded changes as compact JSON, personal data masked."""
    if not changes:
        return ""
    return mask_text(json.dumps(changes, ensure_ascii=False, sort_keys=True, default=str))


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(filters: AuditFilters) -> Iterator[str]:
    """The filtered audit as CSV text chunks (UTF-8 with BOM for Excel), streamed."""
    labels = action_labels()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(EXPORT_HEADER)
    rows = db.session.scalars(query(filters).execution_options(yield_per=1000))
    for count, row in enumerate(rows, 1):
        writer.writerow(
            [
                _cell(v)
                for v in (
                    row.id,
                    row.occurred_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                    row.actor_name,
                    row.action,
                    labels.get(row.action, row.action),
                    row.entity_type,
                    mask_text(row.entity_id),
                    row.project_id,
                    changes_text(row.changes),
                    row.remote_addr,
                )
            ]
        )
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
