"""The round's 调度表 as an Excel workbook (openpyxl, write-only so a large round streams).

Every text a user typed goes out as a text cell, and one that a spreadsheet would read as a
formula (= + - @, tab, carriage return) gets a leading apostrophe as well: a report reading
`=HYPERLINK(...)` must not run when a leader opens the file (CSV/formula injection).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from app.clock import LOCAL_TZ
from app.services.dispatch import ROUND_STATUSES, Overview, TableRow
from cases.dispatch import EXEMPT_FROM, FLAG_BELOW, WEIGHTS, UnitScore
from cases.taxonomy import DEFECT_STATUSES, DEFECT_TYPES, DEPARTMENTS, DISTRICTS

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# (header, width) of the 调度表, one row per entry.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 6),
    ("项目编号", 11),
    ("项目名称", 24),
    ("县区", 9),
    ("问题类型", 22),
    ("牵头部门", 18),
    ("开启时状态", 11),
    ("本轮状态", 11),
    ("办理时限", 12),
    ("计划完成月份", 12),
    ("本月进展", 40),
    ("堵点", 30),
    ("下一步措施", 30),
    ("完成时限", 12),
    ("提级督办", 9),
    ("是否报送", 9),
    ("填报人", 14),
    ("填报时间", 17),
    ("逾期情况", 28),
    ("滞后情况", 28),
)
WEIGHT_LABELS = {
    "reported": "报送率",
    "advanced": "推进率",
    "closed": "销号率",
    "on_time": "未逾期率",
}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
WRAP = Alignment(wrap_text=True, vertical="top")


def neutralise(value: str) -> str:
    """Text a spreadsheet would take for a formula, prefixed with an apostrophe; characters
    XML cannot carry (control codes other than tab and line breaks) dropped."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _cell(ws: WriteOnlyWorksheet, value: Any, *, wrap: bool = False) -> WriteOnlyCell:
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=neutralise(value))
        cell.data_type = "s"  # never a formula, whatever the text
        if wrap:
            cell.alignment = WRAP
        return cell
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _plain(ws: WriteOnlyWorksheet, value: Any, wrap: bool) -> Any:
    """A bulk cell: a bare value where no style is needed (20 000 rows stay fast).

    A neutralised string no longer starts with "=", so openpyxl stores it as text.
    """
    if isinstance(value, str):
        if wrap and value:
            return _cell(ws, value, wrap=True)
        return neutralise(value)
    return value


def _header(ws: WriteOnlyWorksheet, titles: Sequence[str]) -> list[WriteOnlyCell]:
    cells = []
    for title in titles:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


WRAPPED = frozenset({10, 11, 12})  # 本月进展、堵点、下一步措施


def _entries_sheet(wb: Workbook, data: Overview, rows: Sequence[TableRow]) -> WriteOnlyWorksheet:
    ws = wb.create_sheet("调度表")
    ws.freeze_panes = "A2"
    for index, (_title, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.append(_header(ws, [title for title, _ in COLUMNS]))
    overdue, slipped = data.overdue_reasons, data.slip_reasons
    districts = {c: d.name for c, d in DISTRICTS.items()}
    departments = {c: d.name for c, d in DEPARTMENTS.items()}
    types = {c: t.name for c, t in DEFECT_TYPES.items()}
    for number, row in enumerate(rows, start=1):
        reported_at = (
            row.reported_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
            if row.reported_at
            else ""
        )
        values: list[Any] = [
            number,
            row.project_code,
            row.project_name,
            districts[row.district],
            types[row.defect_type],
            departments[row.lead],
            DEFECT_STATUSES[row.status_at_open],
            DEFECT_STATUSES.get(row.status, row.status),
            row.deadline,
            row.planned_month or "",
            row.progress,
            row.blocker,
            row.next_step,
            row.time_limit,
            "是" if row.escalate else "否",
            "已报送" if row.reported_at else "未报送",
            row.reported_by or "",
            reported_at,
            "；".join(overdue.get(row.id, ())),
            "；".join(slipped.get(row.id, ())),
        ]
        ws.append([_plain(ws, v, i in WRAPPED) for i, v in enumerate(values)])
    return ws


def _ranking_rows(
    ws: WriteOnlyWorksheet, title: str, units: Sequence[UnitScore], names: dict[str, str]
) -> None:
    ws.append([_cell(ws, title)])
    ws.append(
        _header(
            ws,
            ["名次", "单位", "条目", "已报送", "推进", "销号", "逾期", "得分", "约谈通报候选"],
        )
    )
    for unit in units:
        ws.append(
            [
                _cell(ws, v)
                for v in (
                    unit.rank,
                    names.get(unit.code, unit.code),
                    unit.entries,
                    unit.reported,
                    unit.advanced,
                    unit.closed,
                    unit.overdue,
                    unit.score,
                    "是" if unit.flagged else "",
                )
            ]
        )
    ws.append([])


def _summary_sheet(wb: Workbook, data: Overview, with_ranking: bool) -> None:
    ws = wb.create_sheet("汇总")
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 24
    s = data.summary
    rows: list[tuple[str, Any]] = [
        ("调度月份", data.round.month),
        ("状态", ROUND_STATUSES[data.round.status]),
        ("统计基准日", data.as_of),
        ("上一轮", data.previous_month or "无"),
        ("条目", s.total),
        ("已报送", s.reported),
        ("未报送", s.unreported),
        ("本轮推进", s.advanced),
        ("本轮销号", s.closed),
        ("逾期", len(s.overdue)),
        ("较上月滞后", len(s.slipped)),
        ("申请提级督办", s.escalated),
    ]
    for label, value in rows:
        ws.append([_cell(ws, label), _cell(ws, value)])
    ws.append([])
    if with_ranking:
        weights = "＋".join(f"{WEIGHT_LABELS[k]}×{w}" for k, w in WEIGHTS.items())
        rule = f"低于 {FLAG_BELOW:g} 分、或排名末位且不足 {EXEMPT_FROM:g} 分，为约谈通报候选"
        ws.append([_cell(ws, "得分"), _cell(ws, f"{weights}；{rule}")])
        ws.append([])
        _ranking_rows(ws, "县区排名", s.districts, {c: d.name for c, d in DISTRICTS.items()})
        _ranking_rows(
            ws, "牵头部门排名", s.departments, {c: d.name for c, d in DEPARTMENTS.items()}
        )


def workbook(data: Overview, rows: Sequence[TableRow], *, with_ranking: bool) -> bytes:
    """The round as .xlsx bytes: the 调度表 (one row per entry) and a summary sheet."""
    wb = Workbook(write_only=True)
    _entries_sheet(wb, data, rows)
    _summary_sheet(wb, data, with_ranking)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
