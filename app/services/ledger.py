"""The Excel 台账 use cases: export what a user may see, import a sheet all-or-nothing.

An import goes through the same validation and classification as the project form
(`validate_input`, `assign_fields`, `apply_classification`), in one transaction: every row is
checked, and only a file without a single problem is committed. A preview and `--dry-run` are
the same run rolled back, so what they announce is exactly what applying does. The sheet's
「问题清单」 is informative on import: defect statuses change only through `cases.workflow`, so
only its 问题类型 are read, to list where they differ from the engine (docs/ledger.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import warnings
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from flask import current_app
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import selectinload

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import (
    AuditEvent,
    CertificateEntry,
    Defect,
    DefectEvent,
    Department,
    DispatchEntry,
    DispatchRound,
    LedgerImport,
    Project,
    User,
    defect_cooperation,
    utcnow,
)
from app.scoping import bound_district, can, may_create_in, may_edit, visible_projects
from app.services import audit
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from app.services.ledger_files import (
    Limits,
    SheetData,
    SheetStream,
    check_upload,
    limits_from,
    open_sheets,
    write_csv,
    write_xlsx,
)
from app.services.projects import (
    ProjectFilters,
    ProjectInput,
    apply_classification,
    assign_fields,
    filtered_projects,
    input_snapshot,
    next_project_code,
    project_input,
    project_snapshot,
    validate_input,
)
from app.services.workflow import record_event
from cases.classify import classify
from cases.facts import FactsError, facts_to_dict, parse_facts
from cases.ledger import (
    DEFECT_COLUMNS,
    DEFECT_SHEET,
    NOTES_SHEET,
    OPTIONS_SHEET,
    PROJECT_COLUMNS,
    PROJECT_SHEET,
    SHEET_NOTES,
    TITLE,
    Column,
    DefectRow,
    Header,
    Problem,
    ProjectRow,
    Step,
    bool_text,
    choice_text,
    find_header,
    header_index,
    is_empty_row,
    is_repeated_header,
    is_total_row,
    parse_defect_row,
    parse_project_row,
    postponements,
    row_values,
    type_disagreements,
)
from cases.taxonomy import (
    DEFECT_STATUSES,
    DEFECT_TYPES,
    DEPARTMENTS,
    DISTRICTS,
    FACT_FIELDS,
    FACT_FIELDS_BY_NAME,
    PATHS,
    PROJECT_STATES,
)

Mode = Literal["preview", "dry_run", "apply"]

HEADER_SCAN_ROWS = 30  # title rows a sheet may carry above its header
CHUNK = 500  # rows loaded, validated and flushed together
STORED_MESSAGES = 1000  # problems / warnings / changes kept on the import record
# Audit actions that change a ledger row (最后更新人 / 最后更新时间, and the stale-file check).
ROW_ACTIONS = ("project.create", "project.update", "project.certificates")
HISTORY_ACTIONS = ("assign", "plan", "close", "return", "reroute", "send_back", "suspend", "reopen")

COLUMNS_BY_KEY: Mapping[str, Column] = {c.key: c for c in PROJECT_COLUMNS}
# InvalidInput fields of `validate_input` -> ledger column keys.
FIELD_COLUMNS: Mapping[str, str] = {
    "name": "name",
    "district": "district",
    "address": "address",
    "developer": "developer",
    "leader": "leader",
    "total_households": "total_households",
    "certified_households": "certified_households",
    "facts.construction_start_date": "construction_start_date",
    "facts.completion_date": "completion_date",
}
PROJECT_FIELDS = (
    "name",
    "district",
    "address",
    "developer",
    "developer_exists",
    "total_households",
    "certified_households",
    "leader",
)


def _system_user() -> User:
    """Who the command line acts as: the 自然资源局's full scope; writes are audited as system."""
    return User(username="system", display_name="命令行", role="caseworker", active=True)


def _scope_user(user: User | None) -> User:
    return user if user is not None else _system_user()


def _local(moment: dt.datetime) -> dt.datetime:
    """A stored instant as the local, second-precise time written in the sheet."""
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def _who(actor_name: str | None, display_name: str | None) -> str:
    if display_name:
        return display_name
    return "" if actor_name in (None, "", "system") else str(actor_name)


# ---------------------------------------------------------------- the ledger's rows


def _ids(stmt: Select[tuple[Project]]) -> Select[tuple[int]]:
    """The ids of a scoped project query, as a subquery for IN (...)."""
    return stmt.with_only_columns(Project.id)


def last_changes(ids: Select[Any] | Sequence[int]) -> dict[int, tuple[dt.datetime, str]]:
    """Project id -> (time, who) of the latest change to its ledger row, in one query."""
    latest = (
        select(AuditEvent.project_id, func.max(AuditEvent.id).label("id"))
        .where(AuditEvent.project_id.in_(ids), AuditEvent.action.in_(ROW_ACTIONS))
        .group_by(AuditEvent.project_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            AuditEvent.project_id, AuditEvent.occurred_at, AuditEvent.actor_name, User.display_name
        )
        .join(latest, AuditEvent.id == latest.c.id)
        .outerjoin(User, User.id == AuditEvent.actor_id)
    )
    return {r[0]: (r[1], _who(r[2], r[3])) for r in rows}


def _defect_lines(ids: Select[Any]) -> dict[int, list[list[object]]]:
    """Project id -> its 问题清单 rows, built from five queries whatever the project count."""
    defects = db.session.execute(
        select(
            Defect.id,
            Defect.project_id,
            Defect.type,
            Defect.path,
            Defect.lead_code,
            Defect.clause,
            Defect.status,
            Defect.deadline,
            Defect.planned_month,
            Defect.plan_text,
        )
        .where(Defect.project_id.in_(ids))
        .order_by(Defect.project_id, Defect.position)
    ).all()
    cooperating: dict[int, list[str]] = defaultdict(list)
    for defect_id, department in db.session.execute(
        select(defect_cooperation.c.defect_id, defect_cooperation.c.department_code)
        .join(Defect, Defect.id == defect_cooperation.c.defect_id)
        .where(Defect.project_id.in_(ids))
        .order_by(defect_cooperation.c.defect_id, defect_cooperation.c.department_code)
    ):
        cooperating[defect_id].append(department)
    ranked = (
        select(
            DispatchEntry.defect_id,
            DispatchEntry.blocker,
            DispatchEntry.next_step,
            DispatchEntry.time_limit,
            func.row_number()
            .over(
                partition_by=DispatchEntry.defect_id,
                order_by=(DispatchRound.month.desc(), DispatchEntry.id.desc()),
            )
            .label("rank"),
        )
        .join(DispatchRound, DispatchRound.id == DispatchEntry.round_id)
        .where(DispatchEntry.project_id.in_(ids), DispatchEntry.reported_at.is_not(None))
        .subquery()
    )
    dispatch = {
        r[0]: (r[1], r[2], r[3])
        for r in db.session.execute(
            select(
                ranked.c.defect_id, ranked.c.blocker, ranked.c.next_step, ranked.c.time_limit
            ).where(ranked.c.rank == 1)
        )
    }
    steps: dict[int, list[Step]] = defaultdict(list)
    closed_on: dict[int, dt.date] = {}
    for defect_id, action, details, occurred_at in db.session.execute(
        select(
            DefectEvent.defect_id, DefectEvent.action, DefectEvent.details, DefectEvent.occurred_at
        )
        .where(DefectEvent.project_id.in_(ids), DefectEvent.action.in_(HISTORY_ACTIONS))
        .order_by(DefectEvent.defect_id, DefectEvent.occurred_at, DefectEvent.id)
    ):
        if action == "close":
            closed_on[defect_id] = occurred_at.astimezone(LOCAL_TZ).date()
        else:
            steps[defect_id].append(Step(action, details or {}))
    lines: dict[int, list[list[object]]] = defaultdict(list)
    for d in defects:
        (defect_id, project_id, type_, path, lead, clause, status, deadline, month, plan) = d
        blocker, next_step, time_limit = dispatch.get(defect_id, ("", "", None))
        if next_step and time_limit:
            next_step = f"{next_step}（完成时限：{time_limit.isoformat()}）"
        path_text = PATHS[path].name if path else "待人工研判"
        if plan:
            path_text = f"{path_text}\n一项目一策：{plan}"
        delays, reason = postponements(steps.get(defect_id, ()))
        lines[project_id].append(
            [
                DEFECT_TYPES[type_].name,
                clause,
                DEPARTMENTS[lead].name if lead in DEPARTMENTS else lead,
                "、".join(DEPARTMENTS[c].name for c in cooperating.get(defect_id, [])),
                path_text,
                DEFECT_STATUSES.get(status, status),
                blocker or "",
                next_step or "",
                deadline or month or "",
                closed_on.get(defect_id) if status == "closed" else None,
                reason,
                delays,
            ]
        )
    return lines


def _project_values(project: Any, changed: tuple[dt.datetime, str] | None) -> list[object]:
    """Sheet 1 cells of one project (without 序号), in PROJECT_COLUMNS order."""
    when, who = changed if changed else (project.created_at, "")
    values: dict[str, object] = {
        "code": project.code,
        "name": project.name,
        "district": DISTRICTS[project.district_code].name,
        "address": project.address,
        "developer": project.developer,
        "developer_exists": project.developer_exists,
        "project_type": project.project_type,
        "construction_start_date": project.construction_start_date,
        "completion_date": project.completion_date,
        "total_households": project.total_households,
        "certified_households": project.certified_households,
        "first_registration_date": project.first_registration_date,
        "leader": project.leader,
        "updated_by": who,
        "updated_at": _local(when) if when else None,
        **(project.facts or {}),
    }
    cells: list[object] = []
    for column in PROJECT_COLUMNS[1:]:
        value = values.get(column.key)
        if column.kind == "bool":
            value = bool_text(value)  # type: ignore[arg-type]
        elif column.kind == "enum" and column.key != "district":
            value = choice_text(column, value)  # type: ignore[arg-type]
        cells.append(value)
    return cells


_PROJECT_FIELDS_SELECTED = (
    Project.id,
    Project.code,
    Project.name,
    Project.district_code,
    Project.address,
    Project.developer,
    Project.developer_exists,
    Project.project_type,
    Project.construction_start_date,
    Project.completion_date,
    Project.total_households,
    Project.certified_households,
    Project.first_registration_date,
    Project.leader,
    Project.facts,
    Project.created_at,
)


@dataclass(frozen=True)
class LedgerTables:
    """The two tables of a ledger, as plain rows ready to be written."""

    projects: list[list[object]]
    defects: list[list[object]]


def ledger_tables(stmt: Select[tuple[Project]]) -> LedgerTables:
    """Both sheets of the projects a scoped query selects, in a constant number of queries."""
    ids = _ids(stmt)
    projects = db.session.execute(
        stmt.with_only_columns(*_PROJECT_FIELDS_SELECTED).order_by(Project.code)
    ).all()
    changed = last_changes(ids)
    lines = _defect_lines(ids)
    sheet1: list[list[object]] = []
    sheet2: list[list[object]] = []
    for seq, project in enumerate(projects, start=1):
        sheet1.append([seq, *_project_values(project, changed.get(project.id))])
        for line in lines.get(project.id, ()):
            sheet2.append([project.code, project.name, *line])
    return LedgerTables(sheet1, sheet2)


# ---------------------------------------------------------------- writing files


@dataclass(frozen=True)
class LedgerFile:
    """A file to hand out."""

    data: bytes
    filename: str
    mimetype: str
    rows: int = 0


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
_YES_NO = ("是", "否", "不详")


def _lists(columns: Sequence[Column]) -> dict[str, list[str]]:
    """Dropdown choices of every enumerated column (是/否/不详 for the tri-state ones)."""
    lists: dict[str, list[str]] = {}
    for column in columns:
        if column.kind == "bool":
            lists[column.key] = list(_YES_NO)
        elif column.kind == "enum" and column.choices:
            lists[column.key] = list(column.choices.values())
    return lists


_ON_IMPORT = {"apply": "导入", "check": "核对", "compare": "比对", "ignore": "不读取"}

GENERAL_NOTES: tuple[tuple[str, str], ...] = (
    ("表格", "第 1、2 行为标题和说明，第 3 行为表头，数据从第 4 行起；导入时会自动找到表头行，"
     "表头上方可以有标题行（含合并单元格），可以有多余的列（导入时忽略），末尾空行和“合计”行会跳过。"),
    ("新增与更新", "按“项目编号”更新已有项目；项目编号留空为新项目，导入后系统自动编号。"
     "不在表中的项目不受影响；表中没有的列保持原值。"),
    ("全有或全无", "导入前逐行检查，任何一处有误都不会导入，系统会列出每个问题所在的工作表、"
     "行和列；改正后重新上传整张表即可。"),
    ("日期", "可写 2003-05-01、2003/5/1、2003.5.1、2003年5月1日，或只写到月（2003.5、2003年5月、"
     "2003-05，按该月 1 日计）；Excel 日期格式的单元格也可以。注意：以数字形式输入的 2003.10 在 "
     "Excel 中会变成 2003.1，请写作 2003年10月。"),
    ("是/否", "填“是”“否”，也可填 √、×、Y、N；不清楚的留空或填“不详”。"),
    ("数字", "户数等填整数；以文本形式保存的数字、全角数字（１２０）、带“户”字（120户）均可识别。"),
    ("问题清单", "「问题清单」导出时由系统生成。导入时只读取问题类型，与引擎按导入事实认定的问题"
     "比对，差异列出供经办人确认；问题的办理状态、时限、堵点等只能在系统中按办理流程更新，"
     "不从表格导入。"),
    ("县区用户", "县区政府用户只能导入本县区的项目，表中其他县区的行会报错。"),
    ("文件", "只接受 Excel 工作簿（.xlsx），不接受 .xls、.xlsm、.csv 或加密（设置了打开密码）"
     "的文件。"),
)  # fmt: skip


def notes_rows() -> list[list[str]]:
    """The 填写说明 sheet: each column of both tables, then the general rules."""
    rows = [["工作表", "列名", "导入时", "填写说明"]]
    for sheet, columns in ((PROJECT_SHEET, PROJECT_COLUMNS), (DEFECT_SHEET, DEFECT_COLUMNS)):
        rows.append([sheet, "（整表）", "", SHEET_NOTES[sheet]])
        for column in columns:
            required = "（必填）" if column.required and sheet == PROJECT_SHEET else ""
            rows.append(
                [sheet, column.header + required, _ON_IMPORT[column.on_import], column.note]
            )
    for topic, text in GENERAL_NOTES:
        rows.append(["通用", topic, "", text])
    return rows


def _sheets(tables: LedgerTables | None, subtitle: str) -> list[SheetData]:
    projects = tables.projects if tables else []
    defects = tables.defects if tables else []
    validation_rows = 0 if tables else 1000
    return [
        SheetData(
            PROJECT_SHEET,
            PROJECT_COLUMNS,
            projects,
            title=TITLE,
            subtitle=subtitle,
            lists=_lists(PROJECT_COLUMNS),
            validation_rows=validation_rows,
            freeze="D4",
        ),
        SheetData(
            DEFECT_SHEET,
            DEFECT_COLUMNS,
            defects,
            title=TITLE + "——问题清单",
            subtitle="一行一个问题，由系统生成；导入时只比对问题类型，状态等以系统为准。",
            lists=_lists(DEFECT_COLUMNS),
            validation_rows=validation_rows,
            freeze="D4",
        ),
    ]


def template() -> LedgerFile:
    """A blank ledger with dropdowns and the notes sheet, for districts to fill in."""
    subtitle = "请按「填写说明」填写；项目编号留空表示新项目。带下拉箭头的列请从列表中选择。"
    data = write_xlsx(_sheets(None, subtitle), notes_rows())
    return LedgerFile(data, "办证难项目台账模板.xlsx", XLSX_MIMETYPE)


def _scope_text(user: User | None, filters: ProjectFilters) -> str:
    parts = []
    if bound := bound_district(user):
        parts.append(DISTRICTS[bound].name)
    if filters.district:
        parts.append(DISTRICTS[filters.district].name)
    if filters.type:
        parts.append(DEFECT_TYPES[filters.type].name)
    if filters.lead and filters.lead in DEPARTMENTS:
        parts.append(DEPARTMENTS[filters.lead].name + "牵头")
    if filters.status:
        parts.append(PROJECT_STATES[filters.status])
    if filters.q:
        parts.append(f"关键词“{filters.q}”")
    return "、".join(dict.fromkeys(parts)) or "全部可见项目"


def export_ledger(
    user: User | None, filters: ProjectFilters, fmt: str, now: dt.datetime
) -> LedgerFile:
    """The ledger of the projects the user may see under the list's filters, audited."""
    if user is not None and not can(user, "ledger.export"):
        raise Forbidden("您没有导出台账的权限。")
    if fmt not in ("xlsx", "csv"):
        raise InvalidInput("format", "导出格式应为 xlsx 或 csv。")
    stmt = filtered_projects(_scope_user(user), filters)
    tables = ledger_tables(stmt)
    stamp = _local(now)
    who = (user.display_name or user.username) if user is not None else "命令行"
    subtitle = (
        f"范围：{_scope_text(user, filters)}；共 {len(tables.projects)} 个项目、"
        f"{len(tables.defects)} 个问题；导出人：{who}；导出时间：{stamp:%Y-%m-%d %H:%M:%S}"
    )
    if fmt == "csv":
        data = write_csv(PROJECT_COLUMNS, tables.projects)
        mimetype = CSV_MIMETYPE
    else:
        data = write_xlsx(_sheets(tables, subtitle), notes_rows())
        mimetype = XLSX_MIMETYPE
    audit.record(
        user,
        "ledger.export",
        "ledger",
        fmt,
        changes={
            "filters": {k: v for k, v in vars(filters).items() if v},
            "projects": len(tables.projects),
            "format": fmt,
        },
    )
    db.session.commit()
    filename = f"办证难项目台账_{stamp:%Y%m%d_%H%M}.{fmt}"
    return LedgerFile(data, filename, mimetype, len(tables.projects))


# ---------------------------------------------------------------- reading an upload


@dataclass
class ParsedLedger:
    """What the sheets say, before the database is consulted."""

    header: Header | None = None
    rows: list[ProjectRow] = field(default_factory=list)
    defect_header: Header | None = None
    defects: list[DefectRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _find(sheet: SheetStream, columns: Sequence[Column], must_have: Sequence[str]) -> Header | None:
    """Read a sheet's first rows until its header; None if there is none."""
    index = header_index(columns)
    for number, values in sheet.rows:
        header = find_header(sheet.name, number, values, columns, must_have, index)
        if header is not None:
            return header
        if number >= HEADER_SCAN_ROWS:
            return None
    return None


def _data_rows(
    sheet: SheetStream, header: Header, limit: int, parsed: ParsedLedger
) -> Iterator[tuple[int, dict[str, object]]]:
    """The non-empty rows under the header, refusing a sheet over the row limit."""
    count = 0
    for number, values in sheet.rows:
        cells = row_values(header, values)
        if is_empty_row(cells):
            continue
        if is_total_row(cells):
            parsed.warnings.append(f"「{sheet.name}」第{number}行为合计行，已跳过。")
            continue
        if is_repeated_header(header, values):
            parsed.warnings.append(f"「{sheet.name}」第{number}行重复了表头，已跳过。")
            continue
        count += 1
        if count > limit:
            raise InvalidInput(
                "file", f"「{sheet.name}」超过 {limit} 行数据的上限，请分批导入（可按县区拆分）。"
            )
        yield number, cells


def read_ledger(data: bytes, limits: Limits) -> ParsedLedger:
    """Stream the workbook's sheets into parsed rows and problems (no database)."""
    parsed = ParsedLedger()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes on extensions it drops
        with open_sheets(data) as sheets:
            candidates = [
                s for s in sheets if not s.hidden and s.name not in (NOTES_SHEET, OPTIONS_SHEET)
            ]
            candidates.sort(key=lambda s: (s.name != PROJECT_SHEET, s.name != DEFECT_SHEET))
            for sheet in candidates:
                if parsed.header is None:
                    header = _find(sheet, PROJECT_COLUMNS, ("name", "district"))
                    if header is not None:
                        parsed.header = header
                        _read_projects(sheet, header, limits, parsed)
                        continue
                if parsed.defect_header is None and sheet.name != PROJECT_SHEET:
                    header = _find(sheet, DEFECT_COLUMNS, ("type",))
                    if header is not None and header.keys & {"code", "name"}:
                        parsed.defect_header = header
                        _read_defects(sheet, header, limits, parsed)
    if parsed.header is None:
        parsed.problems.append(
            Problem(
                PROJECT_SHEET,
                None,
                None,
                f"没有找到项目台账的表头：表头行须包含『项目名称』和『县区』两列"
                f"（在工作表前 {HEADER_SCAN_ROWS} 行内）。",
            )
        )
    return parsed


def _read_projects(
    sheet: SheetStream, header: Header, limits: Limits, parsed: ParsedLedger
) -> None:
    parsed.problems.extend(header.problems)
    if header.ignored:
        parsed.warnings.append(
            f"「{sheet.name}」已忽略未识别的列：{'、'.join(header.ignored[:20])}"
            + ("等" if len(header.ignored) > 20 else "")
        )
    for number, cells in _data_rows(sheet, header, limits.max_rows, parsed):
        row, problems = parse_project_row(sheet.name, number, cells, header)
        parsed.rows.append(row)
        parsed.problems.extend(problems)


def _read_defects(sheet: SheetStream, header: Header, limits: Limits, parsed: ParsedLedger) -> None:
    # Up to one row per defect type and project.
    limit = limits.max_rows * len(DEFECT_TYPES)
    for number, cells in _data_rows(sheet, header, limit, parsed):
        row, problems = parse_defect_row(sheet.name, number, cells, header)
        parsed.warnings.extend(str(p) for p in problems)
        if row is not None:
            parsed.defects.append(row)


# ---------------------------------------------------------------- applying


@dataclass
class Outcome:
    """What a run found and (would have) changed."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem anywhere."""
        return not self.problems


def _display(key: str, value: Any) -> str:
    """A stored value as the sheet shows it."""
    if value is None or value == "":
        return "（空）"
    if key == "district_code":
        return DISTRICTS[value].name if value in DISTRICTS else str(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    spec = FACT_FIELDS_BY_NAME.get(key)
    if spec is not None and spec.choices:
        return spec.choices.get(value, str(value))
    return str(value)


_LABELS: Mapping[str, str] = {
    **{c.key: c.header for c in PROJECT_COLUMNS},
    "district_code": "县区",
    "lon": "经度",
    "lat": "纬度",
    "notes": "备注",
}


def _field_changes(changed: Mapping[str, Any]) -> list[list[str]]:
    """[label, old, new] for the preview, with the facts JSON spread into single facts."""
    out: list[list[str]] = []
    for key, (old, new) in changed.items():
        if key == "facts":
            old, new = old or {}, new or {}
            for spec in FACT_FIELDS:
                if old.get(spec.name) != new.get(spec.name):
                    out.append(
                        [
                            spec.label,
                            _display(spec.name, old.get(spec.name)),
                            _display(spec.name, new.get(spec.name)),
                        ]
                    )
            continue
        out.append([_LABELS.get(key, key), _display(key, old), _display(key, new)])
    return out


class _Codes:
    """New project codes: after every stored code and every code the file names."""

    def __init__(self, rows: Sequence[ProjectRow]) -> None:
        self.file_numbers: dict[str, int] = defaultdict(int)
        for row in rows:
            if row.code and (m := re.fullmatch(r"([A-Z]+)-(\d+)", row.code)):
                self.file_numbers[m[1]] = max(self.file_numbers[m[1]], int(m[2]))
        self.next: dict[str, int] = {}

    def allocate(self, district: str) -> str:
        """The next free code of the district."""
        prefix = DISTRICTS[district].prefix
        if district not in self.next:
            stored = int(next_project_code(district).split("-")[1])
            self.next[district] = max(stored, self.file_numbers[prefix] + 1)
        number = self.next[district]
        self.next[district] += 1
        return f"{prefix}-{number:04d}"


@dataclass
class _Run:
    """State of one import run."""

    actor: User | None
    scope: User
    today: dt.date
    header: Header
    apply: bool
    sha256: str
    outcome: Outcome
    listed: Mapping[int, set[str]] | None  # sheet row -> 问题类型 of 问题清单 (None: no sheet 2)
    unreadable: frozenset[int]  # rows with a cell that could not be read
    codes: _Codes
    departments: Mapping[str, Department]
    # New projects of the current chunk, and new defects of updated ones, awaiting their ids.
    created: list[tuple[ProjectRow, Project, list[str]]] = field(default_factory=list)
    new_defects: list[Defect] = field(default_factory=list)

    def problem(self, row: int, key: str | None, detail: str) -> None:
        """A problem at a row (and the column of `key`, named as the sheet names it)."""
        column = self.header.labels.get(key, COLUMNS_BY_KEY[key].header) if key else None
        self.outcome.problems.append(Problem(PROJECT_SHEET, row, column, detail))

    @property
    def applying(self) -> bool:
        """Rows are written only while the file is still clean (all-or-nothing)."""
        return self.apply and not self.outcome.problems


def _input_for(run: _Run, row: ProjectRow, project: Project | None) -> ProjectInput | None:
    """The form input this row amounts to: the stored project with the sheet's columns on top."""
    base = project_input(project) if project is not None else ProjectInput(name="", district="")
    changes: dict[str, Any] = {k: row.values[k] for k in PROJECT_FIELDS if k in row.values}
    facts = facts_to_dict(base.facts)
    facts.update(row.facts())
    try:
        changes["facts"] = parse_facts(facts)
    except FactsError as exc:
        run.problem(row.row, exc.field if exc.field in COLUMNS_BY_KEY else None, exc.message)
        return None
    return replace(base, **changes)


_KEEP = object()


def _check_row(
    run: _Run, row: ProjectRow, project: Project | None, elsewhere: Mapping[str, str]
) -> tuple[ProjectInput, dt.date | None] | None:
    """Every rule a row must pass; None (with problems recorded) if it fails one."""
    before = len(run.outcome.problems)
    if project is None and row.code in elsewhere:
        district = DISTRICTS[elsewhere[row.code]].name
        run.problem(row.row, "code", f"{row.code} 是{district}的项目，您不能导入该行。")
        return None
    if project is None:
        missing = [k for k in ("district", "total_households") if k not in run.header.keys]
        for key in missing:
            run.problem(
                row.row, None, f"新项目须填写『{COLUMNS_BY_KEY[key].header}』，表中没有该列。"
            )
        if missing:
            return None
    data = _input_for(run, row, project)
    if data is None:
        return None
    district = DISTRICTS[data.district].name if data.district in DISTRICTS else data.district
    if project is None:
        if not may_create_in(run.scope, data.district):
            run.problem(row.row, "district", f"{district}不在您的管辖范围内，不能导入该行。")
        prefix = DISTRICTS[data.district].prefix + "-" if data.district in DISTRICTS else ""
        if row.code and prefix and not row.code.startswith(prefix):
            run.problem(
                row.row,
                "code",
                f"新项目编号 {row.code} 与县区不符：{district}的编号以 {prefix} 开头。",
            )
    else:
        if not may_edit(run.scope, project):
            run.problem(row.row, "code", f"您不能修改项目 {project.code}。")
        if run.scope.role == "district" and data.district != project.district_code:
            run.problem(row.row, "district", "县区用户不能把项目移到其他县区。")
    try:
        for warning in validate_input(data, run.today):
            run.outcome.warnings.append(f"「{PROJECT_SHEET}」第{row.row}行：{warning}")
    except InvalidInput as exc:
        run.problem(row.row, FIELD_COLUMNS.get(exc.field), exc.message)
    first = row.values.get("first_registration_date", _KEEP)
    if isinstance(first, dt.date) and first > run.today:
        run.problem(row.row, "first_registration_date", "日期不能晚于今天。")
    if len(run.outcome.problems) > before:
        return None
    if first is _KEEP:  # the sheet has no such column: keep what is stored
        first = project.first_registration_date if project is not None else None
    return data, first  # type: ignore[return-value]


def _stale(
    run: _Run,
    row: ProjectRow,
    project: Project,
    data: ProjectInput,
    first: dt.date | None,
    last: tuple[dt.datetime, str] | None,
) -> None:
    """A row edited from a file exported before someone else's change is refused."""
    exported = row.values.get("updated_at")
    if not isinstance(exported, dt.datetime):
        return
    when, who = last if last else (project.created_at, "")
    stored = _local(when)
    if stored <= exported:
        return
    if (
        input_snapshot(data) == project_snapshot(project)
        and first == project.first_registration_date
    ):
        return
    by = f"被{who}" if who else ""
    run.problem(
        row.row,
        "updated_at",
        f"该项目已于 {stored:%Y-%m-%d %H:%M:%S} {by}修改，晚于本表导出的时间 "
        f"{exported:%Y-%m-%d %H:%M:%S}；为免旧表覆盖新数据，请重新导出后再修改该行。",
    )


def _compare(run: _Run, row: ProjectRow, code: str | None, data: ProjectInput) -> None:
    """List where 「问题清单」 and the engine's reading of the imported facts differ."""
    if run.listed is None:
        return
    listed = run.listed.get(row.row, set())
    for message in type_disagreements(listed, classify(data.facts)):
        who = f"{code} {data.name}" if code else f"新项目 {data.name}"
        run.outcome.disagreements.append(f"「{PROJECT_SHEET}」第{row.row}行 {who}：{message}")


def _create(run: _Run, row: ProjectRow, data: ProjectInput, first: dt.date | None) -> Project:
    """A new project, classified; its history and audit follow the chunk's flush (`_created`)."""
    code = row.code or run.codes.allocate(data.district)
    project = Project(code=code, state="unresolved", facts={})
    assign_fields(project, data)
    project.first_registration_date = first
    db.session.add(project)
    changes = apply_classification(project, classify(data.facts), run.departments)
    run.created.append((row, project, [c.message for c in changes]))
    return project


def _created(run: _Run) -> None:
    """History and audit of the chunk's new projects, now that they have ids.

    `record_registration` less its per-project query: a project this import created has no
    history yet, so every defect gets its 'register' step.
    """
    for row, project, messages in run.created:
        for defect in project.defects:
            record_event(defect, "register", None, run.actor, {"path": defect.path})
        if project.certified_households:
            db.session.add(
                CertificateEntry(
                    project=project,
                    entry_date=run.today,
                    households=project.certified_households,
                    kind="baseline",
                    note="导入台账时已办证户数",
                    created_by_id=run.actor.id if run.actor else None,
                )
            )
        audit.record(
            run.actor,
            "project.create",
            "project",
            project.code,
            project_id=project.id,
            changes={
                "fields": project_snapshot(project),
                "defects": messages,
                "ledger": run.sha256,
            },
        )
        run.outcome.created += 1
        _note_change(run, row, project, "new", [], messages)
    for defect in run.new_defects:
        record_event(defect, "register", None, run.actor, {"path": defect.path})
    run.created.clear()
    run.new_defects.clear()


def _update(
    run: _Run, row: ProjectRow, project: Project, data: ProjectInput, first: dt.date | None
) -> None:
    """`update_project` for one row, without its per-row loading and commit."""
    changed = assign_fields(project, data)
    if first != project.first_registration_date:
        changed["first_registration_date"] = [
            project.first_registration_date.isoformat()
            if project.first_registration_date
            else None,
            first.isoformat() if first else None,
        ]
        project.first_registration_date = first
    messages: list[str] = []
    if any(k in changed for k in ("facts", "project_type", "construction_start_date",
                                  "completion_date")):  # fmt: skip
        before = set(project.defects)
        result = apply_classification(project, classify(data.facts), run.departments)
        messages = [c.message for c in result]
        run.new_defects.extend(d for d in project.defects if d not in before)
    if "certified_households" in changed:
        old, new = changed["certified_households"]
        db.session.add(
            CertificateEntry(
                project=project,
                entry_date=run.today,
                households=new - old,
                kind="correction",
                note="导入台账时更正已办证户数",
                created_by_id=run.actor.id if run.actor else None,
            )
        )
    if not changed and not messages:
        run.outcome.unchanged += 1
        return
    project.updated_at = utcnow()
    audit.record(
        run.actor,
        "project.update",
        "project",
        project.code,
        project_id=project.id,
        changes={"fields": changed, "defects": messages, "ledger": run.sha256},
    )
    run.outcome.updated += 1
    _note_change(run, row, project, "update", _field_changes(changed), messages)


def _note_change(
    run: _Run, row: ProjectRow, project: Project, kind: str, fields: list[list[str]],
    defects: list[str],
) -> None:  # fmt: skip
    if len(run.outcome.changes) < STORED_MESSAGES:
        run.outcome.changes.append(
            {
                "row": row.row,
                "code": project.code,
                "name": project.name,
                "kind": kind,
                "fields": fields,
                "defects": defects,
            }
        )


def _listed_types(parsed: ParsedLedger) -> tuple[dict[int, set[str]] | None, list[str]]:
    """Sheet row of 「项目台账」 -> the 问题类型 「问题清单」 lists for it."""
    if parsed.defect_header is None:
        return None, []
    by_code = {r.code: r.row for r in parsed.rows if r.code}
    by_name: dict[str, list[int]] = defaultdict(list)
    for r in parsed.rows:
        by_name[r.name].append(r.row)
    listed: dict[int, set[str]] = defaultdict(set)
    notes: list[str] = []
    for d in parsed.defects:
        if d.code:
            target = by_code.get(d.code)
        else:
            matches = by_name.get(d.name, [])
            target = matches[0] if len(matches) == 1 else None
        if target is None:
            what = d.code or d.name or "（无编号和名称）"
            notes.append(
                f"「{DEFECT_SHEET}」第{d.row}行：{what} 不在「{PROJECT_SHEET}」中，未比对。"
            )
            continue
        listed[target].add(d.type)
    return listed, notes


def _duplicates(run: _Run, rows: Sequence[ProjectRow]) -> None:
    first_seen: dict[str, int] = {}
    for row in rows:
        if not row.code:
            continue
        if row.code in first_seen:
            run.problem(row.row, "code", f"{row.code} 与第{first_seen[row.code]}行重复。")
        else:
            first_seen[row.code] = row.row


def _load(scope: User, codes: Sequence[str]) -> tuple[dict[str, Project], dict[str, str]]:
    """Projects of these codes the user may see, and codes that exist outside the scope."""
    if not codes:
        return {}, {}
    found = {
        p.code: p
        for p in db.session.scalars(
            visible_projects(scope)
            .where(Project.code.in_(codes))
            .options(selectinload(Project.defects).selectinload(Defect.cooperating))
        )
    }
    missing = [c for c in codes if c not in found]
    elsewhere: dict[str, str] = {}
    if missing:
        # Codes are unique across districts: a code taken elsewhere cannot name a new project.
        elsewhere = dict(
            db.session.execute(
                select(Project.code, Project.district_code).where(Project.code.in_(missing))
            ).all()
        )
    return found, elsewhere


def _process(run: _Run, rows: Sequence[ProjectRow]) -> None:
    """Check every row, writing each while the file is still clean; chunked for memory."""
    _duplicates(run, rows)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        codes = sorted({r.code for r in chunk if r.code})
        projects, elsewhere = _load(run.scope, codes)
        last = last_changes([p.id for p in projects.values()]) if projects else {}
        for row in chunk:
            if row.row in run.unreadable:
                continue  # its cells are already reported; rules on half a row would only add noise
            project = projects.get(row.code) if row.code else None
            checked = _check_row(run, row, project, elsewhere)
            if checked is None:
                continue
            data, first = checked
            if project is not None:
                _stale(run, row, project, data, first, last.get(project.id))
            _compare(run, row, row.code, data)
            if not run.applying:
                continue
            if project is None:
                _create(run, row, data, first)
            else:
                _update(run, row, project, data, first)
        db.session.flush()
        if run.applying:
            _created(run)
            db.session.flush()


def _run(
    actor: User | None, data: bytes, today: dt.date, *, apply: bool, limits: Limits
) -> Outcome:
    """Parse and check the file and run the import in the session; the caller commits or not."""
    parsed = read_ledger(data, limits)
    outcome = Outcome(rows=len(parsed.rows), problems=list(parsed.problems))
    outcome.warnings.extend(parsed.warnings)
    if parsed.header is None:
        return outcome
    listed, notes = _listed_types(parsed)
    outcome.warnings.extend(notes)
    run = _Run(
        actor=actor,
        scope=_scope_user(actor),
        today=today,
        header=parsed.header,
        apply=apply,
        sha256=hashlib.sha256(data).hexdigest(),
        outcome=outcome,
        listed=listed,
        unreadable=frozenset(p.row for p in parsed.problems if p.row is not None),
        codes=_Codes(parsed.rows),
        departments={d.code: d for d in db.session.scalars(select(Department))},
    )
    with db.session.no_autoflush:
        _process(run, parsed.rows)
    if not parsed.rows and not outcome.problems:
        outcome.problems.append(Problem(PROJECT_SHEET, None, None, "表中没有项目数据。"))
    # Row by row, as the user works through the sheet (stable: a row's cells stay in order).
    outcome.problems.sort(key=lambda p: p.row or 0)
    return outcome


# ---------------------------------------------------------------- the import record


def _record(
    actor: User | None,
    *,
    filename: str,
    data: bytes,
    source: str,
    status: str,
    outcome: Outcome | None = None,
    problems: Sequence[str] = (),
) -> LedgerImport:
    record = LedgerImport(
        user_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else "system",
        district_code=actor.district_code if actor is not None else None,
        source=source,
        filename=filename[:255],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        status=status,
        problems=list(problems),
        problem_count=len(problems),
        warnings=[],
        disagreements=[],
        changes=[],
    )
    if outcome is not None:
        _fill(record, outcome)
    db.session.add(record)
    return record


def _fill(record: LedgerImport, outcome: Outcome) -> None:
    # A refused file changed nothing: what the rows before the first problem did is not news.
    ok = outcome.ok
    record.row_count = outcome.rows
    record.created_count = outcome.created if ok else 0
    record.updated_count = outcome.updated if ok else 0
    record.unchanged_count = outcome.unchanged if ok else 0
    record.problem_count = len(outcome.problems)
    record.problems = [str(p) for p in outcome.problems[:STORED_MESSAGES]]
    record.warnings = outcome.warnings[:STORED_MESSAGES]
    record.disagreements = outcome.disagreements[:STORED_MESSAGES]
    record.changes = outcome.changes[:STORED_MESSAGES] if ok else []


def _applied_before(sha256: str) -> LedgerImport | None:
    return db.session.scalars(
        select(LedgerImport)
        .where(LedgerImport.sha256 == sha256, LedgerImport.status == "applied")
        .order_by(LedgerImport.id)
        .limit(1)
    ).first()


def _duplicate_message(previous: LedgerImport) -> str:
    return (
        f"该文件已于 {_local(previous.applied_at or previous.created_at):%Y-%m-%d %H:%M} "
        f"由 {previous.actor_name} 导入（第 {previous.id} 号导入记录）；同一文件不会重复导入，"
        "本次未作任何更改。如需再次导入，请修改后另存。"
    )


def import_ledger(
    actor: User | None,
    filename: str,
    data: bytes,
    today: dt.date,
    *,
    mode: Mode,
    source: str = "web",
) -> LedgerImport:
    """Check a file and preview, try (`dry_run`) or apply it; the attempt is always recorded.

    A refused file (type, size, zip bomb, XML declarations, encryption, corruption, row limit)
    or a file with bad rows comes back as a `rejected` record listing every problem.
    """
    if actor is not None and not can(actor, "ledger.import"):
        raise Forbidden("您没有导入台账的权限。")
    limits = limits_from(current_app.config)
    record_args = {"filename": filename, "data": data, "source": source}
    try:
        check_upload(filename, data, limits)
        previous = _applied_before(hashlib.sha256(data).hexdigest())
        if previous is not None:
            record = _record(
                actor, **record_args, status="duplicate", problems=[_duplicate_message(previous)]
            )
            record.problem_count = 0
            db.session.commit()
            return record
        outcome = _run(actor, data, today, apply=True, limits=limits)
    except InvalidInput as exc:
        db.session.rollback()
        record = _record(actor, **record_args, status="rejected", problems=[exc.message])
        db.session.commit()
        return record
    except Exception:
        db.session.rollback()
        _record(
            actor, **record_args, status="failed", problems=["导入时发生系统错误，未写入任何数据。"]
        )
        db.session.commit()
        raise
    if outcome.ok and mode == "apply":
        record = _record(actor, **record_args, status="applied", outcome=outcome)
        record.applied_at = utcnow()
        _audit_import(actor, record)
        db.session.commit()
        return record
    db.session.rollback()
    status = "rejected" if not outcome.ok else ("previewed" if mode == "preview" else "dry_run")
    record = _record(actor, **record_args, status=status, outcome=outcome)
    if status == "previewed":
        record.content = data
        _drop_old_previews()
    db.session.commit()
    return record


PREVIEW_KEPT = dt.timedelta(days=1)


def _drop_old_previews() -> None:
    """Previews nobody confirmed within a day give their stored file back."""
    db.session.execute(
        update(LedgerImport)
        .where(
            LedgerImport.status == "previewed",
            LedgerImport.created_at < utcnow() - PREVIEW_KEPT,
        )
        .values(status="discarded", content=None, version=LedgerImport.version + 1)
        .execution_options(synchronize_session=False)
    )


def _audit_import(actor: User | None, record: LedgerImport) -> None:
    audit.record(
        actor,
        "ledger.import",
        "ledger_import",
        record.sha256[:16],
        changes={
            "filename": record.filename,
            "sha256": record.sha256,
            "created": record.created_count,
            "updated": record.updated_count,
            "unchanged": record.unchanged_count,
        },
    )


def get_import(user: User, import_id: int) -> LedgerImport:
    """An import record its uploader, a caseworker, or the same district may see (404 else)."""
    record = db.session.get(LedgerImport, import_id)
    if record is None or not _may_see(user, record):
        raise NotFound("没有找到该导入记录。")
    return record


def _may_see(user: User, record: LedgerImport) -> bool:
    if not can(user, "ledger.import"):
        return False
    bound = bound_district(user)
    return bound is None or record.district_code == bound


def recent_imports(user: User, limit: int = 20) -> list[LedgerImport]:
    """The latest imports the user may see, newest first."""
    if not can(user, "ledger.import"):
        return []
    stmt = select(LedgerImport).order_by(LedgerImport.id.desc()).limit(limit)
    if user.role == "district":
        stmt = stmt.where(LedgerImport.district_code == user.district_code)
    return list(db.session.scalars(stmt))


def confirm_import(
    user: User, import_id: int, expected_version: int, today: dt.date, *, confirmed: bool
) -> LedgerImport:
    """Apply a previewed file, re-checked against the database as it is now."""
    record = get_import(user, import_id)
    if record.version != expected_version:
        raise StaleVersion(record.version)
    if record.status != "previewed" or record.content is None:
        raise InvalidInput("import", "该导入记录不是待确认状态，不能再导入。")
    if record.user_id != user.id:
        raise Forbidden("只有上传该文件的用户可以确认导入。")
    if record.disagreements and not confirmed:
        raise InvalidInput("confirm", "请先核对问题类型的差异，勾选确认后再导入。")
    data = record.content
    previous = _applied_before(record.sha256)
    if previous is not None:
        record.status = "duplicate"
        record.problems = [_duplicate_message(previous)]
        record.content = None
        db.session.commit()
        return record
    limits = limits_from(current_app.config)
    try:
        outcome = _run(user, data, today, apply=True, limits=limits)
    except InvalidInput as exc:
        outcome = Outcome(problems=[Problem("", None, None, exc.message)])
    except Exception:
        db.session.rollback()
        raise
    if not outcome.ok:
        db.session.rollback()
        record = get_import(user, import_id)
        _fill(record, outcome)
        record.status = "rejected"
        record.content = None
        db.session.commit()
        return record
    _fill(record, outcome)
    record.status = "applied"
    record.applied_at = utcnow()
    record.content = None
    _audit_import(user, record)
    db.session.commit()
    return record


def discard_import(user: User, import_id: int, expected_version: int) -> LedgerImport:
    """Drop a previewed file without applying it."""
    record = get_import(user, import_id)
    if record.version != expected_version:
        raise StaleVersion(record.version)
    if record.status != "previewed":
        raise InvalidInput("import", "该导入记录不是待确认状态。")
    record.status = "discarded"
    record.content = None
    db.session.commit()
    return record


def stored_sha256(data: bytes) -> str:
    """The SHA-256 an import records."""
    return hashlib.sha256(data).hexdigest()
