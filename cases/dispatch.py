"""每月调度 arithmetic (附件3 四(二)): months, when a round may open, what a report must carry,
what is overdue, what slipped since last month, and the ranking of districts and departments.

Pure: the web layer loads the round's entries as `EntryFacts`, the previous round's as
`PreviousFacts`, passes the date the round is judged at, and renders what comes back.

The ranking score of a district or department, out of 100, over its n entries in the round:

    40 × 报送率 (entries reported / n)
  + 20 × 推进率 (entries whose status moved forward during the round, 销号 included / n)
  + 10 × 销号率 (entries 已销号 by the end of the round / n)
  + 30 × (1 − 逾期率) (entries overdue / n)

Reporting and keeping to the timetable weigh most because they are what a month can ask of every
unit; most items take several months, so a unit that reports everything and lets nothing run
late scores 70 even in a month where nothing was struck off. A 销号 counts for both 推进 and 销号
on purpose: striking a problem off is the goal (附件3 二(三)).

约谈通报 candidates: every unit below `FLAG_BELOW` (60), and the last-ranked unit (末位) when at
least two are ranked, unless it scores `EXEMPT_FROM` (90) or more. Ties rank by fewer overdue,
then by code, so the order is stable.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from cases.taxonomy import DEFECT_STATUSES

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIRST_YEAR, LAST_YEAR = 2000, 2099

# Distance travelled towards 销号. 待政府同意 sits with 办理中: 报请 and 同意 are both part of
# handling the item, so going back to 办理中 after an approval is not a setback. 暂缓 is off the
# line: entering it is reported as a slip, leaving it as progress.
STATUS_RANK: Mapping[str, int] = {
    "registered": 0,
    "assigned": 1,
    "in_progress": 2,
    "awaiting_approval": 2,
    "awaiting_closure": 3,
    "closed": 4,
}
# Statuses that are not overdue whatever their dates: done, or deliberately put off (暂缓).
NOT_DUE = frozenset({"closed", "suspended"})

TEXT_LIMITS: Mapping[str, int] = {"progress": 2000, "blocker": 2000, "next_step": 2000}
TEXT_LABELS: Mapping[str, str] = {
    "progress": "本月进展",
    "blocker": "堵点",
    "next_step": "下一步措施",
}
MAX_TIME_LIMIT_DAYS = 3 * 366

WEIGHTS: Mapping[str, int] = {"reported": 40, "advanced": 20, "closed": 10, "on_time": 30}
FLAG_BELOW = 60.0
EXEMPT_FROM = 90.0


class DispatchError(ValueError):
    """A refused round or report; `message` is Chinese, `field` names the input at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------- months


def parse_month(text: str | None) -> str:
    """A strict YYYY-MM month (2000–2099), or DispatchError."""
    value = (text or "").strip()
    match = MONTH_PATTERN.match(value)
    if not match:
        raise DispatchError("调度月份格式应为 YYYY-MM，例如 2024-07。", "month")
    if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise DispatchError(f"调度月份应在 {FIRST_YEAR}—{LAST_YEAR} 年之间。", "month")
    return value


def month_of(day: dt.date) -> str:
    """The YYYY-MM a date falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def shift_month(month: str, months: int) -> str:
    """The month `months` later (earlier when negative)."""
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def first_day(month: str) -> dt.date:
    """The first day of a month."""
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def last_day(month: str) -> dt.date:
    """The last day of a month."""
    return first_day(shift_month(month, 1)) - dt.timedelta(days=1)


def check_new_round(
    month: str, today: dt.date, existing: Collection[str], open_month: str | None
) -> None:
    """Refuse a round that may not open now (附件3 四(二) 每月调度: one round per month).

    Rounds run forward in time and one at a time: the month must not lie beyond next month, must
    not have had a round, must be later than every earlier round (so "since last month" means the
    round before it), and the open round must be closed first (so departments fill one table).
    """
    latest_allowed = shift_month(month_of(today), 1)
    if month > latest_allowed:
        raise DispatchError(
            f"只能开启本月或下月（{latest_allowed}）及以前的调度，不能提前开启 {month}。", "month"
        )
    if month in existing:
        raise DispatchError(f"{month} 的调度已经开启过，每月只能开启一轮。", "month")
    if open_month is not None:
        raise DispatchError(f"{open_month} 的调度尚未关闭，请先关闭后再开启新一轮。", "month")
    latest = max(existing, default=None)
    if latest is not None and month < latest:
        raise DispatchError(f"调度月份须晚于最近一轮（{latest}）。", "month")


def reference_date(month: str, today: dt.date, closed_on: dt.date | None) -> dt.date:
    """The date a round is judged at: its closing day once closed, else today; never after the
    last day of its month, so a round left open does not keep accruing overdue items."""
    return min(closed_on or today, last_day(month))


# ---------------------------------------------------------------- one report


@dataclass(frozen=True)
class Report:
    """What a department or district reports for one item in one round."""

    progress: str
    blocker: str
    next_step: str
    time_limit: dt.date | None
    escalate: bool


def check_report(
    progress: str | None,
    blocker: str | None,
    next_step: str | None,
    time_limit: dt.date | None,
    escalate: bool,
    today: dt.date,
) -> Report:
    """Validate one report (本月进展、堵点、下一步措施及时限、提级督办) or raise DispatchError."""
    texts = {
        "progress": (progress or "").strip(),
        "blocker": (blocker or "").strip(),
        "next_step": (next_step or "").strip(),
    }
    for name, value in texts.items():
        if len(value) > TEXT_LIMITS[name]:
            raise DispatchError(f"{TEXT_LABELS[name]}不能超过 {TEXT_LIMITS[name]} 个字。", name)
    if len(texts["progress"]) < 2:
        raise DispatchError("请填写本月进展（至少 2 个字；没有进展也请写明原因）。", "progress")
    if time_limit is not None:
        if time_limit < today:
            raise DispatchError("完成时限不能早于今天。", "time_limit")
        if (time_limit - today).days > MAX_TIME_LIMIT_DAYS:
            raise DispatchError("完成时限不能晚于三年之后，请核对。", "time_limit")
    if texts["next_step"] and time_limit is None:
        raise DispatchError("填写了下一步措施，请同时填写完成时限。", "time_limit")
    if escalate and not texts["blocker"]:
        raise DispatchError("申请提级督办须写明堵点。", "blocker")
    return Report(
        texts["progress"], texts["blocker"], texts["next_step"], time_limit, bool(escalate)
    )


# ---------------------------------------------------------------- a round's entries


@dataclass(frozen=True)
class EntryFacts:
    """One entry as the arithmetic sees it.

    `status` is the defect's status now for an open round, at closing for a closed one;
    `deadline` and `planned_month` are as snapshot when the round opened.
    """

    entry_id: int
    defect_id: int
    district: str
    lead: str
    status_at_open: str
    status: str
    deadline: dt.date | None
    planned_month: str | None
    reported: bool
    escalate: bool = False


@dataclass(frozen=True)
class PreviousFacts:
    """The same defect in the previous round: its status at closing, its snapshot dates."""

    status: str
    deadline: dt.date | None
    planned_month: str | None


def _label(status: str) -> str:
    return DEFECT_STATUSES.get(status, status)


def overdue_reasons(entry: EntryFacts, month: str, as_of: dt.date) -> tuple[str, ...]:
    """Why an item is overdue: past its 办理时限, or its planned month before the round's month."""
    if entry.status in NOT_DUE:
        return ()
    reasons: list[str] = []
    if entry.deadline is not None and entry.deadline < as_of:
        reasons.append(f"已超过办理时限 {entry.deadline.isoformat()}")
    if entry.planned_month is not None and entry.planned_month < month:
        reasons.append(f"已超过计划完成月份 {entry.planned_month}")
    return tuple(reasons)


def slip_reasons(entry: EntryFacts, previous: PreviousFacts | None) -> tuple[str, ...]:
    """What slipped since the previous round: plan or time limit moved later, status back."""
    if previous is None:
        return ()
    reasons: list[str] = []
    before, after = previous.planned_month, entry.planned_month
    if before is not None and after is not None and after > before:
        reasons.append(f"计划完成月份由 {before} 推迟至 {after}")
    elif before is not None and after is None:
        reasons.append(f"计划完成月份（原 {before}）被取消")
    if (
        previous.deadline is not None
        and entry.deadline is not None
        and entry.deadline > previous.deadline
    ):
        reasons.append(
            f"办理时限由 {previous.deadline.isoformat()} 延至 {entry.deadline.isoformat()}"
        )
    if entry.status == "suspended" and previous.status != "suspended":
        reasons.append(f"由「{_label(previous.status)}」转入「暂缓」")
    elif (
        entry.status in STATUS_RANK
        and previous.status in STATUS_RANK
        and STATUS_RANK[entry.status] < STATUS_RANK[previous.status]
    ):
        reasons.append(f"状态由「{_label(previous.status)}」退回「{_label(entry.status)}」")
    return tuple(reasons)


def advanced(entry: EntryFacts) -> bool:
    """True when the item moved towards 销号 during the round (leaving 暂缓 counts)."""
    if entry.status == entry.status_at_open:
        return False
    if entry.status_at_open == "suspended":
        return entry.status in STATUS_RANK
    if entry.status not in STATUS_RANK or entry.status_at_open not in STATUS_RANK:
        return False
    return STATUS_RANK[entry.status] > STATUS_RANK[entry.status_at_open]


@dataclass(frozen=True)
class UnitScore:
    """A district's or department's showing in one round."""

    code: str
    rank: int
    entries: int
    reported: int
    advanced: int
    closed: int
    overdue: int
    score: float
    flagged: bool

    @property
    def unreported(self) -> int:
        """Entries not reported yet."""
        return self.entries - self.reported


def unit_score(entries: int, reported: int, moved: int, closed: int, overdue: int) -> float:
    """The ranking score out of 100 (see the module docstring), rounded to 0.1."""
    if entries <= 0:
        raise ValueError("a unit without entries has no score")
    share = {
        "reported": reported / entries,
        "advanced": moved / entries,
        "closed": closed / entries,
        "on_time": 1 - overdue / entries,
    }
    return round(sum(WEIGHTS[k] * share[k] for k in WEIGHTS), 1)


def ranking(
    entries: Sequence[EntryFacts], key: Callable[[EntryFacts], str], overdue_ids: Collection[int]
) -> tuple[UnitScore, ...]:
    """Units (by `key`: district or lead department) ranked best first, slow ones flagged."""
    tallies: dict[str, list[int]] = {}
    for entry in entries:
        tally = tallies.setdefault(key(entry), [0, 0, 0, 0, 0])
        tally[0] += 1
        tally[1] += entry.reported
        tally[2] += advanced(entry)
        tally[3] += entry.status == "closed"
        tally[4] += entry.entry_id in overdue_ids
    scored = [
        (unit_score(*t), t[4], code, t) for code, t in tallies.items()
    ]  # (score, overdue, code, tally)
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    last = len(scored)
    return tuple(
        UnitScore(
            code=code,
            rank=position,
            entries=t[0],
            reported=t[1],
            advanced=t[2],
            closed=t[3],
            overdue=t[4],
            score=score,
            flagged=score < FLAG_BELOW or (position == last >= 2 and score < EXEMPT_FROM),
        )
        for position, (score, _overdue, code, t) in enumerate(scored, start=1)
    )


@dataclass(frozen=True)
class Flagged:
    """An entry on the overdue or slipped list, with the reasons in Chinese."""

    entry_id: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Tally:
    """Reported / total for one unit (the 未报送 table)."""

    code: str
    entries: int
    reported: int

    @property
    def unreported(self) -> int:
        """Entries not reported yet."""
        return self.entries - self.reported


@dataclass(frozen=True)
class RoundSummary:
    """Everything the round page shows above the entry list."""

    total: int
    reported: int
    escalated: int
    advanced: int
    closed: int
    by_district: tuple[Tally, ...]
    by_department: tuple[Tally, ...]
    overdue: tuple[Flagged, ...]
    slipped: tuple[Flagged, ...]
    districts: tuple[UnitScore, ...]
    departments: tuple[UnitScore, ...]

    @property
    def unreported(self) -> int:
        """Entries not reported yet."""
        return self.total - self.reported


def _tallies(entries: Sequence[EntryFacts], key: Callable[[EntryFacts], str]) -> tuple[Tally, ...]:
    counts: dict[str, list[int]] = {}
    for entry in entries:
        count = counts.setdefault(key(entry), [0, 0])
        count[0] += 1
        count[1] += entry.reported
    # Most unreported first: the table answers "who has not reported".
    rows = [Tally(code, n, r) for code, (n, r) in counts.items()]
    return tuple(sorted(rows, key=lambda t: (-t.unreported, t.code)))


def summarize(
    entries: Sequence[EntryFacts],
    previous: Mapping[int, PreviousFacts],
    month: str,
    as_of: dt.date,
) -> RoundSummary:
    """The round page's figures; `previous` maps defect id to its entry in the previous round."""
    overdue = tuple(
        Flagged(e.entry_id, reasons)
        for e in entries
        if (reasons := overdue_reasons(e, month, as_of))
    )
    slipped = tuple(
        Flagged(e.entry_id, reasons)
        for e in entries
        if (reasons := slip_reasons(e, previous.get(e.defect_id)))
    )
    overdue_ids = {f.entry_id for f in overdue}
    return RoundSummary(
        total=len(entries),
        reported=sum(e.reported for e in entries),
        escalated=sum(e.escalate for e in entries),
        advanced=sum(advanced(e) for e in entries),
        closed=sum(e.status == "closed" for e in entries),
        by_district=_tallies(entries, lambda e: e.district),
        by_department=_tallies(entries, lambda e: e.lead),
        overdue=overdue,
        slipped=slipped,
        districts=ranking(entries, lambda e: e.district, overdue_ids),
        departments=ranking(entries, lambda e: e.lead, overdue_ids),
    )
