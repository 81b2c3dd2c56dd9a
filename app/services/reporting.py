"""Load the dated history of the projects in scope and compute the figures as of a day.

The dashboard, the quarterly report and the command line all come through `figures_for`: one
scoped project query (`filtered_projects`, i.e. `app.scoping`), then four more queries for the
defects, their events, the certificate entries and the 提级督办 entries, whatever the number of
projects. Timestamps are turned into Asia/Shanghai wall-clock time here, so `cases.reporting`
compares local days (an event at 23:59 on the last day of a quarter belongs to that quarter).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, case, func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import (
    CertificateEntry,
    Defect,
    DefectEvent,
    DispatchEntry,
    DispatchRound,
    Project,
    User,
)
from app.scoping import bound_district, can
from app.services.errors import Forbidden, InvalidInput
from app.services.projects import ProjectFilters, filtered_projects
from cases.reporting import (
    CertificateRecord,
    DefectRecord,
    EscalationRecord,
    EventRecord,
    Figures,
    History,
    ProjectRecord,
    compute,
    months_ending,
)
from cases.taxonomy import DISTRICTS

TREND_MONTHS = 12
DETAIL_ACTIONS = ("assign", "plan", "reroute")


@dataclass(frozen=True)
class Scope:
    """Whose figures: the viewer's scoped projects, optionally narrowed to one district."""

    projects: Select[Any]
    district: str | None
    label: str


def local(moment: dt.datetime) -> dt.datetime:
    """A stored UTC instant as naive Asia/Shanghai wall-clock time."""
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None)


def _check_district(district: str | None) -> None:
    if district and district not in DISTRICTS:
        known = "、".join(f"{c}（{d.name}）" for c, d in DISTRICTS.items())
        raise InvalidInput("district", f"未知的县区代码：{district}。可用：{known}。")


def _label(district: str | None, user: User | None) -> str:
    if district:
        return DISTRICTS[district].name
    if bound := bound_district(user):
        return DISTRICTS[bound].name
    if user is not None and user.role == "department" and user.department_code:
        return "本部门涉及项目"
    return "全市"


def user_scope(user: User, district: str | None = None) -> Scope:
    """The projects `user` may see (`app.scoping`), narrowed to `district` when given."""
    if not can(user, "projects.view"):
        raise Forbidden("您没有查看项目的权限。")
    _check_district(district)
    return Scope(
        filtered_projects(user, ProjectFilters(district=district)), district, _label(district, user)
    )


def system_scope(district: str | None = None) -> Scope:
    """The command line's scope: it runs on the server as the 市自然资源局, so the whole city
    (or one district); there is no signed-in user to narrow it further."""
    _check_district(district)
    stmt = select(Project)
    if district:
        stmt = stmt.where(Project.district_code == district)
    return Scope(stmt, district, _label(district, None))


def _date(value: object) -> dt.date | None:
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def load_history(scope: Scope) -> History:
    """The dated history of the projects in scope, in five queries."""
    ids = scope.projects.with_only_columns(Project.id).order_by(None).subquery()
    projects = tuple(
        ProjectRecord(pid, code, name, district, households or 0, local(created).date())
        for pid, code, name, district, households, created in db.session.execute(
            select(
                Project.id,
                Project.code,
                Project.name,
                Project.district_code,
                Project.total_households,
                Project.created_at,
            )
            .where(Project.id.in_(select(ids.c.id)))
            .order_by(Project.code)
        )
    )
    district_of = {p.id: p.district for p in projects}
    events: dict[int, list[EventRecord]] = defaultdict(list)
    for defect_id, seq, action, to_status, occurred, details in db.session.execute(
        select(
            DefectEvent.defect_id,
            DefectEvent.id,
            DefectEvent.action,
            DefectEvent.to_status,
            DefectEvent.occurred_at,
            # Only these actions carry what the arithmetic reads; skip decoding the rest.
            case((DefectEvent.action.in_(DETAIL_ACTIONS), DefectEvent.details), else_=None),
        ).where(DefectEvent.project_id.in_(select(ids.c.id)))
    ):
        details = details or {}
        events[defect_id].append(
            EventRecord(
                at=local(occurred),
                seq=seq,
                action=action,
                to_status=to_status,
                deadline=_date(details.get("deadline")) if action == "assign" else None,
                planned_month=(details.get("planned_month") or None) if action == "plan" else None,
                lead=details.get("lead") if action == "reroute" else None,
            )
        )
    defects = tuple(
        DefectRecord(did, pid, dtype, district_of[pid], lead, tuple(events.get(did, ())))
        for did, pid, dtype, lead in db.session.execute(
            select(Defect.id, Defect.project_id, Defect.type, Defect.lead_code)
            .where(Defect.project_id.in_(select(ids.c.id)))
            .order_by(Defect.id)
        )
    )
    certificates = tuple(
        CertificateRecord(pid, day, households, kind)
        for pid, day, households, kind in db.session.execute(
            select(
                CertificateEntry.project_id,
                CertificateEntry.entry_date,
                CertificateEntry.households,
                CertificateEntry.kind,
            ).where(CertificateEntry.project_id.in_(select(ids.c.id)))
        )
    )
    escalations = tuple(
        EscalationRecord(defect_id, month, local(reported).date(), blocker or "")
        for defect_id, month, reported, blocker in db.session.execute(
            select(
                DispatchEntry.defect_id,
                DispatchRound.month,
                func.coalesce(DispatchEntry.reported_at, DispatchRound.opened_at),
                DispatchEntry.blocker,
            )
            .join(DispatchRound, DispatchEntry.round_id == DispatchRound.id)
            .where(
                DispatchEntry.escalate.is_(True),
                DispatchEntry.project_id.in_(select(ids.c.id)),
            )
        )
    )
    return History(projects, defects, certificates, escalations)


def figures_for(
    scope: Scope,
    as_of: dt.date,
    *,
    period_start: dt.date | None = None,
    trend_months: Sequence[str] | None = None,
    slowest: int = 10,
) -> Figures:
    """Every figure of the scope as of the end of `as_of` (local day)."""
    months = tuple(trend_months) if trend_months is not None else months_ending(as_of, TREND_MONTHS)
    return compute(
        load_history(scope),
        as_of,
        period_start=period_start,
        trend_months=months,
        slowest=slowest,
    )


def parse_as_of(raw: str | None, today: dt.date) -> dt.date:
    """The dashboard's `as_of` (YYYY-MM-DD, not after today); empty means today."""
    if not raw:
        return today
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput("as_of", f"日期格式应为 YYYY-MM-DD（收到：{raw[:20]}）。") from None
    if day > today:
        raise InvalidInput("as_of", "统计日期不能晚于今天。")
    if day.year < 2000:
        raise InvalidInput("as_of", "统计日期不能早于 2000 年。")
    return day


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's figures and charts for one viewer and day."""

    scope: Scope
    as_of: dt.date
    figures: Figures
    charts: tuple[Any, ...]


# Recent dashboards, keyed by what decides their content: the viewer's scope, the day, and a
# fingerprint of the data (it changes with every new event, certificate, project edit or
# dispatch report), so a hit never shows stale figures. Thirty-two entries, five minutes.
_CACHE: OrderedDict[tuple[object, ...], tuple[float, Dashboard]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 32


def data_fingerprint() -> tuple[object, ...]:
    """One query: the newest row of every table the figures are computed from."""
    newest = (
        select(func.max(DefectEvent.id)).scalar_subquery(),
        select(func.max(CertificateEntry.id)).scalar_subquery(),
        select(func.count(Project.id)).scalar_subquery(),
        select(func.max(Project.updated_at)).scalar_subquery(),
        select(func.count(Defect.id)).scalar_subquery(),
        select(func.max(DispatchEntry.version + DispatchEntry.id)).scalar_subquery(),
        select(func.count(DispatchEntry.id)).scalar_subquery(),
    )
    return tuple(db.session.execute(select(*newest)).one())


def dashboard(
    user: User,
    as_of: dt.date,
    district: str | None,
    link: Callable[[str, str], str | None],
) -> Dashboard:
    """Figures as of the day over the user's scope, with charts whose bars link to the lists."""
    from app.services import report_charts as charts

    scope = user_scope(user, district)
    ttl = float(current_app.config.get("REPORT_CACHE_SECONDS", 300))
    key: tuple[object, ...] = ()
    if ttl > 0:
        key = (
            user.role,
            user.district_code,
            user.department_code,
            district,
            as_of,
            data_fingerprint(),
        )
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
            if hit is not None and time.monotonic() - hit[0] < ttl:
                _CACHE.move_to_end(key)
                return hit[1]
    figures = figures_for(scope, as_of)
    width = 5.3  # inches: two charts side by side in the page's 1200 px
    pictures = (
        charts.for_page(
            "types", charts.type_chart(figures, link, width), "分类化解情况：已销号、未销号、逾期"
        ),
        charts.for_page(
            "district_type",
            charts.district_type_chart(figures, link, width),
            "分县区、分类型未销号问题",
        ),
        charts.for_page("leads", charts.lead_chart(figures, link, width), "牵头部门履职情况"),
        charts.for_page("trend", charts.trend_chart(figures, width), "近12个月销号与新办证"),
        charts.for_page(
            "districts", charts.district_rate_chart(figures, link, width), "分县区办证率与销号率"
        ),
    )
    board = Dashboard(scope, as_of, figures, pictures)
    if ttl > 0:
        with _CACHE_LOCK:
            _CACHE[key] = (time.monotonic(), board)
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return board
