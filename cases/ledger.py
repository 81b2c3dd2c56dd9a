"""The Excel 台账 (docs/ledger.md): its columns, and the tolerant reading of what people type.

Pure: no openpyxl, no Flask, no clock. `app.services.ledger_files` streams the cells out of a
workbook and hands plain values (str, int, float, bool, date, datetime, None) to the functions
here; `app.services.ledger` decides what a parsed row does to the database.

Real district sheets carry header rows above the table, merged title cells, extra columns,
trailing empty rows, dates as Excel serials or as `2003-05-01`, `2003/5/1`, `2003.5`, `2003年5月`,
`是/否` and `√`, numbers stored as text, full-width digits and spaces. Everything that cannot be
read is reported by sheet, row and column, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Literal

from cases.classify import Classification
from cases.taxonomy import (
    DEFECT_STATUSES,
    DEFECT_TYPES,
    DEPARTMENTS,
    DISTRICTS,
    FACT_FIELDS,
    PROJECT_TYPES,
)

PROJECT_SHEET = "项目台账"
DEFECT_SHEET = "问题清单"
NOTES_SHEET = "填写说明"
OPTIONS_SHEET = "选项"
TITLE = "石嘴山市城镇住宅“办证难”问题项目台账"

ColumnKind = Literal["seq", "code", "text", "int", "date", "bool", "enum", "datetime", "info"]
# What an import does with a column: apply it, use it to detect a stale file, or only read it.
OnImport = Literal["apply", "check", "compare", "ignore"]

# Facts stored as columns of `projects` (ledger columns of their own, right after 项目类型).
COLUMN_FACTS = ("project_type", "construction_start_date", "completion_date")

# A cell a spreadsheet would take for a formula (CSV/formula injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

YEAR_RANGE = (1900, 2100)


@dataclass(frozen=True)
class Column:
    """One column of a ledger sheet: header, kind, what the import does with it, its note."""

    key: str
    header: str
    kind: ColumnKind
    note: str
    on_import: OnImport = "apply"
    required: bool = False
    choices: Mapping[str, str] | None = field(default=None, hash=False)  # code -> 中文
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    width: int = 12


def _fact_note(kind: str, choices: Mapping[str, str] | None) -> str:
    if kind == "bool":
        return "填“是”或“否”（也可填 √、×），不清楚的留空或填“不详”。"
    if kind == "enum" and choices:
        return "从下拉列表选择：" + "、".join(choices.values()) + "；不清楚的留空。"
    if kind == "int":
        return "非负整数，不清楚的留空。"
    return "日期，不清楚的留空。"


def _fact_columns() -> tuple[Column, ...]:
    """The 附件3 facts that are not columns of their own, in annex3-rules.md order."""
    columns = []
    for spec in FACT_FIELDS:
        if spec.name in COLUMN_FACTS:
            continue
        kind: ColumnKind = spec.kind  # bool, enum, int (dates are all column facts)
        columns.append(
            Column(
                spec.name,
                spec.label,
                kind,
                f"附件3事实（{spec.group}）：" + _fact_note(spec.kind, spec.choices),
                choices=spec.choices,
                aliases=(spec.name,),
                width=max(10, min(24, len(spec.label) + 2)),
            )
        )
    return tuple(columns)


_DISTRICT_CHOICES = MappingProxyType({c: d.name for c, d in DISTRICTS.items()})

PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", "seq", "行号，仅供查看，导入时不读取。", on_import="ignore", width=6),
    Column(
        "code",
        "项目编号",
        "code",
        "系统编号，如 DWK-0001。按编号更新已有项目；留空表示新项目，导入时自动编号。",
        aliases=("编号",),
        width=11,
    ),
    Column(
        "name",
        "项目名称",
        "text",
        "必填，小区或项目名称。",
        required=True,
        aliases=("小区名称", "项目(小区)名称"),
        max_length=128,
        width=26,
    ),
    Column(
        "district",
        "县区",
        "enum",
        "必填，从下拉列表选择：" + "、".join(_DISTRICT_CHOICES.values()) + "。",
        required=True,
        choices=_DISTRICT_CHOICES,
        aliases=("所属县区", "县(区)", "区县", "所在县区"),
        width=9,
    ),
    Column(
        "address",
        "街道/地址",
        "text",
        "所在街道及详细地址。",
        aliases=("地址", "街道地址", "项目地址", "坐落"),
        max_length=255,
        width=26,
    ),
    Column(
        "developer",
        "开发建设单位",
        "text",
        "开发建设单位全称。",
        aliases=("开发单位", "建设单位", "开发企业"),
        max_length=128,
        width=22,
    ),
    Column(
        "developer_exists",
        "开发单位是否存续",
        "bool",
        "填“是”或“否”（也可填 √、×），不清楚的留空。",
        aliases=("开发建设单位是否存续", "开发单位存续", "开发企业是否存续"),
        width=10,
    ),
    Column(
        "project_type",
        "项目类型",
        "enum",
        "从下拉列表选择：" + "、".join(PROJECT_TYPES.values()) + "；不清楚的留空。",
        choices=PROJECT_TYPES,
        aliases=("住房类型", "房屋类型", "project_type"),
        width=14,
    ),
    Column(
        "construction_start_date",
        "开工日期",
        "date",
        "住建部门认定的开工日期。可写 2003-05-01、2003/5/1、2003.5、2003年5月；"
        "只写到月的按该月 1 日计。",
        aliases=("开工日期（住建部门认定）", "开工时间", "construction_start_date"),
        width=12,
    ),
    Column(
        "completion_date",
        "建成日期",
        "date",
        "建成（竣工）日期，写法同开工日期。",
        aliases=("建成（竣工）日期", "竣工日期", "建成时间", "竣工时间", "completion_date"),
        width=12,
    ),
    Column(
        "total_households",
        "总户数",
        "int",
        "必填，非负整数。",
        required=True,
        aliases=("户数", "总套数"),
        width=8,
    ),
    Column(
        "certified_households",
        "已办证户数",
        "int",
        "非负整数，不大于总户数；留空按 0 计。更改后系统记一笔“更正”办证记录。",
        aliases=("已办证数", "已办证套数"),
        width=10,
    ),
    Column(
        "first_registration_date",
        "首次登记日期",
        "date",
        "首次办理不动产登记的日期，写法同开工日期；登记办证数时系统会自动更新。",
        aliases=("首次登记时间",),
        width=12,
    ),
    Column(
        "leader",
        "包抓领导",
        "text",
        "包抓该项目的领导姓名、职务。",
        aliases=("包抓责任人", "包联领导"),
        max_length=64,
        width=12,
    ),
    *_fact_columns(),
    Column(
        "updated_by",
        "最后更新人",
        "info",
        "导出时由系统填写，导入时不读取。",
        on_import="ignore",
        width=12,
    ),
    Column(
        "updated_at",
        "最后更新时间",
        "datetime",
        "导出时由系统填写，请勿修改：导入时若该项目在此时间之后又被他人修改，且本行内容与系统"
        "不同，该行报错，以免旧表覆盖新数据。",
        on_import="check",
        width=17,
    ),
)

_TYPE_CHOICES = MappingProxyType({c: t.name for c, t in DEFECT_TYPES.items()})
_DEPARTMENT_CHOICES = MappingProxyType({c: d.name for c, d in DEPARTMENTS.items()})

DEFECT_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "项目编号",
        "code",
        "对应「项目台账」的项目编号；新项目留空时按项目名称对应。",
        on_import="compare",
        aliases=("编号",),
        width=11,
    ),
    Column(
        "name",
        "项目名称",
        "text",
        "对应「项目台账」的项目名称。",
        on_import="compare",
        aliases=("小区名称",),
        width=24,
    ),
    Column(
        "type",
        "问题类型",
        "enum",
        "附件3 三(一) 的问题类型。导入时与引擎按事实认定的类型比对，差异列出供经办人确认。",
        on_import="compare",
        required=True,
        choices=_TYPE_CHOICES,
        width=26,
    ),
    Column("clause", "条款", "info", "政策依据，如 附件3 三(一)6。", on_import="ignore", width=13),
    Column(
        "lead",
        "牵头部门",
        "enum",
        "牵头部门。",
        on_import="ignore",
        choices=_DEPARTMENT_CHOICES,
        width=16,
    ),
    Column("cooperating", "配合部门", "info", "配合部门，顿号分隔。", on_import="ignore", width=20),
    Column(
        "path",
        "化解路径（一项目一策）",
        "info",
        "化解路径名称；其后为一项目一策的化解计划。“待人工研判”表示引擎不能确定路径。",
        on_import="ignore",
        aliases=("化解路径", "一项目一策"),
        width=36,
    ),
    Column(
        "status",
        "当前状态",
        "enum",
        "问题的办理状态：" + "、".join(DEFECT_STATUSES.values()) + "。",
        on_import="ignore",
        choices=DEFECT_STATUSES,
        aliases=("状态", "办理状态"),
        width=10,
    ),
    Column("blocker", "堵点", "info", "最近一次每月调度填报的堵点。", on_import="ignore", width=24),
    Column(
        "next_step",
        "下一步措施",
        "info",
        "最近一次每月调度填报的下一步措施及完成时限。",
        on_import="ignore",
        width=24,
    ),
    Column(
        "planned",
        "计划完成时间",
        "info",
        "交办时的办理时限；未交办的为一项目一策的计划完成月份。",
        on_import="ignore",
        width=12,
    ),
    Column("done", "实际完成时间", "info", "审核销号的日期。", on_import="ignore", width=12),
    Column(
        "delay_reason",
        "延期原因",
        "info",
        "最近一次延期时记录的原因（推迟计划完成月份时填写的原因，或退回改派的理由）。",
        on_import="ignore",
        width=24,
    ),
    Column(
        "delays",
        "延期次数",
        "info",
        "办理时限或计划完成月份被推后的次数，按办理历史统计。",
        on_import="ignore",
        width=8,
    ),
)

SHEET_NOTES: Mapping[str, str] = MappingProxyType(
    {
        PROJECT_SHEET: "一行一个项目；导入时按项目编号新增或更新，事实变化后引擎重新分类。",
        DEFECT_SHEET: "一行一个问题；导入时只读取项目编号、项目名称和问题类型，与引擎结果比对，"
        "状态、时限等只能在系统中按办理流程变更。",
    }
)

# ---------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """Something wrong in a sheet, a row or a cell; `message` reads 第12行『开工日期』无法识别：…"""

    sheet: str
    row: int | None
    column: str | None
    detail: str

    @property
    def message(self) -> str:
        """The Chinese message without the sheet."""
        if self.row is not None and self.column:
            return f"第{self.row}行『{self.column}』{self.detail}"
        if self.row is not None:
            return f"第{self.row}行：{self.detail}"
        if self.column:
            return f"『{self.column}』{self.detail}"
        return self.detail

    def __str__(self) -> str:
        return f"「{self.sheet}」{self.message}" if self.sheet else self.message


class CellError(ValueError):
    """A cell value that cannot be read; `detail` is Chinese (e.g. 无法识别：2003年13月)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


# ---------------------------------------------------------------- normalising text

_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans("", "", "\"'“”‘’「」『』")


def squeeze(text: str) -> str:
    """Full-width to half-width (NFKC) and every space removed: for codes, numbers, dates."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def match_key(text: str) -> str:
    """What two spellings of a header or choice must share to be taken as the same."""
    return squeeze(text).translate(_QUOTES).replace("*", "").casefold()


def neutralise(text: str) -> str:
    """Text a spreadsheet would take for a formula, prefixed with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def unneutralise(text: str) -> str:
    """Undo `neutralise`, so an exported cell re-imports to the text it came from."""
    if text.startswith("'") and text[1:2] and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _value_text(raw: object) -> str:
    """A non-text cell's text: Excel's leading apostrophe (force text) means nothing there."""
    return str(raw).strip().lstrip("'")


def raw_text(raw: object) -> str:
    """How a cell value is quoted back in a message."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.isoformat(sep=" ")
    return str(raw).strip()


def is_blank(raw: object) -> bool:
    """An empty cell: None, or text that is only spaces."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


# ---------------------------------------------------------------- cell parsers


def parse_text(raw: object, max_length: int | None = None) -> str:
    """Text as typed, trimmed; numbers and dates written the way Excel shows them."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        text = "是" if raw else "否"
    elif isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    elif isinstance(raw, dt.datetime):
        text = raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    elif isinstance(raw, dt.date):
        text = raw.isoformat()
    else:
        text = str(raw)
    text = unneutralise(text.strip()).strip()
    if max_length is not None and len(text) > max_length:
        raise CellError(f"长度不能超过 {max_length} 个字符（现有 {len(text)} 个）。")
    return text


_UNITS = re.compile(r"(户|套|个|户数|套数)$")
_INTEGER = re.compile(r"[+-]?\d+(\.0*)?")


def parse_int(raw: object) -> int | None:
    """A non-negative whole number: 120, 120.0, '１２０', '1,200', '120户'."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool | dt.date):
        raise CellError(f"应为整数：{raw_text(raw)}")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            raise CellError(f"应为整数：{raw_text(raw)}")
        value = int(raw)
    else:
        text = _UNITS.sub("", squeeze(_value_text(raw)).replace(",", ""))
        if not _INTEGER.fullmatch(text):
            raise CellError(f"无法识别：{raw_text(raw)}")
        value = int(float(text))
    if value < 0:
        raise CellError(f"不能为负数：{value}")
    return value


_TRUE = frozenset({"是", "√", "✓", "✔", "☑", "y", "yes", "true", "有", "存续", "已"})
_FALSE = frozenset({"否", "×", "✗", "✘", "x", "n", "no", "false", "无", "不存续", "未", "没有"})
_UNKNOWN = frozenset({"", "不详", "未知", "不清楚", "待核实", "待查", "-", "—", "——", "/", "\\"})


def parse_bool(raw: object) -> bool | None:
    """是 / 否 (√ ×, Y N, 1 0, Excel TRUE FALSE); 不详 or empty is unknown."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if raw in (0, 1):
            return bool(raw)
        raise CellError(f"无法识别：{raw_text(raw)}（应填“是”或“否”）")
    key = match_key(_value_text(raw))
    if key in _UNKNOWN:
        return None
    if key in _TRUE or key == "1":
        return True
    if key in _FALSE or key == "0":
        return False
    raise CellError(f"无法识别：{raw_text(raw)}（应填“是”或“否”）")


_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31
_FULL = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_MONTH_ONLY = (
    re.compile(r"(\d{4})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月?"),
)


def _checked_date(year: int, month: int, day: int, raw: object) -> dt.date:
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise CellError(f"无法识别：{raw_text(raw)}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(f"无法识别：{raw_text(raw)}") from None


def _from_serial(serial: int, raw: object) -> dt.date:
    """Excel's 1900 date system, with its phantom 1900-02-29 (serial 60)."""
    if serial < 1 or serial > _MAX_SERIAL or serial == 60:
        raise CellError(f"无法识别：{raw_text(raw)}")
    # Serials below 60 count from 1899-12-31; Lotus' leap-year bug shifts the rest by one day.
    base = dt.date(1899, 12, 31) if serial < 60 else _EXCEL_EPOCH
    day = base + dt.timedelta(days=serial)
    return _checked_date(day.year, day.month, day.day, raw)


def _year_month_number(raw: float) -> dt.date:
    """2003.5 typed as a number: May 2003. 2003.1 may have been 2003.10, so it is refused."""
    year_text, _, month_text = repr(raw).partition(".")
    if month_text == "1":
        raise CellError(
            f"无法区分是1月还是10月：{raw_text(raw)}，请写作 {year_text}年1月 或 {year_text}年10月"
        )
    return _checked_date(int(year_text), int(month_text), 1, raw)


def parse_date(raw: object) -> dt.date | None:
    """A day: a date cell, an Excel serial, 2003-05-01, 2003/5/1, 2003.5, 2003年5月 (day 1)."""
    if is_blank(raw):
        return None
    if isinstance(raw, dt.datetime):
        return _checked_date(raw.year, raw.month, raw.day, raw)
    if isinstance(raw, dt.date):
        return _checked_date(raw.year, raw.month, raw.day, raw)
    if isinstance(raw, bool):
        raise CellError(f"无法识别：{raw_text(raw)}")
    if isinstance(raw, int | float):
        if YEAR_RANGE[0] <= raw <= YEAR_RANGE[1] + 1:
            if isinstance(raw, float) and not raw.is_integer():
                return _year_month_number(raw)
            raise CellError(f"只有年份：{raw_text(raw)}，请至少写到月份，如 {int(raw)}年5月")
        return _from_serial(int(raw), raw)
    text = squeeze(_value_text(raw))
    for pattern in _FULL:
        if m := pattern.fullmatch(text):
            return _checked_date(int(m[1]), int(m[2]), int(m[3]), raw)
    for pattern in _MONTH_ONLY:
        if m := pattern.fullmatch(text):
            return _checked_date(int(m[1]), int(m[2]), 1, raw)
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # a serial stored as text
        return _from_serial(int(float(text)), raw)
    if re.fullmatch(r"\d{4}年?", text):
        raise CellError(f"只有年份：{raw_text(raw)}，请至少写到月份，如 {text[:4]}年5月")
    raise CellError(f"无法识别：{raw_text(raw)}")


_DATETIME = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
)


def parse_datetime(raw: object) -> dt.datetime | None:
    """A local date and time as exported (2026-11-27 10:30:00); naive."""
    if is_blank(raw):
        return None
    if isinstance(raw, dt.datetime):
        return raw.replace(tzinfo=None, microsecond=0)
    if isinstance(raw, dt.date):
        return dt.datetime(raw.year, raw.month, raw.day)
    text = _SPACE.sub(" ", unicodedata.normalize("NFKC", str(raw)).strip())
    m = _DATETIME.fullmatch(text)
    if m is None:
        raise CellError(f"无法识别：{raw_text(raw)}")
    try:
        return dt.datetime(
            int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        )
    except ValueError:
        raise CellError(f"无法识别：{raw_text(raw)}") from None


# Other names people use for the choices (keys compared with `match_key`).
CHOICE_ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "district": MappingProxyType(
            {
                **{d.adcode: d.code for d in DISTRICTS.values()},
                **{d.name[:-1]: d.code for d in DISTRICTS.values()},  # 大武口, 惠农, 平罗
                **{d.prefix: d.code for d in DISTRICTS.values()},
            }
        ),
        "project_type": MappingProxyType(
            {
                "经济适用房": "affordable",
                "经适房": "affordable",
                "商品住房": "commercial",
                "棚户区改造": "shantytown",
                "棚户区改造房": "shantytown",
                "棚改": "shantytown",
                "限价房": "price_capped",
                "自建房": "self_built",
                "集资建房": "fundraised",
                "安置住房": "resettlement",
            }
        ),
    }
)


@cache
def choice_index(column: Column) -> Mapping[str, str]:
    """Every accepted spelling of a column's choices (code, 中文, aliases) -> code."""
    index: dict[str, str] = {}
    for code, label in (column.choices or {}).items():
        index[match_key(code)] = code
        index[match_key(label)] = code
    for alias, code in CHOICE_ALIASES.get(column.key, {}).items():
        index.setdefault(match_key(alias), code)
    return MappingProxyType(index)


def parse_choice(raw: object, column: Column, index: Mapping[str, str] | None = None) -> str | None:
    """The code of a choice typed as its 中文 name, its code or a common alias."""
    if is_blank(raw):
        return None
    key = match_key(_value_text(raw))
    if key in _UNKNOWN:
        return None
    code = (index if index is not None else choice_index(column)).get(key)
    if code is None:
        raise CellError(f"无法识别：{raw_text(raw)}")
    return code


_CODE = re.compile(r"[A-Z]{2,4}-\d{4,6}")


def parse_code(raw: object) -> str | None:
    """A project code such as DWK-0001 (case and full-width forms forgiven); empty: a new one."""
    if is_blank(raw):
        return None
    text = squeeze(_value_text(raw)).upper()
    if not _CODE.fullmatch(text):
        raise CellError(f"格式应为“县区代码-序号”，如 DWK-0001：{raw_text(raw)}")
    return text


# ---------------------------------------------------------------- headers


@dataclass(frozen=True)
class Header:
    """Where a sheet's table starts and which column holds which field."""

    row: int
    columns: Mapping[int, Column]  # 0-based cell index -> column
    labels: Mapping[str, str]  # column key -> the header as written in the sheet
    ignored: tuple[str, ...]  # headers not recognised (extra columns)
    problems: tuple[Problem, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        """The fields present in the sheet."""
        return frozenset(c.key for c in self.columns.values())


def header_index(columns: Sequence[Column]) -> dict[str, Column]:
    """Every accepted spelling of a sheet's headers -> column."""
    index: dict[str, Column] = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            index.setdefault(match_key(name), column)
    return index


_REQUIRED_MARK = re.compile(r"[(（]必填[)）]$|必填$")


def find_header(
    sheet: str,
    row: int,
    values: Sequence[object],
    columns: Sequence[Column],
    must_have: Collection[str],
    index: Mapping[str, Column] | None = None,
) -> Header | None:
    """The header, if this row is the table's header: it names every `must_have` key."""
    index = index if index is not None else header_index(columns)
    found: dict[int, Column] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for position, raw in enumerate(values):
        if is_blank(raw) or not isinstance(raw, str):
            if not is_blank(raw):
                ignored.append(raw_text(raw))
            continue
        key = _REQUIRED_MARK.sub("", match_key(raw))
        column = index.get(key)
        if column is None:
            ignored.append(raw.strip())
            continue
        if column.key in seen:
            problems.append(
                Problem(sheet, row, raw.strip(), f"与『{seen[column.key]}』是同一列，出现了两次。")
            )
            continue
        seen[column.key] = raw.strip()
        found[position] = column
    keys = {c.key for c in found.values()}
    if not set(must_have) <= keys or len(keys) < 2:
        return None
    return Header(
        row, MappingProxyType(found), MappingProxyType(seen), tuple(ignored), tuple(problems)
    )


def row_values(header: Header, values: Sequence[object]) -> dict[str, object]:
    """The cells of one data row, by column key."""
    out: dict[str, object] = {}
    for position, column in header.columns.items():
        out[column.key] = values[position] if position < len(values) else None
    return out


_TOTAL_ROW = frozenset({"合计", "总计", "小计", "汇总"})


def is_empty_row(cells: Mapping[str, object]) -> bool:
    """Nothing but (maybe) a 序号: pre-numbered template rows and trailing rows are skipped."""
    return all(is_blank(v) for k, v in cells.items() if k not in ("seq", "updated_by"))


def is_total_row(cells: Mapping[str, object]) -> bool:
    """A 合计 line under the table."""
    return any(
        isinstance(cells.get(k), str) and match_key(str(cells[k])) in _TOTAL_ROW
        for k in ("seq", "code", "name")
    )


def is_repeated_header(header: Header, values: Sequence[object]) -> bool:
    """The header row pasted again further down (compared as written: this runs on every row)."""
    hits = 0
    for position, column in header.columns.items():
        raw = values[position] if position < len(values) else None
        if isinstance(raw, str) and raw.strip() == header.labels[column.key]:
            hits += 1
    return hits >= max(2, len(header.columns) // 2)


# ---------------------------------------------------------------- rows


@dataclass(frozen=True)
class ProjectRow:
    """One parsed row of 「项目台账」: `values` holds only the columns the sheet has."""

    row: int
    values: Mapping[str, object]

    def get(self, key: str, default: object = None) -> object:
        """A parsed value, or `default` when the sheet has no such column."""
        return self.values.get(key, default)

    @property
    def code(self) -> str | None:
        """项目编号; None for a new project."""
        value = self.values.get("code")
        return value if isinstance(value, str) else None

    @property
    def name(self) -> str:
        """项目名称."""
        return str(self.values.get("name") or "")

    def facts(self) -> dict[str, object]:
        """The 附件3 facts the sheet carries (unknown ones as None)."""
        return {f.name: self.values[f.name] for f in FACT_FIELDS if f.name in self.values}


@dataclass(frozen=True)
class DefectRow:
    """One row of 「问题清单」, as far as an import reads it."""

    row: int
    code: str | None
    name: str
    type: str


_PARSERS: Mapping[ColumnKind, Callable[[object, Column], object]] = MappingProxyType(
    {
        "code": lambda raw, c: parse_code(raw),
        "text": lambda raw, c: parse_text(raw, c.max_length),
        "int": lambda raw, c: parse_int(raw),
        "date": lambda raw, c: parse_date(raw),
        "bool": lambda raw, c: parse_bool(raw),
        "enum": lambda raw, c: parse_choice(raw, c),
        "datetime": lambda raw, c: parse_datetime(raw),
    }
)

_DEFAULTS: Mapping[str, object] = MappingProxyType(
    {"certified_households": 0, "address": "", "developer": "", "leader": ""}
)


def parse_project_row(
    sheet: str, row: int, cells: Mapping[str, object], header: Header
) -> tuple[ProjectRow, list[Problem]]:
    """Parse every cell of one project row; every unreadable cell is one problem."""
    values: dict[str, object] = {}
    problems: list[Problem] = []
    for column in header.columns.values():
        if column.on_import not in ("apply", "check"):
            continue
        raw = cells.get(column.key)
        try:
            value = _PARSERS[column.kind](raw, column)
        except CellError as exc:
            # 最后更新时间 only guards against stale files: unreadable, it guards nothing.
            if column.on_import == "check":
                continue
            problems.append(Problem(sheet, row, header.labels[column.key], exc.detail))
            continue
        if value in (None, "") and column.required:
            hint = "（如为合并单元格，请取消合并并逐行填写）" if column.key == "district" else ""
            problems.append(Problem(sheet, row, header.labels[column.key], f"此项为必填项{hint}。"))
            continue
        if value is None and column.key in _DEFAULTS:
            value = _DEFAULTS[column.key]
        values[column.key] = value
    return ProjectRow(row, MappingProxyType(values)), problems


def parse_defect_row(
    sheet: str, row: int, cells: Mapping[str, object], header: Header
) -> tuple[DefectRow | None, list[Problem]]:
    """Read the 项目编号, 项目名称 and 问题类型 of a 「问题清单」 row; problems are warnings."""
    columns = {c.key: c for c in header.columns.values()}
    problems: list[Problem] = []
    try:
        code = parse_code(cells.get("code")) if "code" in columns else None
    except CellError as exc:
        return None, [Problem(sheet, row, header.labels["code"], exc.detail + "，本行未比对")]
    name = parse_text(cells.get("name")) if "name" in columns else ""
    try:
        type_ = parse_choice(cells.get("type"), columns["type"])
    except CellError as exc:
        return None, [Problem(sheet, row, header.labels["type"], exc.detail + "，本行未比对")]
    if type_ is None:
        return None, problems
    return DefectRow(row, code, name, type_), problems


# ---------------------------------------------------------------- comparing with the engine


def engine_types(classification: Classification) -> tuple[str, ...]:
    """The defect types the engine raises (decided or awaiting review), in table order."""
    raised = {d.type for d in classification.defects} | {
        r.type for r in classification.needs_review
    }
    return tuple(t for t in DEFECT_TYPES if t in raised)


def type_disagreements(listed: Collection[str], classification: Classification) -> list[str]:
    """Where the sheet's 问题类型 and the engine's reading of the imported facts differ."""
    engine = set(engine_types(classification))
    messages = []
    for code, spec in DEFECT_TYPES.items():
        if code in listed and code not in engine:
            messages.append(f"表中列有『{spec.name}』，按导入的事实引擎未认定此问题")
        elif code in engine and code not in listed:
            messages.append(f"引擎按导入的事实认定『{spec.name}』（{spec.clause}），表中未列出")
    return messages


# ---------------------------------------------------------------- 延期


@dataclass(frozen=True)
class Step:
    """One history row of a defect, as far as 延期 is concerned."""

    action: str
    details: Mapping[str, object]


_REASON_ACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "return": "退回改派",
        "reroute": "改派牵头部门",
        "send_back": "退回重办",
        "suspend": "暂缓",
        "reopen": "重新打开",
    }
)


def postponements(steps: Iterable[Step]) -> tuple[int, str]:
    """延期次数 and the latest 延期原因, from a defect's history in time order.

    A postponement is a 交办 whose 办理时限 is later than the previous 交办's, or a plan whose
    计划完成月份 is later than the one before it. Its reason is the one typed with the plan, or
    for a new 交办 the reason of the 退回/改派/暂缓 step that led to it.
    """
    count, reason = 0, ""
    deadline: str | None = None
    month: str | None = None
    pending = ""
    for step in steps:
        details = step.details
        if step.action in _REASON_ACTIONS and details.get("reason"):
            pending = f"{_REASON_ACTIONS[step.action]}：{details['reason']}"
        elif step.action == "assign" and isinstance(details.get("deadline"), str):
            new = str(details["deadline"])
            if deadline is not None and new > deadline:
                count += 1
                reason = pending
            deadline, pending = new, ""
        elif step.action == "plan" and isinstance(details.get("planned_month"), str):
            new = str(details["planned_month"])
            if month is not None and new > month:
                count += 1
                reason = str(details.get("delay_reason") or "")
            month = new
    return count, reason


# ---------------------------------------------------------------- writing cells


def bool_text(value: bool | None) -> str:
    """是 / 否 / empty for a tri-state value in the sheet."""
    return "" if value is None else ("是" if value else "否")


def month_text(month: str | None) -> str:
    """YYYY-MM as written in the sheet."""
    return month or ""


def choice_text(column: Column, code: str | None) -> str:
    """The 中文 of a choice code."""
    if code is None:
        return ""
    return (column.choices or {}).get(code, code)
