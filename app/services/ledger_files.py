"""The 台账 as a file: refusing unsafe uploads, streaming cells out, writing .xlsx and .csv.

Every check on an upload runs before openpyxl sees a byte of it (docs/ledger.md, Safety): the
name, the size, the container (an encrypted workbook is an OLE2 file, not a zip), the zip's
member count, sizes and compression ratios (zip bombs), and every XML part's prolog, where a
DOCTYPE or ENTITY declaration is refused (billion laughs, external entities). Reading then
streams rows with openpyxl's read-only mode, so memory stays bounded by the limits above.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation

from app.services.errors import InvalidInput
from cases.ledger import OPTIONS_SHEET, Column, neutralise

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Parts whose compression ratio is worth judging: tiny parts compress oddly and harmlessly.
RATIO_FLOOR_BYTES = 1 << 20
TEMPLATE_ROWS = 1000  # rows of a blank template that carry the dropdowns
EXTRA_ROWS = 500  # rows below an export that carry them, for new projects

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center")


@dataclass(frozen=True)
class Limits:
    """What an upload may be (config LEDGER_*)."""

    max_bytes: int
    max_rows: int
    max_uncompressed: int
    max_members: int
    max_ratio: int


def limits_from(config: Mapping[str, Any]) -> Limits:
    """The limits configured for the app."""
    return Limits(
        max_bytes=int(config["LEDGER_MAX_BYTES"]),
        max_rows=int(config["LEDGER_MAX_ROWS"]),
        max_uncompressed=int(config["LEDGER_MAX_UNCOMPRESSED_BYTES"]),
        max_members=int(config["LEDGER_MAX_MEMBERS"]),
        max_ratio=int(config["LEDGER_MAX_RATIO"]),
    )


def human_size(size: int) -> str:
    """1.5 MB and the like, for messages."""
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.0f} KB"
    return f"{size} 字节"


def _refuse(message: str) -> InvalidInput:
    return InvalidInput("file", message)


# ---------------------------------------------------------------- checks before parsing


def check_name(filename: str) -> None:
    """Only an Excel workbook (.xlsx) is imported: not .xlsm, .xls or .csv."""
    name = filename.strip().lower()
    if name.endswith(".xlsx"):
        return
    if name.endswith((".xlsm", ".xltm")):
        raise _refuse(
            "不接受启用宏的工作簿（.xlsm），请在 Excel 中另存为“Excel 工作簿（*.xlsx）”后再导入。"
        )
    if name.endswith((".xls", ".et", ".wps")):
        raise _refuse(
            "不接受旧版 Excel 文件（.xls），请在 Excel 中另存为“Excel 工作簿（*.xlsx）”后再导入。"
        )
    if name.endswith((".csv", ".txt")):
        raise _refuse(
            "导入只接受 Excel 工作簿（.xlsx）；CSV 文件请在 Excel 中打开后另存为 .xlsx 再导入。"
        )
    raise _refuse("导入只接受 Excel 工作簿（.xlsx）文件。")


def _ole2_refusal(data: bytes) -> InvalidInput:
    """An OLE2 container: an encrypted .xlsx (EncryptionInfo stream) or an old .xls."""
    if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data:
        return _refuse(
            "文件已加密（设置了打开密码），系统无法读取。请在 Excel 中取消密码"
            "（文件→信息→保护工作簿→用密码进行加密，清空密码）并保存为 .xlsx 后再导入。"
        )
    return _refuse("该文件实际是旧版 Excel（.xls）或其他 Office 格式，请另存为 .xlsx 后再导入。")


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a DOCTYPE or ENTITY in a part; only the prolog can hold one, so stop at the root."""
    is_xml = info.filename.lower().endswith((".xml", ".rels", ".vml"))
    try:
        with archive.open(info) as stream:
            for _ in iterparse(stream, events=("start",), forbid_dtd=True, forbid_entities=True):
                break
    except DefusedXmlException:
        raise _refuse(
            f"文件中的 {info.filename} 含有不允许的 XML 声明（DOCTYPE/ENTITY），"
            "可能是恶意文件，已拒绝。"
        ) from None
    except (ParseError, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        # Binary parts (images, printer settings) are not XML; a broken XML part is corruption.
        if is_xml:
            raise _refuse(
                f"文件已损坏（{info.filename} 无法读取），请用 Excel 打开后重新保存。"
            ) from exc


def check_container(data: bytes, limits: Limits) -> None:
    """Size, container, zip bomb and XML declarations, before any parser runs."""
    if len(data) > limits.max_bytes:
        raise _refuse(
            f"文件过大（{human_size(len(data))}），上限为 {human_size(limits.max_bytes)}，"
            "请分批导入。"
        )
    if not data:
        raise _refuse("文件是空的。")
    if data.startswith(OLE2_MAGIC):
        raise _ole2_refusal(data)
    if not data.startswith(ZIP_MAGIC):
        raise _refuse("文件已损坏或不是 Excel 工作簿（.xlsx），无法读取。")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _refuse("文件已损坏或不是 Excel 工作簿（.xlsx），无法读取。") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise _refuse(f"文件内部结构异常（包含 {len(members)} 个部件），已拒绝。")
        names = {m.filename.lower() for m in members}
        if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
            raise _refuse("文件已损坏或不是 Excel 工作簿（.xlsx），无法读取。")
        if any(n.endswith("vbaproject.bin") for n in names):
            raise _refuse("文件包含宏（VBA），不接受启用宏的工作簿，请另存为 .xlsx 后再导入。")
        total = 0
        for info in members:
            if info.flag_bits & 0x1:
                raise _refuse("文件已加密，系统无法读取。请取消密码并保存为 .xlsx 后再导入。")
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
                raise _refuse(
                    f"文件压缩比异常（{info.filename} 约 {ratio:.0f} 倍），疑似压缩炸弹，已拒绝。"
                )
        if total > limits.max_uncompressed:
            raise _refuse(
                f"文件解压后过大（{human_size(total)}，"
                f"上限 {human_size(limits.max_uncompressed)}），疑似压缩炸弹，已拒绝。"
            )
        for info in members:
            if not info.is_dir():
                _check_prolog(archive, info)


def check_upload(filename: str, data: bytes, limits: Limits) -> None:
    """Every refusal that can be made without parsing the workbook."""
    check_name(filename)
    check_container(data, limits)


# ---------------------------------------------------------------- streaming rows


@dataclass
class SheetStream:
    """One worksheet's rows as (Excel row number, cell values), read lazily."""

    name: str
    hidden: bool
    rows: Iterator[tuple[int, tuple[object, ...]]] = field(repr=False)


def _corrupt(exc: BaseException) -> InvalidInput:
    return _refuse(f"文件已损坏，无法读取（{type(exc).__name__}），请用 Excel 打开后重新保存。")


def _stream(ws: Any) -> Iterator[tuple[int, tuple[object, ...]]]:
    """Rows numbered as Excel numbers them; a parse error mid-way is a corrupt file."""
    # The stored dimension may be wrong (some tools write A1): read every row there is.
    ws.reset_dimensions()
    rows = ws.iter_rows(values_only=True)
    number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise _corrupt(exc) from exc
        number += 1
        yield number, tuple(values)


@contextmanager
def open_sheets(data: bytes) -> Iterator[list[SheetStream]]:
    """The workbook's sheets, streamed (openpyxl read-only); call after `check_upload`."""
    with warnings.catch_warnings():
        # openpyxl warns about every extension it drops (slicers, conditional formats…).
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
        except Exception as exc:
            raise _corrupt(exc) from exc
        try:
            yield [
                SheetStream(
                    ws.title, getattr(ws, "sheet_state", "visible") != "visible", _stream(ws)
                )
                for ws in workbook.worksheets
            ]
        finally:
            workbook.close()


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class SheetData:
    """A table to write: title lines above a header, rows of plain values, dropdown lists."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[object]]
    title: str = ""
    subtitle: str = ""
    lists: Mapping[str, Sequence[str]] = field(default_factory=dict)  # column key -> choices
    validation_rows: int = 0
    freeze: str = "C4"


def _text_cell(ws: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)))
    cell.data_type = "s"  # a string cell whatever the text: never a formula
    return cell


def _plain(value: object) -> object:
    """A value as openpyxl should store it; text can never become a formula once neutralised."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _cell(ws: WriteOnlyWorksheet, value: object) -> WriteOnlyCell | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return _text_cell(ws, value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _styled(ws: WriteOnlyWorksheet, value: str, font: Font, fill: PatternFill | None = None,
            alignment: Alignment | None = None) -> WriteOnlyCell:  # fmt: skip
    cell = _text_cell(ws, value)
    cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _write_table(
    wb: Workbook, sheet: SheetData, list_ranges: Mapping[str, str], max_rows: int | None
) -> int:
    """One sheet: title, subtitle, header, rows, dropdowns; returns the rows written."""
    ws = wb.create_sheet(sheet.name)
    width = len(sheet.columns)
    last = get_column_letter(width)
    for position, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(position)].width = column.width
    ws.freeze_panes = sheet.freeze
    ws.append([_styled(ws, sheet.title, TITLE_FONT, alignment=CENTER)])
    ws.merged_cells.add(f"A1:{last}1")
    ws.append([_styled(ws, sheet.subtitle, Font(color="555555"))])
    ws.merged_cells.add(f"A2:{last}2")
    ws.append([_styled(ws, c.header, HEADER_FONT, HEADER_FILL, WRAP) for c in sheet.columns])
    written = 0
    for values in sheet.rows:
        # Plain values let openpyxl reuse one cell object per row (several times faster).
        ws.append([_plain(v) for v in values])
        written += 1
        if max_rows is not None and written >= max_rows:
            break
    first, end = 4, 3 + max(written + EXTRA_ROWS, sheet.validation_rows)
    for position, column in enumerate(sheet.columns, start=1):
        ref = list_ranges.get(f"{sheet.name}/{column.key}")
        if ref is None:
            continue
        validation = DataValidation(
            type="list",
            formula1=ref,
            allow_blank=True,
            # A warning, not a stop: the import also reads √, 1, codes and other spellings.
            errorStyle="warning",
            errorTitle="不在下拉列表中",
            error=f"『{column.header}』请从下拉列表中选择。",
            showErrorMessage=True,
        )
        letter = get_column_letter(position)
        validation.add(f"{letter}{first}:{letter}{end}")
        ws.data_validations.append(validation)
    return written


def write_xlsx(
    sheets: Sequence[SheetData], notes: Sequence[Sequence[str]], *, max_rows: int | None = None
) -> bytes:
    """The workbook: the tables, a 填写说明 sheet, the hidden dropdown lists (write-only)."""
    wb = Workbook(write_only=True)
    # The dropdown lists go last (Excel opens on the first sheet) but their ranges are known now.
    options = _lay_out_options(sheets)
    for sheet in sheets:
        _write_table(wb, sheet, options.ranges, max_rows)
    notes_ws = wb.create_sheet("填写说明")
    notes_ws.column_dimensions["A"].width = 14
    notes_ws.column_dimensions["B"].width = 24
    notes_ws.column_dimensions["C"].width = 12
    notes_ws.column_dimensions["D"].width = 90
    for index, line in enumerate(notes):
        if index == 0:
            notes_ws.append([_styled(notes_ws, v, HEADER_FONT, HEADER_FILL) for v in line])
        else:
            notes_ws.append([_cell(notes_ws, v) for v in line])
    options.write(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass
class _Options:
    """The dropdown lists, laid out in columns of the hidden 选项 sheet."""

    columns: list[tuple[str, ...]]
    ranges: dict[str, str]

    def write(self, wb: Workbook) -> None:
        """Append the hidden sheet (after the visible ones, so Excel opens on the ledger)."""
        if not self.columns:
            return
        ws = wb.create_sheet(OPTIONS_SHEET)
        ws.sheet_state = "hidden"
        for row in range(max(len(items) for items in self.columns)):
            ws.append([items[row] if row < len(items) else None for items in self.columns])


def _lay_out_options(sheets: Sequence[SheetData]) -> _Options:
    """One column of the hidden sheet per distinct list; each sheet/column -> its range."""
    columns: list[tuple[str, ...]] = []
    where: dict[tuple[str, ...], str] = {}
    ranges: dict[str, str] = {}
    for sheet in sheets:
        for key, choices in sheet.lists.items():
            items = tuple(choices)
            if items not in where:
                letter = get_column_letter(len(columns) + 1)
                where[items] = (
                    f"{quote_sheetname(OPTIONS_SHEET)}!${letter}$1:${letter}${len(items)}"
                )
                columns.append(items)
            ranges[f"{sheet.name}/{key}"] = where[items]
    return _Options(columns, ranges)


def write_csv(columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> bytes:
    """One table as CSV, UTF-8 with a BOM so Excel opens it; formulas neutralised."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    for values in rows:
        writer.writerow([_csv_value(v) for v in values])
    return out.getvalue().encode("utf-8-sig")


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)
