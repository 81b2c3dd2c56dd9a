"""As-of arithmetic for the dashboard and the written reports (附件3 四(二) 每季度书面报告).

Every figure is computed from the dated history, never from today's columns: a defect's status,
time limit, planned month and lead department as of a day are replayed from its events; 已办证户数
as of a day is the sum of the certificate entries dated on or before it. A report for 2024Q3
generated in 2025 therefore shows what stood at the end of 2024-09-30.

Pure: the caller loads plain records, converts timestamps to local (Asia/Shanghai) wall-clock
time, and passes the day. "As of D" means at the end of day D: an event at 23:59 on D counts, one
at 00:00 on D+1 does not.

Rules used throughout, the same as the monthly dispatch (`cases.dispatch`):

- open (未销号) = registered by D and not 已销号 as of D; 暂缓 items are open.
- overdue (逾期) = open, not 暂缓, and its 办理时限 before D or its planned month before D's
  month (an item due on D, or planned for D's month, is not late yet on D).
- a project is resolved (已化解) as of D when every defect it had then was 已销号
  (`cases.progress.project_state`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from cases.progress import project_state
from cases.taxonomy import DEFECT_STATUSES, DEFECT_TYPES, DEPARTMENTS, DISTRICTS

CLOSED = "closed"
SUSPENDED = "suspended"
NOT_DUE = frozenset({CLOSED, SUSPENDED})
QUARTER_PATTERN = re.compile(r"^(\d{4})Q(\d)$")
QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}
FIRST_YEAR, LAST_YEAR = 2000, 2099


class ReportingError(ValueError):
    """Bad input to a report (a quarter, a date); `message` is Chinese."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, e.g. 2024Q3 (2024-07-01 … 2024-09-30)."""

    year: int
    number: int

    @property
    def code(self) -> str:
        """2024Q3."""
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        """2024年第三季度."""
        return f"{self.year}年第{QUARTER_NAMES[self.number]}季度"

    @property
    def first_day(self) -> dt.date:
        """The quarter's first day."""
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        """The quarter's last day."""
        if self.number == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, 3 * self.number + 1, 1) - dt.timedelta(days=1)

    @property
    def months(self) -> tuple[str, ...]:
        """Its three months, YYYY-MM."""
        return tuple(
            f"{self.year:04d}-{m:02d}" for m in range(3 * self.number - 2, 3 * self.number + 1)
        )


def parse_quarter(text: str | None) -> Quarter:
    """A strict YYYYQN quarter (2000–2099, N = 1–4), or ReportingError in Chinese."""
    value = (text or "").strip().upper()
    match = QUARTER_PATTERN.match(value)
    if not match:
        raise ReportingError(
            f"季度格式应为 YYYYQN，例如 2024Q3（收到：{text or '空'}）。", "quarter"
        )
    year, number = int(match.group(1)), int(match.group(2))
    if not 1 <= number <= 4:
        raise ReportingError(f"季度应为 1—4（收到：{text}）。", "quarter")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ReportingError(f"年份应在 {FIRST_YEAR}—{LAST_YEAR} 之间（收到：{text}）。", "quarter")
    return Quarter(year, number)


def quarter_of(day: dt.date) -> Quarter:
    """The quarter a day falls in."""
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def report_date(quarter: Quarter, today: dt.date) -> dt.date:
    """The day a quarterly report stands at: the quarter's last day, or today while it runs."""
    if quarter.first_day > today:
        raise ReportingError(f"{quarter.label}尚未开始，不能生成报告。", "quarter")
    return min(quarter.last_day, today)


def month_of(day: dt.date) -> str:
    """The YYYY-MM a day falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def months_ending(day: dt.date, count: int) -> tuple[str, ...]:
    """The `count` months ending with the month of `day`, oldest first."""
    index = day.year * 12 + day.month - 1
    return tuple(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1))


def percent(part: int, whole: int) -> str:
    """`part / whole` as a percentage with one decimal, rounded half up ("62.5%"); "—" if 0."""
    if whole <= 0:
        return "—"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value}%"


# ---------------------------------------------------------------- input records


@dataclass(frozen=True)
class EventRecord:
    """One step of a defect's history, its time already in local wall-clock time.

    `deadline` is the 办理时限 an 交办 set, `lead` the department a 改派 chose; a `plan` event sets
    `planned_month` (None clears it).
    """

    at: dt.datetime
    seq: int
    action: str
    to_status: str
    deadline: dt.date | None = None
    planned_month: str | None = None
    lead: str | None = None


@dataclass(frozen=True)
class DefectRecord:
    """A defect with its whole history (events in any order)."""

    id: int
    project_id: int
    type: str
    district: str
    lead: str
    events: tuple[EventRecord, ...]


@dataclass(frozen=True)
class ProjectRecord:
    """A project: registered on a local date, with its total households."""

    id: int
    code: str
    name: str
    district: str
    households: int
    registered_on: dt.date


@dataclass(frozen=True)
class CertificateRecord:
    """A dated certificate entry (baseline / issued / correction)."""

    project_id: int
    on: dt.date
    households: int
    kind: str


@dataclass(frozen=True)
class EscalationRecord:
    """A dispatch entry marked 提级督办, reported on a local date."""

    defect_id: int
    month: str
    on: dt.date
    blocker: str = ""


@dataclass(frozen=True)
class History:
    """Everything the arithmetic needs, for the projects in the viewer's scope."""

    projects: tuple[ProjectRecord, ...]
    defects: tuple[DefectRecord, ...]
    certificates: tuple[CertificateRecord, ...] = ()
    escalations: tuple[EscalationRecord, ...] = ()


# ---------------------------------------------------------------- one defect as of a day


@dataclass(frozen=True)
class DefectState:
    """A defect as it stood at the end of a day."""

    id: int
    project_id: int
    type: str
    district: str
    lead: str
    status: str
    registered_on: dt.date
    assigned_on: dt.date | None
    status_since: dt.date
    closed_on: dt.date | None
    deadline: dt.date | None
    planned_month: str | None
    overdue_reasons: tuple[str, ...]
    days_overdue: int
    days_open: int
    days_stalled: int

    @property
    def is_open(self) -> bool:
        """Not 已销号."""
        return self.status != CLOSED

    @property
    def is_overdue(self) -> bool:
        """Past its time limit or planned month and not 销号 (nor 暂缓)."""
        return bool(self.overdue_reasons)


def _ordered(events: Iterable[EventRecord]) -> list[EventRecord]:
    return sorted(events, key=lambda e: (e.at, e.seq))


def _lead_as_of(defect: DefectRecord, upto: list[EventRecord], later: list[EventRecord]) -> str:
    """The lead department then: the last 改派 by then, else the type's lead if a later 改派
    changed it (the first lead of every defect is its type's, 附件3 三(一)), else today's."""
    for event in reversed(upto):
        if event.lead is not None:
            return event.lead
    if any(e.lead is not None for e in later):
        return DEFECT_TYPES[defect.type].lead
    return defect.lead


def overdue_reasons(
    status: str, deadline: dt.date | None, planned_month: str | None, day: dt.date
) -> tuple[str, ...]:
    """Why an open item is late on `day` (same rule as `cases.dispatch.overdue_reasons`)."""
    if status in NOT_DUE:
        return ()
    reasons: list[str] = []
    if deadline is not None and deadline < day:
        reasons.append(f"超过办理时限 {deadline.isoformat()}")
    if planned_month is not None and planned_month < month_of(day):
        reasons.append(f"超过计划完成月份 {planned_month}")
    return tuple(reasons)


def defect_as_of(defect: DefectRecord, day: dt.date) -> DefectState | None:
    """The defect at the end of `day`, or None if it was not registered yet."""
    events = _ordered(defect.events)
    upto = [e for e in events if e.at.date() <= day]
    if not upto:
        return None
    later = events[len(upto) :]
    status = upto[-1].to_status
    deadline: dt.date | None = None
    planned: str | None = None
    assigned_on: dt.date | None = None
    closed_on: dt.date | None = None
    status_since = upto[0].at.date()
    previous = None
    for event in upto:
        if event.deadline is not None:
            deadline = event.deadline
        if event.action == "plan":
            planned = event.planned_month
        if event.action == "assign" and assigned_on is None:
            assigned_on = event.at.date()
        if event.action == "close":
            closed_on = event.at.date()
        if event.to_status != previous:
            status_since = event.at.date()
            previous = event.to_status
    if status != CLOSED:
        closed_on = None
    reasons = overdue_reasons(status, deadline, planned, day)
    days_overdue = 0
    if reasons:
        late_since = [deadline] if deadline is not None and deadline < day else []
        if planned is not None and planned < month_of(day):
            year, month = int(planned[:4]), int(planned[5:7])
            end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
            late_since.append(end)
        days_overdue = (day - min(late_since)).days
    registered_on = upto[0].at.date()
    return DefectState(
        id=defect.id,
        project_id=defect.project_id,
        type=defect.type,
        district=defect.district,
        lead=_lead_as_of(defect, upto, later),
        status=status,
        registered_on=registered_on,
        assigned_on=assigned_on,
        status_since=status_since,
        closed_on=closed_on,
        deadline=deadline,
        planned_month=planned,
        overdue_reasons=reasons,
        days_overdue=days_overdue,
        days_open=((closed_on or day) - registered_on).days,
        days_stalled=0 if status == CLOSED else (day - status_since).days,
    )


# ---------------------------------------------------------------- tallies


@dataclass(frozen=True)
class Counts:
    """Defects of one group as of the day."""

    total: int = 0
    closed: int = 0
    overdue: int = 0
    closed_in_period: int = 0
    by_status: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def open(self) -> int:
        """Not 已销号 (暂缓 included)."""
        return self.total - self.closed

    @property
    def closure_rate(self) -> str:
        """销号率."""
        return percent(self.closed, self.total)


def _count(states: Sequence[DefectState], period_start: dt.date | None) -> Counts:
    by_status = {s: 0 for s in DEFECT_STATUSES}
    for state in states:
        by_status[state.status] += 1
    return Counts(
        total=len(states),
        closed=by_status[CLOSED],
        overdue=sum(s.is_overdue for s in states),
        closed_in_period=sum(
            1
            for s in states
            if s.closed_on is not None and period_start is not None and s.closed_on >= period_start
        ),
        by_status=MappingProxyType(by_status),
    )


@dataclass(frozen=True)
class AreaFigures:
    """Projects, households and defects of one district (or the whole scope)."""

    projects: int
    resolved: int
    households: int
    certified: int
    certified_in_period: int
    defects: Counts

    @property
    def uncertified(self) -> int:
        """Households still without a certificate."""
        return self.households - self.certified

    @property
    def certification_rate(self) -> str:
        """办证率 = 已办证户数 / 总户数."""
        return percent(self.certified, self.households)


@dataclass(frozen=True)
class LeadFigures:
    """How one lead department stands (附件3 四(一) 牵头部门履职)."""

    code: str
    defects: Counts
    average_days_to_close: int | None
    longest_open_days: int


@dataclass(frozen=True)
class MonthPoint:
    """One month of the trend: 销号 actions taken and certificates newly issued in it."""

    month: str
    closed: int
    certificates: int


@dataclass(frozen=True)
class DistrictRank:
    """A district on the slowest-first list."""

    code: str
    rank: int
    defects: int
    closed: int
    overdue: int
    closure_rate: str
    certification_rate: str


@dataclass(frozen=True)
class Figures:
    """Every number of the dashboard and the reports, as of one day."""

    as_of: dt.date
    period_start: dt.date | None
    overall: AreaFigures
    by_type: Mapping[str, Counts]
    by_district: Mapping[str, AreaFigures]
    by_district_type: Mapping[tuple[str, str], Counts]
    by_lead: Mapping[str, LeadFigures]
    trend: tuple[MonthPoint, ...]
    states: tuple[DefectState, ...]
    overdue: tuple[DefectState, ...]
    slowest: tuple[DefectState, ...]
    slowest_districts: tuple[DistrictRank, ...]
    pending_approval: tuple[DefectState, ...]
    escalated: tuple[DefectState, ...]
    escalation_notes: Mapping[int, str]
    projects: Mapping[int, ProjectRecord]
    project_states: Mapping[int, str]


def _area(
    projects: Sequence[ProjectRecord],
    states: Sequence[DefectState],
    certified: Mapping[int, int],
    certified_in_period: Mapping[int, int],
    project_states: Mapping[int, str],
    period_start: dt.date | None,
) -> AreaFigures:
    return AreaFigures(
        projects=len(projects),
        resolved=sum(1 for p in projects if project_states.get(p.id) == "resolved"),
        households=sum(p.households for p in projects),
        certified=sum(certified.get(p.id, 0) for p in projects),
        certified_in_period=sum(certified_in_period.get(p.id, 0) for p in projects),
        defects=_count(states, period_start),
    )


def _slowest_first(state: DefectState) -> tuple[int, int, int, int]:
    # Overdue days first (a late item is the worst), then how long it has not moved.
    return (-state.days_overdue, -state.days_stalled, -state.days_open, state.id)


def compute(
    history: History,
    as_of: dt.date,
    *,
    period_start: dt.date | None = None,
    trend_months: Sequence[str] = (),
    slowest: int = 10,
) -> Figures:
    """All figures as of the end of `as_of`; `period_start` opens the reporting period (本季度)."""
    projects = [p for p in history.projects if p.registered_on <= as_of]
    known = {p.id for p in projects}
    states = [
        s
        for d in history.defects
        if d.project_id in known and (s := defect_as_of(d, as_of)) is not None
    ]
    certified: dict[int, int] = {}
    certified_in_period: dict[int, int] = {}
    for entry in history.certificates:
        if entry.project_id not in known or entry.on > as_of:
            continue
        certified[entry.project_id] = certified.get(entry.project_id, 0) + entry.households
        if period_start is not None and entry.on >= period_start and entry.kind != "baseline":
            certified_in_period[entry.project_id] = (
                certified_in_period.get(entry.project_id, 0) + entry.households
            )
    statuses: dict[int, list[str]] = {p.id: [] for p in projects}
    for state in states:
        statuses[state.project_id].append(state.status)
    project_states = {pid: project_state(s) for pid, s in statuses.items()}

    # One pass to group, then tally each group (filtering per group would be 40 passes).
    groups: dict[object, list[DefectState]] = {}
    for state in states:
        for key in (
            ("type", state.type),
            ("district", state.district),
            ("cell", state.district, state.type),
            ("lead", state.lead),
        ):
            groups.setdefault(key, []).append(state)
    projects_in: dict[str, list[ProjectRecord]] = {}
    for project in projects:
        projects_in.setdefault(project.district, []).append(project)

    by_type = {t: _count(groups.get(("type", t), []), period_start) for t in DEFECT_TYPES}
    by_district = {
        code: _area(
            projects_in.get(code, []),
            groups.get(("district", code), []),
            certified,
            certified_in_period,
            project_states,
            period_start,
        )
        for code in DISTRICTS
    }
    by_district_type = {
        (code, t): _count(groups.get(("cell", code, t), []), period_start)
        for code in DISTRICTS
        for t in DEFECT_TYPES
    }
    by_lead: dict[str, LeadFigures] = {}
    for code in DEPARTMENTS:
        led = groups.get(("lead", code), [])
        if not led:
            continue
        durations = [
            (s.closed_on - (s.assigned_on or s.registered_on)).days
            for s in led
            if s.closed_on is not None
        ]
        by_lead[code] = LeadFigures(
            code=code,
            defects=_count(led, period_start),
            average_days_to_close=(
                int((Decimal(sum(durations)) / len(durations)).quantize(0, ROUND_HALF_UP))
                if durations
                else None
            ),
            longest_open_days=max((s.days_open for s in led if s.is_open), default=0),
        )

    trend = _trend(history, known, as_of, trend_months)
    overdue = tuple(sorted((s for s in states if s.is_overdue), key=_slowest_first))
    open_states = sorted((s for s in states if s.is_open), key=_slowest_first)
    escalated_ids: dict[int, str] = {}
    for record in sorted(history.escalations, key=lambda r: (r.on, r.month)):
        if record.on <= as_of and record.month <= month_of(as_of):
            escalated_ids[record.defect_id] = record.blocker
    return Figures(
        as_of=as_of,
        period_start=period_start,
        overall=_area(
            projects, states, certified, certified_in_period, project_states, period_start
        ),
        by_type=MappingProxyType(by_type),
        by_district=MappingProxyType(by_district),
        by_district_type=MappingProxyType(by_district_type),
        by_lead=MappingProxyType(by_lead),
        trend=trend,
        states=tuple(sorted(states, key=lambda s: s.id)),
        overdue=overdue,
        slowest=tuple(open_states[:slowest]),
        slowest_districts=_district_ranking(by_district),
        pending_approval=tuple(
            sorted(
                (s for s in states if s.status == "awaiting_approval"),
                key=lambda s: (-s.days_stalled, s.id),
            )
        ),
        escalated=tuple(s for s in open_states if s.id in escalated_ids),
        escalation_notes=MappingProxyType(escalated_ids),
        projects=MappingProxyType({p.id: p for p in projects}),
        project_states=MappingProxyType(project_states),
    )


def _trend(
    history: History, known: set[int], as_of: dt.date, months: Sequence[str]
) -> tuple[MonthPoint, ...]:
    """Per month: 销号 actions (a reopened item closed again counts again) and certificates
    newly issued (登记时已有的 baseline is no issuing), nothing after `as_of`."""
    wanted = set(months)
    closed = dict.fromkeys(months, 0)
    issued = dict.fromkeys(months, 0)
    for defect in history.defects:
        if defect.project_id not in known:
            continue
        for event in defect.events:
            day = event.at.date()
            if event.action == "close" and day <= as_of and (m := month_of(day)) in wanted:
                closed[m] += 1
    for entry in history.certificates:
        if entry.project_id not in known or entry.kind != "issued" or entry.on > as_of:
            continue
        if (m := month_of(entry.on)) in wanted:
            issued[m] += entry.households
    return tuple(MonthPoint(m, closed[m], issued[m]) for m in months)


def _district_ranking(by_district: Mapping[str, AreaFigures]) -> tuple[DistrictRank, ...]:
    """Districts slowest first: lowest 销号率, then most overdue, then code (stable)."""
    rows = [(code, area) for code, area in by_district.items() if area.projects]

    def key(row: tuple[str, AreaFigures]) -> tuple[Decimal, int, str]:
        code, area = row
        total = area.defects.total
        rate = Decimal(area.defects.closed) / total if total else Decimal(1)
        return (rate, -area.defects.overdue, code)

    rows.sort(key=key)
    return tuple(
        DistrictRank(
            code=code,
            rank=position,
            defects=area.defects.total,
            closed=area.defects.closed,
            overdue=area.defects.overdue,
            closure_rate=area.defects.closure_rate,
            certification_rate=area.certification_rate,
        )
        for position, (code, area) in enumerate(rows, start=1)
    )


def status_at(events: Iterable[EventRecord], moment: dt.datetime) -> str | None:
    """A defect's status just after `moment` (local time), or None if not registered yet."""
    upto = [e for e in _ordered(events) if e.at <= moment]
    return upto[-1].to_status if upto else None
