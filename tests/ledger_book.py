"""Build and edit 台账 workbooks in tests, the way a district's Excel would hold them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence

from openpyxl import Workbook, load_workbook

from cases.ledger import DEFECT_SHEET, PROJECT_SHEET

HEADER = ("序号", "项目编号", "项目名称", "县区", "总户数", "已办证户数", "开工日期", "涉法涉诉")


def workbook(
    rows: Iterable[Sequence[object]],
    *,
    header: Sequence[str] = HEADER,
    above: Sequence[Sequence[object]] = (("某县区办证难问题台账",),),
    sheet: str = PROJECT_SHEET,
    defects: Sequence[Sequence[object]] | None = None,
    defect_header: Sequence[str] = ("项目编号", "项目名称", "问题类型"),
    write_only: bool = False,
) -> bytes:
    """A workbook with title rows, a header and rows (write-only for thousands of rows)."""
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet(sheet) if write_only else wb.active
    if not write_only:
        ws.title = sheet
    for line in above:
        ws.append(list(line))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    if defects is not None:
        second = wb.create_sheet(DEFECT_SHEET)
        second.append(list(defect_header))
        for row in defects:
            second.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def header_row(ws) -> int:
    """The row holding 项目名称 (3 in an export)."""
    for row in ws.iter_rows(min_row=1, max_row=10):
        if any(c.value in ("项目名称",) for c in row):
            return row[0].row
    raise AssertionError("no header")


def edit(
    data: bytes, changes: Mapping[tuple[str, str], object], sheet: str = PROJECT_SHEET
) -> bytes:
    """Set cells of an exported ledger, addressed by (项目编号, column header)."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[sheet]
    top = header_row(ws)
    columns = {c.value: c.column for c in ws[top] if c.value}
    rows = {
        ws.cell(row=r, column=columns["项目编号"]).value: r for r in range(top + 1, ws.max_row + 1)
    }
    for (code, header), value in changes.items():
        ws.cell(row=rows[code], column=columns[header]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table(data: bytes, sheet: str = PROJECT_SHEET) -> list[dict[str, object]]:
    """The data rows of a sheet as {header: value}."""
    ws = load_workbook(io.BytesIO(data))[sheet]
    top = header_row(ws)
    headers = [c.value for c in ws[top]]
    out = []
    for row in ws.iter_rows(min_row=top + 1, values_only=True):
        if any(v not in (None, "") for v in row):
            out.append(dict(zip(headers, row, strict=False)))
    return out
